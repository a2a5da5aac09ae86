"""What a request of the pack's pages and API asks for and may see: the caller's agency scope
and acting identity, dates and periods from the query string or a form, an agency by code."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import HTTPException
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import clock
from ioc.core.models import Agency
from ioc.engines.actions_kit import FieldError
from ioc.packs.documents import tasks
from ioc.packs.documents.queries import Period
from ioc.web.deps import Principal

__all__ = [
    "PageError",
    "agency_by_code",
    "doer",
    "parse_date",
    "parse_period",
    "scope",
    "today",
]


class PageError(FieldError):
    """A bad query parameter or form field, named, in Vietnamese and English."""


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
