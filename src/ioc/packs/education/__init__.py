"""Giám sát hoạt động Giáo dục — education pack: schools, pupils, teachers, attendance and exam
results per commune, and the province figures Sở GD&ĐT submits with their yearly targets.

Public module of the pack: other packs import only what is listed in ``__all__``. Inside:
``indicators.yaml`` (the catalog), ``sector.yaml`` (what the sector kit ``ioc.engines.sector``
counts, draws and exports), ``schools`` (the ``School`` entities), ``queries`` and ``pages``
(``/education``, ``/education/communes/{code}``, exports), ``demo``.
"""

from __future__ import annotations

from ioc.core.registry import PackManifest
from ioc.engines.sector.manifest import sector_manifest

__all__ = ["manifest"]


def manifest() -> PackManifest:
    """The education pack's contributions."""
    return sector_manifest(__name__, "ed", ("School",))
