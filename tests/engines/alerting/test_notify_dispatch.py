"""The dispatcher: grouping, group_wait / group_interval / repeat_interval, resolved alerts,
silences, mute timings, inhibition, idempotency (run on SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from notify_support import ADMIN, SIMPLE, configure, make_alert
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ioc.core import clock
from ioc.engines.alerting.models import Alert, AlertEvent
from ioc.engines.alerting.notify.dispatch import dispatch
from ioc.engines.alerting.notify.models import NotificationGroup, Outbox
from ioc.engines.alerting.notify.silences import create_silence, expire_silence

T0 = datetime(2026, 3, 10, 5, 0, tzinfo=UTC)  # 12:00 in Vietnam, a Tuesday
S = timedelta(seconds=1)
M = timedelta(minutes=1)


@pytest.fixture
def tick(factory: sessionmaker[Session]) -> Iterator:  # type: ignore[type-arg]
    """``tick(at)`` runs one dispatcher tick at ``at`` in its own transaction and returns the
    outbox rows it wrote as ``[(contact point, [(alert id, status), ...])]``."""

    def run(at: datetime) -> list[tuple[str, list[tuple[int, str]]]]:
        clock.set_now(at)
        with factory() as session, session.begin():
            before = session.execute(select(func.max(Outbox.id))).scalar() or 0
            dispatch(session, at, public_url="http://ioc.test")
            rows = session.execute(
                select(Outbox).where(Outbox.id > before).order_by(Outbox.id)
            ).scalars()
            out = []
            for row in rows:
                statuses = _statuses(session, row)
                out.append((row.contact_point, statuses))
            return out

    yield run
    clock.set_now(None)


def _statuses(session: Session, row: Outbox) -> list[tuple[int, str]]:
    events = session.execute(
        select(AlertEvent).where(AlertEvent.kind == "notified").order_by(AlertEvent.alert_id)
    ).scalars()
    return [(e.alert_id, e.data["status"]) for e in events if e.data["outbox_id"] == row.id]


def _alert(factory: sessionmaker[Session], at: datetime, **labels: str) -> int:
    with factory() as session, session.begin():
        return make_alert(session, {"alertname": "aqi", **labels}, starts_at=at).id


def _resolve(factory: sessionmaker[Session], alert_id: int, at: datetime) -> None:
    with factory() as session, session.begin():
        session.get(Alert, alert_id).ends_at = at  # type: ignore[union-attr]


def _setup(factory: sessionmaker[Session], text: str = SIMPLE) -> None:
    clock.set_now(T0)
    with factory() as session, session.begin():
        configure(session, text)


def test_group_wait_interval_and_repeat_sequence(factory, tick) -> None:  # type: ignore[no-untyped-def]
    _setup(factory)
    a = _alert(factory, T0, station="S1")
    assert tick(T0) == []  # new group: wait group_wait
    assert tick(T0 + 29 * S) == []
    assert tick(T0 + 30 * S) == [("ops", [(a, "firing")])]
    assert tick(T0 + 30 * S) == []  # idempotent at the same instant
    assert tick(T0 + 31 * S) == []
    b = _alert(factory, T0 + 2 * M, station="S2")  # joins the same group (group_by alertname)
    assert tick(T0 + 2 * M) == []  # no new wait: it goes out at the next group interval
    assert tick(T0 + 5 * M + 29 * S) == []
    assert tick(T0 + 5 * M + 30 * S) == [("ops", [(a, "firing"), (b, "firing")])]
    assert tick(T0 + 10 * M + 30 * S) == []  # unchanged, repeat interval not reached
    _resolve(factory, b, T0 + 12 * M)
    # Resolved alerts go out at the next group interval (the contact point sends resolved).
    assert tick(T0 + 15 * M + 30 * S) == [("ops", [(a, "firing"), (b, "resolved")])]
    last_sent = T0 + 15 * M + 30 * S
    # Unchanged group: silent until the repeat interval (4 h), checked at interval ticks.
    for k in range(1, 48):
        assert tick(last_sent + k * 5 * M) == [], k
    assert tick(last_sent + 48 * 5 * M) == [("ops", [(a, "firing")])]
    # The last alert resolves: one resolved notification, then the group is gone.
    _resolve(factory, a, last_sent + 48 * 5 * M + M)
    assert tick(last_sent + 49 * 5 * M) == [("ops", [(a, "resolved")])]
    with factory() as session:
        assert session.execute(select(func.count()).select_from(NotificationGroup)).scalar() == 0
    assert tick(last_sent + 50 * 5 * M) == []


def test_alert_resolved_within_group_wait_is_never_notified(factory, tick) -> None:  # type: ignore[no-untyped-def]
    _setup(factory)
    a = _alert(factory, T0)
    assert tick(T0) == []
    _resolve(factory, a, T0 + 10 * S)
    assert tick(T0 + 10 * S) == []
    for at in (T0 + 30 * S, T0 + 6 * M, T0 + 5 * 60 * M):
        assert tick(at) == []
    with factory() as session:
        assert session.execute(select(func.count()).select_from(Outbox)).scalar() == 0


def test_new_group_after_previous_one_emptied_waits_again(factory, tick) -> None:  # type: ignore[no-untyped-def]
    _setup(factory)
    a = _alert(factory, T0)
    tick(T0)
    assert tick(T0 + 30 * S) == [("ops", [(a, "firing")])]
    _resolve(factory, a, T0 + M)
    assert tick(T0 + 5 * M + 30 * S) == [("ops", [(a, "resolved")])]
    b = _alert(factory, T0 + 6 * M)
    assert tick(T0 + 6 * M) == []
    assert tick(T0 + 6 * M + 30 * S) == [("ops", [(b, "firing")])]


def test_without_send_resolved_nothing_is_sent_on_resolution(factory, tick) -> None:  # type: ignore[no-untyped-def]
    _setup(
        factory,
        SIMPLE.replace("contact_point: ops\n  group_by", "contact_point: ops-quiet\n  group_by"),
    )
    a = _alert(factory, T0)
    b = _alert(factory, T0, station="S2")
    tick(T0)
    assert tick(T0 + 30 * S) == [("ops-quiet", [(a, "firing"), (b, "firing")])]
    _resolve(factory, b, T0 + M)
    assert tick(T0 + 5 * M + 30 * S) == []  # b resolved: not worth a message here
    _resolve(factory, a, T0 + 6 * M)
    assert tick(T0 + 10 * M + 30 * S) == []
    with factory() as session:
        assert session.execute(select(func.count()).select_from(NotificationGroup)).scalar() == 0


def test_closed_by_operator_counts_as_resolved(factory, tick) -> None:  # type: ignore[no-untyped-def]
    _setup(factory)
    a = _alert(factory, T0)
    tick(T0)
    assert tick(T0 + 30 * S) == [("ops", [(a, "firing")])]
    with factory() as session, session.begin():
        alert = session.get(Alert, a)
        assert alert is not None
        alert.status = "closed"
        alert.closed_at = T0 + 2 * M
    assert tick(T0 + 5 * M + 30 * S) == [("ops", [(a, "resolved")])]
    with factory() as session:
        row = session.execute(select(Outbox).order_by(Outbox.id.desc())).scalars().first()
        assert row is not None and "Đã hết" in row.payload["title"]


def test_group_by_variants_make_groups(factory, tick) -> None:  # type: ignore[no-untyped-def]
    _setup(factory, SIMPLE.replace("group_by: [alertname]", "group_by: ['...']"))
    a = _alert(factory, T0, station="S1")
    b = _alert(factory, T0, station="S2")
    tick(T0)
    assert sorted(tick(T0 + 30 * S)) == [("ops", [(a, "firing")]), ("ops", [(b, "firing")])]
    with factory() as session, session.begin():
        session.execute(Outbox.__table__.delete())
        session.execute(AlertEvent.__table__.delete())
        session.execute(NotificationGroup.__table__.delete())
    _setup(factory, SIMPLE.replace("group_by: [alertname]", "group_by: []"))
    c = _alert(factory, T0, alertname="other")
    tick(T0)
    assert tick(T0 + 30 * S) == [("ops", [(a, "firing"), (b, "firing"), (c, "firing")])]


ROUTED = SIMPLE.replace(
    "  repeat_interval: 4h\n",
    """  repeat_interval: 4h
  routes:
    - matchers: ['severity=~"critical|high"']
      contact_point: mail
      group_wait: 10s
      continue: true
    - matchers: ['pack="environment"']
      contact_point: ops
""",
)


def test_routes_with_continue_notify_each_contact_point(factory, tick) -> None:  # type: ignore[no-untyped-def]
    _setup(factory, ROUTED)
    crit = _alert(factory, T0, severity="critical")
    warn = _alert(factory, T0, alertname="noise", severity="warning")
    tick(T0)
    assert tick(T0 + 10 * S) == [("mail", [(crit, "firing")])]  # its own group_wait
    assert sorted(tick(T0 + 30 * S)) == [("ops", [(crit, "firing")]), ("ops", [(warn, "firing")])]


def test_silence_stops_notifications_until_it_expires(factory, tick) -> None:  # type: ignore[no-untyped-def]
    _setup(factory)
    with factory() as session, session.begin():
        silence = create_silence(
            session,
            ADMIN,
            matchers=['station="S1"'],
            starts_at=T0,
            ends_at=T0 + 2 * 60 * M,
            comment="Bảo trì trạm S1",
        )
        silence_id = silence.id
    a = _alert(factory, T0, station="S1")
    b = _alert(factory, T0, alertname="other", station="S2")
    tick(T0)
    assert tick(T0 + 30 * S) == [("ops", [(b, "firing")])]  # a is silenced
    assert tick(T0 + 5 * M + 30 * S) == []
    clock.set_now(T0 + 6 * M)
    with factory() as session, session.begin():
        expire_silence(session, ADMIN, silence_id)
    assert tick(T0 + 10 * M + 30 * S) == [("ops", [(a, "firing")])]


def test_silence_applies_to_resolved_notifications_too(factory, tick) -> None:  # type: ignore[no-untyped-def]
    _setup(factory)
    a = _alert(factory, T0)
    tick(T0)
    assert tick(T0 + 30 * S) == [("ops", [(a, "firing")])]
    with factory() as session, session.begin():
        create_silence(
            session,
            ADMIN,
            matchers=['alertname="aqi"'],
            starts_at=T0,
            ends_at=T0 + 60 * M,
            comment="đang xử lý",
        )
    _resolve(factory, a, T0 + M)
    assert tick(T0 + 5 * M + 30 * S) == []


MUTED = SIMPLE.replace(
    "policy:",
    """mute_timings:
  - name: dem
    time_intervals: [{times: ["22:00-06:00"]}]
policy:""",
).replace("  repeat_interval: 4h\n", "  repeat_interval: 4h\n  mute_timings: [dem]\n")


def test_mute_timing_holds_notifications_until_it_ends(factory, tick) -> None:  # type: ignore[no-untyped-def]
    night = datetime(2026, 3, 10, 16, 0, tzinfo=UTC)  # 23:00 in Vietnam
    clock.set_now(night)
    with factory() as session, session.begin():
        configure(session, MUTED)
    a = _alert(factory, night)
    tick(night)
    at = night + 30 * S
    while at < datetime(2026, 3, 10, 23, 0, tzinfo=UTC):  # until 06:00 in Vietnam
        assert tick(at) == [], at
        at += 5 * M
    assert tick(at) == [("ops", [(a, "firing")])]


def test_active_timing_sends_only_inside_it(factory, tick) -> None:  # type: ignore[no-untyped-def]
    text = MUTED.replace("mute_timings: [dem]", "active_timings: [dem]")
    _setup(factory, text)  # 12:00 in Vietnam: outside the active window
    a = _alert(factory, T0)
    tick(T0)
    assert tick(T0 + 30 * S) == []
    evening = datetime(2026, 3, 10, 15, 0, 30, tzinfo=UTC)  # 22:00:30 in Vietnam
    assert tick(evening) == [("ops", [(a, "firing")])]


INHIBIT = (
    SIMPLE
    + """
inhibit_rules:
  - name: mat-dien
    source_matchers: ['alertname="power_outage"']
    target_matchers: ['alertname="sensor_offline"']
    equal: [area]
"""
)


def test_inhibition_mutes_targets_with_equal_labels(factory, tick) -> None:  # type: ignore[no-untyped-def]
    _setup(factory, INHIBIT)
    power = _alert(factory, T0, alertname="power_outage", area="24133")
    same_area = _alert(factory, T0, alertname="sensor_offline", area="24133", station="S1")
    other_area = _alert(factory, T0, alertname="sensor_offline", area="24100", station="S9")
    tick(T0)
    sent = sorted(tick(T0 + 30 * S))
    assert sent == [("ops", [(power, "firing")]), ("ops", [(other_area, "firing")])]
    assert same_area not in [i for _cp, items in sent for i, _s in items]
    # The power cut ends: the offline alert is no longer inhibited.
    _resolve(factory, power, T0 + M)
    assert sorted(tick(T0 + 5 * M + 30 * S)) == [
        ("ops", [(power, "resolved")]),
        ("ops", [(same_area, "firing"), (other_area, "firing")]),
    ]


def test_restart_keeps_timers(factory, tick) -> None:  # type: ignore[no-untyped-def]
    _setup(factory)
    a = _alert(factory, T0)
    tick(T0)
    assert tick(T0 + 30 * S) == [("ops", [(a, "firing")])]
    # A "new process": nothing in memory, all state in notify_groups.
    assert tick(T0 + 2 * M) == []
    assert tick(T0 + 60 * M) == []
    with factory() as session:
        group = session.execute(select(NotificationGroup)).scalar_one()
        assert group.last_sent_fingerprints == {str(a): "firing"}
        assert group.last_sent_at == T0 + 30 * S


def test_payloads_by_kind(factory, tick) -> None:  # type: ignore[no-untyped-def]
    text = SIMPLE.replace("contact_point: ops\n  group_by", "contact_point: mail\n  group_by")
    _setup(factory, text)
    a = _alert(factory, T0, severity="critical", station="S1", area="24133")
    tick(T0)
    assert tick(T0 + 30 * S) == [("mail", [(a, "firing")])]
    with factory() as session:
        row = session.execute(select(Outbox)).scalar_one()
        assert row.kind == "email" and row.status == "pending"
        assert row.payload["subject"].startswith("[Đang cảnh báo] ")
        assert "Nghiêm trọng" in row.payload["subject"]
        assert f"http://ioc.test/alerts/{a}" in row.payload["text"]
        assert "10/03/2026 12:00" in row.payload["text"]  # local time
        assert "Firing" in row.payload["text"]  # English after Vietnamese
