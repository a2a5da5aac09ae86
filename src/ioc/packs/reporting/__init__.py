"""Chế độ báo cáo — reporting pack (Đề án 950 / NĐ 269/2025): periodic reporting campaigns,
agency submissions reviewed by Sở Xây dựng, the consolidated provincial report (DOCX in the
NĐ 30/2020 layout with an XLSX annex) and the yearly maturity self-assessment.

Modules:

* ``models`` — the ``rp_`` tables;
* ``templates_data`` — report templates and maturity criteria loaded from YAML data;
* ``service`` — campaigns and the submission workflow (one action per state change);
* ``reminders`` — deadline reminders (scheduler job ``reporting.remind``);
* ``consolidate`` — the DOCX report and the XLSX annex;
* ``maturity`` — maturity scoring; ``pages`` — web pages; ``demo`` — demo data.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ioc.core.indicators import IndicatorSpec
from ioc.core.registry import NavEntry, PackManifest

__all__ = ["manifest"]


def _indicators() -> list[IndicatorSpec]:
    return []


def _startup(settings: Any) -> None:
    from ioc.packs.reporting import service

    service.configure(settings)


def _remind(factory: Any, now: datetime) -> str | None:
    from ioc.packs.reporting.reminders import remind_job

    return remind_job(factory, now)


def _demo(*args: Any, **kwargs: Any) -> Any:
    from ioc.packs.reporting.demo import load_demo

    return load_demo(*args, **kwargs)


def _tile(session: Any, lang: str) -> Any:
    from ioc.packs.reporting.pages import tile

    return tile(session, lang)


def _page_router() -> Any:
    from ioc.packs.reporting.pages import router

    return router


def manifest() -> PackManifest:
    """The reporting pack's contributions."""
    return PackManifest(
        name="reporting",
        models="ioc.packs.reporting.models",  # its tables (ioc.models_all)
        title_key="rp.title",
        indicators=_indicators,
        page_router=_page_router,
        tile=_tile,
        demo=_demo,
        on_startup=_startup,
        jobs=(("reporting.remind", 3600.0, _remind),),
        nav=(NavEntry("/reporting", "rp.nav", "view"),),
    )
