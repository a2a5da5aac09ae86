"""Syslog listener: UDP and TCP on a configurable address, batches of events into the database.

Threads, no asyncio (the store is synchronous SQLAlchemy):

* **UDP** (RFC 5426): one datagram = one message. The reader thread does nothing else: it
  receives (a blocking ``recvfrom``, then whatever is already waiting without blocking) and
  hands lists of raw datagrams to a queue. The kernel buffer is sized from
  ``IOC_SYSLOG_RCVBUF`` (``SO_RCVBUFFORCE`` when the process may, else ``SO_RCVBUF``, which
  Linux caps at ``net.core.rmem_max``; the size obtained is ``stats.rcvbuf``). Loss is never
  silent: datagrams dropped because the queue is full are ``stats.dropped``, those the kernel
  dropped before we could read them (``/proc/net/udp`` ``drops`` of our socket, read every
  second) are ``stats.kernel_dropped``; both go to the metrics (``ioc_syslog_lines`` with
  outcome ``dropped`` / ``kernel_dropped``), to the log, and the kernel's figure to the
  cybersecurity page. UDP senders cannot be slowed down.
* **TCP** (RFC 6587): one thread per connection; each frame is read with **octet counting**
  (``MSG-LEN SP SYSLOG-MSG``, when it starts with a digit) or **newline framing** (LF, a
  trailing CR or NUL dropped). When the queue is full the reader *waits*, so TCP's own flow
  control slows the sender down and nothing is lost.
* **Writer**: one thread takes up to ``IOC_SYSLOG_BATCH_SIZE`` lines or what arrived within
  ``IOC_SYSLOG_BATCH_MS``, has them parsed (``parsers.normalise_line``) by a pool of
  ``IOC_SYSLOG_PARSE_WORKERS`` processes (0: in this thread) while it stores the previous
  batch, inserts the events in one transaction (in arrival order) and keeps unreadable lines
  as dead letters (source ``syslog``, at most
  ``IOC_SYSLOG_DEAD_LETTERS_PER_BATCH`` per batch: a flood of garbage is counted, not stored
  line by line). If the database fails, the batch is kept and retried with a backoff; a bad
  line or a database error never stops the listener.

``start_listener(settings, factory)`` returns a started :class:`SyslogListener`;
``stop()`` stops reading, then writes everything already received before returning.
"""

from __future__ import annotations

import contextlib
import os
import queue
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy.orm import Session, sessionmaker

from ioc.core import clock, metrics
from ioc.packs.cybersecurity.batches import (
    Item,
    Parsed,
    PendingBatch,
    merge_parsed,
    new_parse_pool,
    parse_items,
    split_batch,
)
from ioc.packs.cybersecurity.framing import Framer
from ioc.packs.cybersecurity.listener_config import ListenerConfig, ListenerStats
from ioc.packs.cybersecurity.store import (
    PreparedEvents,
    host_agencies,
    insert_prepared,
    keep_bad_line,
)
from ioc.packs.cybersecurity.udpstat import udp_drops

__all__ = [
    "Framer",
    "IntakeStatus",
    "ListenerConfig",
    "ListenerStats",
    "SyslogListener",
    "intake_status",
    "running_listeners",
    "serve",
    "set_receive_buffer",
    "start_listener",
]

log = structlog.get_logger(__name__)

MAX_BACKOFF_S = 30.0
UDP_DRAIN = 512  # datagrams taken per wake-up of the UDP reader
RECV_BYTES = 1 << 16
MAX_CONNECTIONS = 512
DROPS_EVERY_S = 1.0  # how often the kernel's drop counter of the UDP socket is read

_RUNNING: list[SyslogListener] = []  # listeners of this process (read by the pages)
_RUNNING_LOCK = threading.Lock()


def running_listeners() -> list[SyslogListener]:
    """The syslog listeners running in this process (the web process's, when
    ``IOC_SYSLOG_ENABLED``)."""
    with _RUNNING_LOCK:
        return list(_RUNNING)


def set_receive_buffer(sock: socket.socket, wanted: int) -> int:
    """Ask for a ``wanted``-byte receive buffer: ``SO_RCVBUFFORCE`` (allowed with
    CAP_NET_ADMIN, not capped by ``net.core.rmem_max``), else ``SO_RCVBUF``. Returns what the
    kernel granted, comparable with ``wanted``."""
    force = getattr(socket, "SO_RCVBUFFORCE", None)
    done = False
    if force is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, force, wanted)
            done = True
        except OSError:
            pass
    if not done:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, wanted)
        except OSError:  # some systems refuse large buffers; the default still works
            log.warning("syslog_rcvbuf_refused", wanted=wanted)
    granted: int = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
    if sys.platform.startswith("linux"):
        granted //= 2  # Linux doubles the size asked (its bookkeeping) and reports that
    if granted < wanted:
        log.warning(
            "syslog_rcvbuf_capped",
            wanted=wanted,
            granted=granted,
            hint="raise net.core.rmem_max (sysctl) or give the process CAP_NET_ADMIN",
        )
    return granted


class SyslogListener:
    """Readers (UDP, TCP) → queue → writer (parsers in a process pool). Use
    :func:`start_listener`."""

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
        self._udp_inode: int | None = None
        self._kernel_drops_base: int | None = None
        self._pool: ProcessPoolExecutor | None = None
        bind = factory.kw.get("bind")
        self._dialect: str = bind.dialect.name if bind is not None else ""
        self.udp_port: int | None = None
        self.tcp_port: int | None = None

    # ------------------------------------------------------------------ life cycle
    def start(self) -> SyslogListener:
        """Bind the sockets and start the threads (raises ``OSError`` if a port is taken)."""
        cfg = self.config
        family = socket.AF_INET6 if ":" in cfg.host else socket.AF_INET
        if cfg.udp_port is not None:
            udp = socket.socket(family, socket.SOCK_DGRAM)
            self.stats.rcvbuf = set_receive_buffer(udp, cfg.rcvbuf)
            udp.bind((cfg.host, cfg.udp_port))
            self._udp = udp
            self.udp_port = udp.getsockname()[1]
            self._udp_inode = os.fstat(udp.fileno()).st_ino
            self._kernel_drops_base = udp_drops(inode=self._udp_inode)
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
        if cfg.parse_workers > 0:
            self._pool = new_parse_pool(cfg.parse_workers)
        self._writer = threading.Thread(target=self._write_loop, name="ioc-syslog-writer")
        self._writer.daemon = True
        self._writer.start()
        with _RUNNING_LOCK:
            _RUNNING.append(self)
        log.info(
            "syslog_listener_started",
            host=cfg.host,
            udp=self.udp_port,
            tcp=self.tcp_port,
            rcvbuf=self.stats.rcvbuf or None,
            parse_workers=cfg.parse_workers,
        )
        return self

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self, timeout: float = 30.0) -> None:
        """Stop reading, write what was received, close. Idempotent."""
        self._stop.set()
        self._wake_udp()
        for thread in [*self._threads, *list(self._conn_threads)]:
            thread.join(timeout)
        self._readers_done.set()
        self._writer.join(timeout)
        self.sample_kernel_drops()
        for sock in (self._udp, self._tcp):
            if sock is not None:
                sock.close()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        with _RUNNING_LOCK:
            if self in _RUNNING:
                _RUNNING.remove(self)
        log.info("syslog_listener_stopped", **self.stats.as_dict())

    def _wake_udp(self) -> None:
        """The UDP reader blocks in ``recvfrom`` (no timeout: no extra system call per
        datagram); an empty datagram to ourselves wakes it to see the stop flag."""
        if self._udp is None or self.udp_port is None:
            return
        host = self.config.host
        if host in ("0.0.0.0", ""):  # noqa: S104 - the address we listen on, not a bind
            host = "127.0.0.1"
        elif host == "::":
            host = "::1"
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with contextlib.suppress(OSError), socket.socket(family, socket.SOCK_DGRAM) as s:
            s.sendto(b"", (host, self.udp_port))

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

    def kernel_drops(self) -> int | None:
        """Datagrams the kernel dropped for our UDP socket since it was opened (None: no UDP
        socket, or no ``/proc/net/udp``)."""
        if self._udp_inode is None:
            return None
        now = udp_drops(inode=self._udp_inode)
        if now is None:
            return None
        return now - (self._kernel_drops_base or 0)

    def sample_kernel_drops(self) -> None:
        """Read the kernel's drop counter of our UDP socket; count, log and export what is new."""
        drops = self.kernel_drops()
        if drops is None:
            return
        with self.stats.lock:
            new = drops - self.stats.kernel_dropped
            if new > 0:
                self.stats.kernel_dropped = drops
        if new > 0:
            metrics.syslog("kernel_dropped", new)
            log.warning(
                "syslog_udp_kernel_drops",
                new=new,
                total=drops,
                hint="raise IOC_SYSLOG_RCVBUF / net.core.rmem_max, or send over TCP",
            )

    # ------------------------------------------------------------------ readers
    def _udp_loop(self) -> None:
        # Receive and hand over, nothing else: no parsing, no formatting, no waiting.
        sock = self._udp
        assert sock is not None
        recvfrom = sock.recvfrom
        dontwait = getattr(socket, "MSG_DONTWAIT", 0)
        put = self._queue.put_nowait
        stop = self._stop
        while not stop.is_set():
            try:
                data, addr = recvfrom(RECV_BYTES)
            except OSError:
                if stop.is_set():
                    break
                log.exception("syslog_udp_error")
                continue
            items: list[tuple[Any, bytes]] = [(addr, data)] if data else []
            if dontwait:
                # Drain what is already waiting without blocking: one queue hand-over per
                # burst instead of one per datagram.
                for _ in range(UDP_DRAIN):
                    try:
                        data, addr = recvfrom(RECV_BYTES, dontwait)
                    except OSError:  # BlockingIOError: nothing more waiting
                        break
                    if data:
                        items.append((addr, data))
            if not items:  # an empty datagram (the stop wake-up) carries no syslog line
                continue
            try:
                put(("udp", items))
            except queue.Full:
                metrics.syslog("dropped", len(items))
                with self.stats.lock:
                    self.stats.dropped += len(items)
                continue
            self._count("udp", len(items))

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
        drops_at = 0.0
        pending: deque[PendingBatch] = deque()
        # Batches parsed ahead while the writer stores: one per parser, at least one.
        ahead = max(self.config.parse_workers, 1)
        while True:
            batch = self._collect()
            now = time.monotonic()
            if now - drops_at >= DROPS_EVERY_S:
                drops_at = now
                self.sample_kernel_drops()
            if batch:
                if now - hosts_at > 60:
                    hosts, hosts_at = self._load_hosts(hosts), now
                pending.append(self._submit(batch, hosts))
            # Store in arrival order: the oldest batch once parsed, or at once when enough
            # are waiting or nothing new arrived.
            while pending and (pending[0].done() or len(pending) > ahead or not batch):
                rows, bad = self._result(pending.popleft())
                self._commit(rows, bad)
            if not batch and not pending and self._readers_done.is_set() and self._queue.empty():
                return

    def _submit(self, batch: list[Item], hosts: dict[str, str]) -> PendingBatch:
        cfg = self.config
        received = clock.now()
        args = (hosts, received, cfg.local_offset_s, cfg.max_line, self._dialect)
        chunks = split_batch(batch, cfg.parse_workers) if self._pool is not None else [batch]
        futures: list[Future[Parsed]] = []
        for chunk in chunks:
            if self._pool is not None:
                try:
                    futures.append(self._pool.submit(parse_items, chunk, *args))
                    continue
                except Exception:  # a broken pool (a parser process died): parse here
                    log.exception("syslog_parse_pool_failed")
                    self._restart_pool()
            done: Future[Parsed] = Future()
            done.set_result(parse_items(chunk, *args))
            futures.append(done)
        return PendingBatch(chunks, futures, hosts, received)

    def _result(self, pending: PendingBatch) -> Parsed:
        cfg = self.config
        results: list[Parsed] = []
        for chunk, future in zip(pending.chunks, pending.futures, strict=True):
            try:
                results.append(future.result())
            except Exception:  # the parser process died: parse this chunk here
                log.exception("syslog_parse_pool_failed")
                self._restart_pool()
                args = (pending.hosts, pending.received, cfg.local_offset_s, cfg.max_line)
                results.append(parse_items(chunk, *args, self._dialect))
        return merge_parsed(results)

    def _restart_pool(self) -> None:
        pool = self._pool
        if pool is None:
            return
        with contextlib.suppress(Exception):
            pool.shutdown(wait=False, cancel_futures=False)
        self._pool = new_parse_pool(self.config.parse_workers)

    def _load_hosts(self, current: dict[str, str]) -> dict[str, str]:
        try:
            with self.factory() as session:
                return host_agencies(session)
        except Exception:  # the database may be down: keep the last known mapping
            log.exception("syslog_hosts_load_failed")
            return current

    def _commit(self, prepared: PreparedEvents, bad: list[tuple[str, bytes, str]]) -> None:
        keep = bad[: self.config.dead_letters_per_batch]
        events = len(prepared)
        backoff = 0.5
        while True:
            try:
                with self.factory() as session, session.begin():
                    insert_prepared(session, prepared)
                    at = clock.now()
                    for peer, payload, reason in keep:
                        keep_bad_line(session, peer, payload, reason, at)
                break
            except Exception as exc:
                metrics.syslog("failed", events)
                with self.stats.lock:
                    self.stats.failures += 1
                    self.stats.last_error = f"{type(exc).__name__}: {exc}"[:500]
                log.exception("syslog_batch_failed", events=events)
                if self._stop.is_set() and backoff >= MAX_BACKOFF_S:
                    log.error("syslog_batch_lost", events=events)
                    return
                time.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)
        metrics.syslog("stored", events)
        metrics.syslog("malformed", len(bad))
        with self.stats.lock:
            self.stats.stored += events
            self.stats.malformed += len(bad)
            self.stats.dead_letters += len(keep)
            self.stats.batches += 1
        if self.on_batch is not None:
            self.on_batch(events)


@dataclass(frozen=True)
class IntakeStatus:
    """What the pages show of the syslog intake of this machine."""

    udp_port: int | None  # the configured UDP port (None: UDP is off)
    listening: bool  # a UDP socket is bound to that port on this machine
    kernel_dropped: int | None  # datagrams the kernel dropped since that socket was opened
    local: dict[str, Any] | None  # counters of the listener running in this process, if any


def intake_status(settings: Any) -> IntakeStatus:
    """The intake as this process can see it: the listener of this process (``ioc serve``
    with ``IOC_SYSLOG_ENABLED``) with its counters, or else whatever socket is bound to the
    configured UDP port (``ioc ingest syslog`` in another process of this machine), whose
    kernel drop counter ``/proc/net/udp`` shows to every process."""
    protocols = {p.strip().lower() for p in settings.syslog_protocols.split(",")}
    port: int | None = settings.syslog_udp_port if "udp" in protocols else None
    for listener in running_listeners():
        if listener.udp_port is None and listener.tcp_port is None:
            continue
        listener.sample_kernel_drops()
        stats = listener.stats.as_dict()
        has_udp = listener.udp_port is not None
        return IntakeStatus(
            udp_port=listener.udp_port,
            listening=has_udp,
            kernel_dropped=stats["kernel_dropped"] if has_udp else None,
            local=stats,
        )
    if port is None:
        return IntakeStatus(None, False, None, None)
    drops = udp_drops(port=port) if port else None
    return IntakeStatus(port, drops is not None, drops, None)


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
