"""Browser fixtures: a live IOC server with demo air data, Debian's Chromium through Playwright.

The server is module-scoped (one per test module): it runs the real application under uvicorn in
a background thread on a free 127.0.0.1 port, against the session's migrated test database
filled once with 72 hours of demo readings ending at the current hour. Its teardown empties the
same tables the function-scoped ``factory`` fixture empties, so other modules see no trace.

Playwright drives ``/usr/bin/chromium`` (never a downloaded browser): one browser per module,
a fresh context (cookies, storage) per test. Without Chromium the tests skip, except under
``CI=true`` where that is a failure.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import uvicorn
from sqlalchemy import text
from sqlalchemy.engine import Engine

from ioc.app import create_app
from ioc.core import audit, auth, clock
from ioc.core.db import make_sessionmaker
from ioc.packs.environment.demo import load_demo
from ioc.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
IN_CI = os.environ.get("CI", "").lower() == "true"
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})
DEMO_HOURS = 72


def _root_mutable_tables(config: pytest.Config) -> tuple[str, ...]:
    # tests/conftest.py is registered under its path; importing it by name ("conftest") would
    # find this very file, as neither folder is a package.
    root = config.pluginmanager.get_plugin(str(Path(__file__).resolve().parents[1] / "conftest.py"))
    assert root is not None, "tests/conftest.py is not loaded"
    tables: list[str] = root.mutable_tables()
    return tuple(tables)


@dataclass(frozen=True)
class LiveServer:
    """A running IOC server and the leader account on it."""

    base_url: str
    username: str
    password: str
    full_name: str

    def url(self, path: str) -> str:
        """Absolute URL of ``path`` on this server."""
        return self.base_url + path


@pytest.fixture(scope="module")
def chromium() -> str:
    """Path of Debian's Chromium; skips (or fails under CI=true) when it is not installed."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is not installed (apt-get install chromium)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return str(CHROMIUM)


def _empty(engine: Engine, tables: tuple[str, ...]) -> None:
    with engine.begin() as conn:
        for table in tables:
            conn.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - fixed table names


@pytest.fixture(scope="module")
def live_server(
    request: pytest.FixtureRequest, chromium: str, settings: Settings, engine: Engine
) -> Iterator[LiveServer]:
    """The application served over HTTP with 10 demo stations and a ``leader`` account."""
    tables = _root_mutable_tables(request.config)
    _empty(engine, tables)  # start clean whatever ran before in this process
    factory = make_sessionmaker(engine)
    end = clock.now().replace(minute=0, second=0, microsecond=0)
    load_demo(factory, end=end, hours=DEMO_HOURS, offset=7 * 3600)
    creds = LiveServer("", "lanhdao", "mật-khẩu-trình-duyệt-2026", "Lãnh Đạo Thử Nghiệm")
    with factory() as session, session.begin():
        auth.create_user(
            session,
            audit.Actor.system("test"),
            username=creds.username,
            password=creds.password,
            full_name=creds.full_name,
            role="leader",
        )

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    # A test module may run the server with other settings, e.g. the scheduler switched on:
    # LIVE_SETTINGS = {"scheduler": "thread", "alert_tick_seconds": 1}
    overrides = getattr(request.module, "LIVE_SETTINGS", {})
    served = settings.model_copy(update=overrides) if overrides else settings
    config = uvicorn.Config(
        create_app(served, engine), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="ioc-live-server", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            pytest.fail("the live server did not start")
        time.sleep(0.02)
    try:
        yield LiveServer(
            f"http://127.0.0.1:{port}", creds.username, creds.password, creds.full_name
        )
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        _empty(engine, tables)


@pytest.fixture(scope="module")
def playwright_api(chromium: str) -> Iterator[Any]:
    """Playwright's sync API for this module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="module")
def browser(playwright_api: Any, chromium: str) -> Iterator[Any]:
    """One headless Chromium for the module."""
    browser = playwright_api.chromium.launch(
        executable_path=chromium, args=CHROMIUM_ARGS, headless=True
    )
    yield browser
    browser.close()


@dataclass
class Watch:
    """What a page did that a user would not want: off-site requests, script errors."""

    offsite: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        """Fail when any request left localhost or the console reported an error."""
        assert self.offsite == [], f"requests left localhost: {self.offsite}"
        assert self.errors == [], f"console/page errors: {self.errors}"


def watch_page(page: Any) -> Watch:
    """Abort and record every request not addressed to localhost; record console errors."""
    watch = Watch()

    def route(route: Any) -> None:
        url = route.request.url
        scheme, host = urlsplit(url).scheme, urlsplit(url).hostname
        if scheme in ("data", "blob") or host in LOCAL_HOSTS:
            route.continue_()
        else:
            watch.offsite.append(url)
            route.abort()

    def console(msg: Any) -> None:
        if msg.type != "error":
            return
        location = (msg.location or {}).get("url", "")
        if location.endswith(".map") or ".map?" in location:
            return  # a missing source map is a developer-tools nicety, not a page error
        watch.errors.append(f"console: {msg.text} ({location})")

    page.route("**/*", route)
    page.on("console", console)
    page.on("pageerror", lambda exc: watch.errors.append(f"pageerror: {exc}"))
    return watch


@pytest.fixture
def context(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A fresh browser context (no cookies) in Vietnamese at a desktop size."""
    ctx = browser.new_context(
        viewport={"width": 1440, "height": 900}, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh"
    )
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: Any) -> Any:
    """A page of the fresh context."""
    return context.new_page()


@pytest.fixture
def watch(page: Any) -> Watch:
    """Off-site requests (aborted) and console errors of ``page``, recorded from the start."""
    return watch_page(page)


@pytest.fixture
def sign_in(live_server: LiveServer) -> Any:
    """``sign_in(page, "/environment")``: log in through the form as the leader, land there."""

    def do(page: Any, next_path: str = "/") -> None:
        page.goto(live_server.url(f"/login?next={next_path}"))
        page.fill("#username", live_server.username)
        page.fill("#password", live_server.password)
        page.click("form.login-card button[type=submit]")
        if next_path == "/":  # nothing asked for: a leader lands on the commune board first
            page.wait_for_url(live_server.url("/xa"))
            page.goto(live_server.url("/"))
        page.wait_for_url(live_server.url(next_path))

    return do
