"""NGSI-LD tables: the full id of every entity, generic entities and their numeric history,
subscriptions.

* :class:`NgsiEntity` — one NGSI-LD entity by its **full id** (per tenant). An entity of a type a
  pack maps is one of our stations: ``entity_code`` names it explicitly (never derived from the
  last segment of the id at read time). Any other entity (``Building``, ``Vehicle`` …, and every
  entity of a named tenant) is *generic*: ``entity_code`` is null and its attributes are kept in
  NGSI-LD normalized form in ``attrs``.
* :class:`NgsiAttrValue` — the numeric history of generic entities' Properties (temporal API).
* :class:`NgsiSubscription` — a subscription; notifications go through the notification outbox
  to a webhook contact point made for it (``contact_point``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ioc.core.db import Base

#: Longest full entity id stored (the part after ``urn:ngsi-ld:<type>:`` is at most 256).
MAX_ID_LENGTH = 512


class NgsiEntity(Base):
    """Đối tượng NGSI-LD: an entity by its full id, mapped onto a station or generic."""

    __tablename__ = "ngsi_entities"
    __table_args__ = (UniqueConstraint("tenant", "entity_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(64), default="")  # "" = the default tenant
    entity_id: Mapped[str] = mapped_column(String(MAX_ID_LENGTH))
    type: Mapped[str] = mapped_column(String(256), index=True)
    # The station (``entities.code``) of a mapped entity; null for a generic entity.
    entity_code: Mapped[str | None] = mapped_column(String(64), index=True)
    # Generic: {attribute: normalized attribute}; mapped: {} (the station holds them).
    attrs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # A mapped entity's GeoJSON location when it is not a Point (the station keeps a centre).
    geometry: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    agency_code: Mapped[str | None] = mapped_column(String(64))  # owner of a generic entity
    created_at: Mapped[int] = mapped_column(BigInteger)  # UNIX seconds
    modified_at: Mapped[int] = mapped_column(BigInteger)
    deleted_at: Mapped[int | None] = mapped_column(BigInteger)  # deleted: history is kept


class NgsiAttrValue(Base):
    """One numeric value of a generic entity's attribute at one time (UNIX seconds)."""

    __tablename__ = "ngsi_attr_values"

    entity_ref: Mapped[int] = mapped_column(
        ForeignKey("ngsi_entities.id", ondelete="CASCADE"), primary_key=True
    )
    attr: Mapped[str] = mapped_column(String(256), primary_key=True)
    ts: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    value: Mapped[float] = mapped_column(Float)


class NgsiSubscription(Base):
    """Đăng ký nhận thông báo NGSI-LD: what to watch and where to send notifications."""

    __tablename__ = "ngsi_subscriptions"
    __table_args__ = (UniqueConstraint("tenant", "sub_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(64), default="")
    sub_id: Mapped[str] = mapped_column(String(MAX_ID_LENGTH))
    # The subscription as the API shows it (entities, watchedAttributes, q, notification …).
    body: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    expires_at: Mapped[int | None] = mapped_column(BigInteger)
    throttling: Mapped[int] = mapped_column(Integer, default=0)  # seconds
    contact_point: Mapped[str] = mapped_column(String(120))  # notify_contact_points.name
    owner: Mapped[str] = mapped_column(String(200))  # actor label of the creator
    agency_code: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[int] = mapped_column(BigInteger)
    modified_at: Mapped[int] = mapped_column(BigInteger)
    last_notification: Mapped[int | None] = mapped_column(BigInteger)
    times_sent: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


__all__ = ["MAX_ID_LENGTH", "NgsiAttrValue", "NgsiEntity", "NgsiSubscription"]
