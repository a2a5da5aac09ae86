"""JSON API of the documents pack.

* ``POST /api/v1/documents`` — a batch from the document-management system (``ingest``
  scope): ``{"documents": [{id, direction, agency, number, type, summary, counterpart,
  issued_on, received_at | issued_at, deadline, processed_at, signed, via_axis, source}]}``.
  Upserted by ``id``: a batch sent again updates, never doubles. Partial mode (default) stores
  the valid documents and answers 422 listing the invalid ones; ``atomic=true`` stores nothing
  unless all are valid. An ``Idempotency-Key`` retry gets the first answer back.
* ``GET /api/v1/documents/indicators`` — per-agency figures of a period (``view``).
* ``GET /api/v1/documents/tasks`` — directive tasks with their state (``view``).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from ioc.core import clock, ownership
from ioc.engines.actions_kit import same_named
from ioc.packs.documents import ingest, queries, tasks
from ioc.packs.documents.indicators import DocFigures
from ioc.packs.documents.params import PageError, agency_by_code, parse_period, scope
from ioc.packs.documents.schemas import DocumentsReport, FiguresAnswer, TasksAnswer
from ioc.web.batch_doors import batch_door
from ioc.web.batch_params import BatchCall, batch_opener
from ioc.web.batches import answer, refuse
from ioc.web.deps import DbSession, Ingestor, ViewerApi, forbid, write_scope
from ioc.web.openapi_doc import answer_doc, date_range

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/documents", tags=["documents"])

MAX_BATCH = 5000
KEY_PREFIX = "doc:"  # idempotency keys are per caller; keep ours apart from other doors'
BatchOpened = Annotated[
    BatchCall, Depends(batch_opener(KEY_PREFIX, "true: store nothing if any is invalid"))
]


# Its summary, its answers and the body it reads itself: batch_doors.yaml.
@router.post("", **batch_door("ioc.packs.documents", "documents", DocumentsReport))
async def post_documents(principal: Ingestor, db: DbSession, call: BatchOpened) -> JSONResponse:
    """Upsert a batch of documents by the document system's id."""
    atomic, idempotent = call.atomic, call.batch
    replayed = idempotent.replay()
    if replayed is not None:
        return answer(replayed)
    try:
        payload: Any = json.loads(call.body or b"null")
    except (ValueError, UnicodeDecodeError):
        return refuse(400, "Nội dung không phải JSON / body is not JSON")
    items = payload.get("documents") if isinstance(payload, dict) else None
    if not isinstance(items, list):
        return refuse(400, 'Cần {"documents": [...]} / expected {"documents": [...]}')
    if len(items) > MAX_BATCH:
        return refuse(413, f"Lô có {len(items)} văn bản, tối đa {MAX_BATCH} / batch too large")
    rows: list[tuple[int, dict[str, Any]]] = []
    report = ingest.IngestReport()
    for index, item in enumerate(items):
        if isinstance(item, dict):
            rows.append((index, item))
        else:
            report.errors.append(
                ingest.RowError(index, "", "phải là một đối tượng JSON", "must be an object")
            )
    if atomic and report.errors:
        return answer(idempotent.finish(422, report.as_dict()))
    try:
        result = ingest.ingest_rows(
            db, principal.actor, rows, atomic=atomic, scope=write_scope(db, principal)
        )
    except ownership.NotYourData as exc:
        raise forbid(db, principal, "documents", exc) from exc
    result.errors = sorted(report.errors + result.errors, key=lambda e: e.row)
    if atomic and not result.ok:
        db.rollback()
    return answer(idempotent.finish(200 if result.ok else 422, result.as_dict()))


# An agency's figures in the answer: its counts, then its rates (percent, null without one).
_COUNTS = "incoming outgoing with_deadline on_time late overdue pending signed via_axis"
_RATES = ("on_time_rate", "signature_rate", "electronic_rate")


def _figures(f: DocFigures) -> dict[str, Any]:
    """The counts and rates of an agency (see ``_COUNTS`` and ``_RATES``)."""
    return {**same_named(f, _COUNTS), **{name: getattr(f, name).value for name in _RATES}}


@router.get(
    "/indicators",
    summary="Chỉ số xử lý văn bản theo cơ quan / figures per agency",
    **answer_doc(
        FiguresAnswer,
        "Figures per agency, ranked",
        *date_range("default: 12 months ago", "default: today"),
    ),
)
def indicators(
    request: Request,
    principal: ViewerApi,
    db: DbSession,
    group: Annotated[str, Query(pattern="^(all|departments|communes)$")] = "all",
) -> JSONResponse:
    """Per-agency figures for documents registered from ``from`` to ``to`` (local dates,
    default the last 12 months), at the current time; rates are percentages or null."""
    try:
        period = parse_period(request.query_params)
    except PageError as exc:
        message = f"{exc.message} / {exc.en}"
        return JSONResponse(
            {"detail": message, "errors": [{"field": exc.field, "message": message}]}, 422
        )
    now = clock.now()
    only = scope(principal)
    rows = queries.ranking(queries.figures_by_agency(db, period, now, group))
    if only is not None:
        rows = [r for r in rows if r.agency_id == only]
    return JSONResponse(
        {
            "from": period.start.isoformat(),
            "to": period.end.isoformat(),
            "as_of": now.isoformat(),
            "agencies": [
                {"rank": i + 1, "agency": r.code, "name": r.name, **_figures(r.figures)}
                for i, r in enumerate(rows)
            ],
        }
    )


@router.get(
    "/tasks",
    summary="Nhiệm vụ được giao / directive tasks",
    **answer_doc(TasksAnswer, "Tasks and their state"),
)
def task_list(
    request: Request,
    principal: ViewerApi,
    db: DbSession,
    agency: Annotated[str | None, Query(max_length=64)] = None,
) -> JSONResponse:
    """Tasks with directive, agency, deadline (ISO 8601), progress and state at now
    (``overdue``, ``due_soon``, ``in_progress``, ``assigned``, ``done``, ``done_late``,
    ``cancelled``). Agency staff get their own agency's tasks only."""
    now = clock.now()
    only = scope(principal)
    found = agency_by_code(db, agency)
    agency_id = only if only is not None else (found.id if found else None)
    rows = tasks.task_rows(db, now, agency_id=agency_id)
    return JSONResponse(
        {
            "as_of": now.isoformat(),
            "tasks": [
                {
                    "id": r.id,
                    "directive": r.directive_number,
                    "ref": r.ref,
                    "title": r.title,
                    "agency": r.agency_code,
                    "due_at": r.due_at.isoformat(),
                    "progress": r.progress,
                    "status": r.status,
                    "state": r.state,
                    "working_days_left": r.days_left,
                }
                for r in rows
            ],
        }
    )
