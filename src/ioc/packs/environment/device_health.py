"""Device health (Tình trạng thiết bị): last seen, completeness of the last 24 hours, stale flag,
battery and device state, for every monitoring station of the pack."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.core import clock
from ioc.core.models import Entity, Indicator, RollupHour, Series
from ioc.core.series import HOUR

STALE_AFTER_SECONDS = 2 * HOUR
# Stations without hourly parameters (laboratory water sampling, monthly) go silent for weeks.
STALE_AFTER_SAMPLED_SECONDS = 35 * 24 * HOUR
WINDOW_HOURS = 24


@dataclass(frozen=True)
class StationHealth:
    """Health of one station over the last 24 hours."""

    code: str
    name: str
    type: str
    last_seen: int | None  # UNIX seconds of the newest measured value
    series: int  # measured series (one per parameter)
    hours_expected: int
    hours_present: int
    battery: float | None
    state: str | None

    @property
    def completeness(self) -> float | None:
        """Share of expected hourly values present in the last 24 hours (0–1)."""
        return self.hours_present / self.hours_expected if self.hours_expected else None

    @property
    def stale(self) -> bool:
        """No value for more than two hours (35 days for sampled stations), or never."""
        now = int(clock.now().timestamp())
        limit = STALE_AFTER_SECONDS if self.hours_expected else STALE_AFTER_SAMPLED_SECONDS
        return self.last_seen is None or now - self.last_seen > limit

    @property
    def status(self) -> str:
        """``ok`` | ``warn`` | ``alarm``: stale or under 50 % is an alarm, under 90 % a warning."""
        if self.stale:
            return "alarm"
        if self.completeness is None:
            return "ok"  # sampled, not continuous: only silence counts
        if self.completeness < 0.5:
            return "alarm"
        return "warn" if self.completeness < 0.9 else "ok"


def station_health(session: Session, pack: str = "environment") -> list[StationHealth]:
    """Health of every active station of ``pack`` (hourly parameters are expected every hour)."""
    now = int(clock.now().timestamp())
    end = (now // HOUR) * HOUR
    start = end - WINDOW_HOURS * HOUR
    entities = list(
        session.execute(
            select(Entity).where(Entity.pack == pack, Entity.active).order_by(Entity.code)
        ).scalars()
    )
    rows = session.execute(
        select(Series.id, Series.subject_code, Series.latest_ts, Indicator.frequency)
        .join(Indicator, Indicator.id == Series.indicator_id)
        .where(
            Series.subject_kind == "entity",
            Series.subject_code.in_([e.code for e in entities]),
            Indicator.derived.is_(False),
        )
    ).all()
    hourly_ids = [sid for sid, _, _, freq in rows if freq == "PT1H"]
    present: dict[int, int] = {}
    if hourly_ids:
        counts = session.execute(
            select(RollupHour.series_id, func.count())
            .where(
                RollupHour.series_id.in_(hourly_ids),
                RollupHour.bucket >= start,
                RollupHour.bucket < end,
            )
            .group_by(RollupHour.series_id)
        )
        present = {sid: n for sid, n in counts}  # noqa: C416 - Row to tuple
    by_station: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        by_station[row[1]].append(row)
    out = []
    for e in entities:
        series = by_station.get(e.code, [])
        hourly = [r for r in series if r[3] == "PT1H"]
        seen = [r[2] for r in series if r[2] is not None]
        attrs = e.attributes or {}
        battery = attrs.get("batteryLevel")
        out.append(
            StationHealth(
                code=e.code,
                name=e.name,
                type=e.type,
                last_seen=max(seen) if seen else None,
                series=len(series),
                hours_expected=WINDOW_HOURS * len(hourly),
                hours_present=sum(present.get(r[0], 0) for r in hourly),
                battery=float(battery) if isinstance(battery, int | float) else None,
                state=str(attrs["deviceState"]) if "deviceState" in attrs else None,
            )
        )
    return out


SORTS = {
    "health": lambda h: (h.completeness if h.completeness is not None else -1.0, h.code),
    "last_seen": lambda h: (h.last_seen or 0, h.code),
    "code": lambda h: (h.code,),
    "name": lambda h: (h.name,),
}


def sorted_health(items: list[StationHealth], sort: str) -> list[StationHealth]:
    """Sort for the table; ``health`` puts the worst stations first."""
    key = SORTS.get(sort, SORTS["health"])
    return sorted(items, key=key)
