"""Giám sát hệ thống dịch vụ công trực tuyến — public-services pack: dossier records from the
provincial one-stop system (iGate), the QĐ 766 indices computed the way the national portal
describes them, rankings, early warning of dossiers due soon or overdue, drill-down to the
dossiers behind every figure, and XLSX/CSV exports.

Public module of the pack (other packs import only ``manifest``). Inside:

* ``indices`` — pure rules of every indicator (the settled ambiguities are in its docstring);
* ``ingest`` — the one action that stores batches (API, import, demo) and keeps the aggregates;
* ``scores`` — scorecards, rankings, trends from the aggregates;
* ``early_warning`` — due-soon and overdue dossiers, alerting record sources;
* ``listing`` — filtered dossier lists, drill-down, export;
* ``tile`` — the overview tile;
* ``pages`` / ``api`` — HTML pages and JSON API; ``demo`` — a year of demo dossiers (the
  procedures in ``demo.yaml``).
"""

from __future__ import annotations

from typing import Any

from ioc.core.registry import NavEntry, PackManifest
from ioc.engines.sector.manifest import attribute, lazy
from ioc.packs.public_services.commune_figures import figures as _commune_figures
from ioc.packs.public_services.datasets import datasets as _datasets

__all__ = ["manifest"]

_P = "ioc.packs.public_services"  # the modules below are imported when first used


def _startup(settings: Any) -> None:
    from ioc.packs.public_services import config

    config.configure(config.policy_from_settings(settings))


def manifest() -> PackManifest:
    """The public-services pack's contributions."""
    return PackManifest(
        commune_figures=_commune_figures,  # the commune scorecards (/xa)
        datasets=_datasets,  # the open-data catalogue (issue 21)
        name="public_services",
        models="ioc.packs.public_services.models",  # its tables (ioc.models_all)
        title_key="ps.title",
        indicators=list,  # no catalog indicators: the 766 set is computed from dossiers
        api_router=attribute(f"{_P}.api", "router"),
        page_router=attribute(f"{_P}.pages", "router"),
        tile=lazy(f"{_P}.tile", "tile"),
        demo=lazy(f"{_P}.demo", "load_demo"),
        on_startup=_startup,
        alert_rules_file="alert_rules.yaml",
        record_sources={
            "overdue": lazy(f"{_P}.early_warning", "overdue_records"),
            "due_soon": lazy(f"{_P}.early_warning", "due_soon_records"),
        },
        nav=(NavEntry("/public-services", "ps.nav", "view"),),
    )
