"""Column-wise validation says exactly what the per-row check says (issue 18, section 2).

``validate_rows`` reads a batch as columns: each distinct cell set and time is checked once and
the values are checked in one vectorised pass; only rows that are not plain take the full
per-row check. For random batches of clean and broken rows (unknown codes, derived indicators,
both or neither subject, bad or offset-less times, text, booleans, NaN, infinities and huge
integers as values, out-of-range values, qualities, units to convert, unknown fields, extra CSV
cells, rows that are not objects, duplicates), the result must equal the full check applied to
every row in order: the same stored rows in the same order, the same row numbers, the same
errors with the same texts, and the same duplicate warnings.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ioc.core.models import Indicator
from ioc.core.series import SeriesInfo
from ioc.engines.ingestion.parse import RawRow
from ioc.engines.ingestion.validate import Lookups, Validated, _check_row, validate_rows

INDICATORS = {
    "pm25": Indicator(
        id=1,
        code="pm25",
        derived=False,
        unit="µg/m³",
        min_value=0.0,
        max_value=1000.0,
        pack="environment",
        time_label="end",
    ),
    "temp": Indicator(
        id=2,
        code="temp",
        derived=False,
        unit="°C",
        min_value=None,
        max_value=None,
        pack="environment",
        time_label="start",
    ),
    "aqi": Indicator(
        id=3,
        code="aqi",
        derived=True,
        unit="",
        min_value=None,
        max_value=None,
        pack="environment",
        time_label="end",
    ),
    "co": Indicator(
        id=4,
        code="co",
        derived=False,
        unit="mg/m³",
        min_value=-5.0,
        max_value=None,
        pack="other",
        time_label="end",
    ),
}


def _convert(code: str, value: float, unit: str) -> float:
    if unit == "mg/m3":
        return value * 1000
    raise ValueError(f"no conversion from {unit}")


def _lookups() -> Lookups:
    return Lookups(dict(INDICATORS), {"E1", "E2"}, {"24133"}, {"environment": _convert})


class _Resolver:
    """Series ids from the cells alone, so that both checks see the same ids."""

    def get(self, indicator: Indicator, subject_kind: str, subject_code: str) -> SeriesInfo:
        sid = 1 + sorted(INDICATORS).index(indicator.code) * 100 + len(subject_code) * 7
        sid += 50 if subject_kind == "area" else 0
        return SeriesInfo(
            sid, indicator.code, subject_kind, subject_code, indicator.time_label == "end"
        )


BASE = datetime(2026, 3, 1, tzinfo=timezone(timedelta(hours=7)))
MISSING = object()


def _times() -> st.SearchStrategy[Any]:
    hour = st.integers(0, 30).map(lambda h: BASE + timedelta(minutes=30 * h))
    return st.one_of(
        hour.map(lambda t: t.isoformat()),
        hour.map(lambda t: t.astimezone(UTC).isoformat().replace("+00:00", "Z")),
        hour.map(lambda t: t.replace(tzinfo=None).isoformat()),  # no offset
        hour,  # a datetime (XLSX cells)
        st.sampled_from(["garbage", "", "0001-01-01T00:00:00+00:00", 12345, None]),
    )


def _values() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.floats(-20, 1200, allow_nan=False),
        st.integers(-10, 2000),
        st.booleans(),
        st.sampled_from(
            ["12,5", " 7.25 ", "abc", "", True, None, math.nan, math.inf, -math.inf, 10**400]
        ),
        st.sampled_from([1e308 * 10, [1], {"v": 1}]),
    )


def _row() -> st.SearchStrategy[Any]:
    fields = {
        "indicator": st.sampled_from(["pm25", "pm25", "temp", "aqi", "co", "nope", "", 3]),
        "entity": st.sampled_from(["E1", "E2", "E1", "E9", "", 5]),
        "area": st.sampled_from(["24133", "999", ""]),
        "time": _times(),
        "value": _values(),
        "quality": st.sampled_from(["good", "bad", "Suspect ", 1, "2", 7, "x", ""]),
        "unit": st.sampled_from(["mg/m3", "µg/m³", "ppm", ""]),
        "bogus": st.just(1),
        "__extra__": st.just(2),
    }
    plain = st.fixed_dictionaries(
        {
            "indicator": st.just("pm25"),
            "entity": st.sampled_from(["E1", "E2"]),
            "time": st.integers(0, 30).map(lambda h: (BASE + timedelta(hours=h)).isoformat()),
            "value": st.floats(0, 500),
        }
    )
    # A plain row with one or two fields dropped or replaced by anything above.
    change = st.one_of(
        st.tuples(st.sampled_from(sorted(fields)), st.just(MISSING)),
        *(strategy.map(lambda v, k=key: (k, v)) for key, strategy in fields.items()),
    )

    def apply(base: dict[str, Any], changes: list[tuple[str, Any]]) -> dict[str, Any]:
        row = dict(base)
        for key, value in changes:
            if value is MISSING:
                row.pop(key, None)
            else:
                row[key] = value
        return row

    broken = st.builds(apply, plain, st.lists(change, min_size=1, max_size=2))
    return st.one_of(plain, plain, broken, broken, st.sampled_from([[1], "x", None, 5]))


def _reference(rows: list[RawRow]) -> Validated:
    """The full check applied to every row, in order."""
    out = Validated(rows=[], label_end={}, errors=[], series={})
    for raw in rows:
        checked = _check_row(raw, _lookups(), _Resolver(), {}, out)  # type: ignore[arg-type]
        if checked is not None:
            out.rows.append(checked)
            out.numbers.append(raw.number)
    return out


@settings(max_examples=300, deadline=None, derandomize=True)
@given(data=st.lists(_row(), min_size=1, max_size=40))
def test_column_wise_validation_equals_the_per_row_check(data: list[Any]) -> None:
    rows = [RawRow(i, d) for i, d in enumerate(data, start=1)]
    got = validate_rows(rows, _lookups(), _Resolver())  # type: ignore[arg-type]
    want = _reference(rows)
    assert got.rows == want.rows
    assert got.numbers == want.numbers
    assert [e.as_dict() for e in got.errors] == [e.as_dict() for e in want.errors]
    assert [w.as_dict() for w in got.duplicates()] == [w.as_dict() for w in want.duplicates()]
    assert got.label_end == want.label_end
    assert set(got.series) == set(want.series)


def test_a_clean_batch_takes_no_per_row_check() -> None:
    """The point of the column-wise check: a clean batch of plain rows never reaches it."""
    import ioc.engines.ingestion.validate as validate

    rows = [
        RawRow(
            i + 1,
            {
                "indicator": "pm25",
                "entity": "E1",
                "time": (BASE + timedelta(hours=i)).isoformat(),
                "value": float(i),
            },
        )
        for i in range(500)
    ]
    calls: list[int] = []
    original = validate._check_row

    def counting(*args: Any) -> Any:
        calls.append(1)
        return original(*args)

    validate._check_row = counting  # type: ignore[assignment]
    try:
        got = validate_rows(rows, _lookups(), _Resolver())  # type: ignore[arg-type]
    finally:
        validate._check_row = original  # type: ignore[assignment]
    assert not calls
    assert len(got.rows) == 500 and not got.errors
    assert got.rows[3][1:] == (int((BASE + timedelta(hours=3)).timestamp()), 3.0, 0)


def _same_as_reference(rows: list[RawRow]) -> Validated:
    got = validate_rows(rows, _lookups(), _Resolver())  # type: ignore[arg-type]
    want = _reference(rows)
    assert got.rows == want.rows
    assert got.numbers == want.numbers
    assert [e.as_dict() for e in got.errors] == [e.as_dict() for e in want.errors]
    assert [w.as_dict() for w in got.duplicates()] == [w.as_dict() for w in want.duplicates()]
    return got


def test_equal_cells_of_different_types_are_not_one_cell_set() -> None:
    """1, 1.0 and True are equal in Python but name different codes ("1", "1.0", "True"):
    grouping rows by their cells must not let a row borrow another row's valid cell set."""
    when = BASE.isoformat()
    rows = [
        RawRow(1, {"indicator": "pm25", "entity": "E1", "time": when, "value": 1.0, "quality": 1}),
        RawRow(
            2, {"indicator": "pm25", "entity": "E1", "time": when, "value": 2.0, "quality": True}
        ),
        RawRow(
            3, {"indicator": "pm25", "entity": "E2", "time": when, "value": 3.0, "quality": 1.0}
        ),
        RawRow(4, {"indicator": "pm25", "entity": "E2", "time": when, "value": 4.0, "quality": 2}),
    ]
    got = _same_as_reference(rows)
    assert [e.row for e in got.errors] == [2, 3]


def test_many_distinct_cells_are_grouped_exactly() -> None:
    """A batch whose cell columns hold many distinct values (their combined codes no longer fit
    a small table) is checked exactly as row by row."""
    rows = [
        RawRow(
            i,
            {
                "indicator": ["pm25", "temp", "co", "nope"][i % 4],
                "entity": "E1" if i % 3 else f"X{i}",
                "unit": ["µg/m³", "", f"u{i}"][i % 3],
                "quality": ["good", "bad", f"q{i}", 1][i % 4],
                "time": (BASE + timedelta(hours=i % 5)).isoformat(),
                "value": float(i),
            },
        )
        for i in range(1, 400)
    ]
    _same_as_reference(rows)


def test_a_clean_batch_without_repeats_needs_no_duplicate_scan() -> None:
    """Rows of distinct (series, time) are known distinct from the column pass; one repeat is
    still named."""
    rows = [
        RawRow(
            i + 1,
            {
                "indicator": "pm25",
                "entity": e,
                "time": (BASE + timedelta(hours=i)).isoformat(),
                "value": 1.0,
            },
        )
        for i, e in enumerate(["E1", "E2"] * 20)
    ]
    got = _same_as_reference(rows)
    assert got.distinct and got.duplicates() == []
    rows.append(RawRow(41, dict(rows[0].data)))
    got = _same_as_reference(rows)
    assert not got.distinct and [w.row for w in got.duplicates()] == [1]
