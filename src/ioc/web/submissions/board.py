"""The status board of a period (``/submissions``, its XLSX/CSV export), the template of an
agency and the upload of the filled file."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from ioc.core import clock
from ioc.core.auth import Permission
from ioc.core.calendar import load_calendar
from ioc.engines.exports import XLSX_MIME, Table
from ioc.engines.submissions import board as board_mod
from ioc.engines.submissions import upload as upload_mod
from ioc.engines.submissions.catalog import (
    AreaBook,
    load_agency,
)
from ioc.engines.submissions.models import SubSubmission
from ioc.engines.submissions.periods import (
    PeriodError,
    last_closed,
    parse_period,
    recent_periods,
)
from ioc.engines.submissions.templates import build_template, deadline_label, template_filename
from ioc.web import csrf
from ioc.web.csrf import CsrfField
from ioc.web.deps import (
    DbSession,
    IngestorPage,
    Viewer,
)
from ioc.web.pagekit import ViewerCall, query_fields
from ioc.web.submissions.common import (
    DONE_KEYS,
    download,
    is_admin,
    local_time,
    own_agency,
    page_context,
    period_or,
    sees_all,
    submit_agency,
    translator,
)
from ioc.web.templating import render

router = APIRouter(include_in_schema=False)

# The columns of the board's download (``sub.col.<name>`` their headings).
BOARD_COLUMNS = (
    "agency_code",
    "agency",
    "indicators",
    "deadline",
    "status",
    "submitted_at",
    "submitted_by",
)


# The board's period, the agency whose upload panel an administrator opened, the last action.
BoardQuery = Annotated[dict[str, str], Depends(query_fields(period=10, agency=64, done=20))]


@router.get("/submissions", response_class=HTMLResponse)
def board_page(call: ViewerCall, query: BoardQuery) -> Response:
    """Bảng theo dõi nộp số liệu of one period, with the caller's upload panel."""
    request, db, principal = call
    period, agency, done = query["period"], query["agency"], query["done"]
    catalog, lang, _offset = page_context(request)
    settings = request.app.state.settings
    now = clock.now()
    chosen = period_or(period, last_closed("P1M", now))
    calendar = load_calendar(db)
    book = AreaBook.load(db)
    rows = board_mod.board(
        db,
        catalog,
        chosen,
        now,
        calendar=calendar,
        deadline_days=settings.sub_deadline_working_days,
        book=book,
    )
    own = own_agency(db, principal)
    if not sees_all(principal):
        rows = [r for r in rows if own is not None and r.agency == own.code]
    departments = [r for r in rows if r.obligation.agency.kind != "commune_committee"]
    communes = [r for r in rows if r.obligation.agency.kind == "commune_committee"]
    # The upload panel: agency staff for their agency; admins for the agency they pick.
    panel = None
    if principal.can(Permission.INGEST):
        target = own
        if is_admin(principal) and agency:
            target = load_agency(db, agency)
        if target is not None:
            ob = catalog.obligation(target, chosen, book)
            mine = list(
                db.execute(
                    select(SubSubmission)
                    .where(
                        SubSubmission.agency_code == target.code,
                        SubSubmission.period == chosen.key,
                    )
                    .order_by(SubSubmission.uploaded_at.desc(), SubSubmission.id.desc())
                ).scalars()
            )
            panel = {"agency": target, "obligation": ob, "submissions": mine}
    periods = recent_periods(now)
    if chosen not in periods:
        periods.insert(0, chosen)
    return render(
        request,
        "submissions/board.html",
        {
            "period": chosen,
            "period_label": chosen.label(lang),
            "periods": [(p.key, p.label(lang)) for p in periods],
            "departments": departments,
            "communes": communes,
            "summary": board_mod.summary(rows),
            "deadline": rows[0].deadline
            if rows
            else chosen.deadline(calendar, settings.sub_deadline_working_days),
            "panel": panel,
            "is_admin": is_admin(principal),
            "owner_agencies": [r.obligation.agency for r in departments],
            "done": done if done in DONE_KEYS else None,
            "empty_catalog": not catalog,
        },
        principal=principal,
    )


@router.get("/submissions/board.xlsx")
def board_export(
    request: Request,
    principal: Viewer,
    db: DbSession,
    period: Annotated[str | None, Query(max_length=10)] = None,
    format: Annotated[str, Query(pattern="^(xlsx|csv)$")] = "xlsx",
) -> Response:
    """The board of a period as XLSX or CSV."""
    catalog, lang, _offset = page_context(request)
    settings = request.app.state.settings
    now = clock.now()
    chosen = period_or(period, last_closed("P1M", now))
    rows = board_mod.board(
        db,
        catalog,
        chosen,
        now,
        calendar=load_calendar(db),
        deadline_days=settings.sub_deadline_working_days,
    )
    own = own_agency(db, principal)
    if not sees_all(principal):
        rows = [r for r in rows if own is not None and r.agency == own.code]
    t = translator(lang)
    table = Table(
        # No "/" (a period label's) in the title: it becomes the XLSX sheet name.
        title=f"{t('sub.board.title')} {chosen.key}",
        header=[t(f"sub.col.{column}") for column in BOARD_COLUMNS],
        notes=[t("sub.export.note")],
    )
    for r in rows:
        sub = r.accepted or r.latest
        table.rows.append(
            [
                r.agency,
                r.obligation.agency.name,
                len(r.obligation.indicators),
                local_time(r.deadline),
                t(f"sub.status.{r.status}"),
                local_time(sub.uploaded_at) if sub else None,
                sub.uploaded_by if sub else "",
            ]
        )
    return download(table, format, f"bang-theo-doi_{chosen.key}")


# ------------------------------------------------------------------ template + upload


@router.get("/submissions/template")
def template_download(
    request: Request,
    principal: IngestorPage,
    db: DbSession,
    period: Annotated[str, Query(max_length=10)],
    agency: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """Biểu mẫu XLSX of the caller's agency (or, for admins, the chosen one) for a period."""
    catalog, _lang, offset = page_context(request)
    settings = request.app.state.settings
    chosen = period_or(period, last_closed("P1M", clock.now()))
    target = submit_agency(db, principal, agency)
    book = AreaBook.load(db)
    ob = catalog.obligation(target, chosen, book)
    if ob is None:
        raise HTTPException(404, "Đơn vị không có chỉ tiêu phải nộp kỳ này / nothing owed")
    deadline = chosen.deadline(load_calendar(db), settings.sub_deadline_working_days)
    data = build_template(
        db, catalog, ob, book, offset=offset, deadline_text=deadline_label(deadline, "vi")
    )
    name = template_filename(target.code, chosen)
    return Response(
        data,
        media_type=XLSX_MIME,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _back(period: str, done: str, agency: str | None = None) -> RedirectResponse:
    extra = f"&agency={agency}" if agency else ""
    return RedirectResponse(f"/submissions?period={period}&done={done}{extra}", status_code=303)


@router.post("/submissions/upload")
async def upload(
    request: Request,
    principal: IngestorPage,
    db: DbSession,
    file: Annotated[UploadFile | None, File()] = None,
    csrf_token: CsrfField = "",
    period: Annotated[str, Form(max_length=10)] = "",
    agency: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Tải lên tệp đã điền: validated, then accepted, held for confirmation, or rejected."""
    catalog, _lang, offset = page_context(request)
    settings = request.app.state.settings
    try:
        chosen = parse_period(period)
    except PeriodError:
        return _back(last_closed("P1M", clock.now()).key, "error")
    if not csrf.valid(request, csrf_token):
        return _back(chosen.key, "csrf", agency or None)
    if file is None or not file.filename:
        return _back(chosen.key, "no_file", agency or None)
    data = await file.read(upload_mod.MAX_BYTES + 1)
    filename = file.filename

    def work() -> Response:
        try:
            target = submit_agency(db, principal, agency or None)
        except HTTPException:
            return _back(chosen.key, "forbidden")
        book = AreaBook.load(db)
        ob = catalog.obligation(target, chosen, book)
        if ob is None:
            return _back(chosen.key, "no_obligation", agency or None)
        try:
            sub = upload_mod.submit(
                db,
                principal.actor,
                catalog,
                ob,
                book,
                filename=filename,
                data=data,
                offset=offset,
                jump_factor=settings.sub_jump_factor,
            )
        except upload_mod.SubmissionError:
            return _back(chosen.key, "future", agency or None)
        db.commit()
        return RedirectResponse(f"/submissions/{sub.id}", status_code=303)

    return await run_in_threadpool(work)
