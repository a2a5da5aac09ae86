"""Received syslog batches → ``cy_events`` rows: parsed in the writer thread, or split across
a pool of parser processes and merged back in arrival order."""

from __future__ import annotations

import contextlib
import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ioc.core import clock
from ioc.packs.cybersecurity.parsers import ParseError, normalise_line
from ioc.packs.cybersecurity.store import PreparedEvents, event_row, prepare_rows

# One queue item: (transport, [(peer, frame), ...]); the peer is "tcp://host:port" for TCP and
# the raw (host, port) address for UDP (formatted by the parser, not by the reader).
Item = tuple[str, list[tuple[Any, bytes]]]
Parsed = tuple[PreparedEvents, list[tuple[str, bytes, str]]]


def parse_items(
    items: list[Item],
    hosts: dict[str, str],
    received: datetime,
    offset: int,
    max_line: int,
    dialect: str,
) -> Parsed:
    """Lines → ``cy_events`` rows ready for ``dialect``'s driver (``store.prepare_rows``) and
    refused lines ``(peer, bytes, reason)``, in order.

    A plain function of its arguments, so that a process pool can run it."""
    rows: list[dict[str, Any]] = []
    bad: list[tuple[str, bytes, str]] = []
    for transport, lines in items:
        for where, frame in lines:
            peer = where if isinstance(where, str) else f"udp://{where[0]}:{where[1]}"
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
    return prepare_rows(rows, dialect), bad


def split_batch(items: list[Item], parts: int) -> list[list[Item]]:
    """``items`` in at most ``parts`` consecutive chunks of about the same number of lines."""
    total = sum(len(lines) for _, lines in items)
    if parts <= 1 or total < 2 * parts:
        return [items]
    size = -(-total // parts)
    chunks: list[list[Item]] = [[]]
    filled = 0
    for transport, lines in items:
        pos = 0
        while pos < len(lines):
            take = min(size - filled, len(lines) - pos)
            chunks[-1].append((transport, lines[pos : pos + take]))
            pos += take
            filled += take
            if filled >= size:
                chunks.append([])
                filled = 0
    return [c for c in chunks if c]


def merge_parsed(results: list[Parsed]) -> Parsed:
    """The parsed chunks of one batch as one result, in order."""
    if len(results) == 1:
        return results[0]
    prepared = PreparedEvents(results[0][0].dialect)
    bad: list[tuple[str, bytes, str]] = []
    for p, b in results:
        prepared.extend(p)
        bad.extend(b)
    return prepared, bad


@dataclass
class PendingBatch:
    """A batch handed to the parsers: its chunks and their futures (parsed in order)."""

    chunks: list[list[Item]]
    futures: list[Future[Parsed]]
    hosts: dict[str, str]
    received: datetime

    def done(self) -> bool:
        """Whether every chunk is parsed."""
        return all(f.done() for f in self.futures)


def new_parse_pool(workers: int, wait_s: float = 30.0) -> ProcessPoolExecutor:
    """A pool of parser processes, started now (``spawn``: never fork a process that runs
    threads, such as the web server's) and given up to ``wait_s`` to import the parsers, so
    that the first lines do not wait for it."""
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
    warm = [pool.submit(parse_items, [], {}, clock.now(), 0, 1, "") for _ in range(workers)]
    for future in warm:
        with contextlib.suppress(Exception):
            future.result(timeout=wait_s)
    return pool
