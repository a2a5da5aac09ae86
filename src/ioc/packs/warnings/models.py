"""Tables of the public warnings pack (cảnh báo công cộng, CAP 1.2), prefixed ``wr_``.

* :class:`WrWarning` — one CAP message (``Alert``, ``Update`` or ``Cancel``) through its life:
  ``draft`` → ``published`` (approved by a second person) or ``discarded``. An Update or Cancel
  names the message it follows (``references_id``); publishing it marks that one superseded.
* :class:`WrWarningArea` — the communes a message covers (one row per commune).
* :class:`WrSubscription` — an e-mail address that asked for the warnings of one commune,
  valid once confirmed through the link mailed to it. Personal data: never shown on a page.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ioc.core.db import Base
from ioc.core.models import UTCDateTime

DRAFT = "draft"
PUBLISHED = "published"
DISCARDED = "discarded"
STATES = (DRAFT, PUBLISHED, DISCARDED)


class WrWarning(Base):
    """Bản tin cảnh báo: one CAP message (draft or published)."""

    __tablename__ = "wr_warnings"
    __table_args__ = (Index("ix_wr_warnings_state_expires", "state", "expires_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    identifier: Mapped[str] = mapped_column(String(120), unique=True)
    msg_type: Mapped[str] = mapped_column(String(8))  # Alert | Update | Cancel
    state: Mapped[str] = mapped_column(String(16), default=DRAFT)
    references_id: Mapped[int | None] = mapped_column(ForeignKey("wr_warnings.id"))
    superseded_by_id: Mapped[int | None] = mapped_column(Integer)
    hazard: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))
    urgency: Mapped[str] = mapped_column(String(16))
    certainty: Mapped[str] = mapped_column(String(16))
    headline_vi: Mapped[str] = mapped_column(String(300))
    headline_en: Mapped[str] = mapped_column(String(300), default="")
    description_vi: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    instruction_vi: Mapped[str] = mapped_column(Text, default="")
    instruction_en: Mapped[str] = mapped_column(Text, default="")
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # manual | alert | incident | auto (a draft made by the pack's job from an alert)
    source_kind: Mapped[str] = mapped_column(String(16), default="manual")
    source_alert_id: Mapped[int | None] = mapped_column(Integer, index=True)
    source_incident_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(200))
    created_by_user_id: Mapped[int | None] = mapped_column(Integer)
    # Every user who wrote the content (drafted or edited it): none of them may approve it.
    authors: Mapped[list[int]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by: Mapped[str | None] = mapped_column(String(200))
    approved_by_user_id: Mapped[int | None] = mapped_column(Integer)
    # When the message was handed to the registered broadcast gateways (cell broadcast …).
    broadcast_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WrWarningArea(Base):
    """A commune a warning covers."""

    __tablename__ = "wr_warning_areas"

    warning_id: Mapped[int] = mapped_column(
        ForeignKey("wr_warnings.id", ondelete="CASCADE"), primary_key=True
    )
    area_code: Mapped[str] = mapped_column(String(16), primary_key=True, index=True)


class WrSubscription(Base):
    """Đăng ký nhận cảnh báo qua e-mail cho một xã/phường."""

    __tablename__ = "wr_subscriptions"
    __table_args__ = (UniqueConstraint("email", "area_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    area_code: Mapped[str] = mapped_column(String(16), index=True)
    lang: Mapped[str] = mapped_column(String(2), default="vi")
    # SHA-256 of the secret in the confirmation / unsubscribe link.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
