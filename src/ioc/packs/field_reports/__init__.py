"""Phản ánh hiện trường — field reports pack: citizen reports, routing to the responsible
agency, handling with working-day deadlines, public answers, ratings.

Public module of the pack: other packs import only what is listed in ``__all__``. Phase-2
code (pages, Open311, statistics) builds on:

* ``ioc.packs.field_reports.service`` — the workflow actions (states and transitions table in
  its docstring), categories, templates;
* ``ioc.packs.field_reports.public`` — the only serializers for public pages and APIs;
* ``ioc.packs.field_reports.privacy`` — staff views and who sees the reporter's identity;
* ``ioc.packs.field_reports.duplicates`` — "is this yours?" suggestions;
* ``ioc.packs.field_reports.deadlines`` — due-soon and overdue lists per agency;
* ``ioc.packs.field_reports.routing`` — commune resolution and routing rules;
* ``ioc.packs.field_reports.photos`` — photo verification, metadata stripping, redaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ioc.core.indicators import IndicatorSpec
from ioc.core.registry import NavEntry, PackManifest, RecordSample
from ioc.packs.field_reports.asset_link import hooks as _asset_hooks
from ioc.packs.field_reports.commune_figures import figures as _commune_figures
from ioc.packs.field_reports.datasets import datasets as _datasets

__all__ = ["manifest"]


def _indicators() -> list[IndicatorSpec]:
    return []


def _startup(settings: Any) -> None:
    from ioc.packs.field_reports import service

    service.configure(service.policy_from_settings(settings))


def _overdue(session: Any, now: datetime) -> list[RecordSample]:
    from ioc.packs.field_reports.deadlines import overdue_records

    return overdue_records(session, now)


def _demo(*args: Any, **kwargs: Any) -> Any:
    from ioc.packs.field_reports.demo import load_demo

    return load_demo(*args, **kwargs)


def _tile(session: Any, lang: str) -> Any:
    from ioc.packs.field_reports.tile import tile

    return tile(session, lang)


def _page_router() -> Any:
    from ioc.packs.field_reports.pages import page_router

    return page_router()


def _api_router() -> Any:
    from ioc.packs.field_reports.open311 import api_router

    return api_router()


def _sync(session: Any) -> Any:
    from ioc.packs.field_reports.service import sync_categories

    return sync_categories(session)


def _label_names(session: Any, label: str, value: str, lang: str) -> str | None:
    """Alert labels of this pack: a report category's name."""
    if label != "category":
        return None
    from sqlalchemy import select

    from ioc.packs.field_reports.models import Category

    row = session.execute(
        select(Category.name_vi, Category.name_en).where(Category.code == value)
    ).first()
    return None if row is None else str(row[0] if lang == "vi" else row[1])


def manifest() -> PackManifest:
    """The field-reports pack's contributions."""
    return PackManifest(
        commune_figures=_commune_figures,  # the commune scorecards (/xa)
        datasets=_datasets,  # the open-data catalogue (issue 21)
        extra=_asset_hooks(),  # reports about a planning asset (issue 21)
        name="field_reports",
        models="ioc.packs.field_reports.models",  # its tables (ioc.models_all)
        title_key="fr.title",
        indicators=_indicators,
        api_router=_api_router,
        page_router=_page_router,
        tile=_tile,
        demo=_demo,
        on_startup=_startup,
        sync=_sync,
        alert_rules_file="alert_rules.yaml",
        record_sources={"overdue": _overdue},
        label_names=_label_names,
        nav=(NavEntry("/field-reports", "frp.nav.inbox", "view"),),
    )
