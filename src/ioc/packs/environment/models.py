"""Tables of the environment pack: VN_AQI results per station (hour and day)."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from ioc.core.db import Base


class AirQualityIndex(Base):
    """Chỉ số VN_AQI of one station for one hour or one day, with its sub-indices.

    ``ts`` is the label of the period in UNIX seconds: for ``hour`` the END of the hour (QĐ 1459
    labels hours 01:00 … 24:00), for ``day`` local midnight at the start of the day.
    """

    __tablename__ = "env_aqi"

    entity_id: Mapped[int] = mapped_column(
        ForeignKey("entities.id", ondelete="CASCADE"), primary_key=True
    )
    resolution: Mapped[str] = mapped_column(String(4), primary_key=True)
    ts: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    aqi: Mapped[int] = mapped_column(Integer)
    dominant: Mapped[str] = mapped_column(String(8))
    pm25: Mapped[int | None] = mapped_column(SmallInteger)
    pm10: Mapped[int | None] = mapped_column(SmallInteger)
    o3: Mapped[int | None] = mapped_column(SmallInteger)
    no2: Mapped[int | None] = mapped_column(SmallInteger)
    so2: Mapped[int | None] = mapped_column(SmallInteger)
    co: Mapped[int | None] = mapped_column(SmallInteger)
