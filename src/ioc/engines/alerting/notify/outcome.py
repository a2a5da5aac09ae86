"""What became of a notification, for people: the alert timeline says *queued*, *sent at …* or
*failed: <short reason>* instead of "sent" the moment a message was queued.

:func:`delivery_of` reads the outbox rows the ``notified`` timeline entries point at;
:func:`reason_key` turns the delivery error kept in ``Outbox.last_error`` (library text, for
administrators) into the key of a short Vietnamese/English reason everyone can read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.engines.alerting.notify.models import DEAD, EMAIL, PENDING, SENDING, SENT, Outbox

# (pattern of the error text, reason key) — the first that matches wins.
_REASONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"refused URL|URL webhook bị từ chối", re.I), "blocked"),
    (re.compile(r"ConnectionRefused|Connection refused|Errno 111", re.I), "refused"),
    (re.compile(r"timed out|Timeout", re.I), "timeout"),
    (re.compile(r"gaierror|Name or service not known|getaddrinfo|nodename", re.I), "no_host"),
    (re.compile(r"recipients refused|từ chối người nhận", re.I), "recipients"),
    (re.compile(r"SMTPAuthentication|authentication", re.I), "auth"),
    (
        re.compile(r"no addresses|no recipients|không có địa chỉ|không có người nhận", re.I),
        "no_target",
    ),
    (re.compile(r"disabled|đang tắt", re.I), "disabled"),
    (re.compile(r"no longer exists|Không còn điểm nhận", re.I), "gone"),
    (re.compile(r"certificate|SSL|TLS", re.I), "tls"),
    (re.compile(r"^HTTP [45]\d\d"), "http"),
)


def reason_key(error: str | None) -> str:
    """Key (``alerts.delivery.reason.<key>``) of the short reason of a failed delivery."""
    text = error or ""
    for pattern, key in _REASONS:
        if pattern.search(text):
            return key
    return "other"


@dataclass(frozen=True)
class Delivery:
    """Where one notification stands: ``queued`` (not tried yet), ``sending``, ``sent``,
    ``retrying`` (failed, will be tried again at ``next_attempt_at``) or ``failed`` (given
    up). ``error`` is the raw error text, for administrators."""

    state: str
    attempts: int
    sent_at: datetime | None
    next_attempt_at: datetime | None
    reason: str | None
    error: str | None
    http_status: str | None = None


def _state(row: Outbox) -> str:
    if row.status == SENT:
        return "sent"
    if row.status == DEAD:
        return "failed"
    if row.status == SENDING:
        return "sending"
    if row.status == PENDING and row.attempts > 0:
        return "retrying"
    return "queued"


def _reason(row: Outbox) -> str:
    key = reason_key(row.last_error)
    # A mail server is named as such; a webhook's receiver is "the receiving server".
    return f"{key}_mail" if row.kind == EMAIL and key in _MAIL_SPECIFIC else key


_MAIL_SPECIFIC = frozenset({"refused", "timeout", "no_host"})


def delivery_of(session: Session, outbox_ids: Iterable[int]) -> dict[int, Delivery]:
    """``{outbox id: Delivery}`` of the given outbox rows (missing rows are left out)."""
    wanted = {int(i) for i in outbox_ids}
    if not wanted:
        return {}
    out: dict[int, Delivery] = {}
    for row in session.execute(select(Outbox).where(Outbox.id.in_(wanted))).scalars():
        state = _state(row)
        failed = state in ("retrying", "failed") or (state == "sending" and row.last_error)
        http = re.match(r"HTTP (\d{3})", row.last_error or "")
        out[row.id] = Delivery(
            state=state,
            attempts=row.attempts,
            sent_at=row.sent_at,
            next_attempt_at=row.next_attempt_at if state == "retrying" else None,
            reason=_reason(row) if failed else None,
            error=row.last_error if failed else None,
            http_status=http.group(1) if http else None,
        )
    return out
