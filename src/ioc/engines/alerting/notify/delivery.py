"""Delivery of outbox rows: e-mail (SMTP), webhook (JSON POST) and in-app, at least once.

:func:`deliver_due` claims due rows by a compare-and-set UPDATE (``status = sending``, a
``claim_token`` of this run and a short lease ``locked_until`` = now + ``IOC_NOTIFY_LEASE_S``),
so two workers never both take a row. While the run sends, a thread renews the lease of the
rows it still holds every third of the lease; a worker that crashes stops renewing, and its
rows are due again within one lease (nothing is lost; a message may go out twice). Each row is
delivered on its own, with a timeout, and its outcome written in its own transaction: one
broken receiver never holds up the others. Failures are retried with exponential backoff
(30 s, 1 min, 2 min … at most 1 h apart) for ``IOC_NOTIFY_RETRY_HOURS`` from the first failed
attempt (a day by default: about 30 attempts), the last attempt at the end of that window; then
the row is ``dead`` (shown on the notifications page, where an admin can retry it) and the
alert rule ``ops.notify_dead`` (record source :func:`dead_records`) fires. A receiver's
permanent refusal (a 4xx answer, a bad address) is dead at once. In-app notifications are
written in the same transaction that marks the row sent, so they are delivered exactly once.
"""

from __future__ import annotations

import json
import logging
import smtplib
import ssl
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any
from urllib.parse import urljoin

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker

from ioc.core import audit, clock, netguard
from ioc.core.models import Agency, User
from ioc.core.registry import RecordSample
from ioc.engines.alerting.notify.channels import TEXT_CHANNELS, text_sender
from ioc.engines.alerting.notify.direct import DIRECT_PREFIX
from ioc.engines.alerting.notify.models import (
    DEAD,
    EMAIL,
    INAPP,
    PENDING,
    SENDING,
    SENT,
    WEBHOOK,
    ContactPoint,
    InAppNotification,
    Outbox,
)
from ioc.settings import Settings

log = logging.getLogger(__name__)

BACKOFF_FIRST_S = 30
BACKOFF_MAX_S = 3600
CLAIM_BATCH = 100
DEAD_ALERT_DAYS = 7


class DeliveryError(Exception):
    """A failed delivery; ``permanent`` ones are not retried (bad address, 4xx answer …)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass
class DeliveryStats:
    """What one :func:`deliver_due` run did."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0


def backoff(attempts: int) -> timedelta:
    """Wait before the next attempt after ``attempts`` failed ones (30 s, 1, 2, 4 min …)."""
    return timedelta(seconds=min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2 ** max(0, attempts - 1)))


def _due(now: datetime) -> Any:
    return or_(
        and_(Outbox.status == PENDING, Outbox.next_attempt_at <= now),
        and_(Outbox.status == SENDING, Outbox.locked_until <= now),
    )


def claim_due(
    factory: sessionmaker[Session], now: datetime, settings: Settings, limit: int = CLAIM_BATCH
) -> list[tuple[int, str]]:
    """Take due rows: ``[(id, claim token)]``. Commits, so the lease is visible to others."""
    lease = now + timedelta(seconds=settings.notify_lease_s)
    token = uuid.uuid4().hex
    claimed: list[tuple[int, str]] = []
    with factory() as session, session.begin():
        ids = list(
            session.execute(
                select(Outbox.id)
                .where(_due(now))
                .order_by(Outbox.next_attempt_at, Outbox.id)
                .limit(limit)
            ).scalars()
        )
        for row_id in ids:
            result = session.execute(
                update(Outbox)
                .where(Outbox.id == row_id, _due(now))
                .values(status=SENDING, locked_until=lease, claim_token=token)
                .execution_options(synchronize_session=False)
            )
            if getattr(result, "rowcount", 0) == 1:
                claimed.append((row_id, token))
    return claimed


def renew_lease(factory: sessionmaker[Session], token: str, until: datetime) -> int:
    """Extend the lease of the rows claim ``token`` still holds (``sending``) to ``until``;
    returns how many rows it holds."""
    with factory() as session, session.begin():
        result = session.execute(
            update(Outbox)
            .where(Outbox.claim_token == token, Outbox.status == SENDING)
            .values(locked_until=until)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)


class LeaseKeeper:
    """Renews a claim's lease every third of ``IOC_NOTIFY_LEASE_S`` until stopped (a thread),
    so a short lease covers a long run of slow receivers while the worker lives."""

    def __init__(
        self, factory: sessionmaker[Session], token: str, now: datetime, lease_s: float
    ) -> None:
        self.factory, self.token, self.lease_s = factory, token, lease_s
        self._base, self._started = now, time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="notify-lease", daemon=True)
        self.renewals = 0

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=self.lease_s)

    def _run(self) -> None:
        while not self._stop.wait(self.lease_s / 3):
            elapsed = time.monotonic() - self._started
            until = self._base + timedelta(seconds=elapsed + self.lease_s)
            try:
                if renew_lease(self.factory, self.token, until) == 0:
                    return
                self.renewals += 1
            except Exception:  # the database is away: the lease may lapse, nothing is lost
                log.warning("notification lease renewal failed", exc_info=True)


def deliver_due(
    factory: sessionmaker[Session],
    now: datetime,
    settings: Settings,
    *,
    senders: dict[str, Callable[..., None]] | None = None,
) -> DeliveryStats:
    """Claim and deliver every due outbox row (periodic job; also safe to run concurrently)."""
    stats = DeliveryStats()
    claimed = claim_due(factory, now, settings)
    stats.claimed = len(claimed)
    if not claimed:
        return stats
    with LeaseKeeper(factory, claimed[0][1], now, settings.notify_lease_s):
        for row_id, token in claimed:
            outcome = deliver_one(factory, row_id, token, now, settings, senders=senders)
            if outcome == SENT:
                stats.sent += 1
            elif outcome == DEAD:
                stats.dead += 1
            elif outcome == PENDING:
                stats.retried += 1
    return stats


def _owned(row_id: int, token: str) -> Any:
    return and_(Outbox.id == row_id, Outbox.status == SENDING, Outbox.claim_token == token)


def deliver_one(
    factory: sessionmaker[Session],
    row_id: int,
    token: str,
    now: datetime,
    settings: Settings,
    *,
    senders: dict[str, Callable[..., None]] | None = None,
) -> str | None:
    """Deliver one claimed row; returns its new status (``None`` if the claim was lost)."""
    claim = _read_claim(factory, row_id, token)
    if claim is None:
        return None
    kind, payload, name, target = claim
    error: DeliveryError | None = None
    try:
        if target is None:
            raise DeliveryError(
                f"Không còn điểm nhận {name!r} / contact point no longer exists", permanent=True
            )
        point_kind, point_settings, disabled = target
        if disabled:
            raise DeliveryError("Điểm nhận đang tắt / contact point is disabled", permanent=True)
        if point_kind != kind:
            kind = point_kind
        if kind == INAPP:
            return _deliver_inapp(factory, row_id, token, now, payload, point_settings)
        sender = (
            (senders or {}).get(kind)
            or {EMAIL: send_email, WEBHOOK: send_webhook}.get(kind)
            or (send_text if kind in TEXT_CHANNELS else None)
        )
        if sender is None:
            raise DeliveryError(f"Loại điểm nhận lạ {kind!r} / unknown kind", permanent=True)
        sender(settings, point_settings, payload)
    except DeliveryError as exc:
        error = exc
    except Exception as exc:  # any library error is a (retryable) failed attempt
        error = DeliveryError(f"{type(exc).__name__}: {exc}")
    with factory() as session, session.begin():
        if error is None:
            return SENT if _mark_sent(session, row_id, token, now) else None
        return _record_failure(session, row_id, token, now, settings, error, name)


def _read_claim(
    factory: sessionmaker[Session], row_id: int, token: str
) -> tuple[str, dict[str, Any], str, tuple[str, dict[str, Any], bool] | None] | None:
    """``(kind, payload, contact point name, target)`` of a row still claimed with ``token``
    (``None`` when the claim was lost); target is ``(kind, settings, disabled)`` of where it
    goes, ``None`` when its contact point no longer exists."""
    with factory() as session:
        row = session.get(Outbox, row_id)
        if row is None or row.status != SENDING or row.claim_token != token:
            return None
        kind, payload, name = row.kind, dict(row.payload or {}), row.contact_point
        if name.startswith(DIRECT_PREFIX):
            # A direct message (``notify.enqueue_message``): its recipients travel with it.
            target: tuple[str, dict[str, Any], bool] | None = (
                kind,
                {"addresses": list(payload.get("to") or [])},
                False,
            )
        else:
            point = session.execute(
                select(ContactPoint).where(ContactPoint.name == name)
            ).scalar_one_or_none()
            target = (
                None if point is None else (point.kind, dict(point.settings or {}), point.disabled)
            )
    return kind, payload, name, target


def _mark_sent(session: Session, row_id: int, token: str, now: datetime) -> bool:
    """Mark a row sent at ``now``; ``False`` when its claim with ``token`` was lost meanwhile."""
    result = session.execute(
        update(Outbox)
        .where(_owned(row_id, token))
        .values(
            status=SENT,
            sent_at=now,
            attempts=Outbox.attempts + 1,
            locked_until=None,
            claim_token=None,
            last_error=None,
        )
        .execution_options(synchronize_session=False)
    )
    return getattr(result, "rowcount", 0) == 1


def _record_failure(
    session: Session,
    row_id: int,
    token: str,
    now: datetime,
    settings: Settings,
    error: DeliveryError,
    name: str,
) -> str | None:
    """Count a failed attempt and decide the row's next step; its new status (``None`` when
    the claim was lost)."""
    row = session.get(Outbox, row_id)
    if row is None or row.status != SENDING or row.claim_token != token:
        return None
    row.attempts += 1
    row.last_error = str(error)[:2000]
    row.locked_until = None
    row.claim_token = None
    row.status, next_at = next_step(row.attempts, row.give_up_at, now, settings, error)
    if row.give_up_at is None:
        row.give_up_at = now + timedelta(hours=settings.notify_retry_hours)
    if next_at is not None:
        row.next_attempt_at = next_at
    log.warning("notification %s to %s failed: %s", row_id, name, error)
    return row.status


def next_step(
    attempts: int,
    give_up_at: datetime | None,
    now: datetime,
    settings: Settings,
    error: DeliveryError,
) -> tuple[str, datetime | None]:
    """After the ``attempts``-th failed attempt at ``now``: ``(DEAD, None)`` or
    ``(PENDING, next attempt)``. The retry window ends ``IOC_NOTIFY_RETRY_HOURS`` after the
    first failure (``give_up_at`` once set); the last attempt is made at its end."""
    window_end = give_up_at or now + timedelta(hours=settings.notify_retry_hours)
    cap = settings.notify_max_attempts
    if error.permanent or (cap and attempts >= cap) or now >= window_end:
        return DEAD, None
    return PENDING, min(now + backoff(attempts), window_end)


def dead_records(session: Session, now: datetime) -> list[RecordSample]:
    """Record source ``ops.notify_dead``: per contact point, the notifications that are dead
    (given up, created in the last 7 days), for the alert rule of the same name."""
    rows = session.execute(
        select(Outbox.contact_point, func.count())
        .where(Outbox.status == DEAD, Outbox.created_at >= now - timedelta(days=DEAD_ALERT_DAYS))
        .group_by(Outbox.contact_point)
    )
    return [
        RecordSample({"contact_point": str(point), "name": str(point)}, float(count))
        for point, count in rows
    ]


def _deliver_inapp(
    factory: sessionmaker[Session],
    row_id: int,
    token: str,
    now: datetime,
    payload: dict[str, Any],
    point_settings: dict[str, Any],
) -> str | None:
    with factory() as session, session.begin():
        targets = inapp_targets(session, point_settings)
        for user_id, role, agency_id in targets:
            session.add(
                InAppNotification(
                    user_id=user_id,
                    role=role,
                    agency_id=agency_id,
                    title=str(payload.get("title", ""))[:300],
                    body=str(payload.get("body", "")),
                    link=payload.get("link"),
                    created_at=now,
                    outbox_id=row_id,
                )
            )
        if not _mark_sent(session, row_id, token, now):
            session.rollback()  # someone else owns the row now; they will write it
            return None
    return SENT


def _known_id(
    session: Session,
    id_column: InstrumentedAttribute[int],
    where: ColumnElement[bool],
    unknown: str,
) -> int:
    """The ``id_column`` of the one row matching ``where``; a permanent
    :class:`DeliveryError` saying ``unknown`` when there is none."""
    found = session.execute(select(id_column).where(where)).scalar_one_or_none()
    if found is None:
        raise DeliveryError(unknown, permanent=True)
    return found


def inapp_targets(
    session: Session, point_settings: dict[str, Any]
) -> list[tuple[int | None, str | None, int | None]]:
    """``(user_id, role, agency_id)`` of each inbox an in-app contact point writes to."""
    targets: list[tuple[int | None, str | None, int | None]] = []
    for role in point_settings.get("roles") or []:
        targets.append((None, str(role), None))
    for code in point_settings.get("agencies") or []:
        unknown = f"Không có cơ quan {code!r} / unknown agency"
        agency_id = _known_id(session, Agency.id, Agency.code == code, unknown)
        targets.append((None, None, agency_id))
    for username in point_settings.get("users") or []:
        unknown = f"Không có người dùng {username!r} / unknown user"
        user_id = _known_id(session, User.id, User.username == username, unknown)
        targets.append((user_id, None, None))
    if not targets:
        raise DeliveryError("Điểm nhận không có người nhận / no recipients", permanent=True)
    return targets


def send_email(settings: Settings, point_settings: dict[str, Any], payload: dict[str, Any]) -> None:
    """Hand one e-mail to the SMTP server (``IOC_SMTP_*``)."""
    addresses = [str(a) for a in point_settings.get("addresses") or [] if str(a).strip()]
    if not addresses:
        raise DeliveryError("Điểm nhận e-mail không có địa chỉ / no addresses", permanent=True)
    message = EmailMessage()
    message["Subject"] = str(payload.get("subject", "IOC"))
    message["From"] = settings.smtp_from
    message["To"] = ", ".join(addresses)
    message["Date"] = format_datetime(clock.now())
    message["Message-ID"] = make_msgid(domain="ioc.local")
    message.set_content(str(payload.get("text", "")))
    if payload.get("html"):
        message.add_alternative(str(payload["html"]), subtype="html")
    try:
        with smtplib.SMTP(
            settings.smtp_host, settings.smtp_port, timeout=settings.notify_timeout_s
        ) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_username:
                smtp.login(settings.smtp_username, settings.smtp_password)
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryError(
            f"Máy chủ thư từ chối người nhận / recipients refused: {exc}", permanent=True
        ) from exc


def send_text(settings: Settings, point_settings: dict[str, Any], payload: dict[str, Any]) -> None:
    """Hand a text message (SMS, Zalo OA) to the sender registered for its channel."""
    channel = str(payload.get("channel") or point_settings.get("channel") or "")
    recipients = [str(a) for a in point_settings.get("addresses") or [] if str(a).strip()]
    sender = text_sender(channel)
    if sender is None:
        raise DeliveryError(
            f"Chưa cài đặt kênh gửi {channel!r} / no sender for {channel!r}", permanent=True
        )
    if not recipients:
        raise DeliveryError("Không có người nhận / no recipients", permanent=True)
    sender.send(
        recipients, str(payload.get("text", "")), reference=str(payload.get("reference", ""))
    )


def send_webhook(
    settings: Settings, point_settings: dict[str, Any], payload: dict[str, Any]
) -> None:
    """POST the payload's ``body`` as JSON; 2xx is success, 4xx (but 408/429) is permanent.

    The URL is checked against internal addresses (``ioc.core.netguard``, allow-list
    ``IOC_OUTBOUND_ALLOW``) and the POST goes to the address that was checked; a redirect is
    not followed blindly: its target is checked the same way and the POST sent again there,
    at most ``netguard.MAX_REDIRECTS`` times. A refused address is a permanent failure."""
    url = str(point_settings.get("url", ""))
    data = json.dumps(payload.get("body", {}), ensure_ascii=False).encode()
    for _hop in range(netguard.MAX_REDIRECTS + 1):
        try:
            target = netguard.check_url(url, settings.outbound_allow)
        except netguard.BlockedTarget as exc:
            raise DeliveryError(
                f"URL webhook bị từ chối / refused URL: {exc}", permanent=True
            ) from exc
        except netguard.ResolveError as exc:
            raise DeliveryError(str(exc)) from exc
        request = urllib.request.Request(  # noqa: S310 - scheme checked by netguard
            url,
            data=data,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "IOC-DakLak",
            },
        )
        try:
            with netguard.opener(target).open(
                request, timeout=settings.notify_timeout_s
            ) as response:
                response.read(1024)
            return
        except urllib.error.HTTPError as exc:
            location = exc.headers.get("Location") if exc.headers else None
            exc.close()  # the error carries the open response; free its socket now
            if exc.code in netguard.REDIRECT_CODES and location:
                url = urljoin(url, location)
                continue
            permanent = 400 <= exc.code < 500 and exc.code not in (408, 429)
            raise DeliveryError(f"HTTP {exc.code} {exc.reason}", permanent=permanent) from exc
        except (urllib.error.URLError, OSError) as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
    raise DeliveryError(
        f"Quá {netguard.MAX_REDIRECTS} lần chuyển hướng / too many redirects", permanent=True
    )


def retry_outbox(session: Session, actor: audit.Actor, outbox_id: int) -> Outbox:
    """Gửi lại: put a dead (or waiting) message back in the queue with fresh attempts."""
    row = session.get(Outbox, outbox_id)
    if row is None:
        raise ValueError("Không có thông báo này / no such notification")
    if row.status not in (DEAD, PENDING):
        raise ValueError("Chỉ gửi lại được thông báo lỗi / only failed messages can be retried")
    previous = row.status
    row.status = PENDING
    row.attempts = 0
    row.next_attempt_at = clock.now()
    row.locked_until = None
    row.claim_token = None
    row.give_up_at = None  # a fresh retry window
    audit.record(session, actor, "notify.outbox_retry", "outbox", row.id, previous=previous)
    return row
