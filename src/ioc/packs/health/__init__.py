"""Giám sát hoạt động Y tế — health pack: medical facilities, beds, visits, immunisation, and
notifiable-disease surveillance per commune with EARS outbreak detection.

Public module of the pack: other packs import only what is listed in ``__all__``. Inside:

* ``indicators.yaml`` — the catalog (facility figures, commune immunisation, weekly cases);
* ``sector.yaml`` — what the sector kit ``ioc.engines.sector`` counts, draws and exports;
* ``alert_rules.yaml`` — EARS C1/C2/C3 rules per disease (weekly sums per commune) and the
  outbreak-response SOPs;
* ``surveillance`` — weekly counts, incidence and the EARS table (statistics from
  ``ioc.engines.alerting.ears``); ``signals`` — the surveillance page's table, map and
  charts; ``facilities`` — the ``MedicalFacility`` entities; ``queries`` — the overview;
* ``pages`` — ``/health``, ``/health/surveillance``, ``/health/communes/{code}``, exports.
"""

from __future__ import annotations

from typing import Any

from ioc.core.registry import PackManifest
from ioc.engines.sector.manifest import sector_manifest

__all__ = ["manifest"]


def _label_names(session: Any, label: str, value: str, lang: str) -> str | None:
    """Alert labels of this pack: a disease's name."""
    from ioc.core import i18n

    key = f"hl.disease.{value}"
    return i18n.translate(key, lang) if label == "disease" and key in i18n.catalog() else None


def manifest() -> PackManifest:
    """The health pack's contributions."""
    return sector_manifest(
        __name__,
        "hl",
        ("MedicalFacility",),
        label_names=_label_names,
    )
