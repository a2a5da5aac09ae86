"""Broadcast gateways: how a published warning reaches phones beyond e-mail subscribers.

Two kinds of gateway exist, and the IOC has one interface for each:

* **Per-recipient text** (SMS brandname, Zalo Official Account): the notification engine's
  :class:`ioc.engines.alerting.notify.TextSender` (``send(recipients, text, *, reference)``),
  registered with ``notify.register_text_sender("sms" | "zalo", sender)``; messages go through
  the outbox with retries like every notification.
* **Area broadcast** (cell broadcast through the mobile operators, a provincial loudspeaker or
  alerting hub): :class:`WarningBroadcaster` below. It receives the CAP 1.2 document itself —
  the format those systems take — and the commune codes. A deployment registers one per
  contracted gateway at start-up::

      from ioc.packs.warnings.gateways import register_broadcaster
      register_broadcaster("viettel-cbc", ViettelCellBroadcast(endpoint=..., key=...))

  The pack's job ``warnings.broadcast`` hands every newly published message (alert, update
  or cancel) to each registered broadcaster once, and records when (``broadcast_at``); a
  gateway that raises is tried again at the next run. Without a registered broadcaster
  nothing is sent and nothing is marked.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ioc.core import audit
from ioc.packs.warnings.models import PUBLISHED, WrWarning

log = structlog.get_logger(__name__)


@runtime_checkable
class WarningBroadcaster(Protocol):
    """An area broadcast gateway (cell broadcast, public address system, alerting hub)."""

    def broadcast(self, cap_xml: bytes, *, identifier: str, areas: Sequence[str]) -> None:
        """Hand over one CAP 1.2 message (``Alert``, ``Update`` or ``Cancel``) for the
        communes ``areas`` (GSO codes). Raise any exception when the gateway refused or could
        not be reached: the message is offered again at the next run."""


_broadcasters: dict[str, WarningBroadcaster] = {}
_lock = threading.Lock()


def register_broadcaster(name: str, gateway: WarningBroadcaster) -> None:
    """Install ``gateway`` under ``name`` (replacing one of that name)."""
    if not isinstance(gateway, WarningBroadcaster):
        raise TypeError("a broadcaster needs broadcast(cap_xml, *, identifier, areas)")
    with _lock:
        _broadcasters[name] = gateway


def unregister_broadcaster(name: str) -> None:
    """Remove a gateway."""
    with _lock:
        _broadcasters.pop(name, None)


def broadcasters() -> dict[str, WarningBroadcaster]:
    """The registered gateways by name."""
    with _lock:
        return dict(_broadcasters)


# (session, message) -> (CAP document, commune codes); set by the pack (it needs the geo engine).
Renderer = Callable[[Session, WrWarning], tuple[bytes, list[str]]]


def broadcast_pending(session: Session, now: datetime, render: Renderer) -> int:
    """Offer each published, not yet broadcast message to every gateway; returns how many
    messages all gateways took."""
    gateways = broadcasters()
    if not gateways:
        return 0
    done = 0
    for message in session.scalars(
        select(WrWarning)
        .where(WrWarning.state == PUBLISHED, WrWarning.broadcast_at.is_(None))
        .order_by(WrWarning.approved_at)
        .limit(50)
    ):
        body, areas = render(session, message)
        failed = []
        for name, gateway in gateways.items():
            try:
                gateway.broadcast(body, identifier=message.identifier, areas=areas)
            except Exception as exc:  # a gateway's failure must not stop the others
                log.warning("warning_broadcast_failed", gateway=name, error=type(exc).__name__)
                failed.append(name)
        if not failed:
            message.broadcast_at = now
            audit.record(
                session,
                audit.Actor.system("warnings.broadcast"),
                "warning.broadcast",
                "warning",
                message.id,
                gateways=sorted(gateways),
            )
            done += 1
    return done


def broadcast_job(factory: sessionmaker[Session], now: datetime, render: Renderer) -> str | None:
    """Periodic job body (see the module's docstring)."""
    if not broadcasters():
        return None
    with factory() as session, session.begin():
        n = broadcast_pending(session, now, render)
    return f"{n} bản tin đã chuyển cổng phát" if n else None
