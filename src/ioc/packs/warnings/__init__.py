"""Cảnh báo công cộng — public warnings in the Common Alerting Protocol (CAP 1.2, OASIS).

Operators draft a warning (from scratch, from an alert or from an incident; automatic drafts
come from the alerting engine's AQI, EARS C3 and weather alerts), another person approves it,
and it is published as CAP 1.2 at ``/public/warnings/{identifier}.xml``, listed in the Atom
feed ``/public/warnings.atom`` and on the phone-first page ``/public/warnings?xa=<code>``, and
mailed to the confirmed subscribers of its communes through the notification outbox. Updates
and cancellations are new messages referencing the earlier one (CAP ``references``). Area
broadcast gateways plug in through :mod:`ioc.packs.warnings.gateways`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ioc.core.indicators import IndicatorSpec
from ioc.core.registry import NavEntry, PackManifest
from ioc.packs.warnings.datasets import datasets as _datasets

__all__ = ["manifest"]


def _indicators() -> list[IndicatorSpec]:
    return []


def _page_router() -> Any:
    from ioc.packs.warnings.pages import router

    return router


def _demo(*args: Any, **kwargs: Any) -> Any:
    from ioc.packs.warnings.demo import load_demo

    return load_demo(*args, **kwargs)


def _auto_drafts(factory: Any, now: datetime) -> str | None:
    from ioc.packs.warnings.sources import auto_drafts_job

    return auto_drafts_job(factory, now)


def _broadcast(factory: Any, now: datetime) -> str | None:
    from ioc.packs.warnings.documents import for_gateway
    from ioc.packs.warnings.gateways import broadcast_job

    return broadcast_job(factory, now, for_gateway)


def manifest() -> PackManifest:
    """The public warnings pack's contributions."""
    return PackManifest(
        name="warnings",
        models="ioc.packs.warnings.models",  # its tables (ioc.models_all)
        datasets=_datasets,  # the open-data catalogue (issue 21)
        title_key="wr.title",
        indicators=_indicators,
        page_router=_page_router,
        nav=(
            NavEntry("/warnings", "wr.nav", "view", "domain"),
            NavEntry("/public/warnings", "wr.nav.public", "public", "public"),
        ),
        demo=_demo,
        alert_rules_file="alert_rules.yaml",
        jobs=(
            ("warnings.auto_drafts", 300.0, _auto_drafts),
            ("warnings.broadcast", 60.0, _broadcast),
        ),
    )
