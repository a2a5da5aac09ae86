"""Bảng điểm xã, phường — commune scorecards (issue 20).

The province watches its 102 communes/wards every day on a green/yellow/red board. Every pack
that holds commune-level data gives its figures through its manifest's ``commune_figures``
hook (field reports, public services, directive tasks, health, environment, traffic); this
pack adds the monthly submissions on time (submissions engine), scores them by the board of
``board.yaml`` (weights and thresholds, ``IOC_CB_*`` settings), stores the board once a day
(job ``communes.snapshot``) and shows it:

* ``/xa`` — the board: heat map, map, what got worse, communes that need attention, XLSX;
* ``/xa/{code}`` — a commune's every figure with trend, rank and 90-day colours, DOCX (NĐ 30).

Leaders land on the board after login, a commune's staff on their commune's page.

Modules: ``config`` (the board), ``models`` (``cb_`` tables), ``service`` (scoring, storing,
reading), ``submissions_figure``, ``pages``, ``report`` (DOCX), ``demo``.
"""

from __future__ import annotations

from ioc.core.registry import NavEntry, PackManifest, lazy, pack_manifest

__all__ = ["manifest"]


def manifest() -> PackManifest:
    """The commune scorecards' contributions."""
    return pack_manifest(
        __name__,
        "cb.title",
        nav=(NavEntry("/xa", "cb.nav", group="main"),),
        on_startup=lazy(f"{__name__}.config", "configure"),
        commune_figures=lazy(f"{__name__}.submissions_figure", "figures"),
        landing=lazy(f"{__name__}.jobs", "landing"),
        demo=lazy(f"{__name__}.jobs", "load_demo"),
        # Stores today's board; hourly, so the day's last run is the day's board.
        jobs=(("communes.snapshot", 3600.0, lazy(f"{__name__}.jobs", "snapshot_job")),),
    )
