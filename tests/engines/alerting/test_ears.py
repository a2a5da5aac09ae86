"""EARS C1/C2/C3 against the facts file's test vector (outbreak-detection.md §1.1)."""

from __future__ import annotations

import pytest

from ioc.engines.alerting import ears

SERIES = [5, 6, 4, 5, 7, 5, 6, 5, 4, 6, 5, 6, 5, 4, 5, 30, 6, 5, 5, 4, 6]  # spike on day 16


def alarm_days(stats: list[float | None], threshold: float) -> list[int]:
    return [day for day, v in enumerate(stats, start=1) if v is not None and v >= threshold]


def test_c1_alarms_on_the_spike_day_only() -> None:
    stats = ears.c1(SERIES)
    assert alarm_days(stats, 3) == [16]
    assert stats[15] == pytest.approx(30.62, abs=0.01)


def test_c2_alarms_on_the_spike_day_only() -> None:
    stats = ears.c2(SERIES)
    assert alarm_days(stats, 3) == [16]
    assert stats[15] == pytest.approx(32.69, abs=0.01)


def test_textbook_c3_alarms_on_days_16_to_18() -> None:
    stats = ears.c3(SERIES)
    assert alarm_days(stats, 2) == [16, 17, 18]
    assert stats[15] == pytest.approx(31.69, abs=0.01)
    assert stats[16] == pytest.approx(31.92, abs=0.01)
    assert stats[17] == pytest.approx(31.92, abs=0.01)
    assert stats[18] == pytest.approx(0.22, abs=0.01)


def test_first_testable_days() -> None:
    # Day 8 for C1, day 10 for C2, day 12 for C3 (t = B+1, B+3, B+5).
    assert ears.c1(SERIES)[6] is None and ears.c1(SERIES)[7] is not None
    assert ears.c2(SERIES)[8] is None and ears.c2(SERIES)[9] is not None
    assert ears.c3(SERIES)[10] is None and ears.c3(SERIES)[11] is not None
    assert [ears.needed(m) for m in ("c1", "c2", "c3")] == [8, 10, 12]


def test_flat_baseline_needs_min_sigma() -> None:
    flat = [3.0] * 9 + [5.0]
    assert ears.c2(flat)[-1] is None  # no spread, no statistic
    assert ears.c2(flat, min_sigma=0.5)[-1] == pytest.approx(4.0)  # (5 - 3) / 0.5
    assert ears.c2(flat, min_sigma=1.0)[-1] == pytest.approx(2.0)


def test_latest_matches_the_full_computation() -> None:
    for method in ("c1", "c2", "c3"):
        for end in range(1, len(SERIES) + 1):
            full = ears.METHODS[method](SERIES[:end])[-1]
            assert ears.latest(SERIES[:end], method) == full
    with pytest.raises(ValueError, match="unknown EARS method"):
        ears.latest(SERIES, "c9")
