"""The parameters a pack's JSON batch door takes besides its body: ``atomic`` (store nothing
unless every row is valid) and the ``Idempotency-Key`` header, read by one dependency that
also opens the door's :class:`~ioc.web.batches.IdempotentBatch`.

No ``from __future__ import annotations`` here: FastAPI reads the annotations of the
dependency :func:`batch_opener` builds, and they name its arguments.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Header, Query, Request

from ioc.web.batches import IdempotentBatch
from ioc.web.deps import DbSession, Ingestor

__all__ = ["KEY_COLUMN", "BatchCall", "batch_opener"]

#: The length of the column idempotency keys are stored in (with the door's prefix).
KEY_COLUMN = 200


@dataclass(frozen=True)
class BatchCall:
    """One call of a batch door: the raw ``body``, whether it is ``atomic``, and the
    idempotent ``batch`` to :meth:`~IdempotentBatch.replay` and
    :meth:`~IdempotentBatch.finish`."""

    body: bytes
    atomic: bool
    batch: IdempotentBatch


def batch_opener(prefix: str, atomic_doc: str) -> Callable[..., Awaitable[BatchCall]]:
    """The dependency of a door (``Annotated[BatchCall, Depends(batch_opener(...))]``) whose
    idempotency keys are stored with ``prefix`` (keeping them apart from the other doors'),
    ``atomic_doc`` describing its ``atomic`` query parameter."""

    async def open_batch(
        request: Request,
        principal: Ingestor,
        db: DbSession,
        atomic: Annotated[bool, Query(description=atomic_doc)] = False,
        idempotency_key: Annotated[str | None, Header(max_length=KEY_COLUMN - len(prefix))] = None,
    ) -> BatchCall:
        body = await request.body()
        batch = IdempotentBatch.start(
            db, principal, idempotency_key, body, atomic=atomic, prefix=prefix
        )
        return BatchCall(body, atomic, batch)

    return open_batch
