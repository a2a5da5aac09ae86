"""@context handling and content negotiation (ETSI GS CIM 009 clause 6.3).

The IOC does **no JSON-LD expansion**: attribute and type names are taken as the short names the
Smart Data Models use (``pm25``, ``AirQualityObserved``), and a full IRI equal to one of the
terms of the contexts served here is compacted back to its short name. A ``Link`` header or a
body ``@context`` is checked against the rules of the specification but never dereferenced:
nothing is fetched at run time, so a deployment without internet behaves the same.

The core context and the Smart Data Models Environment context are package data under
``contexts/`` and are served by the API at ``/ngsi-ld/v1/jsonldContexts/{name}``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib.resources import files
from typing import Any

import orjson

from ioc.engines.ngsi_ld.problems import (
    NgsiError,
    bad_request,
    not_acceptable,
    unsupported_media_type,
)

CORE_CONTEXT_FILE = "ngsi-ld-core-context-v1.8.jsonld"
ENV_CONTEXT_FILE = "sdm-environment-context.jsonld"
CONTEXT_FILES = (CORE_CONTEXT_FILE, ENV_CONTEXT_FILE)
#: The IRI clients use for the core context; recognised without fetching.
CORE_CONTEXT_URL = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"
JSONLD_CONTEXT_REL = "http://www.w3.org/ns/json-ld#context"

JSON = "application/json"
JSON_LD = "application/ld+json"
GEO_JSON = "application/geo+json"
MERGE_PATCH = "application/merge-patch+json"


@lru_cache(maxsize=8)
def context_document(name: str) -> bytes | None:
    """The bytes of a served context file, or None for an unknown name."""
    if name not in CONTEXT_FILES:
        return None
    return (files("ioc.engines.ngsi_ld") / "contexts" / name).read_bytes()


@lru_cache(maxsize=1)
def iri_terms() -> dict[str, str]:
    """``{full IRI: short term}`` from the served contexts, to compact a full IRI a client
    sent as an attribute or type name."""
    out: dict[str, str] = {}
    for name in CONTEXT_FILES:
        raw = context_document(name)
        assert raw is not None
        ctx: dict[str, Any] = orjson.loads(raw)["@context"]
        prefixes = {k: v for k, v in ctx.items() if isinstance(v, str) and v.endswith(("/", "#"))}
        for term, definition in ctx.items():
            iri = definition.get("@id") if isinstance(definition, dict) else definition
            if not isinstance(iri, str) or term.startswith("@") or iri.startswith("@"):
                continue
            prefix, sep, rest = iri.partition(":")
            if sep and prefix in prefixes:
                iri = prefixes[prefix] + rest
            out.setdefault(iri, term)
    return out


def compact(name: str) -> str:
    """A short term for ``name`` if it is a full IRI of a served context, else ``name``."""
    if ":" not in name:
        return name
    return iri_terms().get(name, name)


_LINK_PART = re.compile(r"<([^>]*)>((?:\s*;\s*[^;,]+)*)")


def link_context(link: str | None) -> str | None:
    """The context URL of a ``Link`` header with ``rel="http://www.w3.org/ns/json-ld#context"``."""
    if not link:
        return None
    for match in _LINK_PART.finditer(link):
        params = match.group(2).replace('"', "").replace(" ", "")
        if f"rel={JSONLD_CONTEXT_REL}" in params.split(";"):
            return match.group(1).strip()
    return None


def media_type(content_type: str | None) -> str:
    """``application/json; charset=utf-8`` → ``application/json``."""
    return (content_type or "").split(";")[0].strip().lower()


def check_request(
    content_type: str | None, link: str | None, *, patch: bool = False
) -> tuple[str, str | None]:
    """The request body's media type and Link context, by the rules of clause 6.3.5.

    ``application/json`` (and for PATCH ``application/merge-patch+json``) takes its context from
    the Link header or the core context; ``application/ld+json`` needs ``@context`` in the body
    and refuses a Link header (400); any other type is 415.
    """
    kind = media_type(content_type)
    allowed = (JSON, JSON_LD, MERGE_PATCH) if patch else (JSON, JSON_LD)
    if kind not in allowed:
        shown = kind or "(none)"
        raise unsupported_media_type(
            f"Content-Type {shown} is not supported; use {' or '.join(allowed)}"
        )
    ctx = link_context(link)
    if kind == JSON_LD and ctx is not None:
        raise bad_request(
            "application/ld+json requests carry @context in the body, not in a Link header"
        )
    return kind, ctx


def check_body_context(kind: str, docs: list[Any]) -> None:
    """Every entity of an ``application/ld+json`` body carries ``@context``; none of a plain JSON
    body does (400 BadRequestData otherwise)."""
    for doc in docs:
        if not isinstance(doc, dict):
            continue
        has = "@context" in doc
        if kind == JSON_LD and not has:
            raise bad_request("application/ld+json body needs @context")
        if kind != JSON_LD and has:
            raise bad_request(
                "@context is not allowed in an application/json body; "
                "send it in a Link header or use application/ld+json"
            )
        if has:
            _check_context_value(doc["@context"])


def _check_context_value(value: Any) -> None:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(i, str | dict) for i in items):
        raise bad_request("@context must be a URL, an object or a list of them")


def negotiate(accept: str | None, *, geo: bool = True) -> str:
    """The response media type for an ``Accept`` header: JSON, JSON-LD or GeoJSON; 406 for
    anything else."""
    if accept is None or not accept.strip():
        return JSON
    ranges: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept.split(",")):
        fields = [f.strip() for f in part.split(";")]
        kind = fields[0].lower()
        q = 1.0
        for param in fields[1:]:
            if param.lower().startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        if kind and q > 0:
            ranges.append((-q, position, kind))
    for _, _, kind in sorted(ranges):
        if kind in (JSON, JSON_LD):
            return kind
        if kind == GEO_JSON and geo:
            return GEO_JSON
        if kind in ("*/*", "application/*"):
            return JSON
    raise not_acceptable(
        f"Accept {accept} names no supported representation "
        "(application/json, application/ld+json, application/geo+json)"
    )


def response_context(base_url: str) -> list[str]:
    """The ``@context`` of our responses: the Environment terms served locally, then core."""
    return [
        f"{base_url.rstrip('/')}/ngsi-ld/v1/jsonldContexts/{ENV_CONTEXT_FILE}",
        CORE_CONTEXT_URL,
    ]


def response_link(base_url: str) -> str:
    """The ``Link`` header of an ``application/json`` response."""
    url = f"{base_url.rstrip('/')}/ngsi-ld/v1/jsonldContexts/{ENV_CONTEXT_FILE}"
    return f'<{url}>; rel="{JSONLD_CONTEXT_REL}"; type="{JSON_LD}"'


__all__ = [
    "CORE_CONTEXT_URL",
    "GEO_JSON",
    "JSON",
    "JSON_LD",
    "MERGE_PATCH",
    "NgsiError",
    "check_body_context",
    "check_request",
    "compact",
    "context_document",
    "link_context",
    "negotiate",
    "response_context",
    "response_link",
]
