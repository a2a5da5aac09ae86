"""What the pack's pages share: the caller's view of directives and tasks (404 outside their
agency), filter menus, the document filter of the list and its export, form checks, the
timeline of reports, downloads."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar

from fastapi import HTTPException, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import i18n
from ioc.core.models import Agency
from ioc.engines.exports import Table
from ioc.engines.sector.routes import table_download
from ioc.packs.documents import queries, tasks
from ioc.packs.documents.indicators import Rate
from ioc.packs.documents.models import Directive, Document, Task, TaskEvent
from ioc.packs.documents.params import PageError, agency_by_code, parse_date, parse_period, scope
from ioc.web import csrf
from ioc.web.deps import Principal

__all__ = [
    "STATE_CLASS",
    "agency_menu",
    "as_task_error",
    "check_form",
    "directive_or_404",
    "doc_filter",
    "download",
    "in_state",
    "local",
    "rate_cell",
    "required_date",
    "task_or_404",
    "timeline",
    "to_json",
]

STATE_CLASS = {
    "done": "ok",
    "done_late": "ok",
    "cancelled": "muted",
    "overdue": "error",
    "due_soon": "warn",
    "in_progress": "info",
    "assigned": "info",
}


T = TypeVar("T")


def or_default(read: Callable[[], T], default: Callable[[], T]) -> tuple[T, PageError | None]:
    """What ``read`` takes from the query, or ``default()`` and the refusal when it refuses
    the query (the page then shows the error and answers 400)."""
    try:
        return read(), None
    except PageError as exc:
        return default(), exc


def agency_menu(db: Session, only: int | None) -> list[dict[str, str]]:
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


def doc_filter(request: Request, db: Session, principal: Principal) -> queries.DocFilter:
    """The document list's filter from the query string (staff: their agency only)."""
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


def directive_or_404(db: Session, directive_id: int) -> Directive:
    """The directive, or 404."""
    directive = db.get(Directive, directive_id)
    if directive is None:
        raise HTTPException(404, "Không có văn bản chỉ đạo này / no such directive")
    return directive


def task_or_404(db: Session, task_id: int, principal: Principal) -> Task:
    """The task, or 404 when there is none or it is another agency's (for agency staff)."""
    task = db.get(Task, task_id)
    only = scope(principal)
    if task is None or (only is not None and task.agency_id != only):
        raise HTTPException(404, "Không có nhiệm vụ này / no such task")
    return task


def timeline(db: Session, task_ids: list[int]) -> list[dict[str, Any]]:
    """The reports of the tasks, newest first, with each task's ref, title and agency."""
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


def in_state(rows: list[tasks.TaskRow], state: str) -> list[tasks.TaskRow]:
    """The tasks in ``state`` (``open``: assigned or in progress; empty: all)."""
    if not state:
        return rows
    return [r for r in rows if r.state == state or (state == "open" and r.is_open)]


def check_form(request: Request, csrf_token: str) -> None:
    """403 for a form posted without this session's token."""
    if not csrf.valid(request, csrf_token):
        raise HTTPException(403, "Phiên biểu mẫu hết hạn, tải lại trang / stale form")


def required_date(value: str, field: str, vi: str, en: str) -> date:
    """A required ``yyyy-mm-dd`` form date (:class:`tasks.TaskError` when missing)."""
    day = parse_date(value, field)
    if day is None:
        raise tasks.TaskError(vi, en, field)
    return day


def as_task_error(exc: tasks.TaskError | PageError) -> tasks.TaskError:
    """A refused form as the task pages show it."""
    return (
        exc if isinstance(exc, tasks.TaskError) else tasks.TaskError(exc.message, exc.en, exc.field)
    )


def to_json(value: Any) -> str:
    """JSON safe inside a ``<script type="application/json">`` block."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def download(table: Table, stem: str, fmt: str) -> Response:
    """The table as an XLSX or CSV attachment ``{stem}.{fmt}``."""
    return table_download(table, fmt, f"{stem}.{fmt}")


def rate_cell(rate: Rate) -> float | None:
    """A rate for a spreadsheet cell (one decimal; empty without a denominator)."""
    return None if rate.value is None else round(rate.value, 1)


def local(value: datetime | None) -> datetime | None:
    """Local wall time for a spreadsheet (which has no time zones)."""
    return None if value is None else i18n.to_local(value)
