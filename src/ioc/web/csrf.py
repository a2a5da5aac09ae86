"""CSRF protection for forms: signed double-submit token (OWASP's recommended variant).

The ``ioc_csrf`` cookie holds a random nonce; forms carry ``nonce.signature`` where the signature
is an HMAC of the nonce with ``IOC_SECRET_KEY``. A cross-site page can neither read the cookie nor
forge a signature, and a cookie planted from a sibling domain is useless without the secret.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated

from fastapi import Form, HTTPException, Request

CSRF_COOKIE = "ioc_csrf"
# The hidden ``csrf_token`` field of every form, as a route parameter: ``csrf_token: CsrfField``.
CsrfField = Annotated[str, Form(max_length=128)]
# What a refused form answers (403) when the page has no form of its own to show again.
STALE_FORM = "Phiên biểu mẫu hết hạn, tải lại trang / stale form"


def _sign(secret: str, nonce: str) -> str:
    return hmac.new(secret.encode(), nonce.encode(), hashlib.sha256).hexdigest()[:32]


def nonce_for(request: Request) -> str:
    """The nonce of this visitor (from the cookie, or a new one the response must set)."""
    nonce: str | None = getattr(request.state, "csrf_nonce", None)
    if nonce is None:
        cookie = request.cookies.get(CSRF_COOKIE, "")
        nonce = cookie if 16 <= len(cookie) <= 64 else secrets.token_urlsafe(24)
        request.state.csrf_nonce = nonce
    return nonce


def form_token(request: Request) -> str:
    """The token to put in a form's hidden ``csrf_token`` field."""
    nonce = nonce_for(request)
    return f"{nonce}.{_sign(request.app.state.settings.secret_key, nonce)}"


def valid(request: Request, token: str | None) -> bool:
    """Whether a submitted form token matches this visitor's cookie and our signature."""
    cookie = request.cookies.get(CSRF_COOKIE)
    if not cookie or not token or "." not in token:
        return False
    nonce, _, signature = token.rpartition(".")
    expected = _sign(request.app.state.settings.secret_key, cookie)
    return hmac.compare_digest(nonce, cookie) and hmac.compare_digest(signature, expected)


def check(
    request: Request, token: str | None, *, status: int = 403, detail: str = STALE_FORM
) -> None:
    """Refuse a form whose token is not valid for this visitor: raise ``HTTPException`` (403,
    "stale form" unless a page keeps its own older answer). For pages that show the form again
    with the reason instead, test :func:`valid` and render."""
    if not valid(request, token):
        raise HTTPException(status, detail)
