"""Giám sát hệ thống quản lý văn bản và điều hành — documents pack.

Incoming and outgoing documents per agency (received, deadline, processed, digitally signed,
sent over the interconnection axis) with on-time, signature and electronic-sending
indicators; directives whose tasks agencies report on until done. Modules:

* ``indicators`` — the indicator definitions as pure functions;
* ``ingest`` — JSON batches and CSV/XLSX registers, upserted by the document system's id;
* ``tasks`` — directives and the task workflow (one action per state change);
* ``queries`` — per-agency figures, lists, record sources; ``tile`` — the overview tile;
* ``params`` — what a request asks for and may see (periods, dates, the caller's agency);
* ``pages`` / ``api`` — the web pages and the JSON API; ``demo`` — demo data (``demo.yaml``).
"""

from __future__ import annotations

from ioc.core.registry import NavEntry, PackManifest, lazy, pack_manifest

__all__ = ["manifest"]

_P = "ioc.packs.documents"  # the modules below are imported when first used


def manifest() -> PackManifest:
    """The documents pack's contributions (no catalog indicators: figures come from the
    records)."""
    return pack_manifest(
        _P,
        "doc.title",
        on_startup=lazy(f"{_P}.tasks", "configure"),
        record_sources={
            "overdue_tasks": lazy(f"{_P}.tasks", "overdue_task_records"),
            "overdue_documents": lazy(f"{_P}.queries", "overdue_document_records"),
        },
        nav=(NavEntry("/documents", "doc.nav", "view"),),
    )
