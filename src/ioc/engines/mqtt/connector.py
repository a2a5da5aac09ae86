"""The MQTT connector: micro-batches from the broker → one transaction → acknowledgements.

See README.md in this folder for the life cycle and the guarantees.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass, field

import structlog
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from ioc.core import metrics
from ioc.core.registry import Registry
from ioc.engines.mqtt.config import MqttConfig
from ioc.engines.mqtt.decoders import Decoders
from ioc.engines.mqtt.store import add_dead_letter, store_messages
from ioc.engines.mqtt.transport import Message, PahoTransport, Transport
from ioc.settings import Settings

log = structlog.get_logger(__name__)

MAX_BACKOFF_S = 30.0
POLL_S = 0.005  # how often a filling batch looks at the queue


@dataclass
class Stats:
    """Counters since start (read by ``ioc ingest mqtt`` and the tests)."""

    received: int = 0
    messages: int = 0  # messages committed (stored or dead-lettered)
    readings: int = 0  # rows stored
    dead_letters: int = 0
    batches: int = 0
    acked: int = 0
    failures: int = 0  # batches whose transaction failed (not acknowledged)
    redeliveries: int = 0
    last_error: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


class MqttConnector:
    """Subscribe, store in micro-batches, acknowledge after commit, reconnect with backoff.

    Derived indicators follow without the connector's help: the series store wakes the
    factory's derive worker after each commit that wrote observations (see
    ``ioc.core.series_events`` and ``derive.follow_commits``), or a separate ``ioc derive``
    polls.
    """

    def __init__(
        self,
        settings: Settings,
        factory: sessionmaker[Session],
        registry: Registry,
        *,
        transport: Transport | None = None,
    ) -> None:
        self.config = MqttConfig.from_settings(settings)
        self.factory = factory
        self.registry = registry
        self.decoders = Decoders(registry)
        self.transport: Transport = transport or PahoTransport(self.config)
        self.stats = Stats()
        self._queue: queue.SimpleQueue[list[Message]] = queue.SimpleQueue()
        self._held: list[Message] = []  # taken from the queue, beyond the last batch
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ioc-mqtt", daemon=True)

    # ------------------------------------------------------------------ life cycle
    def start(self) -> None:
        """Start the batch worker, then connect (in the background)."""
        self._thread.start()
        self.transport.start(self._receive)
        log.info(
            "mqtt_connector_started",
            host=self.config.host,
            port=self.config.port,
            topics=list(self.config.topics),
            decoders=self.decoders.names,
        )

    def stop(self, timeout: float = 10.0, *, end_session: bool = False) -> None:
        """Finish (commit and acknowledge) the batch in hand, then disconnect. Messages still
        queued locally are not acknowledged: the broker keeps them for the next session
        (unless ``end_session``: see :meth:`leave`)."""
        self._stop.set()
        self._thread.join(timeout)
        self.transport.stop(end_session=end_session)
        log.info("mqtt_connector_stopped", messages=self.stats.messages, ended=end_session)

    def leave(self, idle_s: float = 2.0, timeout: float = 600.0) -> bool:
        """Leave a share group for good (one process fewer): unsubscribe, store and
        acknowledge everything this session still holds until nothing has come for
        ``idle_s``, then end the session. Mosquitto keeps handing a group member's share to
        its session while it is away, so a member removed without leaving would keep
        messages until its session expires. Returns False (session kept) when messages were
        still unstored at ``timeout``. Call after :meth:`start`."""
        deadline = time.monotonic() + timeout
        while not self.connected and time.monotonic() < deadline:
            time.sleep(0.05)
        self.transport.unsubscribe()
        seen, quiet = -1, time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.05)
            with self.stats.lock:
                received, done = self.stats.received, self.stats.messages
            now = time.monotonic()
            if received != seen or not self._queue.empty() or self._held:
                seen, quiet = received, now
            elif done >= received and now - quiet >= idle_s:
                self.stop(end_session=True)
                log.info("mqtt_left_share_group", messages=done)
                return True
        self.stop()
        return False

    @property
    def connected(self) -> bool:
        """Whether the broker connection is up."""
        return self.transport.connected

    def _receive(self, messages: list[Message]) -> None:
        # Runs in the network thread: only hand over, never block (and count nothing here:
        # the batch worker counts what it takes, see _collect).
        self._queue.put(messages)

    # ------------------------------------------------------------------ batches
    def _run(self) -> None:
        while not self._stop.is_set():
            batch = self._collect()
            if batch:
                try:
                    self._process(batch)
                except Exception:  # never let the worker die; unacked messages come again
                    log.exception("mqtt_worker_error")
                    self._recover()

    def _collect(self) -> list[Message]:
        """Up to ``batch_size`` messages, waiting at most ``batch_ms`` after the first.

        The network thread hands over what it read together (up to a socket buffer's worth);
        while filling, the queue is drained every few milliseconds instead of waking up for
        each hand-over: a wake-up each time would hand the GIL back and forth with the network
        thread thousands of times a second. What goes beyond ``batch_size`` is held for the
        next batch, in order.
        """
        batch, self._held = self._held, []
        if not batch:
            try:
                batch = self._queue.get(timeout=0.2)
            except queue.Empty:
                return []
        size = self.config.batch_size
        deadline = time.monotonic() + self.config.batch_ms / 1000
        get = self._queue.get_nowait
        while True:
            try:
                while len(batch) < size:
                    batch.extend(get())
            except queue.Empty:
                pass
            remaining = deadline - time.monotonic()
            if len(batch) >= size or remaining <= 0:
                break
            time.sleep(min(remaining, POLL_S))
        if len(batch) > size:
            batch, self._held = batch[:size], batch[size:]
        metrics.mqtt("received", len(batch))
        with self.stats.lock:
            self.stats.received += len(batch)
        return batch

    def _process(self, batch: list[Message]) -> None:
        try:
            with self.factory() as session, session.begin():
                result = store_messages(
                    session,
                    batch,
                    registry=self.registry,
                    decoders=self.decoders,
                    offset=self.config.offset,
                )
        except Exception as exc:
            self._failed(exc, len(batch))
            if not self._db_up():
                self._recover()
                return
            # The database answers, so something in this batch cannot be stored: store the
            # messages one by one and dead-letter the one that fails.
            for message in batch:
                if not self._process_alone(message):
                    return
            return
        self._acked(batch, result.stored, len(result.failed))

    def _process_alone(self, message: Message) -> bool:
        """Store one message, or dead-letter it with the storage error; False when even that
        failed (the database went away: everything will be delivered again)."""
        try:
            with self.factory() as session, session.begin():
                result = store_messages(
                    session,
                    [message],
                    registry=self.registry,
                    decoders=self.decoders,
                    offset=self.config.offset,
                )
        except Exception as exc:
            self._failed(exc, 1)
            reason = f"Lỗi lưu trữ / storage error: {type(exc).__name__}: {exc}"[:2000]
        else:
            self._acked([message], result.stored, len(result.failed))
            return True
        try:
            with self.factory() as session, session.begin():
                add_dead_letter(session, "mqtt", message, reason)
        except Exception as exc:
            self._failed(exc, 1)
            self._recover()
            return False
        self._acked([message], 0, 1)
        return True

    def _acked(self, batch: list[Message], stored: int, dead: int) -> None:
        """The batch is committed: acknowledge every message."""
        acked = self.transport.ack_many(batch)
        metrics.mqtt("stored", len(batch) - dead)
        metrics.mqtt("dead_letter", dead)
        with self.stats.lock:
            self.stats.batches += 1
            self.stats.messages += len(batch)
            self.stats.readings += stored
            self.stats.dead_letters += dead
            self.stats.acked += acked
        if dead:
            log.warning("mqtt_dead_letters", count=dead)

    def _failed(self, exc: Exception, size: int) -> None:
        metrics.mqtt("failed", size)
        log.error("mqtt_batch_not_stored", messages=size, error=f"{type(exc).__name__}: {exc}")
        with self.stats.lock:
            self.stats.failures += 1
            self.stats.last_error = f"{type(exc).__name__}: {exc}"[:500]

    def _db_up(self) -> bool:
        try:
            with self.factory() as session:
                session.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    def _recover(self) -> None:
        """Storage failed and nothing was acknowledged: wait (with backoff) until the database
        answers, drop what is queued locally and have the broker send it all again."""
        delay = 0.5
        while not self._stop.is_set() and not self._db_up():
            log.warning("mqtt_database_down", retry_in_s=delay)
            self._stop.wait(delay)
            delay = min(delay * 2, MAX_BACKOFF_S)
        if self._stop.is_set():
            return
        self._held = []
        while True:  # everything queued here is unacknowledged and will come again
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        with self.stats.lock:
            self.stats.redeliveries += 1
        self.transport.redeliver()
