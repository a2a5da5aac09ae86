"""Notification layer of alerting (Grafana / Alertmanager semantics).

Alerts (``ioc.engines.alerting.models.Alert``) are routed through a policy tree to contact
points, grouped, timed (group_wait / group_interval / repeat_interval), silenced, muted by
time intervals or inhibited, and written to an outbox that a delivery job sends (e-mail,
webhook, in-app) at least once.

Periodic jobs (schedule both, e.g. every 10 s; each is safe to run concurrently with itself):

* :func:`dispatch_job` — one dispatcher tick (routes alerts, writes outbox rows when due);
* :func:`deliver_job` — delivers due outbox rows with retries.

Messages that are not alerts (a citizen told of their report's progress) go through the same
outbox with :func:`enqueue_message`; SMS / Zalo OA senders plug in with
:func:`register_text_sender` (see ``channels``).

Start-up: :func:`ensure_config` loads ``IOC_NOTIFY_CONFIG_FILE`` or, into an empty
configuration, the packaged default ``ioc/data/notifications.yaml``.
"""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from ioc.core import clock
from ioc.engines.alerting.notify.channels import (
    LoggingTextSender,
    TextSender,
    register_text_sender,
    text_sender,
    unregister_text_sender,
)
from ioc.engines.alerting.notify.config import ConfigError, ConfigResult, ensure_config, load_config
from ioc.engines.alerting.notify.delivery import (
    DeliveryStats,
    dead_records,
    deliver_due,
    retry_outbox,
)
from ioc.engines.alerting.notify.direct import channel_available, enqueue_message
from ioc.engines.alerting.notify.dispatch import dispatch
from ioc.engines.alerting.notify.inbox import mark_read, unread, unread_count
from ioc.engines.alerting.notify.policy import ResolvedRoute, route
from ioc.engines.alerting.notify.silences import create_silence, expire_silence
from ioc.settings import Settings

__all__ = [
    "ConfigError",
    "ConfigResult",
    "DeliveryStats",
    "LoggingTextSender",
    "ResolvedRoute",
    "TextSender",
    "channel_available",
    "create_silence",
    "dead_records",
    "deliver_due",
    "deliver_job",
    "dispatch",
    "dispatch_job",
    "enqueue_message",
    "ensure_config",
    "expire_silence",
    "load_config",
    "mark_read",
    "register_text_sender",
    "retry_outbox",
    "route",
    "text_sender",
    "unread",
    "unread_count",
    "unregister_text_sender",
]


def dispatch_job(factory: sessionmaker[Session], settings: Settings) -> int:
    """Periodic job: one dispatcher tick now, in its own transaction; returns rows written."""
    now = clock.now()
    with factory() as session, session.begin():
        return dispatch(session, now, public_url=settings.public_url)


def deliver_job(factory: sessionmaker[Session], settings: Settings) -> DeliveryStats:
    """Periodic job: deliver every due outbox row now."""
    return deliver_due(factory, clock.now(), settings)
