"""Alert rule evaluation bench: N threshold rules over N series, one evaluation cycle.

The issue's aim: 10,000 rules over 10,000 series in ≤ 1 s per cycle. Three cycles are timed on
a fresh SQLite database (and on PostgreSQL with ``--postgres``):

* ``quiet``   — every value below its threshold (the usual case: nothing to write);
* ``storm``   — 10 % of the series breach at once (1,000 alerts open in one cycle);
* ``steady``  — the same breaches one interval later (firing goes on, nothing new).

Each figure is the wall time of ``evaluate_due`` plus its commit, as the scheduler runs it.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from ioc.app import boot
from ioc.core import audit
from ioc.core.db import make_engine, make_sessionmaker
from ioc.core.indicators import sync_catalog
from ioc.core.migrate import upgrade
from ioc.core.models import Entity, Indicator
from ioc.core.series import SeriesResolver
from ioc.engines.alerting import rules as rule_actions
from ioc.engines.alerting.evaluate import evaluate_due
from ioc.engines.alerting.models import Alert
from ioc.settings import Settings

NOW = datetime(2026, 3, 10, 5, 0, tzinfo=UTC)
AIM_S = 1.0


def _populate(factory: sessionmaker[Session], n: int) -> list[int]:
    """``n`` stations with one PM2.5 series each and one threshold rule per series."""
    actor = audit.Actor.system("bench")
    with factory() as session, session.begin():
        indicator = session.execute(select(Indicator).where(Indicator.code == "pm25")).scalar_one()
        session.add_all(
            Entity(
                code=f"B-{i:05d}",
                type="AirQualityStation",
                pack="environment",
                name=f"Trạm {i}",
                name_folded=f"tram {i}",
                area_code="24133",
                active=True,
                attributes={},
            )
            for i in range(n)
        )
        session.flush()
        resolver = SeriesResolver(session)
        ids = [resolver.get(indicator, "entity", f"B-{i:05d}").id for i in range(n)]
        for i in range(n):
            spec = rule_actions.validate(
                {
                    "uid": f"bench.pm25_{i:05d}",
                    "title": f"PM2.5 cao trạm {i}",
                    "kind": "threshold",
                    "query": {"indicator": "pm25", "entity": f"B-{i:05d}"},
                    "params": {"op": ">", "threshold": 50},
                    "interval_s": 60,
                    "annotations": {"summary": {"vi": "PM2.5 tại {{ name }} là {{ value }}"}},
                }
            )
            rule_actions.create_rule(session, actor, spec, source="yaml")
    return ids


def _set_latest(
    factory: sessionmaker[Session], ids: list[int], breach_every: int, at: datetime
) -> None:
    ts = int((at - timedelta(minutes=5)).timestamp())
    with factory() as session, session.begin():
        session.execute(
            text("UPDATE series SET latest_ts = :ts, latest_value = 20"),
            {"ts": ts},
        )
        if breach_every:
            hot = ids[::breach_every]
            for i in range(0, len(hot), 5000):
                chunk = hot[i : i + 5000]
                ids_sql = ",".join(map(str, chunk))
                session.execute(
                    text(f"UPDATE series SET latest_value = 80 WHERE id IN ({ids_sql})")
                )


def _cycle(factory: sessionmaker[Session], now: datetime, registry: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    with factory() as session, session.begin():
        stats = evaluate_due(session, now, registry)
    return time.perf_counter() - started, stats


def run_alerting(
    database_url: str, n: int, results: dict[str, Any], prefix: str = "alerting"
) -> None:
    """Populate ``n`` rules and series in ``database_url`` and time three cycles."""
    settings = Settings(env="test", database_url=database_url, scheduler="off")
    engine = make_engine(database_url)
    upgrade(engine)
    registry = boot(settings)
    factory = make_sessionmaker(engine)
    with factory() as session, session.begin():
        for pack in registry.packs:
            sync_catalog(session, pack.indicators())
    t0 = time.perf_counter()
    ids = _populate(factory, n)
    results[f"{prefix}_setup_s"] = round(time.perf_counter() - t0, 1)
    results[f"{prefix}_rules"] = n
    _set_latest(factory, ids, 0, NOW)
    quiet, stats = _cycle(factory, NOW, registry)
    assert stats.rules == n and stats.fired == 0, stats
    _set_latest(factory, ids, 10, NOW + timedelta(minutes=1))
    storm, stats = _cycle(factory, NOW + timedelta(minutes=1), registry)
    fired = stats.fired
    steady, stats = _cycle(factory, NOW + timedelta(minutes=2), registry)
    with factory() as session:
        open_alerts = session.execute(select(func.count()).select_from(Alert)).scalar_one()
    results[f"{prefix}_quiet_cycle_s"] = round(quiet, 3)
    results[f"{prefix}_storm_cycle_s"] = round(storm, 3)
    results[f"{prefix}_storm_alerts_opened"] = fired
    results[f"{prefix}_steady_cycle_s"] = round(steady, 3)
    results[f"{prefix}_steady_new_alerts"] = stats.fired
    results[f"{prefix}_alerts_stored"] = open_alerts
    results[f"{prefix}_rules_per_s_quiet"] = round(n / quiet) if quiet else None
    results[f"{prefix}_ratio_quiet_to_aim"] = round(quiet / AIM_S, 3)
    results[f"{prefix}_ratio_storm_to_aim"] = round(storm / AIM_S, 3)
    engine.dispose()


def sqlite_run(tmp: Path, n: int, results: dict[str, Any]) -> None:
    """The SQLite figures."""
    run_alerting(f"sqlite:///{tmp / 'alerting.db'}", n, results)
