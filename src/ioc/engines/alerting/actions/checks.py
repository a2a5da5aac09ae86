"""What every handling action shares: the errors it raises, who may act, the locked reads of
an alert or incident, free-text checks and the timeline entry.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import auth, clock, i18n
from ioc.core.audit import Actor
from ioc.core.models import User
from ioc.engines.alerting.models import (
    ALERT_CLOSED,
    ALERT_ESCALATED,
    Alert,
    AlertEvent,
    Incident,
)

INCIDENT_OPEN = "open"
INCIDENT_CLOSED = "closed"

MAX_TEXT = 2000
"""Longest comment, note or reason, in characters."""

# Used when an alert's rule names no SOP (or an unknown one): the generic IOC handling cycle
# (verify → notify → act → monitor → report), after IBM IOC's SOP model in domain/alerting.md §6.
DEFAULT_SOP: tuple[str, ...] = (
    "Xác minh thông tin cảnh báo (dữ liệu, hiện trường)",
    "Thông báo cho đơn vị chịu trách nhiệm và lãnh đạo trực ban",
    "Triển khai biện pháp xử lý, cử lực lượng đến hiện trường nếu cần",
    "Theo dõi đến khi tình hình trở lại bình thường",
    "Báo cáo kết quả xử lý và đóng sự cố",
)

HANDLER_ROLES = frozenset({auth.Role.ADMIN.value, auth.Role.OPERATOR.value})


class AlertActionError(ValueError):
    """A refused handling action; ``str()`` is the Vietnamese message, ``.en`` the English."""

    def __init__(self, vi: str, en: str | None = None) -> None:
        super().__init__(vi)
        self.vi = vi
        self.en = en or vi

    def message(self, lang: str) -> str:
        """The message in ``lang`` (``vi`` or ``en``)."""
        return self.en if lang == "en" else self.vi


class AlertNotFound(AlertActionError):
    """The alert, incident or step does not exist."""


class AlertForbidden(AlertActionError):
    """The actor may not handle this alert or incident."""


# ------------------------------------------------------------------ helpers


def when_text(value: datetime | None) -> str:
    return i18n.format_datetime(value, "vi") if value else "—"


def date_text(value: Any) -> str:
    return i18n.format_date(value, "vi") if value else "—"


def checked_text(value: str | None, field_vi: str, field_en: str, *, required: bool) -> str | None:
    """Trimmed free text; refused when required and blank, or too long."""
    cleaned = (value or "").strip()
    if not cleaned:
        if required:
            raise AlertActionError(
                f"Cần nhập {field_vi}", f"{field_en[:1].upper()}{field_en[1:]} is required"
            )
        return None
    if len(cleaned) > MAX_TEXT:
        raise AlertActionError(
            f"{field_vi[:1].upper()}{field_vi[1:]} dài quá {MAX_TEXT} ký tự",
            f"{field_en[:1].upper()}{field_en[1:]} is longer than {MAX_TEXT} characters",
        )
    return cleaned


def may_handle(session: Session, actor: Actor, agency_id: int | None) -> bool:
    """Whether ``actor`` may act on an alert/incident assigned to ``agency_id``."""
    try:
        check_scope(session, actor, agency_id)
    except AlertForbidden:
        return False
    return True


def check_scope(session: Session, actor: Actor, agency_id: int | None) -> None:
    """Raise :class:`AlertForbidden` unless ``actor`` may act on what is assigned to
    ``agency_id`` (see :func:`may_handle`)."""
    if actor.user_id is None:
        return  # the system actor: jobs and the CLI
    user = session.get(User, actor.user_id)
    if user is None or not user.is_active:
        raise AlertForbidden("Tài khoản không còn hiệu lực", "The account is no longer active")
    if not auth.has_permission(user.role, auth.Permission.HANDLE_ALERTS):
        raise AlertForbidden(
            "Vai trò của bạn chỉ được xem, không được xử lý cảnh báo",
            "Your role may view alerts but not handle them",
        )
    if user.role in HANDLER_ROLES:
        return
    if user.agency_id is None or user.agency_id != agency_id:
        raise AlertForbidden(
            "Bạn chỉ được xử lý cảnh báo, sự cố đã giao cho đơn vị của mình",
            "You may only handle alerts and incidents assigned to your agency",
        )


_Locked = TypeVar("_Locked", Alert, Incident)


def _locked_row(session: Session, model: type[_Locked], row_id: int, vi: str, en: str) -> _Locked:
    """Row ``row_id`` of ``model``, locked for the action; :class:`AlertNotFound` with the
    texts ``vi``/``en`` when there is none."""
    # FOR UPDATE (ignored by SQLite, which serialises writers anyway): two operators acting on
    # the same row at once see each other's change instead of both passing the check.
    row = session.execute(
        select(model).where(model.id == row_id).with_for_update()
    ).scalar_one_or_none()
    if row is None:
        raise AlertNotFound(vi, en)
    return row


def locked_alert(session: Session, alert_id: int) -> Alert:
    """The alert, locked for the action (:class:`AlertNotFound` when there is none)."""
    return _locked_row(
        session, Alert, alert_id, f"Không có cảnh báo số {alert_id}", f"No alert {alert_id}"
    )


def handled_alert(session: Session, actor: Actor, alert_id: int) -> Alert:
    """The alert, locked, once the actor is known to be allowed to handle it."""
    alert = locked_alert(session, alert_id)
    check_scope(session, actor, alert.assignee_agency_id)
    return alert


def locked_incident(session: Session, incident_id: int) -> Incident:
    """The incident, locked for the action (:class:`AlertNotFound` when there is none)."""
    return _locked_row(
        session,
        Incident,
        incident_id,
        f"Không có sự cố số {incident_id}",
        f"No incident {incident_id}",
    )


def add_event(
    session: Session,
    kind: str,
    actor: Actor,
    *,
    alert_id: int | None = None,
    incident_id: int | None = None,
    note: str | None = None,
    **data: Any,
) -> None:
    """Add an entry to the timeline of an alert or incident."""
    session.add(
        AlertEvent(
            alert_id=alert_id,
            incident_id=incident_id,
            at=clock.now(),
            kind=kind,
            actor=actor.label,
            text=note,
            data=data,
        )
    )


def refuse_closed(alert: Alert) -> None:
    """Refuse an action on an alert that is already closed."""
    if alert.status == ALERT_CLOSED:
        raise AlertActionError(
            f"Cảnh báo #{alert.id} đã đóng lúc {when_text(alert.closed_at)} "
            f"({alert.closed_by}): {alert.close_reason or ''}".rstrip(": "),
            f"Alert #{alert.id} is already closed",
        )


def refuse_escalated(session: Session, alert: Alert, *, en: str) -> None:
    """Refuse to act again on an alert already escalated (the Vietnamese text names its
    incident; ``en`` is the English one)."""
    if alert.status == ALERT_ESCALATED:
        raise AlertActionError(
            f"Cảnh báo #{alert.id} đã chuyển thành sự cố "
            f"{incident_code(session, alert.incident_id)}",
            en,
        )


def incident_code(session: Session, incident_id: int | None) -> str:
    """The code of an incident for a message (``?`` when there is none)."""
    if incident_id is None:
        return "?"
    code = session.execute(select(Incident.code).where(Incident.id == incident_id)).scalar()
    return code or f"#{incident_id}"
