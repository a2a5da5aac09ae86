"""Syslog intake: the kernel's UDP drop counter (``/proc/net/udp``) read, counted and shown to
administrators; lines parsed in a process pool stored exactly as when parsed in the writer."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from helpers import login
from ioc.packs.cybersecurity import listener as listener_module
from ioc.packs.cybersecurity.listener import ListenerConfig, SyslogListener, start_listener
from ioc.packs.cybersecurity.models import CyEvent, CyEventHour
from ioc.packs.cybersecurity.udpstat import parse_proc_net_udp, read_sockets, udp_drops
from ioc.settings import Settings

# Hand-made, as the kernel writes it: header, our syslog socket on 127.0.0.1:5514 (0x158A)
# with 1234 drops, another socket, and a line of a kernel with fewer columns (skipped).
PROC_NET_UDP = """\
   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  104: 0100007F:158A 00000000:0000 07 00000000:00001F40 00:00000000 00000000     0        0 41376 2 0000000000000000 1234
  230: 00000000:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 17001 2 0000000000000000 0
  231: garbage
"""
PROC_NET_UDP6 = """\
  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
   47: 00000000000000000000000000000000:158A 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 41377 2 0000000000000000 6
"""

LINES = [
    b"<34>1 2026-03-10T04:59:00Z fw-soyte sshd 311 - - "
    b"Failed password for invalid user root from 45.134.26.17 port 52311 ssh2",
    b"<134>Mar 10 11:58:00 waf-01 CEF:0|F5|ASM|16|200|SQL injection attempt|8|"
    b"src=103.97.125.11 dst=10.66.3.4 request=/portal/search",
    b"<132>1 2026-03-10T05:01:02Z fw-so-xay-dung.daklak.local fortigate - - "
    b'[ioc@32473 agency="so-xay-dung"] Port scan detected from 185.220.101.4 to 10.66.3.9',
    b"not syslog at all",
]


def test_proc_net_udp_text_is_parsed() -> None:
    sockets = parse_proc_net_udp(PROC_NET_UDP)
    assert [(s.port, s.inode, s.rx_queue, s.drops) for s in sockets] == [
        (5514, 41376, 8000, 1234),
        (68, 17001, 0, 0),
    ]
    both = sockets + parse_proc_net_udp(PROC_NET_UDP6)
    assert udp_drops(inode=41376, sockets=both) == 1234
    assert udp_drops(port=5514, sockets=both) == 1240  # IPv4 and IPv6 sockets of the port
    assert udp_drops(port=68, sockets=both) == 0
    assert udp_drops(port=9999, sockets=both) is None  # nothing listening there
    assert udp_drops(inode=1, sockets=both) is None


def test_files_are_read_and_missing_proc_is_none(tmp_path: Path) -> None:
    (tmp_path / "udp").write_text(PROC_NET_UDP)
    (tmp_path / "udp6").write_text(PROC_NET_UDP6)
    sockets = read_sockets((tmp_path / "udp", tmp_path / "udp6"))
    assert sockets is not None and len(sockets) == 3
    assert read_sockets((tmp_path / "absent",)) is None


@pytest.mark.skipif(not Path("/proc/net/udp").exists(), reason="Linux /proc only")
def test_the_kernel_counts_drops_of_a_full_socket() -> None:
    """A socket nobody reads, with the smallest buffer: the kernel drops, /proc says so."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sink:
        sink.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
        sink.bind(("127.0.0.1", 0))
        inode = os.fstat(sink.fileno()).st_ino
        assert udp_drops(inode=inode) == 0
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            for _ in range(200):
                sender.sendto(b"x" * 512, sink.getsockname())
        dropped = udp_drops(inode=inode)
        port = sink.getsockname()[1]
        assert dropped is not None and dropped > 0
        assert udp_drops(port=port) == dropped


@pytest.fixture
def running(settings: Settings, factory: sessionmaker[Session]) -> Iterator[SyslogListener]:
    config = ListenerConfig(host="127.0.0.1", udp_port=0, tcp_port=0, batch_ms=20)
    listener = start_listener(settings, factory, config=config)
    yield listener
    listener.stop()


def test_kernel_drops_shown_to_admins_on_the_page(
    client: TestClient,
    make_user,  # type: ignore[no-untyped-def]
    running: SyslogListener,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inode = running._udp_inode
    assert inode is not None
    base = running._kernel_drops_base or 0

    def fake_drops(*, port: int | None = None, inode: int | None = None) -> int | None:
        return base + 1234 if inode == running._udp_inode else None

    monkeypatch.setattr(listener_module, "udp_drops", fake_drops)
    login(client, "admin1", make_user("admin1", role="admin"))
    page = client.get("/cybersecurity").text
    assert "Tiếp nhận nhật ký syslog" in page
    assert "Gói UDP bị hệ điều hành bỏ" in page
    assert 'id="cy-kernel-drops"' in page and "1.234" in page
    assert "Bộ đệm nhận của hệ điều hành đã đầy" in page
    assert running.stats.kernel_dropped == 1234  # counted by the listener too
    english = client.get("/cybersecurity?lang=en").text
    assert "UDP datagrams dropped by the operating system" in english and "1,234" in english


def test_intake_card_is_for_admins_only(
    client: TestClient,
    make_user,  # type: ignore[no-untyped-def]
    running: SyslogListener,
) -> None:
    login(client, "op1", make_user("op1", role="operator"))
    page = client.get("/cybersecurity").text
    assert "Gói UDP bị hệ điều hành bỏ" not in page


def test_listener_elsewhere_is_read_by_port_and_absence_is_said(
    client: TestClient,
    make_user,  # type: ignore[no-untyped-def]
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No listener in the web process: the configured port's socket (``ioc ingest syslog``
    in another process) is read from /proc; none there is said in words."""
    app_settings = client.app.state.settings  # type: ignore[attr-defined]
    monkeypatch.setattr(app_settings, "syslog_udp_port", 5514)
    monkeypatch.setattr(
        listener_module,
        "udp_drops",
        lambda *, port=None, inode=None: 77 if port == 5514 else None,
    )
    login(client, "admin2", make_user("admin2", role="admin"))
    page = client.get("/cybersecurity").text
    assert "Gói UDP bị hệ điều hành bỏ" in page and ">77<" in page
    monkeypatch.setattr(listener_module, "udp_drops", lambda *, port=None, inode=None: None)
    page = client.get("/cybersecurity").text
    assert "Bộ nhận syslog UDP không chạy trên máy chủ này (cổng 5514)" in page


def _wait_done(listener: SyslogListener, lines: int, timeout: float = 30.0) -> None:
    """Until ``lines`` lines were stored or refused (the readers may not have counted a line
    yet when it was just sent)."""
    deadline = time.monotonic() + timeout
    while listener.stats.stored + listener.stats.malformed < lines:
        assert time.monotonic() < deadline, listener.stats
        time.sleep(0.02)


def _send_all(listener: SyslogListener) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        for line in LINES:
            udp.sendto(line, ("127.0.0.1", listener.udp_port or 0))
    with socket.create_connection(("127.0.0.1", listener.tcp_port or 0)) as tcp:
        tcp.sendall(b"".join(b"%d %s" % (len(m), m) for m in LINES))
    _wait_done(listener, 2 * len(LINES))


def _events(factory: sessionmaker[Session]) -> list[tuple[object, ...]]:
    with factory() as s:
        return sorted(
            (e.transport, e.ts, e.host, e.agency_code, e.category, e.severity, e.src_ip,
             e.message, repr(e.indicators), repr(sorted(e.extra.items())))
            for e in s.execute(select(CyEvent)).scalars()
        )  # fmt: skip


def test_parser_processes_store_what_the_writer_thread_stores(
    settings: Settings, factory: sessionmaker[Session]
) -> None:
    stored = []
    for workers in (0, 2):
        config = ListenerConfig(host="127.0.0.1", udp_port=0, tcp_port=0, batch_ms=20,
                                parse_workers=workers)  # fmt: skip
        listener = start_listener(settings, factory, config=config)
        try:
            _send_all(listener)
        finally:
            listener.stop()
        assert listener.stats.stored == 6 and listener.stats.malformed == 2
        stored.append(_events(factory))
        with factory() as s:
            hours = sum(s.execute(select(CyEventHour.n)).scalars())
        assert hours == 6 * len(stored)  # the hourly counts follow
        with factory() as s, s.begin():
            s.query(CyEvent).delete()
    assert stored[0] == stored[1]
    assert {e[0] for e in stored[1]} == {"udp", "tcp"}


def test_a_dead_parser_process_costs_no_line(
    settings: Settings, factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A parser process that dies (killed, out of memory) is replaced; its lines are parsed
    in the writer instead."""
    config = ListenerConfig(host="127.0.0.1", udp_port=0, tcp_port=0, batch_ms=20,
                            parse_workers=1)  # fmt: skip
    listener = start_listener(settings, factory, config=config)
    try:
        pool = listener._pool
        assert pool is not None
        pool.submit(os._exit, 3)  # the worker process dies: the pool is broken
        _send_all(listener)
    finally:
        listener.stop()
    assert listener.stats.stored == 6 and listener.stats.malformed == 2


def test_serve_as_ioc_ingest_syslog_runs_it_reports_the_kernel_counter(
    settings: Settings, factory: sessionmaker[Session]
) -> None:
    """``ioc ingest syslog``: the settings' listener (parser processes included) until
    stopped; every report carries the kernel's drop counter and the receive buffer."""
    import threading

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = settings.model_copy(
        update={"syslog_udp_port": port, "syslog_protocols": "udp", "syslog_parse_workers": 1,
                "syslog_batch_ms": 20}
    )  # fmt: skip
    stop = threading.Event()
    reports: list[dict[str, object]] = []
    result: list[object] = []
    thread = threading.Thread(
        target=lambda: result.append(
            listener_module.serve(config, factory, stop, report=reports.append, every_s=0.2)
        )
    )
    thread.start()
    try:
        deadline = 600  # tenths of a second: the parser process starts first
        while not listener_module.running_listeners() and deadline:
            threading.Event().wait(0.1)
            deadline -= 1
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.sendto(LINES[0], ("127.0.0.1", port))
        (running,) = listener_module.running_listeners()
        _wait_done(running, 1)
        assert running.stats.stored == 1
        threading.Event().wait(0.5)
    finally:
        stop.set()
        thread.join(60)
    assert reports and reports[-1]["kernel_dropped"] == 0 and reports[-1]["stored"] == 1
    assert int(str(reports[-1]["rcvbuf"])) >= 65536
    assert not listener_module.running_listeners()
