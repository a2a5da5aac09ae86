"""The OpenAPI description of a pack's JSON batch doors (the routes that read their body
themselves), declared as data in the pack's ``batch_doors.yaml``: the route's ``summary``,
what each answer means (``answers``: the keywords of
:func:`~ioc.web.openapi_doc.batch_responses`) and the item of the batch ``{<door>: [item,
…]}`` — ``required`` lists the fields an item must have, ``fields`` gives each field's type:
``text``, ``when`` (ISO 8601), ``number``, ``integer``, ``any``, a list of the allowed values,
or a mapping such as ``{anyOf: [text, integer]}`` whose lists are types.
"""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from pydantic import BaseModel

from ioc.core import yaml_text
from ioc.web.openapi_doc import (
    ANY,
    INTEGER,
    NUMBER,
    TEXT,
    WHEN,
    batch,
    batch_responses,
    json_body,
    obj,
    one_of,
)

__all__ = ["batch_door"]

TYPES: dict[str, dict[str, Any]] = {
    "text": TEXT,
    "when": WHEN,
    "number": NUMBER,
    "integer": INTEGER,
    "any": ANY,
}


def _schema(declared: str | list[Any] | dict[str, list[str]]) -> dict[str, Any]:
    """The JSON schema of a field's declared type."""
    if isinstance(declared, str):
        return TYPES[declared]
    if isinstance(declared, list):
        return one_of(*declared)
    return {key: [TYPES[t] for t in types] for key, types in declared.items()}


def batch_door(package: str, key: str, report: type[BaseModel]) -> dict[str, Any]:
    """The OpenAPI keywords of the route (``summary``, ``responses``, ``openapi_extra``) of
    the door ``key`` that ``package``'s ``batch_doors.yaml`` declares, answering ``report``
    (the pydantic model of its 200 and 422 answers)."""
    raw: dict[str, Any] = yaml_text.load(
        (files(package) / "batch_doors.yaml").read_text(encoding="utf-8")
    )
    door = raw[key]
    fields = {name: _schema(declared) for name, declared in door["fields"].items()}
    body = batch(key, obj(*door.get("required", ()), **fields))
    return {
        "summary": door["summary"],
        "responses": batch_responses(report, **door["answers"]),
        "openapi_extra": {"requestBody": json_body(body)},
    }
