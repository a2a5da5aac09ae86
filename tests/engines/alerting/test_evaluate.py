"""Rule evaluation over stored series and pack records, end to end in the database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ioc.app import load_registry
from ioc.background import sync_rules
from ioc.core import audit
from ioc.core.models import Indicator
from ioc.core.registry import PackManifest, RecordSample, Registry
from ioc.core.series import SeriesResolver, write_observations
from ioc.engines.alerting import rules as rule_actions
from ioc.engines.alerting.evaluate import evaluate_due, fingerprint
from ioc.engines.alerting.models import (
    ALERTING,
    NODATA,
    PENDING,
    Alert,
    AlertEvent,
    AlertInstance,
    AlertRule,
    SopTemplate,
)

ACTOR = audit.Actor.system("test")
NOW = datetime(2026, 3, 10, 5, 0, tzinfo=UTC)  # 12:00 in Đắk Lắk
OFFSET = 7 * 3600


def put(
    session: Session, subject: str, indicator: str, points: list[tuple[datetime, float]]
) -> None:
    ind = session.execute(select(Indicator).where(Indicator.code == indicator)).scalar_one()
    info = SeriesResolver(session).get(ind, "entity", subject)
    rows = [(info.id, int(t.timestamp()), v, 0) for t, v in points]
    write_observations(session, rows, {info.id: info.label_end}, OFFSET, notify=False)


def add_rule(session: Session, **spec: Any) -> AlertRule:
    base = {"uid": "test.rule", "title": "Quy tắc thử", "kind": "threshold"}
    return rule_actions.create_rule(session, ACTOR, rule_actions.validate({**base, **spec}))


def cycle(factory: sessionmaker[Session], now: datetime, registry: Registry | None = None) -> Any:
    with factory() as session, session.begin():
        return evaluate_due(session, now, registry)


def instances(factory: sessionmaker[Session]) -> list[AlertInstance]:
    with factory() as session:
        return list(session.execute(select(AlertInstance)).scalars())


def alerts(factory: sessionmaker[Session]) -> list[Alert]:
    with factory() as session:
        return list(session.execute(select(Alert).order_by(Alert.id)).scalars())


def test_threshold_fires_on_latest_value_and_resolves(
    factory: sessionmaker[Session], station: str
) -> None:
    with factory() as s, s.begin():
        put(s, station, "pm25", [(NOW - timedelta(minutes=10), 80.0)])
        add_rule(
            s,
            query={"indicator": "pm25"},
            params={"op": ">", "threshold": 50},
            severity="high",
            annotations={
                "summary": {"vi": "PM2.5 tại {{ name }} là {{ value }}", "en": "{{ value }}"}
            },
        )
    stats = cycle(factory, NOW)
    assert (stats.rules, stats.fired, stats.resolved) == (1, 1, 0)
    [alert] = alerts(factory)
    assert alert.status == "new" and alert.ends_at is None
    assert alert.labels["alertname"] == "test.rule"
    assert alert.labels["subject"] == station and alert.area_code == "24133"
    assert alert.labels["agency"] == "so-nong-nghiep-moi-truong"
    assert alert.severity == "high" and alert.value == 80.0
    assert (
        alert.annotations["summary"]["vi"] == "PM2.5 tại Trạm thử nghiệm Quảng trường 10/3 là 80,0"
    )
    assert alert.annotations["summary"]["en"] == "80.0"
    assert "Trạm thử nghiệm" in alert.title and "Buôn Ma Thuột" in alert.title

    # Not due again before its interval; then the same value keeps it firing, no new alert.
    assert cycle(factory, NOW + timedelta(seconds=30)).rules == 0
    assert cycle(factory, NOW + timedelta(seconds=60)).fired == 0
    # The value drops: the episode ends and, untouched, closes by itself.
    with factory() as s, s.begin():
        put(s, station, "pm25", [(NOW + timedelta(minutes=1), 20.0)])
    stats = cycle(factory, NOW + timedelta(seconds=120))
    assert stats.resolved == 1
    [alert] = alerts(factory)
    assert alert.ends_at == NOW + timedelta(seconds=120)
    assert alert.status == "closed" and alert.close_reason.startswith("Tự hết")
    assert instances(factory) == []  # Normal instances are not kept
    with factory() as s:
        kinds = [e.kind for e in s.execute(select(AlertEvent).order_by(AlertEvent.id)).scalars()]
    assert kinds == ["fired", "resolved"]


def test_pending_period_needs_the_condition_to_hold(
    factory: sessionmaker[Session], station: str
) -> None:
    with factory() as s, s.begin():
        put(s, station, "pm25", [(NOW - timedelta(minutes=5), 80.0)])
        add_rule(s, query={"indicator": "pm25"}, params={"op": ">", "threshold": 50}, pending_s=120)
    cycle(factory, NOW)
    assert [i.state for i in instances(factory)] == [PENDING]
    cycle(factory, NOW + timedelta(seconds=60))
    assert alerts(factory) == []
    assert cycle(factory, NOW + timedelta(seconds=120)).fired == 1
    assert [i.state for i in instances(factory)] == [ALERTING]


def test_acknowledged_alert_stays_open_after_the_condition_ends(
    factory: sessionmaker[Session], station: str
) -> None:
    with factory() as s, s.begin():
        put(s, station, "pm25", [(NOW - timedelta(minutes=5), 80.0)])
        add_rule(s, query={"indicator": "pm25"}, params={"op": ">", "threshold": 50})
    cycle(factory, NOW)
    with factory() as s, s.begin():
        alert = s.execute(select(Alert)).scalar_one()
        alert.status = "acknowledged"
        put(s, station, "pm25", [(NOW + timedelta(minutes=1), 10.0)])
    cycle(factory, NOW + timedelta(minutes=2))
    [alert] = alerts(factory)
    assert alert.ends_at is not None and alert.status == "acknowledged"


def test_windowed_mean_over_hourly_rollups(factory: sessionmaker[Session], station: str) -> None:
    # 24 hourly PM2.5 values: 12 at 40 and 12 at 52 → mean 46 > 45 (QCVN 05:2023 from 2026).
    hours = [(NOW - timedelta(hours=h), 40.0 if h % 2 else 52.0) for h in range(24)]
    with factory() as s, s.begin():
        put(s, station, "pm25", hours)
        add_rule(
            s,
            query={"indicator": "pm25"},
            params={"op": ">", "threshold": 45, "window_s": 86400, "agg": "mean"},
        )
    stats = cycle(factory, NOW + timedelta(minutes=1))
    assert stats.fired == 1
    assert alerts(factory)[0].value == pytest.approx(46.0)


def test_stale_latest_value_is_no_data(factory: sessionmaker[Session], station: str) -> None:
    with factory() as s, s.begin():
        put(s, station, "pm25", [(NOW - timedelta(hours=3), 80.0)])
        add_rule(s, query={"indicator": "pm25"}, params={"op": ">", "threshold": 50})
    stats = cycle(factory, NOW)
    assert stats.fired == 1
    [alert] = alerts(factory)
    assert alert.labels["alertstate"] == "nodata" and alert.title.startswith("Không có dữ liệu")
    assert [i.state for i in instances(factory)] == [NODATA]


def test_rule_without_any_series_is_no_data_for_the_rule(factory: sessionmaker[Session]) -> None:
    with factory() as s, s.begin():
        add_rule(
            s, query={"indicator": "pm25", "entity": "KHONG-CO"}, params={"op": ">", "threshold": 1}
        )
    cycle(factory, NOW)
    with factory() as s:
        rule = s.execute(select(AlertRule)).scalar_one()
        assert rule.health == "nodata"
    [inst] = instances(factory)
    assert inst.state == NODATA and "subject" not in inst.labels


def test_station_silence_by_entity_type(factory: sessionmaker[Session], station: str) -> None:
    with factory() as s, s.begin():
        put(s, station, "pm25", [(NOW - timedelta(hours=1), 30.0)])
        rule_actions.load_text(
            s,
            """
rules:
  - uid: environment.silent_test
    title: Trạm im lặng
    kind: nodata
    query: {entity_type: AirQualityStation}
    params: {max_age_s: 7200}
    annotations: {summary: {vi: "Trạm {{ name }} im lặng {{ value }} phút"}}
""",
            ACTOR,
        )
    assert cycle(factory, NOW).fired == 0
    stats = cycle(factory, NOW + timedelta(hours=1, minutes=30))
    assert stats.fired == 1
    [alert] = alerts(factory)
    assert (
        alert.annotations["summary"]["vi"]
        == "Trạm Trạm thử nghiệm Quảng trường 10/3 im lặng 150,0 phút"
    )
    assert alert.pack == "environment"


def test_rate_of_change(factory: sessionmaker[Session], station: str) -> None:
    with factory() as s, s.begin():
        put(
            s,
            station,
            "pm25",
            [(NOW - timedelta(hours=3, minutes=30), 20.0), (NOW - timedelta(minutes=30), 65.0)],
        )
        add_rule(
            s,
            kind="rate",
            query={"indicator": "pm25"},
            params={"op": ">=", "threshold": 100, "window_s": 3 * 3600, "mode": "percent"},
        )
    stats = cycle(factory, NOW)
    assert stats.fired == 1
    [alert] = alerts(factory)
    assert "alertstate" not in alert.labels
    assert alert.value == pytest.approx(225.0)  # (65 - 20) / 20, in %


def test_anomaly_ears_c2_on_daily_counts(factory: sessionmaker[Session], station: str) -> None:
    # The facts file's series; day 16 is the spike. Day i is stored at local noon.
    series = [5, 6, 4, 5, 7, 5, 6, 5, 4, 6, 5, 6, 5, 4, 5, 30]
    day16 = datetime(2026, 3, 16, 5, 0, tzinfo=UTC)
    with factory() as s, s.begin():
        put(
            s,
            station,
            "rain",
            [(day16 - timedelta(days=15 - i), float(v)) for i, v in enumerate(series)],
        )
        add_rule(
            s, kind="anomaly", query={"indicator": "rain"}, params={"method": "c2", "agg": "sum"}
        )
    # Evaluated on day 17: the last complete day is the spike.
    assert cycle(factory, day16 + timedelta(days=1)).fired == 1
    assert alerts(factory)[0].value == pytest.approx(32.69, abs=0.01)


def test_record_rule_over_a_pack_source(factory: sessionmaker[Session]) -> None:
    overdue: list[RecordSample] = [
        RecordSample({"report": "PA-2026-000001", "area": "24133"}, 5.0),
        RecordSample({"report": "PA-2026-000002", "area": "24133"}, 0.0),
    ]
    registry = Registry()
    registry.register(
        PackManifest(
            name="field_reports_test",
            title_key="x",
            indicators=list,
            record_sources={"overdue": lambda session, now: list(overdue)},
        )
    )
    with factory() as s, s.begin():
        add_rule(
            s,
            uid="field_reports_test.overdue",
            kind="record",
            query={"source": "field_reports_test.overdue"},
            params={"op": ">", "threshold": 0},
            annotations={"summary": {"vi": "Phản ánh {{ labels.report }} quá hạn {{ value }} giờ"}},
        )
    assert cycle(factory, NOW, registry).fired == 1
    [alert] = alerts(factory)
    assert alert.annotations["summary"]["vi"] == "Phản ánh PA-2026-000001 quá hạn 5,0 giờ"
    overdue.clear()  # handled: the record is gone, the alert resolves at once
    assert cycle(factory, NOW + timedelta(minutes=5), registry).resolved == 1
    assert instances(factory) == []


def test_a_broken_rule_errors_without_stopping_others(
    factory: sessionmaker[Session], station: str
) -> None:
    with factory() as s, s.begin():
        put(s, station, "pm25", [(NOW - timedelta(minutes=5), 80.0)])
        add_rule(s, uid="test.broken", kind="record", query={"source": "nowhere.none"})
        add_rule(s, uid="test.ok", query={"indicator": "pm25"}, params={"op": ">", "threshold": 50})
    stats = cycle(factory, NOW, load_registry())
    assert stats.errors == 1 and stats.fired == 2  # the error episode and the real alert
    with factory() as s:
        broken = s.execute(select(AlertRule).where(AlertRule.uid == "test.broken")).scalar_one()
        assert broken.health == "error" and "nowhere.none" in (broken.last_error or "")


def test_editing_a_rule_resets_its_instances(factory: sessionmaker[Session], station: str) -> None:
    with factory() as s, s.begin():
        put(s, station, "pm25", [(NOW - timedelta(minutes=5), 80.0)])
        add_rule(s, query={"indicator": "pm25"}, params={"op": ">", "threshold": 50})
    cycle(factory, NOW)
    with factory() as s, s.begin():
        rule = s.execute(select(AlertRule)).scalar_one()
        spec = rule_actions.rule_as_dict(rule) | {"params": {"op": ">", "threshold": 90}}
        assert rule_actions.update_rule(s, ACTOR, rule, rule_actions.validate(spec))
        assert rule.version == 2
    assert instances(factory) == []
    [alert] = alerts(factory)
    assert alert.ends_at is not None and alert.close_reason == "Tự đóng: quy tắc đã được sửa"
    # Annotations-only change does not reset.
    cycle(factory, NOW + timedelta(minutes=1))
    with factory() as s, s.begin():
        rule = s.execute(select(AlertRule)).scalar_one()
        spec = rule_actions.rule_as_dict(rule) | {"annotations": {"summary": {"vi": "mới"}}}
        rule_actions.update_rule(s, ACTOR, rule, rule_actions.validate(spec))
    assert instances(factory) == []  # 80 < 90: nothing was firing anyway


def test_pack_default_rules_load_and_ui_edits_are_kept(factory: sessionmaker[Session]) -> None:
    registry = load_registry()
    with factory() as s, s.begin():
        sync_rules(s, registry)
    with factory() as s, s.begin():
        uids = set(s.execute(select(AlertRule.uid)).scalars())
        assert {"environment.aqi_unhealthy", "environment.station_silent"} <= uids
        assert s.get(SopTemplate, "environment.air_pollution") is not None
        rule = s.execute(
            select(AlertRule).where(AlertRule.uid == "environment.aqi_unhealthy")
        ).scalar_one()
        spec = rule_actions.rule_as_dict(rule) | {
            "params": {"op": ">", "threshold": 120, "max_age_s": 7200}
        }
        rule_actions.update_rule(s, ACTOR, rule, rule_actions.validate(spec), source="ui")
    with factory() as s, s.begin():
        sync_rules(s, registry)  # a restart
    with factory() as s:
        rule = s.execute(
            select(AlertRule).where(AlertRule.uid == "environment.aqi_unhealthy")
        ).scalar_one()
        assert rule.params["threshold"] == 120 and rule.source == "ui"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"uid": "Bad Uid"}, "uid"),
        ({"kind": "magic"}, "kind"),
        ({"params": {"op": "~", "threshold": 1}}, "params.op"),
        ({"params": {"op": ">", "threshold": "nhiều"}}, "params.threshold"),
        ({"severity": "urgent"}, "severity"),
        ({"pending_s": -5}, "pending_s"),
        ({"query": {}}, "query.indicator"),
        ({"nodata_state": "panic"}, "nodata_state"),
    ],
)
def test_bad_rule_definitions_name_the_field(spec: dict[str, Any], message: str) -> None:
    base = {
        "uid": "test.rule",
        "title": "T",
        "kind": "threshold",
        "query": {"indicator": "pm25"},
        "params": {"op": ">", "threshold": 1},
    }
    with pytest.raises(rule_actions.RuleError) as info:
        rule_actions.validate({**base, **spec})
    assert any(message in e for e in info.value.errors)


def test_a_bad_rule_file_is_refused_whole(factory: sessionmaker[Session]) -> None:
    text = """
rules:
  - {uid: test.good, title: Tốt, kind: threshold, query: {indicator: pm25}, params: {op: ">", threshold: 1}}
  - {uid: test.bad, title: Xấu, kind: threshold, query: {indicator: pm25}, params: {op: ">"}}
"""
    with factory() as s, s.begin():
        with pytest.raises(rule_actions.RuleError, match=r"rules\[2\].*threshold"):
            rule_actions.load_text(s, text, ACTOR)
        assert s.execute(select(AlertRule)).first() is None


def test_fingerprint_ignores_label_order() -> None:
    assert fingerprint({"a": "1", "b": "2"}) == fingerprint({"b": "2", "a": "1"})
    assert fingerprint({"a": "1"}) != fingerprint({"a": "2"})


@pytest.fixture(autouse=True)
def _no_leftover_clock() -> Iterator[None]:
    yield


def test_anomaly_on_weekly_sums_per_commune(factory: sessionmaker[Session]) -> None:
    # Dengue cases of one commune, one value a day summed into Monday–Sunday weeks: 11 quiet
    # weeks (about 5 a week, spread over the days) and a week of 30. Evaluated during the next
    # week, the last complete week is the spike.
    weekly = [5, 6, 4, 5, 7, 5, 6, 5, 4, 6, 30]
    monday = datetime(2026, 1, 5, 0, 0, tzinfo=UTC) - timedelta(hours=7)  # local Monday 00:00
    points = []
    for w, total in enumerate(weekly):
        # Split the week's count over Monday and Thursday (local noon).
        start = monday + timedelta(weeks=w)
        points += [
            (start + timedelta(hours=12), float(total - 2)),
            (start + timedelta(days=3, hours=12), 2.0),
        ]
    with factory() as s, s.begin():
        ind = s.execute(select(Indicator).where(Indicator.code == "rain")).scalar_one()
        info = SeriesResolver(s).get(ind, "area", "24133")
        rows = [(info.id, int(t.timestamp()), v, 0) for t, v in points]
        write_observations(s, rows, {info.id: info.label_end}, OFFSET, notify=False)
        add_rule(
            s,
            kind="anomaly",
            query={"indicator": "rain", "subject_kind": "area"},
            params={"method": "c2", "bucket": "week", "agg": "sum", "min_sigma": 1},
        )
    next_week = monday + timedelta(weeks=11, days=2)
    assert cycle(factory, next_week).fired == 1
    [alert] = alerts(factory)
    assert alert.area_code == "24133"
    # C2 of week 11 over weeks 1-7 (5,6,4,5,7,5,6: mean 5.43, sd 0.98 -> floored to 1).
    assert alert.value == pytest.approx((30 - 38 / 7) / 1.0, abs=0.01)
