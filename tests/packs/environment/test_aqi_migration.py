"""Migration 0022: the vn_aqi_* series and indicators go, other series stay, and a threshold
rule on vn_aqi_hour becomes a record rule over ``environment.aqi_hour``."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import text

from ioc.core.db import make_engine
from ioc.core.migrate import upgrade

RULE = (
    "INSERT INTO alert_rules (id, uid, title, pack, kind, query, params, severity, interval_s, "
    "pending_s, keep_firing_s, nodata_state, error_state, labels, annotations, enabled, source, "
    "version, updated_at, updated_by, health) VALUES (:id, :uid, 'Thử', 'environment', "
    "'threshold', :query, :params, 'high', 60, 0, 0, 'nodata', 'error', '{}', '{}', true, 'ui', "
    "1, '2026-03-10 00:00:00', 'test', 'ok')"
)


def test_vn_aqi_series_removed_and_rules_read_the_record_source(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0021")
    with engine.begin() as conn:
        for iid, code in ((1, "vn_aqi_hour"), (2, "vn_aqi_day"), (3, "pm25")):
            conn.execute(
                text(
                    "INSERT INTO indicators (id, code, pack, name_vi, name_en, unit, aggregation, "
                    "frequency, direction, time_label, derived, description) VALUES (:i, :c, "
                    "'environment', :c, :c, '1', 'max', 'PT1H', 'none', 'end', false, '')"
                ),
                {"i": iid, "c": code},
            )
            conn.execute(
                text(
                    "INSERT INTO series (id, indicator_id, subject_kind, subject_code) "
                    "VALUES (:i, :i, 'entity', 'DL-01')"
                ),
                {"i": iid},
            )
            conn.execute(
                text(
                    "INSERT INTO observations (series_id, ts, value, quality) VALUES (:i, 7200, 1, 0)"
                ),
                {"i": iid},
            )
            for table in ("rollup_hour", "rollup_day", "rollup_month"):
                conn.execute(
                    text(
                        f"INSERT INTO {table} (series_id, bucket, n, total, vmin, vmax, last_ts, "  # noqa: S608
                        "last_value) VALUES (:i, 3600, 1, 1, 1, 1, 7200, 1)"
                    ),
                    {"i": iid},
                )
        aqi = {"op": ">", "threshold": 120, "max_age_s": 7200}
        windowed = {"op": ">", "threshold": 150, "window_s": 86400, "agg": "mean"}
        for rid, params in ((1, aqi), (2, windowed)):
            conn.execute(
                text(RULE),
                {
                    "id": rid,
                    "uid": f"test.aqi_{rid}",
                    "query": json.dumps({"indicator": "vn_aqi_hour"}),
                    "params": json.dumps(params),
                },
            )
    upgrade(engine, "0022")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT code FROM indicators")).scalars().all() == ["pm25"]
        for table in ("series", "observations", "rollup_hour", "rollup_day", "rollup_month"):
            column = "id" if table == "series" else "series_id"
            found = conn.execute(text(f"SELECT {column} FROM {table}")).scalars().all()  # noqa: S608
            assert found == [3], table
        rules = {
            uid: (kind, json.loads(query), json.loads(params))
            for uid, kind, query, params in conn.execute(
                text("SELECT uid, kind, query, params FROM alert_rules ORDER BY id")
            )
        }
    engine.dispose()
    assert rules["test.aqi_1"] == (
        "record",
        {"source": "environment.aqi_hour"},
        {"op": ">", "threshold": 120},
    )
    # A windowed mean has no record equivalent: left as it was.
    assert rules["test.aqi_2"][0] == "threshold"
