"""E-mail subscriptions to the warnings of a commune: subscribe (double opt-in), confirm,
unsubscribe, and the mail sent to confirmed subscribers when a warning is published."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import audit, i18n
from ioc.core.audit import Actor
from ioc.core.communes import communes
from ioc.engines.alerting import notify
from ioc.packs.warnings.models import WrSubscription, WrWarning
from ioc.packs.warnings.queries import areas_of
from ioc.packs.warnings.service.validation import EMAIL_RE, WarningInputError


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _commune_names(session: Session) -> dict[str, str]:
    return {c.code: c.name for c in communes(session)}


def subscribe(
    session: Session, email: str, area: str, *, lang: str, now: datetime, public_url: str
) -> None:
    """Đăng ký nhận cảnh báo: store the address unconfirmed and mail it the confirmation link
    (again, with a new link, when it subscribed before). Raises :class:`WarningInputError`."""
    email = email.strip().lower()
    names = _commune_names(session)
    errors = {}
    if not EMAIL_RE.match(email) or len(email) > 254:
        errors["email"] = "Địa chỉ e-mail không hợp lệ / invalid e-mail address"
    if area not in names:
        errors["xa"] = "Chọn xã/phường / choose a commune"
    if errors:
        raise WarningInputError(errors)
    token = secrets.token_urlsafe(24)
    row = session.scalars(
        select(WrSubscription).where(
            WrSubscription.email == email, WrSubscription.area_code == area
        )
    ).first()
    if row is None:
        row = WrSubscription(email=email, area_code=area, created_at=now, token_hash=_hash(token))
        session.add(row)
    else:
        row.token_hash = _hash(token)
        row.unsubscribed_at = None
    row.lang = lang
    session.flush()
    link = f"{public_url.rstrip('/')}/public/warnings/subscriptions/confirm?token={token}"
    name = names[area]
    if lang == "vi":
        subject = f"Xác nhận đăng ký nhận cảnh báo — {name}"
        text = (
            f"Bạn (hoặc ai đó) đã đăng ký nhận cảnh báo công cộng cho {name} tại IOC Đắk Lắk.\n"
            f"Bấm vào liên kết sau để xác nhận:\n{link}\n\n"
            "Nếu không phải bạn, hãy bỏ qua thư này."
        )
    else:
        subject = f"Confirm your warning subscription — {name}"
        text = (
            f"You (or someone) subscribed to the public warnings for {name} at the Đắk Lắk IOC.\n"
            f"Open this link to confirm:\n{link}\n\nIf it was not you, ignore this e-mail."
        )
    notify.enqueue_message(
        session,
        channel="email",
        to=[email],
        subject=subject,
        text=text,
        source="warnings",
        reference=f"subscription:{row.id}",
        now=now,
    )
    audit.record(
        session,
        Actor.system("public"),
        "warning.subscribe",
        "warning_subscription",
        row.id,
        area=area,
    )


def _by_token(session: Session, token: str) -> WrSubscription | None:
    """The subscription of the token of a link in a mail."""
    return session.scalars(
        select(WrSubscription).where(WrSubscription.token_hash == _hash(token))
    ).first()


def _record_link(session: Session, action: str, found: WrSubscription) -> None:
    """The audit row of a change made from a link in a mail (nobody signed in)."""
    audit.record(
        session,
        Actor.system("public"),
        action,
        "warning_subscription",
        found.id,
        area=found.area_code,
    )


def _stamp_link(
    session: Session, token: str, stamp: str, action: str, now: datetime
) -> WrSubscription | None:
    """The subscription of the link's token (``None`` for an unknown token), its moment
    ``stamp`` set to ``now`` and audited as ``action`` the first time."""
    found = _by_token(session, token)
    if found is not None and getattr(found, stamp) is None:
        setattr(found, stamp, now)
        _record_link(session, action, found)
    return found


def confirm(session: Session, token: str, *, now: datetime) -> WrSubscription | None:
    """Confirm the subscription of a link; ``None`` for an unknown token."""
    found = _stamp_link(session, token, "confirmed_at", "warning.subscription_confirm", now)
    if found is not None:
        found.unsubscribed_at = None
    return found


def unsubscribe(session: Session, token: str, *, now: datetime) -> WrSubscription | None:
    """Stop a subscription from the link in any warning e-mail."""
    return _stamp_link(session, token, "unsubscribed_at", "warning.unsubscribe", now)


def notify_subscribers(
    session: Session, warning: WrWarning, *, now: datetime, public_url: str
) -> int:
    """Queue one e-mail per confirmed subscriber of the warning's communes (one message per
    address, whatever number of its communes is covered); returns how many."""
    areas = areas_of(session, [warning.id])[warning.id]
    if not areas:
        return 0
    rows = session.scalars(
        select(WrSubscription).where(
            WrSubscription.area_code.in_(areas),
            WrSubscription.confirmed_at.is_not(None),
            WrSubscription.unsubscribed_at.is_(None),
        )
    ).all()
    names = _commune_names(session)
    by_email: dict[str, list[WrSubscription]] = {}
    for row in rows:
        by_email.setdefault(row.email, []).append(row)
    base = public_url.rstrip("/")
    for email, subs in by_email.items():
        lang = subs[0].lang
        where = ", ".join(names.get(s.area_code, s.area_code) for s in subs)
        # A fresh unsubscribe secret for each message (only its hash is kept).
        token = secrets.token_urlsafe(24)
        subs[0].token_hash = _hash(token)
        text = _mail_text(
            warning,
            lang,
            where,
            f"{base}/public/warnings?xa={subs[0].area_code}",
            f"{base}/public/warnings/subscriptions/unsubscribe?token={token}",
        )
        headline = warning.headline_en if lang == "en" and warning.headline_en else None
        subject = headline or warning.headline_vi
        notify.enqueue_message(
            session,
            channel="email",
            to=[email],
            subject=subject[:300],
            text=text,
            source="warnings",
            reference=warning.identifier,
            now=now,
        )
    return len(by_email)


def _mail_text(warning: WrWarning, lang: str, where: str, page: str, unsubscribe_link: str) -> str:
    en = lang == "en" and bool(warning.headline_en)
    tr = "en" if en else "vi"

    def t(key: str, **kw: Any) -> str:
        return i18n.translate(key, tr, **kw)

    lines = [
        warning.headline_en if en else warning.headline_vi,
        "",
        f"{t('wr.field.areas')}: {where}",
        f"{t('wr.field.severity')}: {t('wr.severity.' + warning.severity)}",
        f"{t('wr.field.effective_at')}: {i18n.format_when(warning.effective_at, tr)}",
        f"{t('wr.field.expires_at')}: {i18n.format_when(warning.expires_at, tr)}",
        "",
        warning.description_en if en else warning.description_vi,
        "",
        f"{t('wr.field.instruction')}: {warning.instruction_en if en else warning.instruction_vi}",
        "",
        page,
        "",
        f"{t('wr.mail.unsubscribe')}: {unsubscribe_link}",
    ]
    return "\n".join(lines)
