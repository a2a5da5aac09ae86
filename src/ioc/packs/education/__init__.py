"""Giám sát hoạt động Giáo dục — education pack: schools, pupils, teachers, attendance and exam
results per commune, and the province figures Sở GD&ĐT submits with their yearly targets.

Public module of the pack: other packs import only what is listed in ``__all__``. Inside:
``indicators.yaml`` (the catalog), ``schools`` (the ``School`` entities), ``views`` and
``pages`` (``/education``, ``/education/communes/{code}``, exports), ``plan`` (plan vs actual
from the submissions engine), ``demo``.
"""

from __future__ import annotations

from typing import Any

from ioc.core.indicators import IndicatorSpec, load_catalog
from ioc.core.registry import NavEntry, PackManifest

__all__ = ["manifest"]


def _indicators() -> list[IndicatorSpec]:
    return load_catalog("ioc.packs.education", "education")


def _page_router() -> Any:
    from ioc.packs.education.pages import router

    return router


def _tile(session: Any, lang: str) -> Any:
    from ioc.packs.education.pages import overview_tile

    return overview_tile(session, lang)


def _demo(*args: Any, **kwargs: Any) -> Any:
    from ioc.packs.education.demo import load_demo

    return load_demo(*args, **kwargs)


def manifest() -> PackManifest:
    """The education pack's contributions."""
    return PackManifest(
        name="education",
        title_key="ed.title",
        indicators=_indicators,
        page_router=_page_router,
        tile=_tile,
        nav=(NavEntry("/education", "ed.nav"),),
        entity_types=("School",),
        demo=_demo,
    )
