"""``POST /api/v1/observations``: JSON or CSV batches from stations, gateways and agencies."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ioc.core import ownership
from ioc.core.audit import Actor
from ioc.core.auth import Permission
from ioc.core.clock import fixed_offset_seconds
from ioc.core.models import IdempotencyRecord
from ioc.core.registry import Registry
from ioc.engines.ingestion import service
from ioc.engines.ingestion.parse import PayloadError, RawRow, parse_csv, parse_json
from ioc.web.deps import (
    AppRegistry,
    AppSettings,
    DbSession,
    Principal,
    derive_after_commit,
    require,
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
    json_response,
    obj,
)

router = APIRouter(prefix="/api/v1", tags=["ingestion"])

Ingestor = Annotated[Principal, Depends(require(Permission.INGEST))]

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
    responses={
        200: json_response(INGEST_REPORT, "Every row stored"),
        400: json_response(ERROR_REF, "Body unreadable (not JSON/CSV, wrong shape)"),
        409: json_response(ERROR_REF, "Idempotency-Key reused with a different body"),
        413: json_response(ERROR_REF, "Batch larger than IOC_INGEST_MAX_ROWS"),
        415: json_response(ERROR_REF, "Content type other than JSON or CSV"),
        422: json_response(
            {"anyOf": [INGEST_REPORT, ERROR_REF]},
            "Some rows invalid: listed with row, field and reason",
        ),
    },
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
    token_id = (
        principal.token.id
        if principal.token is not None
        else -(principal.user.id if principal.user else 0)
    )
    # Parsing, validation, storage and the commit all run in a worker thread: the batch is
    # CPU-bound and the response must only be sent once the data is committed.
    status, payload, headers = await run_in_threadpool(
        _process,
        db,
        body,
        content_type,
        token_id,
        idempotency_key,
        atomic,
        settings.ingest_max_rows,
        fixed_offset_seconds(settings.timezone),
        registry,
        principal.actor,
        write_scope(db, principal),
    )
    if status in (200, 422) and "Idempotent-Replayed" not in headers:
        await run_in_threadpool(derive_after_commit, request)
    return JSONResponse(payload, status_code=status, headers=headers)


def _process(
    db: Session,
    body: bytes,
    content_type: str,
    token_id: int,
    idempotency_key: str | None,
    atomic: bool,
    max_rows: int,
    offset: int,
    registry: Registry,
    actor: Actor,
    scope: ownership.WriteScope,
) -> tuple[int, dict[str, Any], dict[str, str]]:
    request_hash = service.body_hash(body + (b"|atomic" if atomic else b""))
    if idempotency_key:
        previous = service.find_idempotent(db, token_id, idempotency_key)
        if previous is not None:
            return _replay(previous, request_hash)
    kind = content_type.split(";")[0].strip().lower()
    try:
        if kind in ("application/json", "application/ld+json", ""):
            rows = parse_json(body)
        elif kind in ("text/csv", "application/csv", "text/plain"):
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                return _problem(400, "CSV phải mã hóa UTF-8 / CSV must be UTF-8")
            rows = parse_csv(text)
        else:
            return _problem(
                415, f"Không hỗ trợ kiểu nội dung {kind} / use application/json or text/csv"
            )
    except PayloadError as exc:
        return _problem(400, str(exc))
    if len(rows) > max_rows:
        return _problem(413, f"Lô có {len(rows)} dòng, tối đa {max_rows} / batch too large")
    try:
        check_subjects(db, scope, rows)
    except ownership.NotYourData as exc:
        db.rollback()
        ownership.record_denied(db, actor, "observations", exc)
        db.commit()
        return _problem(403, exc.text)
    report = service.ingest(db, rows, registry=registry, offset=offset, atomic=atomic, actor=actor)
    status = 200 if report.ok else 422
    payload = report.as_dict()
    if idempotency_key:
        service.remember_idempotent(db, token_id, idempotency_key, request_hash, status, payload)
    try:
        db.commit()
    except IntegrityError:
        # A concurrent retry with the same key committed first: ours is dropped, replay theirs.
        db.rollback()
        previous = service.find_idempotent(db, token_id, idempotency_key or "")
        if previous is None:
            raise
        return _replay(previous, request_hash)
    return status, payload, {}


def _replay(
    previous: IdempotencyRecord, request_hash: str
) -> tuple[int, dict[str, Any], dict[str, str]]:
    if previous.request_hash != request_hash:
        return _problem(
            409,
            "Idempotency-Key đã dùng cho một lô khác / key already used with a different body",
        )
    return previous.status_code, previous.response, {"Idempotent-Replayed": "true"}


def _problem(status: int, detail: str) -> tuple[int, dict[str, Any], dict[str, str]]:
    return status, {"detail": detail}, {}


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
