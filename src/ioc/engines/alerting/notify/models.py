"""Notification tables (Alertmanager semantics, see ``shared/domain/alerting.md`` §3.5, §4).

* configuration — :class:`ContactPoint`, :class:`NotificationPolicy` (the routing tree),
  :class:`MuteTiming` (named recurring time intervals), :class:`Silence`,
  :class:`InhibitionRule`;
* state — :class:`NotificationGroup` (one aggregation group per route and group key, with its
  timers and what was last sent), :class:`Outbox` (messages waiting for, or done with,
  delivery), :class:`InAppNotification` and :class:`InAppReceipt` (the in-app inbox).

All dispatch and delivery state lives here, so a restarted process carries on where the last
one stopped.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ioc.core.db import Base
from ioc.core.models import UTCDateTime

# Contact point kinds.
EMAIL = "email"
WEBHOOK = "webhook"
INAPP = "inapp"
CONTACT_KINDS = (EMAIL, WEBHOOK, INAPP)

# Outbox statuses.
PENDING = "pending"
SENDING = "sending"
SENT = "sent"
DEAD = "dead"
OUTBOX_STATUSES = (PENDING, SENDING, SENT, DEAD)


class ContactPoint(Base):
    """Điểm nhận thông báo: where notifications of a policy go (e-mail, webhook, in-app)."""

    __tablename__ = "notify_contact_points"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # email | webhook | inapp
    # email: {"addresses": [...]}; webhook: {"url": "..."};
    # inapp: {"roles": [...], "agencies": [...], "users": [...]}
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    send_resolved: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    title: Mapped[str | None] = mapped_column(String(300))  # display name, e.g. "Trực ban IOC"
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(200), default="system")


class NotificationPolicy(Base):
    """Chính sách thông báo: one node of the routing tree (the root has no parent).

    ``None`` in a setting means "inherit from the parent"; the root's ``None`` falls back to the
    Alertmanager defaults (group by ``alertname``, 30 s / 5 min / 4 h).
    """

    __tablename__ = "notify_policies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("notify_policies.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    # ['severity=~"critical|high"', 'pack="environment"'] (ANDed)
    matchers: Mapped[list[str]] = mapped_column(JSON, default=list)
    contact_point: Mapped[str | None] = mapped_column(String(120))
    # None = inherit, [] = one group for all, ["..."] = every label (no aggregation)
    group_by: Mapped[list[str] | None] = mapped_column(JSON)
    group_wait_s: Mapped[int | None] = mapped_column(Integer)
    group_interval_s: Mapped[int | None] = mapped_column(Integer)
    repeat_interval_s: Mapped[int | None] = mapped_column(Integer)
    continue_matching: Mapped[bool] = mapped_column(Boolean, default=False)
    mute_timings: Mapped[list[str]] = mapped_column(JSON, default=list)
    active_timings: Mapped[list[str]] = mapped_column(JSON, default=list)
    comment: Mapped[str | None] = mapped_column(String(300))


class MuteTiming(Base):
    """Khung giờ: a named set of recurring time intervals (Alertmanager ``time_intervals``),
    used by policies as mute timings or active timings."""

    __tablename__ = "notify_mute_timings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    # [{"times": ["22:00-06:00"], "weekdays": ["monday:friday"], "working_days": true,
    #   "location": "Asia/Ho_Chi_Minh", ...}]
    intervals: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    comment: Mapped[str | None] = mapped_column(String(300))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(200), default="system")


class Silence(Base):
    """Tạm tắt thông báo: label matchers plus a time window; matching alerts send nothing
    (evaluation and the alert pages carry on)."""

    __tablename__ = "notify_silences"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    matchers: Mapped[list[str]] = mapped_column(JSON, default=list)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expired_by: Mapped[str | None] = mapped_column(String(200))


class InhibitionRule(Base):
    """Quy tắc ức chế: while a *source* alert fires, *target* alerts with equal values of the
    ``equal`` labels send nothing (e.g. a power cut mutes "sensor offline" in the same area)."""

    __tablename__ = "notify_inhibition_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    source_matchers: Mapped[list[str]] = mapped_column(JSON, default=list)
    target_matchers: Mapped[list[str]] = mapped_column(JSON, default=list)
    equal: Mapped[list[str]] = mapped_column(JSON, default=list)
    comment: Mapped[str | None] = mapped_column(String(300))


class NotificationGroup(Base):
    """An aggregation group: the alerts one route sends together, with its timers and the
    alerts (and their firing/resolved status) of the last notification."""

    __tablename__ = "notify_groups"
    __table_args__ = (UniqueConstraint("key_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64))  # sha256(route_key + group_key)
    route_key: Mapped[str] = mapped_column(Text)
    group_key: Mapped[str] = mapped_column(Text)
    group_labels: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    contact_point: Mapped[str] = mapped_column(String(120))
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # {"<alert id>": "firing" | "resolved"} as of the last notification
    last_sent_fingerprints: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    next_flush_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class Outbox(Base):
    """Hộp thư đi: one message to one contact point, delivered at least once with retries."""

    __tablename__ = "notify_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_point: Mapped[str] = mapped_column(String(120), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    # Rendered content: email {"subject","text","html"}; webhook {"body": {...}};
    # inapp {"title","body","link"}. The target (addresses, URL, roles) is read from the contact
    # point at delivery, so fixing a wrong address and retrying works.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The delivery run holding the row while it is ``sending`` (its lease is renewed while it
    # sends); and the end of the retry window, set by the first failed attempt.
    claim_token: Mapped[str | None] = mapped_column(String(32))
    give_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    group_id: Mapped[int | None] = mapped_column(Integer)  # NotificationGroup.id (informative)
    summary: Mapped[str] = mapped_column(String(300), default="")  # one line for the UI

    @classmethod
    def pending(
        cls, contact_point: str, kind: str, payload: dict[str, Any], summary: str, now: datetime
    ) -> Outbox:
        """A new message waiting for its first delivery attempt, due at ``now``; ``summary``
        cut to the column's 300 characters (no notification group: set ``group_id`` after)."""
        return cls(
            contact_point=contact_point,
            kind=kind,
            payload=payload,
            status=PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            group_id=None,
            summary=summary[:300],
        )


class InAppNotification(Base):
    """Thông báo trong hệ thống: addressed to a user, to everyone with a role, or to the staff
    of an agency."""

    __tablename__ = "notify_inapp"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str | None] = mapped_column(String(32), index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # First time anyone it is addressed to read it (for a role or agency: "seen by the desk").
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outbox_id: Mapped[int | None] = mapped_column(Integer)


class InAppReceipt(Base):
    """That one user has read one in-app notification (each person has their own unread list,
    also for notifications addressed to a role or an agency)."""

    __tablename__ = "notify_inapp_receipts"
    __table_args__ = (UniqueConstraint("notification_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notify_inapp.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime)


Index("ix_notify_outbox_due", Outbox.status, Outbox.next_attempt_at)
