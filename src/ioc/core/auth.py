"""Users, roles, passwords (argon2id), login sessions, CSRF tokens and API tokens.

Each state change is one action function (``create_user``, ``login``, ``logout``, ``unlock``,
``create_api_token``, ``revoke_api_token``) that validates, changes state and writes the audit row.
Passwords: at least 12 characters and none of the ~10,000 common ones (``check_password``).
Failed logins lock an account or a client address for a while (``LoginThrottle``).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from importlib.resources import files
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.core import audit, clock, ownership, throttle
from ioc.core.models import Agency, ApiToken, Entity, LoginLock, User, UserSession

# Roles and permissions live in ioc.core.roles; importers still find them here.
from ioc.core.roles import ROLE_PERMISSIONS as ROLE_PERMISSIONS
from ioc.core.roles import TOKEN_SCOPES as TOKEN_SCOPES
from ioc.core.roles import Permission as Permission
from ioc.core.roles import Role as Role
from ioc.core.roles import has_permission as has_permission

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


class AuthError(ValueError):
    """A refused authentication or account change, with a message safe to show."""


def hash_password(password: str) -> str:
    """Argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """True when ``password`` matches ``stored_hash``."""
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


MIN_PASSWORD = 12


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The ~10,000 common passwords shipped in ``ioc/data/common_passwords.txt`` (lower-case,
    see ``scripts/common_passwords.py``)."""
    text = (files("ioc.data") / "common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("# "))


def _folded(password: str) -> str:
    """Lower-case without Vietnamese diacritics: ``Mậtkhẩu123456`` → ``matkhau123456``."""
    decomposed = unicodedata.normalize("NFD", password.lower().replace("đ", "d"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def check_password(password: str) -> None:
    """Refuse a password shorter than :data:`MIN_PASSWORD` characters or one of the common
    passwords (compared without case and without diacritics). Every place that sets a password
    calls it."""
    if len(password) < MIN_PASSWORD:
        raise AuthError(
            f"Mật khẩu phải có ít nhất {MIN_PASSWORD} ký tự / "
            f"the password needs at least {MIN_PASSWORD} characters"
        )
    common = common_passwords()
    if password.lower() in common or _folded(password) in common:
        raise AuthError(
            "Mật khẩu quá phổ biến, dễ bị đoán: hãy chọn mật khẩu khác (ví dụ một câu dài) / "
            "this password is too common: choose another (a long sentence, for example)"
        )


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


_Created = TypeVar("_Created", User, ApiToken)


def _created(
    session: Session,
    actor: audit.Actor,
    row: _Created,
    action: str,
    object_type: str,
    **detail: Any,
) -> _Created:
    """Insert ``row`` (so it has its id) and write the audit row ``action`` about it."""
    session.add(row)
    session.flush()
    audit.record(session, actor, action, object_type, row.id, **detail)
    return row


def create_user(
    session: Session,
    actor: audit.Actor,
    *,
    username: str,
    password: str,
    full_name: str,
    role: str,
    agency_code: str | None = None,
    email: str | None = None,
) -> User:
    """Create a user (Tạo tài khoản); refuses weak passwords, unknown roles and agencies."""
    username = username.strip()
    if not username or len(username) > 64:
        raise AuthError("Tên đăng nhập không hợp lệ (1–64 ký tự)")
    check_password(password)
    try:
        role_value = Role(role)
    except ValueError as exc:
        raise AuthError(f"Vai trò không hợp lệ: {role}") from exc
    if session.execute(select(User.id).where(User.username == username)).first():
        raise AuthError(f"Tên đăng nhập đã tồn tại: {username}")
    agency_id = None
    if agency_code:
        agency_id = session.execute(
            select(Agency.id).where(Agency.code == agency_code)
        ).scalar_one_or_none()
        if agency_id is None:
            raise AuthError(f"Không có đơn vị mã {agency_code}")
    user = User(
        username=username,
        full_name=full_name,
        email=email,
        password_hash=hash_password(password),
        role=role_value.value,
        agency_id=agency_id,
        is_active=True,
        created_at=clock.now(),
    )
    return _created(
        session, actor, user, "user.create", "user", username=username, role=role_value.value
    )


@dataclass(frozen=True)
class NewSession:
    """A login: the cookie value (given to the browser once, stored only as a hash)."""

    cookie: str
    user: User


@dataclass(frozen=True)
class LoginThrottle:
    """Login lock rules (``IOC_LOGIN_*``): ``max_failures`` failed logins of one account, or
    ``max_failures_per_address`` from one client address, within ``window`` lock that account or
    address for ``lock``."""

    max_failures: int = 10
    max_failures_per_address: int = 30
    window: timedelta = timedelta(minutes=15)
    lock: timedelta = timedelta(minutes=15)

    @classmethod
    def of(cls, settings: Any) -> LoginThrottle:
        """The rules from the application's settings."""
        return cls(
            max_failures=settings.login_max_failures,
            max_failures_per_address=settings.login_max_failures_per_address,
            window=timedelta(minutes=settings.login_failure_window_minutes),
            lock=timedelta(minutes=settings.login_lock_minutes),
        )


class LoginLocked(AuthError):
    """A login refused, whatever the password, because the account (``kind`` ``account``) or
    the client address (``address``) is locked until ``until``."""

    def __init__(self, kind: str, until: datetime) -> None:
        super().__init__(
            "Tạm khóa đăng nhập do sai quá nhiều lần / locked after too many failed logins"
        )
        self.kind = kind
        self.until = until

    def retry_after(self, now: datetime | None = None) -> int:
        """Seconds until the lock ends (for ``Retry-After``), at least 1."""
        return max(1, math.ceil((self.until - (now or clock.now())).total_seconds()))


ACCOUNT, ADDRESS = "account", "address"
_BUCKET = {ACCOUNT: "login.account", ADDRESS: "login.address"}
_LOCK_ACTION = {
    ACCOUNT: ("user.locked", "user.unlocked"),
    ADDRESS: ("login.address_locked", "login.address_unlocked"),
}


def _active_lock(session: Session, subjects: dict[str, str], now: datetime) -> LoginLock | None:
    found: LoginLock | None = None
    for kind, subject in subjects.items():
        lock = session.execute(
            select(LoginLock)
            .where(
                LoginLock.kind == kind,
                LoginLock.subject == subject,
                LoginLock.until > now,
                LoginLock.unlocked_at.is_(None),
            )
            .order_by(LoginLock.until.desc())
            .limit(1)
        ).scalar_one_or_none()
        if lock is not None and (found is None or lock.until > found.until):
            found = lock
    return found


def _count_failure(
    session: Session,
    kind: str,
    subject: str,
    limit: int,
    rules: LoginThrottle,
    now: datetime,
    user: User | None,
    address: str | None,
) -> LoginLock | None:
    """Count one failure of ``subject``; lock it when it reaches ``limit`` in the window (the
    failures before its last lock do not count again)."""
    bucket = _BUCKET[kind]
    throttle.record(session, bucket, subject, now)
    last_lock = session.execute(
        select(func.max(LoginLock.locked_at)).where(
            LoginLock.kind == kind, LoginLock.subject == subject
        )
    ).scalar_one_or_none()
    since = now - rules.window
    if last_lock is not None and last_lock > since:
        since = last_lock
    failures, _oldest = throttle.count(session, bucket, subject, since)
    if failures < limit:
        return None
    lock = LoginLock(
        kind=kind, subject=subject, locked_at=now, until=now + rules.lock, failures=failures
    )
    session.add(lock)
    session.flush()
    audit.record(
        session,
        audit.Actor.system("login"),
        _LOCK_ACTION[kind][0],
        "user" if kind == ACCOUNT else "address",
        (user.id if user is not None else subject) if kind == ACCOUNT else subject,
        username=user.username if user is not None else None,
        address=address,
        failures=failures,
        until=lock.until.isoformat(),
    )
    return lock


def _failed(
    session: Session,
    name: str,
    user: User | None,
    address: str | None,
    rules: LoginThrottle,
    now: datetime,
) -> None:
    """Record a failed login; raise :class:`LoginLocked` when it locked the account/address."""
    locks = [_count_failure(session, ACCOUNT, name, rules.max_failures, rules, now, user, address)]
    if address:
        locks.append(
            _count_failure(
                session,
                ADDRESS,
                address,
                rules.max_failures_per_address,
                rules,
                now,
                user,
                address,
            )
        )
    made = [lock for lock in locks if lock is not None]
    if made:
        latest = max(made, key=lambda lock: lock.until)
        raise LoginLocked(latest.kind, latest.until)


def login(
    session: Session,
    *,
    username: str,
    password: str,
    session_hours: int,
    address: str | None = None,
    rules: LoginThrottle | None = None,
) -> NewSession | None:
    """Check the password and open a session (Đăng nhập); ``None`` when refused.

    Failed logins are counted per account and per client ``address`` (in the database, so
    every web process counts together); past :class:`LoginThrottle`'s limits the account or the
    address is locked and :class:`LoginLocked` is raised — for that failure and, whatever the
    password, until the lock ends or :func:`unlock`. Commit the session after either outcome:
    the failures, locks and audit rows must be kept."""
    rules = rules or LoginThrottle()
    name = username.strip()[:64]
    now = clock.now()
    subjects = {ACCOUNT: name, **({ADDRESS: address[:64]} if address else {})}
    locked = _active_lock(session, subjects, now)
    if locked is not None:
        raise LoginLocked(locked.kind, locked.until)
    address = address[:64] if address else None
    user = session.execute(select(User).where(User.username == name)).scalar_one_or_none()
    if user is None:
        # Spend the same time as a real check so usernames cannot be probed by timing; an
        # unknown name is counted and locked like a real one (no probing by the lock either).
        verify_password(_DUMMY_HASH, password)
        _failed(session, name, None, address, rules, now)
        return None
    if not user.is_active or not verify_password(user.password_hash, password):
        audit.record(
            session,
            audit.Actor(user.id, user.username),
            "user.login_failed",
            "user",
            user.id,
            address=address,
        )
        _failed(session, name, user, address, rules, now)
        return None
    throttle.forget(session, _BUCKET[ACCOUNT], name)  # a success starts the account's count anew
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    cookie = secrets.token_urlsafe(32)
    now = clock.now()
    session.add(
        UserSession(
            token_hash=_sha256(cookie),
            user_id=user.id,
            created_at=now,
            expires_at=now + timedelta(hours=session_hours),
        )
    )
    user.last_login_at = now
    audit.record(session, audit.Actor(user.id, user.username), "user.login", "user", user.id)
    return NewSession(cookie=cookie, user=user)


_DUMMY_HASH = _hasher.hash("not-a-real-password-used-for-timing")


def unlock(
    session: Session, actor: audit.Actor, *, username: str | None = None, address: str | None = None
) -> int:
    """Lift the login lock of ``username`` and/or of a client ``address`` (Mở khóa đăng nhập)
    and forget their counted failures; returns how many active locks were lifted. Each lifted
    lock leaves an audit row."""
    now = clock.now()
    lifted = 0
    for kind, subject in ((ACCOUNT, username), (ADDRESS, address)):
        if not subject:
            continue
        subject = subject.strip()[:64]
        throttle.forget(session, _BUCKET[kind], subject)
        locks = session.execute(
            select(LoginLock).where(
                LoginLock.kind == kind,
                LoginLock.subject == subject,
                LoginLock.until > now,
                LoginLock.unlocked_at.is_(None),
            )
        ).scalars()
        for lock in locks:
            lock.unlocked_at, lock.unlocked_by = now, actor.label[:200]
            lifted += 1
            user_id = None
            if kind == ACCOUNT:
                user_id = session.execute(
                    select(User.id).where(User.username == subject)
                ).scalar_one_or_none()
            audit.record(
                session,
                actor,
                _LOCK_ACTION[kind][1],
                "user" if kind == ACCOUNT else "address",
                user_id if user_id is not None else subject,
                subject=subject,
            )
    return lifted


def session_user(
    session: Session, cookie: str | None, session_hours: int
) -> tuple[User, UserSession] | None:
    """The user behind a session cookie, extending the session (sliding expiry)."""
    if not cookie:
        return None
    row = session.execute(
        select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.token_hash == _sha256(cookie))
    ).first()
    if row is None:
        return None
    user_session, user = row
    now = clock.now()
    if user_session.expires_at <= now or not user.is_active:
        return None
    # Extend only when a tenth of the lifetime has passed, to avoid a write on every request.
    new_expiry = now + timedelta(hours=session_hours)
    if new_expiry - user_session.expires_at > timedelta(hours=session_hours) / 10:
        user_session.expires_at = new_expiry
    return user, user_session


def logout(session: Session, cookie: str | None) -> None:
    """End the session behind ``cookie`` (Đăng xuất)."""
    found = session_user(session, cookie, 0) if cookie else None
    if found is None:
        return
    user, user_session = found
    session.delete(user_session)
    audit.record(session, audit.Actor(user.id, user.username), "user.logout", "user", user.id)


@dataclass(frozen=True)
class NewToken:
    """A freshly made API token: ``secret`` is shown once and never stored."""

    token: ApiToken
    secret: str


def create_api_token(
    session: Session,
    actor: audit.Actor,
    *,
    owner_username: str,
    name: str,
    scopes: list[str],
    agency_codes: list[str] | None = None,
    entity_codes: list[str] | None = None,
) -> NewToken:
    """Create an API token for a machine (Tạo mã truy cập API), acting as ``owner_username``.

    ``agency_codes`` / ``entity_codes`` bind the token to owners: it may then write only for
    those agencies or those entities (stations, cameras…), within its user's own scope.
    """
    bad = [s for s in scopes if s not in TOKEN_SCOPES]
    if bad or not scopes:
        raise AuthError(f"Phạm vi không hợp lệ: {', '.join(bad) or '(trống)'}")
    owner = session.execute(
        select(User).where(User.username == owner_username)
    ).scalar_one_or_none()
    if owner is None:
        raise AuthError(f"Không có người dùng {owner_username}")
    agencies = sorted({c.strip() for c in agency_codes or [] if c.strip()})
    entities = sorted({c.strip() for c in entity_codes or [] if c.strip()})
    base = ownership.user_scope(session, owner.role, owner.agency_id)
    if agencies:
        known = set(session.execute(select(Agency.code).where(Agency.code.in_(agencies))).scalars())
        unknown = [c for c in agencies if c not in known]
        if unknown:
            raise AuthError(f"Không có đơn vị mã {', '.join(unknown)}")
        outside = [c for c in agencies if not base.may_agency(c)]
        if outside:
            raise AuthError(
                f"Người dùng {owner_username} không thuộc đơn vị {', '.join(outside)}: "
                "mã truy cập không thể rộng hơn quyền của người chịu trách nhiệm"
            )
    if entities:
        rows = session.execute(
            select(Entity.code, Entity.agency_code, Entity.area_code).where(
                Entity.code.in_(entities)
            )
        ).all()
        found = {code for code, _a, _r in rows}
        unknown = [c for c in entities if c not in found]
        if unknown:
            raise AuthError(f"Không có trạm/đối tượng mã {', '.join(unknown)}")
        outside = [c for c, a, r in rows if not base.may_entity(c, a, r)]
        if outside:
            raise AuthError(
                f"Trạm/đối tượng {', '.join(sorted(outside))} không thuộc đơn vị của "
                f"người dùng {owner_username}"
            )
    prefix = secrets.token_hex(4)
    secret = f"ioc_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken(
        name=name,
        prefix=prefix,
        token_hash=_sha256(secret),
        user_id=owner.id,
        scopes=sorted(scopes),
        agency_codes=agencies,
        entity_codes=entities,
        created_at=clock.now(),
    )
    _created(
        session,
        actor,
        token,
        "token.create",
        "api_token",
        name=name,
        scopes=scopes,
        agencies=agencies,
        entities=entities,
    )
    return NewToken(token=token, secret=secret)


def revoke_api_token(session: Session, actor: audit.Actor, *, prefix: str) -> None:
    """Revoke a token by its public prefix (Thu hồi mã truy cập)."""
    token = session.execute(select(ApiToken).where(ApiToken.prefix == prefix)).scalar_one_or_none()
    if token is None:
        raise AuthError(f"Không có mã truy cập {prefix}")
    token.revoked_at = clock.now()
    audit.record(session, actor, "token.revoke", "api_token", token.id)


def token_user(session: Session, secret: str | None) -> tuple[User, ApiToken] | None:
    """The owner and token behind an ``Authorization: Bearer`` secret, if valid."""
    if not secret or not secret.startswith("ioc_"):
        return None
    parts = secret.split("_", 2)
    if len(parts) != 3:
        return None
    row = session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.prefix == parts[1])
    ).first()
    if row is None:
        return None
    token, user = row
    if token.revoked_at is not None or not user.is_active:
        return None
    if not hmac.compare_digest(token.token_hash, _sha256(secret)):
        return None
    now = clock.now()
    # Record use at most once a minute: operators see stale tokens without a write per request.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        token.last_used_at = now
    return user, token
