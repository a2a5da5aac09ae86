"""The catalogue: every dataset the IOC holds, as :class:`Entry` objects.

Built from the registry: each pack's indicator catalog becomes one dataset of series
(``<pack>-chi-tieu``), each pack's register of entities (stations, cameras, schools …) one
dataset of places (``<pack>-dia-diem``), the commune boundaries one more, and every dataset a
pack declares through ``PackManifest.datasets`` (field reports, dossiers, documents …) is added
as the pack describes it. Owners and titles of the generic datasets are data
(``catalogue.yaml``).
"""

from __future__ import annotations

import json
import re
import weakref
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import cache
from importlib.resources import files
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.core import clock, yaml_text
from ioc.core.freshness import interval_seconds
from ioc.core.indicators import IndicatorSpec
from ioc.core.models import Agency, Area, Entity, Indicator, RollupDay, RollupMonth, Series
from ioc.core.registry import DatasetQuality, DatasetRows, DatasetSpec, Registry, dataset_spec
from ioc.engines.geo import communes_geojson
from ioc.packs.open_data import quality

__all__ = ["Entry", "by_code", "entries", "load_config"]

CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{1,99}$")
ROW_DAYS = 31
ROW_MONTHS = 24
QualityFn = Callable[[Session, datetime], tuple[DatasetQuality, str, str]]


@dataclass(frozen=True)
class Entry:
    """One dataset of the catalogue: its description, and how its quality is measured
    (``measure`` returns the inputs and the frequency/time label they are judged by)."""

    spec: DatasetSpec
    kind: str  # series | entities | records | boundaries
    measure: QualityFn

    def figures(self, session: Session, now: datetime | None = None) -> quality.Figures:
        """The four quality figures at ``now``: reused within a request, and for
        ``IOC_TILE_CACHE_SECONDS`` across requests (0: computed on every request)."""
        now = now or clock.now()
        key = ("open_data.figures", self.spec.code, int(now.timestamp()) // 60)
        cached = session.info.get(key)
        if isinstance(cached, quality.Figures):
            return cached
        shared_key = (str(session.get_bind().engine.url), self.spec.code)
        result = quality.cached(shared_key)
        if result is None:
            inputs, frequency, label = self.measure(session, now)
            result = quality.figures(inputs, frequency, now, label)
            quality.keep(shared_key, result)
        session.info[key] = result
        return result


def temporal(entry: Entry, session: Session) -> tuple[date | None, date | None]:
    """The dataset's temporal coverage: first and last month with data for a dataset of
    series (from the month rollups), the declared start otherwise."""
    if entry.kind != "series" or not entry.spec.indicators:
        return entry.spec.temporal_start, None
    ids = (
        select(Series.id)
        .join(Indicator, Indicator.id == Series.indicator_id)
        .where(Indicator.code.in_(entry.spec.indicators))
    )
    low, high = session.execute(
        select(func.min(RollupMonth.bucket), func.max(RollupMonth.bucket)).where(
            RollupMonth.series_id.in_(ids)
        )
    ).one()
    zone = clock.local_zone()

    def day(ts: int | None) -> date | None:
        return None if ts is None else datetime.fromtimestamp(int(ts), tz=zone).date()

    last = day(high)
    if last is not None:  # the end of the last month with data
        following = last.replace(day=28) + timedelta(days=4)
        last = following - timedelta(days=following.day)
    return day(low) or entry.spec.temporal_start, last


@cache
def load_config() -> dict[str, Any]:
    """``catalogue.yaml``: owners, titles and public flags of the generic datasets."""
    raw = yaml_text.load(
        (files("ioc.packs.open_data") / "catalogue.yaml").read_text(encoding="utf-8")
    )
    return dict(raw)


def _slug(pack: str) -> str:
    return pack.replace("_", "-")


def _fastest(specs: list[IndicatorSpec]) -> tuple[str, str]:
    best: tuple[int, str, str] | None = None
    for s in specs:
        seconds = interval_seconds(s.frequency, 35)
        if seconds is not None and (best is None or seconds < best[0]):
            best = (seconds, s.frequency, s.time_label)
    return (best[1], best[2]) if best else ("P1D", "end")


SERIES_COLUMNS = (
    "indicator",
    "indicator_name",
    "unit",
    "period",
    "period_start",
    "subject_kind",
    "subject_code",
    "subject_name",
    "area_code",
    "value",
    "n",
    "lat",
    "lon",
)


def _series_rows(codes: list[str]) -> Callable[[Session], DatasetRows]:
    def rows(session: Session) -> DatasetRows:
        now_ts = int(clock.now().timestamp())
        inds = {
            i.id: i
            for i in session.execute(select(Indicator).where(Indicator.code.in_(codes))).scalars()
        }
        series = list(
            session.execute(select(Series).where(Series.indicator_id.in_(list(inds)))).scalars()
        )
        entity_codes = [s.subject_code for s in series if s.subject_kind == "entity"]
        entities = {
            e.code: e
            for e in session.execute(select(Entity).where(Entity.code.in_(entity_codes))).scalars()
        }
        areas = {
            a.code: a.name
            for a in session.execute(select(Area).where(Area.valid_to.is_(None))).scalars()
        }
        agencies = {a.code: a.name for a in session.execute(select(Agency)).scalars()}
        out: list[tuple[Any, ...]] = []
        for s in series:
            entity = entities.get(s.subject_code) if s.subject_kind == "entity" else None
            if s.subject_kind == "entity":
                name = entity.name if entity else s.subject_code
                area = entity.area_code if entity else None
            elif s.subject_kind == "area":
                name = areas.get(s.subject_code, s.subject_code)
                area = s.subject_code
            else:
                name = agencies.get(s.subject_code, s.subject_code)
                area = None
            out.extend(_bucket_rows(session, s, inds[s.indicator_id], now_ts, name, area, entity))
        return DatasetRows(columns=SERIES_COLUMNS, rows=out, lat_column="lat", lon_column="lon")

    return rows


def _bucket_rows(
    session: Session,
    s: Series,
    ind: Indicator,
    now_ts: int,
    name: str,
    area: str | None,
    entity: Entity | None,
) -> list[tuple[Any, ...]]:
    """The rows of one series (:data:`SERIES_COLUMNS`): its day rollups of the last
    ``ROW_DAYS`` days, or its month rollups of the last ``ROW_MONTHS`` months for an indicator
    reported less often than daily."""
    zone = clock.local_zone()
    seconds = interval_seconds(ind.frequency, 35) or 86400
    table: Any = RollupDay if seconds <= 86400 else RollupMonth
    since = now_ts - (ROW_DAYS * 86400 if seconds <= 86400 else ROW_MONTHS * 31 * 86400)
    buckets = session.execute(
        select(table).where(table.series_id == s.id, table.bucket >= since).order_by(table.bucket)
    ).scalars()
    return [
        (
            ind.code,
            ind.name_vi,
            ind.unit,
            "day" if table is RollupDay else "month",
            datetime.fromtimestamp(b.bucket, tz=zone).date().isoformat(),
            s.subject_kind,
            s.subject_code,
            name,
            area,
            round(_aggregate(ind.aggregation, b), 4),
            b.n,
            entity.lat if entity else None,
            entity.lon if entity else None,
        )
        for b in buckets
    ]


def _aggregate(aggregation: str, b: Any) -> float:
    if aggregation == "sum":
        return float(b.total)
    if aggregation == "min":
        return float(b.vmin)
    if aggregation == "max":
        return float(b.vmax)
    if aggregation == "last":
        return float(b.last_value)
    return float(b.total) / max(1, int(b.n))


def _entity_rows(types: tuple[str, ...]) -> Callable[[Session], DatasetRows]:
    def rows(session: Session) -> DatasetRows:
        found = session.execute(
            select(Entity).where(Entity.type.in_(types)).order_by(Entity.type, Entity.code)
        ).scalars()
        return DatasetRows(
            columns=("code", "type", "name", "area_code", "agency_code", "active", "lat", "lon"),
            rows=[
                (e.code, e.type, e.name, e.area_code, e.agency_code, e.active, e.lat, e.lon)
                for e in found
            ],
            lat_column="lat",
            lon_column="lon",
        )

    return rows


def _boundary_rows(session: Session) -> DatasetRows:
    doc = json.loads(communes_geojson(session))
    rows = [
        (
            f.get("properties", {}).get("code"),
            f.get("properties", {}).get("name"),
            bool(f.get("properties", {}).get("approximate", doc.get("approximate"))),
            f.get("geometry"),
        )
        for f in doc.get("features", [])
    ]
    return DatasetRows(
        columns=("code", "name", "approximate", "geometry"), rows=rows, geometry_column="geometry"
    )


def _boundary_quality(session: Session, now: datetime) -> tuple[DatasetQuality, str, str]:
    from ioc.engines.geo.models import CommuneBoundary

    current = list(
        session.execute(
            select(Area.code).where(Area.valid_to.is_(None), Area.level.in_(("commune", "ward")))
        ).scalars()
    )
    bounds = list(
        session.execute(select(CommuneBoundary).where(CommuneBoundary.valid_to.is_(None))).scalars()
    )
    drawn = {b.code for b in bounds}
    surveyed = {b.code for b in bounds if b.source == "imported"}
    latest = max((b.imported_at for b in bounds), default=None)
    return (
        DatasetQuality(
            latest=latest,
            expected=len(current) or None,
            present=len(drawn & set(current)),
            checked=len(current),
            passed=len(surveyed & set(current)),
        ),
        quality.IRREGULAR,
        "end",
    )


@dataclass(frozen=True)
class _PackConfig:
    """How ``catalogue.yaml`` describes a pack's generic datasets."""

    owner: str
    public: bool
    title_vi: str
    title_en: str
    tags: tuple[str, ...]
    slug: str


def _pack_config(pack_name: str, config: dict[str, Any]) -> _PackConfig:
    default_owner = str(config.get("organization_default", "trung-tam-ioc"))
    packs_cfg: dict[str, Any] = config.get("packs", {}) or {}
    cfg = packs_cfg.get(pack_name, {}) or {}
    return _PackConfig(
        owner=str(cfg.get("owner") or default_owner),
        public=bool(cfg.get("public", True)),
        title_vi=str(cfg.get("title_vi") or pack_name),
        title_en=str(cfg.get("title_en") or pack_name),
        tags=tuple(str(t) for t in cfg.get("tags", ()) or ()),
        slug=str(cfg.get("slug") or _slug(pack_name)),
    )


def _generic(registry: Registry) -> list[Entry]:
    config = load_config()
    out: list[Entry] = []
    for pack in registry.packs:
        specs = pack.indicators()
        cfg = _pack_config(pack.name, config)
        # The pack's own page shows these datasets (and carries their quality badges).
        href = pack.nav[0].href if pack.nav else ""
        if specs:
            out.append(_with_href(_series_entry(pack.name, specs, cfg), href))
        if pack.entity_types:
            entry = _places_entry(pack.name, tuple(pack.entity_types), specs, cfg)
            out.append(_with_href(entry, href))
    out.append(_boundaries_entry())
    return out


def _with_href(entry: Entry, href: str) -> Entry:
    """``entry`` with the page that shows its data."""
    return replace(entry, spec=replace(entry.spec, href=href)) if href else entry


def _series_entry(pack_name: str, specs: list[IndicatorSpec], cfg: _PackConfig) -> Entry:
    """``<pack>-chi-tieu``: the daily/monthly values of the pack's indicators."""
    codes = [s.code for s in specs]
    frequency, label = _fastest(specs)
    names_vi = ", ".join(s.name_vi for s in specs[:6]) + ("…" if len(specs) > 6 else "")
    names_en = ", ".join(s.name_en for s in specs[:6]) + ("…" if len(specs) > 6 else "")
    spec = DatasetSpec(
        code=f"{cfg.slug}-chi-tieu",
        pack=pack_name,
        title_vi=f"{cfg.title_vi}: số liệu chỉ tiêu",
        title_en=f"{cfg.title_en}: indicator values",
        description_vi=f"Giá trị theo ngày/tháng của {len(specs)} chỉ tiêu: {names_vi}",
        description_en=f"Daily/monthly values of {len(specs)} indicators: {names_en}",
        owner_agency=cfg.owner,
        frequency=frequency,
        public=cfg.public,
        tags=(*cfg.tags, "chi-tieu"),
        indicators=tuple(codes),
        located=True,
        rows=_series_rows(codes),
    )

    def measure(session: Session, now: datetime) -> tuple[DatasetQuality, str, str]:
        inputs, _f, _l = quality.series_quality(session, codes, now)
        return inputs, frequency, label

    return Entry(spec, "series", measure)


def _places_entry(
    pack_name: str, types: tuple[str, ...], specs: list[IndicatorSpec], cfg: _PackConfig
) -> Entry:
    """``<pack>-dia-diem``: the register of the pack's stations and places."""
    codes = [s.code for s in specs]
    frequency, label = _fastest(specs)
    spec = DatasetSpec(
        code=f"{cfg.slug}-dia-diem",
        pack=pack_name,
        title_vi=f"{cfg.title_vi}: danh mục trạm, điểm",
        title_en=f"{cfg.title_en}: stations and places",
        description_vi=(
            f"Danh mục trạm, điểm của lĩnh vực {cfg.title_vi.lower()}: mã, tên, vị trí, "
            "xã/phường, đơn vị quản lý."
        ),
        description_en=(
            f"Register of the {cfg.title_en.lower()} stations and places: code, name, "
            "location, commune, owner."
        ),
        owner_agency=cfg.owner,
        frequency=frequency,
        public=cfg.public,
        tags=(*cfg.tags, "dia-diem"),
        located=True,
        rows=_entity_rows(types),
    )

    def measure_entities(session: Session, now: datetime) -> tuple[DatasetQuality, str, str]:
        inputs, _f, _l = quality.entities_quality(session, types, codes, now)
        return inputs, frequency, label

    return Entry(spec, "entities", measure_entities)


def _boundaries_entry() -> Entry:
    """``ranh-gioi-xa-phuong``: the current commune and ward boundaries (``catalogue.yaml``)."""
    spec = dataset_spec("core", load_config()["boundaries"], rows=_boundary_rows)
    return Entry(spec, "boundaries", _boundary_quality)


def _declared(registry: Registry) -> list[Entry]:
    out: list[Entry] = []
    for pack in registry.packs:
        if pack.datasets is None:
            continue
        for spec in pack.datasets():
            if not CODE_RE.match(spec.code):
                raise ValueError(
                    f"dataset code {spec.code!r} of pack {pack.name} is not a CKAN name"
                )

            def measure(
                session: Session, now: datetime, spec: DatasetSpec = spec
            ) -> tuple[DatasetQuality, str, str]:
                if spec.quality is None:
                    return DatasetQuality(latest=None), quality.IRREGULAR, "end"
                return spec.quality(session, now), spec.frequency, "end"

            out.append(Entry(replace(spec, pack=spec.pack or pack.name), "records", measure))
    return out


# Built once per registry (a process has one; tests build many, hence weak references).
_CACHE: weakref.WeakKeyDictionary[Registry, list[Entry]] = weakref.WeakKeyDictionary()


def entries(registry: Registry) -> list[Entry]:
    """Every dataset of the catalogue (built once per registry)."""
    found = _CACHE.get(registry)
    if found is None:
        found = _generic(registry) + _declared(registry)
        seen: set[str] = set()
        for e in found:
            if e.spec.code in seen:
                raise ValueError(f"dataset code {e.spec.code} declared twice")
            seen.add(e.spec.code)
        _CACHE[registry] = found
    return found


def by_code(registry: Registry, code: str) -> Entry | None:
    """The dataset ``code``, if the catalogue has it."""
    return next((e for e in entries(registry) if e.spec.code == code), None)
