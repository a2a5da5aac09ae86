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

from ioc.core.registry import NavEntry, PackManifest
from ioc.engines.sector.manifest import attribute, lazy
from ioc.packs.documents.commune_figures import figures as _commune_figures
from ioc.packs.documents.datasets import datasets as _datasets

__all__ = ["manifest"]

_P = "ioc.packs.documents"  # the modules below are imported when first used


def manifest() -> PackManifest:
    """The documents pack's contributions."""
    return PackManifest(
        commune_figures=_commune_figures,  # the commune scorecards (/xa)
        datasets=_datasets,  # the open-data catalogue (issue 21)
        name="documents",
        models="ioc.packs.documents.models",  # its tables (ioc.models_all)
        title_key="doc.title",
        indicators=list,  # no catalog indicators: figures come from the records
        api_router=attribute(f"{_P}.api", "router"),
        page_router=attribute(f"{_P}.pages", "router"),
        tile=lazy(f"{_P}.tile", "tile"),
        demo=lazy(f"{_P}.demo", "load_demo"),
        on_startup=lazy(f"{_P}.tasks", "configure"),
        alert_rules_file="alert_rules.yaml",
        record_sources={
            "overdue_tasks": lazy(f"{_P}.tasks", "overdue_task_records"),
            "overdue_documents": lazy(f"{_P}.queries", "overdue_document_records"),
        },
        nav=(NavEntry("/documents", "doc.nav", "view"),),
    )
