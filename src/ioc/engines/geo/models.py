"""Ranh giới xã/phường: the commune boundaries the province imports (``ioc geo import``).

One row per commune and validity period. The current set is the rows with ``valid_to`` NULL;
an import closes the previous set (``valid_to``) and adds the new one, so older boundaries stay
for history. The geometry is GeoJSON text (WGS84 lon/lat, Polygon or MultiPolygon): both
databases store it alike and no spatial extension is needed; the bounding-box columns let a
query pick candidate communes without parsing it.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ioc.core.db import Base
from ioc.core.models import UTCDateTime

#: The bounding-box columns, in the order of shapely's ``bounds`` (min x, min y, max x, max y).
BBOX_COLUMNS = ("min_lon", "min_lat", "max_lon", "max_lat")


class CommuneBoundary(Base):
    """The boundary of one commune/ward over a validity period."""

    __tablename__ = "commune_boundaries"
    __table_args__ = (
        Index("ix_commune_boundaries_bbox", *BBOX_COLUMNS),
        Index("ix_commune_boundaries_current", "valid_to", "code"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), index=True)
    geometry: Mapped[str] = mapped_column(Text)
    min_lon: Mapped[float] = mapped_column(Float)
    min_lat: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    # "imported" (the province's survey boundaries) or "approximate" (a draft set the
    # province marked as such with --approximate; drawn and answered as approximate).
    source: Mapped[str] = mapped_column(String(16))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)
