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

from ioc.core.registry import NavEntry, PackManifest, lazy, pack_manifest

__all__ = ["manifest"]


def _broadcast(factory: Any, now: datetime) -> str | None:
    from ioc.packs.warnings.documents import for_gateway
    from ioc.packs.warnings.gateways import broadcast_job

    return broadcast_job(factory, now, for_gateway)


def manifest() -> PackManifest:
    """The public warnings pack's contributions."""
    return pack_manifest(
        __name__,
        "wr.title",
        nav=(
            NavEntry("/warnings", "wr.nav"),
            NavEntry.citizen("/public/warnings", "wr.nav.public"),
        ),
        jobs=(
            ("warnings.auto_drafts", 300.0, lazy(f"{__name__}.sources", "auto_drafts_job")),
            ("warnings.broadcast", 60.0, _broadcast),
        ),
    )
