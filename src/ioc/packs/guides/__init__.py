"""Tuyên truyền, tập huấn — guides pack: in-app guides per service and role (Vietnamese
first), a first-login tour, the practice workspace page and adoption statistics.

The manifest is this module's only export; other packs (the yearly report) and the app use
``public`` (:func:`~ioc.packs.guides.public.adoption_summary`,
:func:`~ioc.packs.guides.public.record_view`).
"""

from __future__ import annotations

from ioc.core.indicators import IndicatorSpec
from ioc.core.registry import NavEntry, PackManifest
from ioc.engines.sector.manifest import attribute, lazy

__all__ = ["manifest"]


def _indicators() -> list[IndicatorSpec]:
    return []


def manifest() -> PackManifest:
    """The guides pack's contributions."""
    return PackManifest(
        name="guides",
        models="ioc.packs.guides.models",  # its tables (ioc.models_all)
        title_key="gd.title",
        indicators=_indicators,
        page_router=attribute(f"{__name__}.pages", "router"),
        tile=lazy(f"{__name__}.tile", "tile"),
        nav=(NavEntry("/guides", "gd.nav", "public", "main"),),
        page_view=lazy(f"{__name__}.public", "record_view"),
    )
