"""Plan vs actual arithmetic on hand-built figures (year to date, plan %, same period last
year, forecast, status colour) and reporting periods with their deadlines."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from ioc.core.calendar import default_calendar
from ioc.engines.submissions import progress as pg
from ioc.engines.submissions.periods import Period, PeriodError, last_closed, parse_period

# Budget revenue (tỷ đồng) per month: January–March.
REVENUE = {1: 1200.0, 2: 900.0, 3: 1500.0}
REVENUE_LAST_YEAR = {1: 1000.0, 2: 800.0, 3: 1300.0, 4: 1100.0, 12: 2500.0}


def test_year_to_date_follows_the_aggregation() -> None:
    assert pg.year_to_date(REVENUE, "sum") == 3600.0
    assert pg.year_to_date(REVENUE, "sum", through_month=2) == 2100.0
    cpi = {1: 103.0, 2: 104.0, 3: 102.0}
    assert pg.year_to_date(cpi, "avg") == pytest.approx(103.0)
    growth = {3: 6.1, 6: 6.8}  # quarterly, already cumulative
    assert pg.year_to_date(growth, "last") == 6.8
    assert pg.year_to_date(growth, "last", through_month=5) == 6.1
    assert pg.year_to_date({}, "sum") is None


def test_plan_vs_actual_same_period_last_year_and_forecast() -> None:
    p = pg.progress(
        REVENUE,
        REVENUE_LAST_YEAR,
        aggregation="sum",
        direction="higher",
        target=15000.0,
    )
    assert p.ytd == 3600.0
    assert p.plan_pct == pytest.approx(24.0)
    # Same period = January–March of last year, not the whole of it.
    assert p.last_year_ytd == 3100.0
    assert p.change_pct == pytest.approx(500 / 3100 * 100)
    # Linear run-rate: 3 600 in 3 months -> 14 400 for the year, 96 % of the target.
    assert p.forecast == pytest.approx(14400.0)
    assert p.forecast_pct == pytest.approx(96.0)
    assert p.status == "warn" and p.color == pg.STATUS_COLORS["warn"]
    assert p.through_month == 3


def test_status_colour_from_direction_and_thresholds() -> None:
    assert pg.status("higher", 101, 100) == "ok"
    assert pg.status("higher", 90, 100) == "warn"
    assert pg.status("higher", 89.9, 100) == "bad"
    # CPI: lower is better; 104.5 is the ceiling.
    assert pg.status("lower", 104.0, 104.5) == "ok"
    assert pg.status("lower", 110.0, 104.5) == "warn"
    assert pg.status("lower", 120.0, 104.5) == "bad"
    assert pg.status("none", 1, 1) == "none"
    assert pg.status("higher", None, 100) == "none"
    assert pg.status("higher", 80, None) == "none"
    assert pg.status("higher", 85, 100, warn_ratio=0.8) == "warn"


def test_rates_forecast_their_level_unless_run_rate_is_asked() -> None:
    disbursed = {1: 3.0, 2: 7.0, 3: 12.0}  # cumulative % of plan
    assert pg.forecast_year_end(disbursed, "last") == 12.0
    assert pg.forecast_year_end(disbursed, "last", method="run_rate") == pytest.approx(48.0)
    p = pg.progress({3: 6.0}, {3: 5.0}, aggregation="last", direction="higher", target=8.0)
    assert p.change_points == pytest.approx(1.0)
    assert p.status == "bad"  # 6 % against an 8 % target, below 90 %


def test_periods_and_deadlines_in_working_days() -> None:
    assert parse_period("2026-03") == Period("P1M", 2026, 3)
    assert parse_period("2026-Q2").end == date(2026, 6, 30)
    assert parse_period("2026").start == date(2026, 1, 1)
    with pytest.raises(PeriodError):
        parse_period("2026-13")
    with pytest.raises(PeriodError):
        parse_period("tháng 3")
    assert Period("P1M", 2026, 1).previous().key == "2025-12"
    assert Period("P3M", 2026, 1).same_last_year().key == "2025-Q1"
    # February 2026 ends on Saturday 28/2: the 5th working day after is Friday 6/3.
    deadline = Period("P1M", 2026, 2).deadline(default_calendar(), 5)
    assert deadline == datetime(2026, 3, 6, 16, 59, 59, tzinfo=UTC)
    # January 2026: Tết (16–20/2) is far away; 31/1 is Saturday -> 6/2.
    assert Period("P1M", 2026, 1).deadline(default_calendar(), 5).date() == date(2026, 2, 6)
    now = datetime(2026, 3, 10, 5, tzinfo=UTC)
    assert last_closed("P1M", now).key == "2026-02"
    assert last_closed("P3M", now).key == "2025-Q4"
    assert last_closed("P1Y", now).key == "2025"
