"""Directives and their tasks: the list of directives and the form to add one, a directive's
tasks and timeline and the form to assign one, the task list, a task's page with the form of
each action its viewer may take, evidence downloads. Which action a role may take is decided by
:func:`ioc.packs.documents.tasks.may` (routes only forward)."""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, HTTPException, UploadFile
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlalchemy import select

from ioc.core import clock
from ioc.core.models import Agency
from ioc.packs.documents import tasks
from ioc.packs.documents.models import Directive, Task, TaskEvent
from ioc.packs.documents.pages.context import (
    STATE_CLASS,
    agency_menu,
    as_task_error,
    check_form,
    directive_or_404,
    in_state,
    required_date,
    task_or_404,
    timeline,
)
from ioc.packs.documents.params import PageError, agency_by_code, doer, scope
from ioc.web.templating import render

__all__ = ["router"]

from ioc.web.pagekit import Call, Posted, ViewerCall, form_fields, page

router = APIRouter(include_in_schema=False)

# What a refused form had entered (shown again with its error).
Entered = dict[str, str] | None

TASK_STATES = (
    "open",
    "overdue",
    "due_soon",
    "in_progress",
    "assigned",
    "done",
    "done_late",
    "cancelled",
)


@router.get("/documents/directives")
def directives_page(call: ViewerCall) -> Response:
    """Văn bản chỉ đạo: every directive with its task counts, and the form to add one."""
    return _directives_page(call)


def _directives_page(
    call: Call, error: tasks.TaskError | None = None, form: Entered = None
) -> Response:
    """The directives with their task counts; ``error`` and ``form``: the add form refused."""
    db, principal = call.db, call.principal
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
    context = {
        "directives": directives,
        "stats": stats,
        "error": error,
        "form": form or {},
        "can_manage": tasks.may(doer(principal), "directive"),
    }
    return page(call, "documents/directives.html", context, refused=error)


# A directive as the form posts it.
DirectiveForm = Annotated[
    Posted, Depends(form_fields(number=200, issued_on=20, issuer=400, signer=300, summary=5000))
]


@router.post("/documents/directives")
def create_directive(call: ViewerCall, posted: DirectiveForm) -> Response:
    """Ghi nhận một văn bản chỉ đạo (leaders, operators, admins)."""
    request, db, principal = call
    form = posted.entered
    check_form(request, posted.csrf_token)
    try:
        day = required_date(
            form["issued_on"], "issued_on", "Thiếu ngày ban hành", "issue date is required"
        )
        directive = tasks.create_directive(
            db,
            doer(principal),
            number=form["number"],
            issued_on=day,
            issuer=form["issuer"],
            summary=form["summary"],
            signer=form["signer"],
        )
    except (tasks.TaskError, PageError) as exc:
        db.rollback()
        return _directives_page(call, as_task_error(exc), form)
    db.commit()
    return RedirectResponse(f"/documents/directives/{directive.id}?done=created", 303)


@router.get("/documents/directives/{directive_id}")
def directive_page(call: ViewerCall, directive_id: int) -> Response:
    """One directive: its tasks with progress bars and the timeline of their reports."""
    return _directive_page(call, directive_id)


def _directive_page(
    call: Call, directive_id: int, error: tasks.TaskError | None = None, form: Entered = None
) -> Response:
    """A directive's tasks and timeline; ``error`` and ``form``: the assignment form refused."""
    request, db, principal = call
    directive = directive_or_404(db, directive_id)
    now = clock.now()
    rows = tasks.task_rows(db, now, agency_id=scope(principal), directive_id=directive.id)
    rows.sort(key=lambda r: (r.ref, r.id))
    all_agencies = db.execute(
        select(Agency.code, Agency.short_name, Agency.kind)
        .where(Agency.valid_to.is_(None))
        .order_by(Agency.kind == "commune_committee", Agency.short_name)
    ).all()
    done = request.query_params.get("done")
    context = {
        "directive": directive,
        "rows": rows,
        "timeline": timeline(db, [r.id for r in rows])[:200],
        "state_class": STATE_CLASS,
        "error": error,
        "form": form or {},
        "can_assign": tasks.may(doer(principal), "assign"),
        "agencies": [{"code": c, "name": n} for c, n, _k in all_agencies],
        "done": done if done in ("created", "assigned") else None,
    }
    return page(call, "documents/directive.html", context, refused=error)


# A task as the assignment form posts it.
TaskForm = Annotated[
    Posted,
    Depends(form_fields(agency=64, ref=64, title=5000, coordinating=600, due_on=20)),
]


@router.post("/documents/directives/{directive_id}/tasks")
def assign(call: ViewerCall, directive_id: int, posted: TaskForm) -> Response:
    """Giao nhiệm vụ cho một cơ quan chủ trì."""
    request, db, principal = call
    form = posted.entered
    check_form(request, posted.csrf_token)
    directive = directive_or_404(db, directive_id)
    try:
        day = required_date(
            form["due_on"], "due_on", "Thiếu hạn hoàn thành", "deadline is required"
        )
        tasks.assign_task(
            db,
            doer(principal),
            directive,
            agency_code=form["agency"],
            title=form["title"],
            due_on=day,
            ref=form["ref"],
            coordinating=form["coordinating"],
        )
    except (tasks.TaskError, PageError) as exc:
        db.rollback()
        return _directive_page(call, directive_id, as_task_error(exc), form)
    db.commit()
    return RedirectResponse(f"/documents/directives/{directive_id}?done=assigned", 303)


@router.get("/documents/tasks")
def task_list(call: ViewerCall) -> Response:
    """Nhiệm vụ: every task (own agency for staff), filtered by agency and state."""
    request, db, principal = call
    now = clock.now()
    q = request.query_params
    only = scope(principal)
    agency = agency_by_code(db, q.get("agency"))
    agency_id = only if only is not None else (agency.id if agency else None)
    state = q.get("state", "")
    rows = in_state(tasks.task_rows(db, now, agency_id=agency_id), state)
    params = {k: v for k, v in q.items() if v}
    return render(
        request,
        "documents/tasks.html",
        {
            "rows": rows,
            "state": state,
            "states": TASK_STATES,
            "agencies": agency_menu(db, only),
            "params": params,
            "query": urlencode(params),
            "state_class": STATE_CLASS,
        },
        principal=principal,
    )


def _task_page(
    call: Call,
    task: Task,
    error: tasks.TaskError | None = None,
    action: str = "",
    form: Entered = None,
) -> Response:
    """A task with the forms of its viewer; ``error``, ``action`` and ``form``: the action's
    form refused."""
    request, db, principal = call
    now = clock.now()
    row = tasks.task_rows(db, now, task_ids=[task.id])[0]
    directive = directive_or_404(db, task.directive_id)
    who = doer(principal)
    can = {
        a: tasks.may(who, a, task.agency_id) and task.status in tasks.TRANSITIONS[a]
        for a in tasks.TRANSITIONS
    }
    done = request.query_params.get("done")
    context = {
        "row": row,
        "task": task,
        "directive": directive,
        "timeline": timeline(db, [task.id]),
        "state_class": STATE_CLASS,
        "can": can,
        "error": error,
        "action": action,
        "form": form or {},
        "done": done if done in tasks.TRANSITIONS else None,
        "max_mb": tasks.policy().evidence_max_bytes // (1024 * 1024),
    }
    return page(call, "documents/task.html", context, refused=error)


@router.get("/documents/tasks/{task_id}")
def task_page(call: ViewerCall, task_id: int) -> Response:
    """One task: deadline, progress, timeline and the forms its viewer may use."""
    return _task_page(call, task_or_404(call.db, task_id, call.principal))


async def _evidence(file: UploadFile | None, link: str) -> tasks.Evidence:
    data = b""
    name = ""
    if file is not None and file.filename:
        limit = tasks.policy().evidence_max_bytes
        data = await file.read(limit + 1)
        name = file.filename
    return tasks.Evidence(link=link, filename=name, data=data or None)


# The fields of a task's action forms (each form sends the ones it needs).
ActionForm = Annotated[
    Posted,
    Depends(form_fields(percent=8, note=5000, reason=3000, new_due_on=20, evidence_link=1200)),
]


@router.post("/documents/tasks/{task_id}/{action}")
async def task_action(
    call: ViewerCall,
    task_id: int,
    action: str,
    posted: ActionForm,
    evidence_file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Báo cáo tiến độ / hoàn thành / mở lại / gia hạn / hủy (one form per action)."""
    request, db, principal = call
    if action not in tasks.TRANSITIONS:
        raise HTTPException(404, "Không có thao tác này / no such action")
    check_form(request, posted.csrf_token)
    task = task_or_404(db, task_id, principal)
    form = posted.entered
    percent, note, reason = form["percent"], form["note"], form["reason"]
    new_due_on, evidence_link = form["new_due_on"], form["evidence_link"]
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
            day = required_date(
                new_due_on, "new_due_on", "Thiếu hạn mới", "new deadline is required"
            )
            tasks.extend_deadline(db, who, task, new_due_on=day, reason=reason)
        else:
            tasks.cancel(db, who, task, reason=reason)
    except (tasks.TaskError, PageError) as exc:
        db.rollback()
        err = as_task_error(exc)
        task = task_or_404(db, task_id, principal)
        status = 403 if err.field == "permission" else 400
        response = _task_page(call, task, err, action, form)
        response.status_code = status
        return response
    db.commit()
    return RedirectResponse(f"/documents/tasks/{task_id}?done={action}", 303)


@router.get("/documents/evidence/{event_id}")
def evidence_file(call: ViewerCall, event_id: int) -> Response:
    """Download the evidence file of one report (same visibility as its task)."""
    _request, db, principal = call
    event = db.get(TaskEvent, event_id)
    if event is None or not event.evidence_file:
        raise HTTPException(404, "Không có tệp minh chứng / no such file")
    task_or_404(db, event.task_id, principal)
    path = tasks.evidence_path(event.evidence_file)
    if path is None:
        raise HTTPException(404, "Tệp minh chứng không còn / file missing")
    return FileResponse(path, filename=event.evidence_name or event.evidence_file)
