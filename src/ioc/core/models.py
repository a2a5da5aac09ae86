"""Core tables: areas, agencies, users, sessions, API tokens, audit log, indicators, entities,
series, observations and rollups.

Times of observations are stored as integer UNIX seconds (UTC): compact, fast to index, and the
same on SQLite and PostgreSQL. Every other timestamp is an aware ``DateTime(timezone=True)``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column
from sqlalchemy.types import TypeDecorator

from ioc.core.db import Base


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out (SQLite drops the offset otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Area(Base):
    """Đơn vị hành chính: province, commune/ward (current) or a pre-2025 unit kept for history."""

    __tablename__ = "areas"
    __table_args__ = (UniqueConstraint("code", "valid_from"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), index=True)
    name: Mapped[str] = mapped_column(String(200))
    short_name: Mapped[str] = mapped_column(String(200))
    name_folded: Mapped[str] = mapped_column(String(200), index=True)
    level: Mapped[str] = mapped_column(String(16))
    parent_code: Mapped[str | None] = mapped_column(String(16))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    replaced_by: Mapped[str | None] = mapped_column(String(16))
    legacy_sources: Mapped[list[str]] = mapped_column(JSON, default=list)
    successors: Mapped[list[str]] = mapped_column(JSON, default=list)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)


class Agency(Base):
    """Cơ quan, đơn vị: department, commune People's Committee, hospital, school …"""

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    short_name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    parent_code: Mapped[str | None] = mapped_column(String(64))
    area_code: Mapped[str | None] = mapped_column(String(16))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    successor_code: Mapped[str | None] = mapped_column(String(64))


class User(Base):
    """A person who signs in: admin, leader, operator or agency staff, scoped to an agency."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(32))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class UserSession(Base):
    """A login session; the cookie carries a random token, the table only its SHA-256."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ApiToken(Base):
    """A machine credential (station gateway, iGate connector …); shown once, stored hashed."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Owners this token may write for (agency codes; entity codes such as a station): empty
    # means the owner user's own scope. Set at creation, never widened afterwards.
    agency_codes: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    entity_codes: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditLog(Base):
    """Nhật ký thay đổi: who changed what, when (one row per state change)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Indicator(Base):
    """Chỉ tiêu: a measured or derived quantity from a pack's catalog."""

    __tablename__ = "indicators"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    pack: Mapped[str] = mapped_column(String(32))
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(32))
    aggregation: Mapped[str] = mapped_column(String(8))
    frequency: Mapped[str] = mapped_column(String(16))
    direction: Mapped[str] = mapped_column(String(8))
    time_label: Mapped[str] = mapped_column(String(8), default="start")
    min_value: Mapped[float | None] = mapped_column(Float)
    max_value: Mapped[float | None] = mapped_column(Float)
    derived: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str] = mapped_column(Text, default="")


class Entity(Base):
    """A thing that is observed: air station, camera, road segment, facility, school, website."""

    __tablename__ = "entities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    type: Mapped[str] = mapped_column(String(64), index=True)
    pack: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    name_folded: Mapped[str] = mapped_column(String(200))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    area_code: Mapped[str | None] = mapped_column(String(16))
    agency_code: Mapped[str | None] = mapped_column(String(64))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Series(Base):
    """Chuỗi số liệu: one indicator about one subject (entity, area, agency), latest value."""

    __tablename__ = "series"
    __table_args__ = (UniqueConstraint("indicator_id", "subject_kind", "subject_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id"))
    subject_kind: Mapped[str] = mapped_column(String(8))
    subject_code: Mapped[str] = mapped_column(String(64), index=True)
    latest_ts: Mapped[int | None] = mapped_column(BigInteger)
    latest_value: Mapped[float | None] = mapped_column(Float)


class Observation(Base):
    """One value of a series at one time (UNIX seconds, UTC). Quality: 0 good, 1 suspect, 2 bad."""

    __tablename__ = "observations"

    series_id: Mapped[int] = mapped_column(ForeignKey("series.id"), primary_key=True)
    ts: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    value: Mapped[float] = mapped_column(Float)
    quality: Mapped[int] = mapped_column(SmallInteger, default=0)


class _RollupColumns:
    """Columns shared by the hour, day and month rollups (bad-quality values excluded).

    On SQLite the rollup tables are WITHOUT ROWID (``sqlite_with_rowid``): each row lives in
    its primary key's b-tree, so an insert writes one b-tree instead of a table and a key
    index, and a range read of one series is a covering scan (migration 0023).
    """

    @declared_attr
    def series_id(cls) -> Mapped[int]:
        # sort_order puts series_id first in the primary key: every read and recompute is
        # "one series, a range of buckets", which (bucket, series_id) would turn into a scan.
        # No foreign key to ``series``: the write path finds or creates every series before it
        # writes, and series are never deleted with rollups left behind, so the per-row check
        # (a sixth of PostgreSQL's write time) would guard nothing (migration 0023).
        return mapped_column(Integer, primary_key=True, sort_order=-1)

    bucket: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    n: Mapped[int] = mapped_column(Integer)
    total: Mapped[float] = mapped_column(Float)
    vmin: Mapped[float] = mapped_column(Float)
    vmax: Mapped[float] = mapped_column(Float)
    last_ts: Mapped[int] = mapped_column(BigInteger)
    last_value: Mapped[float] = mapped_column(Float)


class RollupHour(_RollupColumns, Base):
    """Hourly aggregate of a series (bucket = start of the covered hour, UNIX seconds)."""

    __tablename__ = "rollup_hour"
    __table_args__ = ({"sqlite_with_rowid": False},)


class RollupDay(_RollupColumns, Base):
    """Daily aggregate (bucket = local midnight, Asia/Ho_Chi_Minh, as UNIX seconds)."""

    __tablename__ = "rollup_day"
    __table_args__ = ({"sqlite_with_rowid": False},)


class RollupMonth(_RollupColumns, Base):
    """Monthly aggregate (bucket = local midnight of the month's first day, UNIX seconds)."""

    __tablename__ = "rollup_month"
    __table_args__ = ({"sqlite_with_rowid": False},)


class IdempotencyRecord(Base):
    """A processed ingestion request, so a retried batch (same Idempotency-Key) is stored once."""

    __tablename__ = "idempotency_keys"

    token_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(SmallInteger)
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PendingDerivation(Base):
    """Work a batch left for the derive stage (e.g. recompute VN_AQI of a station for a span).

    Written in the batch's own transaction, deleted in the transaction that does the work: a
    crash or restart in between loses nothing, and the work is simply done again.
    """

    __tablename__ = "pending_derivations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(64))
    lo: Mapped[int] = mapped_column(BigInteger)
    hi: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DeadLetter(Base):
    """Thư lỗi: a message an input door could not use (bad MQTT payload, undecodable reading),
    kept with the reason so an operator can see it, fix the cause and replay it."""

    __tablename__ = "dead_letters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(32), index=True)  # "mqtt", "ngsi-ld", …
    topic: Mapped[str] = mapped_column(String(500))
    payload: Mapped[str] = mapped_column(Text)  # UTF-8 text, or base64 prefixed "base64:"
    reason: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    status: Mapped[str] = mapped_column(String(16), default="new")  # new | replayed | discarded
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handled_by: Mapped[str | None] = mapped_column(String(200))


Index("ix_audit_log_object", AuditLog.object_type, AuditLog.object_id)


class HealthProbe(Base):
    """One row that ``/readyz`` rewrites: proof that the database accepts and commits writes."""

    __tablename__ = "health_probe"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    process: Mapped[str] = mapped_column(String(64))


class ThrottleHit(Base):
    """One counted event of a rate limit or of the login lock (``ioc.core.throttle``): kept in
    the database so every web process counts the same events. ``subject`` is a hash of who is
    counted (an API key, a client address, a username); rows older than a day are purged."""

    __tablename__ = "throttle_hits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bucket: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


Index("ix_throttle_hits_bucket_subject_at", ThrottleHit.bucket, ThrottleHit.subject, ThrottleHit.at)


class LoginLock(Base):
    """Khóa đăng nhập: too many failed logins locked an account (``kind`` = ``account``,
    ``subject`` = the username) or a client address (``address``) until ``until``, or until an
    administrator unlocked it (``ioc users unlock``)."""

    __tablename__ = "login_locks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(64))
    locked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    until: Mapped[datetime] = mapped_column(UTCDateTime)
    failures: Mapped[int] = mapped_column(Integer)
    unlocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unlocked_by: Mapped[str | None] = mapped_column(String(200))


Index("ix_login_locks_kind_subject", LoginLock.kind, LoginLock.subject)
