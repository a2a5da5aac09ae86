"""Pages of the shell: login, logout, the IOC overview with a tile per pack, health."""

from __future__ import annotations

import math
import os
import socket
import threading
import time
from datetime import UTC, datetime
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from ioc import __version__
from ioc.core import auth, clock, freshness, i18n, migrate
from ioc.core.models import Agency, Area, HealthProbe, Indicator, Series, User
from ioc.core.reachable import tcp_reachable
from ioc.core.registry import Registry, Tile
from ioc.engines.alerting import places, queries
from ioc.engines.alerting.models import SEVERITIES
from ioc.web import csrf
from ioc.web.deps import (
    SESSION_COOKIE,
    AppRegistry,
    AppSettings,
    DbSession,
    Public,
    Viewer,
    request_language,
)
from ioc.web.pagekit import Call, Posted, PublicCall, form_fields
from ioc.web.proxies import client_address
from ioc.web.templating import render

log = structlog.get_logger(__name__)
# Which process last proved the database writable (several serve one database).
_PROCESS = f"{socket.gethostname()}:{os.getpid()}"[:64]

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    # Only same-site relative paths: an absolute URL here would be an open redirect.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


def _login_form(
    call: Call, next: str | None, error: str | None, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    """The login form, going on to ``next``, with ``error`` (a message key) and ``extra``."""
    context = {"next": _safe_next(next), "error": error, **extra}
    return render(
        call.request, "login.html", context, principal=call.principal, status_code=status_code
    )


@router.get("/login", response_class=HTMLResponse)
def login_page(call: PublicCall, next: str | None = None) -> Response:
    """The login form."""
    return _login_form(call, next, None)


# The login form as it is posted.
LoginForm = Annotated[
    Posted,
    Depends(form_fields(username=64, password=256, next=(500, "/"))),
]


@router.post("/login", response_class=HTMLResponse)
def login_submit(call: PublicCall, settings: AppSettings, posted: LoginForm) -> Response:
    """Check the password, open a session and go to ``next``."""
    request, db, _principal = call
    next = posted["next"]
    if not csrf.valid(request, posted.csrf_token):
        return _login_form(call, next, "error.csrf", 400)
    try:
        opened = auth.login(
            db,
            username=posted["username"],
            password=posted["password"],
            session_hours=settings.session_hours,
            address=client_address(request),
            rules=auth.LoginThrottle.of(settings),
        )
    except auth.LoginLocked as locked:
        db.commit()  # keep the counted failure, the lock and their audit rows
        wait = locked.retry_after()
        error = "login.locked" if locked.kind == auth.ACCOUNT else "login.address_locked"
        page = _login_form(call, next, error, 429, error_params={"minutes": math.ceil(wait / 60)})
        page.headers["Retry-After"] = str(wait)
        return page
    if opened is None:
        db.commit()  # keep the audit row of the failed attempt
        return _login_form(call, next, "login.failed", 401)
    db.commit()
    target = _safe_next(next)
    if target == "/":  # nothing asked for: the page of this role's own work
        target = home_page(db, request.app.state.registry, opened.user)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        opened.cookie,
        max_age=settings.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
    )
    return response


def home_page(db: Session, registry: Registry, user: User) -> str:
    """Where a role's own work is, for the landing after login: agency staff of a commune →
    their field-report inbox (it opens on overdue work); other agency staff → the alerts of
    their agency; operators → the alerts console; leaders and administrators → the overview.
    A pack's ``landing`` hook comes first (the commune scorecards send leaders to the board
    and a commune's staff to their commune's page)."""
    for pack in registry.packs:
        if pack.landing is not None:
            target = pack.landing(db, user)
            if target:
                return target
    role = user.role
    if role == auth.Role.OPERATOR:
        return "/alerts"
    if role != auth.Role.AGENCY_STAFF:
        return "/"
    agency = db.get(Agency, user.agency_id) if user.agency_id is not None else None
    pages = {entry.href for pack in registry.packs for entry in pack.nav}
    if agency is not None and agency.kind == "commune_committee" and "/field-reports" in pages:
        return "/field-reports"
    return f"/alerts?agency={agency.code}" if agency is not None else "/alerts"


@router.post("/logout")
def logout(
    request: Request,
    db: DbSession,
    principal: Public,
    csrf_token: csrf.CsrfField = "",
) -> Response:
    """End the session."""
    if not csrf.valid(request, csrf_token):
        return RedirectResponse("/", status_code=303)
    auth.logout(db, request.cookies.get(SESSION_COOKIE))
    db.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


def intake_tile(db: DbSession, lang: str) -> Tile:
    """Tiếp nhận dữ liệu: share of measured series that are on time, each judged against its
    indicator's expected interval with the grace factor (:mod:`ioc.core.freshness`)."""
    now = int(clock.now().timestamp())
    rows = db.execute(
        select(Series.latest_ts, Indicator.frequency, Indicator.time_label)
        .join(Indicator, Indicator.id == Series.indicator_id)
        .where(Indicator.derived.is_(False))
    ).all()
    total = len(rows)
    fresh = sum(1 for ts, frequency, label in rows if freshness.on_time(frequency, label, ts, now))
    newest = max((ts for ts, _, _ in rows if ts is not None), default=None)
    share = fresh / total if total else 0.0
    status = "ok" if share >= 0.9 else "warn" if share >= 0.5 else "alarm"
    last = i18n.format_datetime(datetime.fromtimestamp(newest, tz=UTC), lang) if newest else "—"
    return Tile(
        pack="core",
        title=i18n.translate("tile.intake", lang),
        figure=i18n.format_number(share * 100, lang) + " %" if total else "—",
        caption=i18n.translate("tile.intake_caption", lang, fresh=fresh, total=total),
        status=status if total else "none",
        href="/environment",
        lines=(i18n.translate("tile.intake_last", lang, time=last),),
    )


# (registry, pack, language) -> (expiry on the monotonic clock, tile)
_TILE_CACHE: dict[tuple[int, str, str], tuple[float, Tile | None]] = {}
_TILE_LOCK = threading.Lock()


def pack_tiles(db: Session, registry: Registry, lang: str, cache_s: float = 0) -> list[Tile]:
    """The open-alerts tile, every pack's tile, then the data-intake tile: the one tile
    collector of the overview and the wall (so both show the same figures).

    A tile is reused for ``cache_s`` seconds (``IOC_TILE_CACHE_SECONDS``): a dozen services
    each reading a year of figures made the overview cost ~100 ms per request. A pack whose
    tile fails shows a grey "no figure" tile instead: one broken service must not take the
    whole overview down.
    """
    tiles = [queries.alerts_tile(db, lang)]  # live: never cached
    now = time.monotonic()
    for pack in registry.packs:
        if pack.tile is None:
            continue
        key = (id(registry), pack.name, lang)
        with _TILE_LOCK:
            cached = _TILE_CACHE.get(key)
        if cache_s > 0 and cached is not None and cached[0] > now:
            if cached[1] is not None:
                tiles.append(cached[1])
            continue
        try:
            tile = pack.tile(db, lang)
        except Exception:
            log.exception("tile_failed", pack=pack.name)
            db.rollback()  # tiles only read; PostgreSQL needs a clean transaction to go on
            tile = Tile(
                pack=pack.name,
                title=i18n.translate(pack.title_key, lang),
                figure="—",
                caption=i18n.translate("tile.failed", lang),
                status="none",
                href="/",
            )
        if cache_s > 0:
            with _TILE_LOCK:
                _TILE_CACHE[key] = (now + cache_s, tile)
        if tile is not None:
            tiles.append(tile)
    tiles.append(intake_tile(db, lang))
    return tiles


def _tiles(
    request: Request, db: DbSession, registry: AppRegistry, settings: AppSettings
) -> list[Tile]:
    lang = request_language(request)
    return pack_tiles(db, registry, lang, settings.tile_cache_seconds)


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
    lang = request_language(request)
    # The province map: every open alert at its place (its entity, else its commune's centre)
    # and the open incidents, with how many alerts have no place (engines.alerting.places).
    alerts = queries.open_alerts(db, queries.AlertFilters(), lang, limit=100_000)
    points = places.alert_points(db, alerts).as_json()
    points["severity_labels"] = {
        s: i18n.translate(f"alerts.severity.{s}", lang) for s in SEVERITIES
    }
    points["tileUrl"] = settings.map_tile_url
    points["tileAttribution"] = settings.map_tile_attribution
    return render(
        request,
        "overview.html",
        {
            "tiles": _tiles(request, db, registry, settings),
            "facts": facts,
            "now": clock.now(),
            "map_data": points,
            "severities": SEVERITIES,
        },
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


@router.get("/readyz")
def ready(request: Request, principal: Public) -> JSONResponse:
    """Readiness: the database accepts and commits a write (a full disk or a read-only
    database fails it) and its schema is at the newest migration. 503 when not ready."""
    checks: dict[str, str] = {}
    factory = request.app.state.sessionmaker
    try:
        with factory() as session, session.begin():
            probe = session.get(HealthProbe, 1)
            if probe is None:
                session.add(HealthProbe(id=1, checked_at=clock.now(), process=_PROCESS))
            else:
                probe.checked_at, probe.process = clock.now(), _PROCESS
        checks["database_write"] = "ok"
    except Exception as exc:
        log.warning("readiness_write_failed", error=type(exc).__name__)
        checks["database_write"] = "error"
    try:
        current = migrate.current_revision(request.app.state.engine)
        head = migrate.head_revision()
        checks["migrations"] = "ok" if current == head else f"at {current}, newest {head}"
    except Exception as exc:
        log.warning("readiness_migrations_failed", error=type(exc).__name__)
        checks["migrations"] = "error"
    settings = request.app.state.settings
    if settings.mqtt_enabled:
        # The broker, when this process takes MQTT in: the connector's own connection, or a
        # TCP probe while it has none yet.
        connector = getattr(request.app.state, "mqtt", None)
        if connector is not None and connector.connected:
            checks["broker"] = "ok"
        else:
            failure = tcp_reachable(settings.mqtt_host, settings.mqtt_port)
            checks["broker"] = "ok" if failure is None else "unreachable"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ok" if ready else "not_ready", "version": __version__, **checks},
        200 if ready else 503,
        headers={} if ready else {"Retry-After": "30"},
    )


@router.get("/healthz")
def health(db: DbSession, principal: Public) -> JSONResponse:
    """Liveness and database reachability, for load balancers and monitoring (public)."""
    try:
        db.execute(text("SELECT 1"))
    except Exception:
        return JSONResponse({"status": "error", "database": "unreachable"}, 503)
    return JSONResponse({"status": "ok", "version": __version__, "database": "ok"})
