"""The pack's HTML pages: citizen pages (``public``, ``send``), the staff inbox and report page
(``staff``), administration (``admin``), statistics (``stats``) and photo files (``photos``).
"""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["page_router"]


def page_router() -> APIRouter:
    """Every HTML page of the pack (citizen, staff, statistics). Statistics and photos come
    before the staff pages, whose ``/field-reports/{code}`` would otherwise be tried first."""
    from ioc.packs.field_reports.pages import admin, photos, public, send, staff, stats

    router = APIRouter()
    for module in (stats, photos, public, send, admin, staff):
        router.include_router(module.router)
    return router
