"""Open311 GeoReport v2 wire formats: one payload, rendered as XML or as JSON.

The JSON form is the spec's mechanical mapping of the XML ("Spark convention",
``shared/domain/open311.md`` §4): the root wrapper is dropped, a container of one kind of
repeated child is an array (even of one element), an empty element is ``null``. So every
response is built once as Python data and rendered by :func:`render`:

* a list payload under a container root (``services``, ``service_requests``, ``errors`` …)
  becomes ``<root><child>…</child>…</root>`` or a JSON array;
* a dict payload (``discovery``, ``service_definition``) becomes ``<root>fields</root>`` or a
  JSON object.

XML is built with the standard library (``xml.etree``), UTF-8, no namespace.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi.responses import Response

__all__ = ["CONTAINERS", "FORMATS", "MEDIA_TYPES", "error_response", "render", "to_json", "to_xml"]

# Container element -> its repeated child element.
CONTAINERS: dict[str, str] = {
    "services": "service",
    "service_requests": "request",
    "service_requests_updates": "request_update",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
}
MEDIA_TYPES = {
    "xml": "text/xml; charset=utf-8",
    "json": "application/json; charset=utf-8",
}
FORMATS = tuple(MEDIA_TYPES)
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
# Characters XML 1.0 cannot carry at all (a pasted control character must not break the feed).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _XML_ILLEGAL.sub("", str(value))


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, Mapping):
        for key, child in value.items():
            _add(element, str(key), child)
    else:
        element.text = _text(value)


def _add(parent: ET.Element, tag: str, value: Any) -> None:
    node = ET.SubElement(parent, tag)
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        child_tag = CONTAINERS[tag]
        for item in value:
            _fill(ET.SubElement(node, child_tag), item)
    else:
        _fill(node, value)


def to_xml(root: str, payload: Mapping[str, Any] | Sequence[Any]) -> bytes:
    """The XML document of ``payload`` under the element ``root``."""
    element = ET.Element(root)
    if isinstance(payload, Mapping):
        _fill(element, payload)
    else:
        child_tag = CONTAINERS[root]
        for item in payload:
            _fill(ET.SubElement(element, child_tag), item)
    return XML_DECLARATION + ET.tostring(element, encoding="unicode").encode("utf-8")


def to_json(payload: Mapping[str, Any] | Sequence[Any]) -> bytes:
    """The JSON form of ``payload`` (the root wrapper dropped)."""
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


def render(
    fmt: str,
    root: str,
    payload: Mapping[str, Any] | Sequence[Any],
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The HTTP response of ``payload`` in format ``fmt`` (``xml`` or ``json``)."""
    body = to_json(payload) if fmt == "json" else to_xml(root, payload)
    return Response(
        body,
        status_code=status_code,
        media_type=MEDIA_TYPES["json" if fmt == "json" else "xml"],
        headers=dict(headers or {}),
    )


def error_response(fmt: str, status_code: int, *errors: str) -> Response:
    """An Open311 error body (``errors/error*`` with ``code`` and ``description``); several
    errors may be given. The body code is the HTTP status."""
    payload = [{"code": status_code, "description": message} for message in errors]
    return render(fmt if fmt in FORMATS else "xml", "errors", payload, status_code=status_code)
