"""Public-services bench: QĐ 766 indices over a year of dossiers (about 1.5 million) on SQLite.

Figures (keys prefixed ``ps_``; wall seconds, with process CPU seconds beside them because the
bench machine may be shared):

* ``ps_scores_all_s`` — every index the pages show for the year, computed from the
  per agency × commune × procedure × month aggregates that ingestion keeps current: the
  province scorecard of the year and of each month, and the rankings of all agencies and of
  all communes for the year and for each month (the normal "recompute all indices");
* ``ps_rebuild_s`` — rebuild those aggregates from every dossier (two grouped
  INSERT…SELECTs; needed only after a calendar or catalogue change, with re-derivation);
* ``ps_recompute_all_s`` — the worst case, both together from scratch (aim ≤ 10 s);
* ``ps_incremental_10k_s`` — one batch of 10,000 changes to known dossiers (later states:
  finished, new result, supplement) through the ingestion action, validation and aggregate
  deltas included, plus its commit (aim ≤ 1 s); ``ps_incremental_consistent`` checks the
  aggregates still equal a full rebuild afterwards;
* ``ps_insert_10k_s`` — a batch of 10,000 new dossiers the same way.

Dossiers come from the pack's demo generator (realistic mix), replicated under new ids to
reach the target size quickly. Run standalone: ``.venv/bin/python bench/public_services.py``.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from ioc.app import prepare
from ioc.core import audit, clock
from ioc.core.calendar import load_calendar
from ioc.core.db import make_engine
from ioc.packs.public_services import scores
from ioc.packs.public_services.demo import _units, generate, procedure_rows
from ioc.packs.public_services.indices import COUNTER_FIELDS
from ioc.packs.public_services.ingest import ingest_batch, rebuild_stats
from ioc.packs.public_services.models import PsDossier, PsProcedure, PsStat
from ioc.packs.public_services.workdays import WorkdayMath
from ioc.settings import Settings

NOW = datetime(2026, 3, 10, 5, 0, tzinfo=UTC)
FULL = 1_500_000
QUICK = 150_000
BASE = 150_000  # generated once, then replicated under new ids
BATCH = 10_000
AIM_RECOMPUTE_S = 10.0
AIM_INCREMENTAL_S = 1.0
ACTOR = audit.Actor.system("bench")
T = TypeVar("T")


def _timed(fn: Callable[[], T]) -> tuple[T, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def _populate(session: Session, target: int) -> int:
    rng = random.Random(766)
    math = WorkdayMath(load_calendar(session))
    session.execute(insert(PsProcedure), procedure_rows(NOW))
    units = _units(session, rng)
    start = NOW - timedelta(days=365)
    base_target = min(target, BASE)
    # The demo makes ~60k dossiers a year at scale 1.
    scale = base_target / 60_000
    base = list(generate(units, start, NOW, math, rng, scale))[:base_target]
    total, copy = 0, 0
    while total < target:
        chunk = []
        for row in base:
            if total + len(chunk) >= target:
                break
            chunk.append(row if copy == 0 else {**row, "code": f"{row['code']}-{copy}"})
        for i in range(0, len(chunk), 50_000):
            session.execute(insert(PsDossier), chunk[i : i + 50_000])
        total += len(chunk)
        copy += 1
    return total


def _scores_all(session: Session) -> int:
    year = scores.Period("year", 202503, 202602)
    months = year.months()
    n = 0
    scores.scorecard_for(session, scores.Scope(), year, NOW)
    n += 1
    n += len(scores.trend(session, scores.Scope(), months[-1], 12, NOW))
    for period in [year] + [scores.Period("month", m, m) for m in months]:
        n += len(scores.ranking(session, "agency_code", period, now=NOW))
        n += len(scores.ranking(session, "area_code", period, now=NOW))
    return n


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _changes(session: Session, n: int, rng: random.Random) -> list[dict[str, Any]]:
    """``n`` later states of known dossiers, as iGate would send them (ISO strings)."""
    ids = session.execute(
        select(PsDossier).where(PsDossier.counted.is_(True)).order_by(func.random()).limit(n)
    ).scalars()
    rows = []
    for d in ids:
        row: dict[str, Any] = {
            "id": d.code,
            "procedure_code": d.procedure_code,
            "procedure_name": d.procedure_name,
            "agency": d.agency_code,
            "area": d.area_code,
            "channel": d.channel,
            "received_at": _iso(d.received_at),
            "due_at": _iso(d.due_at),
            "time_limit_days": d.time_limit_days,
            "supplement_count": d.supplement_count,
            "supplement_days": d.supplement_days,
            "fee_required": d.fee_required,
            "paid_online": d.paid_online,
            "digitised": d.digitised,
            "reused_data": d.reused,
            "synced": d.synced,
        }
        finished = d.finished_at or min(NOW, d.received_at + timedelta(days=rng.randint(1, 20)))
        row["finished_at"] = _iso(finished)
        row["result"] = "electronic" if d.result_kind != "electronic" else "paper"
        if rng.random() < 0.1:
            row["supplement_count"] = d.supplement_count + 1
        rows.append({k: v for k, v in row.items() if v is not None})
    return rows


def _new_rows(n: int, rng: random.Random) -> list[dict[str, Any]]:
    rows = []
    for i in range(n):
        received = NOW - timedelta(days=rng.randint(3, 40), minutes=rng.randint(0, 600))
        rows.append(
            {
                "id": f"NEW-{i:06d}",
                "procedure_code": "2.000815",
                "procedure_name": "Chứng thực bản sao từ bản chính giấy tờ, văn bản",
                "agency": "ubnd-24133",
                "area": "24133",
                "channel": "online" if i % 2 else "direct",
                "received_at": received.isoformat(),
                "due_at": (received + timedelta(days=1)).isoformat(),
                "finished_at": (received + timedelta(hours=rng.randint(1, 60))).isoformat(),
                "result": "electronic",
            }
        )
    return rows


def _snapshot(session: Session) -> dict[tuple[Any, ...], tuple[int, ...]]:
    out = {}
    for row in session.execute(select(PsStat)).scalars():
        values = tuple(getattr(row, f) for f in COUNTER_FIELDS)
        if any(values):
            out[(row.agency_code, row.area_code, row.procedure_code, row.month)] = values
    return out


def run_public_services(tmp: Path, results: dict[str, Any], quick: bool) -> None:
    """Populate a fresh SQLite database and time recompute-all and incremental updates."""
    target = QUICK if quick else FULL
    url = f"sqlite:///{tmp / 'public_services.db'}"
    settings = Settings(env="test", database_url=url, scheduler="off")
    engine = make_engine(url)
    factory = prepare(settings, engine)
    clock.set_now(NOW)
    try:
        with factory() as session, session.begin():
            total, setup, _ = _timed(lambda: _populate(session, target))
        results["ps_dossiers"] = total
        results["ps_setup_s"] = round(setup, 1)
        with factory() as session, session.begin():
            rows, rebuild, rebuild_cpu = _timed(lambda: rebuild_stats(session))
        results["ps_stats_rows"] = rows
        with factory() as session:
            session.execute(text("ANALYZE"))
            n_cards, scoring, scoring_cpu = _timed(lambda: _scores_all(session))
        results["ps_rebuild_s"] = round(rebuild, 3)
        results["ps_rebuild_cpu_s"] = round(rebuild_cpu, 3)
        results["ps_scores_all_s"] = round(scoring, 3)
        results["ps_scores_all_cpu_s"] = round(scoring_cpu, 3)
        results["ps_scorecards_computed"] = n_cards
        results["ps_recompute_all_s"] = round(rebuild + scoring, 3)
        results["ps_ratio_recompute_to_aim"] = round((rebuild + scoring) / AIM_RECOMPUTE_S, 3)
        rng = random.Random(10)
        with factory() as session:
            changes = _changes(session, BATCH, rng)

        def apply(rows: list[dict[str, Any]]) -> Any:
            with factory() as session:
                report = ingest_batch(session, ACTOR, dossiers=rows, source="bench")
                session.commit()
                return report

        report, inc, inc_cpu = _timed(lambda: apply(changes))
        assert report.ok, report.errors[:3]
        results["ps_incremental_10k_s"] = round(inc, 3)
        results["ps_incremental_10k_cpu_s"] = round(inc_cpu, 3)
        results["ps_incremental_updated"] = report.updated
        results["ps_ratio_incremental_to_aim"] = round(inc / AIM_INCREMENTAL_S, 3)
        report, ins, ins_cpu = _timed(lambda: apply(_new_rows(BATCH, rng)))
        assert report.ok, report.errors[:3]
        results["ps_insert_10k_s"] = round(ins, 3)
        results["ps_insert_10k_cpu_s"] = round(ins_cpu, 3)
        with factory() as session:
            before = _snapshot(session)
            rebuild_stats(session)
            after = _snapshot(session)
            session.rollback()
        results["ps_incremental_consistent"] = before == after
    finally:
        for key, value in results.items():
            if key.startswith("ps_"):
                print(f"{key:32} {value}", file=sys.stderr)
        clock.set_now(None)
        engine.dispose()


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        run_public_services(Path(folder), out, quick)  # prints its figures
