"""One submission (``/submissions/{id}``): row/column errors, warnings to confirm, values,
changes made; and the forms that confirm or cancel it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from ioc.core.auth import Permission
from ioc.engines.submissions import upload as upload_mod
from ioc.engines.submissions.catalog import (
    AreaBook,
    load_agency,
)
from ioc.engines.submissions.models import SubSubmission
from ioc.engines.submissions.periods import parse_period
from ioc.engines.submissions.values import history_of, read_values
from ioc.web import csrf
from ioc.web.csrf import CsrfField
from ioc.web.deps import (
    DbSession,
    Principal,
    Viewer,
)
from ioc.web.pagekit import Call, IngestorCall
from ioc.web.submissions.common import (
    indicator_name,
    is_admin,
    own_agency,
    page_context,
    sees_all,
    value_text,
)
from ioc.web.templating import render

router = APIRouter(include_in_schema=False)


def _submission(db: Session, principal: Principal, sub_id: int) -> SubSubmission:
    sub = db.get(SubSubmission, sub_id)
    if sub is None:
        raise HTTPException(404, "Không có lần nộp này / no such submission")
    if not sees_all(principal):
        own = own_agency(db, principal)
        if own is None or own.code != sub.agency_code:
            raise HTTPException(403, "Không đủ quyền / permission denied")
    return sub


def _may_act(db: Session, principal: Principal, sub: SubSubmission) -> bool:
    if not principal.can(Permission.INGEST):
        return False
    if is_admin(principal):
        return True
    own = own_agency(db, principal)
    return own is not None and own.code == sub.agency_code


@router.get("/submissions/{sub_id:int}", response_class=HTMLResponse)
def submission_page(
    request: Request,
    sub_id: int,
    principal: Viewer,
    db: DbSession,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """Một lần nộp: status, errors by row and column, warnings, values and changes."""
    catalog, lang, offset = page_context(request)
    sub = _submission(db, principal, sub_id)
    period = parse_period(sub.period)
    indicators = catalog.indicator_rows(db)
    book = AreaBook.load(db)
    pairs = {(r["code"], r["area"]) for r in sub.rows}
    previous = read_values(db, indicators, pairs, [period.previous()], offset)
    values = [
        {
            "row": r["row"],
            "code": r["code"],
            "name": (
                catalog.specs[r["code"]].name_vi
                if lang == "vi"
                else catalog.specs[r["code"]].name_en
            )
            if r["code"] in catalog.specs
            else r["code"],
            "unit": catalog.specs[r["code"]].unit if r["code"] in catalog.specs else "",
            "area": book.by_code[r["area"]].name if r["area"] in book.by_code else r["area"],
            "value": value_text(r["value"], lang),
            "previous": value_text(
                previous.get((r["code"], r["area"], period.previous().key)), lang
            ),
            "note": r.get("note", ""),
        }
        for r in sub.rows
    ]
    names = {i.id: i for i in indicators.values()}
    changes = [
        {
            "code": names[h.indicator_id].code if h.indicator_id in names else "",
            "indicator": indicator_name(names[h.indicator_id], lang)
            if h.indicator_id in names
            else "",
            "area": book.by_code[h.area_code].name if h.area_code in book.by_code else h.area_code,
            "old": value_text(h.old_value, lang),
            "new": value_text(h.new_value, lang),
            "by": h.changed_by,
            "at": h.changed_at,
        }
        for h in history_of(db, submission_id=sub.id, limit=500)
    ]
    agency = load_agency(db, sub.agency_code)
    return render(
        request,
        "submissions/detail.html",
        {
            "sub": sub,
            "agency": agency,
            "period_label": period.label(lang),
            "values": values,
            "changes": changes,
            "may_act": _may_act(db, principal, sub),
            "done": done if done in ("confirmed", "cancelled", "csrf", "error") else None,
        },
        principal=principal,
    )


def _decide(call: Call, sub_id: int, csrf_token: str, action: str) -> Response:
    request, db, principal = call
    catalog, _lang, offset = page_context(request)
    sub = _submission(db, principal, sub_id)
    if not csrf.valid(request, csrf_token):
        return RedirectResponse(f"/submissions/{sub_id}?done=csrf", status_code=303)
    if not _may_act(db, principal, sub):
        raise HTTPException(403, "Không đủ quyền / permission denied")
    try:
        if action == "confirm":
            upload_mod.confirm(db, principal.actor, sub, catalog, AreaBook.load(db), offset=offset)
        else:
            upload_mod.cancel(db, principal.actor, sub)
    except upload_mod.SubmissionError:
        db.rollback()
        return RedirectResponse(f"/submissions/{sub_id}?done=error", status_code=303)
    db.commit()
    done = "confirmed" if action == "confirm" else "cancelled"
    return RedirectResponse(f"/submissions/{sub_id}?done={done}", status_code=303)


@router.post("/submissions/{sub_id:int}/confirm")
def confirm_submission(sub_id: int, call: IngestorCall, csrf_token: CsrfField = "") -> Response:
    """Xác nhận các cảnh báo và lưu số liệu."""
    return _decide(call, sub_id, csrf_token, "confirm")


@router.post("/submissions/{sub_id:int}/cancel")
def cancel_submission(sub_id: int, call: IngestorCall, csrf_token: CsrfField = "") -> Response:
    """Hủy lần nộp đang chờ xác nhận."""
    return _decide(call, sub_id, csrf_token, "cancel")
