"""Thư lỗi / dead letters: messages an input door (MQTT …) could not use, with the reason.

Admins see them at ``/admin/dead-letters``, replay one after fixing its cause (e.g. the missing
station now exists) or discard it; ``GET /api/v1/dead-letters`` lists them as JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.core.clock import fixed_offset_seconds
from ioc.core.models import DeadLetter
from ioc.engines.mqtt import Decoders, replay
from ioc.engines.mqtt.store import discard
from ioc.web import csrf
from ioc.web.api_models import DeadLetterList, model_response
from ioc.web.deps import (
    Admin,
    AdminApi,
    AppRegistry,
    AppSettings,
    DbSession,
)
from ioc.web.pagekit import AdminCall, Call
from ioc.web.templating import render

router = APIRouter()


StatusFilter = Literal["new", "replayed", "discarded", "all"]
STATUSES: tuple[str, ...] = ("new", "replayed", "discarded", "all")
PAGE_LIMIT = 200
# Doors whose letters the MQTT decoders can take again (a syslog line cannot be replayed).
REPLAYABLE: tuple[str, ...] = ("mqtt",)
PAYLOAD_SHOWN = 160


def _query(db: Session, status: str, limit: int) -> tuple[list[DeadLetter], int]:
    stmt = select(DeadLetter)
    count = select(func.count()).select_from(DeadLetter)
    if status != "all":
        stmt = stmt.where(DeadLetter.status == status)
        count = count.where(DeadLetter.status == status)
    rows = list(
        db.execute(
            stmt.order_by(DeadLetter.received_at.desc(), DeadLetter.id.desc()).limit(limit)
        ).scalars()
    )
    return rows, db.execute(count).scalar_one()


def _short(payload: str) -> str:
    return payload if len(payload) <= PAYLOAD_SHOWN else payload[:PAYLOAD_SHOWN] + "…"


@router.get("/admin/dead-letters", response_class=HTMLResponse, include_in_schema=False)
def dead_letters_page(
    request: Request,
    principal: Admin,
    db: DbSession,
    status: StatusFilter = "new",
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """Thư lỗi: newest first, filtered by status, with replay/discard buttons."""
    letters, total = _query(db, status, PAGE_LIMIT)
    items = [
        {
            "id": d.id,
            "source": d.source,
            "topic": d.topic,
            "received_at": d.received_at,
            "reason": d.reason,
            "payload": _short(d.payload),
            "status": d.status,
            "handled_at": d.handled_at,
            "handled_by": d.handled_by,
        }
        for d in letters
    ]
    return render(
        request,
        "dead_letters.html",
        {
            "items": items,
            "total": total,
            "status": status,
            "statuses": STATUSES,
            "replayable": REPLAYABLE,
            "done": done if done in ("replayed", "failed", "discarded", "csrf") else None,
        },
        principal=principal,
    )


def _letter(db: Session, letter_id: int) -> DeadLetter:
    letter = db.get(DeadLetter, letter_id)
    if letter is None:
        raise HTTPException(404, "Không có thư lỗi này / no such dead letter")
    return letter


def _back(status: str, done: str) -> RedirectResponse:
    status = status if status in STATUSES else "new"
    return RedirectResponse(f"/admin/dead-letters?status={status}&done={done}", status_code=303)


def _handle(
    call: Call, letter_id: int, csrf_token: str, status: str, handle: Callable[[DeadLetter], str]
) -> Response:
    """A form on one letter: after the CSRF check, ``handle`` it and go back to the list (of
    ``status``) with the ``done`` notice ``handle`` answers."""
    if not csrf.valid(call.request, csrf_token):
        return _back(status, "csrf")
    return _back(status, handle(_letter(call.db, letter_id)))


# The list a form came from (``status``): where it goes back to.
FromStatus = Annotated[str, Form(max_length=20)]


@router.post("/admin/dead-letters/{letter_id}/replay", include_in_schema=False)
def replay_letter(
    letter_id: int,
    call: AdminCall,
    settings: AppSettings,
    registry: AppRegistry,
    csrf_token: csrf.CsrfField = "",
    status: FromStatus = "new",
) -> Response:
    """Decode and ingest the stored payload again with today's decoders and stations."""

    def replay_it(letter: DeadLetter) -> str:
        if letter.status != "new":
            return "replayed" if letter.status == "replayed" else "discarded"
        if letter.source not in REPLAYABLE:
            return "failed"  # e.g. a syslog line: no decoder can take it again
        result = replay(
            call.db,
            letter,
            registry=registry,
            decoders=Decoders(registry),
            offset=fixed_offset_seconds(settings.timezone),
            actor=call.principal.actor,
        )
        call.db.commit()
        return "failed" if result.failed else "replayed"

    return _handle(call, letter_id, csrf_token, status, replay_it)


@router.post("/admin/dead-letters/{letter_id}/discard", include_in_schema=False)
def discard_letter(
    letter_id: int, call: AdminCall, csrf_token: csrf.CsrfField = "", status: FromStatus = "new"
) -> Response:
    """Keep the letter for the record but take it off the to-do list."""

    def discard_it(letter: DeadLetter) -> str:
        if letter.status == "new":
            discard(call.db, letter, actor=call.principal.actor)
            call.db.commit()
        return "discarded"

    return _handle(call, letter_id, csrf_token, status, discard_it)


@router.get(
    "/api/v1/dead-letters",
    tags=["dead letters"],
    summary="Thư lỗi (tin nhắn không dùng được) / dead letters, newest first",
    responses={200: model_response(DeadLetterList, "Dead letters, newest first")},
)
def dead_letters_api(
    principal: AdminApi,
    db: DbSession,
    status: StatusFilter = "all",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Dead letters with source, topic, full payload (text, or ``base64:`` + Base64), reason,
    time received (ISO 8601, UTC) and status (new | replayed | discarded)."""
    letters, total = _query(db, status, limit)
    return {
        "total": total,
        "items": [
            {
                "id": d.id,
                "source": d.source,
                "topic": d.topic,
                "payload": d.payload,
                "reason": d.reason,
                "received_at": d.received_at.isoformat(),
                "status": d.status,
                "handled_at": d.handled_at.isoformat() if d.handled_at else None,
                "handled_by": d.handled_by,
            }
            for d in letters
        ],
    }
