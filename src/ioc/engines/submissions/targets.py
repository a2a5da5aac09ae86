"""Yearly targets (chỉ tiêu kế hoạch) per indicator and area, set by hand or imported from a
table (XLSX/CSV with columns ``Mã chỉ tiêu``, ``Mã địa bàn``, ``Năm``, ``Kế hoạch``,
``Văn bản``). An import is all-or-nothing, like a submission: any row error rejects the file."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import audit
from ioc.core.models import Indicator
from ioc.engines.ingestion.tabular import TableError, read_table
from ioc.engines.submissions.catalog import AreaBook
from ioc.engines.submissions.models import SubTarget
from ioc.engines.submissions.numbers import parse_number
from ioc.engines.submissions.upload import SubmissionError

TARGET_COLUMNS = {
    "code": ("mã chỉ tiêu", "indicator code"),
    "area_code": ("mã địa bàn", "area code"),
    "year": ("năm", "year"),
    "value": ("kế hoạch", "chỉ tiêu kế hoạch", "target"),
    "source": ("văn bản", "source document"),
}
TARGET_HEADERS = ["Mã chỉ tiêu", "Mã địa bàn", "Năm", "Kế hoạch", "Văn bản", "Tên chỉ tiêu"]


def set_target(
    session: Session,
    actor: audit.Actor,
    *,
    indicator: Indicator,
    area_code: str,
    year: int,
    value: float,
    source_document: str = "",
) -> SubTarget:
    """Đặt chỉ tiêu kế hoạch: insert or replace the target of (indicator, area, year)."""
    if not 2000 <= year <= 2100:
        raise SubmissionError(f"Năm không hợp lệ: {year}", f"Invalid year: {year}")
    row = session.execute(
        select(SubTarget).where(
            SubTarget.indicator_id == indicator.id,
            SubTarget.area_code == area_code,
            SubTarget.year == year,
        )
    ).scalar_one_or_none()
    old = None if row is None else row.value
    if row is None:
        row = SubTarget(indicator_id=indicator.id, area_code=area_code, year=year)
        session.add(row)
    row.value = value
    row.source_document = source_document[:300]
    audit.record_edit(
        session,
        actor,
        row,
        "target.set",
        "target",
        indicator=indicator.code,
        area=area_code,
        year=year,
        old=old,
        new=value,
        source=source_document[:300],
    )
    return row


def targets_for(
    session: Session, year: int, indicator_ids: Iterable[int] | None = None
) -> dict[tuple[int, str], SubTarget]:
    """Targets of ``year`` by (indicator id, area code)."""
    stmt = select(SubTarget).where(SubTarget.year == year)
    if indicator_ids is not None:
        stmt = stmt.where(SubTarget.indicator_id.in_(list(indicator_ids)))
    return {(t.indicator_id, t.area_code): t for t in session.execute(stmt).scalars()}


@dataclass
class TargetImport:
    """Outcome of a target import: targets written, or the row errors."""

    written: int = 0
    errors: list[str] = field(default_factory=list)


def import_targets(
    session: Session,
    actor: audit.Actor,
    indicators: dict[str, Indicator],
    book: AreaBook,
    filename: str,
    data: bytes,
) -> TargetImport:
    """Import targets from a table; any error (naming row and column) rejects the file."""
    result = TargetImport()
    try:
        table = read_table(filename, data)
    except TableError as exc:
        result.errors.append(str(exc))
        return result
    cols: dict[str, str] = {}
    for header in table.columns:
        folded = " ".join(header.casefold().split())
        for key, names in TARGET_COLUMNS.items():
            if folded in names and key not in cols:
                cols[key] = header
    for key in ("code", "area_code", "year", "value"):
        if key not in cols:
            name = TARGET_COLUMNS[key][0].capitalize()
            result.errors.append(f"Dòng 1: thiếu cột “{name}” (row 1: missing column {name})")
    if result.errors:
        return result
    parsed: list[tuple[Indicator, str, int, float, str]] = []
    for row in table.rows:
        n = row.number
        code = row.text(cols["code"])
        area = row.text(cols["area_code"])
        ind = indicators.get(code)
        if ind is None:
            result.errors.append(
                f"Dòng {n}, cột {cols['code']}: mã chỉ tiêu “{code}” không có "
                f"(row {n}: unknown indicator)"
            )
            continue
        if area not in book.by_code:
            result.errors.append(
                f"Dòng {n}, cột {cols['area_code']}: địa bàn “{area}” không có "
                f"(row {n}: unknown area)"
            )
            continue
        year_value = parse_number(row.values.get(cols["year"]))
        if year_value is None or not year_value.is_integer() or not 2000 <= year_value <= 2100:
            result.errors.append(
                f"Dòng {n}, cột {cols['year']}: năm không hợp lệ (row {n}: invalid year)"
            )
            continue
        value = parse_number(row.values.get(cols["value"]))
        if value is None:
            result.errors.append(
                f"Dòng {n}, cột {cols['value']}: “{row.values.get(cols['value'])}” không phải "
                f"là số (row {n}: not a number)"
            )
            continue
        source = row.text(cols["source"]) if "source" in cols else ""
        parsed.append((ind, area, int(year_value), value, source))
    if result.errors:
        return result
    for ind, area, year, value, source in parsed:
        set_target(
            session,
            actor,
            indicator=ind,
            area_code=area,
            year=year,
            value=value,
            source_document=source,
        )
        result.written += 1
    return result
