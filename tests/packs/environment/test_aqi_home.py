"""VN_AQI lives in env_aqi only: the AQI alert rules read it through the record source
``environment.aqi_hour``, the map chart and the overview tile's trend read it there, and no
``vn_aqi_*`` series is written any more."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from helpers import hourly_rows, login, post_observations
from ioc.app import load_registry
from ioc.background import sync_rules
from ioc.core import clock
from ioc.core.models import Indicator, Series
from ioc.engines.alerting.evaluate import evaluate_due
from ioc.engines.alerting.models import Alert, AlertInstance, AlertRule
from ioc.packs.environment import pages, queries, service
from ioc.packs.environment.models import AirQualityIndex

DAY_BEFORE, TODAY = date(2026, 3, 9), date(2026, 3, 10)  # frozen_now is 10/3 12:00 local


def _indices(factory: sessionmaker[Session]) -> dict[int, int]:
    with factory() as s:
        rows = s.execute(
            select(AirQualityIndex.ts, AirQualityIndex.aqi).where(
                AirQualityIndex.resolution == "hour"
            )
        ).all()
    return {ts: index for ts, index in rows}  # noqa: C416 - Row to tuple


def test_poor_hourly_index_fires_the_aqi_rule_through_the_record_source(
    client: TestClient,
    factory: sessionmaker[Session],
    station: str,
    ingest_token: str,
    frozen_now: datetime,
) -> None:
    # PM2.5 at 100 µg/m³ from 11:00 to 12:00: hourly VN_AQI 151–200 ("Xấu"), not above 200.
    post_observations(
        client, ingest_token, hourly_rows("pm25", TODAY, [None] * 10 + [100.0, 100.0])
    )
    noon = int(frozen_now.timestamp())
    current = _indices(factory)[noon]
    assert 150 < current <= 200

    registry = load_registry()
    with factory() as s, s.begin():
        sync_rules(s, registry)
    with factory() as s, s.begin():
        evaluate_due(s, frozen_now, registry, force=True)
    with factory() as s:
        by_rule = {i.labels["alertname"]: i for i in s.execute(select(AlertInstance)).scalars()}
        (alert,) = s.execute(
            select(Alert)
            .join(AlertRule, AlertRule.id == Alert.rule_id)
            .where(AlertRule.uid == "environment.aqi_unhealthy")
        ).scalars()
    poor = by_rule["environment.aqi_unhealthy"]
    assert poor.state == "alerting" and poor.value == current
    assert poor.labels["subject"] == station and poor.labels["area"] == "24133"
    assert "environment.aqi_very_unhealthy" not in by_rule  # 151–200 is not above 200
    assert alert.area_code == "24133"
    summary = alert.annotations["summary"]["vi"]
    assert f"AQI giờ tại Trạm thử nghiệm Quảng trường 10/3 là {current}" in summary

    # Three hours later the index is no longer current: the station has no record.
    with factory() as s:
        assert queries.aqi_hour_records(s, frozen_now + timedelta(hours=3)) == []


def test_map_chart_and_tile_trend_show_the_index_from_env_aqi(
    client: TestClient,
    factory: sessionmaker[Session],
    make_user: Any,
    station: str,
    ingest_token: str,
    frozen_now: datetime,
) -> None:
    rows = hourly_rows("pm25", DAY_BEFORE, [20.0] * 24) + hourly_rows("pm25", TODAY, [60.0] * 12)
    post_observations(client, ingest_token, rows)
    indices = _indices(factory)
    noon = int(frozen_now.timestamp())
    assert indices[noon] > 0

    login(client, "lanh-dao", make_user("lanh-dao", role="leader"))
    page = client.get("/environment")
    assert page.status_code == 200
    island = re.search(r'id="chart-data">(.*?)</script>', page.text, re.S)
    assert island is not None
    (line,) = orjson.loads(island.group(1))["series"]
    assert line["name"] == "Trạm thử nghiệm Quảng trường 10/3"
    assert line["data"] == [[queries.iso_local(ts), v] for ts, v in sorted(indices.items())]

    with factory() as s:
        tile = pages.overview_tile(s, "vi")
        # Nothing but env_aqi holds the index: no vn_aqi_* indicator or series exists.
        assert s.execute(select(func.count()).select_from(Series)).scalar_one() == 1
        assert s.execute(select(Indicator).where(Indicator.code.like("vn_aqi%"))).first() is None
    assert tile.trend is not None
    offset = clock.fixed_offset_seconds()
    today = service.local_midnight(TODAY)
    worst_by_day: dict[int, int] = {}
    for ts, v in indices.items():  # the hour labelled 24:00 closes the day before
        day = (ts - 1 + offset) // 86400 * 86400 - offset
        worst_by_day[day] = max(worst_by_day.get(day, 0), v)
    assert tile.trend.values[-2:] == (
        float(worst_by_day[today - 86400]),
        float(worst_by_day[today]),
    )
    assert tile.trend.values[-1] == float(max(v for ts, v in indices.items() if ts > today))
