"""The application's GET routes, for tests that visit every page (importable: tests/ is on
sys.path). FastAPI keeps included routers as ``_IncludedRouter`` entries in ``app.routes``, so
the routes are collected by walking each included router."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi.routing import APIRoute

# Never pages: the JSON/NGSI-LD APIs, Open311, and files (exports, photos, templates).
NOT_PAGES = ("/api/", "/ngsi-ld/", "/open311/", "/static/")


def api_routes(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    """``(path, route)`` of every API route, included routers walked recursively."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route
        elif hasattr(route, "original_router"):
            context = getattr(route, "include_context", None)
            inner = prefix + (getattr(context, "prefix", "") or "")
            yield from api_routes(route.original_router.routes, inner)


def plain_get_paths(app: Any) -> list[str]:
    """Paths of the GET routes without path parameters that may answer a page (sorted)."""
    paths = {
        path
        for path, route in api_routes(app.routes)
        if "GET" in (route.methods or ())
        and "{" not in path
        and not path.startswith(NOT_PAGES)
        and not path.endswith((".xlsx", ".csv", ".yaml", ".json", ".docx", "/export"))
    }
    return sorted(paths)
