"""Actions of the public warnings pack: draft, edit, discard, approve (two-person rule),
update and cancel, and the e-mail subscriptions per commune.

Each state change is one function that checks the transition, changes the rows and writes the
audit row; routes, jobs and the demo call the same functions.

Two-person rule: a message is published only by :func:`approve`, called by a signed-in user
who wrote none of it (neither its drafter nor anyone who edited it). A refusal raises
:class:`Refused` (a :class:`~ioc.core.ownership.NotYourData`, so the web layer answers 403 and
keeps an ``access.denied`` audit row); nothing is published.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ioc.core import audit, i18n
from ioc.core.audit import Actor
from ioc.core.communes import communes
from ioc.core.ownership import NotYourData
from ioc.engines.alerting import notify
from ioc.packs.warnings.hazards import BY_KEY, CERTAINTIES, SEVERITIES, URGENCIES
from ioc.packs.warnings.models import (
    DISCARDED,
    DRAFT,
    PUBLISHED,
    WrSubscription,
    WrWarning,
    WrWarningArea,
)

# Who may write a warning (drafts, edits, follow-ups): the operations centre. Who may approve
# one: also the province's leaders. Approval is refused to every author of the message.
DRAFT_ROLES = frozenset({"admin", "operator"})
APPROVE_ROLES = frozenset({"admin", "operator", "leader"})
MAX_TEXT = 4000
MAX_HEADLINE = 300
MAX_DAYS = 31  # a warning lasts at most a month; renew it with an update
EMAIL_RE = re.compile(r"^[^@\s<>,;\"']{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,24}$")


class Refused(NotYourData):
    """A caller who may not do this to a warning (role, or the two-person rule)."""


class WarningInputError(ValueError):
    """Form values that cannot make a warning; ``errors`` maps each field to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class WarningConflict(ValueError):
    """The warning is not in a state that allows this (message safe to show, vi / en)."""


@dataclass
class WarningInput:
    """The content of a warning, validated."""

    hazard: str
    severity: str
    urgency: str
    certainty: str
    headline_vi: str
    effective_at: datetime
    expires_at: datetime
    areas: list[str]
    headline_en: str = ""
    description_vi: str = ""
    description_en: str = ""
    instruction_vi: str = ""
    instruction_en: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------- validation


def _text(raw: Mapping[str, Any], name: str, limit: int) -> str:
    value = raw.get(name)
    return "" if value is None else str(value).replace("\x00", "").strip()[: limit + 1]


def parse_local(value: str) -> datetime | None:
    """A ``datetime-local`` form value (province time, ``2026-03-10T14:30``) as UTC; an
    ISO string with an offset is taken as it is. ``None`` when it cannot be read."""
    value = value.strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=i18n.display_zone())
    return parsed


def validate(session: Session, raw: Mapping[str, Any], *, now: datetime) -> WarningInput:
    """Check form values; raises :class:`WarningInputError` naming every bad field."""
    errors: dict[str, str] = {}
    hazard = _text(raw, "hazard", 32)
    if hazard not in BY_KEY:
        errors["hazard"] = "Chọn loại cảnh báo / choose the hazard type"
    choices = (("severity", SEVERITIES), ("urgency", URGENCIES), ("certainty", CERTAINTIES))
    picked: dict[str, str] = {}
    for name, allowed in choices:
        picked[name] = _text(raw, name, 16)
        if picked[name] not in allowed:
            errors[name] = f"Giá trị không hợp lệ / must be one of {', '.join(allowed)}"
    headline_vi = _text(raw, "headline_vi", MAX_HEADLINE)
    if not headline_vi:
        errors["headline_vi"] = "Nhập tiêu đề tiếng Việt / the Vietnamese headline is required"
    texts = {}
    for name in ("headline_vi", "headline_en"):
        texts[name] = _text(raw, name, MAX_HEADLINE)
        if len(texts[name]) > MAX_HEADLINE:
            errors[name] = f"Tối đa {MAX_HEADLINE} ký tự / at most {MAX_HEADLINE} characters"
    for name in ("description_vi", "description_en", "instruction_vi", "instruction_en"):
        texts[name] = _text(raw, name, MAX_TEXT)
        if len(texts[name]) > MAX_TEXT:
            errors[name] = f"Tối đa {MAX_TEXT} ký tự / at most {MAX_TEXT} characters"
    if not texts["instruction_vi"]:
        errors["instruction_vi"] = (
            "Nhập hướng dẫn cho người dân / instructions in Vietnamese are required"
        )
    effective = parse_local(_text(raw, "effective_at", 40)) if raw.get("effective_at") else now
    expires = parse_local(_text(raw, "expires_at", 40))
    if effective is None:
        errors["effective_at"] = "Thời điểm hiệu lực không hợp lệ / invalid effective time"
    if expires is None:
        errors["expires_at"] = "Nhập thời điểm hết hiệu lực / the expiry time is required"
    elif effective is not None:
        if expires <= effective:
            errors["expires_at"] = (
                "Hết hiệu lực phải sau thời điểm hiệu lực / expiry must be after the effective time"
            )
        elif expires - effective > timedelta(days=MAX_DAYS):
            errors["expires_at"] = (
                f"Tối đa {MAX_DAYS} ngày; gia hạn bằng bản cập nhật / "
                f"at most {MAX_DAYS} days; extend it with an update"
            )
    raw_areas = raw.get("areas") or []
    if isinstance(raw_areas, str):
        raw_areas = [raw_areas]
    wanted = list(dict.fromkeys(str(a).strip() for a in raw_areas if str(a).strip()))
    known = {c.code for c in communes(session)}
    unknown = [a for a in wanted if a not in known]
    if not wanted:
        errors["areas"] = "Chọn ít nhất một xã/phường / choose at least one commune"
    elif unknown:
        shown = ", ".join(unknown[:5])
        errors["areas"] = f"Mã xã/phường không có: {shown} / unknown commune code: {shown}"
    if errors:
        raise WarningInputError(errors)
    assert effective is not None and expires is not None
    return WarningInput(
        hazard=hazard,
        severity=picked["severity"],
        urgency=picked["urgency"],
        certainty=picked["certainty"],
        headline_vi=texts["headline_vi"],
        headline_en=texts["headline_en"],
        description_vi=texts["description_vi"],
        description_en=texts["description_en"],
        instruction_vi=texts["instruction_vi"],
        instruction_en=texts["instruction_en"],
        effective_at=effective,
        expires_at=expires,
        areas=wanted,
    )


# ---------------------------------------------------------------------------- queries


def areas_of(session: Session, ids: Iterable[int]) -> dict[int, list[str]]:
    """``{warning id: [commune codes]}``."""
    wanted = list(set(ids))
    found: dict[int, list[str]] = {i: [] for i in wanted}
    if not wanted:
        return found
    for wid, code in session.execute(
        select(WrWarningArea.warning_id, WrWarningArea.area_code)
        .where(WrWarningArea.warning_id.in_(wanted))
        .order_by(WrWarningArea.area_code)
    ):
        found[wid].append(code)
    return found


def reference_chain(session: Session, message: WrWarning) -> list[WrWarning]:
    """The earlier messages ``message`` follows, oldest first."""
    chain: list[WrWarning] = []
    seen = {message.id}
    ref = message.references_id
    while ref is not None and ref not in seen:
        earlier = session.get(WrWarning, ref)
        if earlier is None:
            break
        chain.append(earlier)
        seen.add(earlier.id)
        ref = earlier.references_id
    chain.reverse()
    return chain


def current(session: Session, now: datetime, area: str | None = None) -> list[WrWarning]:
    """Published alerts and updates not yet expired, superseded or cancelled (in force or
    about to be), most serious first; only those covering ``area`` when given."""
    query = select(WrWarning).where(
        WrWarning.state == PUBLISHED,
        WrWarning.msg_type.in_(("Alert", "Update")),
        WrWarning.superseded_by_id.is_(None),
        WrWarning.expires_at > now,
    )
    if area is not None:
        query = query.join(WrWarningArea, WrWarningArea.warning_id == WrWarning.id).where(
            WrWarningArea.area_code == area
        )
    rows = list(session.scalars(query))
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    rows.sort(key=lambda w: (rank.get(w.severity, 9), -w.effective_at.timestamp()))
    return rows


def recent_cancels(session: Session, now: datetime, hours: int = 24) -> list[WrWarning]:
    """Cancel messages published in the last ``hours`` (the feed keeps them so that relays
    hear of the cancellation)."""
    return list(
        session.scalars(
            select(WrWarning).where(
                WrWarning.state == PUBLISHED,
                WrWarning.msg_type == "Cancel",
                WrWarning.approved_at >= now - timedelta(hours=hours),
            )
        )
    )


def by_identifier(session: Session, identifier: str) -> WrWarning | None:
    """A message by its CAP identifier."""
    return session.scalars(select(WrWarning).where(WrWarning.identifier == identifier)).first()


# ---------------------------------------------------------------------------- actions


def _refuse(vi: str, en: str) -> Refused:
    return Refused(vi, en, owners=["warnings"])


def check_drafter(role: str | None) -> None:
    """Only the operations centre writes warnings."""
    if role not in DRAFT_ROLES:
        raise _refuse(
            "Chỉ Trung tâm IOC (trực ban, quản trị) được soạn cảnh báo công cộng",
            "only the operations centre (operators, administrators) writes public warnings",
        )


def new_identifier(now: datetime) -> str:
    """``DLK-20260310-1a2b3c4d``: the province, the local date and a random part."""
    return f"DLK-{i18n.to_local(now):%Y%m%d}-{secrets.token_hex(4)}"


def _set_content(session: Session, warning: WrWarning, data: WarningInput) -> None:
    for name in (
        "hazard",
        "severity",
        "urgency",
        "certainty",
        "headline_vi",
        "headline_en",
        "description_vi",
        "description_en",
        "instruction_vi",
        "instruction_en",
        "effective_at",
        "expires_at",
    ):
        setattr(warning, name, getattr(data, name))
    session.execute(delete(WrWarningArea).where(WrWarningArea.warning_id == warning.id))
    session.add_all(WrWarningArea(warning_id=warning.id, area_code=a) for a in data.areas)


def create_draft(
    session: Session,
    actor: Actor,
    data: WarningInput,
    *,
    now: datetime,
    role: str | None,
    msg_type: str = "Alert",
    references: WrWarning | None = None,
    source_kind: str = "manual",
    source_alert_id: int | None = None,
    source_incident_id: int | None = None,
) -> WrWarning:
    """Soạn bản tin: a new draft. ``role`` ``None`` is the system (automatic drafts)."""
    if actor.user_id is not None:
        check_drafter(role)
    warning = WrWarning(
        identifier=new_identifier(now),
        msg_type=msg_type,
        state=DRAFT,
        references_id=references.id if references is not None else None,
        hazard=data.hazard,
        severity=data.severity,
        urgency=data.urgency,
        certainty=data.certainty,
        headline_vi=data.headline_vi,
        effective_at=data.effective_at,
        expires_at=data.expires_at,
        source_kind=source_kind,
        source_alert_id=source_alert_id,
        source_incident_id=source_incident_id,
        created_at=now,
        created_by=actor.label[:200],
        created_by_user_id=actor.user_id,
        authors=[actor.user_id] if actor.user_id is not None else [],
        updated_at=now,
    )
    session.add(warning)
    session.flush()
    _set_content(session, warning, data)
    session.flush()
    audit.record(
        session,
        actor,
        "warning.draft",
        "warning",
        warning.id,
        identifier=warning.identifier,
        msg_type=msg_type,
        hazard=data.hazard,
        areas=data.areas[:50],
        source=source_kind,
        source_alert_id=source_alert_id,
        source_incident_id=source_incident_id,
        references=references.identifier if references is not None else None,
    )
    return warning


def _draft(warning: WrWarning) -> None:
    if warning.state != DRAFT:
        raise WarningConflict("Bản tin không còn là bản nháp / the message is no longer a draft")


def edit_draft(
    session: Session,
    actor: Actor,
    warning: WrWarning,
    data: WarningInput,
    *,
    now: datetime,
    role: str | None,
) -> WrWarning:
    """Sửa bản nháp; the editor becomes one of its authors (so cannot approve it)."""
    check_drafter(role)
    _draft(warning)
    _set_content(session, warning, data)
    if actor.user_id is not None and actor.user_id not in (warning.authors or []):
        warning.authors = [*(warning.authors or []), actor.user_id]
    warning.updated_at = now
    session.flush()
    audit.record(
        session,
        actor,
        "warning.edit",
        "warning",
        warning.id,
        identifier=warning.identifier,
        areas=data.areas[:50],
    )
    return warning


def discard(
    session: Session, actor: Actor, warning: WrWarning, *, now: datetime, role: str | None
) -> None:
    """Bỏ bản nháp (kept for the record, never published)."""
    check_drafter(role)
    _draft(warning)
    warning.state = DISCARDED
    warning.updated_at = now
    audit.record(
        session, actor, "warning.discard", "warning", warning.id, identifier=warning.identifier
    )


def approve(
    session: Session,
    actor: Actor,
    warning: WrWarning,
    *,
    now: datetime,
    role: str | None,
    public_url: str,
) -> WrWarning:
    """Duyệt và phát hành: publish a draft. Refused (:class:`Refused`) to anyone but a
    signed-in approver who wrote none of it; :class:`WarningConflict` when the draft expired
    or the message it updates/cancels was already superseded. Queues the e-mails to the
    confirmed subscribers of its communes."""
    if actor.user_id is None or role not in APPROVE_ROLES:
        raise _refuse(
            "Chỉ trực ban, lãnh đạo hoặc quản trị được duyệt cảnh báo",
            "only operators, leaders or administrators approve warnings",
        )
    if actor.user_id == warning.created_by_user_id or actor.user_id in (warning.authors or []):
        raise _refuse(
            "Nguyên tắc hai người: người soạn hoặc sửa bản tin không được tự duyệt",
            "two-person rule: whoever drafted or edited a warning may not approve it",
        )
    _draft(warning)
    if warning.expires_at <= now:
        raise WarningConflict(
            "Bản nháp đã quá thời điểm hết hiệu lực; sửa lại thời gian trước khi duyệt / "
            "the draft has already expired; change its times before approving"
        )
    earlier = session.get(WrWarning, warning.references_id) if warning.references_id else None
    if earlier is not None and (earlier.state != PUBLISHED or earlier.superseded_by_id):
        raise WarningConflict(
            "Bản tin được cập nhật/hủy đã có bản tin khác thay thế / "
            "the message this one updates or cancels was already superseded"
        )
    warning.state = PUBLISHED
    warning.approved_at = now
    warning.approved_by = actor.label[:200]
    warning.approved_by_user_id = actor.user_id
    warning.updated_at = now
    if earlier is not None:
        earlier.superseded_by_id = warning.id
        earlier.updated_at = now
    session.flush()
    sent = notify_subscribers(session, warning, now=now, public_url=public_url)
    audit.record(
        session,
        actor,
        "warning.approve",
        "warning",
        warning.id,
        identifier=warning.identifier,
        msg_type=warning.msg_type,
        drafted_by=warning.created_by,
        references=earlier.identifier if earlier is not None else None,
        emails_queued=sent,
    )
    return warning


def follow_up(
    session: Session,
    actor: Actor,
    original: WrWarning,
    msg_type: str,
    *,
    now: datetime,
    role: str | None,
) -> WrWarning:
    """Start an ``Update`` or ``Cancel`` of a published message: a draft with its content,
    referencing it; published like any draft (by another person)."""
    if msg_type not in ("Update", "Cancel"):
        raise ValueError(msg_type)
    check_drafter(role)
    if (
        original.state != PUBLISHED
        or original.superseded_by_id is not None
        or original.msg_type == "Cancel"
    ):
        raise WarningConflict(
            "Chỉ cập nhật/hủy được bản tin đang có hiệu lực / "
            "only a warning in force can be updated or cancelled"
        )
    areas = areas_of(session, [original.id])[original.id]
    headline_vi, headline_en = original.headline_vi, original.headline_en
    if msg_type == "Cancel":
        headline_vi = f"Hủy cảnh báo: {original.headline_vi}"[:MAX_HEADLINE]
        headline_en = f"Cancelled: {original.headline_en}"[:MAX_HEADLINE] if headline_en else ""
    data = WarningInput(
        hazard=original.hazard,
        severity=original.severity,
        urgency="Past" if msg_type == "Cancel" else original.urgency,
        certainty=original.certainty,
        headline_vi=headline_vi,
        headline_en=headline_en,
        description_vi=original.description_vi,
        description_en=original.description_en,
        instruction_vi=(
            "Cảnh báo trước đây đã được hủy bỏ. Tiếp tục theo dõi thông tin của chính quyền."
            if msg_type == "Cancel"
            else original.instruction_vi
        ),
        instruction_en=(
            "The earlier warning is cancelled. Keep following the authorities' information."
            if msg_type == "Cancel"
            else original.instruction_en
        ),
        effective_at=now if msg_type == "Cancel" else original.effective_at,
        expires_at=max(original.expires_at, now + timedelta(hours=1)),
        areas=areas,
    )
    return create_draft(
        session,
        actor,
        data,
        now=now,
        role=role,
        msg_type=msg_type,
        references=original,
        source_kind=original.source_kind,
        source_alert_id=None,
    )


# ---------------------------------------------------------------------------- subscriptions


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


def confirm(session: Session, token: str, *, now: datetime) -> WrSubscription | None:
    """Confirm the subscription of a link; ``None`` for an unknown token."""
    row = session.scalars(select(WrSubscription).where(WrSubscription.token_hash == _hash(token)))
    found = row.first()
    if found is None:
        return None
    if found.confirmed_at is None:
        found.confirmed_at = now
        audit.record(
            session,
            Actor.system("public"),
            "warning.subscription_confirm",
            "warning_subscription",
            found.id,
            area=found.area_code,
        )
    found.unsubscribed_at = None
    return found


def unsubscribe(session: Session, token: str, *, now: datetime) -> WrSubscription | None:
    """Stop a subscription from the link in any warning e-mail."""
    found = session.scalars(
        select(WrSubscription).where(WrSubscription.token_hash == _hash(token))
    ).first()
    if found is None:
        return None
    if found.unsubscribed_at is None:
        found.unsubscribed_at = now
        audit.record(
            session,
            Actor.system("public"),
            "warning.unsubscribe",
            "warning_subscription",
            found.id,
            area=found.area_code,
        )
    return found


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


def prefill_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """Form values from a mapping (drop unknown keys)."""
    keys = (
        "hazard",
        "severity",
        "urgency",
        "certainty",
        "headline_vi",
        "headline_en",
        "description_vi",
        "description_en",
        "instruction_vi",
        "instruction_en",
        "effective_at",
        "expires_at",
        "areas",
    )
    return {k: data[k] for k in keys if k in data}


def as_values(warning: WrWarning, areas: Sequence[str]) -> dict[str, Any]:
    """A warning's content as form values."""
    return {
        "hazard": warning.hazard,
        "severity": warning.severity,
        "urgency": warning.urgency,
        "certainty": warning.certainty,
        "headline_vi": warning.headline_vi,
        "headline_en": warning.headline_en,
        "description_vi": warning.description_vi,
        "description_en": warning.description_en,
        "instruction_vi": warning.instruction_vi,
        "instruction_en": warning.instruction_en,
        "effective_at": warning.effective_at,
        "expires_at": warning.expires_at,
        "areas": list(areas),
    }
