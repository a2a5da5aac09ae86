"""Quy hoạch và hạ tầng đô thị — planning zones and infrastructure assets (issue 21, task 2
of the smart-city directive: smart urban-planning applications).

* **Plans and zones** imported from GeoJSON with validation by feature (:mod:`service`),
  several plans with their validity dates.
* **Assets** (street lights, drainage, water supply, public toilets, bins …) as points or
  lines with an owner agency and a status; a citizen can report a broken asset, which files a
  field report (through the field-reports pack's ``extra`` hooks) linked to the asset.
* **"What applies here?"**: ``/api/v1/planning/lookup`` and the public map
  ``/public/quy-hoach`` (zones and assets as toggles on the shared map).
"""

from __future__ import annotations

from typing import Any

from ioc.core.indicators import IndicatorSpec
from ioc.core.registry import NavEntry, PackManifest
from ioc.packs.planning.datasets import datasets as _datasets

__all__ = ["manifest"]


def _indicators() -> list[IndicatorSpec]:
    return []


def _api_router() -> Any:
    from ioc.packs.planning.api import router

    return router


def _page_router() -> Any:
    from ioc.packs.planning.pages import router

    return router


def _demo(*args: Any, **kwargs: Any) -> Any:
    from ioc.packs.planning.demo import load_demo

    return load_demo(*args, **kwargs)


def manifest() -> PackManifest:
    """The planning pack's contributions."""
    return PackManifest(
        name="planning",
        models="ioc.packs.planning.models",  # its tables (ioc.models_all)
        title_key="pl.title",
        indicators=_indicators,
        api_router=_api_router,
        page_router=_page_router,
        nav=(
            NavEntry("/planning", "pl.nav.manage", "manage", "domain"),
            NavEntry("/public/quy-hoach", "pl.nav.public", "public", "public"),
        ),
        datasets=_datasets,
        demo=_demo,
    )
