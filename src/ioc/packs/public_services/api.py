"""JSON API of the public-services pack.

* ``POST /api/v1/public-services/dossiers`` — batch from iGate (scope ``ingest``):
  ``{"procedures": [...], "dossiers": [...], "feedback": [...]}``, any of the three;
  idempotent by dossier id, updates allowed as a dossier moves, row-level errors,
  ``Idempotency-Key`` replays, ``atomic=true`` for all-or-nothing.
* ``GET /api/v1/public-services/scores`` — the QĐ 766 scorecard of a scope and period, or a
  ranking (``by=agency|area``) — scope ``view``.
"""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ioc.core import ownership
from ioc.core.audit import Actor
from ioc.engines.actions_kit import same_named
from ioc.packs.public_services import scores
from ioc.packs.public_services.indices import CHANNELS, STATUSES, Scorecard
from ioc.packs.public_services.ingest import ingest_batch
from ioc.packs.public_services.schemas import DossiersReport, ScoresAnswer
from ioc.web.batch_params import BatchCall, batch_opener
from ioc.web.batches import IdempotentBatch, Outcome, answer, problem
from ioc.web.deps import AppSettings, DbSession, Ingestor, ViewerApi, write_scope
from ioc.web.openapi_doc import (
    INTEGER,
    TEXT,
    WHEN,
    answer_doc,
    array,
    batch_responses,
    date_range,
    json_body,
    obj,
    one_of,
    query,
)

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/public-services", tags=["public-services"])

SECTIONS = ("procedures", "dossiers", "feedback")
KEY_PREFIX = "ps:"  # idempotency keys are per token; keep ours apart from other endpoints'
BatchOpened = Annotated[
    BatchCall, Depends(batch_opener(KEY_PREFIX, "true: store nothing if any row is invalid"))
]

# The body ``post_dossiers`` reads itself, for the OpenAPI document.
DOSSIERS_BODY = obj(
    dossiers=array(
        obj(
            "id",
            "procedure_code",
            "agency",
            "received_at",
            id=TEXT,
            procedure_code=TEXT,
            procedure_name=TEXT,
            agency=TEXT,
            area=TEXT,
            channel=one_of(*CHANNELS),
            received_at=WHEN,
            due_at=WHEN,
            time_limit_days=INTEGER,
            supplements=array(obj(requested_at=WHEN, supplied_at=WHEN)),
            supplement_count=INTEGER,
            supplement_days=INTEGER,
            finished_at=WHEN,
            result=one_of("electronic", "paper"),
            rating=one_of("like", "dislike"),
            status=one_of(*STATUSES),
            updated_at=WHEN,
        )
    ),
    procedures=array(
        obj(
            "code",
            "name",
            code=TEXT,
            name=TEXT,
            level=one_of("province", "commune"),
            time_limit_days=INTEGER,
        )
    ),
    feedback=array(
        obj(
            "id",
            "agency",
            "received_at",
            id=TEXT,
            agency=TEXT,
            area=TEXT,
            received_at=WHEN,
            handled_at=WHEN,
        )
    ),
)


@router.post(
    "/dossiers",
    summary="Gửi một lô hồ sơ TTHC từ iGate / send a batch of dossiers",
    responses=batch_responses(
        DossiersReport,
        stored="Every row valid and stored (or unchanged)",
        unreadable="Body is not a JSON object with the expected lists",
        forbidden="A row belongs to another agency or commune",
        idempotent=True,
        too_large="More rows than IOC_INGEST_MAX_ROWS",
        invalid="Some rows invalid: listed with section, row, id, field, reason",
    ),
    openapi_extra={"requestBody": json_body(DOSSIERS_BODY)},
)
async def post_dossiers(
    principal: Ingestor, db: DbSession, settings: AppSettings, call: BatchOpened
) -> JSONResponse:
    """Store a batch. Dossier fields: ``id`` (iGate dossier code, required), ``procedure_code``,
    ``procedure_name`` (required for a procedure not in the catalogue), ``agency`` (agency
    code), ``area`` (commune code), ``channel`` (online | direct | post), ``received_at``,
    ``due_at`` (promised return), ``time_limit_days``, ``supplements`` ([{requested_at,
    supplied_at}]) or ``supplement_count`` + ``supplement_days``, ``finished_at``, ``result``
    (electronic | paper), ``fee_required``, ``paid_online``, ``digitised``, ``reused_data``,
    ``synced``, ``feedback``, ``rating`` (like | dislike), ``status`` (received | processing |
    supplement | finished | returned | withdrawn), ``updated_at`` (source time of this state:
    an older state than the stored one is ignored). Times ISO 8601; no offset = local time.
    """
    process = partial(
        _process,
        db,
        call.batch,
        call.body,
        call.atomic,
        settings.ingest_max_rows,
        principal.actor,
        write_scope(db, principal),
    )
    return answer(await run_in_threadpool(call.batch.run, process))


def _process(
    db: Session,
    batch: IdempotentBatch,
    body: bytes,
    atomic: bool,
    max_rows: int,
    actor: Actor,
    scope: ownership.WriteScope,
) -> Outcome:
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        return problem(400, f"JSON không hợp lệ / invalid JSON: {exc}")
    if not isinstance(doc, dict) or not any(isinstance(doc.get(s), list) for s in SECTIONS):
        return problem(
            400,
            'Cần đối tượng JSON có danh sách "dossiers" (và/hoặc "procedures", "feedback") / '
            'body must be {"dossiers": [...]}',
        )
    for section in SECTIONS:
        if section in doc and not isinstance(doc[section], list):
            return problem(400, f'"{section}" phải là danh sách / must be a list')
    total = sum(len(doc.get(s) or []) for s in SECTIONS)
    if total > max_rows:
        return problem(413, f"Lô có {total} dòng, tối đa {max_rows} / batch too large")
    try:
        report = ingest_batch(
            db,
            actor,
            procedures=doc.get("procedures") or [],
            dossiers=doc.get("dossiers") or [],
            feedback=doc.get("feedback") or [],
            atomic=atomic,
            scope=scope,
        )
    except ownership.NotYourData as exc:
        db.rollback()
        ownership.record_denied(db, actor, "public-services.dossiers", exc)
        db.commit()
        return problem(403, exc.text)
    return batch.finish(
        200 if report.ok else 422,
        report.as_dict(),
        race="Lô trùng hồ sơ với một lô đang ghi đồng thời, hãy gửi lại / "
        "a concurrent batch wrote the same dossiers; retry",
    )


def _num(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def card_json(card: Scorecard) -> dict[str, Any]:
    """A scorecard as JSON (rates in %, points; ``null`` where there is no value)."""
    return {
        "score": _num(card.score),
        "score_100": _num(card.score_100),
        "max_available": _num(card.max_available),
        "indicators": {
            k: {
                "value": _num(r.value),
                "igate_value": _num(r.alt_value),
                "numerator": r.numerator,
                "denominator": r.denominator,
                "points": _num(r.points),
                "max_points": _num(r.max_points),
                "full_at": _num(r.full_at),
                "note": r.note,
            }
            for k, r in card.indicators.items()
        },
        "counts": same_named(card.counters, "received finished on_time late undetermined"),
    }


@router.get(
    "/scores",
    summary="Điểm Bộ chỉ số 766 / QĐ 766 scores",
    **answer_doc(
        ScoresAnswer,
        "A scorecard or a ranking",
        query("period", one_of("month", "quarter", "year", "range"), "default: month"),
        query("month", TEXT, "YYYY-MM (period=month)"),
        query("quarter", TEXT, "YYYY-Qn (period=quarter)"),
        query("year", INTEGER, "period=year"),
        *date_range("period=range", "period=range"),
    ),
)
def get_scores(
    request: Request,
    db: DbSession,
    principal: ViewerApi,
    scope: Annotated[scores.Scope, Depends()],
    by: Annotated[str | None, Query(pattern="^(agency|area)$")] = None,
) -> JSONResponse:
    """Scorecard of a scope (``agency``, ``area``, ``procedure``) over a period (``period`` =
    month|quarter|year|range with ``month``/``quarter``/``year``/``from``+``to``), or the
    ranking of agencies or communes with ``by``."""
    try:
        period = scores.parse_period(request.query_params)
    except scores.PeriodError as exc:
        return JSONResponse(
            {"detail": f"{exc.message} / {exc.en}", "field": exc.field}, status_code=422
        )
    out: dict[str, Any] = {"period": period.params()}
    if by is None:
        out["scorecard"] = card_json(scores.scorecard_for(db, scope, period))
    else:
        dim = "agency_code" if by == "agency" else "area_code"
        out["ranking"] = [
            {"rank": r.rank, "code": r.code, "name": r.name, **card_json(r.card)}
            for r in scores.ranking(db, dim, period, scope)
        ]
    return JSONResponse(out)
