"""Pydantic models of JSON answers, for the OpenAPI document only.

Routes keep building their answers as they do; these models describe them (``responses={200:
{"model": …}}``) so that the document at ``/api/openapi.json`` names each answer's fields and
types and a generated client can read them. Fields are nullable exactly where the route may send
``null``; extra fields are allowed (an answer may gain a field without breaking clients).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

__all__ = [
    "AlertItem",
    "AlertList",
    "BatchReport",
    "BatchRowError",
    "CommuneOfPoint",
    "DeadLetterList",
    "model_response",
]


class BatchRowError(BaseModel):
    """Why one item of a batch was refused."""

    row: int = Field(description="1-based position of the item in the batch")
    field: str | None = Field(description="the item's field at fault ('*': the whole item)")
    message: str = Field(description="Vietnamese")
    message_en: str | None = Field(default=None, description="English")


class BatchReport(BaseModel):
    """What a batch did: 200 when every item was stored, 422 when some were refused (the valid
    ones are stored all the same)."""

    received: int
    stored: int
    rejected: int
    errors: list[BatchRowError]


class AlertItem(BaseModel):
    """An open alert (times ISO 8601, UTC)."""

    id: int
    title: str
    summary: str
    severity: str = Field(description="critical | high | warning | info")
    pack: str
    area_code: str | None
    area_name: str | None
    station: str | None
    value: float | None
    starts_at: str
    ends_at: str | None
    status: str
    assignee_agency: str | None = Field(description="agency code")
    assignee_user: str | None
    incident: str | None = Field(description="incident code")
    url: str = Field(description="the alert's page in the console")


class AlertList(BaseModel):
    """Open alerts, worst first, with the number of open alerts per severity."""

    counts: dict[str, int]
    items: list[AlertItem]


def model_response(model: type[BaseModel], description: str) -> dict[str, Any]:
    """A ``responses`` entry answering ``model`` as JSON."""
    return {"model": model, "description": description}


class CommuneOfPoint(BaseModel):
    """The commune/ward a point lies in."""

    code: str = Field(description="official code (GSO)")
    name: str
    approximate: bool = Field(description="decided by stand-in cells, not surveyed boundaries")


class DeadLetterItem(BaseModel):
    """A message an input door could not use (times ISO 8601, UTC)."""

    id: int
    source: str = Field(description="mqtt, ngsi-ld, syslog …")
    topic: str
    payload: str = Field(description="UTF-8 text, or 'base64:' + Base64")
    reason: str
    received_at: str
    status: str = Field(description="new | replayed | discarded")
    handled_at: str | None
    handled_by: str | None


class DeadLetterList(BaseModel):
    total: int = Field(description="letters of the chosen status, all pages")
    items: list[DeadLetterItem]
