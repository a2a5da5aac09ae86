"""Quality figures sống, đủ, sạch, đúng on hand-made inputs and hand-made series: stale,
gappy, dirty and wrong data each lower exactly the figure that measures it."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from od_helpers import series, station, write
from sqlalchemy.orm import Session

from ioc.core.models import DeadLetter
from ioc.core.registry import DatasetQuality
from ioc.packs.open_data import quality

HOUR = 3600


def test_figures_from_inputs(frozen_now: datetime) -> None:
    fresh = quality.figures(
        DatasetQuality(
            latest=frozen_now - timedelta(minutes=30),
            expected=720,
            present=360,
            refused=10,
            accepted=90,
            checked=100,
            passed=70,
        ),
        "PT1H",
        frozen_now,
    )
    assert fresh.song == 1.0
    assert fresh.du == pytest.approx(0.5)
    assert fresh.sach == pytest.approx(0.9)
    assert fresh.dung == pytest.approx(0.7)
    assert fresh.overall == "bad"  # the worst figure (đủ 50 %) decides
    assert fresh.score == pytest.approx(0.5)
    assert fresh.as_dict()["du"] == 50.0


def test_stale_dataset_is_not_live(frozen_now: datetime) -> None:
    # An hourly dataset whose newest record is 3 days old: allowed 1.5 h, so 1.5 h / 72 h.
    stale = quality.figures(
        DatasetQuality(latest=frozen_now - timedelta(days=3)), "PT1H", frozen_now
    )
    assert stale.song == pytest.approx(1.5 / 72)
    assert stale.level("song") == "bad"
    # The same age is on time for a monthly figure stamped at the start of its month.
    monthly = quality.figures(
        DatasetQuality(latest=frozen_now - timedelta(days=40)), "P1M", frozen_now, "start"
    )
    assert monthly.song == 1.0
    never = quality.figures(DatasetQuality(latest=None), "P1D", frozen_now)
    assert never.song == 0.0
    irregular = quality.figures(DatasetQuality(latest=None), "irregular", frozen_now)
    assert irregular.song is None  # not applicable, not a fault
    assert irregular.overall == "none"


def test_levels() -> None:
    assert quality.level_of(0.95) == "good"
    assert quality.level_of(0.949) == "warn"
    assert quality.level_of(0.80) == "warn"
    assert quality.level_of(0.79) == "bad"
    assert quality.level_of(None) == "none"


def test_series_quality_counts_gaps_bad_rows_and_dead_letters(
    db: Session, frozen_now: datetime
) -> None:
    now = int(frozen_now.timestamp())
    station(db, "OD-A")
    s = series(db, "pm25", "entity", "OD-A")
    rows: list[tuple[int, float, int]] = []
    for k in range(720):  # 30 days of hourly values, the newest at this hour …
        if 100 <= k < 340:  # … with a 10-day gap
            continue
        ts = now - k * HOUR
        if 60 <= k < 80:
            rows.append((ts, 35.0, 2))  # flagged bad by the sender: refused
        elif 80 <= k < 100:
            rows.append((ts, 6000.0, 0))  # above the indicator's physical range
        else:
            rows.append((ts, 35.0, 0))
    write(db, s, rows)
    for i in range(5):
        db.add(
            DeadLetter(
                source="mqtt",
                topic="ioc/env/OD-A",
                payload='{"indicator": "pm25", "value": "abc"}',
                reason="value is not a number",
                received_at=frozen_now - timedelta(days=i + 1),
                status="new",
            )
        )
    db.add(  # older than 30 days: not counted
        DeadLetter(
            source="mqtt",
            topic="ioc/env/OD-A",
            payload='{"indicator": "pm25"}',
            reason="old",
            received_at=frozen_now - timedelta(days=40),
            status="new",
        )
    )
    db.add(  # about another indicator: not counted
        DeadLetter(
            source="mqtt",
            topic="ioc/env/X",
            payload='{"indicator": "no2"}',
            reason="x",
            received_at=frozen_now - timedelta(days=1),
            status="new",
        )
    )
    db.flush()
    inputs, frequency, label = quality.series_quality(db, ["pm25"], frozen_now)
    assert (frequency, label) == ("PT1H", "end")
    assert inputs.latest is not None
    assert int(inputs.latest.timestamp()) == now
    assert inputs.expected == 720
    assert inputs.present == 480
    assert inputs.refused == 20 + 5
    assert inputs.accepted == 480 - 20
    assert inputs.checked == 480
    assert inputs.passed == 480 - 20 - 20
    f = quality.figures(inputs, frequency, frozen_now, label)
    assert f.song == 1.0
    assert f.du == pytest.approx(480 / 720)
    assert f.sach == pytest.approx(1 - 25 / 485)
    assert f.dung == pytest.approx(440 / 480)


def test_stale_series(db: Session, frozen_now: datetime) -> None:
    now = int(frozen_now.timestamp())
    station(db, "OD-B")
    s = series(db, "pm25", "entity", "OD-B")
    write(db, s, [(now - 3 * 86400 - k * HOUR, 20.0, 0) for k in range(24)])
    inputs, frequency, label = quality.series_quality(db, ["pm25"], frozen_now)
    f = quality.figures(inputs, frequency, frozen_now, label)
    assert f.level("song") == "bad"
    # The series began four days ago: one day of values out of the four expected since.
    assert f.du == pytest.approx(24 / 96)
    assert f.dung == 1.0


def test_figures_reused_only_when_configured(frozen_now: datetime) -> None:
    f = quality.figures(DatasetQuality(latest=frozen_now), "P1D", frozen_now)
    try:
        quality.configure(0)
        quality.keep(("db", "x"), f)
        assert quality.cached(("db", "x")) is None
        quality.configure(60)
        quality.keep(("db", "x"), f)
        assert quality.cached(("db", "x")) is f
        assert quality.cached(("other-db", "x")) is None
    finally:
        quality.configure(0)


def test_temporal_coverage_of_a_series_dataset(db: Session, frozen_now: datetime) -> None:
    from ioc.app import load_registry
    from ioc.packs.open_data import catalogue

    station(db, "OD-T")
    s = series(db, "pm25", "entity", "OD-T")
    now = int(frozen_now.timestamp())
    write(db, s, [(now - 40 * 86400, 10.0, 0), (now, 12.0, 0)])
    entry = catalogue.by_code(load_registry(), "moi-truong-chi-tieu")
    assert entry is not None
    start, end = catalogue.temporal(entry, db)
    assert (str(start), str(end)) == ("2026-01-01", "2026-03-31")
