"""Request guards of the JSON APIs (``/api/``, ``/ngsi-ld/``) against cross-site request forgery.

A page on another site can make a signed-in browser send a "simple" request (``text/plain``,
a form encoding, or no ``Content-Type``) with the IOC session cookie, without a CORS preflight.
Two rules close that door; one middleware (:func:`api_guard`) applies them to every write
(POST, PUT, PATCH, DELETE) under the two prefixes:

1. **JSON only.** A body must be ``application/json`` (NGSI-LD also takes
   ``application/ld+json`` and ``application/merge-patch+json``; ``/api/v1/observations`` also
   takes CSV as ``text/csv`` or ``application/csv``); anything else is 415 with a bilingual
   message. A cross-site page cannot send those types without a preflight, which we never allow.
2. **A cookie write proves it comes from the IOC's own pages.** A write authenticated by the
   session cookie (no ``Authorization: Bearer``) needs a same-origin ``Origin`` header (the
   request's own host or ``IOC_PUBLIC_URL``), ``Sec-Fetch-Site: same-origin``, or the signed
   CSRF token of :mod:`ioc.web.csrf` in an ``X-CSRF-Token`` header; otherwise 403 (recorded as
   ``access.denied`` by :mod:`ioc.web.audit_denied` when the cookie belongs to a user).

Machine clients with ``Authorization: Bearer`` are affected by rule 1 only. Page forms (outside
``/api/``) keep their own ``csrf_token`` field, checked by each form's handler.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ioc.web import csrf
from ioc.web.deps import SESSION_COOKIE, principal_outside_route

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
GUARDED_PREFIXES = ("/api/", "/ngsi-ld/")
JSON = "application/json"
CSRF_HEADER = "X-CSRF-Token"

# Media types a door accepts besides application/json, by path prefix (first match wins). A
# file-upload API route would add its prefix here with multipart/form-data.
EXTRA_TYPES: tuple[tuple[str, frozenset[str]], ...] = (
    ("/api/v1/observations", frozenset({"text/csv", "application/csv", "application/ld+json"})),
    ("/ngsi-ld/", frozenset({"application/ld+json", "application/merge-patch+json"})),
)


def accepted_types(path: str) -> tuple[str, ...]:
    """The request media types a write to ``path`` may carry (application/json first)."""
    for prefix, extra in EXTRA_TYPES:
        if path.startswith(prefix):
            return (JSON, *sorted(extra))
    return (JSON,)


def _has_body(request: Request) -> bool:
    length = request.headers.get("content-length")
    return "transfer-encoding" in request.headers or (length is not None and length != "0")


def _without_default_port(netloc: str) -> str:
    netloc = netloc.strip().lower()
    for port in (":80", ":443"):
        if netloc.endswith(port):
            return netloc[: -len(port)]
    return netloc


def same_origin(request: Request) -> bool:
    """Whether the browser says this request comes from the IOC's own pages: ``Sec-Fetch-Site:
    same-origin``, or an ``Origin`` whose host is this request's ``Host`` or the host of
    ``IOC_PUBLIC_URL`` (behind a proxy the Host seen here may be the upstream's)."""
    if request.headers.get("sec-fetch-site", "").lower() == "same-origin":
        return True
    origin = request.headers.get("origin", "").strip()
    if not origin or origin == "null":
        return False
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False
    claimed = _without_default_port(parts.netloc)
    own = {_without_default_port(request.headers.get("host", ""))}
    public_url = str(getattr(request.app.state.settings, "public_url", "") or "")
    if public_url:
        own.add(_without_default_port(urlsplit(public_url).netloc))
    return claimed in own - {""}


def _refuse(request: Request, status: int, detail: str) -> Response:
    if request.url.path.startswith("/ngsi-ld/"):
        from ioc.web.ngsi_ld import http_problem

        return http_problem(status, detail)
    return JSONResponse({"detail": detail}, status)


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


async def api_guard(request: Request, call_next: Any) -> Response:
    """Middleware: the two rules above for writes to ``/api/`` and ``/ngsi-ld/``."""
    path = request.url.path
    if request.method not in WRITE_METHODS or not path.startswith(GUARDED_PREFIXES):
        response: Response = await call_next(request)
        return response
    kind = _media_type(request)
    allowed = accepted_types(path)
    if (kind or _has_body(request)) and kind not in allowed:
        shown = kind or "(không có / none)"
        names = ", ".join(allowed)
        return _refuse(
            request,
            415,
            f"Không hỗ trợ kiểu nội dung {shown}: gửi Content-Type {names} / "
            f"unsupported Content-Type {shown}: send {names}",
        )
    bearer = request.headers.get("authorization", "").lower().startswith("bearer ")
    if not bearer and request.cookies.get(SESSION_COOKIE):
        token = request.headers.get(CSRF_HEADER)
        if not same_origin(request) and not csrf.valid(request, token):
            # Who it was, for the access.denied audit row written by audit_denied_writes.
            await run_in_threadpool(principal_outside_route, request)
            return _refuse(
                request,
                403,
                "Ghi dữ liệu bằng phiên đăng nhập chỉ được từ chính trang IOC (Origin cùng "
                f"nguồn) hoặc kèm mã CSRF trong {CSRF_HEADER}; máy khác dùng Authorization: "
                "Bearer / CSRF: a write with the session cookie needs a same-origin Origin or "
                f"the CSRF token in {CSRF_HEADER}; machine clients use Authorization: Bearer",
            )
    response = await call_next(request)
    return response
