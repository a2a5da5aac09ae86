"""Open downloads of a public dataset as CSV, XLSX, GeoJSON (located datasets) and JSON, each
carrying its licence (in the document for JSON/GeoJSON/XLSX, in a ``Link: rel="license"``
header for every format). Rows go through :func:`privacy.scrub` first."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from ioc.core import clock
from ioc.core.registry import DatasetRows, DatasetSpec
from ioc.engines.exports import CSV_MIME, XLSX_MIME, Table, to_csv, to_xlsx
from ioc.packs.open_data import licences, privacy

FORMATS: dict[str, tuple[str, str]] = {
    "csv": ("CSV", CSV_MIME),
    "xlsx": ("XLSX", XLSX_MIME),
    "geojson": ("GeoJSON", "application/geo+json"),
    "json": ("JSON", "application/json"),
}


def formats_of(spec: DatasetSpec, data: DatasetRows | None = None) -> list[str]:
    """The download formats of ``spec`` (GeoJSON only when its rows are located)."""
    if spec.rows is None:
        return []
    located = spec.located if data is None else bool(data.geometry_column or data.lat_column)
    return [f for f in FORMATS if f != "geojson" or located]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _licence(spec: DatasetSpec) -> dict[str, str]:
    return {
        "id": spec.licence,
        "title": licences.title(spec.licence),
        "url": licences.url(spec.licence),
    }


def render(spec: DatasetSpec, data: DatasetRows, fmt: str, base_url: str) -> bytes:
    """The dataset's rows in ``fmt`` (already scrubbed by the caller)."""
    notes = [
        f"Giấy phép / licence: {licences.title(spec.licence)} {licences.url(spec.licence)}".strip(),
        f"Nguồn / source: Trung tâm IOC tỉnh Đắk Lắk — {base_url}/open-data/{spec.code}",
        f"Cập nhật / generated: {clock.now().isoformat(timespec='seconds')}",
    ]
    if fmt == "csv":
        return to_csv(Table(spec.title_vi, list(data.columns), [list(r) for r in data.rows]))
    if fmt == "xlsx":
        return to_xlsx(
            Table(spec.title_vi, list(data.columns), [list(r) for r in data.rows], notes)
        )
    meta = {
        "dataset": spec.code,
        "title": spec.title_vi,
        "title_en": spec.title_en,
        "license": _licence(spec),
        "attribution": "Trung tâm Giám sát, điều hành đô thị thông minh tỉnh Đắk Lắk",
        "generated_at": clock.now().isoformat(timespec="seconds"),
    }
    if fmt == "json":
        records = [
            {c: _plain(v) for c, v in zip(data.columns, row, strict=True)} for row in data.rows
        ]
        return json.dumps(
            {**meta, "columns": list(data.columns), "records": records}, ensure_ascii=False
        ).encode()
    if fmt == "geojson":
        features: list[dict[str, Any]] = []
        idx = {c: i for i, c in enumerate(data.columns)}
        for row in data.rows:
            geometry: Any = None
            if data.geometry_column and data.geometry_column in idx:
                geometry = row[idx[data.geometry_column]]
            elif data.lat_column in idx and data.lon_column in idx:
                lat = row[idx[str(data.lat_column)]]
                lon = row[idx[str(data.lon_column)]]
                if lat is not None and lon is not None:
                    geometry = {"type": "Point", "coordinates": [lon, lat]}
            if geometry is None:
                continue
            props = {
                c: _plain(v)
                for c, v in zip(data.columns, row, strict=True)
                if c not in (data.geometry_column, data.lat_column, data.lon_column)
            }
            features.append({"type": "Feature", "geometry": geometry, "properties": props})
        return json.dumps(
            {"type": "FeatureCollection", **meta, "features": features}, ensure_ascii=False
        ).encode()
    raise ValueError(fmt)


def rows_for(spec: DatasetSpec, session: Any) -> DatasetRows:
    """The scrubbed rows of ``spec``."""
    assert spec.rows is not None
    return privacy.scrub(spec.rows(session))
