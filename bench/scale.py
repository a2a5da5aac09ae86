"""Scale benchmark on PostgreSQL: the same work with 1 process of each kind and with 2.

Issue 19 asks whether the IOC grows by adding processes. For N = 1 and N = 2 this starts, on a
fresh PostgreSQL database holding the same stations, series, users and token:

- ``ioc serve --workers N`` (uvicorn workers; ``IOC_DERIVE_WORKER=off``, ``IOC_SCHEDULER=off``),
- ``ioc derive`` ×N (the derive queue, PostgreSQL advisory locks per key),
- ``ioc worker`` ×N (the scheduler: one elected leader through the lease row),

then measures, in one run:

- HTTP ingestion: four client threads POST the same 10,000-row batches (observations/s), and
  the rows stored are counted (0 lost, 0 duplicated: every (series, time) once);
- derive: seconds from the last batch answered until the derive queue is empty;
- pages: four signed-in clients read the overview and a station page (requests/s, p95 ms);
- scheduler: over the run, how many workers ran jobs (must be 1) and whether two job runs ever
  overlapped.

The MQTT figures with 1 and 2 ``ioc ingest mqtt`` processes on a shared subscription come from
``mqtt_intake.run_mqtt`` on the same server (keys ``scale_mqtt_*``). Keys written:
``scale_<n>proc_*`` and ``scale_ratio_2proc_to_1proc_*``. Timings are never asserted; a lost or
duplicated row, a refused batch, or two schedulers stop the bench with an error.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

# The readings sent: observations of the pollutant series (the derive writes VN_AQI series too).
SENT_SERIES = (
    "SELECT s.id FROM series s JOIN indicators i ON i.id = s.indicator_id"
    " WHERE i.code IN ('pm25', 'pm10', 'o3', 'no2', 'so2', 'co')"
)
STORED_ROWS = f"SELECT count(*) FROM observations WHERE series_id IN ({SENT_SERIES})"
DISTINCT_ROWS = (
    "SELECT count(*) FROM (SELECT DISTINCT series_id, ts FROM observations"
    f" WHERE series_id IN ({SENT_SERIES})) d"
)
CLIENTS = 4  # concurrent HTTP clients (ingestion and pages)
PAGE_REQUESTS = 200  # page reads per run, shared by the clients
WORKER_WINDOW_S = 12.0  # how long the ``ioc worker`` pair runs side by side


@dataclass
class Fleet:
    """The processes of one run, stopped together."""

    procs: list[subprocess.Popen[bytes]]
    url: str

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


def _ioc() -> list[str]:
    exe = Path(sys.executable).parent / "ioc"
    return (
        [str(exe)] if exe.exists() else [sys.executable, "-c", "from ioc.cli import main; main()"]
    )


def _env(database_url: str, data_dir: Path, port: int) -> dict[str, str]:
    env = os.environ.copy()
    env.update(
        {
            "IOC_ENV": "development",
            "IOC_DATABASE_URL": database_url,
            "IOC_DATA_DIR": str(data_dir),
            "IOC_LOG_LEVEL": "WARNING",
            "IOC_HOST": "127.0.0.1",
            "IOC_PORT": str(port),
            "IOC_DERIVE_WORKER": "off",
            "IOC_SCHEDULER": "off",
        }
    )
    return env


@contextlib.contextmanager
def fleet(database_url: str, data_dir: Path, log: Path, n: int, port: int) -> Iterator[Fleet]:
    """``ioc serve --workers n`` and ``ioc derive`` ×n; the web answers before this yields."""
    env = _env(database_url, data_dir, port)
    out = log.open("ab")
    cmd = _ioc()
    procs = [
        subprocess.Popen(
            [*cmd, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(n)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    ]
    procs += [
        subprocess.Popen([*cmd, "derive"], env=env, stdout=out, stderr=subprocess.STDOUT)
        for _ in range(n)
    ]
    out.close()
    running = Fleet(procs, f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 240  # a loaded machine starts 2 workers slowly
        while True:
            if procs[0].poll() is not None:
                raise RuntimeError(f"ioc serve exited early; see {log}")
            with contextlib.suppress(httpx2.TransportError):
                if httpx2.get(f"{running.url}/healthz", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"ioc serve did not answer; see {log}")
            time.sleep(0.2)
        yield running
    finally:
        running.stop()


def ingest_concurrently(
    url: str, token: str, bodies: Sequence[bytes], sizes: Sequence[int]
) -> float:
    """POST every body from ``CLIENTS`` threads; returns the wall seconds. A refused batch or a
    short count stops the bench."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    queue = list(zip(bodies, sizes, strict=True))
    lock = threading.Lock()
    errors: list[str] = []

    def client() -> None:
        with httpx2.Client(base_url=url, timeout=600, headers=headers) as http:
            while True:
                with lock:
                    if not queue or errors:
                        return
                    body, size = queue.pop()
                r = http.post("/api/v1/observations", content=body)
                if r.status_code != 200 or r.json().get("stored") != size:
                    with lock:
                        errors.append(f"{r.status_code} {r.text[:300]}")

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(f"a batch was refused: {errors[0]}")
    return time.perf_counter() - t0


def read_pages(
    url: str, username: str, password: str, paths: Sequence[str]
) -> tuple[float, list[float]]:
    """``PAGE_REQUESTS`` GETs of ``paths`` in turn from ``CLIENTS`` signed-in clients; returns
    (wall seconds, latencies in ms)."""
    from run import login  # bench/run.py: the login form with its CSRF token

    clients = []
    for _ in range(CLIENTS):
        http = httpx2.Client(base_url=url, timeout=120, follow_redirects=False)
        login(http, username, password)
        for path in paths:  # warm-up
            http.get(path)
        clients.append(http)
    latencies: list[float] = []
    lock = threading.Lock()
    left = [PAGE_REQUESTS]
    errors: list[str] = []

    def reader(http: httpx2.Client, offset: int) -> None:
        i = offset
        while True:
            with lock:
                if left[0] <= 0:
                    return
                left[0] -= 1
            path = paths[i % len(paths)]
            i += 1
            t0 = time.perf_counter()
            r = http.get(path)
            ms = (time.perf_counter() - t0) * 1000
            with lock:
                latencies.append(ms)
                if r.status_code != 200:
                    errors.append(f"GET {path}: {r.status_code}")

    threads = [threading.Thread(target=reader, args=(c, k)) for k, c in enumerate(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    for c in clients:
        c.close()
    if errors:
        raise RuntimeError(errors[0])
    return wall, latencies


def _scalar(database_url: str, sql: str) -> Any:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql)).scalar()
    finally:
        engine.dispose()


def wait_derived(database_url: str, timeout: float = 600) -> float:
    """Seconds until ``pending_derivations`` is empty."""
    engine = create_engine(database_url)
    t0 = time.perf_counter()
    try:
        with engine.connect() as conn:
            while time.perf_counter() - t0 < timeout:
                left = conn.execute(text("SELECT count(*) FROM pending_derivations")).scalar()
                conn.rollback()
                if left == 0:
                    return time.perf_counter() - t0
                time.sleep(0.05)
    finally:
        engine.dispose()
    raise RuntimeError(f"derivations still pending after {timeout:.0f} s")


def schedulers(database_url: str, data_dir: Path, log: Path, n: int, port: int) -> dict[str, Any]:
    """Run ``ioc worker`` ×n side by side for ``WORKER_WINDOW_S``; who ran jobs, and did two
    runs ever overlap?"""
    env = _env(database_url, data_dir, port)
    env["IOC_SCHEDULER"] = "thread"
    out = log.open("ab")
    procs = [
        subprocess.Popen([*_ioc(), "worker"], env=env, stdout=out, stderr=subprocess.STDOUT)
        for _ in range(n)
    ]
    out.close()
    try:
        time.sleep(WORKER_WINDOW_S)
    finally:
        Fleet(procs, "").stop()
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            workers = conn.execute(text("SELECT count(DISTINCT worker) FROM job_runs")).scalar()
            runs = conn.execute(text("SELECT count(*) FROM job_runs")).scalar()
            overlaps = conn.execute(
                text(
                    "SELECT count(*) FROM job_runs a JOIN job_runs b ON a.id < b.id"
                    " AND a.job = b.job AND a.worker <> b.worker"
                    " AND b.started_at < coalesce(a.finished_at, now())"
                    " AND a.started_at < coalesce(b.finished_at, now())"
                )
            ).scalar()
    finally:
        engine.dispose()
    return {"workers_running_jobs": workers, "job_runs": runs, "overlapping_runs": overlaps}


def run_scale(
    admin_url: str,
    tmp: Path,
    results: dict[str, Any],
    work: Any,
    *,
    quick: bool,
    mqtt: bool = True,
) -> None:
    """The 1-process and 2-process figures on PostgreSQL (see the module docstring)."""
    import mqtt_intake
    from ioc.cli import prepare_database
    from ioc.core import audit, auth
    from run import (
        STATION_PAGE_CODE,
        bench_settings,
        create_ingest_fixtures,
        free_port,
        note,
        percentile,
    )

    note("[bold]Scale on PostgreSQL: 1 process of each kind, then 2[/]")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    prefix = f"ioc_bench_scale_{uuid.uuid4().hex[:8]}"
    names = [f"{prefix}_tpl", f"{prefix}_1", f"{prefix}_2"]

    def url_of(name: str) -> str:
        return make_url(admin_url).set(database=name).render_as_string(hide_password=False)

    bodies = work.bodies[: 8 if quick else 24]
    sizes = [len(r) for r in work.rows[: len(bodies)]]
    password = secrets.token_urlsafe(16)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{names[0]}"'))
        factory = prepare_database(bench_settings(url_of(names[0]), tmp))
        _ids, token = create_ingest_fixtures(factory)
        with factory() as session, session.begin():
            auth.create_user(
                session,
                audit.Actor.system("bench"),
                username="bench-viewer",
                password=password,
                full_name="Bench viewer",
                role="leader",
            )
        factory.kw["bind"].dispose()
        with admin.connect() as conn:
            for name in names[1:]:
                conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{names[0]}"'))
        pages = ["/", f"/environment/stations/{STATION_PAGE_CODE}"]
        for n, name in ((1, names[1]), (2, names[2])):
            url = url_of(name)
            key = f"scale_{n}proc"
            note(f"  {n} process(es): serve --workers {n}, derive ×{n}, worker ×{n}")
            with fleet(url, tmp, tmp / f"scale-{n}.log", n, free_port()) as running:
                before = int(_scalar(url, STORED_ROWS))
                wall = ingest_concurrently(running.url, token, bodies, sizes)
                lag = wait_derived(url)
                stored = int(_scalar(url, STORED_ROWS)) - before
                distinct = (
                    int(
                        _scalar(
                            url,
                            DISTINCT_ROWS,
                        )
                    )
                    - before
                )
                page_wall, latencies = read_pages(running.url, "bench-viewer", password, pages)
            sent = sum(sizes)
            if stored != sent or distinct != stored:
                raise RuntimeError(f"{key}: sent {sent}, stored {stored}, distinct {distinct}")
            sched = schedulers(url, tmp, tmp / f"scale-{n}-workers.log", n, free_port())
            if sched["workers_running_jobs"] > 1 or sched["overlapping_runs"]:
                raise RuntimeError(f"{key}: more than one scheduler ran jobs: {sched}")
            results[f"{key}_ingest_obs_per_s"] = round(sent / wall)
            results[f"{key}_lost"] = sent - stored
            results[f"{key}_duplicated"] = stored - distinct
            results[f"{key}_derive_lag_s"] = round(lag, 2)
            results[f"{key}_pages_per_s"] = round(PAGE_REQUESTS / page_wall, 1)
            results[f"{key}_page_p95_ms"] = round(percentile(latencies, 95), 1)
            results[f"{key}_schedulers_running_jobs"] = sched["workers_running_jobs"]
            results[f"{key}_job_runs"] = sched["job_runs"]
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    for figure in ("ingest_obs_per_s", "pages_per_s"):
        one = results[f"scale_1proc_{figure}"]
        results[f"scale_ratio_2proc_to_1proc_{figure}"] = round(
            results[f"scale_2proc_{figure}"] / max(one, 1), 3
        )
    if mqtt:
        note("  MQTT on PostgreSQL: ioc ingest mqtt ×1 and ×2 (shared subscription)")
        mqtt_intake.run_mqtt(
            tmp,
            results,
            messages=20_000 if quick else 50_000,
            consumers=(1, 2),
            database_url=admin_url,
            prefix="scale_mqtt",
            drain=False,
        )
