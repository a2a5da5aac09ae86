"""Health surveillance: weekly cases per commune, EARS through the real rule engine, the page's
statistics, threshold lines and incidence — all checked against hand-computed values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ioc.app import load_registry
from ioc.background import sync_rules
from ioc.core.models import Indicator
from ioc.core.series import SeriesResolver, write_observations
from ioc.engines.alerting import rules as rule_actions
from ioc.engines.alerting.evaluate import evaluate_due
from ioc.engines.alerting.models import Alert, AlertRule
from ioc.packs.health import geo, surveillance

OFFSET = 7 * 3600
# A local Monday 00:00 (2026-01-05 is a Monday).
MONDAY = datetime(2026, 1, 5, tzinfo=UTC) - timedelta(hours=7)
# The facts file's test vector as weekly counts; the last week (16) is the spike.
SERIES = [5, 6, 4, 5, 7, 5, 6, 5, 4, 6, 5, 6, 5, 4, 5, 30]
EA_KAO = "24169"


def write_weeks(session: Session, indicator: str, area: str, counts: list[float]) -> None:
    """One count per week, stamped on its local Monday 00:00 (as the pack stores them)."""
    ind = session.execute(select(Indicator).where(Indicator.code == indicator)).scalar_one()
    info = SeriesResolver(session).get(ind, "area", area)
    rows = [
        (info.id, int((MONDAY + timedelta(weeks=i)).timestamp()), float(v), 0)
        for i, v in enumerate(counts)
    ]
    write_observations(session, rows, {info.id: info.label_end}, OFFSET, notify=False)


def load_rules(factory: sessionmaker[Session]) -> None:
    """Every pack's default rules, the other packs' switched off (this test counts alerts)."""
    with factory() as s, s.begin():
        sync_rules(s, load_registry())
        for rule in s.execute(select(AlertRule).where(AlertRule.pack != "health")).scalars():
            rule.enabled = False


def cycle(factory: sessionmaker[Session], now: datetime) -> Any:
    with factory() as s, s.begin():
        return evaluate_due(s, now, load_registry(), force=True)


def fired(factory: sessionmaker[Session]) -> list[Alert]:
    with factory() as s:
        return list(s.execute(select(Alert).order_by(Alert.id)).scalars())


def week(i: int, days: float = 2.5) -> datetime:
    """A moment inside week ``i`` (0-based) of the test series."""
    return MONDAY + timedelta(weeks=i, days=days)


def test_pack_rules_load_with_c2_on_and_c1_c3_off(factory: sessionmaker[Session]) -> None:
    load_rules(factory)
    with factory() as s:
        found = {
            r.uid: r
            for r in s.execute(select(AlertRule).where(AlertRule.pack == "health")).scalars()
        }
    assert found["health.dengue_c2"].enabled
    assert not found["health.dengue_c1"].enabled and not found["health.dengue_c3"].enabled
    assert found["health.measles_c2"].params == {
        "method": "c2",
        "bucket": "week",
        "agg": "sum",
        "threshold": 3,
        "min_sigma": 1,
    }
    assert found["health.dengue_c2"].query == {
        "indicator": "hl_cases_dengue",
        "subject_kind": "area",
    }


def test_outbreak_alert_fires_for_the_commune_after_its_spike_week(
    factory: sessionmaker[Session],
) -> None:
    load_rules(factory)
    with factory() as s, s.begin():
        write_weeks(s, "hl_cases_dengue", EA_KAO, SERIES)
        write_weeks(s, "hl_cases_dengue", "22015", [5.0] * 15 + [6.0])  # a quiet commune
    # During the spike week itself the week is not complete: no alarm yet.
    assert cycle(factory, week(15)).fired == 0
    stats = cycle(factory, week(16))
    assert stats.fired == 1
    [alert] = fired(factory)
    assert alert.area_code == EA_KAO
    assert "health.dengue_c2" in str(alert.labels)
    # C2 of week 16: baseline weeks 7–13 = 6,5,4,6,5,6,5 (mean 37/7, sample SD 0.756, floored
    # to min_sigma 1) -> (30 − 5.2857) / 1.
    assert alert.value == pytest.approx(30 - 37 / 7, abs=0.01)
    assert "Phường Ea Kao" in alert.annotations["summary"]["vi"]


def test_textbook_c3_alarms_on_the_spike_week_and_the_two_after(
    factory: sessionmaker[Session],
) -> None:
    load_rules(factory)
    with factory() as s, s.begin():
        for rule in s.execute(select(AlertRule).where(AlertRule.pack == "health")).scalars():
            rule.enabled = rule.uid == "health.dengue_c3"
        write_weeks(s, "hl_cases_dengue", EA_KAO, [*SERIES, 6, 5, 5, 4])
    # C3(t) = Σ max(0, C2(i) − 1), i = t−2..t: the spike enters at week 16 and stays in the
    # 3-week window for weeks 17 and 18 (R surveillance 1.20.3 would miss week 16).
    with factory() as s:
        page = surveillance.surveillance(
            s, "dengue", [c for c in geo.communes(s) if c.code == EA_KAO], int(week(16).timestamp())
        )
    assert page.rows[0].stats["c3"] == pytest.approx(30 - 37 / 7 - 1, abs=0.01)
    # week(i) evaluates the last complete week, i.e. week i of the 1-based numbering.
    assert cycle(factory, week(16)).fired == 1  # week 16, the spike itself
    assert cycle(factory, week(17)).fired == 0  # week 17: still firing, not new
    assert cycle(factory, week(18)).resolved == 0  # week 18: still firing
    assert cycle(factory, week(19)).resolved == 1  # week 19: the spike left the window


def test_sparse_counts_alarm_from_three_cases_on_a_zero_baseline(
    factory: sessionmaker[Session],
) -> None:
    load_rules(factory)
    with factory() as s, s.begin():
        write_weeks(s, "hl_cases_measles", EA_KAO, [0.0] * 15 + [3.0])
        write_weeks(s, "hl_cases_measles", "22015", [0.0] * 15 + [2.0])
        # A commune with no case series at all (never reported) has no instance.
    assert cycle(factory, week(16)).fired == 1
    [alert] = fired(factory)
    # Flat zero baseline: S = 0, floored to min_sigma 1 -> C2 = (3 − 0) / 1 = 3 ≥ 3.
    assert alert.area_code == EA_KAO and alert.value == pytest.approx(3.0)
    with factory() as s:
        page = surveillance.surveillance(s, "measles", geo.communes(s), int(week(16).timestamp()))
    rows = {r.code: r for r in page.rows}
    assert rows[EA_KAO].alarm and rows[EA_KAO].stats["c2"] == 3.0
    assert not rows["22015"].alarm and rows["22015"].stats["c2"] == 2.0
    assert not rows["24133"].reported and rows["24133"].stats["c2"] is None


def test_without_min_sigma_a_flat_baseline_gives_no_statistic(
    factory: sessionmaker[Session],
) -> None:
    load_rules(factory)
    with factory() as s, s.begin():
        rule = s.execute(select(AlertRule).where(AlertRule.uid == "health.measles_c2")).scalar_one()
        spec = rule_actions.rule_as_dict(rule)
        spec["params"] = {**spec["params"], "min_sigma": 0}
        rule_actions.update_rule(
            s, rule_actions.audit.Actor.system("test"), rule, rule_actions.validate(spec)
        )
        write_weeks(s, "hl_cases_measles", EA_KAO, [0.0] * 15 + [3.0])
    assert cycle(factory, week(16)).fired == 0
    with factory() as s:
        page = surveillance.surveillance(
            s,
            "measles",
            [c for c in geo.communes(s) if c.code == EA_KAO],
            int(week(16).timestamp()),
        )
    assert page.rows[0].stats["c2"] is None and not page.rows[0].alarm


def test_page_statistics_equal_the_engines(factory: sessionmaker[Session]) -> None:
    load_rules(factory)
    with factory() as s, s.begin():
        write_weeks(s, "hl_cases_dengue", EA_KAO, SERIES)
    cycle(factory, week(16))
    [alert] = fired(factory)
    with factory() as s:
        page = surveillance.surveillance(s, "dengue", geo.communes(s), int(week(16).timestamp()))
    row = next(r for r in page.rows if r.code == EA_KAO)
    assert row.stats["c2"] == pytest.approx(alert.value)
    assert row.last_week == 30 and row.counts[-16:] == SERIES
    # C1 of week 16: baseline weeks 9–15 = 4,6,5,6,5,4,5 (mean 5, SD 0.816 -> 1) -> 25.
    assert row.stats["c1"] == pytest.approx(25.0)
    assert [r.code for r in page.alarms] == [EA_KAO]


def test_c2_threshold_line_is_the_count_where_c2_reaches_three() -> None:
    params = surveillance.MethodParams(threshold=3.0, min_sigma=1.0, enabled=True)
    bounds = surveillance.c2_bounds([float(v) for v in SERIES], params)
    assert bounds[:9] == [None] * 9  # first testable week is the 10th
    # Week 16: mean 37/7 + 3 × max(0.756, 1).
    assert bounds[15] == pytest.approx(37 / 7 + 3, abs=0.01)
    # Week 10: baseline weeks 1–7 = 5,6,4,5,7,5,6 (mean 38/7, sample SD 0.976 -> 1).
    assert bounds[9] == pytest.approx(38 / 7 + 3, abs=0.01)
    wide = surveillance.c2_bounds([0, 10, 0, 10, 0, 10, 0, 0, 0, 0], params)
    # Baseline 0,10,0,10,0,10,0: mean 30/7, sample SD sqrt(Σ(x−m)²/6) = 5.345.
    assert wide[9] == pytest.approx(30 / 7 + 3 * 5.3452, abs=0.01)


def test_incidence_per_100000_over_four_weeks(factory: sessionmaker[Session]) -> None:
    with factory() as s, s.begin():
        write_weeks(s, "hl_cases_hfmd", EA_KAO, [9.0] * 12 + [1.0, 2.0, 3.0, 4.0])
    with factory() as s:
        communes = geo.communes(s)
        page = surveillance.surveillance(s, "hfmd", communes, int(week(16).timestamp()))
    commune = next(c for c in communes if c.code == EA_KAO)
    row = next(r for r in page.rows if r.code == EA_KAO)
    assert commune.population and commune.lat and commune.lon
    assert row.cases_recent == 10
    assert row.incidence == pytest.approx(round(10 / commune.population * 100_000, 1))
    assert page.province[-4:] == [1.0, 2.0, 3.0, 4.0]


def test_weeks_are_monday_to_sunday_in_vietnam_time() -> None:
    monday = int(MONDAY.timestamp())
    sunday_late = int((MONDAY + timedelta(days=6, hours=23, minutes=59)).timestamp())
    assert surveillance.week_start(sunday_late) == monday
    assert surveillance.week_start(sunday_late + 60) == monday + 7 * 86400
    assert surveillance.last_complete_week(monday + 3600) == monday - 7 * 86400
