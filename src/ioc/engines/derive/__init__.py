"""Derive engine: durable queue of derivation work done after ingestion."""

from ioc.engines.derive.queue import (
    DeriveWorker,
    enqueue,
    enqueue_touched,
    follow_commits,
    register_handler,
    run_pending,
)

__all__ = [
    "DeriveWorker",
    "enqueue",
    "enqueue_touched",
    "follow_commits",
    "register_handler",
    "run_pending",
]
