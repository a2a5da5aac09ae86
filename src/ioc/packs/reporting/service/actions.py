"""The actions that move a submission (save, attach, submit, return, accept, reopen): each
checks the transition and adds a timeline event and an audit row; none commits."""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy.orm import Session

from ioc.core import audit, clock
from ioc.packs.reporting.models import Attachment, Campaign, Submission, SubmissionEvent
from ioc.packs.reporting.service.forms import is_empty
from ioc.packs.reporting.service.rules import (
    ACCEPTED,
    DRAFT,
    EDITABLE,
    NOT_STARTED,
    RETURNED,
    SUBMITTED,
    Doer,
    ReportingError,
    content,
    is_reviewer,
    local_date,
    may_edit,
    policy,
    refuse,
    sections,
)


def _event(session: Session, sub: Submission, doer: Doer, action: str, comment: str = "") -> None:
    now = clock.now()
    session.add(
        SubmissionEvent(
            submission_id=sub.id, at=now, actor=doer.actor.label, action=action, comment=comment
        )
    )
    sub.updated_at = now
    sub.updated_by = doer.actor.label
    audit.record(
        session,
        doer.actor,
        f"rp.submission.{action}",
        "rp_submission",
        sub.id,
        status=sub.status,
        **({"comment": comment} if comment else {}),
    )


def _campaign_open(session: Session, sub: Submission) -> Campaign:
    campaign = session.get(Campaign, sub.campaign_id)
    assert campaign is not None
    if campaign.status != "open":
        raise refuse("Đợt báo cáo đã đóng.", "The campaign is closed.")
    return campaign


def _check_edit(session: Session, doer: Doer, sub: Submission) -> Campaign:
    campaign = _campaign_open(session, sub)
    if not may_edit(doer, sub):
        raise refuse(
            "Chỉ đơn vị báo cáo mới được nhập báo cáo này.",
            "Only the reporting agency may edit this report.",
        )
    if sub.status not in EDITABLE:
        raise refuse(
            "Báo cáo đã gửi, không thể sửa (chờ Sở Xây dựng xem xét).",
            "The report was submitted and cannot be edited.",
        )
    return campaign


def save_draft(session: Session, doer: Doer, sub: Submission, data: dict[str, Any]) -> None:
    """Lưu nháp: keep the content; a returned report stays returned until resubmitted."""
    _check_edit(session, doer, sub)
    sub.content_json = json.dumps(data, ensure_ascii=False)
    if sub.status == NOT_STARTED:
        sub.status = DRAFT
    _event(session, sub, doer, "save")


def attach_file(
    session: Session, doer: Doer, sub: Submission, filename: str, content_type: str, data: bytes
) -> Attachment:
    """Đính kèm tệp to an editable submission (size-limited)."""
    _check_edit(session, doer, sub)
    name = re.sub(r"[\\/\x00-\x1f]", "_", filename).strip()[:255]
    if not name or not data:
        raise ReportingError("Chọn một tệp để đính kèm.", "Choose a file to attach.", "file")
    if len(data) > policy().max_attachment_bytes:
        mb = policy().max_attachment_bytes // (1024 * 1024)
        raise ReportingError(
            f"Tệp quá lớn (tối đa {mb} MB).", f"File too large (max {mb} MB).", "file"
        )
    att = Attachment(
        submission_id=sub.id,
        filename=name,
        content_type=(content_type or "application/octet-stream")[:100],
        size=len(data),
        data=data,
        uploaded_at=clock.now(),
        uploaded_by=doer.actor.label,
    )
    session.add(att)
    if sub.status == NOT_STARTED:
        sub.status = DRAFT
    session.flush()
    _event(session, sub, doer, "attach", name)
    return att


def submit(session: Session, doer: Doer, sub: Submission, data: dict[str, Any] | None) -> None:
    """Gửi báo cáo (with the latest content when given); marks a first late submission."""
    campaign = _check_edit(session, doer, sub)
    if data is not None:
        sub.content_json = json.dumps(data, ensure_ascii=False)
    if is_empty(content(sub)):
        raise ReportingError(
            "Báo cáo chưa có nội dung.", "The report is empty.", f"s.{sections(campaign)[0]['key']}"
        )
    now = clock.now()
    if sub.first_submitted_at is None:
        sub.first_submitted_at = now
        sub.late = local_date(now) > campaign.deadline
    sub.submitted_at = now
    sub.status = SUBMITTED
    _event(session, sub, doer, "submit")


def _check_review(session: Session, doer: Doer, sub: Submission, allowed: str) -> None:
    campaign = _campaign_open(session, sub)
    if not is_reviewer(session, doer, campaign):
        raise refuse(
            "Chỉ cơ quan tổng hợp (Sở Xây dựng) mới được xem xét báo cáo.",
            "Only the reviewing agency may review reports.",
        )
    if sub.status != allowed:
        raise refuse(
            f"Không thể thực hiện ở trạng thái hiện tại ({sub.status}).",
            f"Not allowed in state {sub.status}.",
        )


def _comment(comment: str) -> str:
    text = comment.strip()
    if not text:
        raise ReportingError(
            "Nhập ý kiến (lý do trả lại).", "A comment (reason) is required.", "comment"
        )
    return text[:4000]


def return_submission(session: Session, doer: Doer, sub: Submission, comment: str) -> None:
    """Trả lại with a comment the agency must address."""
    text = _comment(comment)
    _check_review(session, doer, sub, SUBMITTED)
    sub.status = RETURNED
    sub.review_comment = text
    _event(session, sub, doer, "return", text)


def accept(session: Session, doer: Doer, sub: Submission, comment: str = "") -> None:
    """Tiếp nhận (chấp thuận) a submitted report."""
    _check_review(session, doer, sub, SUBMITTED)
    sub.status = ACCEPTED
    sub.accepted_at = clock.now()
    sub.review_comment = ""
    _event(session, sub, doer, "accept", comment.strip()[:4000])


def reopen(session: Session, doer: Doer, sub: Submission, comment: str) -> None:
    """Mở lại an accepted report for correction (back to the agency, with a comment)."""
    text = _comment(comment)
    _check_review(session, doer, sub, ACCEPTED)
    sub.status = RETURNED
    sub.accepted_at = None
    sub.review_comment = text
    _event(session, sub, doer, "reopen", text)
