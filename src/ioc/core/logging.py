"""Structured logging (structlog): console text for people, JSON lines for collectors."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any
from urllib.parse import unquote_plus

import structlog

# Query parameters whose values are credentials: masked in every logged URL (the uvicorn access
# log, structlog events). Names are compared without case; any name holding token, secret or
# password, or ending in key, counts too (refresh_token, client_secret, x-api-key …).
SECRET_PARAMS = frozenset({"api_key", "token", "access_token", "secret", "password", "key"})
_PARAM = re.compile(r"([?&;])([^=&;#\s]+)=([^&;#\s\"']+)")


def _secret_name(name: str) -> bool:
    lowered = unquote_plus(name).lower()
    return (
        lowered in SECRET_PARAMS
        or any(word in lowered for word in ("token", "secret", "password", "passwd"))
        or lowered.endswith(("_key", "-key", "apikey"))
    )


def redact_url(text: str) -> str:
    """``text`` with the value of every credential query parameter replaced by ``***``
    (``/open311/v2/requests.json?api_key=ioc_…&lang=vi`` → ``…?api_key=***&lang=vi``)."""
    if "=" not in text:
        return text
    return _PARAM.sub(
        lambda m: f"{m[1]}{m[2]}=***" if _secret_name(m[2]) else m[0],
        text,
    )


def _redact_event(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: mask credentials in every URL-like string value of an event."""
    for name, value in event.items():
        if isinstance(value, str) and "=" in value:
            event[name] = redact_url(value)
    return event


class RedactUrls(logging.Filter):
    """Logging filter for the standard library's loggers (uvicorn's access log): credentials in
    the URLs of a record's arguments are masked before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact_url(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        if isinstance(record.msg, str):
            record.msg = redact_url(record.msg)
        return True


# Loggers that write request URLs: the access log of uvicorn (``ioc serve``).
URL_LOGGERS = ("uvicorn.access",)


class _CurrentStderr:
    """Writes to whatever ``sys.stderr`` is at the time of writing: a logger configured while
    stderr was temporarily replaced (a CLI runner, a test's capture) must not keep writing to
    that closed stream afterwards."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(settings: Any) -> None:
    """Configure structlog and the standard library's root logger from the settings."""
    level = getattr(logging, str(settings.log_level).upper(), logging.INFO)
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if settings.log_json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            _redact_event,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=_CurrentStderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )
    for name in URL_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactUrls) for f in logger.filters):
            logger.addFilter(RedactUrls())
