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
from ioc.core.series import DAY, HOUR, day_bucket, month_bucket, next_month
from ioc.engines.ngsi_ld.entities import (
    DEFAULT_TENANT,
    Ref,
    find,
    iso,
    shown_unit_code,
    shown_value,
)
from ioc.engines.ngsi_ld.models import NgsiAttrValue
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
    session: Session,
    registry: Registry,
    entity_id: str,
    tq: TemporalQuery,
    *,
    offset: int,
    tenant: str = DEFAULT_TENANT,
) -> dict[str, Any]:
    """The temporal representation of one entity (``offset``: local UTC offset, seconds)."""
    ref = find(session, registry, tenant, entity_id)
    if ref.info is None:
        return _generic(session, ref, tq, offset)
    info = ref.info
    assert ref.station is not None
    by_indicator = {ind: attr for attr, ind in info.mapping.attributes.items()}
    rows = session.execute(
        select(Series.id, Indicator.code, Indicator.unit)
        .join(Indicator, Indicator.id == Series.indicator_id)
        .where(
            Series.subject_kind == "entity",
            Series.subject_code == ref.station.code,
            Indicator.code.in_(sorted(by_indicator)),
        )
    ).all()
    meta = (ref.station.attributes or {}).get("ngsi-ld")
    measured = meta.get("measured") if isinstance(meta, dict) else None
    series: dict[str, tuple[int, str]] = {}
    for sid, indicator, unit in rows:
        attr = by_indicator[indicator]
        if measured is not None and attr not in measured:
            continue
        if tq.attrs is not None and attr not in tq.attrs:
            continue
        series[attr] = (sid, unit)
    out: dict[str, Any] = {"id": entity_id, "type": ref.type}
    conn = session.connection()
    for attr in info.mapping.attributes:
        if attr not in series:
            continue
        sid, unit = series[attr]
        unit_code = shown_unit_code(info, attr, unit)

        def shown(v: Any, attr: str = attr) -> Any:
            return shown_value(info, attr, float(v)) if isinstance(v, int | float) else v

        if tq.aggregated:
            aggr = _aggregate(session, sid, tq, offset)
            if aggr is not None:
                for method, buckets in aggr.items():
                    if method != "totalCount":
                        for bucket in buckets:
                            bucket[0] = shown(bucket[0])
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
        out[attr] = _instances([(int(ts), shown(v)) for ts, v in found], tq, unit_code)
    return out


def _instances(found: list[tuple[int, Any]], tq: TemporalQuery, unit_code: str | None) -> Any:
    if tq.values_only:
        return {"type": "Property", "values": [[v, iso(ts)] for ts, v in found]}
    instances = []
    for ts, v in found:
        item: dict[str, Any] = {"type": "Property", "value": v, "observedAt": iso(ts)}
        if unit_code:
            item["unitCode"] = unit_code
        instances.append(item)
    return instances


def _generic(session: Session, ref: Ref, tq: TemporalQuery, offset: int) -> dict[str, Any]:
    """A generic entity's history: its numeric Properties' values (``ngsi_attr_values``)."""
    assert ref.row is not None
    out: dict[str, Any] = {"id": ref.id, "type": ref.type}
    current = ref.row.attrs or {}
    names = sorted(
        set(
            session.execute(
                select(NgsiAttrValue.attr).where(NgsiAttrValue.entity_ref == ref.row.id).distinct()
            ).scalars()
        )
    )
    for attr in names:
        if tq.attrs is not None and attr not in tq.attrs:
            continue
        query = select(NgsiAttrValue.ts, NgsiAttrValue.value).where(
            NgsiAttrValue.entity_ref == ref.row.id,
            NgsiAttrValue.attr == attr,
            NgsiAttrValue.ts >= tq.lo,
            NgsiAttrValue.ts < tq.hi,
        )
        if tq.last_n is not None and not tq.aggregated:
            found = list(
                reversed(
                    session.execute(query.order_by(NgsiAttrValue.ts.desc()).limit(tq.last_n)).all()
                )
            )
        else:
            found = list(
                session.execute(query.order_by(NgsiAttrValue.ts).limit(MAX_INSTANCES * 10))
            )
        if not found:
            continue
        unit = (
            current.get(attr, {}).get("unitCode") if isinstance(current.get(attr), dict) else None
        )
        if tq.aggregated:
            out[attr] = {"type": "Property", **_aggregate_values(found, tq, offset)}
        else:
            out[attr] = _instances([(int(t), float(v)) for t, v in found], tq, unit)
    return out


def _aggregate_values(
    found: list[Any], tq: TemporalQuery, offset: int
) -> dict[str, list[list[Any]]]:
    """Aggregations computed from raw values (generic entities keep no rollups)."""
    resolution = PERIODS[tq.period]
    buckets: dict[int, list[float]] = {}
    for ts, value in found:
        if resolution == "hour":
            start = int(ts) - int(ts) % HOUR
        elif resolution == "day":
            start = day_bucket(int(ts), offset)
        elif resolution == "month":
            start = month_bucket(int(ts), offset)
        else:
            start = tq.lo if tq.lo != MIN_TS else int(found[0][0])
        buckets.setdefault(start, []).append(float(value))
    items = sorted(buckets.items())
    if tq.last_n is not None:
        items = items[-tq.last_n :]
    out: dict[str, list[list[Any]]] = {m: [] for m in tq.methods}
    for start, values in items:
        if resolution == "hour":
            end = start + HOUR
        elif resolution == "day":
            end = start + DAY
        elif resolution == "month":
            end = next_month(start, offset)
        else:
            end = tq.hi if tq.hi != MAX_TS else int(found[-1][0])
        agg = _methods(len(values), sum(values), min(values), max(values), tq.methods)
        for m, v in agg.items():
            out[m].append([v, iso(start), iso(end)])
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
