"""Campaigns and the submission workflow of the reporting pack.

States of a submission and the actions that move it (each action checks the transition,
changes the state, adds a timeline event and an audit row in the caller's transaction; none
commits):

==============  =====================================  ==========================
from            action (who)                           to
==============  =====================================  ==========================
not_started     save_draft (the agency)                draft
draft           save_draft / attach_file (the agency)  draft
returned        save_draft / attach_file (the agency)  returned (until resubmitted)
not_started,    submit (the agency)                    submitted
draft, returned
submitted       return_submission (reviewer, comment)  returned
submitted       accept (reviewer)                      accepted
accepted        reopen (reviewer, comment)             returned
==============  =====================================  ==========================

The reviewer is the campaign's recipient agency (Sở Xây dựng by default) or an administrator.
A submission first submitted after the campaign's deadline (local date) is marked ``late``;
on the status board an unsent submission past the deadline shows as ``late`` too.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import audit, clock
from ioc.core.models import Agency, Indicator, Series
from ioc.packs.reporting.models import Attachment, Campaign, Submission, SubmissionEvent
from ioc.packs.reporting.templates_data import DEFAULT_TEMPLATE, TABLE_KINDS, report_templates

NOT_STARTED, DRAFT, SUBMITTED, RETURNED, ACCEPTED = (
    "not_started",
    "draft",
    "submitted",
    "returned",
    "accepted",
)
LATE = "late"  # a board state only, never stored
STATES = (NOT_STARTED, DRAFT, SUBMITTED, RETURNED, ACCEPTED, LATE)
EDITABLE = frozenset({NOT_STARTED, DRAFT, RETURNED})
CYCLES = ("annual", "quarterly", "ad_hoc")
REPORTING_KINDS = ("department", "inspectorate", "centre", "office")


@dataclass(frozen=True)
class Policy:
    """Deadline, reviewer and reminder settings (from ``IOC_RP_*``)."""

    deadline_day: int = 31
    deadline_month: int = 10
    recipient_code: str = "so-xay-dung"
    remind_before: tuple[int, ...] = (5, 1)
    remind_after: tuple[int, ...] = (1, 5)
    signer_name: str = ""
    max_attachment_bytes: int = 20 * 1024 * 1024


_policy = Policy()


def _days(raw: str, name: str) -> tuple[int, ...]:
    try:
        values = tuple(sorted({int(x) for x in raw.split(",") if x.strip()}, reverse=True))
    except ValueError as exc:
        raise ValueError(f"{name}: comma-separated whole numbers expected, got {raw!r}") from exc
    if any(v < 0 for v in values):
        raise ValueError(f"{name}: working days must be >= 0")
    return values


def configure(settings: Any) -> None:
    """Take the policy from the settings (called at start-up)."""
    global _policy
    _policy = Policy(
        deadline_day=settings.rp_deadline_day,
        deadline_month=settings.rp_deadline_month,
        recipient_code=settings.rp_recipient_code,
        remind_before=_days(settings.rp_remind_before_wd, "IOC_RP_REMIND_BEFORE_WD"),
        remind_after=_days(settings.rp_remind_after_wd, "IOC_RP_REMIND_AFTER_WD"),
        signer_name=settings.rp_signer_name,
        max_attachment_bytes=settings.rp_max_attachment_mb * 1024 * 1024,
    )


def policy() -> Policy:
    """The policy in force."""
    return _policy


class ReportingError(ValueError):
    """A refused action or bad input: Vietnamese message, English text and the field."""

    def __init__(self, message: str, en: str = "", field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.en = en or message
        self.field = field


@dataclass(frozen=True)
class Doer:
    """Who acts: audit actor, role and agency."""

    actor: audit.Actor
    role: str
    agency_id: int | None


def today() -> date:
    """Today's local date."""
    return clock.now().astimezone(clock.local_zone()).date()


def local_date(moment: datetime) -> date:
    """The local (Asia/Ho_Chi_Minh) date of an aware moment."""
    return moment.astimezone(clock.local_zone()).date()


def default_deadline(year: int) -> date:
    """The yearly deadline (31 October by default) of ``year``; day clipped to the month."""
    p = _policy
    for day in range(p.deadline_day, 27, -1):
        try:
            return date(year, p.deadline_month, day)
        except ValueError:
            continue
    return date(year, p.deadline_month, 28)


def sections(campaign: Campaign) -> list[dict[str, Any]]:
    """The campaign's template sections (its snapshot)."""
    data: dict[str, Any] = json.loads(campaign.template_json)
    return list(data["sections"])


def template_meta(campaign: Campaign) -> dict[str, Any]:
    """The snapshot's titles (report title, summary line)."""
    data: dict[str, Any] = json.loads(campaign.template_json)
    return data


def content(sub: Submission) -> dict[str, Any]:
    """A submission's content: section key -> ``{"text": …}`` or ``{"rows": [...]}``."""
    data: dict[str, Any] = json.loads(sub.content_json or "{}")
    return data


# ----------------------------------------------------------------------------- permissions


def recipient_id(session: Session, campaign: Campaign) -> int | None:
    """Id of the campaign's reviewing agency."""
    return session.execute(
        select(Agency.id).where(Agency.code == campaign.recipient_code)
    ).scalar_one_or_none()


def is_reviewer(session: Session, doer: Doer, campaign: Campaign) -> bool:
    """Administrators and staff of the recipient agency review and consolidate."""
    if doer.role == "admin":
        return True
    return doer.agency_id is not None and doer.agency_id == recipient_id(session, campaign)


def may_edit(doer: Doer, sub: Submission) -> bool:
    """The submitting agency's own staff (or an administrator) fill its report."""
    return doer.role == "admin" or (doer.agency_id is not None and doer.agency_id == sub.agency_id)


def may_create(session: Session, doer: Doer) -> bool:
    """Administrators and staff of the configured recipient agency create campaigns."""
    if doer.role == "admin":
        return True
    rid = session.execute(
        select(Agency.id).where(Agency.code == _policy.recipient_code)
    ).scalar_one_or_none()
    return doer.agency_id is not None and doer.agency_id == rid


def _refuse(vi: str, en: str) -> ReportingError:
    return ReportingError(vi, en)


# ------------------------------------------------------------------------------- campaigns


def default_agency_codes(session: Session, on: date) -> list[str]:
    """Provincial departments and units that report by default (valid on ``on``)."""
    rows = session.execute(
        select(Agency.code, Agency.valid_from, Agency.valid_to).where(
            Agency.kind.in_(REPORTING_KINDS)
        )
    ).all()
    return sorted(
        code
        for code, start, end in rows
        if (start is None or start <= on) and (end is None or end >= on)
    )


def create_campaign(
    session: Session,
    doer: Doer,
    *,
    year: int,
    cycle: str = "annual",
    deadline: date | None = None,
    agency_codes: list[str] | None = None,
    template_key: str = DEFAULT_TEMPLATE,
    period_label: str = "",
    title: str = "",
) -> Campaign:
    """Tạo đợt báo cáo: snapshot the template and open one submission per agency."""
    if not may_create(session, doer):
        raise _refuse("Bạn không có quyền tạo đợt báo cáo.", "You may not create campaigns.")
    if not 2000 <= year <= 2100:
        raise ReportingError("Năm không hợp lệ (2000–2100).", "Year must be 2000-2100.", "year")
    if cycle not in CYCLES:
        raise ReportingError(
            f"Kỳ báo cáo không hợp lệ: {cycle}.", f"Unknown cycle: {cycle}.", "cycle"
        )
    templates = report_templates()
    if template_key not in templates:
        raise ReportingError(
            f"Mẫu báo cáo không tồn tại: {template_key}.", "Unknown template.", "template"
        )
    deadline = deadline or default_deadline(year)
    now = clock.now()
    codes = agency_codes if agency_codes is not None else default_agency_codes(session, today())
    if not codes:
        raise ReportingError(
            "Chọn ít nhất một đơn vị báo cáo.", "Choose at least one agency.", "agencies"
        )
    agencies = dict(
        session.execute(select(Agency.code, Agency.id).where(Agency.code.in_(codes))).all()
    )
    unknown = sorted(set(codes) - set(agencies))
    if unknown:
        raise ReportingError(
            f"Đơn vị không tồn tại: {', '.join(unknown)}.",
            f"Unknown agencies: {', '.join(unknown)}.",
            "agencies",
        )
    tpl = templates[template_key]
    snapshot = {
        "title_vi": tpl["title_vi"].format(year=year),
        "title_en": tpl.get("title_en", tpl["title_vi"]).format(year=year),
        "summary_vi": tpl.get("summary_vi", tpl["title_vi"]).format(year=year),
        "sections": tpl["sections"],
    }
    campaign = Campaign(
        title=(title.strip() or snapshot["title_vi"])[:500],
        year=year,
        cycle=cycle,
        period_label=period_label.strip()[:100] or (f"Năm {year}" if cycle == "annual" else ""),
        deadline=deadline,
        template_key=template_key,
        template_json=json.dumps(snapshot, ensure_ascii=False),
        recipient_code=_policy.recipient_code,
        status="open",
        signer_name=_policy.signer_name,
        created_at=now,
        created_by=doer.actor.label,
    )
    session.add(campaign)
    session.flush()
    for code in sorted(set(codes)):
        session.add(
            Submission(
                campaign_id=campaign.id,
                agency_id=agencies[code],
                status=NOT_STARTED,
                content_json="{}",
                updated_at=now,
            )
        )
    session.flush()
    audit.record(
        session,
        doer.actor,
        "rp.campaign.create",
        "rp_campaign",
        campaign.id,
        year=year,
        cycle=cycle,
        deadline=deadline.isoformat(),
        agencies=len(set(codes)),
    )
    return campaign


def set_document(
    session: Session,
    doer: Doer,
    campaign: Campaign,
    *,
    number: str,
    doc_date: date | None,
    signer: str,
) -> None:
    """Set the consolidated report's number (kept as typed, leading zeros too), date, signer."""
    if not is_reviewer(session, doer, campaign):
        raise _refuse("Bạn không có quyền tổng hợp báo cáo.", "You may not consolidate.")
    number = number.strip()
    if number and not re.fullmatch(r"[0-9]{1,10}", number):
        raise ReportingError(
            "Số văn bản chỉ gồm chữ số (ví dụ 0124).", "Number: digits only (e.g. 0124).", "number"
        )
    campaign.doc_number = number
    campaign.doc_date = doc_date
    campaign.signer_name = signer.strip()[:200]
    audit.record(
        session, doer.actor, "rp.campaign.document", "rp_campaign", campaign.id, number=number
    )


# ------------------------------------------------------------------------------ pre-fill


def _subject(spec: str, agency_code: str) -> tuple[str, str]:
    if spec == "agency":
        return "agency", agency_code
    kind, _, code = spec.partition(":")
    return kind, code


def prefill(session: Session, campaign: Campaign, agency_code: str) -> dict[str, Any]:
    """Content with indicator rows filled from the series store's latest values, where the
    template names an indicator the IOC has data for."""
    out: dict[str, Any] = {}
    for s in sections(campaign):
        if s["kind"] != "indicators":
            continue
        rows = []
        for row in s["rows"]:
            value: float | None = None
            if row.get("indicator"):
                kind, code = _subject(str(row.get("subject", "area:66")), agency_code)
                value = session.execute(
                    select(Series.latest_value)
                    .join(Indicator, Indicator.id == Series.indicator_id)
                    .where(
                        Indicator.code == row["indicator"],
                        Series.subject_kind == kind,
                        Series.subject_code == code,
                    )
                ).scalar_one_or_none()
            rows.append(
                {
                    "code": row["code"],
                    "value": None if value is None else round(float(value), 2),
                    "note": "Số liệu IOC" if value is not None else "",
                }
            )
        out[s["key"]] = {"rows": rows}
    return out


# -------------------------------------------------------------------------- form parsing


def parse_number(raw: str) -> float | None:
    """A number typed the Vietnamese way (1.234,5) or the plain way (1234.5); empty -> None."""
    text = raw.strip().replace(" ", "").replace("\u00a0", "")
    if not text:
        return None
    if "," in text and "." in text:
        text = text.replace(".", "").replace(",", ".")
    elif "," in text:
        text = text.replace(",", ".")
    elif re.fullmatch(r"-?\d{1,3}(\.\d{3})+", text):
        text = text.replace(".", "")  # 1.234.567: thousands separators
    value = float(text)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(raw)
    return value


def parse_form(campaign: Campaign, form: dict[str, str]) -> dict[str, Any]:
    """Build submission content from form fields ``s.<section>.text`` and
    ``s.<section>.<row>.<column>``; errors name the section, row and column."""
    out: dict[str, Any] = {}
    for s in sections(campaign):
        key = s["key"]
        if s["kind"] == "text":
            out[key] = {"text": form.get(f"s.{key}.text", "").strip()[:20000]}
            continue
        fixed = s.get("rows")
        count = len(fixed) if fixed else int(form.get(f"s.{key}.count", "0") or 0)
        rows: list[dict[str, Any]] = []
        for i in range(min(count, 200)):
            row: dict[str, Any] = {"code": fixed[i]["code"]} if fixed else {}
            for col in s["columns"]:
                raw = form.get(f"s.{key}.{i}.{col['key']}", "")
                if col["type"] == "text":
                    row[col["key"]] = raw.strip()[:2000]
                    continue
                try:
                    value = parse_number(raw)
                except ValueError:
                    raise ReportingError(
                        f"Mục «{s['title_vi']}», dòng {i + 1}, cột «{col['title_vi']}»: "
                        f"«{raw}» không phải là số.",
                        f"Section '{s.get('title_en', key)}', row {i + 1}, column "
                        f"'{col.get('title_en', col['key'])}': '{raw}' is not a number.",
                        f"s.{key}.{i}.{col['key']}",
                    ) from None
                if col["type"] == "percent" and value is not None and not 0 <= value <= 100:
                    raise ReportingError(
                        f"Mục «{s['title_vi']}», dòng {i + 1}, cột «{col['title_vi']}»: "
                        "tỷ lệ phải từ 0 đến 100.",
                        f"Section '{key}', row {i + 1}: a percentage must be 0-100.",
                        f"s.{key}.{i}.{col['key']}",
                    )
                row[col["key"]] = value
            if fixed or any(v not in (None, "") for v in row.values()):
                rows.append(row)
        out[key] = {"rows": rows}
    return out


def is_empty(data: dict[str, Any]) -> bool:
    """True when no section has any text or value."""
    for part in data.values():
        if part.get("text"):
            return False
        for row in part.get("rows", []):
            if any(v not in (None, "") for k, v in row.items() if k != "code"):
                return False
    return True


# -------------------------------------------------------------------------------- actions


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
        raise _refuse("Đợt báo cáo đã đóng.", "The campaign is closed.")
    return campaign


def _check_edit(session: Session, doer: Doer, sub: Submission) -> Campaign:
    campaign = _campaign_open(session, sub)
    if not may_edit(doer, sub):
        raise _refuse(
            "Chỉ đơn vị báo cáo mới được nhập báo cáo này.",
            "Only the reporting agency may edit this report.",
        )
    if sub.status not in EDITABLE:
        raise _refuse(
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
    if len(data) > _policy.max_attachment_bytes:
        mb = _policy.max_attachment_bytes // (1024 * 1024)
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
        raise _refuse(
            "Chỉ cơ quan tổng hợp (Sở Xây dựng) mới được xem xét báo cáo.",
            "Only the reviewing agency may review reports.",
        )
    if sub.status != allowed:
        raise _refuse(
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


# ---------------------------------------------------------------------------------- board


def board_state(sub: Submission, campaign: Campaign, on: date) -> str:
    """The state shown on the status board: unsent past the deadline shows ``late``."""
    if sub.status in EDITABLE and on > campaign.deadline:
        return LATE
    return sub.status


def board(session: Session, campaign: Campaign, on: date) -> list[dict[str, Any]]:
    """One row per agency: agency, stored status, board state, late flag, dates."""
    rows = session.execute(
        select(Submission, Agency)
        .join(Agency, Agency.id == Submission.agency_id)
        .where(Submission.campaign_id == campaign.id)
        .order_by(Agency.short_name)
    ).all()
    return [
        {
            "sub": sub,
            "agency": agency,
            "state": board_state(sub, campaign, on),
            "late": sub.late or board_state(sub, campaign, on) == LATE,
        }
        for sub, agency in rows
    ]


def counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    """Board states counted."""
    out = dict.fromkeys(STATES, 0)
    for r in rows:
        out[r["state"]] += 1
    return out


def table_sections(campaign: Campaign) -> list[dict[str, Any]]:
    """The campaign's table sections."""
    return [s for s in sections(campaign) if s["kind"] in TABLE_KINDS]
