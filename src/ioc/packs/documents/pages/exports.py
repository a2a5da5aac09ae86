"""``/documents/export/{name}``: every table the pages show as XLSX (default) or CSV, with the
same filters as the page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from ioc.core import clock, i18n
from ioc.engines.exports import Table
from ioc.packs.documents import queries, tasks
from ioc.packs.documents.pages.context import (
    doc_filter,
    download,
    in_state,
    local,
    rate_cell,
    timeline,
)
from ioc.packs.documents.params import PageError, agency_by_code, parse_period, scope
from ioc.web.deps import DbSession, Principal, Viewer, request_language

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

EXPORT_LIMIT = 100_000
FORMATS = ("xlsx", "csv")

Translate = Callable[[str], str]  # message key -> text in the page's language


def _fmt(fmt: str) -> str:
    if fmt not in FORMATS:
        raise HTTPException(400, "format: xlsx | csv")
    return fmt


def _columns(tr: Translate, *keys: str) -> list[str]:
    return [tr(f"doc.col.{key}") for key in keys]


def _ranking(
    request: Request, db: Session, principal: Principal, now: datetime, tr: Translate
) -> tuple[Table, str]:
    period = parse_period(request.query_params)
    group = request.query_params.get("group", "all")
    group = group if group in queries.GROUPS else "all"
    rows = queries.ranking(queries.figures_by_agency(db, period, now, group))
    only = scope(principal)
    if only is not None:
        rows = [r for r in rows if r.agency_id == only]
    header = _columns(
        tr, "rank", "agency_code", "agency", "incoming", "outgoing", "with_deadline", "on_time"
    )
    header += _columns(tr, "late", "overdue")
    header += [tr(f"doc.kpi.{kpi}") + " (%)" for kpi in ("on_time", "signature", "electronic")]
    table = Table(
        title="Xep_hang_van_ban",
        header=header,
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
    return table, f"xep-hang-van-ban-{period.start}-{period.end}"


def _documents(
    request: Request, db: Session, principal: Principal, now: datetime, tr: Translate
) -> tuple[Table, str]:
    flt = doc_filter(request, db, principal)
    docs = db.execute(queries.document_query(flt, now).limit(EXPORT_LIMIT))
    header = _columns(
        tr, "external_id", "direction", "agency_code", "agency", "number", "type", "summary"
    )
    header += _columns(tr, "registered", "deadline", "processed", "state", "signed", "via_axis")
    table = Table(
        title="Van_ban",
        header=header,
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
    return table, "danh-sach-van-ban"


def _task_rows(
    request: Request, db: Session, principal: Principal, now: datetime
) -> list[tasks.TaskRow]:
    """The tasks of the task list's filters (directive, agency, state)."""
    only = scope(principal)
    directive_id = request.query_params.get("directive")
    agency = agency_by_code(db, request.query_params.get("agency"))
    agency_id = only if only is not None else (agency.id if agency else None)
    did = int(directive_id) if directive_id and directive_id.isdigit() else None
    rows = tasks.task_rows(db, now, agency_id=agency_id, directive_id=did)
    return in_state(rows, request.query_params.get("state", ""))


def _tasks(
    request: Request, db: Session, principal: Principal, now: datetime, tr: Translate
) -> tuple[Table, str]:
    header = _columns(tr, "directive", "ref", "task", "agency", "coordinating", "due")
    header += _columns(tr, "original_due", "extensions")
    header += [tr("doc.col.progress") + " (%)"]
    header += _columns(tr, "state", "done_at", "last_update")
    table = Table(
        title="Nhiem_vu",
        header=header,
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
            for r in _task_rows(request, db, principal, now)
        ],
        notes=[tr("doc.note.local_time")],
    )
    return table, "nhiem-vu"


def _timeline(
    request: Request, db: Session, principal: Principal, now: datetime, tr: Translate
) -> tuple[Table, str]:
    events = timeline(db, [r.id for r in _task_rows(request, db, principal, now)])
    table = Table(
        title="Tien_do",
        header=_columns(
            tr, "time", "ref", "task", "agency", "event", "progress", "note", "evidence", "due"
        )
        + _columns(tr, "actor"),
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
    return table, "tien-do-nhiem-vu"


# The tables: name -> (request, session, principal, now, translate) -> (table, file stem).
TABLES: dict[
    str, Callable[[Request, Session, Principal, datetime, Translate], tuple[Table, str]]
] = {
    "ranking": _ranking,
    "documents": _documents,
    "tasks": _tasks,
    "timeline": _timeline,
}


@router.get("/documents/export/{name}")
def export(request: Request, name: str, db: DbSession, principal: Viewer) -> Response:
    """Tải bảng: ``ranking``, ``documents``, ``tasks``, ``timeline`` (of a directive) as
    XLSX (default) or CSV (``?format=csv``), with the same filters as the page."""
    fmt = _fmt(request.query_params.get("format", "xlsx"))
    lang = request_language(request)

    def tr(key: str) -> str:
        return i18n.translate(key, lang)

    build = TABLES.get(name)
    try:
        if build is None:
            raise HTTPException(404, "Không có bảng này / no such table")
        table, stem = build(request, db, principal, clock.now(), tr)
    except PageError as exc:
        return Response(
            f"Tham số không hợp lệ / invalid parameters — {exc.field}: {exc.message} / {exc.en}",
            status_code=400,
            media_type="text/plain; charset=utf-8",
        )
    return download(table, stem, fmt)
