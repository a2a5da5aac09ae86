"""Tables of the planning pack: plans, their zones, infrastructure assets and the field reports
linked to an asset.

Geometries are GeoJSON text in WGS84 (lon, lat), with their bounding box in columns so a
point lookup reads only the rows whose box holds the point.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    Float,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ioc.core.columns import IdKey, parent_key
from ioc.core.db import Base
from ioc.core.models import UTCDateTime


class PlPlan(IdKey, Base):
    """Đồ án quy hoạch: one approved plan (its decision), valid over a period."""

    __tablename__ = "pl_plans"

    code: Mapped[str] = mapped_column(String(100), unique=True)  # the decision number, folded
    name: Mapped[str] = mapped_column(String(500))
    decision_number: Mapped[str] = mapped_column(String(100))
    decision_date: Mapped[date] = mapped_column(Date)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    agency_code: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    imported_by: Mapped[str] = mapped_column(String(200))


class PlZone(IdKey, Base):
    """Khu/ô quy hoạch: a zone of a plan with its land use and limits."""

    __tablename__ = "pl_zones"
    __table_args__ = (
        UniqueConstraint("plan_id", "zone_code"),
        Index("ix_pl_zones_bbox", "min_lon", "min_lat", "max_lon", "max_lat"),
    )

    plan_id: Mapped[int] = parent_key("pl_plans")
    zone_code: Mapped[str] = mapped_column(String(64))
    land_use: Mapped[str] = mapped_column(String(200))
    # density (%), max_height (m), max_floors, far (hệ số sử dụng đất), min_lot (m²) …
    limits: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    geometry: Mapped[str] = mapped_column(Text)
    min_lon: Mapped[float] = mapped_column(Float)
    min_lat: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)


class PlAsset(IdKey, Base):
    """Tài sản hạ tầng: a street light, drain, water main, public toilet, bin … (a point or a
    line), owned by an agency, with a status."""

    __tablename__ = "pl_assets"
    __table_args__ = (Index("ix_pl_assets_bbox", "min_lon", "min_lat", "max_lon", "max_lat"),)

    code: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(300))
    agency_code: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16))
    area_code: Mapped[str | None] = mapped_column(String(16))
    geometry: Mapped[str] = mapped_column(Text)
    lat: Mapped[float] = mapped_column(Float)  # the point, or a point on the line
    lon: Mapped[float] = mapped_column(Float)
    min_lon: Mapped[float] = mapped_column(Float)
    min_lat: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(200))


class PlAssetReport(IdKey, Base):
    """A field report about an asset (the report lives in the field-reports pack; its code is
    the link)."""

    __tablename__ = "pl_asset_reports"
    __table_args__ = (UniqueConstraint("asset_id", "report_code"),)

    asset_id: Mapped[int] = parent_key("pl_assets")
    report_code: Mapped[str] = mapped_column(String(32), index=True)
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime)
