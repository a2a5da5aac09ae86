"""Giám sát hoạt động Du lịch — tourism pack: destinations and accommodation with visits, guests
and room occupancy per commune, and the visitor arrivals and revenue Sở VHTTDL submits monthly
with their yearly targets.

Public module of the pack: other packs import only what is listed in ``__all__``. Inside:
``indicators.yaml`` (the catalog), ``places`` (the ``TouristDestination`` and
``Accommodation`` entities), ``views`` and ``pages`` (``/tourism``,
``/tourism/communes/{code}``, exports), ``plan`` (plan vs actual from the submissions
engine), ``demo``.
"""

from __future__ import annotations

from typing import Any

from ioc.core.indicators import IndicatorSpec, load_catalog
from ioc.core.registry import NavEntry, PackManifest

__all__ = ["manifest"]


def _indicators() -> list[IndicatorSpec]:
    return load_catalog("ioc.packs.tourism", "tourism")


def _page_router() -> Any:
    from ioc.packs.tourism.pages import router

    return router


def _tile(session: Any, lang: str) -> Any:
    from ioc.packs.tourism.pages import overview_tile

    return overview_tile(session, lang)


def _demo(*args: Any, **kwargs: Any) -> Any:
    from ioc.packs.tourism.demo import load_demo

    return load_demo(*args, **kwargs)


def manifest() -> PackManifest:
    """The tourism pack's contributions."""
    return PackManifest(
        name="tourism",
        title_key="tr.title",
        indicators=_indicators,
        page_router=_page_router,
        tile=_tile,
        nav=(NavEntry("/tourism", "tr.nav"),),
        entity_types=("TouristDestination", "Accommodation"),
        demo=_demo,
    )
