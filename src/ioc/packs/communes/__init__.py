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

from datetime import date, datetime
from typing import Any

from ioc.core.indicators import IndicatorSpec
from ioc.core.registry import CommuneFigure, NavEntry, PackManifest

__all__ = ["manifest"]


def _indicators() -> list[IndicatorSpec]:
    return []


def _startup(settings: Any) -> None:
    from ioc.packs.communes import config

    config.configure(settings)


def _page_router() -> Any:
    from ioc.packs.communes.pages import router

    return router


def _figures(session: Any, day: date) -> list[CommuneFigure]:
    from ioc.packs.communes.submissions_figure import figures

    return figures(session, day)


def _snapshot(factory: Any, now: datetime) -> str | None:
    from ioc.packs.communes.jobs import snapshot_job

    return snapshot_job(factory, now)


def _landing(session: Any, user: Any) -> str | None:
    from ioc.packs.communes.jobs import landing

    return landing(session, user)


def _demo(*args: Any, **kwargs: Any) -> Any:
    from ioc.packs.communes.jobs import load_demo

    return load_demo(*args, **kwargs)


def manifest() -> PackManifest:
    """The commune scorecards' contributions."""
    return PackManifest(
        name="communes",
        models="ioc.packs.communes.models",  # its tables (ioc.models_all)
        title_key="cb.title",
        indicators=_indicators,
        page_router=_page_router,
        nav=(NavEntry("/xa", "cb.nav", group="main"),),
        on_startup=_startup,
        commune_figures=_figures,
        landing=_landing,
        demo=_demo,
        # Stores today's board; hourly, so the day's last run is the day's board.
        jobs=(("communes.snapshot", 3600.0, _snapshot),),
    )
