"""One tick of the notification dispatcher (Alertmanager's dispatcher and notification
pipeline, with all state in the database).

Each tick:

1. routes every active alert (``ends_at`` empty and not closed by an operator) through the
   policy tree, into aggregation groups ``(route, group labels)``;
2. adds to each existing group its alerts that were last sent as firing and have since
   resolved (or been closed);
3. for every group whose timer is due: unless the route is muted by a mute timing (or outside
   its active timings), compares the alerts (minus silenced and inhibited ones) with what was
   last sent and, when needed, writes one :class:`Outbox` row for the route's contact point.

Timers: a new group waits ``group_wait``; then it is looked at every ``group_interval``; a
notification goes out when firing alerts were added (or, with ``send_resolved``, some were
resolved), or when ``repeat_interval`` has passed since the last one. An alert that resolves
before its group's first notification is never notified. A group with nothing firing and
nothing left to report is deleted (the next alert starts a new group with a new wait).

Running a tick twice at the same instant writes nothing the second time; every timer lives in
``notify_groups``, so a restart carries on.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.engines.alerting.episodes import system_event
from ioc.engines.alerting.models import ALERT_CLOSED, Alert
from ioc.engines.alerting.notify import messages
from ioc.engines.alerting.notify.messages import FIRING, RESOLVED, AlertView
from ioc.engines.alerting.notify.models import (
    EMAIL,
    INAPP,
    WEBHOOK,
    ContactPoint,
    MuteTiming,
    NotificationGroup,
    Outbox,
)
from ioc.engines.alerting.notify.policy import (
    PolicyNode,
    ResolvedRoute,
    key_hash,
    load_tree,
    route,
    walk,
)
from ioc.engines.alerting.notify.silences import (
    active_silences,
    inhibited,
    load_inhibitions,
    silenced_by,
)
from ioc.engines.alerting.notify.timeintervals import (
    TimeInterval,
    TimeIntervalError,
    any_contains,
    parse_intervals,
)
from ioc.settings import get_settings

log = logging.getLogger(__name__)

NOTIFY_ACTOR = "system:notify"


def alert_status(alert: Alert) -> str:
    """``resolved`` once the condition ended or an operator closed it, else ``firing``."""
    if alert.ends_at is not None or alert.status == ALERT_CLOSED:
        return RESOLVED
    return FIRING


def alert_view(alert: Alert) -> AlertView:
    """The notification's view of an alert row."""
    status = alert_status(alert)
    ends = alert.ends_at or (alert.closed_at if status == RESOLVED else None)
    return AlertView(
        id=alert.id,
        status=status,
        title=alert.title,
        labels=dict(alert.labels or {}),
        annotations=dict(alert.annotations or {}),
        starts_at=alert.starts_at,
        ends_at=ends,
    )


@dataclass
class _Bucket:
    route: ResolvedRoute
    group_key: str
    group_labels: dict[str, str]
    firing: dict[int, Alert] = field(default_factory=dict)
    resolved: dict[int, Alert] = field(default_factory=dict)


def load_timings(session: Session) -> dict[str, list[TimeInterval]]:
    """Named mute timings, parsed (a broken one is logged and ignored)."""
    out: dict[str, list[TimeInterval]] = {}
    for row in session.execute(select(MuteTiming)).scalars():
        try:
            out[row.name] = parse_intervals(row.intervals)
        except TimeIntervalError as exc:
            log.warning("mute timing %s ignored: %s", row.name, exc)
    return out


def route_muted(rt: ResolvedRoute, timings: dict[str, list[TimeInterval]], now: datetime) -> bool:
    """Whether a route is muted at ``now`` by its mute timings or outside its active ones."""
    for name in rt.mute_timings:
        if any_contains(timings.get(name, []), now):
            return True
    if rt.active_timings:
        return not any(any_contains(timings.get(name, []), now) for name in rt.active_timings)
    return False


def _firing_buckets(tree: PolicyNode, active: list[Alert]) -> dict[str, _Bucket]:
    """The firing alerts in the groups of every route they match, by group key hash."""
    buckets: dict[str, _Bucket] = {}
    for alert in active:
        labels = dict(alert.labels or {})
        for rt in route(tree, labels):
            gkey = rt.group_key(labels)
            bucket = buckets.setdefault(
                key_hash(rt.key, gkey), _Bucket(rt, gkey, rt.group_labels(labels))
            )
            bucket.firing[alert.id] = alert
    return buckets


def _known_groups(
    session: Session,
    buckets: dict[str, _Bucket],
    routes_by_key: dict[str, ResolvedRoute],
    active: list[Alert],
) -> dict[str, NotificationGroup]:
    """The stored notification groups whose route still exists (the others are deleted), each
    with a bucket holding the alerts it last sent as firing that have resolved since."""
    groups = {g.key_hash: g for g in session.execute(select(NotificationGroup)).scalars()}
    wanted: set[int] = set()
    for g in groups.values():
        wanted |= {int(i) for i, st in (g.last_sent_fingerprints or {}).items() if st == FIRING}
    active_ids = {a.id for a in active}
    earlier = {
        a.id: a
        for a in (
            session.execute(select(Alert).where(Alert.id.in_(wanted - active_ids))).scalars()
            if wanted - active_ids
            else []
        )
    }
    for h, g in list(groups.items()):
        known = routes_by_key.get(g.route_key)
        if known is None:
            # The policy tree changed and this route is gone: its state means nothing now.
            session.delete(g)
            del groups[h]
            continue
        bucket = buckets.setdefault(h, _Bucket(known, g.group_key, dict(g.group_labels or {})))
        for raw_id, st in (g.last_sent_fingerprints or {}).items():
            gone = earlier.get(int(raw_id))
            if st == FIRING and gone is not None:
                bucket.resolved[gone.id] = gone
    return groups


def _new_group(session: Session, h: str, bucket: _Bucket, now: datetime) -> NotificationGroup:
    """A new notification group for a bucket with firing alerts; it waits ``group_wait_s``."""
    group = NotificationGroup(
        key_hash=h,
        route_key=bucket.route.key,
        group_key=bucket.group_key,
        group_labels=bucket.group_labels,
        contact_point=bucket.route.contact_point,
        first_seen_at=now,
        last_sent_at=None,
        last_sent_fingerprints={},
        next_flush_at=now + timedelta(seconds=bucket.route.group_wait_s),
    )
    session.add(group)
    session.flush()
    return group


def dispatch(session: Session, now: datetime, *, public_url: str | None = None) -> int:
    """Run one dispatcher tick at ``now``; returns the number of outbox rows written.

    Works in the caller's transaction (the job commits). ``public_url`` starts the links in
    messages (default: the ``IOC_PUBLIC_URL`` setting)."""
    if public_url is None:
        public_url = get_settings().public_url
    tree = load_tree(session)
    if tree is None:
        return 0
    routes_by_key = {r.key: r for _d, _n, r in walk(tree)}
    points = {cp.name: cp for cp in session.execute(select(ContactPoint)).scalars()}
    timings = load_timings(session)
    silences = active_silences(session, now)
    inhibitions = load_inhibitions(session)

    active = list(
        session.execute(
            select(Alert)
            .where(Alert.ends_at.is_(None), Alert.status != ALERT_CLOSED)
            .order_by(Alert.starts_at, Alert.id)
        ).scalars()
    )
    firing_labels = [dict(a.labels or {}) for a in active]

    buckets = _firing_buckets(tree, active)
    groups = _known_groups(session, buckets, routes_by_key, active)

    written = 0
    for h, bucket in buckets.items():
        group = groups.get(h)
        if group is None:
            if not bucket.firing:
                continue
            group = _new_group(session, h, bucket, now)
        if group.next_flush_at > now:
            continue
        written += _flush(
            session,
            group,
            bucket,
            now,
            points.get(bucket.route.contact_point),
            public_url=public_url,
            muted_by_time=route_muted(bucket.route, timings, now),
            muted_alert=lambda labels: bool(
                silenced_by(silences, labels) or inhibited(inhibitions, firing_labels, labels)
            ),
        )
    return written


def _flush(
    session: Session,
    group: NotificationGroup,
    bucket: _Bucket,
    now: datetime,
    point: ContactPoint | None,
    *,
    public_url: str,
    muted_by_time: bool,
    muted_alert: Any,
) -> int:
    rt = bucket.route
    group.next_flush_at = now + timedelta(seconds=rt.group_interval_s)
    group.contact_point = rt.contact_point
    last: dict[str, str] = dict(group.last_sent_fingerprints or {})
    written = 0
    if not muted_by_time:
        firing = {i: a for i, a in bucket.firing.items() if not muted_alert(dict(a.labels))}
        resolved = {i: a for i, a in bucket.resolved.items() if not muted_alert(dict(a.labels))}
        last_firing = {int(i) for i, st in last.items() if st == FIRING}
        last_resolved = {int(i) for i, st in last.items() if st == RESOLVED}
        send_resolved = point is not None and point.send_resolved
        if group.last_sent_at is None:
            needed = bool(firing)
        elif not set(firing) <= last_firing:
            needed = True
        elif not firing:
            # Everything resolved: clear the log even if resolved messages are not wanted.
            needed = bool(last_firing)
        elif send_resolved and not set(resolved) <= last_resolved:
            needed = True
        else:
            needed = group.last_sent_at <= now - timedelta(seconds=rt.repeat_interval_s)
        if needed:
            chosen = list(firing.values()) + (list(resolved.values()) if send_resolved else [])
            if chosen and point is not None and not point.disabled:
                _enqueue(session, group, point, [alert_view(a) for a in chosen], now, public_url)
                written = 1
            elif chosen:
                log.warning("contact point %r missing or disabled; dropped", rt.contact_point)
            last = {str(i): FIRING for i in firing} | {str(i): RESOLVED for i in resolved}
            group.last_sent_fingerprints = last
            group.last_sent_at = now
    if not bucket.firing and FIRING not in last.values():
        session.delete(group)
    return written


def _enqueue(
    session: Session,
    group: NotificationGroup,
    point: ContactPoint,
    alerts: Sequence[AlertView],
    now: datetime,
    public_url: str,
) -> Outbox:
    payload: dict[str, Any]
    if point.kind == EMAIL:
        payload = dict(messages.render_email(alerts, public_url))
    elif point.kind == WEBHOOK:
        payload = {
            "body": messages.render_webhook(
                alerts,
                receiver=point.name,
                group_key=group.group_key,
                group_labels=group.group_labels or {},
                public_url=public_url,
            )
        }
    else:
        assert point.kind == INAPP
        payload = dict(messages.render_inapp(alerts))
    payload["alert_ids"] = [a.id for a in alerts]
    row = Outbox.pending(point.name, point.kind, payload, messages.subject(alerts, "vi"), now)
    row.group_id = group.id
    session.add(row)
    session.flush()
    for a in alerts:
        data = {"outbox_id": row.id, "contact_point": point.name, "status": a.status}
        session.add(
            system_event(a.id, now, "notified", point.title or point.name, data, actor=NOTIFY_ACTOR)
        )
    return row
