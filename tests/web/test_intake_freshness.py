"""The data-intake tile judges each series against its indicator's expected interval (hourly,
daily, weekly, monthly, yearly, sampled) from the catalog, with a grace factor — not every
series against two hours."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from helpers import login
from ioc.app import load_registry
from ioc.core import freshness
from ioc.core.models import Indicator, Series

NOW = int(datetime(2026, 3, 10, 5, 0, tzinfo=UTC).timestamp())  # the frozen_now fixture
HOUR, DAY = 3600, 86400
LOCAL = 7 * HOUR


def _local(y: int, m: int, d: int, h: int = 0) -> int:
    return int(datetime(y, m, d, h, tzinfo=UTC).timestamp()) - LOCAL


# (indicator, subject, newest stamp, fresh?) — one series of each frequency, on time and late.
CASES = [
    # Hourly, stamped at the end of the hour (air): 11:00–12:00 just in; 3 hours ago: late.
    ("pm25", "S-H1", _local(2026, 3, 10, 12), True),
    ("pm10", "S-H2", _local(2026, 3, 10, 9), False),
    # Weekly case counts stamped Monday 00:00 of their week: last complete week (02–08/03)
    # is on time; a count of the week of 16/02 is late.
    ("hl_cases_dengue", "24133", _local(2026, 3, 2), True),
    ("hl_cases_dengue", "24121", _local(2026, 2, 16), False),
    # Monthly figures stamped on the 1st of their month: February (sent in early March) is on
    # time; December is late (January and February are missing).
    ("hl_outpatient_visits", "BV-1", _local(2026, 2, 1), True),
    ("hl_outpatient_visits", "BV-2", _local(2025, 12, 1), False),
    # Yearly figure of 2025 (stamped 01/01/2025): on time in March 2026; 2023's is late.
    ("hl_beds_per_10k", "22", _local(2025, 1, 1), True),
    ("hl_doctors_per_10k", "22", _local(2023, 1, 1), False),
    # Laboratory water samples (sampled, monthly programme): a sample of 20/02 is on time,
    # one of October is late.
    ("w_ph", "NM-1", _local(2026, 2, 20, 9), True),
    ("w_ph", "NM-2", _local(2025, 10, 10, 9), False),
    # Traffic detectors every 5 minutes: 10 minutes old is on time, an hour is late.
    ("st_speed", "SEG-1", NOW - 10 * 60, True),
    ("st_speed", "SEG-2", NOW - HOUR, False),
]


def _frequency(db: Session, code: str) -> tuple[str, str]:
    row = db.execute(
        select(Indicator.frequency, Indicator.time_label).where(Indicator.code == code)
    ).one()
    return row[0], row[1]


@pytest.mark.parametrize(("code", "subject", "ts", "fresh"), CASES)
def test_each_series_is_judged_on_its_own_interval(
    db: Session, code: str, subject: str, ts: int, fresh: bool
) -> None:
    frequency, label = _frequency(db, code)
    assert freshness.is_fresh(frequency, label, ts, NOW, grace=1.5, sampled_days=35) is fresh


def test_the_grace_factor_stretches_the_interval() -> None:
    # A daily value for 08/03 (stamped at its start) ends 09/03 00:00; at 10/03 12:00 it is
    # 1.5 days past its end: late with a grace of 1.2, on time with 2.
    ts = _local(2026, 3, 8)
    assert not freshness.is_fresh("P1D", "start", ts, NOW, grace=1.2, sampled_days=35)
    assert freshness.is_fresh("P1D", "start", ts, NOW, grace=2.0, sampled_days=35)
    assert freshness.interval_seconds("PT5M", 35) == 300
    assert freshness.interval_seconds("P1W", 35) == 7 * DAY
    assert freshness.interval_seconds("sampled", 35) == 35 * DAY
    assert not freshness.is_fresh("PT1H", "end", None, NOW, grace=1.5, sampled_days=35)


def test_every_catalog_declares_a_frequency_the_intake_understands() -> None:
    for pack in load_registry().packs:
        for spec in pack.indicators():
            assert freshness.interval_seconds(spec.frequency, 35), (pack.name, spec.code)


def test_intake_tile_counts_series_on_time_for_their_frequency(
    client: TestClient,
    make_user,  # type: ignore[no-untyped-def]
    factory: sessionmaker[Session],
    frozen_now: datetime,
) -> None:
    with factory() as session, session.begin():
        ids = dict(session.execute(select(Indicator.code, Indicator.id)).all())
        for code, subject, ts, _fresh in CASES:
            session.add(
                Series(
                    indicator_id=ids[code],
                    subject_kind="entity",
                    subject_code=subject,
                    latest_ts=ts,
                    latest_value=1.0,
                )
            )
    login(client, "leader", make_user("leader", role="leader"))
    page = client.get("/").text
    intake = re.search(r'data-pack="core">(.*?)</a>', page, re.S)
    assert intake is not None
    on_time = sum(1 for case in CASES if case[3])
    assert f"{on_time}/{len(CASES)} chuỗi số liệu" in intake.group(1)
    assert "50 %" in intake.group(1)
    assert "2 giờ" not in intake.group(1)
