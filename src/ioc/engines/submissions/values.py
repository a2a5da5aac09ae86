"""Period values of submitted indicators in the series store, and writing them with history.

A value of period P for area A is the observation of series (indicator, ``area``, A) at
P's start (local midnight); it is read back from the month rollup of that month, so pages never
touch raw history. Every write of a value that differs from the stored one adds a
:class:`~ioc.engines.submissions.models.SubValueHistory` row (old, new, who, when, submission).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import clock
from ioc.core.models import Indicator, Series
from ioc.core.series import QUALITY_GOOD, SeriesResolver, read_rollups, write_observations
from ioc.engines.submissions.models import SubValueHistory
from ioc.engines.submissions.periods import Period

SUBJECT = "area"

ValueKey = tuple[str, str, str]
"""(indicator code, area code, period key)."""


def series_ids(
    session: Session, indicators: dict[str, Indicator], pairs: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], int]:
    """Existing series ids of (indicator code, area code) pairs (none are created)."""
    wanted = set(pairs)
    if not wanted:
        return {}
    by_id = {indicators[c].id: c for c, _ in wanted if c in indicators}
    areas = {a for _, a in wanted}
    rows = session.execute(
        select(Series.id, Series.indicator_id, Series.subject_code).where(
            Series.indicator_id.in_(list(by_id)),
            Series.subject_kind == SUBJECT,
            Series.subject_code.in_(list(areas)),
        )
    )
    out: dict[tuple[str, str], int] = {}
    for sid, ind_id, area in rows:
        key = (by_id[ind_id], area)
        if key in wanted:
            out[key] = sid
    return out


def read_values(
    session: Session,
    indicators: dict[str, Indicator],
    pairs: Iterable[tuple[str, str]],
    periods: Sequence[Period],
    offset: int,
) -> dict[ValueKey, float]:
    """Stored values ``{(indicator, area, period key): value}`` from the month rollups."""
    sids = series_ids(session, indicators, pairs)
    if not sids or not periods:
        return {}
    by_ts = {p.ts(offset): p for p in periods}
    lo, hi = min(by_ts), max(by_ts) + 1
    buckets = read_rollups(session.connection(), "month", sids.values(), lo, hi)
    back = {sid: key for key, sid in sids.items()}
    out: dict[ValueKey, float] = {}
    for sid, items in buckets.items():
        code, area = back[sid]
        for b in items:
            period = by_ts.get(b.start)
            if period is not None:
                out[(code, area, period.key)] = b.last
    return out


@dataclass(frozen=True)
class NewValue:
    """A value to store: indicator row, area, period, value (and, for bulk loads, the
    submission it came from when not the one given to :func:`store_values`)."""

    indicator: Indicator
    area_code: str
    period: Period
    value: float
    submission_id: int | None = None


def store_values(
    session: Session,
    values: Sequence[NewValue],
    *,
    changed_by: str,
    submission_id: int | None,
    offset: int,
    history: bool = True,
) -> int:
    """Write ``values`` into the series store (a stored value for the same period is replaced)
    and record each change in the history; unchanged values are skipped. Returns how many
    values changed. The caller's transaction commits."""
    if not values:
        return 0
    indicators = {v.indicator.code: v.indicator for v in values}
    periods = sorted({v.period for v in values})
    old = read_values(
        session, indicators, {(v.indicator.code, v.area_code) for v in values}, periods, offset
    )
    resolver = SeriesResolver(session)
    rows: list[tuple[int, int, float, int]] = []
    label_end: dict[int, bool] = {}
    now = clock.now()
    changed = 0
    notes: list[SubValueHistory] = []
    for v in values:
        before = old.get((v.indicator.code, v.area_code, v.period.key))
        if before is not None and before == v.value:
            continue
        info = resolver.get(v.indicator, SUBJECT, v.area_code)
        rows.append((info.id, v.period.ts(offset), v.value, QUALITY_GOOD))
        label_end[info.id] = info.label_end
        changed += 1
        if history:
            notes.append(
                SubValueHistory(
                    submission_id=v.submission_id or submission_id,
                    indicator_id=v.indicator.id,
                    area_code=v.area_code,
                    period=v.period.key,
                    old_value=before,
                    new_value=v.value,
                    changed_by=changed_by,
                    changed_at=now,
                )
            )
    # Added after the series are resolved: pending rows would be flushed by every lookup.
    session.add_all(notes)
    write_observations(session, rows, label_end, offset)
    session.flush()
    return changed


def history_of(
    session: Session,
    *,
    indicator_ids: Sequence[int] | None = None,
    area_code: str | None = None,
    period: str | None = None,
    submission_id: int | None = None,
    limit: int = 200,
) -> list[SubValueHistory]:
    """Value changes, newest first, filtered."""
    stmt = select(SubValueHistory)
    if indicator_ids is not None:
        stmt = stmt.where(SubValueHistory.indicator_id.in_(list(indicator_ids)))
    if area_code is not None:
        stmt = stmt.where(SubValueHistory.area_code == area_code)
    if period is not None:
        stmt = stmt.where(SubValueHistory.period == period)
    if submission_id is not None:
        stmt = stmt.where(SubValueHistory.submission_id == submission_id)
    stmt = stmt.order_by(SubValueHistory.changed_at.desc(), SubValueHistory.id.desc()).limit(limit)
    return list(session.execute(stmt).scalars())
