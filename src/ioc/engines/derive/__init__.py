"""Derive engine: durable queue of derivation work done after ingestion."""

from ioc.engines.derive.queue import (
    DeriveWorker,
    enqueue,
    register_handler,
    run_pending,
)

__all__ = ["DeriveWorker", "enqueue", "register_handler", "run_pending"]
