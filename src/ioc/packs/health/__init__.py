"""Giám sát hoạt động Y tế — health pack: medical facilities, beds, visits, immunisation, and
notifiable-disease surveillance per commune with EARS outbreak detection.

Public module of the pack: other packs import only what is listed in ``__all__``. Inside:

* ``indicators.yaml`` — the catalog (facility figures, commune immunisation, weekly cases);
* ``alert_rules.yaml`` — EARS C1/C2/C3 rules per disease (weekly sums per commune) and the
  outbreak-response SOPs;
* ``surveillance`` — weekly counts, incidence and the EARS table (statistics from
  ``ioc.engines.alerting.ears``); ``facilities`` — the ``MedicalFacility`` entities;
* ``pages`` — ``/health``, ``/health/surveillance``, ``/health/communes/{code}``, exports.
"""

from __future__ import annotations

from typing import Any

from ioc.core.indicators import IndicatorSpec, load_catalog
from ioc.core.registry import NavEntry, PackManifest
from ioc.packs.health.commune_figures import figures as _commune_figures

__all__ = ["manifest"]


def _indicators() -> list[IndicatorSpec]:
    return load_catalog("ioc.packs.health", "health")


def _page_router() -> Any:
    from ioc.packs.health.pages import router

    return router


def _tile(session: Any, lang: str) -> Any:
    from ioc.packs.health.pages import overview_tile

    return overview_tile(session, lang)


def _demo(*args: Any, **kwargs: Any) -> Any:
    from ioc.packs.health.demo import load_demo

    return load_demo(*args, **kwargs)


def _label_names(session: Any, label: str, value: str, lang: str) -> str | None:
    """Alert labels of this pack: a disease's name."""
    from ioc.core import i18n

    key = f"hl.disease.{value}"
    return i18n.translate(key, lang) if label == "disease" and key in i18n.catalog() else None


def manifest() -> PackManifest:
    """The health pack's contributions."""
    return PackManifest(
        commune_figures=_commune_figures,  # the commune scorecards (/xa)
        name="health",
        title_key="hl.title",
        indicators=_indicators,
        page_router=_page_router,
        tile=_tile,
        nav=(NavEntry("/health", "hl.nav"),),
        entity_types=("MedicalFacility",),
        demo=_demo,
        alert_rules_file="alert_rules.yaml",
        label_names=_label_names,
    )
