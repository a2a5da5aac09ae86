"""The pack's routers: each web module adds its ``router`` here (one line each)."""

from __future__ import annotations

from fastapi import APIRouter


def page_router() -> APIRouter:
    """Every HTML page of the pack (citizen, staff, statistics)."""
    router = APIRouter()
    from ioc.packs.field_reports import pages_stats, photos_web

    router.include_router(pages_stats.router)
    router.include_router(photos_web.router)
    from ioc.packs.field_reports import pages_admin, pages_public, pages_staff

    router.include_router(pages_public.router)
    router.include_router(pages_admin.router)
    router.include_router(pages_staff.router)
    return router


def api_router() -> APIRouter:
    """Every machine API of the pack (Open311 GeoReport v2, JSON)."""
    router = APIRouter()
    from ioc.packs.field_reports import open311

    router.include_router(open311.router)
    return router
