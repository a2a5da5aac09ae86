"""The console's filters: checked, and applied to a query of alerts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta
from typing import Any, TypeVar

from sqlalchemy import Select, case, or_, select
from sqlalchemy.orm import Session

from ioc.core import i18n
from ioc.core.models import Agency, Area
from ioc.engines.alerting.models import (
    ALERT_STATUSES,
    Alert,
)
from ioc.engines.alerting.queries.rows import (
    AREA_LEVELS,
    SEVERITY_RANK,
    AlertFilters,
    FilterError,
)

# ------------------------------------------------------------------ filters

_Stmt = TypeVar("_Stmt", bound=Select[*tuple[Any, ...]])


def severity_order() -> Any:
    """SQL ordering of alerts by severity, the most severe first."""
    return case(SEVERITY_RANK, value=Alert.severity, else_=len(SEVERITY_RANK))


def apply_filters(
    session: Session, stmt: _Stmt, filters: AlertFilters, *, skip_severity: bool = False
) -> _Stmt:
    """``stmt`` limited to the alerts the console's filters select."""
    if filters.pack:
        stmt = stmt.where(Alert.pack == filters.pack)
    if filters.area:
        stmt = stmt.where(Alert.area_code == filters.area)
    if filters.severity and not skip_severity:
        stmt = stmt.where(Alert.severity == filters.severity)
    if filters.status:
        stmt = stmt.where(Alert.status == filters.status)
    if filters.agency:
        agency_id = session.execute(
            select(Agency.id).where(Agency.code == filters.agency)
        ).scalar_one_or_none()
        stmt = stmt.where(
            or_(Alert.assignee_agency_id == agency_id, Alert.agency_code == filters.agency)
        )
    tz = i18n.display_zone()
    if filters.date_from:
        stmt = stmt.where(Alert.closed_at >= datetime.combine(filters.date_from, time(), tz))
    if filters.date_to:
        end = datetime.combine(filters.date_to + timedelta(days=1), time(), tz)
        stmt = stmt.where(Alert.closed_at < end)
    return stmt


def resolve_area(session: Session, value: str | None) -> str | None:
    """The commune/ward code meant by ``value``: a code, or a name typed with or without
    diacritics (``"Buôn Ma Thuột"``, ``"phuong buon ma thuot"``). Raises :class:`FilterError`."""
    value = (value or "").strip()
    if not value:
        return None
    if value.isdigit():
        if session.execute(select(Area.id).where(Area.code == value).limit(1)).first():
            return value
    else:
        folded = i18n.fold(value)
        rows = session.execute(
            select(Area.code, Area.name_folded, Area.valid_to).where(
                Area.level.in_(AREA_LEVELS), Area.name_folded.contains(folded)
            )
        ).all()
        exact = [r for r in rows if r[1] == folded or r[1].endswith(" " + folded)]
        for candidates in (exact, rows):
            current = {code for code, _, valid_to in candidates if valid_to is None}
            codes = current or {code for code, _, _ in candidates}
            if len(codes) == 1:
                return codes.pop()
    raise FilterError(
        "area",
        f"Không tìm thấy một xã/phường duy nhất khớp «{value}»",
        f"No single commune/ward matches {value!r}",
    )


def check_filters(filters: AlertFilters, packs: Iterable[str]) -> None:
    """Refuse unknown severities, statuses and packs (raises :class:`FilterError`)."""
    if filters.severity and filters.severity not in SEVERITY_RANK:
        raise FilterError(
            "severity", f"Mức độ không hợp lệ: {filters.severity}", "Unknown severity"
        )
    if filters.status and filters.status not in ALERT_STATUSES:
        raise FilterError("status", f"Trạng thái không hợp lệ: {filters.status}", "Unknown status")
    if filters.pack and filters.pack not in set(packs):
        raise FilterError("pack", f"Lĩnh vực không hợp lệ: {filters.pack}", "Unknown pack")
