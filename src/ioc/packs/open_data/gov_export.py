"""Export of the province's indicator values for the Government reporting system.

The official interface is not public, so the IOC defines its own documented JSON
(``docs/open_data.md``), one document per period (``YYYY-MM``, ``YYYY-Qn`` or ``YYYY``), keyed
by the IOC's indicator code, each entry with unit, period and value, and the official code,
unit and conversion factor taken from ``gov_codes.yaml`` (data, not code).

A value is the province's (series of area ``66``), read from the month rollups of the months
the period covers and combined by the indicator's aggregation (sum: total; avg: mean of all
values; min/max; last: the latest). An indicator reported less often than the period (a yearly
figure in a month's export) is left out; an indicator without a value is listed with
``value: null`` so a missing figure is visible rather than silent.
"""

from __future__ import annotations

from datetime import UTC
from functools import cache
from importlib.resources import files
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import clock, yaml_text
from ioc.core.figures import offset
from ioc.core.freshness import interval_seconds
from ioc.core.models import Indicator, Series
from ioc.core.registry import Registry
from ioc.core.series import read_rollups
from ioc.engines.submissions.periods import Period, parse_period

SCHEMA = "ioc-bao-cao-chinh-phu/1"
PROVINCE = "66"
PERIOD_SECONDS = {"P1M": 31 * 86400, "P3M": 92 * 86400, "P1Y": 366 * 86400}


@cache
def mapping() -> dict[str, dict[str, Any]]:
    """``gov_codes.yaml``: IOC code -> official code, unit and factor."""
    raw = yaml_text.load(
        (files("ioc.packs.open_data") / "gov_codes.yaml").read_text(encoding="utf-8")
    )
    return {str(k): dict(v) for k, v in (raw.get("codes") or {}).items()}


def _combine(aggregation: str, buckets: list[Any]) -> float | None:
    if not buckets:
        return None
    if aggregation == "sum":
        return float(sum(b.mean * b.n for b in buckets))
    if aggregation == "min":
        return float(min(b.vmin for b in buckets))
    if aggregation == "max":
        return float(max(b.vmax for b in buckets))
    if aggregation == "last":
        return float(buckets[-1].last)
    n = sum(b.n for b in buckets)
    return float(sum(b.mean * b.n for b in buckets) / n) if n else None


def export(session: Session, registry: Registry, period_text: str) -> dict[str, Any]:
    """The export document of ``period_text`` (raises ``PeriodError`` for a bad period)."""
    period: Period = parse_period(period_text)
    off = offset()
    lo = period.ts(off)
    hi = period.next().ts(off)
    length = PERIOD_SECONDS[period.frequency]
    specs = {s.code: s for pack in registry.packs for s in pack.indicators()}
    inds = {
        i.code: i
        for i in session.execute(select(Indicator).where(Indicator.code.in_(list(specs)))).scalars()
    }
    series = {
        ind_id: sid
        for sid, ind_id in session.execute(
            select(Series.id, Series.indicator_id).where(
                Series.subject_kind == "area", Series.subject_code == PROVINCE
            )
        )
    }
    wanted = {code: series[i.id] for code, i in inds.items() if i.id in series}
    buckets = read_rollups(session.connection(), "month", wanted.values(), lo, hi)
    codes = mapping()
    out: dict[str, Any] = {}
    for code in sorted(specs):
        spec = specs[code]
        ind = inds.get(code)
        seconds = interval_seconds(spec.frequency, 35)
        if ind is None or seconds is None or seconds > length:
            continue
        if spec.derived and code not in codes:
            continue
        if code not in wanted and code not in codes:
            continue
        value = _combine(spec.aggregation, buckets.get(wanted.get(code, -1), []))
        official = codes.get(code, {})
        factor = float(official.get("factor", 1))
        out[code] = {
            "name_vi": spec.name_vi,
            "name_en": spec.name_en,
            "unit": spec.unit,
            "period": period.key,
            "value": None if value is None else round(value, 6),
            "aggregation": spec.aggregation,
            "frequency": spec.frequency,
            "owner_agency": spec.owner_agency,
            "official_code": official.get("official_code"),
            "official_unit": official.get("official_unit"),
            "official_value": None if value is None or not official else round(value * factor, 6),
        }
    return {
        "schema": SCHEMA,
        "province": {"code": PROVINCE, "name": "Tỉnh Đắk Lắk"},
        "period": {
            "key": period.key,
            "kind": {"P1M": "month", "P3M": "quarter", "P1Y": "year"}[period.frequency],
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "label_vi": period.label("vi"),
        },
        "generated_at": clock.now().astimezone(UTC).isoformat(timespec="seconds"),
        "indicators": out,
        "unmapped": sorted(c for c in out if not out[c]["official_code"]),
    }
