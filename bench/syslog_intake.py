"""Syslog intake benchmark (``run_syslog``): events/s received and committed by the
cybersecurity pack's listener on 127.0.0.1, over UDP and over TCP (octet counting), into a
fresh SQLite database. Aim: ≥ 20,000 events/s, and no loss on TCP.

The sender is a separate Python process (as a real device would be), so it does not compete
for the listener's GIL. Each figure is ``events stored / (last commit − first send)``. UDP may
lose datagrams when the sender outruns the kernel buffer (``IOC_SYSLOG_RCVBUF``, capped by
``net.core.rmem_max``): ``syslog_udp_lost`` counts them. TCP never loses: the listener stops
reading when its queue is full and TCP flow control slows the sender.

The listener parses in ``IOC_SYSLOG_PARSE_WORKERS`` processes (``parse_workers``, default
the setting's) and reads the kernel's drop counter of its UDP socket (``/proc/net/udp``):
``udp_kernel_dropped`` is what the listener itself reports, to compare with ``udp_lost``
(what the sender sent and was not stored) — the two must agree: loss is counted, not silent.

Keys written (all prefixed ``syslog_``): ``events``, ``udp_events_per_s``, ``udp_lost``,
``udp_dropped_queue``, ``udp_kernel_dropped``, ``udp_rcvbuf_bytes``, ``tcp_events_per_s``,
``tcp_lost``, ``ratio_udp_to_aim``, ``ratio_tcp_to_aim``, ``parse_workers``, and
``udp_cpu_us_per_event`` / ``tcp_cpu_us_per_event``: CPU time of the listener and its parser
processes (not the sender's) per event received, which the other work of a shared machine
changes far less than the rate (2 cores / this figure bounds the rate).

For ``bench/run.py``: ``run_syslog(tmp, results, quick, parse_workers=None, events=None)``.

Standalone: ``.venv/bin/python bench/syslog_intake.py [--quick] [--parse-workers N] [--events N]``.
"""

# ruff: noqa: E501 - the sender script builds long sample lines
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ioc.app import prepare
from ioc.core.db import make_engine
from ioc.packs.cybersecurity.listener import ListenerConfig, SyslogListener
from ioc.settings import Settings

AIM_PER_S = 20000

# The sender: builds N RFC 5424 lines (a mix of sshd, firewall and CEF-in-syslog events) and
# sends them as fast as it can, over UDP (one datagram each) or TCP (octet counting).
SENDER = r"""
import socket, sys, time
mode, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
lines = []
for i in range(n):
    k = i % 3
    if k == 0:
        m = "<38>1 2026-03-10T05:%02d:%02dZ fw-so-y-te.daklak.local sshd %d - - Failed password for invalid user admin from 45.134.26.%d port %d ssh2" % (i // 60 % 60, i % 60, i % 9999, i % 250, 40000 + i % 20000)
    elif k == 1:
        m = '<132>1 2026-03-10T05:%02d:%02dZ fw-so-xay-dung.daklak.local fortigate - - [ioc@32473 agency="so-xay-dung"] Port scan detected from 185.220.101.%d to 10.66.3.%d' % (i // 60 % 60, i % 60, i % 250, i % 200)
    else:
        m = "<134>Mar 10 12:00:00 waf-01 CEF:0|F5|ASM|16|200|SQL injection attempt|8|src=103.97.125.%d dst=10.66.3.4 request=/portal/search?id=%d" % (i % 250, i)
    lines.append(m.encode())
if mode == "udp":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    t0 = time.perf_counter()
    for m in lines:
        s.sendto(m, ("127.0.0.1", port))
else:
    s = socket.create_connection(("127.0.0.1", port))
    t0 = time.perf_counter()
    chunk = []
    for m in lines:
        chunk.append(b"%d %s" % (len(m), m))
        if len(chunk) == 500:
            s.sendall(b"".join(chunk)); chunk = []
    if chunk:
        s.sendall(b"".join(chunk))
s.close()
print(time.time() - (time.perf_counter() - t0))
"""


def _cpu_seconds() -> float:
    """CPU time of this process and of its live children (the listener's parser processes),
    from ``/proc``; 0 where there is none."""
    me = os.getpid()
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended meanwhile
        pid = int(stat.parent.name)
        if pid == me or int(fields[1]) == me:  # fields[1]: the parent's pid
            total += (int(fields[11]) + int(fields[12])) / tick  # utime + stime
    return total


def _one(
    settings: Settings, factory: Any, mode: str, n: int, parse_workers: int
) -> tuple[float, int, dict[str, Any]]:
    """(events/s, lost, the listener's own counters and CPU µs per event) for one
    transport."""
    config = ListenerConfig(
        host="127.0.0.1",
        udp_port=0 if mode == "udp" else None,
        tcp_port=0 if mode == "tcp" else None,
        batch_size=5000,
        batch_ms=100,
        rcvbuf=settings.syslog_rcvbuf,
        parse_workers=parse_workers,
    )
    last_commit = [0.0]

    def committed(_events: int) -> None:
        last_commit[0] = time.time()

    listener = SyslogListener(config, factory, on_batch=committed).start()
    cpu_start = _cpu_seconds()  # after start: the parser processes' imports are not counted
    try:
        port = listener.udp_port if mode == "udp" else listener.tcp_port
        out = subprocess.run(
            [sys.executable, "-c", SENDER, mode, str(port), str(n)],
            check=True,
            capture_output=True,
            text=True,
        )
        started = float(out.stdout.strip())  # wall-clock time of the first send
        # Wait until nothing more arrives: everything received is committed and, for UDP,
        # no datagram came in for a second.
        last = -1
        while True:
            listener.wait_idle(120)
            with listener.stats.lock:
                seen = listener.stats.received
            if seen == last or seen >= n:
                break
            last = seen
            time.sleep(1.0)
        cpu = _cpu_seconds() - cpu_start  # the sender, reaped already, is not in it
    finally:
        listener.stop()  # reads the kernel's drop counter a last time
    stats = listener.stats
    rate = stats.stored / max(last_commit[0] - started, 1e-9)
    counters = {
        "dropped_queue": stats.dropped,
        "kernel_dropped": stats.kernel_dropped,
        "rcvbuf": stats.rcvbuf,
        "cpu_us_per_event": round(cpu / max(stats.received, 1) * 1e6, 1),
    }
    return rate, n - stats.stored - stats.malformed, counters


def run_syslog(
    tmp: Path,
    results: dict[str, Any],
    quick: bool,
    parse_workers: int | None = None,
    events: int | None = None,
) -> None:
    """Measure syslog intake over UDP and TCP into SQLite; write ``syslog_*`` keys."""
    n = events or (20000 if quick else 200000)
    db = tmp / "syslog.db"
    settings = Settings(env="test", database_url=f"sqlite:///{db}", scheduler="off")
    workers = settings.syslog_parse_workers if parse_workers is None else parse_workers
    engine = make_engine(settings.database_url)
    factory = prepare(settings, engine)
    results["syslog_events"] = n
    results["syslog_parse_workers"] = workers
    udp_rate, udp_lost, udp = _one(settings, factory, "udp", n, workers)
    tcp_rate, tcp_lost, tcp = _one(settings, factory, "tcp", n, workers)
    results["syslog_udp_events_per_s"] = round(udp_rate)
    results["syslog_udp_lost"] = udp_lost
    results["syslog_udp_dropped_queue"] = udp["dropped_queue"]
    results["syslog_udp_kernel_dropped"] = udp["kernel_dropped"]
    results["syslog_udp_rcvbuf_bytes"] = udp["rcvbuf"]
    results["syslog_tcp_events_per_s"] = round(tcp_rate)
    results["syslog_tcp_lost"] = tcp_lost
    results["syslog_udp_cpu_us_per_event"] = udp["cpu_us_per_event"]
    results["syslog_tcp_cpu_us_per_event"] = tcp["cpu_us_per_event"]
    results["syslog_ratio_udp_to_aim"] = round(udp_rate / AIM_PER_S, 3)
    results["syslog_ratio_tcp_to_aim"] = round(tcp_rate / AIM_PER_S, 3)
    engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--parse-workers", type=int, default=None)
    parser.add_argument("--events", type=int, default=None, help="lines sent per transport")
    args = parser.parse_args()
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as d:
        run_syslog(Path(d), out, args.quick, args.parse_workers, args.events)
    print(json.dumps(out, indent=2))
