"""Pages of the reporting pack: campaigns and status board (``/reporting``), a campaign's
board with review links, reminders, consolidation downloads and history, the submission form
(draft, files, submit) with the review actions, and the maturity self-assessment.

Signed-in users (``Permission.VIEW``). What each user may do is decided by the actions in
:mod:`ioc.packs.reporting.service` (routes only forward): agency staff fill their agency's
report; the recipient agency (Sở Xây dựng) and administrators create campaigns, review and
consolidate.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from ioc.core import i18n
from ioc.core.models import Agency
from ioc.core.registry import Tile
from ioc.engines.exports import DOCX_MIME, XLSX_MIME
from ioc.packs.reporting import consolidate, maturity, service
from ioc.packs.reporting.models import (
    Attachment,
    Campaign,
    Reminder,
    Submission,
    SubmissionEvent,
)
from ioc.packs.reporting.templates_data import DEFAULT_CRITERIA, criteria_sets
from ioc.web import csrf
from ioc.web.deps import DbSession, Principal, Viewer, request_language
from ioc.web.pagekit import Call, ViewerCall, attachment, page

__all__ = ["router", "tile"]

router = APIRouter(include_in_schema=False)
STATE_CLASS = {
    "not_started": "muted",
    "draft": "info",
    "submitted": "warn",
    "returned": "error",
    "accepted": "ok",
    "late": "error",
}


def _doer(principal: Principal) -> service.Doer:
    assert principal.user is not None
    return service.Doer(principal.actor, principal.user.role, principal.user.agency_id)


def _msg(request: Request, exc: service.ReportingError) -> str:
    return exc.message if request_language(request) == "vi" else exc.en


async def _form(request: Request) -> tuple[dict[str, str], list[tuple[str, str, bytes]]]:
    """Fields and uploaded files (name, type, bytes — at most the size limit plus one byte,
    so an oversized file is refused by the action, not read whole)."""
    async with request.form() as form:
        if not csrf.valid(request, str(form.get("csrf_token", ""))):
            raise HTTPException(403, "CSRF token invalid / Mã chống giả mạo không hợp lệ")
        fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
        limit = service.policy().max_attachment_bytes + 1
        files = [
            (v.filename or "", v.content_type or "", await v.read(limit))
            for _k, v in form.multi_items()
            if isinstance(v, UploadFile) and v.filename
        ]
    return fields, files


def _date_field(fields: dict[str, str], name: str, message: str, message_en: str) -> date | None:
    """The date of the form's field ``name`` (None when empty); refused on that field with
    ``message`` (``message_en``) when it is not ``yyyy-mm-dd``."""
    if not fields.get(name):
        return None
    try:
        return date.fromisoformat(fields[name])
    except ValueError:
        raise service.ReportingError(message, message_en, name) from None


def _campaign(db: Session, campaign_id: int) -> Campaign:
    c = db.get(Campaign, campaign_id)
    if c is None:
        raise HTTPException(404, "Không tìm thấy đợt báo cáo / campaign not found")
    return c


def _submission(db: Session, sub_id: int) -> tuple[Submission, Campaign, Agency]:
    sub = db.get(Submission, sub_id)
    if sub is None:
        raise HTTPException(404, "Không tìm thấy báo cáo / report not found")
    agency = db.get(Agency, sub.agency_id)
    assert agency is not None
    return sub, _campaign(db, sub.campaign_id), agency


def _may_see(db: Session, principal: Principal, sub: Submission, campaign: Campaign) -> bool:
    d = _doer(principal)
    if d.role in ("admin", "leader", "operator"):
        return True
    return service.may_edit(d, sub) or service.is_reviewer(db, d, campaign)


# ---------------------------------------------------------------------------------- index


@router.get("/reporting")
def index(call: ViewerCall) -> Response:
    """Đợt báo cáo: campaigns with their status counts; the user's own reports."""
    return _index(call, None, {})


def _index(call: Call, error: str | None, form: dict[str, str]) -> Response:
    db, principal = call.db, call.principal
    today = service.today()
    campaigns = list(
        db.execute(select(Campaign).order_by(Campaign.year.desc(), Campaign.id.desc())).scalars()
    )
    rows = [{"c": c, "counts": service.counts(service.board(db, c, today))} for c in campaigns]
    mine: list[dict[str, Any]] = []
    user = principal.user
    if user is not None and user.agency_id is not None:
        for sub, c in db.execute(
            select(Submission, Campaign)
            .join(Campaign, Campaign.id == Submission.campaign_id)
            .where(Submission.agency_id == user.agency_id)
            .order_by(Campaign.year.desc())
        ).all():
            mine.append({"sub": sub, "c": c, "state": service.board_state(sub, c, today)})
    return page(
        call,
        "reporting/index.html",
        {
            "rows": rows,
            "mine": mine,
            "states": service.STATES,
            "state_class": STATE_CLASS,
            "can_create": service.may_create(db, _doer(principal)),
            "error": error,
            "form": form,
            "default_deadline": service.default_deadline(today.year),
            "year": today.year,
            "cycles": service.CYCLES,
        },
        refused=error,
    )


@router.post("/reporting/campaigns")
async def create(call: ViewerCall) -> Response:
    """Tạo đợt báo cáo."""
    request, db, principal = call
    fields, _files = await _form(request)
    try:
        try:
            year = int(fields.get("year", ""))
        except ValueError:
            raise service.ReportingError(
                "Năm phải là số.", "Year must be a number.", "year"
            ) from None
        deadline = _date_field(
            fields, "deadline", "Hạn nộp không hợp lệ (yyyy-mm-dd).", "Invalid deadline."
        )
        c = service.create_campaign(
            db,
            _doer(principal),
            year=year,
            cycle=fields.get("cycle", "annual"),
            deadline=deadline,
            period_label=fields.get("period_label", ""),
            title=fields.get("title", ""),
        )
    except service.ReportingError as exc:
        db.rollback()
        return _index(call, _msg(request, exc), fields)
    db.commit()
    return RedirectResponse(f"/reporting/campaigns/{c.id}", status_code=303)


# ------------------------------------------------------------------------------- campaign


@router.get("/reporting/campaigns/{campaign_id}")
def campaign_page(call: ViewerCall, campaign_id: int, error: str = "") -> Response:
    """Bảng theo dõi: one row per agency, reminders, consolidation and history."""
    db, principal = call.db, call.principal
    c = _campaign(db, campaign_id)
    today = service.today()
    board = service.board(db, c, today)
    reminders = list(
        db.execute(
            select(Reminder, Agency.short_name)
            .join(Agency, Agency.id == Reminder.agency_id)
            .where(Reminder.campaign_id == c.id)
            .order_by(Reminder.sent_on.desc(), Agency.short_name)
            .limit(200)
        ).all()
    )
    reviewer = service.is_reviewer(db, _doer(principal), c)
    return page(
        call,
        "reporting/campaign.html",
        {
            "c": c,
            "board": board,
            "counts": service.counts(board),
            "states": service.STATES,
            "state_class": STATE_CLASS,
            "reminders": reminders,
            "reviewer": reviewer,
            "accepted": sum(1 for r in board if r["sub"].status == service.ACCEPTED),
            "history": consolidate.history(db, c.template_key, c.cycle),
            "error": error,
            "signer": c.signer_name or service.policy().signer_name,
        },
        refused=error,
    )


@router.post("/reporting/campaigns/{campaign_id}/document")
async def document(call: ViewerCall, campaign_id: int) -> Response:
    """Số, ngày, người ký of the consolidated report."""
    request, db, principal = call
    fields, _files = await _form(request)
    c = _campaign(db, campaign_id)
    try:
        doc_date = _date_field(fields, "doc_date", "Ngày không hợp lệ.", "Invalid date.")
        service.set_document(
            db,
            _doer(principal),
            c,
            number=fields.get("number", ""),
            doc_date=doc_date,
            signer=fields.get("signer", ""),
        )
    except service.ReportingError as exc:
        db.rollback()
        return campaign_page(call, campaign_id, _msg(request, exc))
    db.commit()
    return RedirectResponse(f"/reporting/campaigns/{campaign_id}#consolidate", status_code=303)


def _check_reviewer(db: Session, principal: Principal, c: Campaign) -> None:
    d = _doer(principal)
    if not (service.is_reviewer(db, d, c) or d.role == "leader"):
        raise HTTPException(403, "Chỉ cơ quan tổng hợp / reviewing agency only")


@router.get("/reporting/campaigns/{campaign_id}/report.docx")
def report_docx(campaign_id: int, db: DbSession, principal: Viewer) -> Response:
    """Báo cáo tổng hợp (DOCX, NĐ 30/2020)."""
    c = _campaign(db, campaign_id)
    _check_reviewer(db, principal, c)
    body = consolidate.build_docx(db, c, service.today())
    return attachment(body, DOCX_MIME, f"bao-cao-{c.year}-{c.id}.docx")


@router.get("/reporting/campaigns/{campaign_id}/annex.xlsx")
def annex_xlsx(campaign_id: int, db: DbSession, principal: Viewer) -> Response:
    """Phụ lục số liệu (XLSX)."""
    c = _campaign(db, campaign_id)
    _check_reviewer(db, principal, c)
    return attachment(consolidate.build_xlsx(db, c), XLSX_MIME, f"phu-luc-{c.year}-{c.id}.xlsx")


# ----------------------------------------------------------------------------- submission


@router.get("/reporting/submissions/{sub_id}")
def submission_page(call: ViewerCall, sub_id: int) -> Response:
    """Báo cáo của đơn vị: the form (when editable) or the read-only view, and review."""
    return _submission_page(call, sub_id, None, None)


def _submission_page(
    call: Call, sub_id: int, error: service.ReportingError | None, data: dict[str, Any] | None
) -> Response:
    request, db, principal = call
    sub, c, agency = _submission(db, sub_id)
    if not _may_see(db, principal, sub, c):
        raise HTTPException(403, "Không có quyền xem báo cáo này / not allowed")
    d = _doer(principal)
    content = data if data is not None else service.content(sub)
    if data is None and sub.status == service.NOT_STARTED:
        content = {**service.prefill(db, c, agency.code), **content}
    events = list(
        db.execute(
            select(SubmissionEvent)
            .where(SubmissionEvent.submission_id == sub.id)
            .order_by(SubmissionEvent.at.desc(), SubmissionEvent.id.desc())
        ).scalars()
    )
    files = list(
        db.execute(
            select(Attachment.id, Attachment.filename, Attachment.size, Attachment.uploaded_at)
            .where(Attachment.submission_id == sub.id)
            .order_by(Attachment.id)
        ).all()
    )
    reminders = list(
        db.execute(
            select(Reminder)
            .where(Reminder.campaign_id == c.id, Reminder.agency_id == sub.agency_id)
            .order_by(Reminder.sent_on.desc())
        ).scalars()
    )
    return page(
        call,
        "reporting/submission.html",
        {
            "sub": sub,
            "c": c,
            "agency": agency,
            "sections": service.sections(c),
            "content": content,
            "state": service.board_state(sub, c, service.today()),
            "state_class": STATE_CLASS,
            "editable": c.status == "open"
            and sub.status in service.EDITABLE
            and service.may_edit(d, sub),
            "reviewer": service.is_reviewer(db, d, c),
            "events": events,
            "files": files,
            "reminders": reminders,
            "error": None if error is None else _msg(request, error),
            "error_field": None if error is None else error.field,
        },
        refused=error,
    )


@router.post("/reporting/submissions/{sub_id}")
async def submission_post(call: ViewerCall, sub_id: int) -> Response:
    """Lưu nháp / Gửi báo cáo / attach files, or the reviewer's Trả lại / Tiếp nhận / Mở lại."""
    request, db, principal = call
    fields, files = await _form(request)
    sub, c, _agency = _submission(db, sub_id)
    d = _doer(principal)
    action = fields.get("action", "")
    try:
        if action in ("save", "submit"):
            data = service.parse_form(c, fields)
            if action == "save":
                service.save_draft(db, d, sub, data)
            for name, ctype, raw in files:
                service.attach_file(db, d, sub, name, ctype, raw)
            if action == "submit":
                service.submit(db, d, sub, data)
        elif action == "return":
            service.return_submission(db, d, sub, fields.get("comment", ""))
        elif action == "accept":
            service.accept(db, d, sub, fields.get("comment", ""))
        elif action == "reopen":
            service.reopen(db, d, sub, fields.get("comment", ""))
        else:
            raise service.ReportingError("Thao tác không hợp lệ.", "Unknown action.", "action")
    except service.ReportingError as exc:
        db.rollback()
        # Show back what was typed (the bad value too) so nothing is lost.
        return _submission_page(call, sub_id, exc, _typed(c, fields))
    db.commit()
    if action in ("return", "accept", "reopen"):
        return RedirectResponse(f"/reporting/campaigns/{c.id}", status_code=303)
    return RedirectResponse(f"/reporting/submissions/{sub_id}?saved={action}", status_code=303)


def _typed(c: Campaign, fields: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for s in service.sections(c):
        key = s["key"]
        if s["kind"] == "text":
            out[key] = {"text": fields.get(f"s.{key}.text", "")}
            continue
        fixed = s.get("rows")
        try:
            count = len(fixed) if fixed else min(int(fields.get(f"s.{key}.count", "0")), 200)
        except ValueError:
            count = 0
        rows = []
        for i in range(count):
            row: dict[str, Any] = {"code": fixed[i]["code"]} if fixed else {}
            for col in s["columns"]:
                row[col["key"]] = fields.get(f"s.{key}.{i}.{col['key']}") or None
            rows.append(row)
        out[key] = {"rows": rows}
    return out


@router.get("/reporting/files/{file_id}")
def file_download(file_id: int, db: DbSession, principal: Viewer) -> Response:
    """A submission's attached file."""
    att = db.get(Attachment, file_id)
    if att is None:
        raise HTTPException(404, "Không tìm thấy tệp / file not found")
    sub, c, _agency = _submission(db, att.submission_id)
    if not _may_see(db, principal, sub, c):
        raise HTTPException(403, "Không có quyền / not allowed")
    safe = att.filename.encode("ascii", "replace").decode().replace('"', "_")
    return attachment(att.data, "application/octet-stream", safe)


# ------------------------------------------------------------------------------- maturity


@router.get("/reporting/maturity")
def maturity_page(call: ViewerCall, year: int | None = None) -> Response:
    """Tự đánh giá mức độ trưởng thành: scores by criterion, levels by year."""
    return _maturity(call, year, None, {})


def _maturity(call: Call, year: int | None, error: str | None, form: dict[str, str]) -> Response:
    db = call.db
    cs = criteria_sets()[DEFAULT_CRITERIA]
    years = maturity.overview(db)
    year = year or service.today().year
    current = next((y for y in years if y["a"].year == year), None)
    return page(
        call,
        "reporting/maturity.html",
        {
            "cs": cs,
            "years": years,
            "year": year,
            "current": current,
            "can_edit": service.may_create(db, _doer(call.principal)),
            "error": error,
            "form": form,
            "levels": {lv["level"]: lv for lv in cs["levels"]},
        },
        refused=error,
    )


@router.post("/reporting/maturity")
async def maturity_post(call: ViewerCall) -> Response:
    """Lưu tự đánh giá of a year."""
    request, db, principal = call
    fields, _files = await _form(request)
    d = _doer(principal)
    try:
        year = int(fields.get("year", "0") or 0)
    except ValueError:
        year = 0
    try:
        if not service.may_create(db, d):
            raise service.ReportingError("Bạn không có quyền.", "Not allowed.")
        scores = maturity.parse_scores(criteria_sets()[DEFAULT_CRITERIA], fields)
        maturity.save_assessment(db, d, year, scores)
    except service.ReportingError as exc:
        db.rollback()
        return _maturity(call, year or None, _msg(request, exc), fields)
    db.commit()
    return RedirectResponse(f"/reporting/maturity?year={year}", status_code=303)


# ----------------------------------------------------------------------------------- tile


def tile(session: Session, lang: str) -> Tile | None:
    """The open campaign nearest its deadline: accepted / total and late count."""
    c = (
        session.execute(
            select(Campaign).where(Campaign.status == "open").order_by(Campaign.deadline.desc())
        )
        .scalars()
        .first()
    )
    if c is None:
        return None
    board = service.board(session, c, service.today())
    counts = service.counts(board)
    late = counts["late"]
    total = session.execute(
        select(func.count()).select_from(Submission).where(Submission.campaign_id == c.id)
    ).scalar_one()
    return Tile(
        pack="reporting",
        title=i18n.translate("rp.title", lang),
        figure=f"{counts['accepted']}/{total}",
        caption=i18n.translate("rp.tile.caption", lang, year=c.year),
        status="bad" if late else ("ok" if counts["accepted"] == total else "warn"),
        href=f"/reporting/campaigns/{c.id}",
        lines=(
            i18n.translate("rp.tile.submitted", lang, n=counts["submitted"]),
            i18n.translate("rp.tile.late", lang, n=late),
        ),
    )
