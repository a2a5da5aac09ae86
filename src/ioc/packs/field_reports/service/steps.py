"""What every action does: check the transition and the texts, set deadlines, write the
timeline event and the audit row, tell the reporter; and the report lookup."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import audit, clock
from ioc.core.calendar import WorkingCalendar
from ioc.core.models import Agency
from ioc.packs.field_reports.errors import FieldReportError
from ioc.packs.field_reports.models import Category, Report, ReportEvent
from ioc.packs.field_reports.service.configuration import Policy, policy
from ioc.packs.field_reports.service.reporter import is_citizen
from ioc.packs.field_reports.service.states import ACTION_VI, ACTIONS, MAX_TEXT, STATUS_VI, URGENT


def at_or_now(at: datetime | None) -> datetime:
    """The moment of an action: ``at`` (timezone-aware, for imports and the demo) or now."""
    if at is None:
        return clock.now()
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    return at


def check_transition(action: str, report: Report) -> None:
    """Refuse ``action`` when the report's status does not allow it (``ACTIONS``)."""
    if report.status not in ACTIONS[action]:
        status = STATUS_VI.get(report.status, report.status)
        raise FieldReportError(
            f"Không thể {ACTION_VI[action]} phản ánh {report.code} đang ở trạng thái “{status}”",
            f"Cannot {action} report {report.code} in status {report.status}",
        )


def clean_text(value: str | None, field: str, label_vi: str, *, required: bool = True) -> str:
    """A staff or citizen text, stripped, required unless told otherwise, at most
    ``MAX_TEXT`` characters."""
    text = (value or "").strip()
    if required and not text:
        raise FieldReportError(f"Vui lòng nhập {label_vi}", f"{field} is required", field=field)
    if len(text) > MAX_TEXT:
        raise FieldReportError(
            f"{label_vi.capitalize()} quá dài (tối đa {MAX_TEXT} ký tự)",
            f"{field} is too long (at most {MAX_TEXT} characters)",
            field=field,
        )
    return text


def agency_by_code(session: Session, code: str) -> Agency:
    """The agency ``code`` (refused when unknown)."""
    agency = session.execute(select(Agency).where(Agency.code == code)).scalar_one_or_none()
    if agency is None:
        raise FieldReportError(
            f"Không có đơn vị mã {code}", f"Unknown agency {code}", field="agency"
        )
    return agency


def category_of(session: Session, report: Report) -> Category:
    """The report's category."""
    category = session.get(Category, report.category_id)
    assert category is not None  # foreign key
    return category


def handle_due(cal: WorkingCalendar, cat: Category, track: str, start: datetime) -> datetime:
    """The answer deadline from ``start``: working days, or hours on the urgent track."""
    if track == URGENT:
        return cal.add_hours(start, cat.urgent_hours)
    return cal.add_working_days(start, cat.handle_days)


def intake_due(cal: WorkingCalendar, cat: Category, track: str, start: datetime) -> datetime:
    """The intake decision's deadline from ``start``."""
    if track == URGENT:
        return cal.add_hours(start, cat.urgent_intake_hours)
    return cal.add_working_days(start, cat.reject_days)


def publish_due(cal: WorkingCalendar, cat: Category, track: str, start: datetime) -> datetime:
    """The publication deadline from ``start`` (the answer given)."""
    if track == URGENT:
        return cal.add_hours(start, cat.urgent_intake_hours)
    return cal.add_working_days(start, cat.publish_days)


def step_timing(report: Report, now: datetime) -> dict[str, Any]:
    """Timeliness of the step a transition completes (for statistics)."""
    due = report.stage_due_at
    if due is None:
        return {}
    return {"due_at": due.isoformat(), "late": now > due}


def add_event(
    session: Session,
    report: Report,
    kind: str,
    actor: audit.Actor,
    now: datetime,
    *,
    status_from: str | None,
    public: bool,
    public_text: str | None = None,
    note: str | None = None,
    data: dict[str, Any] | None = None,
) -> ReportEvent:
    """A timeline event of the report (``fr_events``), added to the session."""
    event = ReportEvent(
        report_id=report.id,
        at=now,
        kind=kind,
        actor=actor.label,
        actor_user_id=actor.user_id,
        agency_id=report.agency_id,
        status_from=status_from,
        status_to=report.status,
        public=public,
        public_text=public_text,
        note=note,
        data=data or {},
    )
    session.add(event)
    return event


def audit_action(
    session: Session, actor: audit.Actor, action: str, report: Report, **detail: Any
) -> None:
    """The audit row of an action on the report (``fr.<action>``)."""
    audit.record(session, actor, f"fr.{action}", "fr_report", report.code, **detail)


def move(
    session: Session,
    actor: audit.Actor,
    report: Report,
    action: str,
    to: str,
    now: datetime,
    *,
    public: bool = True,
    public_text: str | None = None,
    note: str | None = None,
    data: dict[str, Any] | None = None,
    kind: str | None = None,
) -> ReportEvent:
    """Change the report's status to ``to``: the timeline event, the audit row and the
    message to the reporter."""
    before = report.status
    report.status = to
    report.updated_at = now
    event = add_event(
        session,
        report,
        kind or action,
        actor,
        now,
        status_from=before,
        public=public,
        public_text=public_text,
        note=note,
        data=data,
    )
    session.flush()
    audit_action(session, actor, action, report, status_from=before, status_to=to, **(data or {}))
    tell_reporter(session, report, event, actor, policy())
    return event


def tell_reporter(
    session: Session, report: Report, event: ReportEvent, actor: audit.Actor, pol: Policy
) -> None:
    """Queue the messages that tell the reporter of this step (``citizen_notice``)."""
    if not pol.notify_reporters:
        return
    from ioc.packs.field_reports import citizen_notice

    citizen_notice.status_changed(
        session,
        report,
        event,
        actor,
        public_url=pol.public_url or _default_public_url(),
        citizen=is_citizen(actor),
    )


def _default_public_url() -> str:
    from ioc.settings import get_settings

    return get_settings().public_url


# --- reads -----------------------------------------------------------------------------------


def get_report(session: Session, code: str) -> Report:
    """The report with tracking code ``code`` (case-insensitive)."""
    report = session.execute(
        select(Report).where(Report.code == (code or "").strip().upper())
    ).scalar_one_or_none()
    if report is None:
        raise FieldReportError(
            f"Không tìm thấy phản ánh mã {code}", f"No report {code}", field="code"
        )
    return report
