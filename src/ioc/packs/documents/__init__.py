"""Giám sát hệ thống quản lý văn bản và điều hành — documents pack.

Incoming and outgoing documents per agency (received, deadline, processed, digitally signed,
sent over the interconnection axis) with on-time, signature and electronic-sending
indicators; directives whose tasks agencies report on until done. Modules:

* ``indicators`` — the indicator definitions as pure functions;
* ``ingest`` — JSON batches and CSV/XLSX registers, upserted by the document system's id;
* ``tasks`` — directives and the task workflow (one action per state change);
* ``queries`` — per-agency figures, lists, record sources, the overview tile;
* ``pages`` / ``api`` — the web pages and the JSON API; ``demo`` — demo data.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ioc.core.indicators import IndicatorSpec
from ioc.core.registry import NavEntry, PackManifest, RecordSample
from ioc.packs.documents.commune_figures import figures as _commune_figures
from ioc.packs.documents.datasets import datasets as _datasets

__all__ = ["manifest"]


def _indicators() -> list[IndicatorSpec]:
    return []


def _startup(settings: Any) -> None:
    from ioc.packs.documents import tasks

    tasks.configure(settings)


def _overdue_tasks(session: Any, now: datetime) -> list[RecordSample]:
    from ioc.packs.documents.tasks import overdue_task_records

    return overdue_task_records(session, now)


def _overdue_documents(session: Any, now: datetime) -> list[RecordSample]:
    from ioc.packs.documents.queries import overdue_document_records

    return overdue_document_records(session, now)


def _demo(*args: Any, **kwargs: Any) -> Any:
    from ioc.packs.documents.demo import load_demo

    return load_demo(*args, **kwargs)


def _tile(session: Any, lang: str) -> Any:
    from ioc.packs.documents.queries import tile

    return tile(session, lang)


def _page_router() -> Any:
    from ioc.packs.documents.pages import router

    return router


def _api_router() -> Any:
    from ioc.packs.documents.api import router

    return router


def manifest() -> PackManifest:
    """The documents pack's contributions."""
    return PackManifest(
        commune_figures=_commune_figures,  # the commune scorecards (/xa)
        datasets=_datasets,  # the open-data catalogue (issue 21)
        name="documents",
        title_key="doc.title",
        indicators=_indicators,
        api_router=_api_router,
        page_router=_page_router,
        tile=_tile,
        demo=_demo,
        on_startup=_startup,
        alert_rules_file="alert_rules.yaml",
        record_sources={
            "overdue_tasks": _overdue_tasks,
            "overdue_documents": _overdue_documents,
        },
        nav=(NavEntry("/documents", "doc.nav", "view"),),
    )
