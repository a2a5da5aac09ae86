"""``GET /temporal/entities/{id}``: the history of an entity's measured attributes.

Instances come from ``observations`` (values of bad quality excluded, as in the rollups);
aggregations come from the hour/day/month rollups (``PT1H``, ``P1D`` = local day, ``P1M`` =
local month) or, for ``PT0S``, from one aggregate over the whole requested range.

Time ranges: ``before`` = observedAt < timeAt; ``after`` = observedAt ≥ timeAt; ``between`` =
timeAt ≤ observedAt < endTimeAt. A rollup bucket is in the range when its start is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ioc.core.models import Indicator, Series
from ioc.core.registry import Registry
from ioc.core.series import DAY, HOUR, next_month
from ioc.engines.ngsi_ld.entities import UNIT_CODES, find_entity, iso
from ioc.engines.ngsi_ld.problems import NgsiError, bad_request

AGGR_METHODS = ("totalCount", "sum", "avg", "min", "max")
UNSUPPORTED_METHODS = ("distinctCount", "stddev", "sumsq")
PERIODS = {"PT1H": "hour", "P1D": "day", "P1M": "month", "PT0S": "all"}
MAX_INSTANCES = 10_000
MIN_TS = -(2**62)
MAX_TS = 2**62


@dataclass(frozen=True)
class TemporalQuery:
    """The parameters of a temporal request, checked."""

    attrs: frozenset[str] | None = None
    lo: int = MIN_TS  # inclusive
    hi: int = MAX_TS  # exclusive
    last_n: int | None = None
    values_only: bool = False  # options=temporalValues
    aggregated: bool = False  # options=aggregatedValues
    methods: tuple[str, ...] = ()
    period: str = "PT0S"


def parse_time(value: str, name: str) -> int:
    """An NGSI-LD DateTime as UNIX seconds (a time zone is required)."""
    try:
        dt = datetime.fromisoformat(value)
    except ValueError as exc:
        raise bad_request(f"{name}: not an ISO 8601 DateTime: {value!r}") from exc
    if dt.tzinfo is None:
        raise bad_request(f"{name}: needs a time zone (Z or +07:00)")
    return int(dt.timestamp())


def parse_params(params: Mapping[str, str]) -> TemporalQuery:
    """Read timerel/timeAt/endTimeAt/lastN/options/format/aggrMethods/aggrPeriodDuration/attrs."""
    timerel = params.get("timerel")
    time_at = params.get("timeAt")
    end_time_at = params.get("endTimeAt")
    prop = params.get("timeproperty", "observedAt")
    if prop != "observedAt":
        raise bad_request("timeproperty: only observedAt is supported")
    lo, hi = MIN_TS, MAX_TS
    if timerel is not None:
        if time_at is None:
            raise bad_request("timeAt: required with timerel")
        t = parse_time(time_at, "timeAt")
        if timerel == "before":
            hi = t
        elif timerel == "after":
            lo = t
        elif timerel == "between":
            if end_time_at is None:
                raise bad_request("endTimeAt: required with timerel=between")
            lo, hi = t, parse_time(end_time_at, "endTimeAt")
            if hi <= lo:
                raise bad_request("endTimeAt: must be after timeAt")
        else:
            raise bad_request("timerel: must be before, after or between")
    elif time_at is not None or end_time_at is not None:
        raise bad_request("timerel: required with timeAt")
    last_n: int | None = None
    if params.get("lastN") is not None:
        try:
            last_n = int(params["lastN"])
        except ValueError as exc:
            raise bad_request("lastN: must be a positive integer") from exc
        if last_n < 1:
            raise bad_request("lastN: must be a positive integer")
    options = {o.strip() for o in params.get("options", "").split(",") if o.strip()}
    fmt = params.get("format")
    if fmt is not None:
        options.add(fmt)
    aggregated = "aggregatedValues" in options
    values_only = "temporalValues" in options
    if aggregated and values_only:
        raise bad_request("options: temporalValues and aggregatedValues exclude each other")
    methods: tuple[str, ...] = ()
    period = params.get("aggrPeriodDuration", "PT0S")
    if aggregated:
        names = [m.strip() for m in params.get("aggrMethods", "").split(",") if m.strip()]
        if not names:
            raise bad_request("aggrMethods: required with aggregatedValues")
        for name in names:
            if name in UNSUPPORTED_METHODS:
                raise NgsiError("OperationNotSupported", f"aggrMethods: {name} is not supported")
            if name not in AGGR_METHODS:
                raise bad_request(f"aggrMethods: unknown method {name}")
        methods = tuple(dict.fromkeys(names))
        if period not in PERIODS:
            raise bad_request(
                f"aggrPeriodDuration: {period} not supported (use {', '.join(PERIODS)})"
            )
    attrs_raw = params.get("attrs")
    attrs = frozenset(a.strip() for a in attrs_raw.split(",") if a.strip()) if attrs_raw else None
    return TemporalQuery(attrs, lo, hi, last_n, values_only, aggregated, methods, period)


def temporal_entity(
    session: Session, registry: Registry, entity_id: str, tq: TemporalQuery, *, offset: int
) -> dict[str, Any]:
    """The temporal representation of one entity (``offset``: local UTC offset, seconds)."""
    entity, info = find_entity(session, registry, entity_id)
    by_indicator = {ind: attr for attr, ind in info.mapping.attributes.items()}
    rows = session.execute(
        select(Series.id, Indicator.code, Indicator.unit)
        .join(Indicator, Indicator.id == Series.indicator_id)
        .where(
            Series.subject_kind == "entity",
            Series.subject_code == entity.code,
            Indicator.code.in_(sorted(by_indicator)),
        )
    ).all()
    meta = (entity.attributes or {}).get("ngsi-ld")
    measured = meta.get("measured") if isinstance(meta, dict) else None
    series: dict[str, tuple[int, str]] = {}
    for sid, indicator, unit in rows:
        attr = by_indicator[indicator]
        if measured is not None and attr not in measured:
            continue
        if tq.attrs is not None and attr not in tq.attrs:
            continue
        series[attr] = (sid, unit)
    out: dict[str, Any] = {"id": entity_id, "type": info.name}
    conn = session.connection()
    for attr in info.mapping.attributes:
        if attr not in series:
            continue
        sid, unit = series[attr]
        unit_code = UNIT_CODES.get(unit)
        if tq.aggregated:
            aggr = _aggregate(session, sid, tq, offset)
            if aggr is not None:
                out[attr] = {"type": "Property", **aggr}
            continue
        params = {"sid": sid, "lo": tq.lo, "hi": tq.hi}
        if tq.last_n is not None:
            found = conn.execute(
                text(
                    "SELECT ts, value FROM observations WHERE series_id = :sid AND ts >= :lo "
                    "AND ts < :hi AND quality < 2 ORDER BY ts DESC LIMIT :n"
                ),
                {**params, "n": tq.last_n},
            ).all()
            found = list(reversed(found))
        else:
            found = conn.execute(
                text(
                    "SELECT ts, value FROM observations WHERE series_id = :sid AND ts >= :lo "
                    "AND ts < :hi AND quality < 2 ORDER BY ts LIMIT :n"
                ),
                {**params, "n": MAX_INSTANCES},
            ).all()
        if not found:
            continue
        if tq.values_only:
            out[attr] = {"type": "Property", "values": [[v, iso(ts)] for ts, v in found]}
        else:
            instances = []
            for ts, v in found:
                item: dict[str, Any] = {"type": "Property", "value": v, "observedAt": iso(ts)}
                if unit_code:
                    item["unitCode"] = unit_code
                instances.append(item)
            out[attr] = instances
    return out


def _methods(
    n: int, total: float, vmin: float, vmax: float, methods: tuple[str, ...]
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "totalCount": n,
        "sum": total,
        "avg": total / n if n else None,
        "min": vmin,
        "max": vmax,
    }
    return {m: values[m] for m in methods}


_TABLES = {"hour": "rollup_hour", "day": "rollup_day", "month": "rollup_month"}


def _aggregate(
    session: Session, sid: int, tq: TemporalQuery, offset: int
) -> dict[str, list[list[Any]]] | None:
    conn = session.connection()
    resolution = PERIODS[tq.period]
    out: dict[str, list[list[Any]]] = {m: [] for m in tq.methods}
    if resolution == "all":
        row = conn.execute(
            text(
                "SELECT count(*), sum(value), min(value), max(value), min(ts), max(ts) "
                "FROM observations WHERE series_id = :sid AND ts >= :lo AND ts < :hi "
                "AND quality < 2"
            ),
            {"sid": sid, "lo": tq.lo, "hi": tq.hi},
        ).one()
        n = int(row[0])
        if n == 0:
            return None
        start = tq.lo if tq.lo != MIN_TS else int(row[4])
        end = tq.hi if tq.hi != MAX_TS else int(row[5])
        for m, v in _methods(n, float(row[1]), float(row[2]), float(row[3]), tq.methods).items():
            out[m].append([v, iso(start), iso(end)])
        return out
    table = _TABLES[resolution]
    order = "DESC" if tq.last_n is not None else "ASC"
    buckets = conn.execute(
        text(
            f"SELECT bucket, n, total, vmin, vmax FROM {table} "  # noqa: S608 - fixed names
            f"WHERE series_id = :sid AND bucket >= :lo AND bucket < :hi ORDER BY bucket {order} "
            "LIMIT :n"
        ),
        {"sid": sid, "lo": tq.lo, "hi": tq.hi, "n": tq.last_n or MAX_INSTANCES},
    ).all()
    if tq.last_n is not None:
        buckets = list(reversed(buckets))
    if not buckets:
        return None
    for start, n, total, vmin, vmax in buckets:
        if resolution == "hour":
            end = start + HOUR
        elif resolution == "day":
            end = start + DAY
        else:
            end = next_month(start, offset)
        for m, v in _methods(int(n), float(total), float(vmin), float(vmax), tq.methods).items():
            out[m].append([v, iso(start), iso(end)])
    return out


__all__ = ["TemporalQuery", "parse_params", "temporal_entity"]
