"""HTTP security headers: Content-Security-Policy with a per-request nonce, and CSP reports.

Every HTML page is served with a policy that runs only our own script files and the inline
``<script nonce="{{ csp_nonce }}">`` blocks of our templates: an injected ``<script>``, an
``onerror=`` attribute or a ``javascript:`` URL does not run even if markup slipped through.
The nonce is made per request by the ``security_headers`` middleware (``ioc.app``), kept on
``request.state.csp_nonce`` and given to every template as ``csp_nonce``.

Browsers report violations to ``POST /csp-report`` (public, size-capped): each is logged at
warning level and the last :data:`KEEP_REPORTS` are kept on ``app.state.csp_reports``.
"""

from __future__ import annotations

import secrets
from collections import deque
from typing import Any
from urllib.parse import urlsplit

import orjson
import structlog
from fastapi import APIRouter, Request
from fastapi.responses import Response

from ioc.settings import Settings
from ioc.web.deps import Public

log = structlog.get_logger(__name__)

router = APIRouter(include_in_schema=False)


REPORT_PATH = "/csp-report"
MAX_REPORT_BYTES = 64 * 1024
KEEP_REPORTS = 200
HSTS = "max-age=31536000; includeSubDomains"
# Fields of a report worth keeping (CSP level 2 "csp-report" names and Reporting API names).
REPORT_FIELDS = (
    "document-uri",
    "documentURL",
    "violated-directive",
    "effective-directive",
    "effectiveDirective",
    "blocked-uri",
    "blockedURL",
    "source-file",
    "sourceFile",
    "line-number",
    "lineNumber",
    "column-number",
    "columnNumber",
    "script-sample",
    "sample",
    "disposition",
    "status-code",
    "statusCode",
    "referrer",
    "original-policy",
)


def new_nonce() -> str:
    """A fresh CSP nonce (128 random bits, URL-safe base64)."""
    return secrets.token_urlsafe(16)


def tile_source(url: str) -> str | None:
    """The CSP source of a Leaflet tile URL template (``https://{s}.tile.osm.org/{z}/…`` gives
    ``https://*.tile.osm.org``); ``None`` for an empty or relative URL (covered by ``'self'``)."""
    if not url:
        return None
    parts = urlsplit(url.replace("{s}", "x"))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    host = parts.netloc.rsplit("@", 1)[-1]
    if "{s}" in url.split("//", 1)[-1].split("/", 1)[0]:
        # The subdomain placeholder: any subdomain of the rest ("*." must lead).
        host = "*." + host.split(".", 1)[1] if "." in host else host
    if "{" in host or "}" in host:
        return f"{parts.scheme}:"  # another placeholder in the host: the scheme is all we know
    return f"{parts.scheme}://{host}"


def content_security_policy(
    settings: Settings, nonce: str, extra: dict[str, tuple[str, ...]] | None = None
) -> str:
    """The policy of an HTML page; ``extra`` adds sources to directives (e.g. a CDN)."""
    img = ["'self'", "data:", "blob:"]
    tiles = tile_source(settings.map_tile_url)
    if tiles:
        img.append(tiles)
    directives: dict[str, list[str]] = {
        "default-src": ["'self'"],
        "script-src": ["'self'", f"'nonce-{nonce}'"],
        # Leaflet and ECharts position their elements with style attributes.
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": img,
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    for name, sources in (extra or {}).items():
        directives.setdefault(name, []).extend(sources)
    parts = [f"{name} {' '.join(sources)}" for name, sources in directives.items()]
    parts.append(f"report-uri {REPORT_PATH}")
    return "; ".join(parts)


def apply_headers(response: Response, settings: Settings, nonce: str) -> None:
    """Set the security headers on ``response`` (a route's own CSP is kept)."""
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    if settings.env == "production":
        headers.setdefault("Strict-Transport-Security", HSTS)
    if headers.get("content-type", "").startswith("text/html"):
        headers.setdefault("Content-Security-Policy", content_security_policy(settings, nonce))


def reports_store(request: Request) -> deque[dict[str, Any]]:
    """The application's last CSP reports (created on first use)."""
    store: deque[dict[str, Any]] | None = getattr(request.app.state, "csp_reports", None)
    if store is None:
        store = deque(maxlen=KEEP_REPORTS)
        request.app.state.csp_reports = store
    return store


def _clip(value: Any) -> Any:
    if isinstance(value, str):
        return value[:500]
    if isinstance(value, bool | int | float) or value is None:
        return value
    return str(value)[:500]


def _normalise(doc: Any) -> list[dict[str, Any]]:
    """The reports in a body: ``{"csp-report": {...}}`` (report-uri), a list of Reporting API
    reports ``[{"type": "csp-violation", "body": {...}}]``, or one report object."""
    items = doc if isinstance(doc, list) else [doc]
    out: list[dict[str, Any]] = []
    for item in items[:20]:
        if not isinstance(item, dict):
            continue
        body = item.get("csp-report", item.get("body", item))
        if not isinstance(body, dict):
            continue
        report = {key: _clip(body[key]) for key in REPORT_FIELDS if key in body}
        if item.get("type"):
            report["type"] = _clip(item["type"])
        if report:
            out.append(report)
    return out


async def _read_capped(request: Request) -> bytes | None:
    """The request body, or ``None`` when it is larger than :data:`MAX_REPORT_BYTES`."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_REPORT_BYTES:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_REPORT_BYTES:
            return None
    return bytes(body)


@router.post(REPORT_PATH, status_code=204)
async def csp_report(request: Request, principal: Public) -> Response:
    """Receive a browser's CSP violation report (``application/csp-report``,
    ``application/reports+json`` or JSON): logged and kept in memory, never an error page."""
    try:
        body = await _read_capped(request)
        if body is None:
            return Response(status_code=413)
        try:
            reports = _normalise(orjson.loads(body))
        except orjson.JSONDecodeError:
            return Response(status_code=400)
        store = reports_store(request)
        for report in reports:
            store.append(report)
            log.warning("csp_violation", **{k.replace("-", "_"): v for k, v in report.items()})
    except Exception:  # a report must never cost a 500 (or a stack trace in the log)
        log.warning("csp_report_unreadable", path=request.url.path)
        return Response(status_code=400)
    return Response(status_code=204)
