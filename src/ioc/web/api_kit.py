"""What the packs' JSON batch doors share: reading a batch of items from a JSON body, a row's
error, and the batch report they answer with (``received``, ``stored``, ``rejected``,
``errors``; 422 when any row is invalid)."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import JSONResponse

from ioc.web.batches import refuse

__all__ = ["batch_report", "read_items", "row_error"]


def read_items(
    body: bytes, key: str, limit: int, *, not_a_list: str, too_many: str
) -> list[Any] | JSONResponse:
    """The items of a JSON batch ``{key: [...]}`` (or a bare list), or the refusal to answer
    with: 400 for a body that is not JSON or holds no list (``not_a_list``), 413 for more than
    ``limit`` items (``too_many``). The caller tells them apart with ``isinstance(…,
    JSONResponse)``."""
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        return refuse(400, f"JSON không hợp lệ / invalid JSON: {exc}")
    items = doc.get(key) if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        return refuse(400, not_a_list)
    if len(items) > limit:
        return refuse(413, too_many)
    return items


def row_error(row: int, field: str, message: str, message_en: str) -> dict[str, Any]:
    """One invalid row of a batch (1-based ``row``), in Vietnamese and English."""
    return {"row": row, "field": field, "message": message, "message_en": message_en}


def batch_report(
    received: int, stored: int, rejected: int, errors: list[dict[str, Any]]
) -> JSONResponse:
    """The answer to a batch: counts and the invalid rows; 422 when any row is invalid."""
    return JSONResponse(
        {"received": received, "stored": stored, "rejected": rejected, "errors": errors},
        422 if errors else 200,
    )
