"""Security headers: a nonce-based Content-Security-Policy on every HTML page, the classic
headers on every response, HSTS in production only, and the public CSP report endpoint."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from helpers import login
from ioc.app import create_app
from ioc.settings import Settings
from ioc.web import security
from page_routes import plain_get_paths

SRC = Path(__file__).resolve().parents[2] / "src" / "ioc"
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.I)
NONCE_ATTR = re.compile(r"""\bnonce\s*=\s*["']([^"']*)["']""")
EVENT_ATTR = re.compile(r"""<[a-zA-Z][^>]*\son[a-z]+\s*=\s*["']""")


def policy(header: str) -> dict[str, list[str]]:
    """``{"script-src": ["'self'", "'nonce-…'"], …}`` from a CSP header."""
    out: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            assert words[0] not in out, f"directive {words[0]} twice"
            out[words[0]] = words[1:]
    return out


def nonce_of(csp: dict[str, list[str]]) -> str:
    nonces = [s for s in csp["script-src"] if s.startswith("'nonce-")]
    assert len(nonces) == 1
    return nonces[0][len("'nonce-") : -1]


def test_html_page_has_a_strict_nonce_policy(client: TestClient) -> None:
    r = client.get("/login")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "same-origin"
    assert "strict-transport-security" not in r.headers  # env=test
    csp = policy(r.headers["content-security-policy"])
    nonce = nonce_of(csp)
    assert len(nonce) >= 16
    assert csp["script-src"] == ["'self'", f"'nonce-{nonce}'"]
    assert csp["default-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'", "'unsafe-inline'"]
    assert csp["img-src"] == ["'self'", "data:", "blob:"]  # no tile server configured
    assert csp["connect-src"] == ["'self'"]
    assert csp["font-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["form-action"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["report-uri"] == ["/csp-report"]
    for directive, sources in csp.items():
        if directive != "style-src":
            assert "'unsafe-inline'" not in sources and "'unsafe-eval'" not in sources


def test_nonce_is_new_for_every_response(client: TestClient) -> None:
    nonces = {
        nonce_of(policy(client.get("/login").headers["content-security-policy"])) for _ in range(3)
    }
    assert len(nonces) == 3


def test_json_and_static_responses_carry_the_headers(client: TestClient) -> None:
    for r in (
        client.get("/healthz"),
        client.get("/wall/data"),  # 401 JSON
        client.get("/static/ioc.js"),
    ):
        assert r.headers["x-content-type-options"] == "nosniff", r.url
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["referrer-policy"] == "same-origin"
        assert "strict-transport-security" not in r.headers
    assert client.get("/healthz").headers["content-type"].startswith("application/json")


def test_error_pages_have_the_policy_too(client: TestClient) -> None:
    r = client.get("/public/air/KHONG-CO", headers={"Accept": "text/html"})
    assert r.status_code == 404 and "<html" in r.text
    assert nonce_of(policy(r.headers["content-security-policy"]))


AppWith = Callable[..., TestClient]


@pytest.fixture
def app_with(settings: Settings, engine: Engine) -> AppWith:
    """``app_with(**overrides)``: a test client of the app under other settings."""

    def make(**overrides: object) -> TestClient:
        return TestClient(create_app(settings.model_copy(update=overrides), engine))

    return make


def test_hsts_only_in_production(app_with: AppWith) -> None:
    production = app_with(env="production", secret_key="a-long-random-production-secret-0123456789")
    for path in ("/login", "/healthz"):
        assert (
            production.get(path).headers["strict-transport-security"]
            == "max-age=31536000; includeSubDomains"
        )
    development = app_with(env="development")
    assert "strict-transport-security" not in development.get("/login").headers


def test_tile_server_is_allowed_for_images_only(app_with: AppWith) -> None:
    client = app_with(map_tile_url="https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png")
    csp = policy(client.get("/login").headers["content-security-policy"])
    assert csp["img-src"] == ["'self'", "data:", "blob:", "https://*.tile.openstreetmap.org"]
    assert csp["connect-src"] == ["'self'"] and csp["script-src"][0] == "'self'"


@pytest.mark.parametrize(
    ("url", "source"),
    [
        ("", None),
        ("/tiles/{z}/{x}/{y}.png", None),
        ("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png", "https://*.tile.openstreetmap.org"),
        ("https://tiles.daklak.gov.vn/osm/{z}/{x}/{y}.png", "https://tiles.daklak.gov.vn"),
        ("http://10.0.0.5:8080/tiles/{z}/{x}/{y}{r}.png", "http://10.0.0.5:8080"),
        ("https://tile-{s}.example.vn/{z}/{x}/{y}.png", "https://*.example.vn"),
        ("javascript:alert(1)", None),
    ],
)
def test_tile_source(url: str, source: str | None) -> None:
    assert security.tile_source(url) == source


def test_templates_put_the_nonce_on_every_inline_script() -> None:
    templates = [
        *(SRC / "web" / "templates").rglob("*.html"),
        *(SRC / "packs").glob("*/templates/**/*.html"),
    ]
    missing = []
    for path in sorted(templates):
        for match in SCRIPT_TAG.finditer(path.read_text(encoding="utf-8")):
            attrs = match.group(1)
            if re.search(r"\bsrc\s*=", attrs):
                continue
            if 'nonce="{{ csp_nonce }}"' not in attrs:
                missing.append(f"{path.relative_to(SRC)}: {match.group(0)}")
    assert missing == []


def test_every_inline_script_in_every_page_carries_the_response_nonce(
    client: TestClient, make_user: Callable[..., str], station: str
) -> None:
    """Every page an admin can open without parameters (plus station pages): each inline
    ``<script>`` carries exactly the nonce of that response's policy, and no tag has an inline
    event handler."""
    password = make_user("quan.tri", role="admin")
    login(client, "quan.tri", password)
    paths = [
        *plain_get_paths(client.app),
        f"/environment/stations/{station}",
        f"/public/air/{station}",
        "/api/docs",
    ]
    checked, with_inline = [], []
    problems: list[str] = []
    for path in paths:
        r = client.get(path)
        if r.status_code != 200 or not r.headers.get("content-type", "").startswith("text/html"):
            continue
        csp = policy(r.headers["content-security-policy"])
        nonce = nonce_of(csp)
        checked.append(path)
        inline = 0
        for match in SCRIPT_TAG.finditer(r.text):
            attrs = match.group(1)
            if re.search(r"\bsrc\s*=", attrs):
                continue
            inline += 1
            found = NONCE_ATTR.search(attrs)
            if found is None or found.group(1) != nonce:
                problems.append(f"{path}: {match.group(0)}")
        if inline:
            with_inline.append(path)
        if EVENT_ATTR.search(r.text):
            problems.append(f"{path}: inline event handler {EVENT_ATTR.search(r.text)}")
    assert problems == []
    # The walk saw the pages it is meant to check (a broken route walk would pass vacuously).
    assert len(checked) >= 40, checked
    for expected in ("/environment", "/public/air", "/wall", "/traffic", "/api/docs"):
        assert expected in with_inline, (expected, with_inline)


def test_api_docs_page_loads_nothing_from_outside(client: TestClient) -> None:
    """Swagger UI comes from the vendored swagger-ui-dist; the page's policy is the usual one."""
    r = client.get("/api/docs")
    assert r.status_code == 200
    csp = policy(r.headers["content-security-policy"])
    nonce = nonce_of(csp)
    assert f'<script nonce="{nonce}">' in r.text
    assert "http" not in " ".join(csp["script-src"] + csp["style-src"] + csp["img-src"])
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in r.text
    assert "cdn." not in r.text and "validatorUrl" in r.text
    assert client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200


# ------------------------------------------------------------------ /csp-report

REPORT = {
    "document-uri": "http://ioc.local/wall",
    "violated-directive": "script-src-elem",
    "effective-directive": "script-src-elem",
    "blocked-uri": "inline",
    "line-number": 12,
    "script-sample": "alert(1)",
    "original-policy": "default-src 'self'",
}


def test_csp_report_accepts_the_three_formats_without_login(client: TestClient) -> None:
    store = client.app.state.csp_reports  # type: ignore[attr-defined]
    store.clear()
    r = client.post(
        "/csp-report",
        content=json.dumps({"csp-report": REPORT}),
        headers={"Content-Type": "application/csp-report"},
    )
    assert r.status_code == 204
    reporting_api = [
        {
            "type": "csp-violation",
            "url": "http://ioc.local/environment",
            "body": {
                "documentURL": "http://ioc.local/environment",
                "effectiveDirective": "script-src-elem",
                "blockedURL": "inline",
                "sample": "x()",
                "disposition": "enforce",
            },
        }
    ]
    r = client.post(
        "/csp-report",
        content=json.dumps(reporting_api),
        headers={"Content-Type": "application/reports+json"},
    )
    assert r.status_code == 204
    assert client.post("/csp-report", json={"blocked-uri": "eval"}).status_code == 204
    reports = list(store)
    assert [r.get("blocked-uri") or r.get("blockedURL") for r in reports] == [
        "inline",
        "inline",
        "eval",
    ]
    assert reports[0]["document-uri"] == "http://ioc.local/wall"
    assert reports[1]["type"] == "csp-violation" and reports[1]["sample"] == "x()"


def test_csp_report_is_capped_and_never_fails(client: TestClient) -> None:
    store = client.app.state.csp_reports  # type: ignore[attr-defined]
    store.clear()
    huge = {"csp-report": {**REPORT, "script-sample": "x" * (security.MAX_REPORT_BYTES + 10)}}
    assert client.post("/csp-report", json=huge).status_code == 413
    assert client.post("/csp-report", content=b"{not json").status_code == 400
    assert client.post("/csp-report", content=b"").status_code == 400
    assert client.post("/csp-report", json=[1, "x", None, {"csp-report": 3}]).status_code == 204
    assert client.post("/csp-report", content="\xff".encode("latin-1")).status_code == 400
    assert list(store) == []
    long_value = {"csp-report": {**REPORT, "script-sample": "y" * 5000}}
    assert client.post("/csp-report", json=long_value).status_code == 204
    assert len(store[0]["script-sample"]) == 500
    for _ in range(security.KEEP_REPORTS + 5):
        client.post("/csp-report", json={"csp-report": REPORT})
    assert len(store) == security.KEEP_REPORTS
    assert client.get("/csp-report").status_code == 405
