"""Text channels (SMS, Zalo OA …): the interface a sender plugs into, and its registry.

E-mail, webhooks and the in-app inbox are built in; a text message needs a provider's gateway
(a telecom's SMS brandname API, Zalo Official Account's API), with contracts and credentials
that differ per province. A deployment supplies one object per channel with a ``send`` method
(:class:`TextSender`) and registers it at start-up::

    from ioc.engines.alerting import notify
    notify.register_text_sender("sms", MyBrandnameSms(api_key=...))

Messages for that channel then go through the outbox like any notification (claimed, sent,
retried with backoff, dead after ``IOC_NOTIFY_MAX_ATTEMPTS``). Without a registered sender a
channel is unavailable and nothing is queued for it. :class:`LoggingTextSender` is the demo's:
it writes a log line (recipients masked) and sends nothing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

log = logging.getLogger(__name__)

TEXT_CHANNELS: tuple[str, ...] = ("sms", "zalo")


@runtime_checkable
class TextSender(Protocol):
    """Sends one short text to one or more recipients (phone numbers for SMS, Zalo user ids
    for Zalo OA). Raise :class:`ioc.engines.alerting.notify.delivery.DeliveryError` (with
    ``permanent=True`` for a refused recipient) or any exception (retried) when it fails."""

    def send(self, recipients: Sequence[str], text: str, *, reference: str) -> None:
        """Hand the message to the provider; ``reference`` names what it is about
        (e.g. a field report's code), for the provider's logs."""


_senders: dict[str, TextSender] = {}
_lock = threading.Lock()


def register_text_sender(channel: str, sender: TextSender) -> None:
    """Install ``sender`` for ``channel`` (``sms`` or ``zalo``), replacing any other."""
    if channel not in TEXT_CHANNELS:
        raise ValueError(f"unknown text channel {channel!r}; one of {TEXT_CHANNELS}")
    if not isinstance(sender, TextSender):
        raise TypeError("a text sender needs a send(recipients, text, *, reference) method")
    with _lock:
        _senders[channel] = sender


def unregister_text_sender(channel: str) -> None:
    """Remove the sender of ``channel`` (the channel is then unavailable)."""
    with _lock:
        _senders.pop(channel, None)


def text_sender(channel: str) -> TextSender | None:
    """The sender installed for ``channel``, if any."""
    with _lock:
        return _senders.get(channel)


def mask(recipient: str) -> str:
    """``09••••3456``: enough to tell recipients apart in a log, not enough to call them."""
    if len(recipient) <= 6:
        return "•" * len(recipient)
    return f"{recipient[:2]}{'•' * (len(recipient) - 6)}{recipient[-4:]}"


class LoggingTextSender:
    """The demo's sender: logs that a message *would* go out (recipients masked) and sends
    nothing. Never install it in production: the outbox would show the message as sent."""

    def __init__(self, channel: str) -> None:
        self.channel = channel

    def send(self, recipients: Sequence[str], text: str, *, reference: str) -> None:
        """Log the message instead of sending it."""
        log.info(
            "demo %s (not sent) to %s about %s: %d characters",
            self.channel,
            ", ".join(mask(r) for r in recipients),
            reference,
            len(text),
        )
