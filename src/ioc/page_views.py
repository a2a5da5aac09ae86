"""Page views for the adoption statistics, counted in memory and written in the background.

Counting in the request itself would make every page wait for a database write (on SQLite,
behind an ingestion batch holding the write lock). The middleware only adds to a counter; a
daemon thread hands the counts to the packs' ``page_view`` hooks every few seconds and once
more at shutdown. Views counted in the last seconds before a crash are lost: these are usage
statistics, not records.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import structlog
from sqlalchemy.orm import Session, sessionmaker

log = structlog.get_logger(__name__)


class PageViewBuffer:
    """A thread-safe tally of (path, role) page views and its periodic flush."""

    def __init__(self, factory: sessionmaker[Session], viewers: list[Any], every_s: float = 10):
        self.factory = factory
        self.viewers = viewers
        self.every_s = every_s
        self._counts: Counter[tuple[str, str | None]] = Counter()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, path: str, role: str | None) -> None:
        """Count one view (no I/O)."""
        if not self.viewers:
            return
        with self._lock:
            self._counts[(path, role)] += 1

    def discard(self) -> None:
        """Forget the counts so far without writing them (a fresh start, e.g. between tests)."""
        with self._lock:
            self._counts = Counter()

    def flush(self) -> int:
        """Write the counts so far through every pack's hook; returns the views written."""
        with self._lock:
            counts, self._counts = self._counts, Counter()
        if not counts:
            return 0
        try:
            with self.factory() as session, session.begin():
                for (path, role), n in counts.items():
                    for viewer in self.viewers:
                        for _ in range(n):
                            viewer(session, path, role)
        except Exception as exc:  # statistics must never disturb the service
            log.warning("page_views_not_written", views=sum(counts.values()), error=str(exc))
            return 0
        return sum(counts.values())

    def start(self) -> None:
        """Flush every ``every_s`` seconds in a daemon thread."""
        if self._thread is None and self.viewers:
            self._thread = threading.Thread(target=self._loop, name="ioc-page-views", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.every_s):
            self.flush()

    def stop(self) -> None:
        """Stop the thread and write what is left."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self.flush()
