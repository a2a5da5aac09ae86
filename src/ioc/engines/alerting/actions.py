"""Handling actions on alerts and incidents (xử lý cảnh báo, sự cố).

Each function is the ONE way its state change happens — web routes, jobs and the CLI call the
same function. Each checks who acts and whether the transition is legal (raising
:class:`AlertActionError` with a message in Vietnamese, English in ``.en``), changes state,
writes a timeline entry (:class:`AlertEvent`) and an audit row in the caller's transaction, and
never commits.

Alert status machine (``Alert.status``)::

    new ──acknowledge──► acknowledged ──escalate──► escalated ──close_incident──► closed
     │ └──────────────────escalate──────────────────┘                              ▲
     └──────────────close_alert (new / acknowledged)──────────────────────────────┘
    closed ──reopen_alert (condition still firing)──► acknowledged | new

Who may act: operators and administrators on everything; agency staff only on alerts (and
incidents) assigned to their own agency; the system actor (jobs, CLI) always; leaders never
(they watch). See :func:`may_handle`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from ioc.core import audit, auth, clock, i18n
from ioc.core.audit import Actor
from ioc.core.models import Agency, User
from ioc.engines.alerting.models import (
    ALERT_ACKNOWLEDGED,
    ALERT_CLOSED,
    ALERT_ESCALATED,
    ALERT_NEW,
    Alert,
    AlertEvent,
    AlertInstance,
    AlertRule,
    Incident,
    IncidentStep,
    SopTemplate,
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


def _when(value: datetime | None) -> str:
    return i18n.format_datetime(value, "vi") if value else "—"


def _when_date(value: Any) -> str:
    return i18n.format_date(value, "vi") if value else "—"


def _text(value: str | None, field_vi: str, field_en: str, *, required: bool) -> str | None:
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
        _check_scope(session, actor, agency_id)
    except AlertForbidden:
        return False
    return True


def _check_scope(session: Session, actor: Actor, agency_id: int | None) -> None:
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


def _alert(session: Session, alert_id: int) -> Alert:
    # FOR UPDATE (ignored by SQLite, which serialises writers anyway): two operators acting on
    # the same alert at once see each other's change instead of both passing the check.
    alert = session.execute(
        select(Alert).where(Alert.id == alert_id).with_for_update()
    ).scalar_one_or_none()
    if alert is None:
        raise AlertNotFound(f"Không có cảnh báo số {alert_id}", f"No alert {alert_id}")
    return alert


def _incident(session: Session, incident_id: int) -> Incident:
    incident = session.execute(
        select(Incident).where(Incident.id == incident_id).with_for_update()
    ).scalar_one_or_none()
    if incident is None:
        raise AlertNotFound(f"Không có sự cố số {incident_id}", f"No incident {incident_id}")
    return incident


def _event(
    session: Session,
    kind: str,
    actor: Actor,
    *,
    alert_id: int | None = None,
    incident_id: int | None = None,
    note: str | None = None,
    **data: Any,
) -> None:
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


def _refuse_closed(alert: Alert) -> None:
    if alert.status == ALERT_CLOSED:
        raise AlertActionError(
            f"Cảnh báo #{alert.id} đã đóng lúc {_when(alert.closed_at)} "
            f"({alert.closed_by}): {alert.close_reason or ''}".rstrip(": "),
            f"Alert #{alert.id} is already closed",
        )


def _incident_code(session: Session, incident_id: int | None) -> str:
    if incident_id is None:
        return "?"
    code = session.execute(select(Incident.code).where(Incident.id == incident_id)).scalar()
    return code or f"#{incident_id}"


# ------------------------------------------------------------------ several alerts at once


@dataclass
class BulkResult:
    """What one action over several alerts did: the alerts it changed and, for the others,
    why not (already acknowledged, another agency's, closed meanwhile …)."""

    done: list[int] = field(default_factory=list)
    skipped: list[tuple[int, AlertActionError]] = field(default_factory=list)


def for_each_alert(
    session: Session, alert_ids: Sequence[int], action: Callable[[int], Any]
) -> BulkResult:
    """Run ``action(alert_id)`` — one of this module's actions, with its checks, timeline
    entry and audit row — for every alert, each in its own savepoint: an alert the actor may
    not handle, or whose state forbids it, is skipped with the reason; the others go through.
    In the caller's transaction (never commits)."""
    result = BulkResult()
    for alert_id in dict.fromkeys(alert_ids):  # each once, in the given order
        try:
            with session.begin_nested():
                action(alert_id)
        except AlertActionError as exc:
            result.skipped.append((alert_id, exc))
        else:
            result.done.append(alert_id)
    return result


# ------------------------------------------------------------------ alert actions


def acknowledge(session: Session, actor: Actor, alert_id: int, *, note: str | None = None) -> Alert:
    """Tiếp nhận: an operator has seen a new alert and takes it in hand."""
    alert = _alert(session, alert_id)
    _check_scope(session, actor, alert.assignee_agency_id)
    note = _text(note, "ghi chú", "note", required=False)
    _refuse_closed(alert)
    if alert.status == ALERT_ESCALATED:
        raise AlertActionError(
            f"Cảnh báo #{alert.id} đã chuyển thành sự cố "
            f"{_incident_code(session, alert.incident_id)}",
            f"Alert #{alert.id} was already escalated to an incident",
        )
    if alert.status == ALERT_ACKNOWLEDGED:
        raise AlertActionError(
            f"Cảnh báo #{alert.id} đã được {alert.acknowledged_by} tiếp nhận lúc "
            f"{_when(alert.acknowledged_at)}",
            f"Alert #{alert.id} was already acknowledged by {alert.acknowledged_by}",
        )
    now = clock.now()
    alert.status = ALERT_ACKNOWLEDGED
    alert.acknowledged_at = now
    alert.acknowledged_by = actor.label
    alert.updated_at = now
    _event(session, "acknowledged", actor, alert_id=alert.id, note=note)
    audit.record(session, actor, "alert.acknowledge", "alert", alert.id)
    return alert


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
    alert = _alert(session, alert_id)
    _check_scope(session, actor, alert.assignee_agency_id)
    note = _text(note, "ghi chú", "note", required=False)
    _refuse_closed(alert)
    agency_code = (agency_code or "").strip() or None
    username = (username or "").strip() or None
    if agency_code is None and username is None:
        raise AlertActionError(
            "Chọn đơn vị hoặc người được giao xử lý", "Choose an agency or a person to assign"
        )
    agency: Agency | None = None
    if agency_code is not None:
        agency = session.execute(
            select(Agency).where(Agency.code == agency_code)
        ).scalar_one_or_none()
        if agency is None:
            raise AlertActionError(
                f"Không có đơn vị mã «{agency_code}»", f"No agency with code {agency_code!r}"
            )
        if agency.valid_to is not None:
            raise AlertActionError(
                f"Đơn vị {agency.name} không còn hoạt động (đến {_when_date(agency.valid_to)})",
                f"Agency {agency.name} no longer exists",
            )
    user: User | None = None
    if username is not None:
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
    _event(
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
    alert = _alert(session, alert_id)
    _check_scope(session, actor, alert.assignee_agency_id)
    cleaned = _text(body, "nội dung ghi chú", "comment text", required=True)
    alert.updated_at = clock.now()
    _event(
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
    alert = _alert(session, alert_id)
    _check_scope(session, actor, alert.assignee_agency_id)
    title = _text(title, "tên sự cố", "incident title", required=False)
    note = _text(note, "ghi chú", "note", required=False)
    _refuse_closed(alert)
    if alert.status == ALERT_ESCALATED:
        raise AlertActionError(
            f"Cảnh báo #{alert.id} đã chuyển thành sự cố "
            f"{_incident_code(session, alert.incident_id)}",
            f"Alert #{alert.id} was already escalated",
        )
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
    _event(
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
    alert = _alert(session, alert_id)
    _check_scope(session, actor, alert.assignee_agency_id)
    why = _text(reason, "lý do đóng", "closing reason", required=True)
    _refuse_closed(alert)
    if alert.status == ALERT_ESCALATED and alert.incident_id is not None:
        incident = session.get(Incident, alert.incident_id)
        if incident is not None and incident.status == INCIDENT_OPEN:
            raise AlertActionError(
                f"Cảnh báo #{alert.id} thuộc sự cố {incident.code} đang xử lý: "
                "hãy đóng sự cố (các cảnh báo của sự cố sẽ đóng theo)",
                f"Alert #{alert.id} belongs to open incident {incident.code}: close the incident",
            )
    _close(session, actor, alert, why or "")
    audit.record(session, actor, "alert.close", "alert", alert.id, reason=why)
    return alert


def _close(session: Session, actor: Actor, alert: Alert, reason: str, **data: Any) -> None:
    now = clock.now()
    alert.status = ALERT_CLOSED
    alert.closed_at = now
    alert.closed_by = actor.label
    alert.close_reason = reason
    alert.updated_at = now
    _event(session, "closed", actor, alert_id=alert.id, note=reason, **data)


def reopen_alert(session: Session, actor: Actor, alert_id: int, *, reason: str) -> Alert:
    """Mở lại: undo a closing made while the condition is still firing (closed by mistake).

    An alert whose condition has ended cannot be reopened: if the problem comes back, the
    evaluation engine opens a new alert.
    """
    alert = _alert(session, alert_id)
    _check_scope(session, actor, alert.assignee_agency_id)
    why = _text(reason, "lý do mở lại", "reason for reopening", required=True)
    if alert.status != ALERT_CLOSED:
        raise AlertActionError(
            f"Cảnh báo #{alert.id} chưa đóng, không cần mở lại",
            f"Alert #{alert.id} is not closed",
        )
    if alert.ends_at is not None:
        raise AlertActionError(
            f"Điều kiện của cảnh báo #{alert.id} đã hết lúc {_when(alert.ends_at)}: không mở "
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
    _event(session, "reopened", actor, alert_id=alert.id, note=why, status=alert.status)
    audit.record(session, actor, "alert.reopen", "alert", alert.id, reason=why)
    return alert


# ------------------------------------------------------------------ incident actions


def _step(session: Session, step_id: int) -> tuple[IncidentStep, Incident]:
    step = session.execute(
        select(IncidentStep).where(IncidentStep.id == step_id).with_for_update()
    ).scalar_one_or_none()
    if step is None:
        raise AlertNotFound(f"Không có bước xử lý số {step_id}", f"No SOP step {step_id}")
    return step, _incident(session, step.incident_id)


def _refuse_closed_incident(incident: Incident) -> None:
    if incident.status == INCIDENT_CLOSED:
        raise AlertActionError(
            f"Sự cố {incident.code} đã đóng lúc {_when(incident.closed_at)} ({incident.closed_by})",
            f"Incident {incident.code} is already closed",
        )


def _touch_alerts(session: Session, incident_id: int) -> None:
    # The console lists alerts by recent change; a step ticked is a change to follow.
    now = clock.now()
    for alert in session.execute(select(Alert).where(Alert.incident_id == incident_id)).scalars():
        alert.updated_at = now


def complete_step(
    session: Session, actor: Actor, step_id: int, *, note: str | None = None
) -> IncidentStep:
    """Hoàn thành bước: tick an SOP step of an open incident, with an optional note."""
    step, incident = _step(session, step_id)
    _check_scope(session, actor, incident.agency_id)
    note = _text(note, "ghi chú", "note", required=False)
    _refuse_closed_incident(incident)
    if step.done_at is not None:
        raise AlertActionError(
            f"Bước {step.position} đã hoàn thành lúc {_when(step.done_at)} ({step.done_by})",
            f"Step {step.position} is already done",
        )
    step.done_at = clock.now()
    step.done_by = actor.label
    step.note = note
    _touch_alerts(session, incident.id)
    _event(
        session,
        "step_done",
        actor,
        incident_id=incident.id,
        note=note,
        position=step.position,
        title=step.title,
    )
    audit.record(
        session, actor, "incident.step_done", "incident", incident.id, position=step.position
    )
    return step


def reopen_step(session: Session, actor: Actor, step_id: int, *, note: str) -> IncidentStep:
    """Làm lại bước: untick a step of an open incident; the reason is required."""
    step, incident = _step(session, step_id)
    _check_scope(session, actor, incident.agency_id)
    why = _text(note, "lý do làm lại bước", "reason for reopening the step", required=True)
    _refuse_closed_incident(incident)
    if step.done_at is None:
        raise AlertActionError(
            f"Bước {step.position} chưa hoàn thành", f"Step {step.position} is not done"
        )
    step.done_at = None
    step.done_by = None
    step.note = None
    _touch_alerts(session, incident.id)
    _event(
        session,
        "step_reopened",
        actor,
        incident_id=incident.id,
        note=why,
        position=step.position,
        title=step.title,
    )
    audit.record(
        session,
        actor,
        "incident.step_reopen",
        "incident",
        incident.id,
        position=step.position,
        reason=why,
    )
    return step


def close_incident(session: Session, actor: Actor, incident_id: int, *, reason: str) -> Incident:
    """Đóng sự cố with a resolution reason; its alerts still open are closed with it.

    Unfinished SOP steps do not block closing (the situation may end before the checklist),
    but their number is recorded on the timeline and in the audit row.
    """
    incident = _incident(session, incident_id)
    _check_scope(session, actor, incident.agency_id)
    why = _text(reason, "lý do đóng", "closing reason", required=True)
    _refuse_closed_incident(incident)
    open_steps = session.execute(
        select(func.count())
        .select_from(IncidentStep)
        .where(IncidentStep.incident_id == incident.id, IncidentStep.done_at.is_(None))
    ).scalar_one()
    now = clock.now()
    incident.status = INCIDENT_CLOSED
    incident.closed_at = now
    incident.closed_by = actor.label
    incident.close_reason = why
    closed: list[int] = []
    alerts: Sequence[Alert] = (
        session.execute(
            select(Alert)
            .where(Alert.incident_id == incident.id, Alert.status != ALERT_CLOSED)
            .with_for_update()
        )
        .scalars()
        .all()
    )
    for alert in alerts:
        _close(session, actor, alert, why or "", incident=incident.code)
        closed.append(alert.id)
    _event(
        session,
        "incident_closed",
        actor,
        incident_id=incident.id,
        note=why,
        open_steps=open_steps,
        alerts=closed,
    )
    audit.record(
        session,
        actor,
        "incident.close",
        "incident",
        incident.id,
        code=incident.code,
        reason=why,
        open_steps=open_steps,
        alerts=closed,
    )
    return incident
