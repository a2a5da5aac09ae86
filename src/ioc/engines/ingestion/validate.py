"""Validate raw rows into series observations, naming the row and field of every problem."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ioc.core import clock
from ioc.core.models import Indicator
from ioc.core.registry import UnitConverter
from ioc.core.series import QUALITY_CODES, SeriesInfo, SeriesResolver
from ioc.engines.ingestion.cell_groups import distinct_keys, group_cells
from ioc.engines.ingestion.parse import RawRow

# (vi, en) message per error code; the code is stable for machines, the text is for people.
MESSAGES: dict[str, tuple[str, str]] = {
    "required": ("thiếu giá trị bắt buộc", "required value is missing"),
    "unknown_indicator": ("chỉ tiêu không có trong danh mục", "indicator not in the catalog"),
    "unknown_entity": ("không có đối tượng (trạm) mã này", "no entity (station) with this code"),
    "unknown_area": ("không có đơn vị hành chính mã này", "no administrative unit with this code"),
    "entity_and_area": (
        "chỉ ghi một trong hai: entity hoặc area",
        "give exactly one of entity or area",
    ),
    "bad_time": (
        "thời gian phải theo ISO 8601, ví dụ 2026-03-01T08:00:00+07:00",
        "time must be ISO 8601, e.g. 2026-03-01T08:00:00+07:00",
    ),
    "missing_offset": (
        "thời gian thiếu múi giờ (+07:00 hoặc Z)",
        "time has no UTC offset (+07:00 or Z)",
    ),
    "time_out_of_range": (
        f"thời gian ngoài khoảng cho phép {clock.RANGE_TEXT}",
        f"time outside the accepted range {clock.RANGE_TEXT}",
    ),
    "bad_number": ("giá trị không phải là số", "value is not a number"),
    "not_finite": ("giá trị không hữu hạn (NaN/Infinity)", "value is not finite (NaN/Infinity)"),
    "out_of_range": ("giá trị ngoài khoảng hợp lý {lo} – {hi}", "value outside {lo} – {hi}"),
    "bad_quality": (
        "chất lượng phải là good, suspect, bad (hoặc 0, 1, 2)",
        "quality must be good, suspect, bad (or 0, 1, 2)",
    ),
    "bad_unit": ("đơn vị không chuyển đổi được: {detail}", "unit cannot be converted: {detail}"),
    "not_object": ("mỗi dòng phải là một đối tượng JSON", "each row must be a JSON object"),
    "extra_cells": ("dòng có nhiều ô hơn tiêu đề", "row has more cells than the header"),
    "unknown_field": ("trường không hợp lệ: {detail}", "unknown field: {detail}"),
    "duplicate_in_batch": (
        "trùng chỉ tiêu, đối tượng và thời gian với dòng {other}; giá trị dòng {other} được lưu",
        "same indicator, subject and time as row {other}; the value of row {other} is kept",
    ),
    "older_than_retention": (
        "thời gian trước {since}: dữ liệu gốc cũ hơn không còn được lưu",
        "time is before {since}: raw readings older than that are no longer kept",
    ),
    "derived_indicator": (
        "chỉ tiêu này được hệ thống tính, không nhận dữ liệu trực tiếp",
        "this indicator is computed by the IOC and cannot be sent",
    ),
}

ALLOWED_FIELDS = {"indicator", "entity", "area", "time", "value", "quality", "unit"}

_KEY = itemgetter(0, 1)  # (series id, time) of a stored row


@dataclass(frozen=True)
class RowError:
    """One problem: row number, field, stable code, Vietnamese and English text."""

    row: int
    field: str
    code: str
    message: str
    message_en: str

    def as_dict(self) -> dict[str, Any]:
        """JSON shape of the error."""
        return {
            "row": self.row,
            "field": self.field,
            "code": self.code,
            "message": self.message,
            "message_en": self.message_en,
        }


def _err(row: int, field: str, code: str, **fmt: Any) -> RowError:
    vi, en = MESSAGES[code]
    return RowError(row, field, code, vi.format(**fmt), en.format(**fmt))


@dataclass
class Lookups:
    """What validation needs, loaded once per batch."""

    indicators: dict[str, Indicator]
    entity_codes: set[str]
    area_codes: set[str]
    converters: dict[str, UnitConverter]
    # The oldest time accepted (UNIX seconds) when raw-data retention is on: an older reading
    # would recompute a rollup from raw data that is gone (ioc.core.partitions).
    earliest: int | None = None


@dataclass
class Validated:
    """Rows ready for the store and the problems found."""

    rows: list[tuple[int, int, float, int]]
    label_end: dict[int, bool]
    errors: list[RowError]
    series: dict[int, SeriesInfo]
    # The input row number of each entry of ``rows`` (same order).
    numbers: list[int] = field(default_factory=list)
    # True when no two entries of ``rows`` are known to share (series, time); False: not known.
    distinct: bool = False

    def duplicates(self) -> list[RowError]:
        """Rows that name the same series and time as a later row of the batch: the later
        row wins (as a re-send would), and each replaced row is named so the sender knows."""
        if self.distinct:
            return []
        # The last row number of each (series, time), built in one pass at C speed.
        last = dict(zip(map(_KEY, self.rows), self.numbers, strict=True))
        if len(last) == len(self.rows):
            return []
        return [
            _err(number, "time", "duplicate_in_batch", other=last[(row[0], row[1])])
            for number, row in zip(self.numbers, self.rows, strict=True)
            if last[(row[0], row[1])] != number
        ]


def validate_rows(rows: list[RawRow], lookups: Lookups, resolver: SeriesResolver) -> Validated:
    """Check each row; good rows become ``(series_id, ts, value, quality)``.

    Column-wise: the batch is read as columns, and each column is checked as a whole. A batch
    names few distinct (indicator, entity, area, unit, quality) cell sets — 10,000 rows of a
    station network carry a few dozen — and few distinct times, so each distinct cell set is
    checked once (its series resolved once) and each distinct time parsed once; the values are
    then checked in one vectorised pass (finite, within the indicator's bounds). A row that is
    not plain (an error, a unit to convert, a number written as text) takes the full per-row
    check, which names every problem exactly as before.
    """
    out = Validated(rows=[], label_end={}, errors=[], series={})
    if not rows:
        return out
    parsed: dict[str, int | str] = {}
    plan = _plan_columns(rows, lookups)
    slow: list[int]
    fast: list[int] = []
    if plan is None:
        slow = list(range(len(rows)))
    else:
        ok, cidx, tarr, varr, cells = plan
        good = np.flatnonzero(ok)
        slow = np.flatnonzero(~ok).tolist()
        fast = good.tolist()
        if fast:
            gidx = cidx[good]
            used = [cells[i] for i in np.flatnonzero(np.bincount(gidx)).tolist()]
            _resolve_cells([c for c in used if c is not None], resolver, out)
            sid_of = np.zeros(len(cells), dtype=np.int64)
            q_of = np.zeros(len(cells), dtype=np.int64)
            for i, c in enumerate(cells):
                if c is not None and c.series_id is not None:
                    sid_of[i], q_of[i] = c.series_id, c.quality
            sids, times = sid_of[gidx], tarr[good]
            out.distinct = distinct_keys(sids, times)
            out.rows = list(
                zip(
                    sids.tolist(),
                    times.tolist(),
                    varr[good].tolist(),
                    q_of[gidx].tolist(),
                    strict=True,
                )
            )
            numbers = list(map(itemgetter(0), rows))
            out.numbers = numbers if len(fast) == len(rows) else [numbers[i] for i in fast]
    if not slow:
        return _refuse_before(out, lookups.earliest)
    # The full check, in row order (errors are listed in row order).
    extra: list[tuple[int, tuple[int, int, float, int]]] = []
    for i in slow:
        checked = _check_row(rows[i], lookups, resolver, parsed, out)
        if checked is not None:
            extra.append((i, checked))
    if extra:
        out.distinct = False  # not checked for the rows of the full check
        # Merge in input order: a later row of the same series and time wins.
        merged = sorted(
            [
                *zip(fast, zip(out.numbers, out.rows, strict=True), strict=True),
                *((i, (rows[i].number, row)) for i, row in extra),
            ],
            key=itemgetter(0),
        )
        out.numbers = [m[1][0] for m in merged]
        out.rows = [m[1][1] for m in merged]
    return _refuse_before(out, lookups.earliest)


def _refuse_before(out: Validated, earliest: int | None) -> Validated:
    """Move rows older than ``earliest`` from the good rows to the errors (in row order)."""
    if earliest is None or not out.rows or min(r[1] for r in out.rows) >= earliest:
        return out
    since = datetime.fromtimestamp(earliest, UTC).date().isoformat()
    keep = [i for i, row in enumerate(out.rows) if row[1] >= earliest]
    out.errors.extend(
        _err(out.numbers[i], "time", "older_than_retention", since=since)
        for i, row in enumerate(out.rows)
        if row[1] < earliest
    )
    out.errors.sort(key=lambda e: e.row)
    out.rows = [out.rows[i] for i in keep]
    out.numbers = [out.numbers[i] for i in keep]
    return out


_NOT_A_TIME = -1  # accepted times are after 1970-01-02
_CELL_FIELDS = ("indicator", "entity", "area", "unit", "quality")  # the key of _plain_cells


def _plan_columns(
    rows: list[RawRow], lookups: Lookups
) -> (
    tuple[
        NDArray[np.bool_],
        NDArray[np.int64],
        NDArray[np.int64],
        NDArray[np.float64],
        list[_Cells | None],
    ]
    | None
):
    """The batch as columns: per row, whether it passes every check (``ok``), the index of its
    cell set in ``cells`` (-1: not a plain cell set), its timestamp and its value. None when a
    column cannot be read as a whole (a cell that is a list or an object): every row then takes
    the full check."""
    n = len(rows)
    datas = list(map(itemgetter(1), rows))
    allowed = ALLOWED_FIELDS
    shaped: list[bool] | None = None
    if set(map(type, datas)) == {dict}:
        present: set[str] = set().union(*datas)
        if not present <= allowed:
            shaped = [len(d) <= 7 and allowed.issuperset(d) for d in datas]
    else:
        shaped = [type(d) is dict and len(d) <= 7 and allowed.issuperset(d) for d in datas]
        datas = [d if type(d) is dict else {} for d in datas]
        present = set().union(*datas)

    def column(key: str) -> list[Any]:
        if key not in present:
            return [None] * n
        try:
            return list(map(itemgetter(key), datas))
        except KeyError:
            return [d.get(key) for d in datas]

    # The cell set of each row, made of the columns the batch has (absent ones are None).
    named = [k for k in _CELL_FIELDS if k in present]
    try:
        grouped = group_cells(list(map(column, named)), n)
        times = column("time")
        moments = dict.fromkeys(times)
    except TypeError:  # an unhashable cell (a list, an object): the full check names it
        return None
    distinct, row_cell = grouped
    cells: list[_Cells | None] = []
    for key in distinct:
        full = dict(zip(named, key, strict=True))
        cells.append(_plain_cells(tuple(full.get(k) for k in _CELL_FIELDS), lookups))
    # -1 for a cell set that is not plain (its rows take the full check).
    plain = np.array([i if c is not None else -1 for i, c in enumerate(cells)] or [-1])
    cidx = plain[row_cell]
    when: dict[Any, int] = {}
    for moment in moments:
        outcome = _parse_time(moment) if type(moment) is str else _NOT_A_TIME
        when[moment] = outcome if type(outcome) is int else _NOT_A_TIME
    tarr = np.fromiter(map(when.__getitem__, times), dtype=np.int64, count=n)
    varr = _values(column("value"))
    lo = np.array([c.lo if c is not None else 0.0 for c in cells] or [0.0], dtype=np.float64)
    hi = np.array([c.hi if c is not None else 0.0 for c in cells] or [0.0], dtype=np.float64)
    safe = np.where(cidx >= 0, cidx, 0)
    with np.errstate(invalid="ignore"):
        ok = (
            (cidx >= 0)
            & (tarr != _NOT_A_TIME)
            & np.isfinite(varr)
            & (varr >= lo[safe])
            & (varr <= hi[safe])
        )
    if shaped is not None:
        ok &= np.fromiter(shaped, dtype=np.bool_, count=n)
    return ok, cidx, tarr, varr, cells


def _values(values: list[Any]) -> NDArray[np.float64]:
    """The value column as doubles; a value that is not a plain number (text, a boolean, None,
    an integer beyond the double range) becomes NaN, which sends its row to the full check."""
    if set(map(type, values)) <= {float, int}:
        try:
            return np.array(values, dtype=np.float64)
        except OverflowError:
            pass
    return np.fromiter(map(_plain_number, values), dtype=np.float64, count=len(values))


def _plain_number(value: Any) -> float:
    kind = type(value)
    if kind is float or kind is int:
        try:
            return float(value)
        except OverflowError:
            return math.nan
    return math.nan


def _resolve_cells(cells: list[_Cells], resolver: SeriesResolver, out: Validated) -> None:
    """Find (or create) the series of every used cell set, in one query where the resolver
    can (the store's resolver prefetches; dry-run resolvers answer one by one)."""
    prefetch = getattr(resolver, "prefetch", None)
    if prefetch is not None:
        prefetch([(c.indicator, c.kind, c.code) for c in cells])
    for c in cells:
        info = resolver.get(c.indicator, c.kind, c.code)
        out.series[info.id] = info
        out.label_end[info.id] = info.label_end
        c.series_id = info.id


def _parse_time(when: str | datetime) -> int | str:
    """Timestamp of an ISO 8601 text (or of a datetime), or the error code that names what is
    wrong with it."""
    if isinstance(when, datetime):
        dt = when
    else:
        try:
            dt = datetime.fromisoformat(when)
        except ValueError:
            return "bad_time"
    if dt.tzinfo is None:
        return "missing_offset"
    if not clock.accepted(dt):
        return "time_out_of_range"
    return int(dt.timestamp())


@dataclass
class _Cells:
    """What rows with one valid set of cells share: their series and bounds."""

    indicator: Indicator
    kind: str
    code: str
    lo: float
    hi: float
    quality: int
    series_id: int | None = None


def _plain_cells(key: tuple[Any, ...], lookups: Lookups) -> _Cells | None:
    """The shared part of rows with these cells, when the cells are valid and need no unit
    conversion; None sends such rows to the full check."""
    code, entity, area, unit, q = key
    indicator = lookups.indicators.get(code) if isinstance(code, str) else None
    if indicator is None or indicator.derived:
        return None
    if entity not in (None, "") and area not in (None, ""):
        return None
    if entity not in (None, ""):
        subject = ("entity", str(entity))
        if subject[1] not in lookups.entity_codes:
            return None
    elif area not in (None, ""):
        subject = ("area", str(area))
        if subject[1] not in lookups.area_codes:
            return None
    else:
        return None
    if unit not in (None, "") and str(unit).strip().lower() != indicator.unit.lower():
        return None
    quality = _quality(q)
    if quality is None:
        return None
    lo = -math.inf if indicator.min_value is None else indicator.min_value
    hi = math.inf if indicator.max_value is None else indicator.max_value
    return _Cells(indicator, subject[0], subject[1], lo, hi, quality)


def _quality(q: Any) -> int | None:
    """The quality code of a cell (good 0 when empty); ``None`` when it names no quality."""
    if q in (None, ""):
        return 0
    if isinstance(q, str) and q.strip().lower() in QUALITY_CODES:
        return QUALITY_CODES[q.strip().lower()]
    if str(q).strip() in ("0", "1", "2"):
        return int(str(q).strip())
    return None


def _check_row(
    raw: RawRow,
    lookups: Lookups,
    resolver: SeriesResolver,
    parsed: dict[str, int | str],
    out: Validated,
) -> tuple[int, int, float, int] | None:
    """The full check of one row: its errors go to ``out.errors``; a good row is returned."""
    number = raw.number
    data = raw.data
    if not isinstance(data, dict):
        out.errors.append(_err(number, "*", "not_object"))
        return None
    row_errors: list[RowError] = []
    if len(data) > 7 or not ALLOWED_FIELDS.issuperset(data):
        _check_fields(data, number, row_errors)
    indicator = _row_indicator(data.get("indicator"), lookups, number, row_errors)
    subject = _row_subject(data.get("entity"), data.get("area"), lookups, number, row_errors)
    ts = _row_time(data.get("time"), parsed, number, row_errors)
    value = _row_value(data, indicator, lookups, number, row_errors)
    quality = _quality(data.get("quality"))
    if quality is None:
        row_errors.append(_err(number, "quality", "bad_quality"))

    if row_errors:
        out.errors.extend(row_errors)
        return None
    assert indicator is not None and subject is not None and value is not None
    assert quality is not None
    info = resolver.get(indicator, subject[0], subject[1])
    out.series[info.id] = info
    out.label_end[info.id] = info.label_end
    return (info.id, ts, value, quality)


def _check_fields(data: dict[str, Any], number: int, row_errors: list[RowError]) -> None:
    """Cells beyond the header and fields that are not part of an observation."""
    extra = sorted(set(data) - ALLOWED_FIELDS)
    if "__extra__" in extra:
        row_errors.append(_err(number, "*", "extra_cells"))
        extra.remove("__extra__")
    if extra:
        row_errors.append(_err(number, extra[0], "unknown_field", detail=", ".join(extra)))


def _row_indicator(
    code: Any, lookups: Lookups, number: int, row_errors: list[RowError]
) -> Indicator | None:
    """The row's indicator: in the catalog and not derived by the IOC."""
    indicator = lookups.indicators.get(code) if isinstance(code, str) else None
    if code is None or code == "":
        row_errors.append(_err(number, "indicator", "required"))
    elif indicator is None:
        row_errors.append(_err(number, "indicator", "unknown_indicator"))
    elif indicator.derived:
        row_errors.append(_err(number, "indicator", "derived_indicator"))
    return indicator


def _row_subject(
    entity: Any, area: Any, lookups: Lookups, number: int, row_errors: list[RowError]
) -> tuple[str, str] | None:
    """The row's subject: exactly one known entity (station) or administrative unit."""
    subject: tuple[str, str] | None = None
    if entity not in (None, "") and area not in (None, ""):
        row_errors.append(_err(number, "entity", "entity_and_area"))
    elif entity not in (None, ""):
        entity = str(entity)
        if entity in lookups.entity_codes:
            subject = ("entity", entity)
        else:
            row_errors.append(_err(number, "entity", "unknown_entity"))
    elif area not in (None, ""):
        area = str(area)
        if area in lookups.area_codes:
            subject = ("area", area)
        else:
            row_errors.append(_err(number, "area", "unknown_area"))
    else:
        row_errors.append(_err(number, "entity", "required"))
    return subject


def _row_time(
    when: Any, parsed: dict[str, int | str], number: int, row_errors: list[RowError]
) -> int:
    """The row's timestamp (0 when it has an error); each distinct text is parsed once per
    batch (``parsed``)."""
    if when is None or when == "":
        row_errors.append(_err(number, "time", "required"))
        return 0
    if isinstance(when, str) and (cached := parsed.get(when)) is not None:
        outcome = cached
    else:
        outcome = _parse_time(when if isinstance(when, datetime) else str(when))
        if isinstance(when, str):
            parsed[when] = outcome
    if isinstance(outcome, int):
        return outcome
    row_errors.append(_err(number, "time", outcome))
    return 0


def _row_value(
    data: dict[str, Any],
    indicator: Indicator | None,
    lookups: Lookups,
    number: int,
    row_errors: list[RowError],
) -> float | None:
    """The row's value as a number in the indicator's unit, within its bounds."""
    value = _number(data.get("value"), number, row_errors)
    unit = data.get("unit")
    if value is not None and indicator is not None and unit not in (None, ""):
        converter = lookups.converters.get(indicator.pack)
        if str(unit).strip().lower() != indicator.unit.lower():
            if converter is None:
                row_errors.append(_err(number, "unit", "bad_unit", detail=str(unit)))
                value = None
            else:
                try:
                    value = converter(indicator.code, value, str(unit))
                except ValueError as exc:
                    row_errors.append(_err(number, "unit", "bad_unit", detail=str(exc)))
                    value = None
    if value is not None and indicator is not None:
        lo, hi = indicator.min_value, indicator.max_value
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            row_errors.append(_err(number, "value", "out_of_range", lo=_fmt(lo), hi=_fmt(hi)))
    return value


def _fmt(x: float | None) -> str:
    return "…" if x is None else f"{x:g}"


def _number(raw: Any, number: int, errors: list[RowError]) -> float | None:
    if raw is None or raw == "":
        errors.append(_err(number, "value", "required"))
        return None
    if isinstance(raw, bool):
        errors.append(_err(number, "value", "bad_number"))
        return None
    if isinstance(raw, int | float):
        try:
            value = float(raw)
        except OverflowError:  # an integer beyond the double range
            errors.append(_err(number, "value", "not_finite"))
            return None
    else:
        text = str(raw).strip()
        # Vietnamese spreadsheets write 12,5; accept a lone decimal comma.
        if text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")
        try:
            value = float(text)
        except ValueError:
            errors.append(_err(number, "value", "bad_number"))
            return None
    if not math.isfinite(value):
        errors.append(_err(number, "value", "not_finite"))
        return None
    return value
