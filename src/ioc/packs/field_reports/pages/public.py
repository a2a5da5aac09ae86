"""Citizen pages of field reports (phản ánh hiện trường), no login, Vietnamese first, phone-first.

* ``/phan-anh`` — what the service is, "Gửi phản ánh", search by tracking code;
* ``/phan-anh/tra-cuu?ma=PA-…`` — status, public timeline, answer, published photos; with the
  secret the reporter supplies information, rates the answer or reopens the report;
* ``/phan-anh/danh-sach`` — the public list and map, filtered and paged.

The send form is in ``send.py``. Everything shown about a report comes from ``public.py`` (no
personal data); every change goes through the ``service`` actions with
``service.citizen_actor()``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, HTTPException, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.core import i18n
from ioc.packs.field_reports import public, service
from ioc.packs.field_reports.errors import FieldReportError
from ioc.packs.field_reports.models import Report
from ioc.packs.field_reports.pages.context import (
    base_context,
    categories,
    communes,
    error_text,
    to_json,
)
from ioc.packs.field_reports.pages.send import FORM_MAX, SHORT_MAX, read_photos
from ioc.web import csrf
from ioc.web.deps import Principal, request_language
from ioc.web.pagekit import Call, Posted, PublicCall, form_fields, query_fields
from ioc.web.templating import render

router = APIRouter(include_in_schema=False)

LIST_PAGE_SIZE = 20
# Statuses a citizen can filter the public list by (hidden and merged reports never show).
LIST_STATUSES = (
    "received",
    "assigned",
    "in_progress",
    "info_requested",
    "published",
    "rated",
    "rejected",
)
# Upper bound on a text field before the friendly checks of the service (abuse guard only).


# --- landing ---------------------------------------------------------------------------------


@router.get("/phan-anh", response_class=HTMLResponse)
def landing(call: PublicCall) -> Response:
    """Phản ánh hiện trường: what it is, send, follow by code, the public list."""
    request, db, principal = call
    lang = request_language(request)
    visible = (Report.hidden.is_(False), Report.merged_into_id.is_(None))
    total = db.execute(select(func.count(Report.id)).where(*visible)).scalar_one()
    answered = db.execute(
        select(func.count(Report.id)).where(
            *visible, Report.status.in_(public.PUBLIC_STATUSES_WITH_ANSWER)
        )
    ).scalar_one()
    # The latest published answers, rated or not yet rated.
    latest = sorted(
        public.public_reports(db, status="published", limit=3, lang=lang)
        + public.public_reports(db, status="rated", limit=3, lang=lang),
        key=lambda r: r.get("published_at") or "",
        reverse=True,
    )[:3]
    return render(
        request,
        "field_reports/public/landing.html",
        {
            **base_context(request),
            "total": total,
            "answered": answered,
            "latest": latest,
            "categories": categories(db, lang),
        },
        principal=principal,
    )


# --- tracking --------------------------------------------------------------------------------


def _track_page(
    request: Request,
    db: Session,
    principal: Principal,
    code: str,
    *,
    errors: dict[str, str] | None = None,
    form: str = "",
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    lang = request_language(request)
    report_view = None
    not_found = False
    if code:
        try:
            report = service.get_report(db, code)
        except FieldReportError:
            not_found = True
        else:
            report_view = public.public_report(db, report, lang, timeline=True)
    done = request.query_params.get("done", "")
    return render(
        request,
        "field_reports/public/track.html",
        {
            **base_context(request),
            "code": code,
            "report": report_view,
            "not_found": not_found,
            "errors": errors or {},
            "form": form,
            "values": values or {},
            "done": done if done in ("info", "rated", "reopened") else "",
            "actions": service.ACTIONS,
        },
        principal=principal,
        status_code=404 if not_found else status_code,
    )


@router.get("/phan-anh/tra-cuu", response_class=HTMLResponse)
def track(call: PublicCall, ma: Annotated[str, Query(max_length=40)] = "") -> Response:
    """Tra cứu phản ánh: status, public timeline, answer and photos of report ``ma``."""
    request, db, principal = call
    return _track_page(request, db, principal, ma.strip())


def _citizen_action(
    call: Call, code: str, form: str, posted: Posted, run: Callable[[Report], None], done: str
) -> Response:
    """A form of the reporter on report ``code``: ``run`` it and go back to the tracking page
    with ``?done=``; otherwise the page again with the form's error and what was entered
    (the secret apart)."""
    request, db, principal = call
    lang = request_language(request)
    values = {name: value for name, value in posted.entered.items() if name != "secret"}
    try:
        report = service.get_report(db, code)
    except FieldReportError as exc:
        raise HTTPException(404, str(exc)) from exc
    if report.hidden:
        raise HTTPException(404, "Phản ánh không hiển thị")
    again = partial(_track_page, request, db, principal, report.code, form=form, values=values)
    if not csrf.valid(request, posted.csrf_token):
        return again(errors={"form": i18n.translate("frp.error.csrf", lang)}, status_code=400)
    try:
        run(report)
    except FieldReportError as exc:
        db.rollback()
        return again(errors={exc.field or "form": error_text(exc, lang)}, status_code=422)
    return RedirectResponse(f"/phan-anh/tra-cuu?ma={report.code}&done={done}", status_code=303)


def _reporter_form(**fields: int) -> Any:
    """The dependency reading a form of the reporter: the CSRF token, the secret and
    ``fields`` (``name=max_length``)."""
    return Depends(form_fields(csrf_token=SHORT_MAX, secret=SHORT_MAX, **fields))


InfoForm = Annotated[Posted, _reporter_form(text=FORM_MAX)]
RateForm = Annotated[Posted, _reporter_form(satisfied=10, really_fixed=10, comment=FORM_MAX)]
ReopenForm = Annotated[Posted, _reporter_form(reason=FORM_MAX)]


@router.post("/phan-anh/tra-cuu/{code}/bo-sung", response_class=HTMLResponse)
def provide_info(
    call: PublicCall,
    code: str,
    posted: InfoForm,
    photos: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    """Bổ sung thông tin (the reporter, with the secret)."""

    def run(report: Report) -> None:
        blobs = read_photos(photos or [], call.lang)
        service.provide_info(
            call.db,
            service.citizen_actor(),
            report,
            posted["text"],
            photos=blobs,
            secret=posted["secret"].strip(),
        )

    return _citizen_action(call, code, "info", posted, run, "info")


@router.post("/phan-anh/tra-cuu/{code}/danh-gia", response_class=HTMLResponse)
def rate(call: PublicCall, code: str, posted: RateForm) -> Response:
    """Đánh giá kết quả (the reporter, with the secret): satisfied? really fixed?"""
    satisfied, really_fixed = posted["satisfied"], posted["really_fixed"]

    def run(report: Report) -> None:
        if satisfied not in ("yes", "no"):
            raise FieldReportError(
                "Vui lòng chọn hài lòng hoặc không hài lòng",
                "Choose satisfied or not satisfied",
                field="satisfied",
            )
        if really_fixed not in ("yes", "no"):
            raise FieldReportError(
                "Vui lòng cho biết sự việc đã thực sự được khắc phục chưa",
                "Say whether the problem was really fixed",
                field="really_fixed",
            )
        service.rate(
            call.db,
            service.citizen_actor(),
            report,
            satisfied=satisfied == "yes",
            really_fixed=really_fixed == "yes",
            comment=posted["comment"],
            secret=posted["secret"].strip(),
        )

    return _citizen_action(call, code, "rate", posted, run, "rated")


@router.post("/phan-anh/tra-cuu/{code}/mo-lai", response_class=HTMLResponse)
def reopen(call: PublicCall, code: str, posted: ReopenForm) -> Response:
    """Mở lại phản ánh (the reporter, with the secret): the problem is back or not solved."""

    def run(report: Report) -> None:
        secret = posted["secret"].strip()
        service.reopen(call.db, service.citizen_actor(), report, posted["reason"], secret=secret)

    return _citizen_action(call, code, "reopen", posted, run, "reopened")


# --- public list -----------------------------------------------------------------------------


# The list's filters (category, commune, status) and its page number.
ListQuery = Annotated[dict[str, str], Depends(query_fields(linh_vuc=64, xa=16, trang_thai=20))]
PageNumber = Annotated[int, Query(ge=1, le=10_000)]


@router.get("/phan-anh/danh-sach", response_class=HTMLResponse)
def public_list(call: PublicCall, query: ListQuery, trang: PageNumber = 1) -> Response:
    """Danh sách phản ánh: published and in-progress reports with their answers, and a map."""
    request, db, principal = call
    linh_vuc, xa, trang_thai = query["linh_vuc"], query["xa"], query["trang_thai"]
    lang = request_language(request)
    status = trang_thai if trang_thai in LIST_STATUSES else ""
    rows = public.public_reports(
        db,
        category_code=linh_vuc or None,
        area_code=xa or None,
        status=status or None,
        limit=LIST_PAGE_SIZE + 1,
        offset=(trang - 1) * LIST_PAGE_SIZE,
        lang=lang,
    )
    has_next = len(rows) > LIST_PAGE_SIZE
    rows = rows[:LIST_PAGE_SIZE]
    markers = [
        {
            "code": r["code"],
            "lat": r["lat"],
            "lon": r["lon"],
            "status": r["status"],
            "label": r["status_label"],
            "category": r["category"]["name"],
            "url": f"/phan-anh/tra-cuu?ma={r['code']}",
        }
        for r in rows
        if not r.get("hidden")
    ]
    query = {"linh_vuc": linh_vuc, "xa": xa, "trang_thai": status}
    return render(
        request,
        "field_reports/public/list.html",
        {
            **base_context(request),
            "rows": rows,
            "markers_json": to_json(markers),
            "categories": categories(db, lang),
            "communes": communes(db),
            "statuses": LIST_STATUSES,
            "filters": query,
            "page": trang,
            "has_next": has_next,
            "query_base": urlencode({k: v for k, v in query.items() if v}),
        },
        principal=principal,
    )
