"""What every JSON batch door shares (observations, iGate dossiers, documents …): the caller
that owns an ``Idempotency-Key``, the replay of a stored answer, and the answer of a refused
batch.

A batch sent again with the same key (a retry after a lost answer) gets the first answer back
with ``Idempotent-Replayed: true`` and writes nothing; the same key with a different body is
refused (409). The answer is stored in the same transaction as the batch's data, so a batch is
either stored with its answer or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ioc.core.models import IdempotencyRecord
from ioc.engines.ingestion import service as ingestion
from ioc.web.deps import Principal

# ``(status, JSON body, extra headers)`` of a batch door's answer.
Outcome = tuple[int, dict[str, Any], dict[str, str]]
REPLAYED = "Idempotent-Replayed"
KEY_REUSED = "Idempotency-Key đã dùng cho một lô khác / key already used with a different body"


def caller_id(principal: Principal) -> int:
    """Whose idempotency keys these are: the API token's id, or minus the user's id for a
    signed-in person (so a person's keys and a token's never meet)."""
    if principal.token is not None:
        return principal.token.id
    return -(principal.user.id if principal.user else 0)


def problem(status: int, detail: str) -> Outcome:
    """A refused batch: ``{"detail": ...}`` with ``status``."""
    return status, {"detail": detail}, {}


def answer(outcome: Outcome) -> JSONResponse:
    """The JSON response of an outcome."""
    status, payload, headers = outcome
    return JSONResponse(payload, status_code=status, headers=headers)


def refuse(status: int, detail: str) -> JSONResponse:
    """The JSON response of a refused batch (``{"detail": ...}``)."""
    return answer(problem(status, detail))


@dataclass(frozen=True)
class IdempotentBatch:
    """One batch under an optional ``Idempotency-Key``: :meth:`replay` first, then
    :meth:`finish` with the answer once the batch is written."""

    db: Session
    caller: int
    key: str | None  # as stored (with the door's prefix); None when the caller sent none
    request_hash: str

    @classmethod
    def start(
        cls,
        db: Session,
        principal: Principal,
        key: str | None,
        body: bytes,
        *,
        atomic: bool = False,
        prefix: str = "",
    ) -> IdempotentBatch:
        """The batch of ``body``. ``prefix`` keeps a door's keys apart from the other doors'
        (keys are per caller); ``atomic`` is part of what a key stands for."""
        # Hashed only under a key: it tells a retry from another body, and a batch sent
        # without a key (most of them, a megabyte each) is never compared with anything.
        request_hash = ingestion.body_hash(body + (b"|atomic" if atomic else b"")) if key else ""
        return cls(db, caller_id(principal), prefix + key if key else None, request_hash)

    def replay(self) -> Outcome | None:
        """The stored answer when this key was used before (409 if for another body), or
        None: process the batch."""
        if not self.key:
            return None
        previous = ingestion.find_idempotent(self.db, self.caller, self.key)
        return None if previous is None else self._replay(previous)

    def run(self, process: Callable[[], Outcome]) -> Outcome:
        """The stored answer when this batch is a retry (409 when the key was used for another
        body), else what ``process`` answers (ending with :meth:`finish`)."""
        replayed = self.replay()
        return replayed if replayed is not None else process()

    def finish(self, status: int, payload: dict[str, Any], *, race: str | None = None) -> Outcome:
        """Store the answer with the batch's data and commit. When the commit collides with a
        concurrent retry of the same key, that retry's answer is replayed; a collision without
        one is answered 409 with ``race`` when given, raised otherwise."""
        if self.key:
            ingestion.remember_idempotent(
                self.db, self.caller, self.key, self.request_hash, status, payload
            )
        try:
            self.db.commit()
        except IntegrityError:
            self.db.rollback()
            previous = ingestion.find_idempotent(self.db, self.caller, self.key or "")
            if previous is not None:
                return self._replay(previous)
            if race is None:
                raise
            return problem(409, race)
        return status, payload, {}

    def _replay(self, previous: IdempotencyRecord) -> Outcome:
        if previous.request_hash != self.request_hash:
            return problem(409, KEY_REUSED)
        return previous.status_code, previous.response, {REPLAYED: "true"}
