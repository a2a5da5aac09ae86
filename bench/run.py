"""IOC benchmark: ingestion throughput and page latency (``make bench``).

Figures (see bench/README.md for their exact meaning):

1. Ingestion on SQLite, batches of 10,000 rows: through the HTTP API of a real ``ioc serve``
   process, in-process through ``ioc.engines.ingestion.service.ingest``, and the raw floor
   (``executemany`` of the same rows into the same indexed ``observations`` table); ratios,
   each measured in the same run as its floor. Optionally repeated on PostgreSQL
   (``--postgres URL``; ``make bench`` passes the machine's server), beside a raw ``COPY``.
2. Latency (p50/p95) of the overview page ``/`` and of a station page with 1M and 10M
   observations stored (``--quick``: 100k and 1M).
3. NGSI-LD batch upsert (``POST /ngsi-ld/v1/entityOperations/upsert?options=update``) of
   AirQualityObserved entities to a real ``ioc serve``: entities/s, requests/s, p95 per request,
   and the ratio to the published Stellio and Scorpio write rates.
4. Alert rule evaluation: 10,000 threshold rules over 10,000 series, the wall time of one
   cycle when all is quiet, in an alert storm (1,000 alerts open at once) and steady firing
   (bench/alerting.py).
5. Public services (QĐ 766): recompute every index for a year of dossiers (about 1.5 million)
   and an incremental batch of 10,000 dossier changes (bench/public_services.py).
6. Syslog intake over UDP and TCP: events/s and events lost (bench/syslog_intake.py).
7. Point → commune: 100,000 random points in the province's bounding box placed in their
   commune in one vectorised call, points/s (bench/geo_locate.py).

The bench prints a table and writes ``bench/results.json``; it never fails on a timing.

Usage::

    .venv/bin/python bench/run.py            # full run (several minutes)
    .venv/bin/python bench/run.py --quick    # smoke run (about a minute)
    .venv/bin/python bench/run.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/run.py --only-ngsi # the NGSI-LD figures only
    .venv/bin/python bench/run.py --only-geo  # the point → commune figures only
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import io
import json
import math
import os
import platform
import pstats
import random
import re
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx2
import orjson
from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

# bench/alerting.py, geo_locate.py, public_services.py, syslog_intake.py (the script's folder
# is on sys.path)
import alerting
import geo_locate
import public_services
import scale
import syslog_intake
from ioc.app import boot
from ioc.cli import prepare_database
from ioc.core import audit, auth, clock
from ioc.core import series as series_store
from ioc.core.db import make_engine, make_sessionmaker
from ioc.core.models import Entity, Indicator, Series
from ioc.core.series import DAY, HOUR, SeriesResolver, day_bucket, month_bucket, next_month
from ioc.engines.ingestion.parse import RawRow, parse_json
from ioc.engines.ingestion.service import ingest
from ioc.packs.environment import service as env_service
from ioc.packs.environment.demo import load_demo
from ioc.packs.environment.demo_data import DEMO_STATIONS, POLLUTANTS, generate_hourly
from ioc.settings import Settings

BENCH_DIR = Path(__file__).resolve().parent
BATCH_ROWS = 10_000
STATION_PAGE_CODE = "DL-BMT-01"
PAGES = {"overview": "/", "station_page": f"/environment/stations/{STATION_PAGE_CODE}"}

#: The raw floor: one ``executemany`` of the batch straight into ``observations``, with the
#: conflict clause the write path's upsert uses (the write path stages the rows first).
SQLITE_UPSERT = (
    "INSERT INTO observations (series_id, ts, value, quality) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (series_id, ts) DO UPDATE "
    "SET value = excluded.value, quality = excluded.quality"
)

#: Aims from the issue; reported beside the figures, never asserted.
AIMS: dict[str, float] = {
    "ingest_http_sqlite_obs_per_s_min": 100_000,
    "ingest_ratio_http_to_raw_sqlite_min": 0.3,
    "ingest_ratio_inprocess_to_raw_sqlite_min": 0.4,
    "ingest_ratio_http_to_raw_postgres_min": 0.3,
    "ingest_end_to_end_derive_thread_to_http_min": 0.8,
    "derive_lag_s_max": 2.0,
    "mqtt_ratio_ingest_to_bare_min": 0.8,
    "ngsi_upsert_entities_per_s_min": 2_410,
    "page_p95_ms_max_at_large_size": 50,
    "page_p95_ratio_large_to_small_max": 1.5,
    "ngsi_upsert_ratio_to_stellio_best_min": 10,
    "mqtt_ingest_readings_per_s_min": 20_000,
    "alerting_cycle_s_max": 1.0,
    "ps_recompute_all_s_max": 10.0,
    "ps_incremental_10k_s_max": 1.0,
    "syslog_events_per_s_min": 20_000,
    "geo_points_per_s_min": 50_000,
}

#: Published NGSI-LD broker write rates (shared/domain/performance-anchors.md): Stellio create
#: 131–241 req/s (Sept 2024, one entity per request, 8 vCPU broker), Scorpio ≈ 324 writes/s.
STELLIO_CREATE_REQ_PER_S_BEST = 241
SCORPIO_WRITES_PER_S = 324
NGSI_ENTITIES_PER_REQUEST = 100
NGSI_POLLUTANTS = ("pm25", "pm10", "o3", "no2", "so2", "co")

Row = tuple[int, int, float, int]
console = Console(highlight=False)
if console.width < 120:
    console.width = 120


@dataclass(frozen=True)
class Config:
    """Sizes of one run."""

    mode: str
    ingest_rows: int
    small_obs: int
    large_obs: int
    page_requests: int
    page_warmup: int

    @classmethod
    def full(cls) -> Config:
        """The figures the issue asks for: 300k ingested rows, pages at 1M and 10M."""
        return cls("full", 300_000, 1_000_000, 10_000_000, 200, 10)

    @classmethod
    def quick(cls) -> Config:
        """A smoke run: 100k ingested rows, pages at 100k and 1M, fewer requests."""
        return cls("quick", 100_000, 100_000, 1_000_000, 60, 5)


def size_label(n: int) -> str:
    """``1_000_000`` → ``"1M"``, ``100_000`` → ``"100k"``."""
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1_000 and n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


def note(message: str) -> None:
    """A progress line with the elapsed time of the run."""
    console.print(f"[dim]{time.strftime('%H:%M:%S')}[/] {message}")


# --------------------------------------------------------------------------------------------
# Databases, server and client helpers
# --------------------------------------------------------------------------------------------


def bench_settings(database_url: str, data_dir: Path) -> Settings:
    """Settings for a bench database (development mode, quiet logs)."""
    return Settings(
        env="development", database_url=database_url, data_dir=data_dir, log_level="WARNING"
    )


def sqlite_url(path: Path) -> str:
    """SQLAlchemy URL of a SQLite file."""
    return f"sqlite:///{path}"


def copy_sqlite(src: Path, dst: Path) -> None:
    """A consistent copy of a SQLite database (WAL included) through the backup API."""
    with (
        contextlib.closing(sqlite3.connect(src)) as s,
        contextlib.closing(sqlite3.connect(dst)) as d,
    ):
        s.backup(d)


def checkpoint(path: Path) -> None:
    """Fold the WAL into the main file, so every measured server starts from the same state."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def file_mb(path: Path) -> float:
    """Size of a SQLite database with its WAL, in MB."""
    total = sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
    return round(total / 1e6, 1)


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_until_idle(pid: int, timeout: float = 90.0) -> None:
    """Wait until a freshly started server has done its start-up work (the scheduler's
    catch-up jobs: snapshot, commune figures …), so a figure measures steady-state intake, not
    intake competing with one-off start-up jobs: idle = under 5 % of a core for one second."""
    deadline = time.monotonic() + timeout
    with contextlib.suppress(OSError):
        before = _cpu_seconds(pid)
        while time.monotonic() < deadline:
            time.sleep(1.0)
            now = _cpu_seconds(pid)
            if now - before < 0.05:
                return
            before = now


class Server:
    """``ioc serve`` in a child process (the real app, one uvicorn worker), stopped on exit."""

    def __init__(
        self, database_url: str, data_dir: Path, log_path: Path, derive: str = "thread"
    ) -> None:
        self.derive = derive  # "thread" (in the web process) or "process" (`ioc derive`)
        self.deriver: subprocess.Popen[bytes] | None = None
        self.database_url = database_url
        self.data_dir = data_dir
        self.log_path = log_path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        env = os.environ.copy()
        env.update(
            {
                "IOC_ENV": "development",
                "IOC_DATABASE_URL": self.database_url,
                "IOC_DATA_DIR": str(self.data_dir),
                "IOC_LOG_LEVEL": "WARNING",
                "IOC_HOST": "127.0.0.1",
                "IOC_PORT": str(self.port),
                "IOC_DERIVE_WORKER": "off" if self.derive == "process" else "thread",
            }
        )
        exe = Path(sys.executable).parent / "ioc"
        cmd = (
            [str(exe)]
            if exe.exists()
            else [sys.executable, "-c", "from ioc.cli import main; main()"]
        )
        cmd += ["serve", "--host", "127.0.0.1", "--port", str(self.port)]
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
        if self.derive == "process":
            derive_cmd = [*cmd[: cmd.index("serve")], "derive"]
            self.deriver = subprocess.Popen(
                derive_cmd, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        log.close()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"ioc serve exited early:\n{self._log_tail()}")
            with contextlib.suppress(httpx2.TransportError):
                if httpx2.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    wait_until_idle(self.proc.pid)
                    return self
            time.sleep(0.2)
        self.__exit__(None, None, None)
        raise RuntimeError(f"ioc serve did not answer /healthz:\n{self._log_tail()}")

    def __exit__(self, *_exc: object) -> None:
        if self.deriver is not None and self.deriver.poll() is None:
            self.deriver.terminate()
            self.deriver.wait(timeout=15)
        self.deriver = None
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)
        self.proc = None

    def _log_tail(self) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-30:])


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0–100) by linear interpolation between closest ranks."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    pos = (len(ordered) - 1) * q / 100
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


# --------------------------------------------------------------------------------------------
# 1. Ingestion
# --------------------------------------------------------------------------------------------


@dataclass
class IngestWorkload:
    """Pre-built batches: JSON bodies (client side, serialised in advance) and the same rows."""

    warmup_body: bytes
    warmup_rows: list[Row]
    bodies: list[bytes]
    rows: list[list[Row]]
    token: str
    ids: dict[tuple[str, str], int]

    @property
    def measured_rows(self) -> int:
        """Rows in the measured batches (the warm-up batch is not counted)."""
        return sum(len(r) for r in self.rows)


def create_ingest_fixtures(
    factory: sessionmaker[Session],
) -> tuple[dict[tuple[str, str], int], str]:
    """Stations, their pollutant series, a user and an ``ingest`` token; returns ids, secret."""
    actor = audit.Actor.system("bench")
    with factory() as session, session.begin():
        for st in DEMO_STATIONS:
            env_service.upsert_station(
                session,
                actor,
                code=st.code,
                name=st.name,
                lat=st.lat,
                lon=st.lon,
                area_code=st.commune_code,
                agency_code=st.agency_code,
            )
        indicators = {
            i.code: i
            for i in session.execute(
                select(Indicator).where(Indicator.code.in_(POLLUTANTS))
            ).scalars()
        }
        resolver = SeriesResolver(session)
        ids = {
            (st.code, p): resolver.get(indicators[p], "entity", st.code).id
            for st in DEMO_STATIONS
            for p in POLLUTANTS
        }
        auth.create_user(
            session,
            actor,
            username="bench-gateway",
            password=secrets.token_urlsafe(16),
            full_name="Bench gateway",
            role="operator",
        )
        new = auth.create_api_token(
            session, actor, owner_username="bench-gateway", name="bench", scopes=["ingest"]
        )
    return ids, new.secret


def build_ingest_workload(
    ids: dict[tuple[str, str], int], token: str, n_rows: int
) -> IngestWorkload:
    """One warm-up batch then ``n_rows`` rows of realistic hourly data, in time order."""
    total = n_rows + BATCH_ROWS
    hours = total // (len(DEMO_STATIONS) * len(POLLUTANTS)) * 11 // 10 + 48
    end = clock.now().replace(minute=0, second=0, microsecond=0)
    local = clock.local_tz()
    items: list[dict[str, Any]] = []
    rows: list[Row] = []
    for code, pollutant, when, value in generate_hourly(
        DEMO_STATIONS, end - timedelta(hours=hours), hours, seed=2026
    ):
        items.append(
            {
                "indicator": pollutant,
                "entity": code,
                "time": when.astimezone(local).isoformat(),
                "value": value,
            }
        )
        rows.append((ids[(code, pollutant)], int(when.timestamp()), value, 0))
        if len(rows) == total:
            break
    if len(rows) < total:
        raise RuntimeError("the demo generator yielded fewer rows than planned")

    def body(part: list[dict[str, Any]]) -> bytes:
        return orjson.dumps({"observations": part})

    bodies = [body(items[i : i + BATCH_ROWS]) for i in range(BATCH_ROWS, total, BATCH_ROWS)]
    batches = [rows[i : i + BATCH_ROWS] for i in range(BATCH_ROWS, total, BATCH_ROWS)]
    return IngestWorkload(body(items[:BATCH_ROWS]), rows[:BATCH_ROWS], bodies, batches, token, ids)


def ingest_http(server_url: str, work: IngestWorkload) -> tuple[float, list[float]]:
    """POST every batch sequentially; returns wall seconds and per-batch latencies (s)."""
    headers = {"Authorization": f"Bearer {work.token}", "Content-Type": "application/json"}
    with httpx2.Client(base_url=server_url, timeout=600, headers=headers) as client:

        def post(body: bytes, expected: int) -> None:
            r = client.post("/api/v1/observations", content=body)
            if r.status_code != 200 or r.json().get("stored") != expected:
                raise RuntimeError(f"ingestion failed: {r.status_code} {r.text[:500]}")

        post(work.warmup_body, len(work.warmup_rows))
        latencies: list[float] = []
        start = time.perf_counter()
        for body, rows in zip(work.bodies, work.rows, strict=True):
            t0 = time.perf_counter()
            post(body, len(rows))
            latencies.append(time.perf_counter() - t0)
        return time.perf_counter() - start, latencies


def ingest_inprocess(
    database_url: str, data_dir: Path, work: IngestWorkload
) -> tuple[float, float]:
    """``service.ingest`` on parsed rows, one transaction per batch; returns (ingest s, parse s).

    Parsing (``parse_json`` of every body) is timed separately, before the ingestion loop.
    """
    settings = bench_settings(database_url, data_dir)
    registry = boot(settings)
    engine = make_engine(database_url)
    factory = make_sessionmaker(engine)
    offset = clock.fixed_offset_seconds(settings.timezone)
    try:
        t0 = time.perf_counter()
        parsed = [parse_json(b) for b in work.bodies]
        parse_s = time.perf_counter() - t0
        _ingest_one(factory, parse_json(work.warmup_body), registry, offset)
        # The bench holds every parsed batch at once (300,000 rows), which a server never does:
        # frozen like the server's start-up objects (ioc.app's lifespan), so the collector's
        # full passes walk what one batch allocates, not the whole workload.
        gc.collect()
        gc.freeze()
        t0 = time.perf_counter()
        for batch in parsed:
            _ingest_one(factory, batch, registry, offset)
        return time.perf_counter() - t0, parse_s
    finally:
        gc.unfreeze()
        engine.dispose()


def _ingest_one(
    factory: sessionmaker[Session], rows: list[RawRow], registry: Any, offset: int
) -> None:
    with factory() as session, session.begin():
        report = ingest(session, rows, registry=registry, offset=offset)
    if not report.ok or report.stored != len(rows):
        raise RuntimeError(f"in-process ingestion refused rows: {report.errors[:3]}")


def ingest_raw_sqlite(database_url: str, work: IngestWorkload) -> float:
    """The floor: ``executemany`` of the same rows, one transaction per batch (app PRAGMAs)."""
    engine = make_engine(database_url)  # its connect hook applies the app's PRAGMAs
    raw = engine.raw_connection()
    try:
        conn = raw.driver_connection
        assert isinstance(conn, sqlite3.Connection)

        def write(rows: list[Row]) -> None:
            if not conn.in_transaction:
                conn.execute("BEGIN")
            conn.executemany(SQLITE_UPSERT, rows)
            conn.commit()

        write(work.warmup_rows)
        start = time.perf_counter()
        for rows in work.rows:
            write(rows)
        return time.perf_counter() - start
    finally:
        raw.close()
        engine.dispose()


def ingest_raw_copy_postgres(database_url: str, work: IngestWorkload) -> float:
    """The PostgreSQL floor: ``COPY`` of the same rows into ``observations``, per batch."""
    engine = make_engine(database_url)
    raw = engine.raw_connection()
    try:
        conn: Any = raw.driver_connection

        def write(rows: list[Row]) -> None:
            with (
                conn.cursor() as cur,
                cur.copy("COPY observations (series_id, ts, value, quality) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
            conn.commit()

        write(work.warmup_rows)
        start = time.perf_counter()
        for rows in work.rows:
            write(rows)
        return time.perf_counter() - start
    finally:
        raw.close()
        engine.dispose()


def profile_batch(
    database_url: str, data_dir: Path, work: IngestWorkload, top: int = 15
) -> list[str]:
    """cProfile of one in-process 10k batch (parse + validate + store + commit), after warm-up."""
    settings = bench_settings(database_url, data_dir)
    registry = boot(settings)
    engine = make_engine(database_url)
    factory = make_sessionmaker(engine)
    offset = clock.fixed_offset_seconds(settings.timezone)
    try:
        _ingest_one(factory, parse_json(work.warmup_body), registry, offset)
        profiler = cProfile.Profile()
        profiler.enable()
        _ingest_one(factory, parse_json(work.bodies[0]), registry, offset)
        profiler.disable()
    finally:
        engine.dispose()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.strip_dirs().sort_stats("cumulative").print_stats(top)
    lines = [line for line in out.getvalue().splitlines() if line.strip()]
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
    return [lines[0].strip(), *lines[start : start + top + 1]]


def run_ingestion_sqlite(
    cfg: Config, tmp: Path, results: dict[str, Any], profile: bool
) -> IngestWorkload:
    """Ingestion figures on SQLite (HTTP, in-process, raw) on copies of one template DB."""
    note("[bold]Ingestion, SQLite[/]: preparing the template database and the batches")
    template = tmp / "ingest-template.db"
    factory = prepare_database(bench_settings(sqlite_url(template), tmp))
    ids, token = create_ingest_fixtures(factory)
    factory.kw["bind"].dispose()
    checkpoint(template)
    work = build_ingest_workload(ids, token, cfg.ingest_rows)
    n = work.measured_rows
    results["ingest_batch_rows"] = BATCH_ROWS
    results["ingest_rows_measured"] = n

    http_db = tmp / "ingest-http.db"
    copy_sqlite(template, http_db)
    note(
        f"  HTTP: {len(work.bodies)} batches of {BATCH_ROWS:,} rows to ioc serve, "
        "VN_AQI derived by a separate `ioc derive` process"
    )
    with Server(sqlite_url(http_db), tmp, tmp / "serve-ingest.log", derive="process") as server:
        http_s, latencies = ingest_http(server.url, work)
        lag_s = wait_for_derivations(http_db)
    results["ingest_http_sqlite_obs_per_s"] = round(n / http_s)
    results["ingest_http_sqlite_batch_p50_ms"] = round(percentile(latencies, 50) * 1000, 1)
    results["ingest_http_sqlite_batch_p95_ms"] = round(percentile(latencies, 95) * 1000, 1)
    results["derive_lag_after_last_batch_s"] = round(lag_s, 2)
    results["ingest_end_to_end_sqlite_obs_per_s"] = round(n / (http_s + lag_s))

    thread_db = tmp / "ingest-http-thread.db"
    copy_sqlite(template, thread_db)
    note("  HTTP again, VN_AQI derived by a thread of the web process (one process)")
    with Server(sqlite_url(thread_db), tmp, tmp / "serve-ingest-thread.log") as server:
        thread_s, _ = ingest_http(server.url, work)
        thread_lag_s = wait_for_derivations(thread_db)
    results["ingest_http_sqlite_derive_thread_obs_per_s"] = round(n / thread_s)
    results["ingest_end_to_end_sqlite_derive_thread_obs_per_s"] = round(
        n / (thread_s + thread_lag_s)
    )

    inproc_db = tmp / "ingest-inprocess.db"
    copy_sqlite(template, inproc_db)
    note("  in-process: service.ingest on parsed rows")
    inproc_s, parse_s = ingest_inprocess(sqlite_url(inproc_db), tmp, work)
    results["ingest_inprocess_sqlite_obs_per_s"] = round(n / inproc_s)
    results["parse_json_obs_per_s"] = round(n / parse_s)

    raw_db = tmp / "ingest-raw.db"
    copy_sqlite(template, raw_db)
    note("  raw: executemany into the same observations table")
    raw_s = ingest_raw_sqlite(sqlite_url(raw_db), work)
    results["ingest_raw_executemany_sqlite_obs_per_s"] = round(n / raw_s)

    results["ingest_ratio_http_to_raw_sqlite"] = round(raw_s / http_s, 4)
    results["ingest_ratio_inprocess_to_raw_sqlite"] = round(raw_s / inproc_s, 4)
    results["ingest_ratio_http_to_inprocess_sqlite"] = round(inproc_s / http_s, 4)
    for db in (http_db, inproc_db, raw_db):
        if _count_obs(db, set(work.ids.values())) != n + BATCH_ROWS:
            raise RuntimeError(f"{db.name}: unexpected number of stored observations")

    if profile:
        prof_db = tmp / "ingest-profile.db"
        copy_sqlite(template, prof_db)
        note("  cProfile of one in-process batch")
        results["profile_inprocess_batch_top15"] = profile_batch(sqlite_url(prof_db), tmp, work)
    for db in (http_db, thread_db, inproc_db, raw_db, tmp / "ingest-profile.db"):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    return work


def scale_workload(cfg: Config, tmp: Path) -> IngestWorkload:
    """The ingestion batches alone (JSON bodies and their sizes) for the scale figures when the
    SQLite ingestion part is skipped; the scale run makes its own series and token."""
    ids = {(st.code, p): 0 for st in DEMO_STATIONS for p in POLLUTANTS}
    return build_ingest_workload(ids, "", cfg.ingest_rows)


def wait_for_derivations(db: Path, timeout: float = 600) -> float:
    """Seconds until the derive queue is empty (VN_AQI current for every batch sent)."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        with contextlib.closing(sqlite3.connect(db, timeout=30)) as conn:
            left: int = conn.execute("SELECT count(*) FROM pending_derivations").fetchone()[0]
        if left == 0:
            return time.perf_counter() - start
        time.sleep(0.05)
    raise RuntimeError(f"{db.name}: derivations still pending after {timeout:.0f} s")


def _count_obs(db: Path, series_ids: set[int] | None = None) -> int:
    """Rows in ``observations`` (of ``series_ids`` only, when given)."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        if series_ids is None:
            count: int = conn.execute("SELECT count(*) FROM observations").fetchone()[0]
            return count
        ids = ",".join(str(int(i)) for i in sorted(series_ids))
        where = f"WHERE series_id IN ({ids})"
        count = conn.execute(f"SELECT count(*) FROM observations {where}").fetchone()[0]
        return count


def run_ingestion_postgres(
    admin_url: str, cfg: Config, tmp: Path, results: dict[str, Any], work: IngestWorkload
) -> None:
    """The same ingestion figures on PostgreSQL, in databases created from a template."""
    note("[bold]Ingestion, PostgreSQL[/]")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    prefix = f"ioc_bench_{uuid.uuid4().hex[:8]}"
    names = [f"{prefix}_tpl", f"{prefix}_http", f"{prefix}_inproc", f"{prefix}_raw"]

    def url_of(name: str) -> str:
        return make_url(admin_url).set(database=name).render_as_string(hide_password=False)

    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{names[0]}"'))
        factory = prepare_database(bench_settings(url_of(names[0]), tmp))
        ids, token = create_ingest_fixtures(factory)
        factory.kw["bind"].dispose()
        with admin.connect() as conn:
            for name in names[1:]:
                conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{names[0]}"'))
        if ids != _series_ids(url_of(names[3])):
            raise RuntimeError("PostgreSQL copies do not share series ids")
        # Same JSON bodies; the raw rows get this database's series ids and the new token.
        remap = {work.ids[key]: sid for key, sid in ids.items()}

        def rows_of(batch: list[Row]) -> list[Row]:
            return [(remap[s], ts, v, q) for s, ts, v, q in batch]

        pg_work = IngestWorkload(
            work.warmup_body,
            rows_of(work.warmup_rows),
            work.bodies,
            [rows_of(b) for b in work.rows],
            token,
            ids,
        )
        n = pg_work.measured_rows
        with Server(url_of(names[1]), tmp, tmp / "serve-ingest-pg.log") as server:
            http_s, latencies = ingest_http(server.url, pg_work)
        inproc_s, _ = ingest_inprocess(url_of(names[2]), tmp, pg_work)
        raw_s = ingest_raw_copy_postgres(url_of(names[3]), pg_work)
        results["ingest_http_postgres_obs_per_s"] = round(n / http_s)
        results["ingest_http_postgres_batch_p95_ms"] = round(percentile(latencies, 95) * 1000, 1)
        results["ingest_inprocess_postgres_obs_per_s"] = round(n / inproc_s)
        results["ingest_raw_copy_postgres_obs_per_s"] = round(n / raw_s)
        results["ingest_ratio_http_to_raw_postgres"] = round(raw_s / http_s, 4)
        results["ingest_ratio_inprocess_to_raw_postgres"] = round(raw_s / inproc_s, 4)
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _series_ids(database_url: str) -> dict[tuple[str, str], int]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(Series.subject_code, Indicator.code, Series.id)
                .join(Indicator, Indicator.id == Series.indicator_id)
                .where(Indicator.code.in_(POLLUTANTS))
            )
            return {(code, ind): sid for code, ind, sid in rows}
    finally:
        engine.dispose()


# --------------------------------------------------------------------------------------------
# 2. Page latency at two database sizes
# --------------------------------------------------------------------------------------------


@dataclass
class PagesDb:
    """The page-latency database and what the bench knows about it."""

    path: Path
    url: str
    factory: sessionmaker[Session]
    offset: int
    password: str
    block_start: int  # local midnight where the block written through the app starts
    block_end: int  # the newest hour (now, truncated)


@dataclass(frozen=True)
class Growth:
    """How the database was grown: the seams between copies, the copied period, the count."""

    seams: list[int]
    period: int
    copies: int


def estimate_rows_per_hour() -> float:
    """Observations stored per hour of demo data: the pollutants (with gaps); VN_AQI is not an
    observation (it lives in ``env_aqi``)."""
    sample = 24 * 30
    end = datetime(2025, 1, 1, tzinfo=UTC)
    pollutant_rows = sum(1 for _ in generate_hourly(DEMO_STATIONS, end, sample, seed=7))
    return pollutant_rows / sample


def build_small(cfg: Config, tmp: Path, results: dict[str, Any]) -> PagesDb:
    """Write the small size through the app (``load_demo`` → ``write_observations``)."""
    label = size_label(cfg.small_obs)
    path = tmp / "pages.db"
    url = sqlite_url(path)
    settings = bench_settings(url, tmp)
    factory = prepare_database(settings)
    offset = clock.fixed_offset_seconds(settings.timezone)
    password = secrets.token_urlsafe(16)
    with factory() as session, session.begin():
        auth.create_user(
            session,
            audit.Actor.system("bench"),
            username="bench-admin",
            password=password,
            full_name="Bench admin",
            role="admin",
        )
    end = clock.now().replace(minute=0, second=0, microsecond=0)
    hours = round(cfg.small_obs / estimate_rows_per_hour())
    # Start at local midnight, so that whole-day copies of the block keep day buckets aligned.
    start = day_bucket(int(end.timestamp()) - hours * HOUR, offset)
    hours = (int(end.timestamp()) - start) // HOUR
    note(
        f"[bold]Pages[/]: writing {label} through write_observations "
        f"({len(DEMO_STATIONS)} stations × {len(POLLUTANTS)} pollutants × {hours:,} h, "
        "weekly transactions, rollups and VN_AQI)"
    )
    t0 = time.perf_counter()
    last = [t0]

    def progress(done: int) -> None:
        now = time.perf_counter()
        if now - last[0] >= 5:
            last[0] = now
            note(f"  … {done:,} pollutant rows, {done / (now - t0):,.0f} rows/s")

    load_demo(factory, end=end, hours=hours, offset=offset, progress=progress)
    build_s = time.perf_counter() - t0
    count = _count_obs(path)
    results[f"build_{label}_s"] = round(build_s, 1)
    results[f"build_{label}_write_observations_obs_per_s"] = round(count / build_s)
    note(f"  stored {count:,} observations in {build_s:.1f} s")
    return PagesDb(path, url, factory, offset, password, start, int(end.timestamp()))


def measure_pages(db: PagesDb, cfg: Config, tmp: Path, label: str, results: dict[str, Any]) -> None:
    """Start ``ioc serve`` on the database, sign in, time both pages (p50/p95 in ms)."""
    db.factory.kw["bind"].dispose()
    checkpoint(db.path)
    results[f"observations_stored_{label}"] = _count_obs(db.path)
    results[f"db_file_mb_{label}"] = file_mb(db.path)
    note(f"  measuring pages at {label}: {cfg.page_warmup} warm-up + {cfg.page_requests} requests")
    with (
        Server(db.url, tmp, tmp / f"serve-pages-{label}.log") as server,
        httpx2.Client(base_url=server.url, timeout=120, follow_redirects=False) as client,
    ):
        login(client, "bench-admin", db.password)
        for name, path in PAGES.items():
            for _ in range(cfg.page_warmup):
                _get_page(client, path)
            times: list[float] = []
            for _ in range(cfg.page_requests):
                t0 = time.perf_counter()
                _get_page(client, path)
                times.append((time.perf_counter() - t0) * 1000)
            results[f"{name}_p50_ms_{label}"] = round(percentile(times, 50), 2)
            results[f"{name}_p95_ms_{label}"] = round(percentile(times, 95), 2)
            results[f"{name}_max_ms_{label}"] = round(max(times), 2)


def login(client: httpx2.Client, username: str, password: str) -> None:
    """Sign in through the login form (CSRF double-submit cookie) to get ``ioc_session``."""
    page = client.get("/login")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    if page.status_code != 200 or found is None:
        raise RuntimeError(f"login page: {page.status_code}")
    r = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": found[1], "next": "/"},
    )
    if r.status_code != 303 or "ioc_session" not in client.cookies:
        raise RuntimeError(f"login failed: {r.status_code}")


def _get_page(client: httpx2.Client, path: str) -> None:
    r = client.get(path)
    if r.status_code != 200 or (path != "/" and "VN_AQI" not in r.text):
        raise RuntimeError(f"GET {path}: {r.status_code}")


def grow(db: PagesDb, cfg: Config, results: dict[str, Any]) -> Growth:
    """Grow the database to the large size with older history.

    The block written through the app covers ``[block_start, block_end]``. Its first whole days
    ``[block_start, block_start + P)`` are copied K times to the past, shifted by k·P (P whole
    days, so hour and day buckets stay aligned): observations of every series, hour and day
    rollups and ``env_aqi`` rows. Shifted copies of
    values the app computed are exactly what it would compute for the shifted observations,
    except where a window reaches across a seam (NowCast's 12 hours, O3's 8 hours): those are
    recomputed with the app's ``recompute_station``. Month rollups are then recomputed for
    every series with the app's own month SQL.
    """
    label = size_label(cfg.large_obs)
    engine = make_engine(db.url)
    factory = make_sessionmaker(engine)
    t0 = time.perf_counter()
    period = (db.block_end - db.block_start) // DAY * DAY
    with engine.connect() as conn:
        small = conn.execute(text("SELECT count(*) FROM observations")).scalar_one()
        window = conn.execute(
            text("SELECT count(*) FROM observations WHERE ts > :lo AND ts <= :hi"),
            {"lo": db.block_start, "hi": db.block_start + period},
        ).scalar_one()
        labels = {
            sid: 1 if time_label == "end" else 0
            for sid, time_label in conn.execute(
                select(Series.id, Indicator.time_label).join(
                    Indicator, Indicator.id == Series.indicator_id
                )
            )
        }
        stations = list(
            conn.execute(select(Entity.code).where(Entity.type == env_service.STATION_TYPE))
            .scalars()
            .all()
        )
    copies = max(1, round((cfg.large_obs - small) / window))
    note(
        f"[bold]Pages[/]: growing to {label}: {copies} time-shifted copies of "
        f"{period // DAY} days ({window:,} observations each) into older history"
    )
    raw = engine.raw_connection()
    conn_raw = raw.driver_connection
    assert isinstance(conn_raw, sqlite3.Connection)
    lo, hi = db.block_start, db.block_start + period
    try:
        for k in range(1, copies + 1):
            shift = k * period
            if not conn_raw.in_transaction:
                conn_raw.execute("BEGIN")
            for sid, e in labels.items():
                conn_raw.execute(
                    "INSERT INTO observations (series_id, ts, value, quality) "
                    "SELECT series_id, ts - :shift, value, quality FROM observations "
                    "WHERE series_id = :sid AND ts >= :lo AND ts < :hi",
                    {"shift": shift, "sid": sid, "lo": lo + e, "hi": hi + e},
                )
            for table in ("rollup_hour", "rollup_day"):
                conn_raw.execute(
                    f"INSERT INTO {table} "
                    "(series_id, bucket, n, total, vmin, vmax, last_ts, last_value) "
                    "SELECT series_id, bucket - :shift, n, total, vmin, vmax, last_ts - :shift, "
                    f"last_value FROM {table} WHERE bucket >= :lo AND bucket < :hi",
                    {"shift": shift, "lo": lo, "hi": hi},
                )
            for resolution, e in (("hour", 1), ("day", 0)):
                conn_raw.execute(
                    "INSERT INTO env_aqi "
                    "(entity_id, resolution, ts, aqi, dominant, pm25, pm10, o3, no2, so2, co) "
                    "SELECT entity_id, resolution, ts - :shift, aqi, dominant, "
                    "pm25, pm10, o3, no2, so2, co FROM env_aqi "
                    "WHERE resolution = :r AND ts >= :lo AND ts < :hi",
                    {"shift": shift, "r": resolution, "lo": lo + e, "hi": hi + e},
                )
            conn_raw.commit()
            conn_raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            note(f"  copy {k}/{copies} done ({time.perf_counter() - t0:.0f} s)")
    finally:
        raw.close()

    seams = [db.block_start - (k - 1) * period for k in range(1, copies + 1)]
    note(f"  recomputing VN_AQI across {len(seams)} seams × {len(stations)} stations")
    with factory() as session, session.begin():
        for seam in seams:
            for code in stations:
                env_service.recompute_station(session, code, seam + 1, seam + 1)

    oldest = db.block_start - copies * period
    months: list[tuple[int, int]] = []
    m = month_bucket(oldest, db.offset)
    while m <= db.block_end:
        months.append((m, next_month(m, db.offset)))
        m = months[-1][1]
    note(f"  recomputing month rollups: {len(labels)} series × {len(months)} months")
    with engine.begin() as conn:
        series_store.rebuild_months(conn, [(sid, a, b) for sid in labels for a, b in months])
    engine.dispose()
    results[f"grow_{label}_s"] = round(time.perf_counter() - t0, 1)
    results[f"grow_{label}_copies"] = copies
    return Growth(seams, period, copies)


def check_consistency(db: PagesDb, growth: Growth, samples: int = 4) -> str:
    """Check the grown database; ``"ok"`` or the problems found.

    * Every observation is counted once in the month rollups (month ← day ← hour ← raw).
    * Sampled copies: VN_AQI rows equal the block's rows, shifted.
    * Sampled seams: the app's ``recompute_station``, run in a transaction that is rolled back,
      changes no VN_AQI label at or after the seam.
    * Sampled days of random series: the app's ``_recompute_rollups`` (rolled back) changes no
      hour, day or month rollup.
    """
    rng = random.Random(66)
    problems: list[str] = []
    engine = make_engine(db.url)
    factory = make_sessionmaker(engine)
    with factory() as session:
        obs = _pairs(
            session, "SELECT series_id, count(*) FROM observations WHERE quality < 2 GROUP BY 1"
        )
        months = _pairs(session, "SELECT series_id, sum(n) FROM rollup_month GROUP BY 1")
        if obs != months:
            bad = sorted(s for s in obs.keys() | months.keys() if obs.get(s) != months.get(s))
            problems.append(f"month rollups disagree with observations for series {bad[:5]}")
        entities = {str(c): int(i) for c, i in session.execute(select(Entity.code, Entity.id))}
        codes = sorted(entities)
        period = growth.period
        for _ in range(samples):
            k = rng.randrange(1, growth.copies + 1)
            at = db.block_start + rng.randrange(3 * DAY, period - 3 * DAY)
            eid = entities[rng.choice(codes)]
            block = [(r[0], r[1] - k * period, *r[2:]) for r in _aqi_rows(session, eid, at)]
            if _aqi_rows(session, eid, at - k * period) != block:
                problems.append(f"VN_AQI copy {k} differs from the block near {at}")
        for seam in rng.sample(list(growth.seams), min(samples, len(growth.seams))):
            code = rng.choice(codes)
            before = _aqi_rows(session, entities[code], seam, since=seam)
            env_service.recompute_station(session, code, seam - 6 * HOUR, seam + 6 * HOUR)
            if _aqi_rows(session, entities[code], seam, since=seam) != before:
                problems.append(f"VN_AQI of {code} at seam {seam} differs from a recompute")
            session.rollback()
        first = min(growth.seams) - period
        for _ in range(samples):
            sid = rng.choice(sorted(obs))
            day = day_bucket(rng.randrange(first, db.block_end - DAY), db.offset)
            before_r = _rollup_rows(session, sid, day)
            e = 1 if _label_end(session, sid) else 0
            series_store._recompute_rollups(
                session.connection(), {sid: [day + e, day + DAY - 1 + e]}, {sid: bool(e)}, db.offset
            )
            if not _same_rows(_rollup_rows(session, sid, day), before_r):
                problems.append(f"rollups of series {sid} on day {day} differ from a recompute")
            session.rollback()
    engine.dispose()
    return "ok" if not problems else "; ".join(problems[:5])


def _pairs(session: Session, sql: str) -> dict[int, int]:
    """``{first column: second column}`` of a two-column query."""
    return {int(k): int(v) for k, v in session.execute(text(sql)).all()}


def _aqi_rows(
    session: Session, entity_id: int, point: int, since: int | None = None
) -> list[tuple[Any, ...]]:
    """VN_AQI rows of a station within two days of ``point`` (and not before ``since``)."""
    lo = point - 2 * DAY if since is None else max(since, point - 2 * DAY)
    return [
        tuple(r)
        for r in session.execute(
            text(
                "SELECT resolution, ts, aqi, dominant, pm25, pm10, o3, no2, so2, co FROM env_aqi "
                "WHERE entity_id = :e AND ts >= :lo AND ts <= :hi ORDER BY resolution, ts"
            ),
            {"e": entity_id, "lo": lo, "hi": point + 2 * DAY},
        )
    ]


def _rollup_rows(session: Session, sid: int, day: int) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    for table, lo, hi in (
        ("rollup_hour", day, day + DAY),
        ("rollup_day", day, day + DAY),
        ("rollup_month", day - 31 * DAY, day + DAY),
    ):
        out += [
            (table, *r)
            for r in session.execute(
                text(
                    f"SELECT bucket, n, total, vmin, vmax, last_ts, last_value FROM {table} "
                    "WHERE series_id = :sid AND bucket >= :lo AND bucket < :hi ORDER BY bucket"
                ),
                {"sid": sid, "lo": lo, "hi": hi},
            )
        ]
    return out


def _same_rows(a: list[tuple[Any, ...]], b: list[tuple[Any, ...]]) -> bool:
    if len(a) != len(b):
        return False
    for ra, rb in zip(a, b, strict=True):
        for x, y in zip(ra, rb, strict=True):
            if isinstance(x, float) or isinstance(y, float):
                if not math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9):
                    return False
            elif x != y:
                return False
    return True


def _label_end(session: Session, sid: int) -> bool:
    time_label = session.execute(
        select(Indicator.time_label)
        .join(Series, Series.indicator_id == Indicator.id)
        .where(Series.id == sid)
    ).scalar_one()
    return bool(time_label == "end")


def run_pages(cfg: Config, tmp: Path, results: dict[str, Any]) -> None:
    """Page latency at the small size, then at the large size (same database, grown)."""
    small, large = size_label(cfg.small_obs), size_label(cfg.large_obs)
    db = build_small(cfg, tmp, results)
    measure_pages(db, cfg, tmp, small, results)
    growth = grow(db, cfg, results)
    note("  checking rollups and VN_AQI consistency")
    results[f"consistency_{large}"] = check_consistency(db, growth)
    measure_pages(db, cfg, tmp, large, results)
    for name in PAGES:
        for q in ("p50", "p95"):
            results[f"{name}_{q}_ratio_{large}_to_{small}"] = round(
                results[f"{name}_{q}_ms_{large}"] / results[f"{name}_{q}_ms_{small}"], 3
            )


# --------------------------------------------------------------------------------------------
# 3. NGSI-LD batch upsert
# --------------------------------------------------------------------------------------------


def ngsi_bodies(requests: int, per_request: int) -> list[bytes]:
    """One warm-up request that creates the entities, then ``requests`` hourly updates of the
    same entities: normalized AirQualityObserved, six pollutants each (serialised in advance)."""
    rng = random.Random(2026)
    start = clock.now().replace(minute=0, second=0, microsecond=0) - timedelta(hours=requests + 1)
    bodies = []
    for k in range(requests + 1):
        when = (start + timedelta(hours=k)).strftime("%Y-%m-%dT%H:%M:%SZ")
        docs = []
        for i in range(per_request):
            doc: dict[str, Any] = {
                "id": f"urn:ngsi-ld:AirQualityObserved:NGSI-BENCH-{i:04d}",
                "type": "AirQualityObserved",
                "dateObserved": {
                    "type": "Property",
                    "value": {"@type": "DateTime", "@value": when},
                },
                "location": {
                    "type": "GeoProperty",
                    "value": {
                        "type": "Point",
                        "coordinates": [107.9 + i * 0.001, 12.6 + i * 0.001],
                    },
                },
            }
            for p in NGSI_POLLUTANTS:
                value = (
                    round(rng.uniform(0.3, 3.0), 3) if p == "co" else round(rng.uniform(5, 80), 1)
                )
                doc[p] = {
                    "type": "Property",
                    "value": value,
                    "unitCode": "GP" if p == "co" else "GQ",
                }
            docs.append(doc)
        bodies.append(orjson.dumps(docs))
    return bodies


def run_ngsi(cfg: Config, tmp: Path, results: dict[str, Any]) -> None:
    """Sequential batch upserts (one client) to ``ioc serve`` on SQLite: VN_AQI derived by a
    separate ``ioc derive`` process (the headline, as for ingestion), then by the web process's
    own thread (one process)."""
    requests = 200 if cfg.mode == "full" else 50
    per = NGSI_ENTITIES_PER_REQUEST
    note(f"[bold]NGSI-LD batch upsert[/]: {requests} requests of {per} entities (options=update)")
    template = tmp / "ngsi-template.db"
    factory = prepare_database(bench_settings(sqlite_url(template), tmp))
    actor = audit.Actor.system("bench")
    with factory() as session, session.begin():
        auth.create_user(
            session,
            actor,
            username="bench-ngsi",
            password=secrets.token_urlsafe(16),
            full_name="Bench NGSI-LD",
            role="operator",
        )
        token = auth.create_api_token(
            session,
            actor,
            owner_username="bench-ngsi",
            name="ngsi",
            scopes=["ingest", "manage", "view"],
        ).secret
    factory.kw["bind"].dispose()
    checkpoint(template)
    bodies = ngsi_bodies(requests, per)
    for derive, suffix in (("process", ""), ("thread", "_derive_thread")):
        note(f"  VN_AQI derived by {'`ioc derive`' if derive == 'process' else 'a web thread'}")
        db = tmp / f"ngsi-{derive}.db"
        copy_sqlite(template, db)
        figures = _ngsi_run(db, tmp, token, bodies, derive)
        for key, value in figures.items():
            if suffix and key not in (
                "entities_per_s",
                "request_p95_ms",
                "server_cpu_ms_per_request",
                "derive_lag_s",
            ):
                continue
            results[f"ngsi_upsert_{key}{suffix}"] = value
        for end in ("", "-wal", "-shm"):
            Path(f"{db}{end}").unlink(missing_ok=True)
    results["ngsi_upsert_requests"] = requests
    results["ngsi_upsert_entities_per_request"] = per
    results["ngsi_upsert_ratio_to_stellio_best"] = round(
        results["ngsi_upsert_entities_per_s"] / STELLIO_CREATE_REQ_PER_S_BEST, 1
    )
    results["ngsi_upsert_ratio_to_scorpio"] = round(
        results["ngsi_upsert_entities_per_s"] / SCORPIO_WRITES_PER_S, 1
    )


def _ngsi_run(db: Path, tmp: Path, token: str, bodies: list[bytes], derive: str) -> dict[str, Any]:
    """Send the bodies to a fresh server; check every value arrived; return the figures."""
    per = NGSI_ENTITIES_PER_REQUEST
    requests = len(bodies) - 1
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    latencies: list[float] = []
    with (
        Server(sqlite_url(db), tmp, tmp / f"serve-ngsi-{derive}.log", derive=derive) as server,
        httpx2.Client(base_url=server.url, timeout=600, headers=headers) as client,
    ):
        url = "/ngsi-ld/v1/entityOperations/upsert?options=update"
        t0 = time.perf_counter()
        r = client.post(url, content=bodies[0])
        create_s = time.perf_counter() - t0
        if r.status_code != 201 or len(r.json()) != per:
            raise RuntimeError(f"NGSI-LD create failed: {r.status_code} {r.text[:500]}")
        assert server.proc is not None
        # CPU the server spends per request: unlike wall time, barely moved by other load on
        # the machine (the derive process is not counted; the derive thread is).
        cpu0 = _cpu_seconds(server.proc.pid)
        start = time.perf_counter()
        for body in bodies[1:]:
            t0 = time.perf_counter()
            r = client.post(url, content=body)
            latencies.append(time.perf_counter() - t0)
            if r.status_code != 204:
                raise RuntimeError(f"NGSI-LD upsert failed: {r.status_code} {r.text[:500]}")
        elapsed = time.perf_counter() - start
        server_cpu_s = _cpu_seconds(server.proc.pid) - cpu0
        lag_s = wait_for_derivations(db)
        check = client.get(
            "/ngsi-ld/v1/entities",
            params={"type": "AirQualityObserved", "limit": 0, "count": "true"},
        )
        listed = int(check.headers.get("NGSILD-Results-Count", "0"))
    expected = per * len(NGSI_POLLUTANTS) * (requests + 1)
    with contextlib.closing(sqlite3.connect(db)) as conn:
        stored = conn.execute(
            "SELECT count(*) FROM observations o JOIN series s ON s.id = o.series_id "
            "WHERE s.subject_code LIKE 'NGSI-BENCH-%' AND s.indicator_id IN "
            "(SELECT id FROM indicators WHERE derived = 0)"
        ).fetchone()[0]
    if listed != per or stored != expected:
        raise RuntimeError(f"NGSI-LD bench: {listed} entities, {stored} of {expected} values")
    entities_per_s = per * requests / elapsed
    return {
        "create_request_ms": round(create_s * 1000, 1),
        "entities_per_s": round(entities_per_s),
        "observations_per_s": round(entities_per_s * len(NGSI_POLLUTANTS)),
        "requests_per_s": round(requests / elapsed, 1),
        "request_p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "request_p95_ms": round(percentile(latencies, 95) * 1000, 1),
        "server_cpu_ms_per_request": round(server_cpu_s / requests * 1000, 1),
        "derive_lag_s": round(lag_s, 2),
    }


# --------------------------------------------------------------------------------------------
# 4. MQTT: connector throughput beside a bare subscriber on the same broker
# --------------------------------------------------------------------------------------------

MQTT_TOPIC = "ioc/bench/readings"


class PrivateMosquitto:
    """A Mosquitto of our own on a free port: unlimited queues and in-flight window (what the
    connector's README asks of a production broker), never the shared one on :1883."""

    def __init__(self, folder: Path) -> None:
        import getpass

        self.port = free_port()
        folder.mkdir(parents=True, exist_ok=True)
        self.conf = folder / "mosquitto.conf"
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
            f"max_queued_messages 0\nmax_inflight_messages 0\nuser {getpass.getuser()}\n"
        )
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> PrivateMosquitto:
        self.proc = subprocess.Popen(
            ["mosquitto", "-c", str(self.conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.closing(socket.socket()) as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.05)
        raise RuntimeError("mosquitto did not start")

    def __exit__(self, *_exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)


def mqtt_payload_file(path: Path, messages: int, stations: Sequence[str]) -> None:
    """One reading per line (= per message): PM2.5 of each station, hourly, distinct times."""
    start = datetime(2020, 1, 1, tzinfo=UTC)
    rng = random.Random(1883)
    with path.open("wb") as out:
        for i in range(messages):
            st = stations[i % len(stations)]
            when = start + timedelta(hours=i // len(stations))
            out.write(
                orjson.dumps(
                    {
                        "indicator": "pm25",
                        "entity": st,
                        "time": when.strftime("%Y-%m-%dT%H:%M:%S+07:00"),
                        "value": round(rng.uniform(5, 80), 1),
                    }
                )
                + b"\n"
            )


def mqtt_publish(port: int, lines: Path) -> subprocess.Popen[bytes]:
    """Publish every line as one QoS 1 message with the C client (so the publisher is never
    the bottleneck of either measurement: 1000 messages in flight, not the default 20, so it
    does not wait for the broker's acknowledgements every 20 messages)."""
    with lines.open("rb") as stdin:
        return subprocess.Popen(
            [
                *("mosquitto_pub", "-h", "127.0.0.1", "-p", str(port), "-q", "1", "-M", "1000"),
                *("-t", MQTT_TOPIC, "-l", "-i", f"bench-pub-{uuid.uuid4().hex[:6]}"),
            ],
            stdin=stdin,
        )


def mqtt_bare_rate(port: int, lines: Path, messages: int) -> float:
    """Messages/s a bare paho subscriber (QoS 1, automatic acks, no work) receives."""
    import threading

    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    got = 0
    done = threading.Event()

    def on_message(_c: Any, _u: Any, _m: Any) -> None:
        nonlocal got
        got += 1
        if got >= messages:
            done.set()

    sub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-bare", protocol=mqtt.MQTTv5)
    sub.on_message = on_message
    sub.connect("127.0.0.1", port)
    sub.subscribe(MQTT_TOPIC, qos=1)
    sub.loop_start()
    time.sleep(0.5)
    t0 = time.perf_counter()
    pub = mqtt_publish(port, lines)
    if not done.wait(600):
        raise RuntimeError(f"bare subscriber got {got} of {messages}")
    elapsed = time.perf_counter() - t0
    pub.wait(60)
    sub.disconnect()
    sub.loop_stop()
    return messages / elapsed


def mqtt_connector_rate(
    settings: Settings, port: int, lines: Path, messages: int, protocol: str
) -> tuple[float, dict[str, int]]:
    """Readings/s of the connector (in this process, as ``ioc ingest mqtt`` runs it) from the
    first message published until all ``messages`` are committed. VN_AQI is derived by a
    separate ``ioc derive`` process (``IOC_DERIVE_WORKER=off`` on the connector's side)."""
    from ioc.engines.mqtt import MqttConnector

    registry = boot(settings)
    engine = make_engine(settings.database_url)
    factory = make_sessionmaker(engine)
    conn_settings = settings.model_copy(
        update={
            "mqtt_port": port,
            "mqtt_client_id": f"bench-ioc-{protocol}",
            "mqtt_protocol": protocol,
            "mqtt_topics": MQTT_TOPIC,
        }
    )
    env = os.environ | {"IOC_DATABASE_URL": settings.database_url, "IOC_LOG_LEVEL": "WARNING"}
    exe = Path(sys.executable).parent / "ioc"
    deriver = subprocess.Popen(
        [str(exe), "derive"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    conn = MqttConnector(conn_settings, factory, registry)
    conn.start()
    deadline = time.monotonic() + 10
    while not conn.connected and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # subscription granted
    t0 = time.perf_counter()
    pub = mqtt_publish(port, lines)
    deadline = time.monotonic() + 600
    while conn.stats.readings < messages and time.monotonic() < deadline:
        time.sleep(0.005)
    elapsed = time.perf_counter() - t0
    pub.wait(60)
    conn.stop()
    stats = {"batches": conn.stats.batches, "dead_letters": conn.stats.dead_letters}
    db = Path(make_url(settings.database_url).database or "")
    try:
        stats["derive_lag_ms"] = round(wait_for_derivations(db) * 1000)
    finally:
        deriver.terminate()
        deriver.wait(15)
    engine.dispose()
    return messages / elapsed, stats


def _pm25_count(db: Path) -> int:
    with contextlib.closing(sqlite3.connect(db)) as sq:
        count: int = sq.execute(
            "SELECT count(*) FROM observations o JOIN series s ON s.id = o.series_id "
            "JOIN indicators i ON i.id = s.indicator_id WHERE i.code = 'pm25'"
        ).fetchone()[0]
        return count


def run_mqtt(cfg: Config, tmp: Path, results: dict[str, Any]) -> None:
    """M single-reading QoS 1 messages through a private Mosquitto: a bare subscriber's rate,
    then the connector's until all M are committed (SQLite), with MQTT 5 (the default) and
    3.1.1, and how many readings are missing afterwards."""
    if shutil.which("mosquitto") is None or shutil.which("mosquitto_pub") is None:
        note("[yellow]MQTT skipped: mosquitto / mosquitto_pub not installed[/]")
        return
    messages = 50_000 if cfg.mode == "full" else 10_000
    note(f"[bold]MQTT[/]: {messages:,} messages, one reading each, QoS 1")
    stations = [st.code for st in DEMO_STATIONS]
    lines = tmp / "mqtt-lines.txt"
    mqtt_payload_file(lines, messages, stations)
    with PrivateMosquitto(tmp / "mosquitto-bare") as broker:
        bare = mqtt_bare_rate(broker.port, lines, messages)
    note(f"  bare paho subscriber: {bare:,.0f} msg/s")
    results["mqtt_messages"] = messages
    results["mqtt_bare_subscriber_msgs_per_s"] = round(bare)
    for protocol, key in (("5", ""), ("3.1.1", "_v311")):
        db = tmp / f"mqtt{key}.db"
        settings = bench_settings(sqlite_url(db), tmp)
        factory = prepare_database(settings)
        create_ingest_fixtures(factory)
        factory.kw["bind"].dispose()
        with PrivateMosquitto(tmp / f"mosquitto{key}") as broker:
            rate, stats = mqtt_connector_rate(settings, broker.port, lines, messages, protocol)
        lost = messages - _pm25_count(db)
        note(f"  connector (MQTT {protocol}): {rate:,.0f} readings/s, lost {lost}")
        results[f"mqtt{key}_ingest_readings_per_s"] = round(rate)
        results[f"mqtt{key}_ratio_ingest_to_bare"] = round(rate / bare, 3)
        results[f"mqtt{key}_lost"] = lost
        results[f"mqtt{key}_dead_letters"] = stats["dead_letters"]
        results[f"mqtt{key}_batches"] = stats["batches"]
        results[f"mqtt{key}_derive_lag_after_last_message_s"] = stats["derive_lag_ms"] / 1000
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def machine_info() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = platform.processor() or ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_gb: float | None = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gb = round(int(line.split()[1]) / 1024 / 1024, 1)

    def version(dist: str) -> str | None:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return None

    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "memory_gb": mem_gb,
        "sqlite": sqlite3.sqlite_version,
        "versions": {
            d: version(d) for d in ("dak-lak-ioc", "SQLAlchemy", "fastapi", "uvicorn", "psycopg")
        },
    }


def print_report(results: dict[str, Any], cfg: Config) -> None:
    """The figures as a table, with the aims beside them (informational only)."""
    small, large = size_label(cfg.small_obs), size_label(cfg.large_obs)
    table = Table(title=f"IOC bench ({cfg.mode})", show_lines=False)
    table.add_column("Figure")
    table.add_column("Value", justify="right")
    table.add_column("Aim", justify="right")
    table.add_column("", justify="left")

    def row(key: str, unit: str = "", aim: str = "", ok: bool | None = None) -> None:
        if key not in results:
            return
        value = results[key]
        shown = f"{value:,}" if isinstance(value, int) else str(value)
        mark = "" if ok is None else ("[green]meets[/]" if ok else "[red]misses[/]")
        table.add_row(key, f"{shown} {unit}".strip(), aim, mark)

    r = results
    row("ingest_rows_measured", "rows")
    row(
        "ingest_http_sqlite_obs_per_s",
        "obs/s",
        "≥ 100,000",
        r.get("ingest_http_sqlite_obs_per_s", 0) >= AIMS["ingest_http_sqlite_obs_per_s_min"],
    )
    row("ingest_http_sqlite_batch_p50_ms", "ms")
    row("ingest_http_sqlite_batch_p95_ms", "ms")
    row("ingest_inprocess_sqlite_obs_per_s", "obs/s")
    row("ingest_raw_executemany_sqlite_obs_per_s", "obs/s")
    row(
        "ingest_ratio_http_to_raw_sqlite",
        "",
        "≥ 0.3",
        r.get("ingest_ratio_http_to_raw_sqlite", 0) >= AIMS["ingest_ratio_http_to_raw_sqlite_min"],
    )
    row(
        "ingest_ratio_inprocess_to_raw_sqlite",
        "",
        "≥ 0.4",
        None
        if "ingest_ratio_inprocess_to_raw_sqlite" not in r
        else r["ingest_ratio_inprocess_to_raw_sqlite"]
        >= AIMS["ingest_ratio_inprocess_to_raw_sqlite_min"],
    )
    row("ingest_ratio_http_to_inprocess_sqlite")
    row("parse_json_obs_per_s", "obs/s")
    lag_max = AIMS["derive_lag_s_max"]
    row(
        "derive_lag_after_last_batch_s",
        "s",
        f"≤ {lag_max:g} s",
        None
        if "derive_lag_after_last_batch_s" not in r
        else r["derive_lag_after_last_batch_s"] <= lag_max,
    )
    row("ingest_end_to_end_sqlite_obs_per_s", "obs/s")
    row("ingest_http_sqlite_derive_thread_obs_per_s", "obs/s")
    e2e = r.get("ingest_end_to_end_sqlite_derive_thread_obs_per_s")
    http = r.get("ingest_http_sqlite_obs_per_s")
    if e2e is not None and http:
        r["ingest_ratio_end_to_end_derive_thread_to_http_sqlite"] = round(e2e / http, 4)
    row("ingest_end_to_end_sqlite_derive_thread_obs_per_s", "obs/s")
    row(
        "ingest_ratio_end_to_end_derive_thread_to_http_sqlite",
        "",
        "≥ 0.8",
        None
        if "ingest_ratio_end_to_end_derive_thread_to_http_sqlite" not in r
        else r["ingest_ratio_end_to_end_derive_thread_to_http_sqlite"]
        >= AIMS["ingest_end_to_end_derive_thread_to_http_min"],
    )
    for key in (
        "ingest_http_postgres_obs_per_s",
        "ingest_inprocess_postgres_obs_per_s",
        "ingest_raw_copy_postgres_obs_per_s",
    ):
        row(key, "obs/s")
    row(
        "ingest_ratio_http_to_raw_postgres",
        "",
        "≥ 0.3",
        None
        if "ingest_ratio_http_to_raw_postgres" not in r
        else r["ingest_ratio_http_to_raw_postgres"]
        >= AIMS["ingest_ratio_http_to_raw_postgres_min"],
    )
    row("ingest_ratio_inprocess_to_raw_postgres")
    table.add_section()
    row(f"observations_stored_{small}", "rows")
    row(f"db_file_mb_{small}", "MB")
    row(f"build_{small}_write_observations_obs_per_s", "obs/s")
    row(f"observations_stored_{large}", "rows")
    row(f"db_file_mb_{large}", "MB")
    row(f"consistency_{large}")
    limit = AIMS["page_p95_ms_max_at_large_size"]
    ratio = AIMS["page_p95_ratio_large_to_small_max"]
    for name in PAGES:
        table.add_section()
        row(f"{name}_p50_ms_{small}", "ms")
        row(f"{name}_p95_ms_{small}", "ms")
        row(f"{name}_p50_ms_{large}", "ms")
        p95 = r.get(f"{name}_p95_ms_{large}")
        row(
            f"{name}_p95_ms_{large}", "ms", f"≤ {limit:g} ms", None if p95 is None else p95 <= limit
        )
        p95r = r.get(f"{name}_p95_ratio_{large}_to_{small}")
        row(
            f"{name}_p95_ratio_{large}_to_{small}",
            "",
            f"≤ {ratio:g}×",
            None if p95r is None else p95r <= ratio,
        )
    table.add_section()
    row("ngsi_upsert_entities_per_request", "entities")
    row("ngsi_upsert_create_request_ms", "ms")
    row(
        "ngsi_upsert_entities_per_s",
        "entities/s",
        "≥ 2,410",
        None
        if "ngsi_upsert_entities_per_s" not in r
        else r["ngsi_upsert_entities_per_s"] >= AIMS["ngsi_upsert_entities_per_s_min"],
    )
    row("ngsi_upsert_observations_per_s", "obs/s")
    row("ngsi_upsert_requests_per_s", "req/s")
    row("ngsi_upsert_request_p50_ms", "ms")
    row("ngsi_upsert_request_p95_ms", "ms")
    row("ngsi_upsert_server_cpu_ms_per_request", "ms")
    row("ngsi_upsert_derive_lag_s", "s")
    row("ngsi_upsert_entities_per_s_derive_thread", "entities/s")
    row("ngsi_upsert_request_p95_ms_derive_thread", "ms")
    row("ngsi_upsert_server_cpu_ms_per_request_derive_thread", "ms")
    row(
        "ngsi_upsert_derive_lag_s_derive_thread",
        "s",
        f"≤ {lag_max:g} s",
        None
        if "ngsi_upsert_derive_lag_s_derive_thread" not in r
        else r["ngsi_upsert_derive_lag_s_derive_thread"] <= lag_max,
    )
    ngsi_aim = AIMS["ngsi_upsert_ratio_to_stellio_best_min"]
    row(
        "ngsi_upsert_ratio_to_stellio_best",
        "×",
        f"≥ {ngsi_aim:g}× (241 req/s)",
        None
        if "ngsi_upsert_ratio_to_stellio_best" not in r
        else r["ngsi_upsert_ratio_to_stellio_best"] >= ngsi_aim,
    )
    row("ngsi_upsert_ratio_to_scorpio", "×", "(324 writes/s)")
    table.add_section()
    row("mqtt_messages", "msgs")
    row("mqtt_bare_subscriber_msgs_per_s", "msg/s")
    mqtt_aim = AIMS["mqtt_ingest_readings_per_s_min"]
    row(
        "mqtt_ingest_readings_per_s",
        "readings/s",
        f"≥ {mqtt_aim:,.0f}",
        None
        if "mqtt_ingest_readings_per_s" not in r
        else r["mqtt_ingest_readings_per_s"] >= mqtt_aim,
    )
    row(
        "mqtt_ratio_ingest_to_bare",
        "",
        "≥ 0.8",
        None
        if "mqtt_ratio_ingest_to_bare" not in r
        else r["mqtt_ratio_ingest_to_bare"] >= AIMS["mqtt_ratio_ingest_to_bare_min"],
    )
    row("mqtt_lost", "", "0", None if "mqtt_lost" not in r else r["mqtt_lost"] == 0)
    row("mqtt_dead_letters")
    row("mqtt_derive_lag_after_last_message_s", "s")
    row("mqtt_v311_ingest_readings_per_s", "readings/s")
    row("mqtt_v311_ratio_ingest_to_bare")
    row("mqtt_v311_lost", "", "0", None if "mqtt_v311_lost" not in r else r["mqtt_v311_lost"] == 0)
    table.add_section()
    row("alerting_rules", "rules × series")
    for key in ("alerting_quiet_cycle_s", "alerting_storm_cycle_s", "alerting_steady_cycle_s"):
        row(key, "s", "≤ 1", None if key not in r else r[key] <= AIMS["alerting_cycle_s_max"])
    row("alerting_storm_alerts_opened", "alerts")
    row("alerting_rules_per_s_quiet", "rules/s")
    row("alerting_ratio_quiet_to_aim")
    row("alerting_ratio_storm_to_aim")
    row("alerting_pg_quiet_cycle_s", "s")
    row("alerting_pg_storm_cycle_s", "s")
    row("alerting_pg_steady_cycle_s", "s")
    table.add_section()
    row("ps_dossiers", "dossiers")
    row(
        "ps_recompute_all_s",
        "s",
        "≤ 10",
        None if "ps_recompute_all_s" not in r else r["ps_recompute_all_s"] <= 10,
    )
    row("ps_rebuild_s", "s")
    row("ps_scores_all_s", "s")
    row(
        "ps_incremental_10k_s",
        "s",
        "≤ 1",
        None if "ps_incremental_10k_s" not in r else r["ps_incremental_10k_s"] <= 1,
    )
    row("ps_insert_10k_s", "s")
    row("ps_incremental_consistent")
    table.add_section()
    row("syslog_events", "events")
    for key in ("syslog_udp_events_per_s", "syslog_tcp_events_per_s"):
        row(key, "events/s", "≥ 20,000", None if key not in r else r[key] >= 20_000)
    row("syslog_udp_lost")
    row(
        "syslog_tcp_lost",
        "",
        "0",
        None if "syslog_tcp_lost" not in r else r["syslog_tcp_lost"] == 0,
    )
    row("syslog_udp_kernel_dropped")
    for key in ("syslog_udp_cpu_us_per_event", "syslog_tcp_cpu_us_per_event"):
        row(key, "µs CPU")
    table.add_section()
    row("geo_points", "points")
    row(
        "geo_points_per_s",
        "points/s",
        "≥ 50,000",
        None
        if "geo_points_per_s" not in r
        else r["geo_points_per_s"] >= AIMS["geo_points_per_s_min"],
    )
    row("geo_placed_share")
    row("geo_snapped", "points")
    row("geo_build_ms", "ms")
    row("geo_locate_one_us", "µs")
    table.add_section()
    for n in (1, 2):
        row(f"scale_{n}proc_ingest_obs_per_s", "obs/s")
        row(f"scale_{n}proc_lost", "", "0", r.get(f"scale_{n}proc_lost", 0) == 0)
        row(f"scale_{n}proc_duplicated", "", "0", r.get(f"scale_{n}proc_duplicated", 0) == 0)
        row(f"scale_{n}proc_derive_lag_s", "s")
        row(f"scale_{n}proc_pages_per_s", "pages/s")
        row(f"scale_{n}proc_page_p95_ms", "ms")
        row(f"scale_{n}proc_schedulers_running_jobs", "", "1")
        row(f"scale_mqtt_{n}proc_readings_per_s", "readings/s")
        row(f"scale_mqtt_{n}proc_lost", "", "0")
    row("scale_ratio_2proc_to_1proc_ingest_obs_per_s", "", "> 1")
    row("scale_ratio_2proc_to_1proc_pages_per_s", "", "> 1")
    row("scale_mqtt_ratio_2proc_to_1proc", "", "> 1")
    table.add_section()
    row("total_runtime_s", "s")
    console.print(table)
    if "profile_inprocess_batch_top15" in results:
        console.print("\n[bold]cProfile, one in-process 10k batch (top 15 by cumulative time)[/]")
        for line in results["profile_inprocess_batch_top15"]:
            console.print(line, markup=False, soft_wrap=True)


def run_alerting(cfg: Config, tmp: Path, results: dict[str, Any], postgres: str | None) -> None:
    """Alert evaluation: 10,000 rules over 10,000 series (quick: 2,000), three cycles."""
    n = 10_000 if cfg.mode == "full" else 2_000
    note(f"alert evaluation: {n:,} rules over {n:,} series (SQLite)")
    alerting.sqlite_run(tmp, n, results)
    if postgres:
        name = f"ioc_bench_alerting_{uuid.uuid4().hex[:8]}"
        admin = create_engine(postgres, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            note(f"alert evaluation: {n:,} rules over {n:,} series (PostgreSQL)")
            url = make_url(postgres).set(database=name).render_as_string(hide_password=False)
            alerting.run_alerting(url, n, results, prefix="alerting_pg")
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command line options."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="smoke run: 100k rows, pages at 100k/1M")
    p.add_argument(
        "--postgres",
        metavar="URL",
        help="also measure ingestion on PostgreSQL; URL of a database the bench may connect to "
        "in order to create (and drop) its own databases",
    )
    p.add_argument("--profile", action="store_true", help="cProfile one in-process 10k batch")
    p.add_argument("--out", type=Path, help="results file (default bench/results.json)")
    p.add_argument("--keep", action="store_true", help="keep the temporary databases")
    p.add_argument("--skip-pages", action="store_true", help="ingestion figures only")
    p.add_argument("--skip-ingest", action="store_true", help="page figures only")
    p.add_argument("--skip-ngsi", action="store_true", help="no NGSI-LD figures")
    p.add_argument("--only-ngsi", action="store_true", help="NGSI-LD figures only")
    p.add_argument("--skip-mqtt", action="store_true", help="no MQTT figures")
    p.add_argument("--only-mqtt", action="store_true", help="MQTT figures only")
    p.add_argument("--skip-alerting", action="store_true", help="no alert evaluation figures")
    p.add_argument("--only-alerting", action="store_true", help="alert evaluation figures only")
    p.add_argument("--skip-ps", action="store_true", help="no public-services (QĐ 766) figures")
    p.add_argument("--only-ps", action="store_true", help="public-services figures only")
    p.add_argument("--skip-syslog", action="store_true", help="no syslog intake figures")
    p.add_argument("--only-syslog", action="store_true", help="syslog intake figures only")
    p.add_argument("--skip-geo", action="store_true", help="no point → commune figures")
    p.add_argument("--only-geo", action="store_true", help="point → commune figures only")
    p.add_argument("--skip-scale", action="store_true", help="no 1 vs 2 process figures")
    p.add_argument(
        "--only-scale", action="store_true", help="1 vs 2 process figures only (needs --postgres)"
    )
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the bench, print the table, write the results file."""
    args = parse_args(argv)
    cfg = Config.quick() if args.quick else Config.full()
    default_name = "results-quick.json" if args.quick else "results.json"
    if args.only_ngsi:
        default_name = "results-ngsi.json"  # never overwrite the full results with a partial run
    if args.only_mqtt:
        default_name = "results-mqtt.json"
    if args.only_alerting:
        default_name = "results-alerting.json"
    if args.only_ps:
        default_name = "results-ps.json"
    if args.only_syslog:
        default_name = "results-syslog.json"
    if args.only_geo:
        default_name = "results-geo.json"
    if args.only_scale:
        default_name = "results-scale.json"
    out: Path = args.out or BENCH_DIR / default_name
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    results: dict[str, Any] = {
        "mode": cfg.mode,
        "started_at": started.isoformat(timespec="seconds"),
        "machine": machine_info(),
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
        "aims": AIMS,
    }
    tmp = Path(tempfile.mkdtemp(prefix="ioc-bench-"))
    note(f"IOC bench ({cfg.mode}); temporary databases in {tmp}")
    try:
        only = (
            args.only_ngsi
            or args.only_mqtt
            or args.only_alerting
            or args.only_ps
            or args.only_syslog
            or args.only_geo
            or args.only_scale
        )
        if not args.skip_ingest and not only:
            work = run_ingestion_sqlite(cfg, tmp, results, args.profile)
            if args.postgres:
                run_ingestion_postgres(args.postgres, cfg, tmp, results, work)
        if args.postgres and not args.skip_scale and (not only or args.only_scale):
            if args.only_scale or args.skip_ingest:
                work = scale_workload(cfg, tmp)
            scale.run_scale(args.postgres, tmp, results, work, quick=cfg.mode != "full")
        if not args.skip_ngsi and (not only or args.only_ngsi):
            run_ngsi(cfg, tmp, results)
        if not args.skip_mqtt and (not only or args.only_mqtt):
            run_mqtt(cfg, tmp, results)
        if not args.skip_alerting and (not only or args.only_alerting):
            run_alerting(cfg, tmp, results, args.postgres)
        if not args.skip_ps and (not only or args.only_ps):
            note("public services: QĐ 766 recompute and incremental updates")
            public_services.run_public_services(tmp, results, cfg.mode != "full")
        if not args.skip_syslog and (not only or args.only_syslog):
            note("syslog intake over UDP and TCP")
            syslog_intake.run_syslog(tmp, results, cfg.mode != "full")
        if not args.skip_geo and (not only or args.only_geo):
            note("point → commune: 100,000 random points in the province's bounding box")
            geo_locate.run_geo(tmp, results, cfg.mode != "full")
        if not args.skip_pages and not only:
            run_pages(cfg, tmp, results)
    finally:
        if args.keep:
            note(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    results["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    results["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    results["total_runtime_s"] = round(time.perf_counter() - t0, 1)
    print_report(results, cfg)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    note(f"results written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
