"""Actions on one alert: acknowledge, assign, comment, escalate, close and reopen."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from ioc.core import audit, auth, clock, i18n
from ioc.core.audit import Actor
from ioc.core.models import Agency, User
from ioc.engines.alerting.actions.checks import (
    DEFAULT_SOP,
    INCIDENT_OPEN,
    AlertActionError,
    add_event,
    checked_text,
    date_text,
    handled_alert,
    refuse_closed,
    refuse_escalated,
    when_text,
)
from ioc.engines.alerting.models import (
    ALERT_ACKNOWLEDGED,
    ALERT_CLOSED,
    ALERT_ESCALATED,
    ALERT_NEW,
    Alert,
    AlertInstance,
    AlertRule,
    Incident,
    IncidentStep,
    SopTemplate,
)

# ------------------------------------------------------------------ alert actions


def acknowledge(session: Session, actor: Actor, alert_id: int, *, note: str | None = None) -> Alert:
    """Tiếp nhận: an operator has seen a new alert and takes it in hand."""
    alert = handled_alert(session, actor, alert_id)
    note = checked_text(note, "ghi chú", "note", required=False)
    refuse_closed(alert)
    refuse_escalated(session, alert, en=f"Alert #{alert.id} was already escalated to an incident")
    if alert.status == ALERT_ACKNOWLEDGED:
        raise AlertActionError(
            f"Cảnh báo #{alert.id} đã được {alert.acknowledged_by} tiếp nhận lúc "
            f"{when_text(alert.acknowledged_at)}",
            f"Alert #{alert.id} was already acknowledged by {alert.acknowledged_by}",
        )
    now = clock.now()
    alert.status = ALERT_ACKNOWLEDGED
    alert.acknowledged_at = now
    alert.acknowledged_by = actor.label
    alert.updated_at = now
    add_event(session, "acknowledged", actor, alert_id=alert.id, note=note)
    audit.record(session, actor, "alert.acknowledge", "alert", alert.id)
    return alert


def _assignee_agency(session: Session, agency_code: str) -> Agency:
    """The agency an alert is assigned to: it exists and still works."""
    agency = session.execute(select(Agency).where(Agency.code == agency_code)).scalar_one_or_none()
    if agency is None:
        raise AlertActionError(
            f"Không có đơn vị mã «{agency_code}»", f"No agency with code {agency_code!r}"
        )
    if agency.valid_to is not None:
        raise AlertActionError(
            f"Đơn vị {agency.name} không còn hoạt động (đến {date_text(agency.valid_to)})",
            f"Agency {agency.name} no longer exists",
        )
    return agency


def _assignee_user(
    session: Session, username: str, agency: Agency | None
) -> tuple[User, Agency | None]:
    """The person an alert is assigned to (active, allowed to handle alerts, of ``agency`` when
    agency staff), and the agency of the assignment: ``agency``, else the person's own."""
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None or not user.is_active:
        raise AlertActionError(
            f"Không có người dùng đang hoạt động «{username}»", f"No active user {username!r}"
        )
    if not auth.has_permission(user.role, auth.Permission.HANDLE_ALERTS):
        raise AlertActionError(
            f"{user.full_name} không có quyền xử lý cảnh báo",
            f"{user.full_name} may not handle alerts",
        )
    if agency is None and user.agency_id is not None:
        agency = session.get(Agency, user.agency_id)
    if (
        agency is not None
        and user.role == auth.Role.AGENCY_STAFF.value
        and user.agency_id != agency.id
    ):
        raise AlertActionError(
            f"{user.full_name} không thuộc {agency.name}",
            f"{user.full_name} does not belong to {agency.name}",
        )
    return user, agency


def assign(
    session: Session,
    actor: Actor,
    alert_id: int,
    *,
    agency_code: str | None = None,
    username: str | None = None,
    note: str | None = None,
) -> Alert:
    """Giao xử lý: assign an open alert to an agency and/or a person.

    A person of an agency given without an agency assigns that agency too. When the alert is
    escalated, its open incident follows the new agency (the responsible unit runs the SOP).
    """
    alert = handled_alert(session, actor, alert_id)
    note = checked_text(note, "ghi chú", "note", required=False)
    refuse_closed(alert)
    agency_code = (agency_code or "").strip() or None
    username = (username or "").strip() or None
    if agency_code is None and username is None:
        raise AlertActionError(
            "Chọn đơn vị hoặc người được giao xử lý", "Choose an agency or a person to assign"
        )
    agency = _assignee_agency(session, agency_code) if agency_code is not None else None
    user: User | None = None
    if username is not None:
        user, agency = _assignee_user(session, username, agency)
    new_agency_id = agency.id if agency is not None else alert.assignee_agency_id
    new_user_id = user.id if user is not None else alert.assignee_user_id
    if (new_agency_id, new_user_id) == (alert.assignee_agency_id, alert.assignee_user_id):
        raise AlertActionError(
            f"Cảnh báo #{alert.id} đã được giao như vậy rồi",
            f"Alert #{alert.id} is already assigned so",
        )
    if agency is not None and new_agency_id != alert.assignee_agency_id and user is None:
        new_user_id = None  # a new agency decides itself who of its staff handles it
    alert.assignee_agency_id = new_agency_id
    alert.assignee_user_id = new_user_id
    alert.updated_at = clock.now()
    if alert.status == ALERT_ESCALATED and alert.incident_id is not None:
        incident = session.get(Incident, alert.incident_id)
        if incident is not None and incident.status == INCIDENT_OPEN:
            incident.agency_id = new_agency_id
    agency_out = agency.code if agency is not None else None
    user_out = user.username if user is not None else None
    add_event(
        session,
        "assigned",
        actor,
        alert_id=alert.id,
        note=note,
        agency=agency_out,
        agency_name=agency.short_name if agency is not None else None,
        user=user_out,
        user_name=user.full_name if user is not None else None,
    )
    audit.record(
        session, actor, "alert.assign", "alert", alert.id, agency=agency_out, user=user_out
    )
    return alert


def comment(session: Session, actor: Actor, alert_id: int, *, body: str) -> Alert:
    """Ghi chú: add a comment to an alert's timeline (also after it is closed)."""
    alert = handled_alert(session, actor, alert_id)
    cleaned = checked_text(body, "nội dung ghi chú", "comment text", required=True)
    alert.updated_at = clock.now()
    add_event(
        session, "commented", actor, alert_id=alert.id, incident_id=alert.incident_id, note=cleaned
    )
    audit.record(session, actor, "alert.comment", "alert", alert.id, length=len(cleaned or ""))
    return alert


def _steps_of(template: SopTemplate | None) -> list[str]:
    if template is None:
        return list(DEFAULT_SOP)
    steps: list[str] = []
    for item in template.steps or []:
        # Tolerate {"title": ...} / {"vi": ...} items besides plain strings.
        if isinstance(item, dict):
            item = item.get("title") or item.get("vi") or ""
        title = str(item).strip()
        if title:
            steps.append(title[:500])
    return steps or list(DEFAULT_SOP)


def _next_incident_code(session: Session) -> str:
    year = i18n.to_local(clock.now()).year
    prefix = f"SC-{year}-"
    if session.get_bind().dialect.name == "postgresql":
        # Serialise code allocation between concurrent escalations (released at commit).
        session.execute(sql_text("SELECT pg_advisory_xact_lock(hashtext('ioc.incident_code'))"))
    codes = session.execute(select(Incident.code).where(Incident.code.like(prefix + "%"))).scalars()
    highest = 0
    for code in codes:
        suffix = code[len(prefix) :]
        if suffix.isdigit():
            highest = max(highest, int(suffix))
    return f"{prefix}{highest + 1:04d}"


def escalate(
    session: Session,
    actor: Actor,
    alert_id: int,
    *,
    title: str | None = None,
    note: str | None = None,
) -> Incident:
    """Chuyển thành sự cố: open an incident for the alert, with its SOP checklist.

    Steps come from the SOP template the alert's rule names (``AlertRule.sop_key``), else the
    generic :data:`DEFAULT_SOP`. The code is ``SC-YYYY-NNNN``, numbered per (local) year.
    """
    alert = handled_alert(session, actor, alert_id)
    title = checked_text(title, "tên sự cố", "incident title", required=False)
    note = checked_text(note, "ghi chú", "note", required=False)
    refuse_closed(alert)
    refuse_escalated(session, alert, en=f"Alert #{alert.id} was already escalated")
    if title is not None and len(title) > 300:
        raise AlertActionError("Tên sự cố dài quá 300 ký tự", "Incident title over 300 characters")
    rule = session.get(AlertRule, alert.rule_id)
    sop_key = rule.sop_key if rule is not None else None
    template = session.get(SopTemplate, sop_key) if sop_key else None
    now = clock.now()
    incident = Incident(
        code=_next_incident_code(session),
        title=title or alert.title,
        severity=alert.severity,
        pack=alert.pack,
        area_code=alert.area_code,
        agency_id=alert.assignee_agency_id,
        sop_key=template.key if template is not None else None,
        status=INCIDENT_OPEN,
        opened_at=now,
        opened_by=actor.label,
    )
    session.add(incident)
    session.flush()
    steps = _steps_of(template)
    for position, step_title in enumerate(steps, start=1):
        session.add(IncidentStep(incident_id=incident.id, position=position, title=step_title))
    if alert.status == ALERT_NEW:
        alert.acknowledged_at = now  # escalating implies someone took the alert in hand
        alert.acknowledged_by = actor.label
    alert.status = ALERT_ESCALATED
    alert.incident_id = incident.id
    alert.updated_at = now
    add_event(
        session,
        "escalated",
        actor,
        alert_id=alert.id,
        incident_id=incident.id,
        note=note,
        code=incident.code,
        sop=incident.sop_key,
        steps=len(steps),
    )
    audit.record(session, actor, "alert.escalate", "alert", alert.id, incident=incident.code)
    audit.record(
        session,
        actor,
        "incident.open",
        "incident",
        incident.id,
        code=incident.code,
        alert=alert.id,
        sop=incident.sop_key,
    )
    return incident


def close_alert(session: Session, actor: Actor, alert_id: int, *, reason: str) -> Alert:
    """Đóng cảnh báo with a resolution reason (false alarm, handled, duplicate …).

    An escalated alert is closed with its incident (:func:`close_incident`), so the SOP is
    never left behind half-done.
    """
    alert = handled_alert(session, actor, alert_id)
    why = checked_text(reason, "lý do đóng", "closing reason", required=True)
    refuse_closed(alert)
    if alert.status == ALERT_ESCALATED and alert.incident_id is not None:
        incident = session.get(Incident, alert.incident_id)
        if incident is not None and incident.status == INCIDENT_OPEN:
            raise AlertActionError(
                f"Cảnh báo #{alert.id} thuộc sự cố {incident.code} đang xử lý: "
                "hãy đóng sự cố (các cảnh báo của sự cố sẽ đóng theo)",
                f"Alert #{alert.id} belongs to open incident {incident.code}: close the incident",
            )
    mark_closed(session, actor, alert, why or "")
    audit.record(session, actor, "alert.close", "alert", alert.id, reason=why)
    return alert


def mark_closed(session: Session, actor: Actor, alert: Alert, reason: str, **data: Any) -> None:
    """Close the alert with ``reason`` and write the timeline entry (no audit row)."""
    now = clock.now()
    alert.status = ALERT_CLOSED
    alert.closed_at = now
    alert.closed_by = actor.label
    alert.close_reason = reason
    alert.updated_at = now
    add_event(session, "closed", actor, alert_id=alert.id, note=reason, **data)


def reopen_alert(session: Session, actor: Actor, alert_id: int, *, reason: str) -> Alert:
    """Mở lại: undo a closing made while the condition is still firing (closed by mistake).

    An alert whose condition has ended cannot be reopened: if the problem comes back, the
    evaluation engine opens a new alert.
    """
    alert = handled_alert(session, actor, alert_id)
    why = checked_text(reason, "lý do mở lại", "reason for reopening", required=True)
    if alert.status != ALERT_CLOSED:
        raise AlertActionError(
            f"Cảnh báo #{alert.id} chưa đóng, không cần mở lại",
            f"Alert #{alert.id} is not closed",
        )
    if alert.ends_at is not None:
        raise AlertActionError(
            f"Điều kiện của cảnh báo #{alert.id} đã hết lúc {when_text(alert.ends_at)}: không mở "
            "lại được (nếu tái diễn, hệ thống sẽ tạo cảnh báo mới)",
            f"The condition of alert #{alert.id} ended; a recurrence opens a new alert",
        )
    newer = session.execute(
        select(AlertInstance.alert_id).where(AlertInstance.id == alert.instance_id)
    ).scalar()
    if newer is not None and newer != alert.id:
        raise AlertActionError(
            f"Đã có cảnh báo mới #{newer} cho cùng đối tượng", f"Alert #{newer} supersedes it"
        )
    incident = session.get(Incident, alert.incident_id) if alert.incident_id else None
    if incident is not None and incident.status == INCIDENT_OPEN:
        alert.status = ALERT_ESCALATED
    elif alert.acknowledged_at is not None:
        alert.status = ALERT_ACKNOWLEDGED
    else:
        alert.status = ALERT_NEW
    alert.closed_at = None
    alert.closed_by = None
    alert.close_reason = None
    alert.updated_at = clock.now()
    add_event(session, "reopened", actor, alert_id=alert.id, note=why, status=alert.status)
    audit.record(session, actor, "alert.reopen", "alert", alert.id, reason=why)
    return alert
