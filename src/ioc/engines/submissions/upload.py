"""Upload of a filled template: read, validate row by row, then accept, hold or reject.

Reading goes through :func:`ioc.engines.ingestion.tabular.read_table` (row numbers as Excel
shows them). Every problem names the row and the column (header text and letter of the
template), in Vietnamese and English.

Errors (the file is rejected as a whole — nothing is stored):
unknown indicator; indicator not owed by this agency for this period; unknown area or an area
the indicator is not reported for; period column not this period; duplicate row; unit that is
neither the catalog's unit nor convertible to it; value that is not a number; value outside the
indicator's min/max; a value owed but neither in the file nor stored before.

Warnings (the submission waits as ``received`` until the sender confirms, or uploads again):
a change against the last period's value larger than the jump factor (``IOC_SUB_JUMP_FACTOR``
or the indicator's ``jump_factor``; not checked at the first period of a year for cumulative
``last`` indicators, which restart then); a value converted from another unit of the same kind
(e.g. triệu đồng → tỷ đồng).

Why all-or-nothing: a half-stored file would show a half-complete period to leaders and mark
the agency as submitted. A blank value cell means "no change" when a value is already stored
(the template comes pre-filled, so a correction can change one cell and upload the file).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import audit, clock
from ioc.core.indicators import IndicatorSpec
from ioc.core.models import Indicator
from ioc.engines.actions_kit import same_named
from ioc.engines.ingestion.tabular import CellValue, Table, TableError, TableRow, read_table
from ioc.engines.submissions.catalog import AreaBook, Catalog, Obligation
from ioc.engines.submissions.models import SubSubmission

# parse_number and unit_factor stay importable from here (pages and tests use them so).
from ioc.engines.submissions.numbers import parse_number as parse_number
from ioc.engines.submissions.numbers import unit_factor as unit_factor
from ioc.engines.submissions.periods import Period, local_today, period_of
from ioc.engines.submissions.progress import figure_text
from ioc.engines.submissions.templates import COLUMNS, DATA_SHEET, HEADERS, LETTERS
from ioc.engines.submissions.values import NewValue, read_values, store_values

MAX_BYTES = 5 * 1024 * 1024
REQUIRED = ("code", "area_code", "value")


class SubmissionError(ValueError):
    """A refused submission action, with a message safe to show (``en`` for English)."""

    def __init__(self, message: str, en: str = "") -> None:
        super().__init__(message)
        self.en = en or message


@dataclass(frozen=True)
class Problem:
    """One finding: row (Excel number; None for the file), column key, code, texts."""

    row: int | None
    column: str | None
    code: str
    vi: str
    en: str

    def as_dict(self) -> dict[str, Any]:
        """JSON form stored on the submission."""
        return {
            "row": self.row,
            "column": HEADERS.get(self.column or "", self.column),
            "letter": LETTERS.get(self.column or ""),
            "code": self.code,
            "vi": self.vi,
            "en": self.en,
        }


@dataclass
class Checked:
    """Outcome of validating a file: values read, errors, warnings."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def _where(row: int | None, column: str | None) -> tuple[str, str]:
    if row is None and column is None:
        return "Tệp", "File"
    col = HEADERS.get(column or "", column or "")
    letter = LETTERS.get(column or "")
    col_text = f"{col} ({letter})" if letter else col
    if row is None:
        return f"Cột {col_text}", f"Column {col_text}"
    return f"Dòng {row}, cột {col_text}", f"Row {row}, column {col_text}"


def _problem(row: int | None, column: str | None, code: str, vi: str, en: str) -> Problem:
    wvi, wen = _where(row, column)
    return Problem(row, column, code, f"{wvi}: {vi}", f"{wen}: {en}")


def _vi(value: float) -> str:
    return figure_text(value, "vi")


def _en(value: float) -> str:
    return figure_text(value, "en")


def _column_map(table: Table) -> dict[str, str]:
    """Template column key -> the file's header, matched on the Vietnamese header or alias."""
    names = {c.header.casefold(): c.key for c in COLUMNS}
    names.update({c.alias.casefold(): c.key for c in COLUMNS})
    out: dict[str, str] = {}
    for header in table.columns:
        key = names.get(" ".join(header.casefold().split()))
        if key and key not in out:
            out[key] = header
    return out


def _read(filename: str, data: bytes) -> Table:
    try:
        return read_table(filename, data, sheet=DATA_SHEET)
    except TableError:
        # A CSV, or an XLSX without our sheet name (copied into a new book): read its first
        # sheet; a second failure is the real one.
        return read_table(filename, data)


def _period_matches(value: CellValue, period: Period) -> bool:
    if isinstance(value, datetime | date):
        # Excel turns a typed "2026-03" into a date: accept the period's first day.
        day = value.date() if isinstance(value, datetime) else value
        return period_of(period.frequency, day) == period
    return str(value).strip() == period.key


def check_file(
    session: Session,
    catalog: Catalog,
    obligation: Obligation,
    filename: str,
    data: bytes,
    *,
    offset: int,
    jump_factor: float,
) -> Checked:
    """Validate an uploaded file against ``obligation``; nothing is stored."""
    result = Checked()
    if len(data) > MAX_BYTES:
        result.errors.append(
            _problem(None, None, "too_big", "tệp lớn hơn 5 MB", "file larger than 5 MB")
        )
        return result
    try:
        table = _read(filename, data)
    except TableError as exc:
        result.errors.append(Problem(None, None, "unreadable", str(exc), str(exc)))
        return result
    cols = _column_map(table)
    for key in REQUIRED:
        if key not in cols:
            result.errors.append(
                _problem(
                    1,
                    key,
                    "missing_column",
                    f"thiếu cột “{HEADERS[key]}” — hãy dùng biểu mẫu tải về",
                    f"missing column “{HEADERS[key]}” — use the downloaded template",
                )
            )
    if result.errors:
        return result

    period = obligation.period
    indicators = catalog.indicator_rows(session)
    owed = {(code, area) for code, areas in obligation.areas.items() for area in areas}
    stored = read_values(session, indicators, owed, [period, period.previous()], offset)
    seen: dict[tuple[str, str], int] = {}
    for row in table.rows:
        _check_row(row, cols, catalog, obligation, stored, seen, result, jump_factor)

    for code, area in sorted(owed - set(seen)):
        if (code, area, period.key) not in stored:
            result.errors.append(
                _problem(
                    None,
                    "code",
                    "missing_row",
                    f"thiếu số liệu chỉ tiêu {code}, địa bàn {area}",
                    f"no value for indicator {code}, area {area}",
                )
            )
    return result


def _check_row(
    row: TableRow,
    cols: dict[str, str],
    catalog: Catalog,
    obligation: Obligation,
    stored: dict[tuple[str, str, str], float],
    seen: dict[tuple[str, str], int],
    result: Checked,
    jump_factor: float,
) -> None:
    n = row.number
    period = obligation.period
    errors = result.errors
    code = row.text(cols["code"])
    area = row.text(cols["area_code"])
    if not code and not area and row.values.get(cols["value"]) is None:
        return  # a row with only a name or note typed in: nothing to store
    spec = catalog.get(code) if code else None
    problem = _identity_problem(n, code, area, spec, obligation) or _period_problem(
        row, cols, n, period
    )
    first = seen.get((code, area))
    if problem is None and first is not None:
        problem = _problem(
            n,
            "code",
            "duplicate",
            f"trùng với dòng {first} (chỉ tiêu {code}, địa bàn {area})",
            f"same indicator and area as row {first}",
        )
    if problem is not None:
        errors.append(problem)
        return
    assert spec is not None
    seen[(code, area)] = n

    unit_text = row.text(cols["unit"]) if "unit" in cols else ""
    factor = unit_factor(unit_text, spec.unit) if unit_text else 1.0
    if factor is None:
        errors.append(
            _problem(
                n,
                "unit",
                "unit_mismatch",
                f"đơn vị “{unit_text}” khác đơn vị của chỉ tiêu “{spec.unit}”",
                f"unit “{unit_text}” differs from the indicator's unit “{spec.unit}”",
            )
        )
        return

    raw = row.values.get(cols["value"])
    if raw is None:
        if stored.get((code, area, period.key)) is None:
            errors.append(_problem(n, "value", "blank", "chưa nhập giá trị", "no value entered"))
        return  # blank with a stored value: no change
    value = _row_value(raw, factor, unit_text, spec, n, result)
    if value is None:
        return
    previous = stored.get((code, area, period.previous().key))
    jump = _jump_warning(spec, value, previous, period, jump_factor, n)
    if jump is not None:
        result.warnings.append(jump)
    note = row.text(cols["note"]) if "note" in cols else ""
    result.rows.append({"row": n, "code": code, "area": area, "value": value, "note": note[:500]})


def _row_value(
    raw: CellValue, factor: float, unit_text: str, spec: IndicatorSpec, n: int, result: Checked
) -> float | None:
    """The typed value in the indicator's unit, within its range (``None`` when not, the
    problem recorded); a warning says when it was converted from another unit."""
    number = parse_number(raw)
    if number is None:
        result.errors.append(
            _problem(
                n,
                "value",
                "not_a_number",
                f"“{raw}” không phải là số",
                f"“{raw}” is not a number",
            )
        )
        return None
    value = number * factor
    if factor != 1.0:
        result.warnings.append(
            _problem(
                n,
                "unit",
                "converted",
                f"đã đổi {_vi(number)} {unit_text} thành {_vi(value)} {spec.unit}",
                f"converted {_en(number)} {unit_text} to {_en(value)} {spec.unit}",
            )
        )
    if not _in_range(spec, value, n, result.errors):
        return None
    return value


def _identity_problem(
    n: int, code: str, area: str, spec: IndicatorSpec | None, obligation: Obligation
) -> Problem | None:
    """What is wrong with the row's indicator and area: blank, unknown, or not owed by this
    obligation (``None``: nothing)."""
    period = obligation.period
    if not code:
        return _problem(n, "code", "blank", "thiếu mã chỉ tiêu", "indicator code missing")
    if spec is None:
        return _problem(
            n,
            "code",
            "unknown_indicator",
            f"mã chỉ tiêu “{code}” không có trong danh mục",
            f"indicator “{code}” is not in the catalog",
        )
    if code not in obligation.areas:
        return _problem(
            n,
            "code",
            "not_owed",
            f"chỉ tiêu “{code}” không thuộc biểu của {obligation.agency.code} kỳ {period.key}",
            f"indicator “{code}” is not reported by {obligation.agency.code} for {period.key}",
        )
    if not area:
        return _problem(n, "area_code", "blank", "thiếu mã địa bàn", "area code missing")
    if area not in obligation.areas[code]:
        return _problem(
            n,
            "area_code",
            "unknown_area",
            f"địa bàn “{area}” không thuộc phạm vi báo cáo của chỉ tiêu {code}",
            f"area “{area}” is not reported for indicator {code}",
        )
    return None


def _period_problem(row: TableRow, cols: dict[str, str], n: int, period: Period) -> Problem | None:
    """A period column naming another period than the one being submitted."""
    if "period" not in cols:
        return None
    raw_period = row.values.get(cols["period"])
    if raw_period is not None and not _period_matches(raw_period, period):
        return _problem(
            n,
            "period",
            "wrong_period",
            f"kỳ “{raw_period}” khác kỳ đang nộp {period.key}",
            f"period “{raw_period}” is not the period being submitted, {period.key}",
        )
    return None


def _jump_warning(
    spec: IndicatorSpec,
    value: float,
    previous: float | None,
    period: Period,
    jump_factor: float,
    n: int,
) -> Problem | None:
    """A warning when the value changed more than the indicator allows against the previous
    period (not for a cumulative indicator whose year restarts)."""
    limit = spec.jump_factor if spec.jump_factor is not None else jump_factor
    restarts = spec.aggregation == "last" and period.frequency != "P1Y" and period.index == 1
    if previous in (None, 0.0) or restarts:
        return None
    assert previous is not None
    change = abs(value - previous) / abs(previous)
    if change > limit:
        return _problem(
            n,
            "value",
            "jump",
            f"{_vi(value)} thay đổi {change * 100:.0f}% so với kỳ trước "
            f"({_vi(previous)}) — hãy kiểm tra và xác nhận",
            f"{_en(value)} changed {change * 100:.0f}% against last period "
            f"({_en(previous)}) — check and confirm",
        )
    return None


def _in_range(spec: IndicatorSpec, value: float, n: int, errors: list[Problem]) -> bool:
    low, high = spec.min_value, spec.max_value
    if (low is not None and value < low) or (high is not None and value > high):
        lo_vi, hi_vi = ("" if b is None else _vi(b) for b in (low, high))
        lo_en, hi_en = ("" if b is None else _en(b) for b in (low, high))
        errors.append(
            _problem(
                n,
                "value",
                "out_of_range",
                f"{_vi(value)} ngoài khoảng cho phép {lo_vi} … {hi_vi} {spec.unit}",
                f"{_en(value)} is outside the allowed range {lo_en} … {hi_en} {spec.unit}",
            )
        )
        return False
    return True


# ------------------------------------------------------------------ actions


def submit(
    session: Session,
    actor: audit.Actor,
    catalog: Catalog,
    obligation: Obligation,
    book: AreaBook,
    *,
    filename: str,
    data: bytes,
    offset: int,
    jump_factor: float,
) -> SubSubmission:
    """Nộp số liệu: validate the file and record the submission.

    No errors and no warnings: ``accepted`` and the values are stored. Warnings only:
    ``received``, waiting for :func:`confirm`. Errors: ``rejected``. An earlier submission of
    the same agency and period still waiting for confirmation is rejected as superseded.
    """
    now = clock.now()
    period = obligation.period
    if period.start > local_today(now):
        raise SubmissionError(
            f"Chưa đến kỳ {period.key}: không nộp trước cho kỳ tương lai",
            f"Period {period.key} has not started: no submissions for future periods",
        )
    checked = check_file(
        session, catalog, obligation, filename, data, offset=offset, jump_factor=jump_factor
    )
    sub = SubSubmission(
        agency_code=obligation.agency.code,
        period=period.key,
        file_name=(filename or "tep-tai-len")[:300],
        uploaded_by=actor.label,
        uploaded_by_user_id=actor.user_id,
        uploaded_at=now,
        status="received",
        rows=checked.rows,
        errors=[p.as_dict() for p in checked.errors],
        warnings=[p.as_dict() for p in checked.warnings],
        values_changed=0,
        note="",
    )
    session.add(sub)
    session.flush()
    for older in session.execute(
        select(SubSubmission).where(
            SubSubmission.agency_code == sub.agency_code,
            SubSubmission.period == sub.period,
            SubSubmission.status == "received",
            SubSubmission.id != sub.id,
        )
    ).scalars():
        older.status = "rejected"
        older.decided_at = now
        older.decided_by = actor.label
        older.note = f"Thay bằng lần nộp #{sub.id} (superseded by #{sub.id})"
    if checked.errors:
        sub.status = "rejected"
        sub.decided_at = now
        sub.decided_by = "IOC"
    elif not checked.warnings:
        _accept(session, sub, catalog, book, actor, offset)
    audit.record(
        session,
        actor,
        "submission.upload",
        "submission",
        sub.id,
        agency=sub.agency_code,
        **same_named(sub, "period status"),
        errors=len(checked.errors),
        warnings=len(checked.warnings),
    )
    return sub


def confirm(
    session: Session,
    actor: audit.Actor,
    sub: SubSubmission,
    catalog: Catalog,
    book: AreaBook,
    *,
    offset: int,
) -> SubSubmission:
    """Xác nhận: the sender accepts the warnings of a ``received`` submission; values stored."""
    if sub.status != "received":
        raise SubmissionError(
            "Chỉ xác nhận được lần nộp đang chờ xác nhận",
            "Only a submission waiting for confirmation can be confirmed",
        )
    _accept(session, sub, catalog, book, actor, offset)
    audit.record(
        session, actor, "submission.confirm", "submission", sub.id, changed=sub.values_changed
    )
    return sub


def cancel(session: Session, actor: audit.Actor, sub: SubSubmission) -> SubSubmission:
    """Hủy: drop a ``received`` submission instead of confirming it (nothing stored)."""
    if sub.status != "received":
        raise SubmissionError(
            "Chỉ hủy được lần nộp đang chờ xác nhận",
            "Only a submission waiting for confirmation can be cancelled",
        )
    sub.status = "rejected"
    sub.decided_at = clock.now()
    sub.decided_by = actor.label
    sub.note = "Người nộp đã hủy (cancelled by the sender)"
    audit.record(session, actor, "submission.cancel", "submission", sub.id)
    return sub


def _accept(
    session: Session,
    sub: SubSubmission,
    catalog: Catalog,
    book: AreaBook,
    actor: audit.Actor,
    offset: int,
) -> None:
    from ioc.engines.submissions.periods import parse_period

    period = parse_period(sub.period)
    indicators = catalog.indicator_rows(session)
    values = [
        NewValue(indicators[r["code"]], r["area"], period, float(r["value"]))
        for r in sub.rows
        if r["code"] in indicators
    ]
    sub.values_changed = store_values(
        session, values, changed_by=actor.label, submission_id=sub.id, offset=offset
    )
    _province_totals(session, catalog, indicators, values, period, book, offset)
    sub.status = "accepted"
    sub.decided_at = clock.now()
    sub.decided_by = actor.label


def _province_totals(
    session: Session,
    catalog: Catalog,
    indicators: dict[str, Indicator],
    values: Sequence[NewValue],
    period: Period,
    book: AreaBook,
    offset: int,
) -> None:
    """For commune-level flow indicators (aggregation ``sum``), keep the province value equal
    to the sum of the communes' values, so province targets and pages work the same way."""
    province = book.province.code
    codes = {
        v.indicator.code
        for v in values
        if v.area_code != province
        and (spec := catalog.get(v.indicator.code)) is not None
        and spec.aggregation == "sum"
    }
    if not codes:
        return
    communes = [a.code for a in book.communes]
    totals: list[NewValue] = []
    for code in sorted(codes):
        stored = read_values(
            session, {code: indicators[code]}, [(code, a) for a in communes], [period], offset
        )
        if stored:
            totals.append(NewValue(indicators[code], province, period, sum(stored.values())))
    store_values(
        session, totals, changed_by="IOC", submission_id=None, offset=offset, history=False
    )
