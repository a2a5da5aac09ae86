"""Tables of the public order and traffic pack (an ninh trật tự, giao thông), prefixed ``st_``.

Road segments, flow sensors and cameras are IOC entities (``RoadSegment``,
``TrafficFlowSensor``, ``Camera``; see the pack's docstring); readings are series. Only the
incidents and events, which are records rather than measurements, have their own table.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ioc.core.db import Base
from ioc.core.models import UTCDateTime


class StIncident(Base):
    """Vụ việc: a traffic accident, violations counted by a camera, or a public-order incident.

    ``kind``: ``accident`` | ``violation`` | ``public_order``; ``count`` is the number of
    violations a camera counted in the record (1 for other kinds). Status: ``open`` →
    ``handling`` → ``resolved``.
    """

    __tablename__ = "st_incidents"
    __table_args__ = (
        Index("ix_st_incidents_kind_at", "kind", "occurred_at"),
        Index("ix_st_incidents_area_at", "area_code", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(48))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    area_code: Mapped[str | None] = mapped_column(String(16))
    place: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(16), default="open")
    count: Mapped[int] = mapped_column(Integer, default=1)
    injured: Mapped[int] = mapped_column(Integer, default=0)
    dead: Mapped[int] = mapped_column(Integer, default=0)
    camera_code: Mapped[str | None] = mapped_column(String(64))
    segment_code: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(
        String(16), default="manual"
    )  # manual | api | camera | demo
