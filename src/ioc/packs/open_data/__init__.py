"""Dữ liệu mở — the catalogue of every dataset the IOC holds, with its quality, and the doors
that hand it to other systems (issue 21; 1709/BKHCN-CĐSQG "đúng, đủ, sạch, sống", NĐ 278/2025).

* **Catalogue** (:mod:`catalogue`): each pack's indicator catalog and register of places,
  the commune boundaries, and the datasets packs declare through ``PackManifest.datasets``.
* **Quality** (:mod:`quality`): sống, đủ, sạch, đúng over 30 days; ``/data/catalogue`` sorted
  by worst quality with the owner to call (agency: its own; IOC: all; leaders: per agency).
* **Open doors**: downloads CSV/XLSX/GeoJSON/JSON with licence (:mod:`downloads`, personal
  data scrubbed by :mod:`privacy`), the CKAN Action API at ``/api/3/action/`` (:mod:`ckan`),
  DCAT-AP 3 at ``/catalog.jsonld`` and ``/catalog.ttl`` (:mod:`dcat`), and the Government
  reporting export (:mod:`gov_export`).
"""

from __future__ import annotations

from typing import Any

from ioc.core.registry import NavEntry, PackManifest, pack_manifest

__all__ = ["manifest"]


def _api_router() -> Any:
    from fastapi import APIRouter

    from ioc.packs.open_data import api, ckan, dcat

    router = APIRouter()
    router.include_router(ckan.router)
    router.include_router(dcat.router)
    router.include_router(api.router)
    return router


def _startup(settings: Any) -> None:
    from ioc.packs.open_data import quality

    quality.configure(settings.tile_cache_seconds)


def manifest() -> PackManifest:
    """The open-data pack's contributions."""
    return pack_manifest(
        __name__,
        "od.title",
        api_router=_api_router,
        on_startup=_startup,
        nav=(
            NavEntry("/data/catalogue", "od.nav"),
            NavEntry.citizen("/open-data", "od.nav.public"),
        ),
    )
