"""Import of infrastructure assets (street lights, drainage, …): inserted or updated by
code, each placed in its commune and owned by an agency the importer writes for."""

from __future__ import annotations

import json
from typing import Any

import shapely
from shapely.geometry import Point
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import audit, clock
from ioc.core.models import Agency
from ioc.core.ownership import WriteScope
from ioc.engines.geo import locate
from ioc.engines.geo.locate import GeoError
from ioc.packs.planning.models import PlAsset
from ioc.packs.planning.service.features import (
    KIND_ALIASES,
    KINDS,
    STATUS_ALIASES,
    STATUSES,
    FeatureError,
    ImportResult,
    PlanningImportError,
    check_geometry,
    feature_properties,
    first_prop,
    read_features,
)

# Properties read into an asset's columns; the others (plain values) are kept as attributes.
_ASSET_PROPS = frozenset(
    {
        "ma",
        "code",
        "loai",
        "kind",
        "ten",
        "name",
        "don_vi_quan_ly",
        "agency",
        "trang_thai",
        "status",
    }
)


def _coded(
    n: int,
    code: str | None,
    field: str,
    raw: str,
    aliases: dict[str, str],
    allowed: dict[str, tuple[str, str]],
    vi: str,
    en_name: str,
    errors: list[FeatureError],
) -> str:
    """``raw`` (a code of ``allowed`` or a Vietnamese alias of one) as the code; a value that is
    neither is added to ``errors`` (``vi``, and "``en_name`` must be one of …")."""
    value = aliases.get(raw, raw)
    if value not in allowed:
        errors.append(
            FeatureError(n, code, field, vi, f"{en_name} must be one of {', '.join(allowed)}")
        )
    return value


def _owner(
    n: int,
    code: str | None,
    agency: str,
    agencies: set[str],
    scope: WriteScope,
    errors: list[FeatureError],
) -> None:
    """Add to ``errors`` an owner agency that does not exist or that the caller may not write
    for."""
    if agency not in agencies:
        errors.append(
            FeatureError(
                n,
                code,
                "don_vi_quan_ly",
                f"Đơn vị quản lý không có: {agency[:64] or '(trống)'}",
                "unknown owner agency",
            )
        )
    elif not scope.may_agency(agency):
        errors.append(
            FeatureError(
                n,
                code,
                "don_vi_quan_ly",
                f"Không được ghi tài sản của đơn vị khác: {agency}",
                "you may not write assets of another agency",
            )
        )


def _check_asset(
    session: Session,
    n: int,
    raw: Any,
    *,
    scope: WriteScope,
    agencies: set[str],
    default_agency: str | None,
    seen: dict[str, int],
    errors: list[FeatureError],
) -> dict[str, Any] | None:
    """Feature ``n`` as an asset row, or None with its problems added to ``errors``."""
    props = feature_properties(n, raw, errors)
    if props is None:
        return None
    before = len(errors)
    code_raw = first_prop(props, ("ma", "code"))
    code = str(code_raw).strip()[:64] if code_raw is not None else None
    if not code:
        errors.append(FeatureError(n, None, "ma", "Thiếu mã tài sản", "missing asset code"))
    elif code in seen:
        errors.append(
            FeatureError(
                n,
                code,
                "ma",
                f"Mã trùng với đối tượng {seen[code]}",
                f"code repeats feature {seen[code]}",
            )
        )
    kind_raw = str(first_prop(props, ("loai", "kind")) or "").strip()
    vi = f"Loại tài sản không hợp lệ: {kind_raw[:40] or '(trống)'}"
    kind = _coded(n, code, "loai", kind_raw, KIND_ALIASES, KINDS, vi, "kind", errors)
    status_raw = str(first_prop(props, ("trang_thai", "status")) or "working").strip()
    vi = f"Trạng thái không hợp lệ: {status_raw[:40]}"
    status = _coded(
        n, code, "trang_thai", status_raw, STATUS_ALIASES, STATUSES, vi, "status", errors
    )
    agency = str(first_prop(props, ("don_vi_quan_ly", "agency")) or default_agency or "").strip()
    _owner(n, code, agency, agencies, scope, errors)
    geom = check_geometry(n, code, raw.get("geometry"), ("Point", "LineString"), errors)
    area: str | None = None
    anchor: Point | None = None
    if geom is not None:
        anchor = geom if isinstance(geom, Point) else geom.interpolate(0.5, normalized=True)
        try:
            area = locate(session, anchor.y, anchor.x).code
        except GeoError as exc:
            errors.append(FeatureError(n, code, "geometry", exc.message, exc.en))
    if len(errors) > before or geom is None or anchor is None or not code:
        return None
    seen[code] = n
    name = str(first_prop(props, ("ten", "name")) or f"{KINDS[kind][0]} {code}").strip()[:300]
    extra = {
        k: v
        for k, v in props.items()
        if k not in _ASSET_PROPS and isinstance(v, str | int | float | bool)
    }
    return {
        "code": code,
        "kind": kind,
        "name": name,
        "agency_code": agency,
        "status": status,
        "area_code": area,
        "geom": geom,
        "lat": anchor.y,
        "lon": anchor.x,
        "attributes": extra,
    }


def import_assets(
    session: Session,
    actor: audit.Actor,
    scope: WriteScope,
    data: bytes | str,
    default_agency: str | None,
) -> ImportResult:
    """Validate every feature, then insert or update the assets (by code). Each asset's owner
    agency must be one the caller writes for; its commune is placed from its point."""
    feats = read_features(data)
    agencies = set(session.execute(select(Agency.code)).scalars())
    errors: list[FeatureError] = []
    rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for n, raw in enumerate(feats, start=1):
        row = _check_asset(
            session,
            n,
            raw,
            scope=scope,
            agencies=agencies,
            default_agency=default_agency,
            seen=seen,
            errors=errors,
        )
        if row is not None:
            rows.append(row)
    if errors:
        raise PlanningImportError(errors)
    _store_assets(session, actor, scope, rows, seen)
    return ImportResult(assets=len(rows))


def _store_assets(
    session: Session,
    actor: audit.Actor,
    scope: WriteScope,
    rows: list[dict[str, Any]],
    seen: dict[str, int],
) -> None:
    """Insert or update the assets; refuses the whole file when one of them exists under an
    agency the caller may not write for."""
    existing = {
        a.code: a
        for a in session.execute(
            select(PlAsset).where(PlAsset.code.in_([r["code"] for r in rows]))
        ).scalars()
    }
    stale = [
        FeatureError(
            seen[c], c, "ma", f"Tài sản {c} thuộc đơn vị khác", "asset owned by another agency"
        )
        for c, a in existing.items()
        if not scope.may_agency(a.agency_code)
    ]
    if stale:
        raise PlanningImportError(stale)
    now = clock.now()
    for r in rows:
        asset = existing.get(r["code"])
        if asset is None:
            asset = PlAsset(code=r["code"])
            session.add(asset)
        geom = r.pop("geom")
        minx, miny, maxx, maxy = geom.bounds
        for key, value in r.items():
            setattr(asset, key, value)
        asset.geometry = json.dumps(shapely.geometry.mapping(geom))
        asset.min_lon, asset.min_lat, asset.max_lon, asset.max_lat = minx, miny, maxx, maxy
        asset.updated_at = now
        asset.updated_by = actor.label
    audit.record(session, actor, "planning.import_assets", "pl_asset", None, assets=len(rows))
    session.flush()
