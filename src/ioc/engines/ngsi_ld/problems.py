"""NGSI-LD errors as RFC 7807 ProblemDetails (ETSI GS CIM 009, clause 5.5.2)."""

from __future__ import annotations

from typing import Any

ERRORS_BASE = "https://uri.etsi.org/ngsi-ld/errors/"

#: Problem type → (title, default HTTP status).
KINDS: dict[str, tuple[str, int]] = {
    "InvalidRequest": ("Invalid request", 400),
    "BadRequestData": ("Bad request data", 400),
    "AlreadyExists": ("Already exists", 409),
    "ResourceNotFound": ("Resource not found", 404),
    "OperationNotSupported": ("Operation not supported", 422),
    "LdContextNotAvailable": ("@context not available", 504),
    "NonexistentTenant": ("Nonexistent tenant", 404),
    "TooManyResults": ("Too many results", 403),
}

#: Statuses with no NGSI-LD problem type: RFC 7807 ``about:blank`` with the reason phrase.
PLAIN: dict[int, str] = {
    401: "Unauthorized",
    403: "Forbidden",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    500: "Internal Server Error",
}

PROBLEM_CONTENT_TYPE = "application/problem+json"


def problem_media_type(accept: str | None) -> str:
    """The content type of an error (clause 5.5.3): ``application/json`` when the request's
    ``Accept`` names it, ``application/problem+json`` otherwise."""
    for part in (accept or "").split(","):
        fields = [f.strip().lower() for f in part.split(";")]
        if fields[0] == "application/json" and "q=0" not in fields:
            return "application/json"
    return PROBLEM_CONTENT_TYPE


def problem(kind: str, detail: str, status: int | None = None) -> dict[str, Any]:
    """A ProblemDetails body: ``type`` URI, ``title``, ``status``, ``detail``.

    ``kind`` is an NGSI-LD problem type (``BadRequestData`` …) or ``about:blank`` for statuses
    the specification gives no type (406, 415, 401 …).
    """
    if kind == "about:blank":
        code = status or 400
        return {"type": kind, "title": PLAIN.get(code, "Error"), "status": code, "detail": detail}
    title, default_status = KINDS.get(kind, (kind, 400))
    return {
        "type": ERRORS_BASE + kind,
        "title": title,
        "status": status or default_status,
        "detail": detail,
    }


class NgsiError(Exception):
    """An NGSI-LD error the web layer turns into a ProblemDetails response."""

    def __init__(self, kind: str, detail: str, status: int | None = None) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.status = status or KINDS.get(kind, (kind, 400))[1]
        if kind == "about:blank" and status is None:
            self.status = 400

    def body(self) -> dict[str, Any]:
        """The ProblemDetails document of this error."""
        return problem(self.kind, self.detail, self.status)


def bad_request(detail: str) -> NgsiError:
    """400 BadRequestData."""
    return NgsiError("BadRequestData", detail)


def invalid_request(detail: str) -> NgsiError:
    """400 InvalidRequest (the request itself is malformed: not JSON, wrong shape)."""
    return NgsiError("InvalidRequest", detail)


def not_found(detail: str) -> NgsiError:
    """404 ResourceNotFound."""
    return NgsiError("ResourceNotFound", detail)


def for_status(status: int, detail: str) -> dict[str, Any]:
    """ProblemDetails for a plain HTTP error raised outside the NGSI-LD handlers (401, 403,
    404 unknown path, 405 …)."""
    kind = {400: "BadRequestData", 404: "ResourceNotFound"}.get(status, "about:blank")
    return problem(kind, detail, status)


def not_acceptable(detail: str) -> NgsiError:
    """406: the Accept header names no representation we produce."""
    return NgsiError("about:blank", detail, 406)


def unsupported_media_type(detail: str) -> NgsiError:
    """415: a request body in a content type other than JSON / JSON-LD."""
    return NgsiError("about:blank", detail, 415)
