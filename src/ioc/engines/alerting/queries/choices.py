"""The choices of the console's forms: communes, agencies, assignees, packs."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import i18n
from ioc.core.models import Agency, Area, User
from ioc.engines.alerting.models import (
    Alert,
    AlertRule,
)
from ioc.engines.alerting.queries.rows import AREA_LEVELS, Option

# ------------------------------------------------------------------ choices


def area_options(session: Session) -> list[Option]:
    """Current communes and wards of the province, by name (for the area filter)."""
    rows = session.execute(
        select(Area.code, Area.name)
        .where(Area.level.in_(AREA_LEVELS), Area.valid_to.is_(None))
        .order_by(Area.name_folded)
    ).all()
    return [Option(code, name) for code, name in rows]


def agency_options(session: Session) -> list[Option]:
    """Agencies that exist today, grouped by kind (departments first)."""
    rows = session.execute(
        select(Agency.code, Agency.name, Agency.kind)
        .where(Agency.valid_to.is_(None))
        .order_by(Agency.kind, Agency.name)
    ).all()
    order = {"centre": 0, "department": 1, "police": 2, "office": 3}
    return sorted(
        (Option(code, name, kind) for code, name, kind in rows),
        key=lambda o: (order.get(o.group, 5), o.group, i18n.fold(o.label)),
    )


def assignee_options(session: Session) -> list[Option]:
    """Active people who may handle alerts (operators, agency staff, administrators)."""
    rows = session.execute(
        select(User.username, User.full_name, User.role, Agency.short_name)
        .outerjoin(Agency, Agency.id == User.agency_id)
        .where(User.is_active.is_(True), User.role.in_(("operator", "agency_staff", "admin")))
        .order_by(User.full_name)
    ).all()
    return [
        Option(username, f"{full} — {agency}" if agency else full, role)
        for username, full, role, agency in rows
    ]


def packs_with_alerts(session: Session) -> list[str]:
    """Packs that have alert rules (for the pack filter)."""
    return sorted(
        {p for (p,) in session.execute(select(AlertRule.pack).distinct()).all()}
        | {p for (p,) in session.execute(select(Alert.pack).distinct()).all()}
    )
