"""The big screen (màn hình tường): map markers, and the open-alerts tile of the overview."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ioc.core import clock, i18n
from ioc.core.models import Entity
from ioc.core.registry import Tile, TileTrend
from ioc.engines.alerting.models import (
    SEVERITIES,
    Alert,
    Incident,
)
from ioc.engines.alerting.queries.console import severity_counts
from ioc.engines.alerting.queries.rows import SEVERITY_RANK, AlertRow, Marker

# ------------------------------------------------------------------ big screen


def wall_markers(session: Session, alerts: list[AlertRow]) -> list[Marker]:
    """Active stations with a position, each with its open alerts' titles and worst severity."""
    by_station: dict[str, list[AlertRow]] = {}
    for row in alerts:
        if row.station:
            by_station.setdefault(row.station, []).append(row)
    entities = session.execute(
        select(Entity.code, Entity.name, Entity.lat, Entity.lon).where(
            Entity.active.is_(True), Entity.lat.is_not(None), Entity.lon.is_not(None)
        )
    ).all()
    markers = []
    for code, name, lat, lon in entities:
        if lat is None or lon is None:
            continue
        rows = by_station.get(code, [])
        worst = min((r.severity for r in rows), key=lambda s: SEVERITY_RANK.get(s, 9), default=None)
        markers.append(Marker(code, name, lat, lon, worst, [r.summary for r in rows]))
    # Alerting stations last, so they are drawn on top.
    markers.sort(key=lambda m: -SEVERITY_RANK.get(m.severity, 9) if m.severity else -99)
    return markers


# ------------------------------------------------------------------ the overview's and wall's tile

TILE_DAYS = 14  # days of the open-alerts sparkline


def open_alert_counts(session: Session, ends: list[datetime]) -> list[int]:
    """How many alerts were open (started, not yet closed) at each instant of ``ends``."""
    if not ends:
        return []
    first = min(ends)
    rows = session.execute(
        select(Alert.starts_at, Alert.closed_at).where(
            Alert.starts_at <= max(ends),
            or_(Alert.closed_at.is_(None), Alert.closed_at > first),
        )
    ).all()
    return [
        sum(1 for start, closed in rows if start <= end and (closed is None or closed > end))
        for end in ends
    ]


def alerts_tile(session: Session, lang: str, now: datetime | None = None) -> Tile:
    """Cảnh báo đang mở: the open alerts by severity, for the overview and the wall alike (one
    figure, one function), with the open count at the end of each of the last ``TILE_DAYS``
    days as its trend (more open alerts is bad news)."""
    now = now or clock.now()
    counts = severity_counts(session)
    total = sum(counts.values())
    worst = next((s for s in SEVERITIES if counts.get(s)), None)
    status = "bad" if worst in ("critical", "high") else "warn" if worst == "warning" else "ok"
    caption = (
        " · ".join(
            f"{i18n.format_number(counts[s], lang)} "
            f"{i18n.translate(f'alerts.severity.{s}', lang).lower()}"
            for s in SEVERITIES
            if counts.get(s)
        )
        if total
        else i18n.translate("wall.none", lang)
    )
    zone = i18n.display_zone()
    today = datetime.combine(now.astimezone(zone).date(), time(), zone)
    # The end of each past day (midnight), the last one the end of yesterday; then now.
    day_ends = [today - timedelta(days=n) for n in range(TILE_DAYS - 2, -1, -1)]
    history = open_alert_counts(session, day_ends)
    open_incidents = session.execute(
        select(func.count()).select_from(Incident).where(Incident.status == "open")
    ).scalar_one()
    return Tile(
        pack="alerts",
        title=i18n.translate("wall.open_alerts", lang),
        figure=i18n.format_number(total, lang),
        caption=caption,
        status=status,
        href="/alerts",
        lines=(
            f"{i18n.translate('wall.open_incidents', lang)}: "
            f"{i18n.format_number(open_incidents, lang)}",
        ),
        trend=TileTrend(
            values=(*(float(n) for n in history), float(total)),
            period="day",
            better="down",
            label=i18n.translate("trend.label.open_alerts", lang),
        ),
    )
