"""The status transitions of a report (table in the package docstring), one function each."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.core import audit
from ioc.core.calendar import load_calendar
from ioc.core.models import Agency
from ioc.packs.field_reports import routing
from ioc.packs.field_reports.errors import FieldReportError
from ioc.packs.field_reports.models import Photo, Report
from ioc.packs.field_reports.service.configuration import Policy, policy
from ioc.packs.field_reports.service.photo_intake import attach_photos, process_photos
from ioc.packs.field_reports.service.reporter import check_reporter, is_citizen
from ioc.packs.field_reports.service.states import (
    ANSWERED,
    ASSIGNED,
    IN_PROGRESS,
    INFO_REQUESTED,
    MERGED,
    PUBLISHED,
    RATED,
    RECEIVED,
    REJECTED,
    RESOLUTIONS,
)
from ioc.packs.field_reports.service.steps import (
    add_event,
    agency_by_code,
    at_or_now,
    category_of,
    check_transition,
    clean_text,
    handle_due,
    intake_due,
    move,
    publish_due,
    step_timing,
)


def reject(
    session: Session, actor: audit.Actor, report: Report, reason: str, *, at: datetime | None = None
) -> Report:
    """Từ chối tiếp nhận (with a reason shown to the public): closes the report."""
    check_transition("reject", report)
    reason = clean_text(reason, "reason", "lý do từ chối")
    now = at_or_now(at)
    step = step_timing(report, now)
    report.reject_reason = reason
    report.closed = True
    report.closed_at = now
    report.resolution = "rejected"
    report.fixed = False
    report.stage_due_at = None
    move(session, actor, report, "reject", REJECTED, now, public_text=reason, data=step)
    return report


def assign(
    session: Session,
    actor: audit.Actor,
    report: Report,
    agency_code: str | None = None,
    *,
    note: str | None = None,
    at: datetime | None = None,
) -> Report:
    """Chuyển đơn vị xử lý: to ``agency_code``, or to the agency the routing rules give.

    The handling deadline keeps counting from receipt (set at submission)."""
    check_transition("assign", report)
    now = at_or_now(at)
    category = category_of(session, report)
    if agency_code:
        agency = agency_by_code(session, agency_code)
        reason = "manual"
    else:
        found = routing.route(session, category, report.area_code)
        agency, reason = found.agency, found.reason
    step = step_timing(report, now)
    report.agency_id = agency.id
    report.assigned_at = now
    report.stage_due_at = report.due_at
    move(
        session,
        actor,
        report,
        "assign",
        ASSIGNED,
        now,
        public_text=agency.name,
        note=note,
        data={**step, "agency": agency.code, "routing": reason},
    )
    return report


def transfer(
    session: Session,
    actor: audit.Actor,
    report: Report,
    agency_code: str,
    reason: str,
    *,
    at: datetime | None = None,
) -> Report:
    """Chuyển đơn vị khác: the report was sent to the wrong agency; the handling deadline
    restarts from the transfer."""
    check_transition("transfer", report)
    agency = agency_by_code(session, agency_code)
    if agency.id == report.agency_id:
        raise FieldReportError(
            "Phản ánh đang ở chính đơn vị này",
            "The report is already with this agency",
            field="agency",
        )
    reason = clean_text(reason, "reason", "lý do chuyển")
    now = at_or_now(at)
    previous = session.get(Agency, report.agency_id) if report.agency_id else None
    cal = load_calendar(session)
    report.agency_id = agency.id
    report.assigned_at = now
    report.due_at = handle_due(cal, category_of(session, report), report.track, now)
    report.stage_due_at = report.due_at
    move(
        session,
        actor,
        report,
        "transfer",
        ASSIGNED,
        now,
        public_text=agency.name,
        note=reason,
        data={"agency": agency.code, "from_agency": previous.code if previous else None},
    )
    return report


def request_info(
    session: Session,
    actor: audit.Actor,
    report: Report,
    question: str,
    *,
    at: datetime | None = None,
) -> Report:
    """Yêu cầu bổ sung thông tin: ask the reporter a question (shown on the tracking page).

    The event records whether the request came within the ``info_days`` limit."""
    check_transition("request_info", report)
    question = clean_text(question, "question", "nội dung cần bổ sung")
    now = at_or_now(at)
    cal = load_calendar(session)
    category = category_of(session, report)
    late = report.info_request_due_at is not None and now > report.info_request_due_at
    report.info_return_status = report.status
    report.info_request_text = question
    report.stage_due_at = cal.add_working_days(now, category.reply_days)
    move(
        session,
        actor,
        report,
        "request_info",
        INFO_REQUESTED,
        now,
        public_text=question,
        data={
            "due_at": report.info_request_due_at.isoformat()
            if report.info_request_due_at
            else None,
            "late": late,
        },
    )
    return report


def provide_info(
    session: Session,
    actor: audit.Actor,
    report: Report,
    text: str,
    *,
    photos: Sequence[bytes] = (),
    secret: str | None = None,
    at: datetime | None = None,
    pol: Policy | None = None,
) -> Report:
    """Bổ sung thông tin (by the reporter): back to the status the question was asked from;
    the handling deadline restarts, as for a complete report received now."""
    check_transition("provide_info", report)
    check_reporter(report, actor, secret)
    text = clean_text(text, "text", "thông tin bổ sung")
    pol = pol or policy()
    existing = session.execute(
        select(func.count(Photo.id)).where(Photo.report_id == report.id)
    ).scalar_one()
    processed = process_photos(photos, existing, pol)
    now = at_or_now(at)
    cal = load_calendar(session)
    category = category_of(session, report)
    back = report.info_return_status or RECEIVED
    report.info_return_status = None
    report.due_at = handle_due(cal, category, report.track, now)
    report.stage_due_at = (
        intake_due(cal, category, report.track, now) if back == RECEIVED else report.due_at
    )
    attach_photos(session, report, processed, now, pol, "citizen")
    # The reporter's text may hold personal details: internal note, not public.
    move(
        session,
        actor,
        report,
        "provide_info",
        back,
        now,
        note=text,
        data={"photos": len(processed)},
    )
    return report


def start_progress(
    session: Session,
    actor: audit.Actor,
    report: Report,
    *,
    note: str | None = None,
    at: datetime | None = None,
) -> Report:
    """Bắt đầu xử lý: the agency acknowledges and starts work."""
    check_transition("start_progress", report)
    now = at_or_now(at)
    move(session, actor, report, "start_progress", IN_PROGRESS, now, note=note)
    return report


def answer(
    session: Session,
    actor: audit.Actor,
    report: Report,
    text: str,
    *,
    resolution: str = "fixed",
    note: str | None = None,
    at: datetime | None = None,
) -> Report:
    """Trả lời: the agency's answer (public once published) and its resolution; closes the
    report. Only resolution ``fixed`` marks the problem fixed."""
    check_transition("answer", report)
    text = clean_text(text, "text", "nội dung trả lời")
    if resolution not in RESOLUTIONS:
        raise FieldReportError(
            "Kết quả xử lý không hợp lệ", f"Invalid resolution {resolution}", field="resolution"
        )
    now = at_or_now(at)
    step = step_timing(report, now)
    cal = load_calendar(session)
    report.public_answer = text
    report.answered_at = now
    report.resolution = resolution
    report.fixed = resolution == "fixed"
    report.closed = True
    report.closed_at = now
    report.stage_due_at = publish_due(cal, category_of(session, report), report.track, now)
    # Not public until published: the answer text reaches the public through `publish`.
    move(
        session,
        actor,
        report,
        "answer",
        ANSWERED,
        now,
        public=False,
        note=note,
        data={**step, "resolution": resolution},
    )
    return report


def publish(
    session: Session,
    actor: audit.Actor,
    report: Report,
    *,
    text: str | None = None,
    at: datetime | None = None,
) -> Report:
    """Công khai kết quả: make the answer public (``text`` replaces it, e.g. after editing
    out personal details)."""
    check_transition("publish", report)
    if text is not None:
        report.public_answer = clean_text(text, "text", "nội dung trả lời")
    now = at_or_now(at)
    step = step_timing(report, now)
    report.published_at = now
    report.stage_due_at = None
    move(
        session,
        actor,
        report,
        "publish",
        PUBLISHED,
        now,
        public_text=report.public_answer,
        data=step,
    )
    return report


def rate(
    session: Session,
    actor: audit.Actor,
    report: Report,
    *,
    satisfied: bool,
    really_fixed: bool,
    comment: str | None = None,
    secret: str | None = None,
    at: datetime | None = None,
) -> Report:
    """Đánh giá (by the reporter): satisfied or not, and whether the problem was really fixed.

    A "not fixed" verdict is recorded next to the agency's ``fixed`` flag, never over it; the
    reporter may then :func:`reopen` the report."""
    check_transition("rate", report)
    check_reporter(report, actor, secret)
    comment = clean_text(comment, "comment", "nhận xét", required=False) or None
    now = at_or_now(at)
    report.rating_satisfied = bool(satisfied)
    report.rating_fixed = bool(really_fixed)
    report.rated_at = now
    move(
        session,
        actor,
        report,
        "rate",
        RATED,
        now,
        note=comment,
        data={"satisfied": bool(satisfied), "really_fixed": bool(really_fixed)},
    )
    return report


def reopen(
    session: Session,
    actor: audit.Actor,
    report: Report,
    reason: str,
    *,
    secret: str | None = None,
    at: datetime | None = None,
) -> Report:
    """Mở lại: the problem is back or the answer is not acceptable. Returns the report to its
    agency (``assigned``, new handling deadline) or, without an agency (a rejected report),
    to intake. The reporter reopens with the secret; staff with ``secret=None``."""
    check_transition("reopen", report)
    if secret is not None or is_citizen(actor):
        check_reporter(report, actor, secret)
    reason = clean_text(reason, "reason", "lý do mở lại")
    by_reporter = secret is not None or is_citizen(actor)
    now = at_or_now(at)
    cal = load_calendar(session)
    category = category_of(session, report)
    report.closed = False
    report.closed_at = None
    report.resolution = None
    report.fixed = False
    report.rating_satisfied = None
    report.rating_fixed = None
    report.rated_at = None
    report.answered_at = None
    report.published_at = None
    report.reject_reason = None
    report.reopen_count += 1
    report.due_at = handle_due(cal, category, report.track, now)
    if report.agency_id is not None:
        to = ASSIGNED
        report.stage_due_at = report.due_at
    else:
        to = RECEIVED
        report.stage_due_at = intake_due(cal, category, report.track, now)
    move(
        session,
        actor,
        report,
        "reopen",
        to,
        now,
        # The reporter's words may hold personal details: public only when staff reopen.
        public_text=None if by_reporter else reason,
        note=reason,
        data={"by": "reporter" if by_reporter else "staff", "count": report.reopen_count},
    )
    return report


def merge_duplicate(
    session: Session,
    actor: audit.Actor,
    report: Report,
    into: Report,
    *,
    note: str | None = None,
    at: datetime | None = None,
) -> Report:
    """Gộp phản ánh trùng: ``report`` is a duplicate of ``into``; it closes with a back-link
    and both timelines show the link. A chain is followed to its final report."""
    check_transition("merge_duplicate", report)
    target = into
    seen = {report.id}
    while target.merged_into_id is not None:
        if target.id in seen:
            break
        seen.add(target.id)
        nxt = session.get(Report, target.merged_into_id)
        if nxt is None:
            break
        target = nxt
    if target.id == report.id:
        raise FieldReportError(
            "Không thể gộp phản ánh vào chính nó",
            "A report cannot be merged into itself",
            field="into",
        )
    now = at_or_now(at)
    report.merged_into_id = target.id
    report.closed = True
    report.closed_at = now
    report.resolution = "duplicate"
    report.fixed = False
    report.stage_due_at = None
    move(
        session,
        actor,
        report,
        "merge_duplicate",
        MERGED,
        now,
        kind="merged",
        public_text=target.code,
        note=note,
        data={"into": target.code},
    )
    add_event(
        session,
        target,
        "merged_from",
        actor,
        now,
        status_from=target.status,
        public=True,
        public_text=report.code,
        data={"duplicate": report.code},
    )
    target.updated_at = now
    session.flush()
    return report
