"""Silences (one-off, matchers + window) and inhibition (a firing source mutes targets).

Both only stop notifications: evaluation, the alert list and the alert pages carry on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import audit, clock
from ioc.engines.alerting.notify.matchers import Matcher, matches_all, parse_matchers
from ioc.engines.alerting.notify.models import InhibitionRule, Silence


class SilenceError(ValueError):
    """A refused silence change, with a message safe to show (Vietnamese / English)."""


def silence_state(silence: Silence, now: datetime) -> str:
    """``pending`` (not started), ``active`` or ``expired``."""
    if silence.expired_at is not None or silence.ends_at <= now:
        return "expired"
    if silence.starts_at > now:
        return "pending"
    return "active"


def create_silence(
    session: Session,
    actor: audit.Actor,
    *,
    matchers: Iterable[str | Mapping[str, Any]] | str,
    starts_at: datetime,
    ends_at: datetime,
    comment: str,
) -> Silence:
    """Tạo lệnh tạm tắt: checks the matchers and the window, stores it, audits."""
    parsed = parse_matchers(matchers)
    if not parsed:
        raise SilenceError("Cần ít nhất một điều kiện nhãn / at least one matcher is required")
    if all(m.matches({}) for m in parsed):
        # Like Alertmanager: a silence whose matchers all match empty labels silences everything.
        raise SilenceError(
            "Điều kiện nhãn khớp mọi cảnh báo; hãy thu hẹp / the matchers match every alert"
        )
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise SilenceError("Thời điểm phải có múi giờ / times must be timezone-aware")
    now = clock.now()
    if ends_at <= starts_at:
        raise SilenceError(
            "Thời điểm kết thúc phải sau thời điểm bắt đầu / end must be after start"
        )
    if ends_at <= now:
        raise SilenceError("Thời điểm kết thúc đã qua / the end is in the past")
    comment = comment.strip()
    if not comment:
        raise SilenceError("Cần ghi chú lý do / a comment is required")
    silence = Silence(
        matchers=[str(m) for m in parsed],
        starts_at=starts_at,
        ends_at=ends_at,
        comment=comment[:2000],
        created_by=actor.label,
        created_at=now,
    )
    session.add(silence)
    session.flush()
    audit.record(
        session,
        actor,
        "notify.silence_create",
        "silence",
        silence.id,
        matchers=silence.matchers,
        starts_at=starts_at.isoformat(),
        ends_at=ends_at.isoformat(),
        comment=silence.comment,
    )
    return silence


def expire_silence(session: Session, actor: audit.Actor, silence_id: int) -> Silence:
    """Kết thúc sớm lệnh tạm tắt (no-op error if already expired)."""
    silence = session.get(Silence, silence_id)
    if silence is None:
        raise SilenceError("Không có lệnh tạm tắt này / no such silence")
    now = clock.now()
    if silence_state(silence, now) == "expired":
        raise SilenceError("Lệnh tạm tắt đã hết hiệu lực / the silence has already expired")
    silence.expired_at = now
    silence.expired_by = actor.label
    if silence.starts_at > now:
        silence.starts_at = now
    silence.ends_at = now
    audit.record(session, actor, "notify.silence_expire", "silence", silence.id)
    return silence


@dataclass(frozen=True)
class ActiveSilence:
    """A silence in force, parsed."""

    id: int
    matchers: tuple[Matcher, ...]

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether this silence mutes an alert with ``labels``."""
        return matches_all(self.matchers, labels)


def active_silences(session: Session, now: datetime) -> list[ActiveSilence]:
    """Silences in force at ``now``."""
    rows = session.execute(
        select(Silence).where(
            Silence.expired_at.is_(None), Silence.starts_at <= now, Silence.ends_at > now
        )
    ).scalars()
    return [ActiveSilence(s.id, tuple(parse_matchers(s.matchers))) for s in rows]


def silenced_by(silences: Sequence[ActiveSilence], labels: Mapping[str, str]) -> list[int]:
    """Ids of the silences muting ``labels``."""
    return [s.id for s in silences if s.matches(labels)]


@dataclass(frozen=True)
class Inhibition:
    """A parsed inhibition rule."""

    name: str
    source: tuple[Matcher, ...]
    target: tuple[Matcher, ...]
    equal: tuple[str, ...]


def load_inhibitions(session: Session) -> list[Inhibition]:
    """All inhibition rules, parsed."""
    return [
        Inhibition(
            r.name,
            tuple(parse_matchers(r.source_matchers)),
            tuple(parse_matchers(r.target_matchers)),
            tuple(r.equal or []),
        )
        for r in session.execute(select(InhibitionRule).order_by(InhibitionRule.id)).scalars()
    ]


def inhibited(
    rules: Sequence[Inhibition],
    firing: Sequence[Mapping[str, str]],
    labels: Mapping[str, str],
) -> str | None:
    """Name of the rule muting an alert with ``labels``, given the label sets of all firing
    alerts (Alertmanager semantics: equal labels compared with a missing label as empty; an
    alert matching both sides cannot be inhibited by an alert that also matches both)."""
    for rule in rules:
        if not matches_all(rule.target, labels):
            continue
        target_is_source = matches_all(rule.source, labels)
        for source in firing:
            if source is labels or dict(source) == dict(labels):
                continue
            if not matches_all(rule.source, source):
                continue
            if target_is_source and matches_all(rule.target, source):
                continue
            if all(source.get(n, "") == labels.get(n, "") for n in rule.equal):
                return rule.name
    return None
