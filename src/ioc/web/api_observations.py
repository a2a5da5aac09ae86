"""``POST /api/v1/observations``: JSON or CSV batches from stations, gateways and agencies."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ioc.core import ownership
from ioc.core.audit import Actor
from ioc.core.clock import fixed_offset_seconds
from ioc.core.registry import Registry
from ioc.engines.ingestion import service
from ioc.engines.ingestion.parse import PayloadError, RawRow, gc_paused, parse_csv, parse_json
from ioc.web.batches import IdempotentBatch, Outcome, problem
from ioc.web.deps import (
    AppRegistry,
    AppSettings,
    DbSession,
    Ingestor,
    write_scope,
)
from ioc.web.openapi_doc import (
    ERROR_REF,
    INTEGER,
    NUMBER,
    TEXT,
    WHEN,
    array,
    batch,
    batch_responses,
    json_response,
    obj,
)

router = APIRouter(prefix="/api/v1", tags=["ingestion"])

# What ``post_observations`` reads and answers, for the OpenAPI document.
OBSERVATIONS_BODY = batch(
    "observations",
    obj(
        "indicator",
        "time",
        "value",
        indicator={**TEXT, "examples": ["pm25"]},
        entity={**TEXT, "description": "station code (or area)", "examples": ["DL-BMT-01"]},
        area={**TEXT, "description": "commune code, for figures of an area"},
        time=WHEN,
        value=NUMBER,
        quality={"anyOf": [TEXT, INTEGER]},
        unit=TEXT,
    ),
)
ROW_ERROR = obj(
    "row",
    "message",
    row=INTEGER,
    field={"type": ["string", "null"]},
    code={"type": ["string", "null"]},
    message=TEXT,
    message_en={"type": ["string", "null"]},
)
INGEST_REPORT = {
    "title": "IngestReport",
    **obj(
        "received",
        "stored",
        "rejected",
        "mode",
        "errors",
        received=INTEGER,
        stored=INTEGER,
        rejected=INTEGER,
        mode={"enum": ["partial", "atomic"]},
        errors=array(ROW_ERROR),
        errors_truncated={"type": "boolean"},
        duplicates=INTEGER,
        warnings=array(ROW_ERROR),
    ),
}


@router.post(
    "/observations",
    summary="Gửi một lô số liệu quan trắc / send a batch of observations",
    responses=batch_responses(
        INGEST_REPORT,
        stored="Every row stored",
        unreadable="Body unreadable (not JSON/CSV, wrong shape)",
        idempotent=True,
        too_large="Batch larger than IOC_INGEST_MAX_ROWS",
        invalid="Some rows invalid: listed with row, field and reason",
        more={415: json_response(ERROR_REF, "Content type other than JSON or CSV")},
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": OBSERVATIONS_BODY},
                "text/csv": {
                    "schema": {
                        "type": "string",
                        "description": "indicator,entity,time,value[,quality,unit] with a "
                        "header row, UTF-8",
                    }
                },
            },
        }
    },
)
async def post_observations(
    request: Request,
    principal: Ingestor,
    db: DbSession,
    settings: AppSettings,
    registry: AppRegistry,
    atomic: Annotated[bool, Query(description="true: store nothing if any row is invalid")] = False,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> JSONResponse:
    """Store a batch. Body: ``{"observations": [{indicator, entity|area, time, value,
    quality?, unit?}]}`` as JSON, or CSV with those columns (``Content-Type: text/csv``).

    Partial mode (default) stores every valid row and answers 422 listing the invalid ones
    (``stored`` says how many were kept); ``atomic=true`` stores nothing unless all are valid.
    """
    body = await request.body()
    content_type = request.headers.get("content-type", "application/json")
    idempotent = IdempotentBatch.start(db, principal, idempotency_key, body, atomic=atomic)
    # Parsing, validation, storage and the commit all run in a worker thread: the batch is
    # CPU-bound and the response must only be sent once the data is committed.
    process = partial(
        _process,
        db,
        idempotent,
        body,
        content_type,
        atomic,
        settings.ingest_max_rows,
        fixed_offset_seconds(settings.timezone),
        registry,
        principal.actor,
        write_scope(db, principal),
    )
    status, payload, headers = await run_in_threadpool(_paused, idempotent.run, process)
    return JSONResponse(payload, status_code=status, headers=headers)


def _paused(
    run: Callable[[Callable[[], Outcome]], Outcome], process: Callable[[], Outcome]
) -> Outcome:
    """``run(process)`` with the cyclic garbage collector paused until the batch is committed:
    its 10,000 row dicts stay alive through the commit, and a collection started there would
    walk them all again (parsing and validation pause it already)."""
    with gc_paused():
        return run(process)


def _process(
    db: Session,
    batch: IdempotentBatch,
    body: bytes,
    content_type: str,
    atomic: bool,
    max_rows: int,
    offset: int,
    registry: Registry,
    actor: Actor,
    scope: ownership.WriteScope,
) -> Outcome:
    kind = content_type.split(";")[0].strip().lower()
    try:
        if kind in ("application/json", "application/ld+json", ""):
            rows = parse_json(body)
        elif kind in ("text/csv", "application/csv", "text/plain"):
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                return problem(400, "CSV phải mã hóa UTF-8 / CSV must be UTF-8")
            rows = parse_csv(text)
        else:
            return problem(
                415, f"Không hỗ trợ kiểu nội dung {kind} / use application/json or text/csv"
            )
    except PayloadError as exc:
        return problem(400, str(exc))
    if len(rows) > max_rows:
        return problem(413, f"Lô có {len(rows)} dòng, tối đa {max_rows} / batch too large")
    try:
        check_subjects(db, scope, rows)
    except ownership.NotYourData as exc:
        db.rollback()
        ownership.record_denied(db, actor, "observations", exc)
        db.commit()
        return problem(403, exc.text)
    report = service.ingest(db, rows, registry=registry, offset=offset, atomic=atomic, actor=actor)
    # A concurrent retry with the same key that committed first is replayed instead.
    return batch.finish(200 if report.ok else 422, report.as_dict())


def check_subjects(db: Session, scope: ownership.WriteScope, rows: list[RawRow]) -> None:
    """Refuse the batch when a row names a station or a commune the caller does not own.

    Unknown codes are left to row validation (named per row); a province-wide caller costs
    nothing here."""
    if scope.everything:
        return
    entities: set[str] = set()
    areas: set[str] = set()
    for raw in rows:
        data = raw.data
        if not isinstance(data, dict):
            continue
        entity, area = data.get("entity"), data.get("area")
        if entity not in (None, ""):
            entities.add(str(entity))
        elif area not in (None, ""):
            areas.add(str(area))
    ownership.check_entities(db, scope, entities)
    ownership.check_areas(scope, areas)
