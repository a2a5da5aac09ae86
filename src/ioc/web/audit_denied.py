"""Every write refused with 403 to a signed-in caller leaves an audit row.

The owner checks of :mod:`ioc.core.ownership` write a detailed row (the owners refused); the
older checks (alerts, field reports, reports, tasks, submissions, CSRF) answer 403 on their own.
This middleware writes a plain ``access.denied`` row for those, so an admin sees every attempt to
change what is not the caller's, whichever door it came through.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ioc.core import audit, ownership

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


async def audit_denied_writes(request: Request, call_next: Any) -> Response:
    """Middleware: an ``access.denied`` audit row for a 403 answer to a signed-in writer."""
    if request.method not in WRITE_METHODS:
        response: Response = await call_next(request)
        return response
    recorded = ownership.track_denials()
    response = await call_next(request)
    if response.status_code != 403 or recorded:
        return response
    principal = getattr(request.state, "principal", None)
    if principal is None or getattr(principal, "user", None) is None:
        return response
    with request.app.state.sessionmaker() as session, session.begin():
        audit.record(
            session,
            principal.actor,
            "access.denied",
            "http",
            None,
            method=request.method,
            path=request.url.path[:300],
        )
    return response
