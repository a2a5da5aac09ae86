"""Syslog listener: UDP and TCP on a configurable address, batches of events into the database.

Threads, no asyncio (the store is synchronous SQLAlchemy):

* **UDP** (RFC 5426): one datagram = one message. The reader thread only receives (draining
  whatever is waiting without blocking) and hands lists of datagrams to a queue; the kernel
  buffer is raised to ``IOC_SYSLOG_RCVBUF`` (Linux caps it at ``net.core.rmem_max``). When the
  queue is full, datagrams are dropped and counted (``stats.dropped``): UDP senders cannot be
  slowed down.
* **TCP** (RFC 6587): one thread per connection; each frame is read with **octet counting**
  (``MSG-LEN SP SYSLOG-MSG``, when it starts with a digit) or **newline framing** (LF, a
  trailing CR or NUL dropped). When the queue is full the reader *waits*, so TCP's own flow
  control slows the sender down and nothing is lost.
* **Writer**: one thread takes up to ``IOC_SYSLOG_BATCH_SIZE`` lines or what arrived within
  ``IOC_SYSLOG_BATCH_MS``, parses them (``parsers.normalise_line``), inserts the events in one
  transaction and keeps unreadable lines as dead letters (source ``syslog``, at most
  ``IOC_SYSLOG_DEAD_LETTERS_PER_BATCH`` per batch: a flood of garbage is counted, not stored
  line by line). If the database fails, the batch is kept and retried with a backoff; a bad
  line or a database error never stops the listener.

``start_listener(settings, factory)`` returns a started :class:`SyslogListener`;
``stop()`` stops reading, then writes everything already received before returning.
"""

from __future__ import annotations

import queue
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy.orm import Session, sessionmaker

from ioc.core import clock
from ioc.packs.cybersecurity.parsers import ParseError, normalise_line
from ioc.packs.cybersecurity.store import event_row, host_agencies, insert_rows, keep_bad_line

log = structlog.get_logger(__name__)

MAX_BACKOFF_S = 30.0
UDP_DRAIN = 512  # datagrams taken per wake-up of the UDP reader
RECV_BYTES = 1 << 16
MAX_CONNECTIONS = 512

# One queue item: (transport, [(peer, frame), ...]).
Item = tuple[str, list[tuple[str, bytes]]]


@dataclass(frozen=True)
class ListenerConfig:
    """Where to listen and how to batch (from the ``IOC_SYSLOG_*`` settings)."""

    host: str = "127.0.0.1"
    udp_port: int | None = 5514  # None = no UDP; 0 = any free port (tests)
    tcp_port: int | None = 5514
    batch_size: int = 2000
    batch_ms: int = 200
    max_line: int = 65536
    dead_letters_per_batch: int = 100
    queue_max: int = 20000
    rcvbuf: int = 8 << 20
    local_offset_s: int = 7 * 3600

    @classmethod
    def from_settings(cls, settings: Any) -> ListenerConfig:
        """The configuration of ``settings`` (``IOC_SYSLOG_*``)."""
        from ioc.core.clock import fixed_offset_seconds

        protocols = {p.strip().lower() for p in settings.syslog_protocols.split(",")}
        return cls(
            host=settings.syslog_host,
            udp_port=settings.syslog_udp_port if "udp" in protocols else None,
            tcp_port=settings.syslog_tcp_port if "tcp" in protocols else None,
            batch_size=settings.syslog_batch_size,
            batch_ms=settings.syslog_batch_ms,
            max_line=settings.syslog_max_line,
            dead_letters_per_batch=settings.syslog_dead_letters_per_batch,
            rcvbuf=settings.syslog_rcvbuf,
            local_offset_s=fixed_offset_seconds(settings.timezone),
        )


@dataclass
class ListenerStats:
    """Counters since start (read by tests, the bench and ``ioc ingest syslog``)."""

    received: int = 0  # lines taken off the wire
    udp: int = 0
    tcp: int = 0
    stored: int = 0  # events committed
    malformed: int = 0  # lines that could not be read
    dead_letters: int = 0  # of those, kept as dead letters
    dropped: int = 0  # UDP datagrams dropped because the queue was full
    batches: int = 0
    failures: int = 0  # failed transactions (retried)
    connections: int = 0
    last_error: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def as_dict(self) -> dict[str, Any]:
        """The counters as plain values."""
        return {k: v for k, v in self.__dict__.items() if k != "lock"}


class Framer:
    """RFC 6587 framing of one TCP stream: octet counting or newline, decided per frame."""

    def __init__(self, max_line: int) -> None:
        self.max_line = max_line
        self._buf = b""

    def feed(self, data: bytes) -> list[bytes]:
        """Frames completed by ``data``."""
        buf = self._buf + data if self._buf else data
        frames: list[bytes] = []
        pos = 0
        n = len(buf)
        while pos < n:
            first = buf[pos]
            if 48 <= first <= 57:  # a digit: MSG-LEN SP SYSLOG-MSG
                space = buf.find(b" ", pos, pos + 11)
                if space < 0:
                    if n - pos < 11:
                        break  # the length is still arriving
                else:
                    digits = buf[pos:space]
                    if digits.isdigit():
                        length = int(digits)
                        end = space + 1 + length
                        if end <= n:
                            frames.append(buf[space + 1 : end])
                            pos = end
                            continue
                        if length <= self.max_line:
                            break  # the rest of the frame is still arriving
                        # A length beyond the limit is not waited for: read up to the newline.
            newline = buf.find(b"\n", pos)
            if newline < 0:
                if n - pos > self.max_line:
                    frames.append(buf[pos:n])  # too long: handed over (and refused) as it is
                    pos = n
                break
            frames.append(buf[pos:newline])
            pos = newline + 1
        self._buf = buf[pos:]
        return frames

    def flush(self) -> list[bytes]:
        """What remains when the connection closes (a last line without LF)."""
        rest, self._buf = self._buf, b""
        return [rest] if rest.strip() else []


class SyslogListener:
    """Readers (UDP, TCP) → queue → writer. Use :func:`start_listener`."""

    def __init__(
        self,
        config: ListenerConfig,
        factory: sessionmaker[Session],
        *,
        on_batch: Callable[[int], None] | None = None,
    ) -> None:
        self.config = config
        self.factory = factory
        self.on_batch = on_batch
        self.stats = ListenerStats()
        self._queue: queue.Queue[Item] = queue.Queue(maxsize=config.queue_max)
        self._stop = threading.Event()
        self._readers_done = threading.Event()
        self._threads: list[threading.Thread] = []
        self._conn_threads: set[threading.Thread] = set()
        self._udp: socket.socket | None = None
        self._tcp: socket.socket | None = None
        self.udp_port: int | None = None
        self.tcp_port: int | None = None

    # ------------------------------------------------------------------ life cycle
    def start(self) -> SyslogListener:
        """Bind the sockets and start the threads (raises ``OSError`` if a port is taken)."""
        cfg = self.config
        family = socket.AF_INET6 if ":" in cfg.host else socket.AF_INET
        if cfg.udp_port is not None:
            udp = socket.socket(family, socket.SOCK_DGRAM)
            try:
                udp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, cfg.rcvbuf)
            except OSError:  # some systems refuse large buffers; the default still works
                log.warning("syslog_rcvbuf_refused", wanted=cfg.rcvbuf)
            udp.bind((cfg.host, cfg.udp_port))
            udp.settimeout(0.2)
            self._udp = udp
            self.udp_port = udp.getsockname()[1]
            self._spawn(self._udp_loop, "ioc-syslog-udp")
        if cfg.tcp_port is not None:
            tcp = socket.socket(family, socket.SOCK_STREAM)
            tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            tcp.bind((cfg.host, cfg.tcp_port))
            tcp.listen(128)
            tcp.settimeout(0.2)
            self._tcp = tcp
            self.tcp_port = tcp.getsockname()[1]
            self._spawn(self._accept_loop, "ioc-syslog-tcp")
        self._writer = threading.Thread(target=self._write_loop, name="ioc-syslog-writer")
        self._writer.daemon = True
        self._writer.start()
        log.info("syslog_listener_started", host=cfg.host, udp=self.udp_port, tcp=self.tcp_port)
        return self

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self, timeout: float = 30.0) -> None:
        """Stop reading, write what was received, close. Idempotent."""
        self._stop.set()
        for thread in [*self._threads, *list(self._conn_threads)]:
            thread.join(timeout)
        self._readers_done.set()
        self._writer.join(timeout)
        for sock in (self._udp, self._tcp):
            if sock is not None:
                sock.close()
        log.info("syslog_listener_stopped", **self.stats.as_dict())

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until every line received so far is committed or refused (tests, bench)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.stats.lock:
                if self.stats.stored + self.stats.malformed >= self.stats.received:
                    return True
            time.sleep(0.01)
        return False

    def _count(self, transport: str, lines: int) -> None:
        with self.stats.lock:
            self.stats.received += lines
            if transport == "udp":
                self.stats.udp += lines
            else:
                self.stats.tcp += lines

    # ------------------------------------------------------------------ readers
    def _udp_loop(self) -> None:
        sock = self._udp
        assert sock is not None
        dontwait = getattr(socket, "MSG_DONTWAIT", 0)
        while not self._stop.is_set():
            try:
                data, addr = sock.recvfrom(RECV_BYTES)
            except TimeoutError:
                continue
            except OSError:
                if self._stop.is_set():
                    break
                log.exception("syslog_udp_error")
                continue
            items = [(f"udp://{addr[0]}:{addr[1]}", data)]
            if dontwait:
                # Drain what is already waiting without blocking: one queue hand-over per
                # burst instead of one per datagram.
                for _ in range(UDP_DRAIN):
                    try:
                        data, addr = sock.recvfrom(RECV_BYTES, dontwait)
                    except (BlockingIOError, InterruptedError):
                        break
                    except OSError:
                        break
                    items.append((f"udp://{addr[0]}:{addr[1]}", data))
            try:
                self._queue.put_nowait(("udp", items))
                self._count("udp", len(items))
            except queue.Full:
                with self.stats.lock:
                    self.stats.dropped += len(items)

    def _accept_loop(self) -> None:
        sock = self._tcp
        assert sock is not None
        while not self._stop.is_set():
            try:
                conn, addr = sock.accept()
            except TimeoutError:
                continue
            except OSError:
                if self._stop.is_set():
                    break
                log.exception("syslog_tcp_accept_error")
                continue
            self._conn_threads = {t for t in self._conn_threads if t.is_alive()}
            if len(self._conn_threads) >= MAX_CONNECTIONS:
                conn.close()
                continue
            with self.stats.lock:
                self.stats.connections += 1
            thread = threading.Thread(
                target=self._conn_loop,
                args=(conn, f"tcp://{addr[0]}:{addr[1]}"),
                name="ioc-syslog-conn",
                daemon=True,
            )
            self._conn_threads.add(thread)
            thread.start()

    def _put_blocking(self, item: Item) -> bool:
        # Waiting here stops reading the socket: TCP flow control slows the sender down.
        while True:
            try:
                self._queue.put(item, timeout=0.2)
                return True
            except queue.Full:
                if self._stop.is_set() and not self._writer.is_alive():
                    return False

    def _conn_loop(self, conn: socket.socket, peer: str) -> None:
        framer = Framer(self.config.max_line)
        conn.settimeout(0.2)
        try:
            while True:
                try:
                    data = conn.recv(RECV_BYTES)
                except TimeoutError:
                    if self._stop.is_set():
                        break
                    continue
                except OSError:
                    break
                frames = framer.feed(data) if data else framer.flush()
                if frames:
                    self._count("tcp", len(frames))
                    if not self._put_blocking(("tcp", [(peer, f) for f in frames])):
                        break
                if not data:
                    break
        finally:
            conn.close()

    # ------------------------------------------------------------------ writer
    def _collect(self) -> list[Item]:
        cfg = self.config
        try:
            first = self._queue.get(timeout=0.1)
        except queue.Empty:
            return []
        batch = [first]
        lines = len(first[1])
        deadline = time.monotonic() + cfg.batch_ms / 1000
        while lines < cfg.batch_size:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                if time.monotonic() >= deadline or self._stop.is_set():
                    break
                time.sleep(0.002)
                continue
            batch.append(item)
            lines += len(item[1])
        return batch

    def _write_loop(self) -> None:
        hosts: dict[str, str] = {}
        hosts_at = 0.0
        while True:
            batch = self._collect()
            if not batch:
                if self._readers_done.is_set() and self._queue.empty():
                    return
                continue
            if time.monotonic() - hosts_at > 60:
                hosts, hosts_at = self._load_hosts(hosts), time.monotonic()
            rows, bad = self._parse(batch, hosts)
            self._commit(rows, bad)

    def _load_hosts(self, current: dict[str, str]) -> dict[str, str]:
        try:
            with self.factory() as session:
                return host_agencies(session)
        except Exception:  # the database may be down: keep the last known mapping
            log.exception("syslog_hosts_load_failed")
            return current

    def _parse(
        self, batch: list[Item], hosts: dict[str, str]
    ) -> tuple[list[dict[str, Any]], list[tuple[str, bytes, str]]]:
        received = clock.now()
        offset = self.config.local_offset_s
        max_line = self.config.max_line
        rows: list[dict[str, Any]] = []
        bad: list[tuple[str, bytes, str]] = []
        for transport, items in batch:
            for peer, frame in items:
                if len(frame) > max_line:
                    bad.append((peer, frame[:max_line], f"dòng dài quá {max_line} byte / too long"))
                    continue
                try:
                    event = normalise_line(frame.decode("utf-8", "replace"), received, offset)
                except ParseError as exc:
                    bad.append((peer, frame, exc.reason))
                    continue
                except Exception as exc:  # a parser bug must not stop the listener
                    bad.append((peer, frame, f"{type(exc).__name__}: {exc}"[:500]))
                    continue
                if event.host is None:
                    event.host = peer.split("://", 1)[-1].rsplit(":", 1)[0]
                rows.append(event_row(event, transport, received, hosts))
        return rows, bad

    def _commit(self, rows: list[dict[str, Any]], bad: list[tuple[str, bytes, str]]) -> None:
        keep = bad[: self.config.dead_letters_per_batch]
        backoff = 0.5
        while True:
            try:
                with self.factory() as session, session.begin():
                    insert_rows(session, rows)
                    at = clock.now()
                    for peer, payload, reason in keep:
                        keep_bad_line(session, peer, payload, reason, at)
                break
            except Exception as exc:
                with self.stats.lock:
                    self.stats.failures += 1
                    self.stats.last_error = f"{type(exc).__name__}: {exc}"[:500]
                log.exception("syslog_batch_failed", events=len(rows))
                if self._stop.is_set() and backoff >= MAX_BACKOFF_S:
                    log.error("syslog_batch_lost", events=len(rows))
                    return
                time.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)
        with self.stats.lock:
            self.stats.stored += len(rows)
            self.stats.malformed += len(bad)
            self.stats.dead_letters += len(keep)
            self.stats.batches += 1
        if self.on_batch is not None:
            self.on_batch(len(rows))


def start_listener(
    settings: Any,
    factory: sessionmaker[Session],
    *,
    config: ListenerConfig | None = None,
) -> SyslogListener:
    """Start a syslog listener configured by ``IOC_SYSLOG_*`` (or ``config``); call
    ``stop()`` on the returned handle."""
    return SyslogListener(config or ListenerConfig.from_settings(settings), factory).start()


def serve(
    settings: Any,
    factory: sessionmaker[Session],
    stop: threading.Event,
    report: Callable[[dict[str, Any]], None] | None = None,
    every_s: float = 10.0,
) -> ListenerStats:
    """Run a listener until ``stop`` is set (for ``ioc ingest syslog``); ``report`` receives
    the counters every ``every_s`` seconds."""
    listener = start_listener(settings, factory)
    try:
        while not stop.wait(every_s):
            if report is not None:
                report(listener.stats.as_dict())
    finally:
        listener.stop()
    return listener.stats
