"""Giám sát hệ thống dịch vụ công trực tuyến — public-services pack: dossier records from the
provincial one-stop system (iGate), the QĐ 766 indices computed the way the national portal
describes them, rankings, early warning of dossiers due soon or overdue, drill-down to the
dossiers behind every figure, and XLSX/CSV exports.

Public module of the pack (other packs import only ``manifest``). Inside:

* ``indices`` — pure rules of every indicator (the settled ambiguities are in its docstring);
* ``ingest`` — the one action that stores batches (API, import, demo) and keeps the aggregates;
* ``scores`` — scorecards, rankings, trends from the aggregates;
* ``warnings`` — due-soon and overdue dossiers, alerting record sources;
* ``listing`` — filtered dossier lists, drill-down, export;
* ``pages`` / ``api`` — HTML pages and JSON API; ``demo`` — a year of demo dossiers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ioc.core.indicators import IndicatorSpec
from ioc.core.registry import NavEntry, PackManifest, RecordSample
from ioc.packs.public_services.commune_figures import figures as _commune_figures
from ioc.packs.public_services.datasets import datasets as _datasets

__all__ = ["manifest"]


def _indicators() -> list[IndicatorSpec]:
    return []


def _startup(settings: Any) -> None:
    from ioc.packs.public_services import config

    config.configure(config.policy_from_settings(settings))


def _overdue(session: Any, now: datetime) -> list[RecordSample]:
    from ioc.packs.public_services.warnings import overdue_records

    return overdue_records(session, now)


def _due_soon(session: Any, now: datetime) -> list[RecordSample]:
    from ioc.packs.public_services.warnings import due_soon_records

    return due_soon_records(session, now)


def _demo(*args: Any, **kwargs: Any) -> Any:
    from ioc.packs.public_services.demo import load_demo

    return load_demo(*args, **kwargs)


def _tile(session: Any, lang: str) -> Any:
    from ioc.packs.public_services.tile import tile

    return tile(session, lang)


def _page_router() -> Any:
    from ioc.packs.public_services.pages import router

    return router


def _api_router() -> Any:
    from ioc.packs.public_services.api import router

    return router


def manifest() -> PackManifest:
    """The public-services pack's contributions."""
    return PackManifest(
        commune_figures=_commune_figures,  # the commune scorecards (/xa)
        datasets=_datasets,  # the open-data catalogue (issue 21)
        name="public_services",
        title_key="ps.title",
        indicators=_indicators,
        api_router=_api_router,
        page_router=_page_router,
        tile=_tile,
        demo=_demo,
        on_startup=_startup,
        alert_rules_file="alert_rules.yaml",
        record_sources={"overdue": _overdue, "due_soon": _due_soon},
        nav=(NavEntry("/public-services", "ps.nav", "view"),),
    )
