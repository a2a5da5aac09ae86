"""Indicator catalogs (danh mục chỉ tiêu): one YAML data file per pack, synced into the database."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import yaml_text
from ioc.core.freshness import SAMPLED, interval_seconds
from ioc.core.models import Indicator

AGGREGATIONS = {"avg", "sum", "min", "max", "last"}
DIRECTIONS = {"higher", "lower", "none"}
TIME_LABELS = {"start", "end"}
# Submitted indicators (engines.submissions): which areas a value is given for, and the owner
# value meaning "each commune/ward People's Committee reports its own area".
AREA_LEVELS = {"province", "commune"}
COMMUNE_COMMITTEES = "commune_committees"


@dataclass(frozen=True)
class IndicatorSpec:
    """One catalog entry, validated."""

    code: str
    pack: str
    name_vi: str
    name_en: str
    unit: str
    aggregation: str
    frequency: str
    direction: str
    time_label: str
    min_value: float | None
    max_value: float | None
    derived: bool
    description: str
    # Optional, for figures agencies submit (ioc.engines.submissions); not stored in the
    # ``indicators`` table. ``owner_agency``: code of the agency that submits the values
    # (agencies table) or ``commune_committees``; ``area_level``: one value for the province
    # or one per current commune/ward; ``jump_factor``: relative change against the last
    # period that needs confirmation (overrides the engine's setting); ``forecast``: how the
    # year end is estimated, ``run_rate`` (year to date ÷ months × 12, the default for sums)
    # or ``level`` (the year-to-date figure, the default otherwise).
    owner_agency: str | None = None
    area_level: str = "province"
    jump_factor: float | None = None
    forecast: str | None = None


def load_catalog(package: str, pack: str, filename: str = "indicators.yaml") -> list[IndicatorSpec]:
    """Read and validate ``filename`` shipped in ``package`` (a pack's folder)."""
    raw: Any = yaml_text.load((files(package) / filename).read_text(encoding="utf-8"))
    specs: list[IndicatorSpec] = []
    for i, item in enumerate(raw.get("indicators", []), start=1):
        where = f"{package}/{filename} entry {i}"
        try:
            spec = IndicatorSpec(
                code=str(item["code"]),
                pack=pack,
                name_vi=str(item["name_vi"]),
                name_en=str(item["name_en"]),
                unit=str(item["unit"]),
                aggregation=str(item.get("aggregation", "avg")),
                frequency=str(item["frequency"]),
                direction=str(item.get("direction", "lower")),
                time_label=str(item.get("time_label", "start")),
                min_value=_number(item.get("min_value"), f"{where}: min_value"),
                max_value=_number(item.get("max_value"), f"{where}: max_value"),
                derived=bool(item.get("derived", False)),
                description=str(item.get("description", "")),
                owner_agency=str(item["owner_agency"]) if item.get("owner_agency") else None,
                area_level=str(item.get("area_level", "province")),
                jump_factor=_number(item.get("jump_factor"), f"{where}: jump_factor"),
                forecast=str(item["forecast"]) if item.get("forecast") else None,
            )
        except KeyError as exc:
            raise ValueError(f"{where}: missing field {exc.args[0]}") from exc
        if spec.aggregation not in AGGREGATIONS:
            raise ValueError(f"{where}: aggregation must be one of {sorted(AGGREGATIONS)}")
        if spec.direction not in DIRECTIONS:
            raise ValueError(f"{where}: direction must be one of {sorted(DIRECTIONS)}")
        if interval_seconds(spec.frequency, 1) is None:
            raise ValueError(
                f"{where}: frequency must be an ISO 8601 duration (PT5M, PT1H, P1D, P1W, P1M, "
                f"P3M, P1Y) or {SAMPLED}"
            )
        if spec.time_label not in TIME_LABELS:
            raise ValueError(f"{where}: time_label must be start or end")
        if spec.forecast not in (None, "run_rate", "level"):
            raise ValueError(f"{where}: forecast must be run_rate or level")
        if spec.area_level not in AREA_LEVELS:
            raise ValueError(f"{where}: area_level must be one of {sorted(AREA_LEVELS)}")
        specs.append(spec)
    return specs


def _number(value: Any, where: str) -> float | None:
    # YAML 1.1 reads "1e+09" as a string; accept it, but refuse anything that is not a number.
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where} must be a number, not {value!r}") from exc


# Spec fields that are columns of ``indicators`` (submission fields live only in the catalog).
_INDICATOR_COLUMNS = frozenset(Indicator.__table__.columns.keys())


def sync_catalog(session: Session, specs: list[IndicatorSpec]) -> int:
    """Insert or update the indicators of a catalog; returns how many rows changed."""
    existing = {
        ind.code: ind
        for ind in session.execute(
            select(Indicator).where(Indicator.code.in_([s.code for s in specs]))
        ).scalars()
    }
    changed = 0
    for spec in specs:
        values = {k: v for k, v in spec.__dict__.items() if k != "code" and k in _INDICATOR_COLUMNS}
        ind = existing.get(spec.code)
        if ind is None:
            session.add(Indicator(code=spec.code, **values))
            changed += 1
            continue
        for key, value in values.items():
            if getattr(ind, key) != value:
                setattr(ind, key, value)
                changed += 1
    session.flush()
    return changed
