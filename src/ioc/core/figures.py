"""Reading a pack's monthly figures from the series store (month rollups and latest values
only, never raw history)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ioc.core import clock, i18n
from ioc.core.models import Indicator, Series
from ioc.core.series import month_bucket, next_month, read_rollups


def offset() -> int:
    """Vietnam's UTC offset in seconds."""
    return clock.fixed_offset_seconds()


def last_months(now_ts: int, count: int) -> list[int]:
    """Starts of the ``count`` complete local months before the running one, oldest first."""
    off = offset()
    current = month_bucket(now_ts, off)
    months = [current]
    for _ in range(count):
        local = datetime.fromtimestamp(months[-1] + off, tz=UTC)
        year, month = (local.year - 1, 12) if local.month == 1 else (local.year, local.month - 1)
        months.append(int(datetime(year, month, 1, tzinfo=UTC).timestamp()) - off)
    return sorted(months[1:])


def month_label(start: int) -> str:
    """``2026-02-01T00:00:00+07:00`` for a month bucket: the chart helpers read ISO times, and a
    point at a month's first midnight in Vietnam makes the chart name months (``T2/2026``)."""
    off = offset()
    local = datetime.fromtimestamp(start + off, tz=UTC).date().isoformat()
    sign = "+" if off >= 0 else "-"
    return f"{local}T00:00:00{sign}{abs(off) // 3600:02d}:{abs(off) % 3600 // 60:02d}"


def month_text(start: int) -> str:
    """``02/2026`` for a month bucket."""
    return datetime.fromtimestamp(start + offset(), tz=UTC).strftime("%m/%Y")


def month_name(start: int, lang: str) -> str:
    """``T2/2026`` (``Feb 2026`` in English) for a month bucket: chart categories and legends."""
    local = datetime.fromtimestamp(start + offset(), tz=UTC)
    return i18n.format_month(local.year, local.month, lang)


def series_of(
    session: Session, indicators: Iterable[str], subject_kind: str
) -> dict[str, dict[str, Series]]:
    """``{indicator: {subject code: Series}}`` of the given indicators."""
    out: dict[str, dict[str, Series]] = defaultdict(dict)
    rows = session.execute(
        select(Indicator.code, Series)
        .join(Indicator, Indicator.id == Series.indicator_id)
        .where(Indicator.code.in_(list(indicators)), Series.subject_kind == subject_kind)
    )
    for code, series in rows:
        out[code][series.subject_code] = series
    return out


def entity_series(codes: Iterable[str], indicators: Iterable[str], *columns: Any) -> Select[Any]:
    """``SELECT columns`` (of :class:`Series` first, then :class:`Indicator`) over the series of
    the entities ``codes`` for the indicators ``indicators`` (codes)."""
    return (
        select(*columns)
        .join(Indicator, Indicator.id == Series.indicator_id)
        .where(
            Series.subject_kind == "entity",
            Series.subject_code.in_(list(codes)),
            Indicator.code.in_(list(indicators)),
        )
    )


def monthly(
    session: Session, series: Iterable[Series], months: list[int]
) -> dict[int, dict[int, tuple[float, float]]]:
    """``{series id: {month start: (total, mean)}}`` over ``months``."""
    ids = [s.id for s in series]
    if not ids or not months:
        return {}
    off = offset()
    found = read_rollups(session.connection(), "month", ids, months[0], next_month(months[-1], off))
    return {
        sid: {b.start: (b.mean * b.n, b.mean) for b in buckets} for sid, buckets in found.items()
    }


def month_sum(session: Session, series: dict[str, Series], months: list[int]) -> list[float | None]:
    """Per month, the sum over subjects of a summed indicator (``None``: nobody reported)."""
    data = monthly(session, series.values(), months)
    out: list[float | None] = []
    for m in months:
        values = [data[s.id][m][0] for s in series.values() if m in data.get(s.id, {})]
        out.append(sum(values) if values else None)
    return out


def month_weighted(
    session: Session,
    series: dict[str, Series],
    weights: dict[str, float],
    months: list[int],
) -> list[float | None]:
    """Per month, the weighted mean over subjects of an averaged indicator."""
    data = monthly(session, series.values(), months)
    out: list[float | None] = []
    for m in months:
        num = den = 0.0
        for subject, s in series.items():
            point = data.get(s.id, {}).get(m)
            weight = weights.get(subject, 0.0)
            if point is not None and weight > 0:
                num += point[1] * weight
                den += weight
        out.append(round(num / den, 1) if den else None)
    return out


def latest_of(series: dict[str, Series]) -> dict[str, float]:
    """Newest value per subject."""
    return {k: float(s.latest_value) for k, s in series.items() if s.latest_value is not None}
