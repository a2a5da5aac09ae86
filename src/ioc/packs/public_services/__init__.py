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

from ioc.core.registry import NavEntry, PackManifest, lazy, pack_manifest

__all__ = ["manifest"]

_P = "ioc.packs.public_services"  # the modules below are imported when first used


def _startup(settings: Any) -> None:
    from ioc.packs.public_services import config

    config.configure(config.policy_from_settings(settings))


def manifest() -> PackManifest:
    """The public-services pack's contributions (no catalog indicators: the 766 set is
    computed from dossiers)."""
    return pack_manifest(
        _P,
        "ps.title",
        on_startup=_startup,
        record_sources={
            "overdue": lazy(f"{_P}.early_warning", "overdue_records"),
            "due_soon": lazy(f"{_P}.early_warning", "due_soon_records"),
        },
        nav=(NavEntry("/public-services", "ps.nav", "view"),),
    )
