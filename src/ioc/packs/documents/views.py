"""Shared helpers of the pack's pages: who sees what, periods from the query string, tables
for export (every table a page shows can be downloaded as XLSX or CSV)."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from fastapi import HTTPException
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import clock, i18n
from ioc.core.models import Agency
from ioc.engines.exports import Table, to_csv, to_xlsx
from ioc.packs.documents import tasks
from ioc.packs.documents.indicators import Rate
from ioc.packs.documents.queries import AgencyFigures, Period
from ioc.web.deps import Principal

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GOOD_RATE = 90.0
FAIR_RATE = 70.0
COLORS = {"good": "#1b873f", "fair": "#f0a202", "poor": "#c62828", "none": "#9aa3ad"}


class PageError(ValueError):
    """A bad query parameter or form field, named, in Vietnamese and English."""

    def __init__(self, field: str, message: str, en: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.en = en


def doer(principal: Principal) -> tasks.Doer:
    """The acting user as the task actions see them."""
    assert principal.user is not None
    return tasks.Doer(principal.actor, principal.user.role, principal.user.agency_id)


def scope(principal: Principal) -> int | None:
    """The one agency an agency-staff user may see (``-1`` when they have none); None for
    roles that see every agency."""
    user = principal.user
    if user is None or user.role != "agency_staff":
        return None
    return user.agency_id if user.agency_id is not None else -1


def today() -> date:
    """Today, local."""
    return clock.now().astimezone(clock.local_zone()).date()


def parse_date(value: str | None, field: str) -> date | None:
    """A ``yyyy-mm-dd`` query/form value (empty: None)."""
    if value is None or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise PageError(
            field, f"ngày không hợp lệ: {value!r} (yyyy-mm-dd)", f"invalid date {value!r}"
        ) from exc


def parse_period(params: Any) -> Period:
    """``from``/``to`` of the query string; the last 12 months by default."""
    default = Period.default(today())
    start = parse_date(params.get("from"), "from") or default.start
    end = parse_date(params.get("to"), "to") or default.end
    if end < start:
        raise PageError("to", "'Đến ngày' trước 'Từ ngày'", "'to' is before 'from'")
    if (end - start).days > 3 * 366:
        raise PageError("to", "Khoảng thời gian tối đa 3 năm", "at most 3 years")
    return Period(start, end)


def agency_by_code(db: Session, code: str | None) -> Agency | None:
    """The agency of ``code`` (None for an empty code); 404 for an unknown one."""
    if not code:
        return None
    agency = db.execute(select(Agency).where(Agency.code == code)).scalar_one_or_none()
    if agency is None:
        raise HTTPException(404, f"Không có đơn vị mã {code} / no such agency")
    return agency


def rate_class(rate: Rate) -> str:
    """``good`` (≥ 90 %), ``fair`` (≥ 70 %), ``poor`` or ``none``."""
    value = rate.value
    if value is None:
        return "none"
    if value >= GOOD_RATE:
        return "good"
    return "fair" if value >= FAIR_RATE else "poor"


def to_json(value: Any) -> str:
    """JSON safe inside a ``<script type="application/json">`` block."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def bar(rows: list[AgencyFigures], which: str, series: str) -> dict[str, Any]:
    """ECharts bar data of one rate per agency, coloured by :func:`rate_class`."""
    data = []
    for row in rows:
        rate: Rate = getattr(row.figures, which)
        data.append(
            {
                "name": row.name,
                "value": None if rate.value is None else round(rate.value, 1),
                "color": COLORS[rate_class(rate)],
            }
        )
    return {"data": data, "seriesName": series, "yName": "%"}


def download(table: Table, stem: str, fmt: str) -> Response:
    """The table as an XLSX or CSV attachment."""
    if fmt == "xlsx":
        body, media = to_xlsx(table), XLSX_TYPE
    else:
        body, media = to_csv(table), "text/csv; charset=utf-8"
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{stem}.{fmt}"'},
    )


def rate_cell(rate: Rate) -> float | None:
    """A rate for a spreadsheet cell (one decimal; empty without a denominator)."""
    return None if rate.value is None else round(rate.value, 1)


def local(value: datetime | None) -> datetime | None:
    """Local wall time for a spreadsheet (which has no time zones)."""
    return None if value is None else i18n.to_local(value)
