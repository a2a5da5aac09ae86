"""MQTT intake benchmark: QoS 1 readings/s of ``ioc ingest mqtt`` (1 or M processes on an MQTT 5
shared subscription) beside a bare paho subscriber, on a private Mosquitto, with every reading
counted afterwards (0 lost, 0 duplicated).

Functions for ``bench/run.py`` (the table is built there):

* ``run_mqtt(tmp, results, messages=…, consumers=(1, 2), database_url=None, protocol="5")`` —
  writes ``mqtt_*`` keys into ``results``. Without ``database_url`` each run gets a fresh SQLite
  file in ``tmp``; with a PostgreSQL URL (of a database the bench may create databases from)
  each run gets a fresh database ``ioc_bench_mqtt_<n>`` that is dropped afterwards.
* ``bare_rate(port, lines, messages, subscribers=1)`` — messages/s of bare subscribers.
* ``connector_rate(database_url, port, lines, messages, consumers=1)`` — one measurement.

Keys (``<n>`` = number of consumer processes): ``mqtt_messages``,
``mqtt_bare_subscriber_msgs_per_s`` (one bare subscriber), ``mqtt_bare_shared_<n>_msgs_per_s``
(n bare subscribers on one shared subscription), ``mqtt_<n>proc_readings_per_s``,
``mqtt_<n>proc_lost``, ``mqtt_<n>proc_duplicated``, ``mqtt_<n>proc_ratio_to_bare``,
``mqtt_ratio_2proc_to_1proc``; with ``drain`` (a backlog published while the subscribers
are away, then taken: their capacity with the publisher out of the picture)
``mqtt_bare_drain_msgs_per_s``, ``mqtt_bare_shared_<n>_drain_msgs_per_s``,
``mqtt_<n>proc_drain_readings_per_s`` / ``_ratio_to_bare`` / ``_lost`` / ``_duplicated``;
and the keys the results file had before:
``mqtt_ingest_readings_per_s`` / ``mqtt_ratio_ingest_to_bare`` / ``mqtt_lost`` /
``mqtt_dead_letters`` (the best layout measured, named in ``mqtt_best_layout``).

The publisher is ``mosquitto_pub`` (C), split over two processes, so that it is not the
bottleneck; every message carries one PM2.5 reading at a distinct hour, so the number of
observation rows must equal the number of messages (duplicates would be upserted onto the same
row: ``duplicated`` counts rows beyond the messages, and dead letters).

Standalone: ``.venv/bin/python bench/mqtt_intake.py [--messages N] [--consumers 1,2]
[--postgres URL]``.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import logging
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

TOPIC = "ioc/bench/readings"
SHARE_GROUP = "ioc"
STATIONS = ("DL-BENCH-01", "DL-BENCH-02", "DL-BENCH-03", "DL-BENCH-04")
PUBLISHERS = 2


def _free_port() -> int:
    with contextlib.closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class PrivateMosquitto:
    """A Mosquitto of our own on a free port, with the settings the connector's README asks
    of a production broker (unlimited queue and in-flight window); never the shared :1883."""

    def __init__(self, folder: Path) -> None:
        self.port = _free_port()
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


def available() -> bool:
    """Whether the Mosquitto binaries the bench needs are installed."""
    return shutil.which("mosquitto") is not None and shutil.which("mosquitto_pub") is not None


def payload_files(folder: Path, messages: int, parts: int = PUBLISHERS) -> list[Path]:
    """One reading per line (= per message), PM2.5 of each station, hourly, distinct times;
    split into ``parts`` files (one per publisher)."""
    start = datetime(2020, 1, 1, tzinfo=UTC)
    rng = random.Random(1883)
    paths = [folder / f"mqtt-lines-{i}.txt" for i in range(parts)]
    outs = [p.open("wb") for p in paths]
    try:
        for i in range(messages):
            st = STATIONS[i % len(STATIONS)]
            when = start + timedelta(hours=i // len(STATIONS))
            outs[i % parts].write(
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
    finally:
        for out in outs:
            out.close()
    return paths


def publish(port: int, lines: Sequence[Path]) -> list[subprocess.Popen[bytes]]:
    """Publish every line of each file as one QoS 1 message, one ``mosquitto_pub`` per file."""
    procs = []
    for path in lines:
        with path.open("rb") as stdin:
            procs.append(
                subprocess.Popen(
                    [
                        *("mosquitto_pub", "-h", "127.0.0.1", "-p", str(port), "-q", "1"),
                        *("-t", TOPIC, "-l", "-M", "1000"),
                        *("-i", f"bench-pub-{uuid.uuid4().hex[:6]}"),
                    ],
                    stdin=stdin,
                )
            )
    return procs


BARE = r"""
import sys, time, threading
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions
port, topic, cid = int(sys.argv[1]), sys.argv[2], sys.argv[3]
got = 0
last = [time.time()]
connected = threading.Event()
def on_message(c, u, m):
    global got
    got += 1
    last[0] = time.time()
at = [0.0]
def on_connect(c, u, f, rc, p):
    at[0] = time.time()
    c.subscribe([(topic, SubscribeOptions(qos=1))])
    connected.set()
# As the connector connects: persistent session, Receive Maximum 65535; automatic acks.
c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=cid, protocol=mqtt.MQTTv5)
c.on_message = on_message
c.on_connect = on_connect
props = Properties(PacketTypes.CONNECT)
props.SessionExpiryInterval = 600
props.ReceiveMaximum = 65535
c.connect("127.0.0.1", port, clean_start=False, properties=props)
c.loop_start()
connected.wait(10)
print("ready", repr(at[0]), flush=True)
for line in sys.stdin:  # "?" -> how many so far, and when the last one came
    print(got, repr(last[0]), flush=True)
c.disconnect(); c.loop_stop()
"""


def _bare_procs(port: int, topic: str, subscribers: int) -> list[subprocess.Popen[str]]:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", BARE, str(port), topic, f"bench-bare-{i}"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(subscribers)
    ]
    return procs


def _ready(procs: Sequence[subprocess.Popen[str]]) -> float:
    """Wait for each subscriber's "ready" line; the earliest connection time."""
    times = []
    for proc in procs:
        assert proc.stdout is not None
        times.append(float(proc.stdout.readline().split()[1]))
    return min(times)


def _received(procs: Sequence[subprocess.Popen[str]], messages: int, t0: float) -> float:
    """Poll the subscribers until they have ``messages`` together; the last one's time."""
    deadline = time.monotonic() + 600
    got, last = 0, t0
    while got < messages and time.monotonic() < deadline:
        time.sleep(0.1)
        got, last = 0, t0
        for proc in procs:
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write("?\n")
            proc.stdin.flush()
            n, at = proc.stdout.readline().split()
            got += int(n)
            last = max(last, float(at))
    for proc in procs:
        proc.communicate("", timeout=60)
    if got < messages:
        raise RuntimeError(f"bare subscribers got {got} of {messages}")
    return last


def bare_drain_rate(port: int, lines: Sequence[Path], messages: int, subscribers: int = 1) -> float:
    """Messages/s bare subscribers take from a backlog: their sessions are made, the
    messages published while they are away, then they connect and receive them all (the
    subscriber's own capacity, the publisher out of the picture)."""
    topic = TOPIC if subscribers == 1 else f"$share/{SHARE_GROUP}/{TOPIC}"
    procs = _bare_procs(port, topic, subscribers)
    _ready(procs)
    time.sleep(0.3)
    for proc in procs:
        proc.communicate("", timeout=30)
    for pub in publish(port, lines):
        pub.wait(600)
    procs = _bare_procs(port, topic, subscribers)
    t0 = _ready(procs)  # from the (first) connection on: start-up not counted
    last = _received(procs, messages, t0)
    return messages / max(last - t0, 1e-9)


def bare_rate(port: int, lines: Sequence[Path], messages: int, subscribers: int = 1) -> float:
    """Messages/s that ``subscribers`` bare paho subscribers (QoS 1, automatic acks, no work;
    each its own process, on one shared subscription when more than one) receive together,
    from the first publish to the last message received."""
    topic = TOPIC if subscribers == 1 else f"$share/{SHARE_GROUP}/{TOPIC}"
    procs = _bare_procs(port, topic, subscribers)
    _ready(procs)
    time.sleep(0.5)  # subscriptions granted
    t0 = time.time()
    pubs = publish(port, lines)
    last = _received(procs, messages, t0)
    for pub in pubs:
        pub.wait(60)
    return messages / max(last - t0, 1e-9)


def _prepare_database(database_url: str) -> None:
    """Migrate, load reference data and the bench stations (as ``ioc`` would)."""
    from ioc.cli import prepare_database
    from ioc.core import audit
    from ioc.packs.environment import service
    from ioc.settings import Settings

    settings = Settings(env="test", database_url=database_url, scheduler="off")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    factory = prepare_database(settings)
    with factory() as session, session.begin():
        for i, code in enumerate(STATIONS):
            service.upsert_station(
                session,
                audit.Actor.system("bench"),
                code=code,
                name=f"Trạm đo thử {i + 1}",
                lat=12.67 + i / 100,
                lon=108.04 + i / 100,
                area_code="24133",
                agency_code="so-nong-nghiep-moi-truong",
            )
    factory.kw["bind"].dispose()


def _counts(database_url: str) -> tuple[int, int]:
    """(PM2.5 observation rows, MQTT dead letters)."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT count(*) FROM observations o JOIN series s ON s.id = o.series_id "
                    "JOIN indicators i ON i.id = s.indicator_id WHERE i.code = 'pm25'"
                )
            ).scalar_one()
            dead = conn.execute(
                text("SELECT count(*) FROM dead_letters WHERE source = 'mqtt'")
            ).scalar_one()
        return int(rows), int(dead)
    finally:
        engine.dispose()


COUNT_SQL = (
    "SELECT count(*) FROM observations o JOIN series s ON s.id = o.series_id "
    "JOIN indicators i ON i.id = s.indicator_id WHERE i.code = 'pm25'"
)


def _consumers(env: dict[str, str], consumers: int) -> list[subprocess.Popen[str]]:
    """Start ``ioc ingest mqtt`` ×n; return once each printed its first line (connected)."""
    exe = Path(sys.executable).parent / "ioc"
    procs = [
        subprocess.Popen(
            [str(exe), "ingest", "mqtt", *(("--instance", str(i + 1)) if consumers > 1 else ())],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        for i in range(consumers)
    ]
    for proc in procs:
        assert proc.stdout is not None
        proc.stdout.readline()
    return procs


def _stop(procs: Sequence[subprocess.Popen[str]]) -> None:
    """SIGTERM: each finishes its batch and disconnects, keeping its session."""
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.communicate(timeout=30)


def _wait_stored(database_url: str, messages: int) -> None:
    engine = create_engine(database_url)
    deadline = time.monotonic() + 600
    stored = 0
    with engine.connect() as conn:
        while stored < messages and time.monotonic() < deadline:
            time.sleep(0.02)
            stored = int(conn.execute(text(COUNT_SQL)).scalar_one())
            conn.rollback()
    engine.dispose()


def connector_rate(
    database_url: str,
    port: int,
    lines: Sequence[Path],
    messages: int,
    consumers: int = 1,
    protocol: str = "5",
    drain: bool = False,
) -> dict[str, Any]:
    """Run ``consumers`` ``ioc ingest mqtt`` processes (a shared subscription when more than
    one; derivation left to ``ioc derive``, not run here) and time until all readings are
    committed: from the first publish (``drain=False``: keeping up with a live stream), or,
    with ``drain``, from the consumers' reconnection to a backlog published while they were
    stopped (their own capacity). Returns readings/s, lost, duplicated, dead letters."""
    env = os.environ | {
        "IOC_ENV": "test",
        "IOC_DATABASE_URL": database_url,
        "IOC_LOG_LEVEL": "WARNING",
        "IOC_SCHEDULER": "off",
        "IOC_DERIVE_WORKER": "off",
        "IOC_MQTT_PORT": str(port),
        "IOC_MQTT_TOPICS": TOPIC,
        "IOC_MQTT_PROTOCOL": protocol,
        "IOC_MQTT_CLIENT_ID": f"bench-{uuid.uuid4().hex[:6]}",
        "IOC_MQTT_SHARE_GROUP": SHARE_GROUP if consumers > 1 else "",
    }
    procs = _consumers(env, consumers)
    try:
        time.sleep(1.0)  # subscriptions granted
        if drain:
            _stop(procs)  # sessions kept by the broker: the backlog waits in them
            for pub in publish(port, lines):
                pub.wait(600)
            procs = _consumers(env, consumers)
            # The first line comes once connected; time from there (start-up not counted).
            t0 = time.perf_counter()
            _wait_stored(database_url, messages)
            elapsed = time.perf_counter() - t0
        else:
            t0 = time.perf_counter()
            pubs = publish(port, lines)
            _wait_stored(database_url, messages)
            elapsed = time.perf_counter() - t0
            for pub in pubs:
                pub.wait(60)
        time.sleep(1.0)  # anything redelivered late must not add rows
    finally:
        _stop(procs)
    rows, dead = _counts(database_url)
    return {
        "readings_per_s": messages / max(elapsed, 1e-9),
        "lost": max(messages - rows, 0),
        "duplicated": max(rows - messages, 0),
        "dead_letters": dead,
    }


@contextlib.contextmanager
def _database(tmp: Path, name: str, postgres: str | None) -> Iterator[str]:
    """A fresh database for one run: a SQLite file, or a new PostgreSQL database."""
    if postgres is None:
        db = tmp / f"{name}.db"
        try:
            yield f"sqlite:///{db}"
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
        return
    admin = create_engine(postgres, isolation_level="AUTOCOMMIT")
    dbname = f"ioc_bench_{name}_{uuid.uuid4().hex[:6]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{dbname}"'))
    try:
        yield make_url(postgres).set(database=dbname).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)'))
        admin.dispose()


def run_mqtt(
    tmp: Path,
    results: dict[str, Any],
    *,
    messages: int = 50_000,
    consumers: Sequence[int] = (1, 2),
    database_url: str | None = None,
    protocol: str = "5",
    prefix: str = "mqtt",
    drain: bool = True,
) -> None:
    """Bare subscriber(s), then ``ioc ingest mqtt`` ×n for each n of ``consumers``; writes
    ``<prefix>_*`` keys (see the module's docstring). ``database_url``: PostgreSQL server URL
    (fresh databases are created from it), or None for SQLite files in ``tmp``. With
    ``drain``, each is also measured taking a backlog (``*_drain_*`` keys)."""
    if not available():
        results[f"{prefix}_skipped"] = "mosquitto / mosquitto_pub not installed"
        return
    lines = payload_files(tmp, messages)
    results[f"{prefix}_messages"] = messages
    with PrivateMosquitto(tmp / "mosquitto-bare") as broker:
        bare = bare_rate(broker.port, lines, messages)
    results[f"{prefix}_bare_subscriber_msgs_per_s"] = round(bare)
    best: tuple[float, str, dict[str, Any]] | None = None
    for n in consumers:
        if n > 1:
            with PrivateMosquitto(tmp / f"mosquitto-bare-{n}") as broker:
                shared = bare_rate(broker.port, lines, messages, subscribers=n)
            results[f"{prefix}_bare_shared_{n}_msgs_per_s"] = round(shared)
        with (
            _database(tmp, f"mqtt{n}", database_url) as url,
            PrivateMosquitto(tmp / f"mosquitto-{n}") as broker,
        ):
            _prepare_database(url)
            got = connector_rate(url, broker.port, lines, messages, n, protocol)
        key = f"{prefix}_{n}proc"
        results[f"{key}_readings_per_s"] = round(got["readings_per_s"])
        results[f"{key}_ratio_to_bare"] = round(got["readings_per_s"] / bare, 3)
        results[f"{key}_lost"] = got["lost"]
        results[f"{key}_duplicated"] = got["duplicated"]
        results[f"{key}_dead_letters"] = got["dead_letters"]
        if best is None or got["readings_per_s"] > best[0]:
            best = (got["readings_per_s"], f"{n} process(es)", got)
    if drain:
        _run_drain(tmp, results, lines, messages, consumers, database_url, protocol, prefix)
    if 1 in consumers and 2 in consumers:
        results[f"{prefix}_ratio_2proc_to_1proc"] = round(
            results[f"{prefix}_2proc_readings_per_s"]
            / max(results[f"{prefix}_1proc_readings_per_s"], 1),
            3,
        )
    if best is not None:
        rate, layout, got = best
        results[f"{prefix}_best_layout"] = layout
        results[f"{prefix}_ingest_readings_per_s"] = round(rate)
        results[f"{prefix}_ratio_ingest_to_bare"] = round(rate / bare, 3)
        results[f"{prefix}_lost"] = got["lost"]
        results[f"{prefix}_duplicated"] = got["duplicated"]
        results[f"{prefix}_dead_letters"] = got["dead_letters"]


def _run_drain(
    tmp: Path,
    results: dict[str, Any],
    lines: Sequence[Path],
    messages: int,
    consumers: Sequence[int],
    database_url: str | None,
    protocol: str,
    prefix: str,
) -> None:
    """The backlog measurements: bare subscriber(s) and ``ioc ingest mqtt`` ×n."""
    with PrivateMosquitto(tmp / "mosquitto-bare-drain") as broker:
        bare = bare_drain_rate(broker.port, lines, messages)
    results[f"{prefix}_bare_drain_msgs_per_s"] = round(bare)
    for n in consumers:
        if n > 1:
            with PrivateMosquitto(tmp / f"mosquitto-bare-drain-{n}") as broker:
                shared = bare_drain_rate(broker.port, lines, messages, subscribers=n)
            results[f"{prefix}_bare_shared_{n}_drain_msgs_per_s"] = round(shared)
        with (
            _database(tmp, f"mqttd{n}", database_url) as url,
            PrivateMosquitto(tmp / f"mosquitto-drain-{n}") as broker,
        ):
            _prepare_database(url)
            got = connector_rate(url, broker.port, lines, messages, n, protocol, drain=True)
        key = f"{prefix}_{n}proc_drain"
        results[f"{key}_readings_per_s"] = round(got["readings_per_s"])
        results[f"{key}_ratio_to_bare"] = round(got["readings_per_s"] / bare, 3)
        results[f"{key}_lost"] = got["lost"]
        results[f"{key}_duplicated"] = got["duplicated"]


def main(argv: Sequence[str] | None = None) -> int:
    """Standalone run; prints the ``mqtt_*`` keys as JSON."""
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--messages", type=int, default=50_000)
    p.add_argument("--consumers", default="1,2", help="comma-separated process counts")
    p.add_argument("--postgres", metavar="URL", help="measure on PostgreSQL instead of SQLite")
    p.add_argument("--protocol", default="5", choices=("5", "3.1.1"))
    p.add_argument("--no-drain", action="store_true", help="live stream figures only")
    args = p.parse_args(argv)
    out: dict[str, Any] = {"load_average_start": [round(x, 2) for x in os.getloadavg()]}
    with tempfile.TemporaryDirectory(prefix="ioc-bench-mqtt-") as d:
        run_mqtt(
            Path(d),
            out,
            messages=args.messages,
            consumers=[int(c) for c in args.consumers.split(",")],
            database_url=args.postgres,
            protocol=args.protocol,
            drain=not args.no_drain,
        )
    out["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
