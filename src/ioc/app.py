"""The web application: FastAPI app factory, pack loading, error handling, static assets."""

from __future__ import annotations

import gc
import importlib
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from importlib.resources import files
from typing import Any

import structlog
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from ioc import __version__, background, packs
from ioc.core import freshness, partitions
from ioc.core.db import database_unavailable, make_engine, make_sessionmaker
from ioc.core.indicators import sync_catalog
from ioc.core.logging import configure_logging
from ioc.core.migrate import upgrade
from ioc.core.reference import sync_agencies, sync_areas
from ioc.core.registry import PackManifest, Registry
from ioc.engines.derive import DeriveWorker, follow_commits
from ioc.engines.ingestion import tabular
from ioc.page_views import PageViewBuffer
from ioc.settings import Settings, get_settings
from ioc.web import (
    alert_rules,
    alerting_notify_pages,
    alerts,
    api_observations,
    core_pages,
    dead_letters,
    geo,
    guards,
    metrics,
    ngsi_ld,
    openapi_doc,
    security,
    submissions,
    wall,
)
from ioc.web.audit_denied import audit_denied_writes
from ioc.web.deps import LoginRequired, Public, principal_outside_route, refuse_nul
from ioc.web.templating import make_templates, render

log = structlog.get_logger(__name__)

# Built-in packs, loaded through the same manifest interface a third-party pack would use;
# the one list is ioc.packs.PACKS.
PACKS: tuple[str, ...] = packs.module_names()


def load_registry(pack_modules: tuple[str, ...] = PACKS) -> Registry:
    """Import each pack's public module and register its manifest; then freeze."""
    registry = Registry()
    for name in pack_modules:
        module = importlib.import_module(name)
        manifest: PackManifest = module.manifest()
        registry.register(manifest)
    background.register_record_sources(registry)  # the IOC's own (ops.notify_dead)
    registry.freeze()
    return registry


def boot(settings: Settings) -> Registry:
    """Load the packs and run their start-up hooks (web app, CLI and jobs alike)."""
    configure_logging(settings)
    tabular.configure_limits(settings)  # IOC_IMPORT_XLSX_MAX_UNZIPPED_MB for every file import
    freshness.configure(settings)  # IOC_FRESHNESS_* for the data-intake tile
    partitions.configure(settings.raw_retention_months)  # ingestion's oldest accepted reading
    registry = load_registry()
    for pack in registry.packs:
        if pack.on_startup is not None:
            pack.on_startup(settings)
    background.register_derivations(registry)  # the manifests' listeners and derive handlers
    return registry


def prepare(settings: Settings, engine: Engine) -> sessionmaker[Session]:
    """Migrate, then load units, agencies and every pack's indicator catalog (idempotent)."""
    upgrade(engine)
    registry = boot(settings)
    factory = make_sessionmaker(engine)
    with factory() as session, session.begin():
        sync_areas(session)
        sync_agencies(session)
        for pack in registry.packs:
            sync_catalog(session, pack.indicators())
            if pack.sync is not None:
                pack.sync(session)
        background.sync_alerting(session, settings, registry)
    return factory


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """Build the application. Tests pass their own settings and engine."""
    settings = settings or get_settings()
    engine = engine or make_engine(settings.database_url, synchronous=settings.sqlite_synchronous)
    registry = boot(settings)
    factory = make_sessionmaker(engine)
    follow_commits(factory, inline=settings.derive_worker == "thread")
    app = FastAPI(
        lifespan=_lifespan(settings, factory, registry),
        title="IOC Đắk Lắk API",
        version=__version__,
        description="Trung tâm Giám sát, điều hành đô thị thông minh tỉnh Đắk Lắk — REST API.",
        docs_url=None,  # served by _api_docs (a CSP nonce on Swagger UI's inline script)
        redoc_url=None,
        openapi_url="/api/openapi.json",
        dependencies=[Depends(refuse_nul)],
    )
    openapi_doc.install(app)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = factory
    app.state.derive_worker = None
    app.state.registry = registry
    app.state.templates = make_templates(registry)
    app.mount("/static", StaticFiles(directory=str(files("ioc.web") / "static")), name="static")
    app.state.csp_reports = deque(maxlen=security.KEEP_REPORTS)
    _include_routers(app, settings, registry)
    _install_error_handlers(app)
    page_views = PageViewBuffer(factory, [p.page_view for p in registry.packs if p.page_view])
    app.state.page_views = page_views
    _install_middleware(app, settings, page_views)
    return app


def _lifespan(
    settings: Settings, factory: sessionmaker[Session], registry: Registry
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """What runs as long as the server: the derive worker, the MQTT connector, the scheduler
    and the packs' services, started in that order and stopped in the reverse one."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # What start-up built (modules, routes, templates, catalogs) lives as long as the
        # process: moved out of the collector's generations, a full collection no longer walks
        # it (one used to take ~0.1 s in the middle of an ingestion batch).
        gc.freeze()
        # The derive worker lives as long as the server; it first drains what a previous run
        # left queued, so a restart between a batch and its derivation loses nothing.
        worker = None
        if settings.derive_worker == "thread":
            worker = DeriveWorker(factory, delay_ms=settings.derive_delay_ms)
            worker.start()
        app.state.derive_worker = worker
        # The MQTT connector (IOC_MQTT_ENABLED) stores micro-batches (their commits wake the
        # derive worker); it is stopped first so its last batch is committed and acknowledged.
        mqtt = None
        if settings.mqtt_enabled:
            from ioc.engines.mqtt import MqttConnector

            mqtt = MqttConnector(settings, factory, registry)
            mqtt.start()
        app.state.mqtt = mqtt
        # Periodic jobs (alert evaluation, notifications): one runner among all workers.
        scheduler = None
        if settings.scheduler == "thread":
            scheduler = background.make_scheduler(settings, factory, registry)
            scheduler.start()
        app.state.scheduler = scheduler
        # Packs' long-running services (the syslog listener when IOC_SYSLOG_ENABLED …).
        services = background.start_services(settings, factory, registry)
        app.state.page_views.start()
        try:
            yield
        finally:
            app.state.page_views.stop()
            for service in reversed(services):
                service.stop()
            if scheduler is not None:
                scheduler.stop()
            app.state.scheduler = None
            if mqtt is not None:
                mqtt.stop()
            app.state.mqtt = None
            if worker is not None:
                worker.stop()
            app.state.derive_worker = None

    return lifespan


def _include_routers(app: FastAPI, settings: Settings, registry: Registry) -> None:
    """The IOC's own pages and doors, then each pack's API and pages (order matters where
    paths overlap)."""
    app.include_router(core_pages.router)
    app.include_router(metrics.router)
    app.include_router(security.router)
    _install_api_docs(app, settings)
    app.include_router(api_observations.router)
    app.include_router(dead_letters.router)
    app.include_router(ngsi_ld.router)
    app.include_router(geo.router)
    # Fixed /alerts/... paths (rules, notifications) before the console's /alerts/{id}.
    app.include_router(alert_rules.router)
    app.include_router(alerting_notify_pages.router)
    app.include_router(alerts.router)
    app.include_router(wall.router)
    app.include_router(submissions.router)
    for pack in registry.packs:
        if pack.api_router is not None:
            app.include_router(pack.api_router())
        if pack.page_router is not None:
            app.include_router(pack.page_router())


def _install_middleware(app: FastAPI, settings: Settings, page_views: PageViewBuffer) -> None:
    """The middleware, innermost first: API guard, audit of denied writes, security headers
    (and page-view counting), metrics outermost."""
    app.middleware("http")(guards.api_guard)  # JSON only; cookie writes same-origin
    app.middleware("http")(audit_denied_writes)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        # A fresh CSP nonce per request: templates put it on their inline scripts (csp_nonce).
        nonce = security.new_nonce()
        request.state.csp_nonce = nonce
        response: Response = await call_next(request)
        security.apply_headers(response, settings, nonce)
        if (
            request.method == "GET"
            and response.status_code == 200
            and response.headers.get("content-type", "").startswith("text/html")
        ):
            principal = getattr(request.state, "principal", None)
            user = getattr(principal, "user", None)
            role = getattr(user, "role", None)
            page_views.add(request.url.path, role)
        return response

    app.middleware("http")(metrics.measure)  # outermost: latency by route template


def _install_api_docs(app: FastAPI, settings: Settings) -> None:
    """Swagger UI at /api/docs from the vendored ``swagger-ui-dist`` (no CDN: government networks
    are closed and no page may load anything from outside), its inline script carrying this
    request's CSP nonce; the online validator badge is off (it would call validator.swagger.io)."""

    @app.get("/api/docs", include_in_schema=False)
    def api_docs(request: Request, principal: Public) -> Response:
        nonce: str = request.state.csp_nonce
        page = get_swagger_ui_html(
            openapi_url="/api/openapi.json",
            title=f"{app.title} - Swagger UI",
            swagger_js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/vendor/swagger-ui/favicon-32x32.png",
            swagger_ui_parameters={"validatorUrl": None},
        )
        html = bytes(page.body).decode().replace("<script>", f'<script nonce="{nonce}">')
        return HTMLResponse(html)


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith(
        ("/api/", "/ngsi-ld/")
    ) and "text/html" in request.headers.get("accept", "")


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _exc: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={target}", status_code=303)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {
                "field": ".".join(
                    str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")
                ),
                "message": err.get("msg", ""),
            }
            for err in exc.errors()
        ]
        return JSONResponse(
            {"detail": "Tham số không hợp lệ / invalid parameters", "errors": errors}, 422
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/ngsi-ld/"):
            return ngsi_ld.http_problem(
                exc.status_code,
                exc.detail,
                getattr(exc, "headers", None),
                accept=request.headers.get("accept"),
            )
        if _wants_html(request) and exc.status_code in (403, 404):
            key = "error.forbidden" if exc.status_code == 403 else "error.not_found"
            return render(
                request,
                "error.html",
                {"message_key": key, "status": exc.status_code},
                principal=principal_outside_route(request),
                status_code=exc.status_code,
            )
        return JSONResponse(
            {"detail": exc.detail}, exc.status_code, headers=getattr(exc, "headers", None)
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        if database_unavailable(exc):
            # Nothing was stored (the transaction did not commit): tell the sender to retry
            # rather than "your data is wrong". Counted for the operators' health view.
            app.state.db_unavailable_count = getattr(app.state, "db_unavailable_count", 0) + 1
            log.error("database_unavailable", path=request.url.path, error=type(exc).__name__)
            return JSONResponse(
                {
                    "detail": "Cơ sở dữ liệu tạm thời không sẵn sàng, hãy gửi lại sau / "
                    "the database is temporarily unavailable, retry later"
                },
                503,
                headers={"Retry-After": "30"},
            )
        # Logged with the traceback for operators; the caller gets no internals.
        log.exception("unhandled_error", path=request.url.path)
        return JSONResponse({"detail": "Lỗi hệ thống / internal error"}, 500)
