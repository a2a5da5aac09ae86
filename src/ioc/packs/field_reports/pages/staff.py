"""Staff pages of field reports: the inbox and one report's handling page.

* ``/field-reports`` — tabs (mới tiếp nhận, đang xử lý, sắp đến hạn, quá hạn, chờ công bố,
  đã đóng) with counts, filters (category, commune, agency), due dates coloured;
* ``/field-reports/{code}`` — description, map, photos (publish, withdraw, redact), timeline
  with internal notes, the reporter's identity when ``privacy`` allows it, and one form per
  action legal in the current state (``service.ACTIONS``) and for the viewer;
* ``POST /field-reports/{code}/act/{action}`` — every form, through the service action.

Who may do what: IOC staff (administrators, operators, the intake agency: ``privacy`` viewer
``ioc``) every action; an agency's staff start, answer, ask for information and add notes on
its own reports; oversight (leaders) read only. Identity and texts follow ``privacy.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session
from starlette.convertors import Convertor, register_url_convertor

from ioc.core import clock, i18n
from ioc.core.audit import Actor
from ioc.core.models import Agency, Area, User
from ioc.packs.field_reports import deadlines, duplicates, privacy, routing, service
from ioc.packs.field_reports.errors import FieldReportError
from ioc.packs.field_reports.models import Category, Photo, Report, ResponseTemplate
from ioc.packs.field_reports.pages.context import (
    base_context,
    categories,
    communes,
    error_text,
    parse_iso,
)
from ioc.web import csrf
from ioc.web.deps import Principal, request_language
from ioc.web.pagekit import Posted, ViewerCall, form_fields, query_fields
from ioc.web.templating import render

router = APIRouter(include_in_schema=False)


class ReportCode(Convertor[str]):
    """Path segment of a tracking code (``PA-2026-000123``): other single-segment pages of
    ``/field-reports/…`` (statistics, photos, admin) never match the report page."""

    regex = r"[Pp][Aa]-[0-9]{4}-[0-9]{1,12}"

    def convert(self, value: str) -> str:
        return value.upper()

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("fr_code", ReportCode())

PAGE_SIZE = 50
TABS = ("new", "progress", "due_soon", "overdue", "to_publish", "closed")
# The tab the inbox opens on: the first with reports, most urgent first (overdue work before
# reports about to fall due, before new ones waiting for a decision).
OPENING_ORDER = ("overdue", "due_soon", "new", "progress", "to_publish")
TAB_STATUSES: dict[str, tuple[str, ...]] = {
    "new": (service.RECEIVED,),
    "progress": (service.ASSIGNED, service.IN_PROGRESS, service.INFO_REQUESTED),
    "to_publish": (service.ANSWERED,),
    "closed": (service.REJECTED, service.PUBLISHED, service.RATED, service.MERGED),
}

# Form actions -> the service's transition name (None: not a status transition).
TRANSITIONS: dict[str, str | None] = {
    "assign": "assign",
    "reject": "reject",
    "transfer": "transfer",
    "request_info": "request_info",
    "start": "start_progress",
    "answer": "answer",
    "publish": "publish",
    "merge": "merge_duplicate",
    "reopen": "reopen",
    "note": None,
    "hide": None,
    "unhide": None,
    "photo_publish": None,
    "photo_withdraw": None,
    "photo_redact": None,
}
AGENCY_ACTIONS = frozenset({"start", "answer", "request_info", "note"})
PHOTO_ACTIONS = frozenset({"photo_publish", "photo_withdraw", "photo_redact"})


def viewer_of(db: Session, principal: Principal) -> privacy.Viewer:
    """The ``privacy`` viewer of the signed-in user."""
    assert principal.user is not None  # the Staff dependency admits signed-in users only
    user = db.get(User, principal.user.id)
    if user is None:
        raise HTTPException(403, "Không đủ quyền / permission denied")
    return privacy.viewer_for_user(db, user, service.policy().intake_agency)


def allowed_actions(viewer: privacy.Viewer, report: Report, has_photos: bool) -> list[str]:
    """The form actions ``viewer`` may take on ``report`` in its current state."""
    if viewer.kind == "oversight":
        return []
    out = []
    for action, transition in TRANSITIONS.items():
        if viewer.kind == "agency" and action not in AGENCY_ACTIONS:
            continue
        if transition is not None and report.status not in service.ACTIONS[transition]:
            continue
        if action == "hide" and report.hidden:
            continue
        if action == "unhide" and not report.hidden:
            continue
        if action in PHOTO_ACTIONS and not has_photos:
            continue
        out.append(action)
    return out


def _agencies(db: Session) -> list[dict[str, str]]:
    rows = db.execute(
        select(Agency.code, Agency.name, Agency.kind)
        .where(Agency.valid_to.is_(None))
        .order_by(Agency.kind != "department", Agency.kind, Agency.name)
    ).all()
    return [{"code": code, "name": name, "folded": i18n.fold(name)} for code, name, _ in rows]


def due_class(due: datetime | None, status: str, now: datetime) -> str:
    """``late`` (red), ``soon`` (amber, within ``IOC_FR_DUE_SOON_HOURS``), ``ok`` (green),
    or ``none`` for reports without a running step."""
    if due is None or status not in deadlines.STAFF_STEPS:
        return "none"
    if due < now:
        return "late"
    if due < now + timedelta(hours=service.policy().due_soon_hours):
        return "soon"
    return "ok"


# --- inbox -----------------------------------------------------------------------------------


def _base_conditions(
    db: Session, viewer: privacy.Viewer, category: str, area: str, agency: str
) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if viewer.kind == "agency":
        conds.append(Report.agency_id == (viewer.agency_id or -1))
    if category:
        conds.append(Report.category_id.in_(select(Category.id).where(Category.code == category)))
    if area:
        conds.append(Report.area_code == area)
    if agency and viewer.kind != "agency":
        conds.append(Report.agency_id.in_(select(Agency.id).where(Agency.code == agency)))
    return conds


def _holder(db: Session, viewer: privacy.Viewer) -> str | None:
    if viewer.kind != "agency" or viewer.agency_id is None:
        return None
    agency = db.get(Agency, viewer.agency_id)
    return agency.code if agency else None


def _tab_condition(
    db: Session, tab: str, viewer: privacy.Viewer, now: datetime
) -> ColumnElement[bool]:
    if tab in TAB_STATUSES:
        return Report.status.in_(TAB_STATUSES[tab])
    holder = _holder(db, viewer)
    items = (
        deadlines.overdue(db, now, holder)
        if tab == "overdue"
        else deadlines.due_soon(db, now, holder)
    )
    return Report.code.in_([item.code for item in items] or [""])


# The inbox's tab and filters; its page number.
InboxQuery = Annotated[
    dict[str, str], Depends(query_fields(tab=20, category=64, area=16, agency=64))
]
PageNumber = Annotated[int, Query(ge=1, le=10_000)]


@router.get("/field-reports", response_class=HTMLResponse)
def inbox(call: ViewerCall, query: InboxQuery, page: PageNumber = 1) -> Response:
    """Hộp phản ánh: the reports the user handles, by tab, filtered, oldest deadline first.
    Without a tab it opens on the most urgent work there is (``OPENING_ORDER``)."""
    request, db, principal = call
    tab, category, area, agency = query["tab"], query["category"], query["area"], query["agency"]
    lang = request_language(request)
    viewer = viewer_of(db, principal)
    now = clock.now()
    conds = _base_conditions(db, viewer, category, area, agency)
    counts = {
        key: db.execute(
            select(func.count(Report.id)).where(*conds, _tab_condition(db, key, viewer, now))
        ).scalar_one()
        for key in TABS
    }
    if tab not in TABS:
        tab = next((key for key in OPENING_ORDER if counts[key]), "new")
    items, has_next = _inbox_page(db, viewer, conds, tab, page, lang, now)
    filters = {"category": category, "area": area, "agency": agency}
    user_agency = db.get(Agency, viewer.agency_id) if viewer.agency_id else None
    return render(
        request,
        "field_reports/staff/inbox.html",
        {
            **base_context(request),
            "tab": tab,
            "tabs": TABS,
            "counts": counts,
            "items": items,
            "filters": filters,
            "filter_query": urlencode({k: v for k, v in filters.items() if v}),
            "categories": categories(db, lang),
            "communes": communes(db),
            "agencies": _agencies(db) if viewer.kind != "agency" else [],
            "viewer": viewer,
            "viewer_agency": user_agency.name if user_agency else None,
            "page": page,
            "has_next": has_next,
            "due_soon_hours": service.policy().due_soon_hours,
        },
        principal=principal,
    )


def _inbox_page(
    db: Session,
    viewer: privacy.Viewer,
    conds: list[ColumnElement[bool]],
    tab: str,
    page: int,
    lang: str,
    now: datetime,
) -> tuple[list[dict[str, Any]], bool]:
    """One page of the inbox tab ``tab`` (the running deadline first; the closed tab by last
    change) and whether a next page exists."""
    order: tuple[Any, ...] = (
        (Report.updated_at.desc(), Report.id.desc())
        if tab == "closed"
        else (Report.stage_due_at.is_(None), Report.stage_due_at, Report.id)
    )
    rows = db.execute(
        select(Report, Category.name_vi, Category.name_en, Area.name, Agency.name)
        .join(Category, Category.id == Report.category_id)
        .outerjoin(Area, (Area.code == Report.area_code) & Area.valid_to.is_(None))
        .outerjoin(Agency, Agency.id == Report.agency_id)
        .where(*conds, _tab_condition(db, tab, viewer, now))
        .order_by(*order)
        .limit(PAGE_SIZE + 1)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    has_next = len(rows) > PAGE_SIZE
    items = [
        {
            "code": r.code,
            "status": r.status,
            "status_label": i18n.translate(f"fr.status.{r.status}", lang),
            "category": cat_en if lang == "en" else cat_vi,
            "area": area_name or r.area_code,
            "agency": agency_name,
            "received_at": r.received_at,
            "due_at": r.stage_due_at,
            "due": due_class(r.stage_due_at, r.status, now),
            "track": r.track,
            "hidden": r.hidden,
            # The one staff masking (phones, e-mails) unless the viewer may see the identity.
            "description": privacy.staff_text(viewer, r, r.description),
        }
        for r, cat_vi, cat_en, area_name, agency_name in rows[:PAGE_SIZE]
    ]
    return items, has_next


# --- one report ------------------------------------------------------------------------------


def _event_label(kind: str, lang: str) -> str:
    texts = i18n.catalog()
    key = f"fr.event.{kind}" if f"fr.event.{kind}" in texts else f"frp.kind.{kind}"
    return i18n.translate(key, lang) if key in texts else kind


def _templates(db: Session, report: Report, status: str) -> list[dict[str, str]]:
    rows = db.execute(
        select(ResponseTemplate)
        .where(
            ResponseTemplate.active.is_(True),
            ResponseTemplate.status == status,
            (ResponseTemplate.category_id.is_(None))
            | (ResponseTemplate.category_id == report.category_id),
        )
        .order_by(ResponseTemplate.title)
    ).scalars()
    out = []
    for tpl in rows:
        try:
            text = service.render_template(db, tpl.code, report)
        except FieldReportError:
            continue
        out.append({"code": tpl.code, "title": tpl.title, "text": text})
    return out


def _suggested_route(db: Session, report: Report) -> str | None:
    category = db.get(Category, report.category_id)
    if category is None:
        return None
    try:
        return routing.route(db, category, report.area_code).agency.name
    except FieldReportError:
        return None


def _merge_candidates(db: Session, report: Report, lang: str) -> list[dict[str, Any]]:
    category = db.get(Category, report.category_id)
    if category is None:
        return []
    try:
        found = duplicates.nearby_open(
            db, category.code, report.lat, report.lon, limit=6, lang=lang
        )
    except FieldReportError:
        return []
    return [c for c in found if c["code"] != report.code][:5]


def _detail_page(
    request: Request,
    db: Session,
    principal: Principal,
    report: Report,
    *,
    error: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    lang = request_language(request)
    viewer = viewer_of(db, principal)
    try:
        view = privacy.staff_report(db, viewer, report, lang)
    except PermissionError as exc:
        raise HTTPException(403, str(exc)) from exc
    for item in view["timeline"]:
        item["label"] = _event_label(item["kind"], lang)
        item["at_dt"] = parse_iso(item["at"])
    has_photos = bool(view["photos"])
    actions = allowed_actions(viewer, report, has_photos)
    now = clock.now()
    done = request.query_params.get("done", "")
    return render(
        request,
        "field_reports/staff/detail.html",
        {
            **base_context(request),
            "r": view,
            "report_status": report.status,
            "viewer": viewer,
            "actions": actions,
            "moderation": privacy.moderation_log(db, viewer, report)
            if viewer.kind == "ioc"
            else [],
            "agencies": _agencies(db) if {"assign", "transfer"} & set(actions) else [],
            "suggested": _suggested_route(db, report) if "assign" in actions else None,
            "answer_templates": _templates(db, report, service.ANSWERED)
            if "answer" in actions
            else [],
            "reject_templates": _templates(db, report, service.REJECTED)
            if "reject" in actions
            else [],
            "merge_candidates": _merge_candidates(db, report, lang) if "merge" in actions else [],
            "resolutions": service.RESOLUTIONS,
            "due": due_class(report.stage_due_at, report.status, now),
            "stage_due_at": report.stage_due_at,
            "due_at": report.due_at,
            "error": error,
            "done": done if done in TRANSITIONS else "",
        },
        principal=principal,
        status_code=status_code,
    )


def _report(db: Session, code: str) -> Report:
    try:
        return service.get_report(db, code)
    except FieldReportError as exc:
        raise HTTPException(404, str(exc)) from exc


@router.get("/field-reports/{code:fr_code}", response_class=HTMLResponse)
def detail(call: ViewerCall, code: str) -> Response:
    """Xử lý phản ánh: everything about one report and the actions legal now."""
    request, db, principal = call
    return _detail_page(request, db, principal, _report(db, code))


def _boxes(text: str) -> list[tuple[int, int, int, int]]:
    out = []
    for line in text.replace(";", "\n").splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split(",")]
        try:
            values = [int(float(p)) for p in parts]
        except ValueError:
            values = []
        if len(values) != 4:
            raise FieldReportError(
                "Mỗi vùng che gồm 4 số x1,y1,x2,y2 (điểm ảnh), mỗi dòng một vùng",
                "Each box is four numbers x1,y1,x2,y2 (pixels), one per line",
                field="boxes",
            )
        out.append((values[0], values[1], values[2], values[3]))
    return out


def _photo_of(db: Session, report: Report, photo_id: str) -> Photo:
    photo = db.get(Photo, int(photo_id)) if photo_id.isdigit() else None
    if photo is None or photo.report_id != report.id:
        raise FieldReportError("Không có ảnh này", "No such photo", field="photo")
    return photo


# The fields of the report page's action forms (see ``_ActionForm``).
_SHORT_FIELDS = {"agency": 64, "resolution": 24, "into": 40, "photo": 20, "boxes": 2_000}
_LONG_FIELDS = dict.fromkeys(("reason", "text", "note"), 20_000)
ActForm = Annotated[Posted, Depends(form_fields(csrf_token=200, **_SHORT_FIELDS, **_LONG_FIELDS))]


@router.post("/field-reports/{code:fr_code}/act/{action}", response_class=HTMLResponse)
def act(call: ViewerCall, code: str, action: str, posted: ActForm) -> Response:
    """One action on the report (forms of the report page), through the service."""
    request, db, principal = call
    lang = request_language(request)
    report = _report(db, code)
    viewer = viewer_of(db, principal)
    if not privacy.can_view(viewer, report) or action not in TRANSITIONS:
        raise HTTPException(403 if action in TRANSITIONS else 404, "Không đủ quyền")

    def refused(report: Report, field: str, message: str, status_code: int) -> Response:
        """The report page again, with the action's form refused (``field``, ``message``)."""
        error = {"action": action, "field": field, "message": message}
        return _detail_page(request, db, principal, report, error=error, status_code=status_code)

    if not csrf.valid(request, posted.csrf_token):
        return refused(report, "form", i18n.translate("frp.error.csrf", lang), 400)
    # The role decides which actions exist for the user; the service decides the state.
    if not (viewer.kind == "ioc" or (viewer.kind == "agency" and action in AGENCY_ACTIONS)):
        raise HTTPException(403, "Không đủ quyền / permission denied")
    form = _ActionForm(**posted.entered)
    run = _service_call(db, principal.actor, report, action, form)
    try:
        run()
    except FieldReportError as exc:
        db.rollback()
        return refused(_report(db, code), exc.field or "form", error_text(exc, lang), 422)
    return RedirectResponse(f"/field-reports/{report.code}?done={action}", status_code=303)


def _target(db: Session, code: str) -> Report:
    if not code.strip():
        raise FieldReportError(
            "Vui lòng chọn hoặc nhập mã phản ánh gốc", "Choose the original report", field="into"
        )
    try:
        return service.get_report(db, code)
    except FieldReportError as exc:
        raise FieldReportError(str(exc), exc.en, field="into") from exc


@dataclass(frozen=True)
class _ActionForm:
    """The fields of the report page's action forms (each form sends the ones it needs)."""

    agency: str
    reason: str
    text: str
    note: str
    resolution: str
    into: str
    photo: str
    boxes: str


def _service_call(
    db: Session, actor: Actor, report: Report, action: str, form: _ActionForm
) -> Callable[[], object]:
    """The service action behind form ``action``, ready to run (a wrong photo or merge
    target is refused when it runs, like the action's own checks)."""
    optional_note = form.note.strip() or None
    agency, reason, text = form.agency, form.reason, form.text
    runs: dict[str, Callable[[], object]] = {
        "assign": lambda: service.assign(db, actor, report, agency or None, note=optional_note),
        "reject": lambda: service.reject(db, actor, report, reason),
        "transfer": lambda: service.transfer(db, actor, report, agency, reason),
        "request_info": lambda: service.request_info(db, actor, report, text),
        "start": lambda: service.start_progress(db, actor, report, note=optional_note),
        "answer": lambda: service.answer(
            db, actor, report, text, resolution=form.resolution or "fixed", note=optional_note
        ),
        "publish": lambda: service.publish(db, actor, report, text=text if text.strip() else None),
        "merge": lambda: service.merge_duplicate(
            db, actor, report, _target(db, form.into), note=optional_note
        ),
        "reopen": lambda: service.reopen(db, actor, report, reason),
        "note": lambda: service.add_note(db, actor, report, text),
        "hide": lambda: service.hide(db, actor, report, reason),
        "unhide": lambda: service.unhide(db, actor, report, reason),
        "photo_publish": lambda: service.publish_photo(
            db, actor, _photo_of(db, report, form.photo), True, reason=reason
        ),
        "photo_withdraw": lambda: service.publish_photo(
            db, actor, _photo_of(db, report, form.photo), False, reason=reason
        ),
        "photo_redact": lambda: service.redact_photo(
            db, actor, _photo_of(db, report, form.photo), _boxes(form.boxes), reason=reason
        ),
    }
    return runs[action]
