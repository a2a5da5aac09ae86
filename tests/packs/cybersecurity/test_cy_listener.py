"""The syslog listener on real sockets of 127.0.0.1: UDP datagrams, TCP with octet counting
and newline framing, malformed lines counted and kept without stopping the listener."""

from __future__ import annotations

import socket
import time

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ioc.core.models import DeadLetter
from ioc.packs.cybersecurity.listener import Framer, ListenerConfig, start_listener
from ioc.packs.cybersecurity.models import CyEvent, CyEventHour, CyHost
from ioc.settings import Settings

CONFIG = ListenerConfig(host="127.0.0.1", udp_port=0, tcp_port=0, batch_ms=20)


def _count(factory: sessionmaker[Session], model: type) -> int:
    with factory() as s:
        return int(s.execute(select(func.count()).select_from(model)).scalar_one())


def test_udp_datagrams_are_parsed_and_stored(
    settings: Settings, factory: sessionmaker[Session]
) -> None:
    with factory() as s, s.begin():
        s.add(CyHost(host="fw-soyte", agency_code="so-y-te"))
    listener = start_listener(settings, factory, config=CONFIG)
    try:
        assert listener.udp_port
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.sendto(
                b"<34>1 2026-03-10T04:59:00Z fw-soyte sshd 311 - - "
                b"Failed password for invalid user root from 45.134.26.17 port 52311 ssh2",
                ("127.0.0.1", listener.udp_port),
            )
            sock.sendto(
                b"<134>Mar 10 11:58:00 waf-01 CEF:0|F5|ASM|16|200|SQL injection attempt|8|"
                b"src=103.97.125.11 dst=10.66.3.4 request=/portal/search",
                ("127.0.0.1", listener.udp_port),
            )
        assert listener.wait_idle(10)
    finally:
        listener.stop()
    assert listener.stats.udp == 2 and listener.stats.stored == 2
    with factory() as s:
        events = {e.host: e for e in s.execute(select(CyEvent)).scalars()}
        hours = s.execute(select(func.sum(CyEventHour.n))).scalar_one()
    ssh = events["fw-soyte"]
    assert (ssh.transport, ssh.format, ssh.severity, ssh.category) == (
        "udp", "rfc5424", "critical", "auth_failure",
    )  # fmt: skip
    assert ssh.agency_code == "so-y-te"  # through the known-host list
    assert ssh.src_ip == "45.134.26.17"
    waf = events["waf-01"]
    assert (waf.format, waf.severity, waf.category, waf.src_ip) == (
        "cef/rfc3164", "high", "web_attack", "103.97.125.11",
    )  # fmt: skip
    assert hours == 2  # the hourly counts the pages read


def test_tcp_octet_counting_and_newline_framing(
    settings: Settings, factory: sessionmaker[Session]
) -> None:
    listener = start_listener(settings, factory, config=CONFIG)
    try:
        framed = [
            f"<13>1 2026-03-10T05:00:0{i}Z host-{i} app - - - message {i}".encode()
            for i in range(3)
        ]
        payload = b"".join(b"%d %s" % (len(m), m) for m in framed)
        with socket.create_connection(("127.0.0.1", listener.tcp_port or 0)) as sock:
            # Split in the middle of a frame: the framer must wait for the rest.
            sock.sendall(payload[:25])
            time.sleep(0.05)
            sock.sendall(payload[25:])
            sock.sendall(b"<13>Mar 10 11:59:00 nl-host app: line one\n")
            sock.sendall(b"<13>Mar 10 11:59:01 nl-host app: line two\r\n")
            sock.sendall(b"<13>Mar 10 11:59:02 nl-host app: last line without LF")
        assert listener.wait_idle(10)
    finally:
        listener.stop()
    with factory() as s:
        messages = sorted(
            s.execute(select(CyEvent.message).where(CyEvent.transport == "tcp")).scalars()
        )
    assert messages == [
        "last line without LF", "line one", "line two", "message 0", "message 1", "message 2",
    ]  # fmt: skip


def test_malformed_lines_are_counted_kept_and_do_not_stop_the_listener(
    settings: Settings, factory: sessionmaker[Session]
) -> None:
    listener = start_listener(settings, factory, config=CONFIG)
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.sendto(b"\xff\xfe not syslog at all", ("127.0.0.1", listener.udp_port or 0))
            udp.sendto(b"<999>1 bad pri", ("127.0.0.1", listener.udp_port or 0))
        with socket.create_connection(("127.0.0.1", listener.tcp_port or 0)) as tcp:
            tcp.sendall(b"garbage line\n<34>1 2026-99-99T00:00:00Z h a - - - bad time\n")
            tcp.sendall(b"<13>Mar 10 11:59:00 good-host app: still alive\n")
        assert listener.wait_idle(10)
        # The listener keeps working after the bad lines.
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.sendto(
                b"<13>Mar 10 12:00:00 good-host app: after", ("127.0.0.1", listener.udp_port or 0)
            )
        assert listener.wait_idle(10)
    finally:
        listener.stop()
    assert listener.stats.malformed == 4
    assert listener.stats.stored == 2
    with factory() as s:
        letters = list(s.execute(select(DeadLetter).order_by(DeadLetter.id)).scalars())
    assert len(letters) == 4
    assert {d.source for d in letters} == {"syslog"}
    assert any("PRI" in d.reason for d in letters)
    assert any("TIMESTAMP" in d.reason for d in letters)
    assert any(d.payload.startswith("base64:") for d in letters)  # the non-UTF-8 datagram
    assert all(d.topic.startswith(("udp://127.0.0.1:", "tcp://127.0.0.1:")) for d in letters)


def test_dead_letters_per_batch_are_capped_but_all_counted(
    settings: Settings, factory: sessionmaker[Session]
) -> None:
    config = ListenerConfig(host="127.0.0.1", udp_port=None, tcp_port=0, batch_ms=200,
                            dead_letters_per_batch=5)  # fmt: skip
    listener = start_listener(settings, factory, config=config)
    try:
        with socket.create_connection(("127.0.0.1", listener.tcp_port or 0)) as tcp:
            tcp.sendall(b"junk\n" * 50)
        assert listener.wait_idle(10)
    finally:
        listener.stop()
    assert listener.stats.malformed == 50
    assert _count(factory, DeadLetter) <= 5 * listener.stats.batches
    assert _count(factory, DeadLetter) >= 5


def test_framer_handles_split_lengths_and_oversize_lines() -> None:
    framer = Framer(max_line=480)
    assert framer.feed(b"1") == []
    assert framer.feed(b"1 hello") == []
    assert framer.feed(b" world") == [b"hello world"]
    assert framer.feed(b"<1>a\n<2>b") == [b"<1>a"]
    assert framer.flush() == [b"<2>b"]
    big = framer.feed(b"x" * 1000)
    assert big == [b"x" * 1000]  # handed over (and refused as too long) instead of growing
