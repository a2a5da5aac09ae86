"""What the submission pages share: the page context (catalog, language, UTC offset), who
sees and submits for which agency, and the XLSX/CSV download of a table."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import HTTPException, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from ioc.core import i18n
from ioc.core.clock import fixed_offset_seconds
from ioc.engines.exports import CSV_MIME, XLSX_MIME, Table, to_csv, to_xlsx
from ioc.engines.submissions.catalog import (
    AgencyInfo,
    Catalog,
    agency_by_id,
    catalog_from_registry,
    load_agency,
)
from ioc.engines.submissions.periods import (
    Period,
    PeriodError,
    parse_period,
)
from ioc.engines.submissions.progress import figure_text
from ioc.web.deps import (
    Principal,
    request_language,
)

ZONE = ZoneInfo(i18n.DISPLAY_ZONE)
DONE_KEYS = frozenset(
    {"csrf", "no_file", "no_obligation", "future", "forbidden", "saved", "imported", "error"}
)


def value_text(value: float | None, lang: str) -> str:
    """A figure with as many decimals as it needs (at most 2)."""
    return figure_text(value, lang)


def translator(lang: str) -> Callable[[str], str]:
    def t(key: str) -> str:
        return i18n.translate(key, lang)

    return t


def page_context(request: Request) -> tuple[Catalog, str, int]:
    settings = request.app.state.settings
    return (
        catalog_from_registry(request.app.state.registry),
        request_language(request),
        fixed_offset_seconds(settings.timezone),
    )


def period_or(text: str | None, default: Period) -> Period:
    if not text:
        return default
    try:
        return parse_period(text)
    except PeriodError as exc:
        raise HTTPException(404, str(exc)) from exc


def own_agency(db: Session, principal: Principal) -> AgencyInfo | None:
    return agency_by_id(db, principal.user.agency_id if principal.user else None)


def is_admin(principal: Principal) -> bool:
    return principal.user is not None and principal.user.role == "admin"


def sees_all(principal: Principal) -> bool:
    return principal.user is not None and principal.user.role in ("admin", "leader", "operator")


def submit_agency(db: Session, principal: Principal, code: str | None) -> AgencyInfo:
    """The agency this caller may submit for: their own, or (admins) the one chosen."""
    own = own_agency(db, principal)
    if is_admin(principal) and code:
        chosen = load_agency(db, code)
        if chosen is None:
            raise HTTPException(404, "Không có đơn vị này / no such agency")
        return chosen
    if own is None or (code and code != own.code):
        raise HTTPException(403, "Chỉ nộp được số liệu của đơn vị mình / only for your own agency")
    return own


def local_time(moment: datetime) -> datetime:
    # Exports write wall-clock time (Excel has no zones): show it in Asia/Ho_Chi_Minh.
    return moment.astimezone(ZONE)


def download(table: Table, format: str, stem: str) -> Response:
    if format == "csv":
        return Response(
            to_csv(table),
            media_type=CSV_MIME,
            headers={"Content-Disposition": f'attachment; filename="{stem}.csv"'},
        )
    return Response(
        to_xlsx(table),
        media_type=XLSX_MIME,
        headers={"Content-Disposition": f'attachment; filename="{stem}.xlsx"'},
    )


def indicator_name(indicator: Any, lang: str) -> str:
    """An indicator's name in ``lang`` (pages never show its code)."""
    return str(indicator.name_vi if lang == "vi" else indicator.name_en)
