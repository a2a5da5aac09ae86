"""The @context documents the IOC serves (public)."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from ioc.engines.ngsi_ld import context as ctx
from ioc.engines.ngsi_ld.problems import (
    not_found,
)
from ioc.web.deps import Public
from ioc.web.ngsi_ld.protocol import problem_response

# --------------------------------------------------------------------------- contexts

router = APIRouter()


@router.get("/jsonldContexts", summary="@context documents served by the IOC")
def list_contexts(request: Request, principal: Public) -> Response:
    """URLs of the served @context documents (core context and Smart Data Models terms)."""
    base = str(request.base_url).rstrip("/")
    urls = [f"{base}/ngsi-ld/v1/jsonldContexts/{name}" for name in ctx.CONTEXT_FILES]
    return Response(orjson.dumps(urls), media_type=ctx.JSON)


@router.get("/jsonldContexts/{context_id:path}", summary="One @context document")
def get_context(context_id: str, request: Request, principal: Public) -> Response:
    """A served @context, by file name or by its URL (the core context's ETSI IRI too)."""
    name = context_id.rstrip("/").rsplit("/", 1)[-1]
    if name == "ngsi-ld-core-context.jsonld":
        name = ctx.CORE_CONTEXT_FILE
    document = ctx.context_document(name)
    if document is None:
        return problem_response(not_found(f"no @context {context_id}"), request)
    return Response(
        document,
        media_type=ctx.JSON_LD,
        headers={"Cache-Control": "public, max-age=86400"},
    )
