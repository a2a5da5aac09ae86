"""Deadlines that are dates read as dates on every page (issue 16, point 7)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from ioc.core import i18n

ICT = timezone(timedelta(hours=7))


def test_a_day_boundary_shows_the_day_only() -> None:
    # Start of the day (how the field-report deadline is stored) and end of the day (tasks).
    assert i18n.format_when(datetime(2026, 12, 28, 0, 0, tzinfo=ICT), "vi") == "28/12/2026"
    assert i18n.format_when(datetime(2026, 4, 30, 23, 59, 59, tzinfo=ICT), "vi") == "30/04/2026"
    # The same instant given in UTC is still local midnight.
    assert i18n.format_when(datetime(2026, 12, 27, 17, 0, tzinfo=UTC), "en") == "28/12/2026"


def test_a_moment_in_the_day_keeps_its_time() -> None:
    assert i18n.format_when(datetime(2026, 12, 5, 8, 30, tzinfo=ICT), "vi") == "05/12/2026 08:30"
    # One second past midnight is a real moment, not a date.
    assert i18n.format_when(datetime(2026, 12, 5, 0, 0, 1, tzinfo=ICT), "vi") == "05/12/2026 00:00"
    assert i18n.format_when(datetime(2026, 12, 5, 8, 30, tzinfo=ICT), "vi", False) == "05/12/2026"
