"""Pages of the shell: login, logout, the IOC overview with a tile per pack, health."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import func, select, text

from ioc import __version__
from ioc.core import auth, clock
from ioc.core.auth import Permission
from ioc.core.models import Agency, Area, Series
from ioc.core.registry import Tile
from ioc.web.deps import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    AppRegistry,
    AppSettings,
    DbSession,
    Principal,
    require,
)
from ioc.web.templating import render, request_lang

router = APIRouter(include_in_schema=False)

Viewer = Annotated[Principal, Depends(require(Permission.VIEW, page=True))]
Anyone = Annotated[Principal, Depends(require(Permission.PUBLIC))]


def _safe_next(target: str | None) -> str:
    # Only same-site relative paths: an absolute URL here would be an open redirect.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, principal: Anyone, next: str | None = None) -> Response:
    """The login form."""
    return render(
        request, "login.html", {"next": _safe_next(next), "error": None}, principal=principal
    )


@router.post("/login", response_class=HTMLResponse)
def login_submit(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    principal: Anyone,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    """Check the password, open a session and go to ``next``."""
    if not auth.csrf_ok(request.cookies.get(CSRF_COOKIE, ""), csrf_token):
        return render(
            request,
            "login.html",
            {"next": _safe_next(next), "error": "error.csrf"},
            principal=principal,
            status_code=400,
        )
    opened = auth.login(
        db, username=username, password=password, session_hours=settings.session_hours
    )
    if opened is None:
        db.commit()  # keep the audit row of the failed attempt
        return render(
            request,
            "login.html",
            {"next": _safe_next(next), "error": "login.failed"},
            principal=principal,
            status_code=401,
        )
    db.commit()
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        opened.cookie,
        max_age=settings.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
    )
    return response


@router.post("/logout")
def logout(
    request: Request,
    db: DbSession,
    principal: Anyone,
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """End the session."""
    if not auth.csrf_ok(request.cookies.get(CSRF_COOKIE, ""), csrf_token):
        return RedirectResponse("/", status_code=303)
    auth.logout(db, request.cookies.get(SESSION_COOKIE))
    db.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


def _tiles(
    request: Request, db: DbSession, registry: AppRegistry, settings: AppSettings
) -> list[Tile]:
    lang = request_lang(request, settings.default_language)
    tiles = []
    for pack in registry.packs:
        if pack.tile is not None:
            tile = pack.tile(db, lang)
            if tile is not None:
                tiles.append(tile)
    return tiles


@router.get("/", response_class=HTMLResponse)
def overview(
    request: Request, principal: Viewer, db: DbSession, registry: AppRegistry, settings: AppSettings
) -> Response:
    """Tổng quan: a tile per pack with its status colour and key figure."""
    facts = {
        "units": db.execute(
            select(func.count())
            .select_from(Area)
            .where(Area.valid_to.is_(None), Area.level != "province")
        ).scalar_one(),
        "agencies": db.execute(
            select(func.count()).select_from(Agency).where(Agency.valid_to.is_(None))
        ).scalar_one(),
        "series": db.execute(select(func.count()).select_from(Series)).scalar_one(),
    }
    return render(
        request,
        "overview.html",
        {"tiles": _tiles(request, db, registry, settings), "facts": facts, "now": clock.now()},
        principal=principal,
    )


@router.get("/partials/tiles", response_class=HTMLResponse)
def overview_tiles(
    request: Request, principal: Viewer, db: DbSession, registry: AppRegistry, settings: AppSettings
) -> Response:
    """The tiles alone, for the overview's self-refresh (HTMX)."""
    return render(
        request,
        "_tiles.html",
        {"tiles": _tiles(request, db, registry, settings), "now": clock.now()},
        principal=principal,
    )


@router.get("/healthz")
def health(db: DbSession, principal: Anyone) -> JSONResponse:
    """Liveness and database reachability, for load balancers and monitoring (public)."""
    try:
        db.execute(text("SELECT 1"))
    except Exception:
        return JSONResponse({"status": "error", "database": "unreachable"}, 503)
    return JSONResponse({"status": "ok", "version": __version__, "database": "ok"})
