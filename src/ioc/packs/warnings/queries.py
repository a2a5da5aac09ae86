"""Reads of the public warnings pack shared by the pages, the feeds and the actions."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.packs.warnings.hazards import SEVERITIES
from ioc.packs.warnings.models import PUBLISHED, WrWarning, WrWarningArea


def areas_of(session: Session, ids: Iterable[int]) -> dict[int, list[str]]:
    """``{warning id: [commune codes]}``."""
    wanted = list(set(ids))
    found: dict[int, list[str]] = {i: [] for i in wanted}
    if not wanted:
        return found
    for wid, code in session.execute(
        select(WrWarningArea.warning_id, WrWarningArea.area_code)
        .where(WrWarningArea.warning_id.in_(wanted))
        .order_by(WrWarningArea.area_code)
    ):
        found[wid].append(code)
    return found


def reference_chain(session: Session, message: WrWarning) -> list[WrWarning]:
    """The earlier messages ``message`` follows, oldest first."""
    chain: list[WrWarning] = []
    seen = {message.id}
    ref = message.references_id
    while ref is not None and ref not in seen:
        earlier = session.get(WrWarning, ref)
        if earlier is None:
            break
        chain.append(earlier)
        seen.add(earlier.id)
        ref = earlier.references_id
    chain.reverse()
    return chain


def current(session: Session, now: datetime, area: str | None = None) -> list[WrWarning]:
    """Published alerts and updates not yet expired, superseded or cancelled (in force or
    about to be), most serious first; only those covering ``area`` when given."""
    query = select(WrWarning).where(
        WrWarning.state == PUBLISHED,
        WrWarning.msg_type.in_(("Alert", "Update")),
        WrWarning.superseded_by_id.is_(None),
        WrWarning.expires_at > now,
    )
    if area is not None:
        query = query.join(WrWarningArea, WrWarningArea.warning_id == WrWarning.id).where(
            WrWarningArea.area_code == area
        )
    rows = list(session.scalars(query))
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    rows.sort(key=lambda w: (rank.get(w.severity, 9), -w.effective_at.timestamp()))
    return rows


def recent_cancels(session: Session, now: datetime, hours: int = 24) -> list[WrWarning]:
    """Cancel messages published in the last ``hours`` (the feed keeps them so that relays
    hear of the cancellation)."""
    return list(
        session.scalars(
            select(WrWarning).where(
                WrWarning.state == PUBLISHED,
                WrWarning.msg_type == "Cancel",
                WrWarning.approved_at >= now - timedelta(hours=hours),
            )
        )
    )


def by_identifier(session: Session, identifier: str) -> WrWarning | None:
    """A message by its CAP identifier."""
    return session.scalars(select(WrWarning).where(WrWarning.identifier == identifier)).first()
