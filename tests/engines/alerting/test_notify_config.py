"""Loading the notification configuration from YAML: the packaged default, idempotency,
audit, and clear errors."""

from __future__ import annotations

import pytest
from notify_support import ADMIN
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.core import clock
from ioc.core.models import AuditLog
from ioc.engines.alerting.notify.config import (
    ConfigError,
    default_config_text,
    ensure_config,
    load_config,
    parse_duration,
)
from ioc.engines.alerting.notify.models import ContactPoint, NotificationPolicy
from ioc.engines.alerting.notify.policy import load_tree, route
from ioc.settings import Settings


def _audits(db: Session) -> int:
    return db.execute(
        select(func.count()).select_from(AuditLog).where(AuditLog.action.like("notify.%"))
    ).scalar_one()


def test_default_config_routes_as_documented(db: Session, frozen_now) -> None:  # type: ignore[no-untyped-def]
    result = load_config(db, default_config_text(), ADMIN)
    assert "policy" in result.changed
    tree = load_tree(db)
    assert tree is not None

    def points(**labels: str) -> list[str]:
        return [r.contact_point for r in route(tree, {"alertname": "x", **labels})]

    # The duty desk sees everything, 24/7.
    assert points(pack="traffic", severity="warning") == ["truc-ban-ioc"]
    # Critical and high also go by e-mail.
    assert points(pack="traffic", severity="critical") == ["email-truc-ban", "truc-ban-ioc"]
    # Environment alerts also reach the department, muted outside working hours.
    env = route(tree, {"alertname": "x", "pack": "environment", "severity": "high"})
    assert [r.contact_point for r in env] == ["email-truc-ban", "so-nnmt", "truc-ban-ioc"]
    assert env[1].mute_timings == ("ngoai-gio-hanh-chinh",)
    assert env[2].mute_timings == ()
    assert env[0].group_by == ("alertname", "area")


def test_loading_twice_changes_nothing(db: Session, frozen_now) -> None:  # type: ignore[no-untyped-def]
    load_config(db, default_config_text(), ADMIN)
    db.flush()
    audits = _audits(db)
    ids = sorted(db.execute(select(NotificationPolicy.id)).scalars())
    again = load_config(db, default_config_text(), ADMIN)
    assert again.unchanged
    assert _audits(db) == audits
    assert sorted(db.execute(select(NotificationPolicy.id)).scalars()) == ids


def test_changes_are_upserted_and_audited(db: Session, frozen_now) -> None:  # type: ignore[no-untyped-def]
    load_config(db, default_config_text(), ADMIN)
    changed = default_config_text().replace("trucban.ioc@daklak.gov.vn", "ioc@daklak.gov.vn")
    changed = changed.replace("repeat_interval: 4h", "repeat_interval: 2h")
    result = load_config(db, changed, ADMIN)
    assert sorted(result.changed) == ["contact_point:email-truc-ban", "policy"]
    point = db.execute(
        select(ContactPoint).where(ContactPoint.name == "email-truc-ban")
    ).scalar_one()
    assert point.settings["addresses"] == ["ioc@daklak.gov.vn"]
    root = db.execute(
        select(NotificationPolicy).where(NotificationPolicy.parent_id.is_(None))
    ).scalar_one()
    assert root.repeat_interval_s == 7200
    actions = set(db.execute(select(AuditLog.action).where(AuditLog.at == clock.now())).scalars())
    assert {"notify.contact_point_upsert", "notify.policy_tree_replace"} <= actions


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("policy: {contact_point: nowhere}", "nowhere"),
        ("contact_points: [{name: a, kind: sms, settings: {}}]", "kind"),
        ("contact_points: [{name: a, kind: email, settings: {addresses: [x]}}]", "addresses"),
        ("contact_points: [{name: a, kind: webhook, settings: {url: 'file:///etc'}}]", "url"),
        ("contact_points: [{name: a, kind: inapp, settings: {roles: [chief]}}]", "roles"),
        (
            "contact_points: [{name: a, kind: inapp, settings: {roles: [operator]}}]\n"
            "policy: {contact_point: a, routes: [{matchers: ['x=~\"(\"']}]}",
            "policy.routes[0].matchers",
        ),
        (
            "contact_points: [{name: a, kind: inapp, settings: {roles: [operator]}}]\n"
            "policy: {contact_point: a, group_wait: soon}",
            "policy.group_wait",
        ),
        (
            "contact_points: [{name: a, kind: inapp, settings: {roles: [operator]}}]\n"
            "policy: {contact_point: a, mute_timings: [missing]}",
            "missing",
        ),
        ("mute_timings: [{name: m, time_intervals: [{times: ['7h']}]}]", "times"),
        ("policy: {contact_point: a, colour: red}", "colour"),
        ("rules: []", "rules"),
        ("policy: [", "YAML"),
    ],
)
def test_bad_config_names_the_problem(db: Session, frozen_now, text: str, where: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError) as err:
        load_config(db, text, ADMIN)
    assert where in str(err.value)


def test_durations() -> None:
    assert [parse_duration(v, "x") for v in ("30s", "5m", "4h", "1d", 90, "45")] == [
        30,
        300,
        14400,
        86400,
        90,
        45,
    ]


def test_ensure_config_loads_default_only_into_an_empty_configuration(
    db: Session, frozen_now, settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    assert not ensure_config(db, settings).unchanged
    # An admin's changes are not overwritten by a later start.
    root = db.execute(
        select(NotificationPolicy).where(NotificationPolicy.parent_id.is_(None))
    ).scalar_one()
    root.group_wait_s = 60
    db.flush()
    assert ensure_config(db, settings).unchanged
    assert root.group_wait_s == 60
