"""Giám sát hoạt động Du lịch — tourism pack: destinations and accommodation with visits, guests
and room occupancy per commune, and the visitor arrivals and revenue Sở VHTTDL submits monthly
with their yearly targets.

Public module of the pack: other packs import only what is listed in ``__all__``. Inside:
``indicators.yaml`` (the catalog), ``sector.yaml`` (what the sector kit ``ioc.engines.sector``
counts, draws and exports), ``places`` (the ``TouristDestination`` and ``Accommodation``
entities), ``queries`` and ``pages`` (``/tourism``, ``/tourism/communes/{code}``, exports),
``plan`` (plan vs actual), ``demo``.
"""

from __future__ import annotations

from ioc.core.registry import PackManifest
from ioc.engines.sector.manifest import sector_manifest

__all__ = ["manifest"]


def manifest() -> PackManifest:
    """The tourism pack's contributions."""
    return sector_manifest(__name__, "tr", ("TouristDestination", "Accommodation"))
