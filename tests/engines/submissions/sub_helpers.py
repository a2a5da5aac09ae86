"""Helpers of the submission-engine tests: the catalog, an agency's obligation, filling a
template like a user does in Excel."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from openpyxl import load_workbook
from sqlalchemy.orm import Session

from ioc.app import load_registry
from ioc.engines.submissions.catalog import (
    AreaBook,
    Catalog,
    Obligation,
    catalog_from_registry,
    load_agency,
)
from ioc.engines.submissions.periods import parse_period
from ioc.engines.submissions.templates import COLUMNS, DATA_SHEET

OFFSET = 7 * 3600
COL = {c.key: i + 1 for i, c in enumerate(COLUMNS)}
_registry = load_registry()


def catalog() -> Catalog:
    """Every registered pack's submitted indicators (built the way the web app does)."""
    return catalog_from_registry(_registry)


def obligation(session: Session, agency: str, period: str) -> tuple[Obligation, AreaBook]:
    """What ``agency`` owes for ``period``, and the areas."""
    book = AreaBook.load(session)
    info = load_agency(session, agency)
    assert info is not None
    ob = catalog().obligation(info, parse_period(period), book)
    assert ob is not None
    return ob, book


def fill(
    template: bytes,
    value: Callable[[str, str, int], Any],
    edit: Callable[[Any], None] | None = None,
) -> bytes:
    """Fill the value column: ``value(code, area, row) -> cell``; ``edit(sheet)`` may change
    anything else afterwards (as a careless user might)."""
    book = load_workbook(io.BytesIO(template))
    ws = book[DATA_SHEET]
    for row in range(2, ws.max_row + 1):
        code = ws.cell(row=row, column=COL["code"]).value
        area = ws.cell(row=row, column=COL["area_code"]).value
        ws.cell(row=row, column=COL["value"]).value = value(code, area, row)
    if edit is not None:
        edit(ws)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rows_of(template: bytes) -> list[tuple[Any, ...]]:
    """The data sheet's rows (header first)."""
    ws = load_workbook(io.BytesIO(template))[DATA_SHEET]
    return [tuple(r) for r in ws.iter_rows(values_only=True)]
