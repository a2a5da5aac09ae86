"""Every page runs under the Content-Security-Policy without a single violation.

An admin opens, in real Chromium, every HTML page of the application that a GET without
parameters reaches (collected from the app's routers, so a new page is covered by itself), the
public pages, and pages with parameters filled from created data (a station, an alert, a rule,
the environment networks). Any CSP violation — reported on the console and to ``/csp-report`` —
or any uncaught script error fails the test. A first test proves the detection works: a script
injected without the nonce is refused, and its report reaches the server's store.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy.engine import Engine

from alert_console_helpers import add_alert
from ioc.core import audit, auth, i18n
from ioc.core.db import make_sessionmaker
from page_routes import plain_get_paths

pytestmark = pytest.mark.browser

ADMIN, PASSWORD = "quan.tri.csp", "mật-khẩu-quản-trị-csp-2026"
STATION = "DL-BMT-01"  # a demo air station
BUDGET_S = 150.0  # every page of every pack, on a loaded 2-core machine
PUBLIC = (
    "/login",
    "/public/air",
    f"/public/air/{STATION}",
    "/phan-anh",
    "/phan-anh/gui",
    "/phan-anh/tra-cuu",
    "/phan-anh/danh-sach",
)


@pytest.fixture(scope="module", autouse=True)
def served_apps(request: pytest.FixtureRequest) -> Iterator[list[Any]]:
    """The application objects the module's live server runs (to read ``app.state``).

    tests/browser/conftest.py builds the app inside its ``live_server`` fixture; wrapping its
    ``create_app`` for this module records the instance. Autouse at module scope, so it is in
    place before ``live_server`` starts.
    """
    conftest = request.config.pluginmanager.get_plugin(
        str(Path(__file__).resolve().parent / "conftest.py")
    )
    assert conftest is not None
    apps: list[Any] = []
    original = conftest.create_app

    def recording(*args: Any, **kwargs: Any) -> Any:
        app = original(*args, **kwargs)
        apps.append(app)
        return app

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(conftest, "create_app", recording)
        yield apps


@pytest.fixture(scope="module")
def data(live_server: Any, engine: Engine) -> dict[str, int]:
    """An admin account, and an open alert on a demo station (with its rule)."""
    factory = make_sessionmaker(engine)
    with factory() as s, s.begin():
        auth.create_user(
            s,
            audit.Actor.system("test"),
            username=ADMIN,
            password=PASSWORD,
            full_name="Quản Trị CSP",
            role="admin",
        )
        alert = add_alert(s, severity="high", station=STATION, summary="PM2.5 cao")
        ids = {"alert": alert.id, "rule": alert.rule_id}
    return ids


@pytest.fixture
def served_app(served_apps: list[Any], live_server: Any) -> Any:
    """The application of this module's live server."""
    assert len(served_apps) == 1
    return served_apps[0]


class Violations:
    """CSP messages on the console and uncaught errors of one page, by URL."""

    def __init__(self, page: Any) -> None:
        self.found: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.found.append(f"{page.url}: pageerror: {exc}"))
        self._page = page

    def _console(self, msg: Any) -> None:
        if "Content Security Policy" in msg.text or "Content-Security-Policy" in msg.text:
            self.found.append(f"{self._page.url}: {msg.type}: {msg.text}")


def sign_in_admin(page: Any, server: Any) -> None:
    page.goto(server.url("/login?next=/"))
    page.fill("#username", ADMIN)
    page.fill("#password", PASSWORD)
    page.click("form.login-card button[type=submit]")
    page.wait_for_url(server.url("/"))


def wait_for_reports(app: Any, count: int, timeout_s: float = 5.0) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout_s
    while len(app.state.csp_reports) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return list(app.state.csp_reports)


@pytest.mark.usefixtures("data")
def test_detection_works_and_reports_reach_the_server(
    page: Any, live_server: Any, served_app: Any
) -> None:
    """A script injected without the nonce is refused, seen on the console and reported."""
    served_app.state.csp_reports.clear()
    violations = Violations(page)
    page.goto(live_server.url("/public/air"))
    page.evaluate(
        """() => {
            const s = document.createElement('script');
            s.textContent = 'window.__injected = 1';
            document.body.appendChild(s);
        }"""
    )
    assert page.evaluate("() => window.__injected") is None
    deadline = time.monotonic() + 5
    while not violations.found and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert any("script-src" in v for v in violations.found), violations.found
    reports = wait_for_reports(served_app, 1)
    assert reports, "the browser's report did not reach /csp-report"
    assert reports[0].get("violated-directive", "").startswith("script-src")
    assert reports[0].get("document-uri", "").endswith("/public/air")
    served_app.state.csp_reports.clear()


@pytest.mark.usefixtures("data")
def test_every_page_runs_without_csp_violation(
    page: Any, live_server: Any, served_app: Any, data: dict[str, int]
) -> None:
    started = time.monotonic()
    served_app.state.csp_reports.clear()
    violations = Violations(page)
    visited: list[str] = []
    # The public pages as a citizen sees them (no session), then everything as an admin.
    for path in PUBLIC:
        page.goto(live_server.url(path), wait_until="load")
        page.wait_for_timeout(50)
        visited.append(path)
    sign_in_admin(page, live_server)
    candidates = [
        *plain_get_paths(served_app),
        f"/environment/stations/{STATION}",
        f"/public/air/{STATION}",
        "/environment/water",
        "/environment/noise",
        "/environment/weather",
        f"/alerts/{data['alert']}",
        f"/alerts/rules/{data['rule']}",
    ]
    for path in candidates:
        if "/partials/" in path:
            continue  # HTML fragments swapped into pages by htmx, not pages
        head = page.request.get(live_server.url(path))
        if not (head.ok and head.headers.get("content-type", "").startswith("text/html")):
            continue
        if "<html" not in head.text()[:500].lower():
            continue  # a fragment (e.g. the guides tour card)
        page.goto(live_server.url(path), wait_until="load")
        page.wait_for_timeout(50)  # DOMContentLoaded handlers, first htmx "load" triggers
        visited.append(path)
        assert time.monotonic() - started < BUDGET_S, f"over budget after {visited}"
    page.wait_for_timeout(300)  # let late reports arrive
    assert violations.found == [], "\n".join(violations.found)
    assert list(served_app.state.csp_reports) == []
    # The walk saw the pages it is meant to check (a broken route walk would pass vacuously).
    assert len(visited) >= 45, visited
    for expected in ("/", "/environment", "/public/air", "/wall", "/traffic", "/alerts/rules"):
        assert expected in visited, expected

    # The inline confirm is now a data-confirm listener: it still asks, and "no" keeps the rule.
    page.goto(live_server.url("/alerts/rules"))
    asked: list[str] = []

    def dismiss(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    delete = page.locator(f"form[action='/alerts/rules/{data['rule']}/delete'] button")
    delete.click()
    page.wait_for_timeout(200)
    assert asked == [i18n.translate("rules.confirm_delete", "vi")]
    expect(delete).to_be_visible()
    assert page.url == live_server.url("/alerts/rules")

    assert violations.found == [], "\n".join(violations.found)
