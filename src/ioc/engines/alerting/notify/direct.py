"""Messages to one person that are not alerts: a citizen told of their field report's
progress, for instance. :func:`enqueue_message` is the public way for a pack to send one: it
writes one outbox row that the delivery job sends like any notification (at least once, with
retries), to the addresses given here rather than to a contact point.

The row's ``contact_point`` is ``@<source>`` (``@field_reports``), so the outbox page tells
these messages apart without showing the recipient; its ``summary`` is the subject, which must
not hold personal data either.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from ioc.engines.alerting.notify.channels import TEXT_CHANNELS, text_sender
from ioc.engines.alerting.notify.models import EMAIL, Outbox

DIRECT_PREFIX = "@"
CHANNELS: tuple[str, ...] = (EMAIL, *TEXT_CHANNELS)


def channel_available(channel: str) -> bool:
    """Whether messages can be sent on ``channel`` (e-mail always; a text channel once a
    sender is registered for it)."""
    return channel == EMAIL or (channel in TEXT_CHANNELS and text_sender(channel) is not None)


def enqueue_message(
    session: Session,
    *,
    channel: str,
    to: Sequence[str],
    subject: str,
    text: str,
    source: str,
    reference: str,
    now: datetime,
    html: str | None = None,
) -> Outbox:
    """Queue one message on ``channel`` (``email``, ``sms``, ``zalo``) to ``to``, in the
    caller's transaction (sent after it commits). Raises ``ValueError`` for an unknown or
    unavailable channel or no recipient."""
    recipients = [r.strip() for r in to if r and r.strip()]
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    if not channel_available(channel):
        raise ValueError(f"no sender installed for {channel!r}")
    if not recipients:
        raise ValueError("no recipient")
    payload: dict[str, object] = {
        "channel": channel,
        "to": recipients,
        "subject": subject,
        "text": text,
        "reference": reference,
    }
    if html:
        payload["html"] = html
    row = Outbox.pending(f"{DIRECT_PREFIX}{source}"[:120], channel, payload, subject, now)
    session.add(row)
    session.flush()
    return row
