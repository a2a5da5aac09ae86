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

from typing import Any

from ioc.core.registry import NavEntry, PackManifest, lazy, pack_manifest
from ioc.packs.field_reports.asset_link import hooks as _asset_hooks

__all__ = ["manifest"]


def _startup(settings: Any) -> None:
    from ioc.packs.field_reports import service

    service.configure(service.policy_from_settings(settings))


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
    return pack_manifest(
        __name__,
        "fr.title",
        extra=_asset_hooks(),  # reports about a planning asset (issue 21)
        api_router=lazy(f"{__name__}.open311", "api_router"),
        page_router=lazy(f"{__name__}.pages", "page_router"),
        on_startup=_startup,
        sync=lazy(f"{__name__}.service", "sync_categories"),
        record_sources={"overdue": lazy(f"{__name__}.deadlines", "overdue_records")},
        label_names=_label_names,
        nav=(NavEntry("/field-reports", "frp.nav.inbox", "view"),),
    )
