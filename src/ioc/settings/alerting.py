"""Alerting settings: the job scheduler and alert evaluation, mail (SMTP) and the delivery of
notifications."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class AlertingSettings(BaseModel):
    """The job scheduler, alert evaluation, mail and notification delivery."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    scheduler: Literal["thread", "off"] = "thread"
    """Periodic jobs (alert evaluation, notifications): ``thread`` runs the scheduler inside the
    web process; several processes elect one runner through a database lease. ``off`` leaves
    them to another process (``ioc worker``)."""

    scheduler_lease_seconds: float = Field(default=30.0, ge=5)
    """Scheduler lease: a runner that stops renewing it is replaced after this many seconds."""

    alert_tick_seconds: float = Field(default=10.0, ge=0.5)
    """How often the scheduler looks for alert rules due for evaluation (each rule also has its
    own interval, 60 s by default)."""

    smtp_host: str = "127.0.0.1"
    """SMTP server that alert e-mails are handed to."""

    smtp_port: int = 25
    """SMTP server port (25 plain or STARTTLS, 587 submission with STARTTLS)."""

    smtp_from: str = "ioc@localhost"
    """Sender address of alert e-mails, e.g. ``"IOC Đắk Lắk <ioc@daklak.gov.vn>"``."""

    smtp_username: str = ""
    """User name for SMTP authentication; empty sends without logging in."""

    smtp_password: str = ""
    """Password for SMTP authentication."""

    smtp_starttls: bool = False
    """Upgrade the SMTP connection with STARTTLS before sending (and before logging in)."""

    notify_max_attempts: int = Field(default=0, ge=0)
    """Optional cap on delivery attempts of one notification (0, the default: no cap, the
    retry window ``IOC_NOTIFY_RETRY_HOURS`` decides). Retries back off exponentially: 30 s,
    1 min, 2 min, 4 min … at most 1 h apart."""

    notify_retry_hours: float = Field(default=24.0, gt=0, le=24 * 30)
    """How long a notification that cannot be delivered is retried, in hours from its first
    failed attempt (about 30 attempts in a day), before it is marked dead. Any dead
    notification raises the alert ``ops.notify_dead`` for the administrators."""

    notify_timeout_s: float = 10.0
    """Timeout in seconds of one webhook call or SMTP conversation."""

    notify_lease_s: int = Field(default=30, ge=5, le=3600)
    """Lease of a claimed notification, in seconds: a delivery worker renews it every third of
    this while it sends, so a worker that crashes holds its messages at most this long before
    another worker delivers them (at-least-once)."""

    notify_config_file: str = ""
    """YAML file of contact points, policies and mute timings loaded at start-up; empty loads
    the packaged default (``ioc/data/notifications.yaml``) only into an empty configuration."""
