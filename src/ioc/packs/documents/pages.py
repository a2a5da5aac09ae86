"""Pages of the documents pack: overview (``/documents``), document list, directives, tasks,
file import, evidence downloads and the XLSX/CSV export of every table.

Signed-in users (``Permission.VIEW``). Agency staff see and act on their own agency's
documents and tasks only; leaders, operators and admins see every agency. Which task actions a
role may take is decided by :func:`ioc.packs.documents.tasks.may` (routes only forward).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.core import clock, i18n, ownership
from ioc.core.auth import Permission
from ioc.core.models import Agency
from ioc.engines.exports import Table
from ioc.engines.ingestion.tabular import TableError
from ioc.packs.documents import ingest, queries, tasks
from ioc.packs.documents.models import Directive, Document, Task, TaskEvent
from ioc.packs.documents.views import (
    PageError,
    agency_by_code,
    bar,
    doer,
    download,
    local,
    parse_date,
    parse_period,
    rate_cell,
    rate_class,
    scope,
    to_json,
    today,
)
from ioc.web import csrf
from ioc.web.deps import DbSession, Principal, require, write_scope
from ioc.web.templating import render, request_lang

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

Viewer = Annotated[Principal, Depends(require(Permission.VIEW, page=True))]
Importer = Annotated[Principal, Depends(require(Permission.INGEST, page=True))]

PAGE_SIZE = 100
EXPORT_LIMIT = 100_000
CHART_MAX = 25
STATE_CLASS = {
    "done": "ok",
    "done_late": "ok",
    "cancelled": "muted",
    "overdue": "error",
    "due_soon": "warn",
    "in_progress": "info",
    "assigned": "info",
}
FORMATS = ("xlsx", "csv")


def _lang(request: Request) -> str:
    return request_lang(request, request.app.state.settings.default_language)


def _t(request: Request, key: str, **params: Any) -> str:
    return i18n.translate(key, _lang(request), **params)


def _fmt(fmt: str) -> str:
    if fmt not in FORMATS:
        raise HTTPException(400, "format: xlsx | csv")
    return fmt


def _agencies(db: Session, only: int | None) -> list[dict[str, str]]:
    """Agencies that have documents or tasks (for filter menus)."""
    ids = set(db.execute(select(Document.agency_id).distinct()).scalars())
    ids |= set(db.execute(select(Task.agency_id).distinct()).scalars())
    if only is not None:
        ids &= {only}
    rows = list(
        db.execute(select(Agency.code, Agency.short_name, Agency.kind).where(Agency.id.in_(ids)))
    )
    rows.sort(key=lambda r: (r[2] == "commune_committee", r[1]))
    return [{"code": c, "name": n} for c, n, _k in rows]


# ------------------------------------------------------------------------------ overview


def _board(rows: list[tasks.TaskRow], db: Session) -> list[dict[str, Any]]:
    by_directive: dict[int, list[tasks.TaskRow]] = defaultdict(list)
    for row in rows:
        by_directive[row.directive_id].append(row)
    if not by_directive:
        return []
    directives = {
        d.id: d
        for d in db.execute(select(Directive).where(Directive.id.in_(list(by_directive)))).scalars()
    }
    board: list[dict[str, Any]] = []
    for directive_id, items in by_directive.items():
        d = directives[directive_id]
        open_items = [r for r in items if r.state != "cancelled"]
        mean = round(sum(r.progress for r in open_items) / len(open_items)) if open_items else 0
        board.append(
            {
                "id": directive_id,
                "issued": d.issued_on.toordinal(),
                "directive": d,
                "tasks": sorted(items, key=lambda r: (r.ref, r.id)),
                "progress": mean,
                "overdue": sum(r.state == "overdue" for r in items),
                "done": sum(r.status == tasks.DONE for r in items),
            }
        )
    board.sort(key=lambda b: (-b["issued"], b["id"]))
    return board


@router.get("/documents")
def overview(request: Request, db: DbSession, principal: Viewer) -> Response:
    """Văn bản và điều hành: key figures per agency, ranking, charts, the task board."""
    now = clock.now()
    error: PageError | None = None
    try:
        period = parse_period(request.query_params)
    except PageError as exc:
        error, period = exc, queries.Period.default(today())
    group = request.query_params.get("group", "departments")
    if group not in queries.GROUPS:
        group = "departments"
    only = scope(principal)
    # One aggregate query: the ranking of the group and the totals of every agency.
    everyone = queries.figures_by_agency(db, period, now, "all")
    if only is not None:
        everyone = [r for r in everyone if r.agency_id == only]
    total = queries.sum_figures([r.figures for r in everyone])
    rows = queries.ranking([r for r in everyone if queries.in_group(r.kind, group)])
    chart_rows = rows[:CHART_MAX] if group != "communes" else rows[-CHART_MAX:]
    task_list = tasks.task_rows(db, now, agency_id=only)
    counts: dict[str, int] = defaultdict(int)
    for r in task_list:
        counts[r.state] += 1
    lang = _lang(request)
    query = urlencode(
        {"from": period.start.isoformat(), "to": period.end.isoformat(), "group": group}
    )
    context = {
        "period": period,
        "group": group,
        "groups": queries.GROUPS,
        "error": error,
        "total": total,
        "rows": rows,
        "rate_class": rate_class,
        "query": query,
        "period_query": urlencode({"from": period.start.isoformat(), "to": period.end.isoformat()}),
        "board": _board(task_list, db),
        "overdue_tasks": [r for r in task_list if r.state == "overdue"],
        "due_soon_tasks": [r for r in task_list if r.state == "due_soon"],
        "task_counts": counts,
        "task_total": len(task_list),
        "state_class": STATE_CLASS,
        "due_soon_days": tasks.policy().due_soon_days,
        "charts_json": to_json(
            {
                "on_time": bar(chart_rows, "on_time_rate", i18n.translate("doc.kpi.on_time", lang)),
                "signature": bar(
                    chart_rows, "signature_rate", i18n.translate("doc.kpi.signature", lang)
                ),
                "electronic": bar(
                    chart_rows, "electronic_rate", i18n.translate("doc.kpi.electronic", lang)
                ),
            }
        ),
        "can_manage": tasks.may(doer(principal), "directive"),
    }
    return render(
        request,
        "documents/overview.html",
        context,
        principal=principal,
        status_code=400 if error else 200,
    )


# ------------------------------------------------------------------------ document list


def _doc_filter(request: Request, db: Session, principal: Principal) -> queries.DocFilter:
    q = request.query_params
    only = scope(principal)
    agency = agency_by_code(db, q.get("agency"))
    agency_id = agency.id if agency is not None else None
    if only is not None:
        agency_id = only
    state = q.get("state", "all")
    if state not in queries.DOC_STATES:
        raise PageError("state", "trạng thái không hợp lệ", "invalid state")
    direction = q.get("direction", "")
    if direction not in ("", "incoming", "outgoing"):
        raise PageError("direction", "phải là đến hoặc đi", "incoming or outgoing")
    period = parse_period(q) if (q.get("from") or q.get("to")) else None
    return queries.DocFilter(
        agency_id=agency_id,
        direction=direction,
        state=state,
        period=period,
        q=(q.get("q") or "").strip()[:100],
    )


@router.get("/documents/list")
def document_list(request: Request, db: DbSession, principal: Viewer) -> Response:
    """Danh sách văn bản with filters (agency, direction, state, period, text)."""
    now = clock.now()
    error: PageError | None = None
    try:
        flt = _doc_filter(request, db, principal)
    except PageError as exc:
        error, flt = exc, queries.DocFilter(agency_id=scope(principal))
    try:
        page = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        page = 1
    stmt = queries.document_query(flt, now)
    count = db.execute(
        select(func.count()).select_from(stmt.order_by(None).subquery())
    ).scalar_one()
    items = [
        {"doc": doc, "agency_code": code, "agency_name": name, "state": queries.doc_state(doc, now)}
        for doc, code, name in db.execute(stmt.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))
    ]
    params = {k: v for k, v in request.query_params.items() if k != "page" and v}
    return render(
        request,
        "documents/list.html",
        {
            "items": items,
            "count": count,
            "page": page,
            "pages": max(1, (count + PAGE_SIZE - 1) // PAGE_SIZE),
            "params": params,
            "query": urlencode(params),
            "states": queries.DOC_STATES,
            "agencies": _agencies(db, scope(principal)),
            "error": error,
            "now": now,
        },
        principal=principal,
        status_code=400 if error else 200,
    )


# ------------------------------------------------------------------------ directives


def _directive(db: Session, directive_id: int) -> Directive:
    directive = db.get(Directive, directive_id)
    if directive is None:
        raise HTTPException(404, "Không có văn bản chỉ đạo này / no such directive")
    return directive


def _task(db: Session, task_id: int, principal: Principal) -> Task:
    task = db.get(Task, task_id)
    only = scope(principal)
    if task is None or (only is not None and task.agency_id != only):
        raise HTTPException(404, "Không có nhiệm vụ này / no such task")
    return task


@router.get("/documents/directives")
def directives_page(request: Request, db: DbSession, principal: Viewer) -> Response:
    """Văn bản chỉ đạo: every directive with its task counts, and the form to add one."""
    return _directives_page(request, db, principal)


def _directives_page(
    request: Request,
    db: Session,
    principal: Principal,
    *,
    error: tasks.TaskError | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    now = clock.now()
    only = scope(principal)
    rows = tasks.task_rows(db, now, agency_id=only)
    stats: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in rows:
        stats[r.directive_id]["total"] += 1
        stats[r.directive_id][r.state] += 1
        stats[r.directive_id]["progress"] += r.progress if r.state != "cancelled" else 0
        stats[r.directive_id]["counted"] += r.state != "cancelled"
    directives = list(
        db.execute(select(Directive).order_by(Directive.issued_on.desc(), Directive.id)).scalars()
    )
    if only is not None:
        directives = [d for d in directives if d.id in stats]
    return render(
        request,
        "documents/directives.html",
        {
            "directives": directives,
            "stats": stats,
            "error": error,
            "form": form or {},
            "can_manage": tasks.may(doer(principal), "directive"),
        },
        principal=principal,
        status_code=400 if error else 200,
    )


@router.post("/documents/directives")
def create_directive(
    request: Request,
    db: DbSession,
    principal: Viewer,
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    number: Annotated[str, Form(max_length=200)] = "",
    issued_on: Annotated[str, Form(max_length=20)] = "",
    issuer: Annotated[str, Form(max_length=400)] = "",
    signer: Annotated[str, Form(max_length=300)] = "",
    summary: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    """Ghi nhận một văn bản chỉ đạo (leaders, operators, admins)."""
    form = {
        "number": number,
        "issued_on": issued_on,
        "issuer": issuer,
        "signer": signer,
        "summary": summary,
    }
    if not csrf.valid(request, csrf_token):
        raise HTTPException(403, "Phiên biểu mẫu hết hạn, tải lại trang / stale form")
    try:
        day = parse_date(issued_on, "issued_on")
        if day is None:
            raise tasks.TaskError("Thiếu ngày ban hành", "issue date is required", "issued_on")
        directive = tasks.create_directive(
            db,
            doer(principal),
            number=number,
            issued_on=day,
            issuer=issuer,
            summary=summary,
            signer=signer,
        )
    except PageError as exc:
        db.rollback()
        return _directives_page(
            request, db, principal, error=tasks.TaskError(exc.message, exc.en, exc.field), form=form
        )
    except tasks.TaskError as exc:
        db.rollback()
        return _directives_page(request, db, principal, error=exc, form=form)
    db.commit()
    return RedirectResponse(f"/documents/directives/{directive.id}?done=created", 303)


def _timeline(db: Session, task_ids: list[int]) -> list[dict[str, Any]]:
    if not task_ids:
        return []
    rows = db.execute(
        select(TaskEvent, Task.ref, Task.title, Agency.short_name)
        .join(Task, Task.id == TaskEvent.task_id)
        .join(Agency, Agency.id == Task.agency_id)
        .where(TaskEvent.task_id.in_(task_ids))
        .order_by(TaskEvent.at.desc(), TaskEvent.id.desc())
    )
    return [
        {"e": e, "ref": ref, "title": title, "agency": agency} for e, ref, title, agency in rows
    ]


@router.get("/documents/directives/{directive_id}")
def directive_page(
    request: Request, directive_id: int, db: DbSession, principal: Viewer
) -> Response:
    """One directive: its tasks with progress bars and the timeline of their reports."""
    return _directive_page(request, db, principal, directive_id)


def _directive_page(
    request: Request,
    db: Session,
    principal: Principal,
    directive_id: int,
    *,
    error: tasks.TaskError | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    directive = _directive(db, directive_id)
    now = clock.now()
    rows = tasks.task_rows(db, now, agency_id=scope(principal), directive_id=directive.id)
    rows.sort(key=lambda r: (r.ref, r.id))
    all_agencies = db.execute(
        select(Agency.code, Agency.short_name, Agency.kind)
        .where(Agency.valid_to.is_(None))
        .order_by(Agency.kind == "commune_committee", Agency.short_name)
    ).all()
    done = request.query_params.get("done")
    return render(
        request,
        "documents/directive.html",
        {
            "directive": directive,
            "rows": rows,
            "timeline": _timeline(db, [r.id for r in rows])[:200],
            "state_class": STATE_CLASS,
            "error": error,
            "form": form or {},
            "can_assign": tasks.may(doer(principal), "assign"),
            "agencies": [{"code": c, "name": n} for c, n, _k in all_agencies],
            "done": done if done in ("created", "assigned") else None,
        },
        principal=principal,
        status_code=400 if error else 200,
    )


@router.post("/documents/directives/{directive_id}/tasks")
def assign(
    request: Request,
    directive_id: int,
    db: DbSession,
    principal: Viewer,
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    agency: Annotated[str, Form(max_length=64)] = "",
    ref: Annotated[str, Form(max_length=64)] = "",
    title: Annotated[str, Form(max_length=5000)] = "",
    coordinating: Annotated[str, Form(max_length=600)] = "",
    due_on: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Giao nhiệm vụ cho một cơ quan chủ trì."""
    form = {
        "agency": agency,
        "ref": ref,
        "title": title,
        "coordinating": coordinating,
        "due_on": due_on,
    }
    if not csrf.valid(request, csrf_token):
        raise HTTPException(403, "Phiên biểu mẫu hết hạn, tải lại trang / stale form")
    directive = _directive(db, directive_id)
    try:
        day = parse_date(due_on, "due_on")
        if day is None:
            raise tasks.TaskError("Thiếu hạn hoàn thành", "deadline is required", "due_on")
        tasks.assign_task(
            db,
            doer(principal),
            directive,
            agency_code=agency,
            title=title,
            due_on=day,
            ref=ref,
            coordinating=coordinating,
        )
    except (tasks.TaskError, PageError) as exc:
        db.rollback()
        err = (
            exc
            if isinstance(exc, tasks.TaskError)
            else tasks.TaskError(exc.message, exc.en, exc.field)
        )
        return _directive_page(request, db, principal, directive_id, error=err, form=form)
    db.commit()
    return RedirectResponse(f"/documents/directives/{directive_id}?done=assigned", 303)


# ------------------------------------------------------------------------------ tasks


@router.get("/documents/tasks")
def task_list(request: Request, db: DbSession, principal: Viewer) -> Response:
    """Nhiệm vụ: every task (own agency for staff), filtered by agency and state."""
    now = clock.now()
    q = request.query_params
    only = scope(principal)
    agency = agency_by_code(db, q.get("agency"))
    agency_id = only if only is not None else (agency.id if agency else None)
    state = q.get("state", "")
    rows = tasks.task_rows(db, now, agency_id=agency_id)
    if state:
        rows = [r for r in rows if r.state == state or (state == "open" and r.is_open)]
    params = {k: v for k, v in q.items() if v}
    return render(
        request,
        "documents/tasks.html",
        {
            "rows": rows,
            "state": state,
            "states": (
                "open",
                "overdue",
                "due_soon",
                "in_progress",
                "assigned",
                "done",
                "done_late",
                "cancelled",
            ),
            "agencies": _agencies(db, only),
            "params": params,
            "query": urlencode(params),
            "state_class": STATE_CLASS,
        },
        principal=principal,
    )


def _task_page(
    request: Request,
    db: Session,
    principal: Principal,
    task: Task,
    *,
    error: tasks.TaskError | None = None,
    action: str = "",
    form: dict[str, str] | None = None,
) -> Response:
    now = clock.now()
    row = tasks.task_rows(db, now, task_ids=[task.id])[0]
    directive = _directive(db, task.directive_id)
    who = doer(principal)
    can = {
        a: tasks.may(who, a, task.agency_id) and task.status in tasks.TRANSITIONS[a]
        for a in tasks.TRANSITIONS
    }
    done = request.query_params.get("done")
    return render(
        request,
        "documents/task.html",
        {
            "row": row,
            "task": task,
            "directive": directive,
            "timeline": _timeline(db, [task.id]),
            "state_class": STATE_CLASS,
            "can": can,
            "error": error,
            "action": action,
            "form": form or {},
            "done": done if done in tasks.TRANSITIONS else None,
            "max_mb": tasks.policy().evidence_max_bytes // (1024 * 1024),
        },
        principal=principal,
        status_code=400 if error else 200,
    )


@router.get("/documents/tasks/{task_id}")
def task_page(request: Request, task_id: int, db: DbSession, principal: Viewer) -> Response:
    """One task: deadline, progress, timeline and the forms its viewer may use."""
    return _task_page(request, db, principal, _task(db, task_id, principal))


async def _evidence(file: UploadFile | None, link: str) -> tasks.Evidence:
    data = b""
    name = ""
    if file is not None and file.filename:
        limit = tasks.policy().evidence_max_bytes
        data = await file.read(limit + 1)
        name = file.filename
    return tasks.Evidence(link=link, filename=name, data=data or None)


@router.post("/documents/tasks/{task_id}/{action}")
async def task_action(
    request: Request,
    task_id: int,
    action: str,
    principal: Viewer,
    db: DbSession,
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    percent: Annotated[str, Form(max_length=8)] = "",
    note: Annotated[str, Form(max_length=5000)] = "",
    reason: Annotated[str, Form(max_length=3000)] = "",
    new_due_on: Annotated[str, Form(max_length=20)] = "",
    evidence_link: Annotated[str, Form(max_length=1200)] = "",
    evidence_file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Báo cáo tiến độ / hoàn thành / mở lại / gia hạn / hủy (one form per action)."""
    if action not in tasks.TRANSITIONS:
        raise HTTPException(404, "Không có thao tác này / no such action")
    if not csrf.valid(request, csrf_token):
        raise HTTPException(403, "Phiên biểu mẫu hết hạn, tải lại trang / stale form")
    task = _task(db, task_id, principal)
    form = {
        "percent": percent,
        "note": note,
        "reason": reason,
        "new_due_on": new_due_on,
        "evidence_link": evidence_link,
    }
    who = doer(principal)
    try:
        if action == "progress":
            try:
                value = int(percent.strip().rstrip("%"))
            except ValueError as exc:
                raise tasks.TaskError(
                    "Tiến độ phải là số phần trăm (0–99)",
                    "progress must be a percentage",
                    "percent",
                ) from exc
            evidence = await _evidence(evidence_file, evidence_link)
            tasks.post_progress(db, who, task, percent=value, note=note, evidence=evidence)
        elif action == "done":
            evidence = await _evidence(evidence_file, evidence_link)
            tasks.mark_done(db, who, task, evidence=evidence, note=note)
        elif action == "reopen":
            tasks.reopen(db, who, task, reason=reason)
        elif action == "extend":
            day = parse_date(new_due_on, "new_due_on")
            if day is None:
                raise tasks.TaskError("Thiếu hạn mới", "new deadline is required", "new_due_on")
            tasks.extend_deadline(db, who, task, new_due_on=day, reason=reason)
        else:
            tasks.cancel(db, who, task, reason=reason)
    except (tasks.TaskError, PageError) as exc:
        db.rollback()
        err = (
            exc
            if isinstance(exc, tasks.TaskError)
            else tasks.TaskError(exc.message, exc.en, exc.field)
        )
        task = _task(db, task_id, principal)
        status = 403 if err.field == "permission" else 400
        response = _task_page(request, db, principal, task, error=err, action=action, form=form)
        response.status_code = status
        return response
    db.commit()
    return RedirectResponse(f"/documents/tasks/{task_id}?done={action}", 303)


@router.get("/documents/evidence/{event_id}")
def evidence_file(event_id: int, db: DbSession, principal: Viewer) -> Response:
    """Download the evidence file of one report (same visibility as its task)."""
    event = db.get(TaskEvent, event_id)
    if event is None or not event.evidence_file:
        raise HTTPException(404, "Không có tệp minh chứng / no such file")
    _task(db, event.task_id, principal)
    path = tasks.evidence_path(event.evidence_file)
    if path is None:
        raise HTTPException(404, "Tệp minh chứng không còn / file missing")
    return FileResponse(path, filename=event.evidence_name or event.evidence_file)


# ------------------------------------------------------------------------------ import


def _may_import(principal: Principal) -> None:
    if principal.user is None or principal.user.role not in ("admin", "operator"):
        raise HTTPException(403, "Chỉ trực ban IOC, quản trị viên / operators and admins only")


@router.get("/documents/import")
def import_page(request: Request, principal: Importer) -> Response:
    """Nhập sổ văn bản từ tệp CSV/XLSX (columns in ``ingest.COLUMNS``)."""
    _may_import(principal)
    return render(
        request,
        "documents/import.html",
        {"columns": ingest.COLUMNS, "report": None, "errors": [], "file_error": None},
        principal=principal,
    )


@router.post("/documents/import")
async def import_upload(
    request: Request,
    principal: Importer,
    db: DbSession,
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Import every row of the file, or none when any row is wrong (errors by row/column)."""
    _may_import(principal)
    if not csrf.valid(request, csrf_token):
        raise HTTPException(403, "Phiên biểu mẫu hết hạn, tải lại trang / stale form")
    context: dict[str, Any] = {
        "columns": ingest.COLUMNS,
        "report": None,
        "errors": [],
        "file_error": None,
    }
    if file is None or not file.filename:
        context["file_error"] = "Chưa chọn tệp (no file chosen)"
        return render(
            request, "documents/import.html", context, principal=principal, status_code=400
        )
    data = await file.read(50 * 1024 * 1024 + 1)
    try:
        if len(data) > 50 * 1024 * 1024:
            raise TableError("Tệp lớn hơn 50 MB (file larger than 50 MB)")
        report = ingest.import_file(
            db, principal.actor, file.filename, data, scope=write_scope(db, principal)
        )
    except ownership.NotYourData as exc:
        db.rollback()
        ownership.record_denied(db, principal.actor, "documents.import", exc)
        db.commit()
        context["file_error"] = exc.text
        return render(
            request, "documents/import.html", context, principal=principal, status_code=403
        )
    except TableError as exc:
        db.rollback()
        context["file_error"] = str(exc)
        return render(
            request, "documents/import.html", context, principal=principal, status_code=400
        )
    if not report.ok:
        db.rollback()
        context["errors"] = [e.text(file=True) for e in report.errors[:200]]
        context["error_count"] = len(report.errors)
        return render(
            request, "documents/import.html", context, principal=principal, status_code=400
        )
    db.commit()
    context["report"] = report
    return render(request, "documents/import.html", context, principal=principal)


@router.get("/documents/import/template")
def import_template(principal: Importer) -> Response:
    """An empty import file with the expected headers and one example row."""
    _may_import(principal)
    example = [
        "QLVB-2026-000123",
        "đến",
        "so-xay-dung",
        "125/UBND-KT",
        "Công văn",
        "V/v triển khai nhiệm vụ phát triển đô thị thông minh",
        "UBND tỉnh",
        "05/03/2026",
        "06/03/2026 08:30",
        "",
        "10 ngày làm việc",
        "",
        "không",
        "có",
        "QLVB",
    ]
    table = Table(title="Mau_nhap_van_ban", header=ingest.template_header(), rows=[example])
    return download(table, "mau-nhap-van-ban", "xlsx")


# ------------------------------------------------------------------------------ exports


@router.get("/documents/export/{name}")
def export(request: Request, name: str, db: DbSession, principal: Viewer) -> Response:
    """Tải bảng: ``ranking``, ``documents``, ``tasks``, ``timeline`` (of a directive) as
    XLSX (default) or CSV (``?format=csv``), with the same filters as the page."""
    fmt = _fmt(request.query_params.get("format", "xlsx"))
    now = clock.now()
    only = scope(principal)

    def tr(key: str) -> str:
        return _t(request, key)

    try:
        if name == "ranking":
            period = parse_period(request.query_params)
            group = request.query_params.get("group", "all")
            group = group if group in queries.GROUPS else "all"
            rows = queries.ranking(queries.figures_by_agency(db, period, now, group))
            if only is not None:
                rows = [r for r in rows if r.agency_id == only]
            table = Table(
                title="Xep_hang_van_ban",
                header=[
                    tr("doc.col.rank"),
                    tr("doc.col.agency_code"),
                    tr("doc.col.agency"),
                    tr("doc.col.incoming"),
                    tr("doc.col.outgoing"),
                    tr("doc.col.with_deadline"),
                    tr("doc.col.on_time"),
                    tr("doc.col.late"),
                    tr("doc.col.overdue"),
                    tr("doc.kpi.on_time") + " (%)",
                    tr("doc.kpi.signature") + " (%)",
                    tr("doc.kpi.electronic") + " (%)",
                ],
                rows=[
                    [
                        i + 1,
                        r.code,
                        r.name,
                        r.figures.incoming,
                        r.figures.outgoing,
                        r.figures.with_deadline,
                        r.figures.on_time,
                        r.figures.late,
                        r.figures.overdue,
                        rate_cell(r.figures.on_time_rate),
                        rate_cell(r.figures.signature_rate),
                        rate_cell(r.figures.electronic_rate),
                    ]
                    for i, r in enumerate(rows)
                ],
                notes=[
                    f"{period.start:%d/%m/%Y} – {period.end:%d/%m/%Y}",
                    tr("doc.note.definitions"),
                ],
            )
            stem = f"xep-hang-van-ban-{period.start}-{period.end}"
        elif name == "documents":
            flt = _doc_filter(request, db, principal)
            docs = db.execute(queries.document_query(flt, now).limit(EXPORT_LIMIT))
            table = Table(
                title="Van_ban",
                header=[
                    tr("doc.col.external_id"),
                    tr("doc.col.direction"),
                    tr("doc.col.agency_code"),
                    tr("doc.col.agency"),
                    tr("doc.col.number"),
                    tr("doc.col.type"),
                    tr("doc.col.summary"),
                    tr("doc.col.registered"),
                    tr("doc.col.deadline"),
                    tr("doc.col.processed"),
                    tr("doc.col.state"),
                    tr("doc.col.signed"),
                    tr("doc.col.via_axis"),
                ],
                rows=[
                    [
                        d.external_id,
                        tr("doc.direction." + d.direction),
                        code,
                        agency_name,
                        d.number,
                        d.doc_type,
                        d.summary,
                        local(d.registered_at),
                        local(d.deadline_at),
                        local(d.processed_at),
                        tr("doc.state." + queries.doc_state(d, now)),
                        tr("doc.yes") if d.digitally_signed else tr("doc.no"),
                        tr("doc.yes") if d.via_axis else tr("doc.no"),
                    ]
                    for d, code, agency_name in docs
                ],
                notes=[tr("doc.note.local_time")],
            )
            stem = "danh-sach-van-ban"
        elif name in ("tasks", "timeline"):
            directive_id = request.query_params.get("directive")
            agency = agency_by_code(db, request.query_params.get("agency"))
            agency_id = only if only is not None else (agency.id if agency else None)
            did = int(directive_id) if directive_id and directive_id.isdigit() else None
            task_rows = tasks.task_rows(db, now, agency_id=agency_id, directive_id=did)
            state = request.query_params.get("state", "")
            if state:
                task_rows = [
                    r for r in task_rows if r.state == state or (state == "open" and r.is_open)
                ]
            if name == "tasks":
                table = Table(
                    title="Nhiem_vu",
                    header=[
                        tr("doc.col.directive"),
                        tr("doc.col.ref"),
                        tr("doc.col.task"),
                        tr("doc.col.agency"),
                        tr("doc.col.coordinating"),
                        tr("doc.col.due"),
                        tr("doc.col.original_due"),
                        tr("doc.col.extensions"),
                        tr("doc.col.progress") + " (%)",
                        tr("doc.col.state"),
                        tr("doc.col.done_at"),
                        tr("doc.col.last_update"),
                    ],
                    rows=[
                        [
                            r.directive_number,
                            r.ref,
                            r.title,
                            r.agency_name,
                            r.coordinating,
                            local(r.due_at),
                            local(r.original_due_at),
                            r.extensions,
                            r.progress,
                            tr("doc.task.state." + r.state),
                            local(r.done_at),
                            local(r.last_update_at),
                        ]
                        for r in task_rows
                    ],
                    notes=[tr("doc.note.local_time")],
                )
                stem = "nhiem-vu"
            else:
                events = _timeline(db, [r.id for r in task_rows])
                table = Table(
                    title="Tien_do",
                    header=[
                        tr("doc.col.time"),
                        tr("doc.col.ref"),
                        tr("doc.col.task"),
                        tr("doc.col.agency"),
                        tr("doc.col.event"),
                        tr("doc.col.progress"),
                        tr("doc.col.note"),
                        tr("doc.col.evidence"),
                        tr("doc.col.due"),
                        tr("doc.col.actor"),
                    ],
                    rows=[
                        [
                            local(x["e"].at),
                            x["ref"],
                            x["title"],
                            x["agency"],
                            tr("doc.event." + x["e"].kind),
                            x["e"].percent,
                            x["e"].note,
                            x["e"].evidence_link or x["e"].evidence_name,
                            local(x["e"].new_due_at),
                            x["e"].actor,
                        ]
                        for x in events
                    ],
                    notes=[tr("doc.note.local_time")],
                )
                stem = "tien-do-nhiem-vu"
        else:
            raise HTTPException(404, "Không có bảng này / no such table")
    except PageError as exc:
        return Response(
            f"Tham số không hợp lệ / invalid parameters — {exc.field}: {exc.message} / {exc.en}",
            status_code=400,
            media_type="text/plain; charset=utf-8",
        )
    return download(table, stem, fmt)
