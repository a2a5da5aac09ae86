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

from ioc.core.registry import NavEntry, PackManifest, pack_manifest

__all__ = ["manifest"]


def manifest() -> PackManifest:
    """The planning pack's contributions."""
    return pack_manifest(
        __name__,
        "pl.title",
        nav=(
            NavEntry("/planning", "pl.nav.manage", "manage"),
            NavEntry.citizen("/public/quy-hoach", "pl.nav.public"),
        ),
    )
