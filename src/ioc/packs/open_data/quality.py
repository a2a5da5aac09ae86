"""The four quality figures of a dataset — sống, đủ, sạch, đúng (1709/BKHCN-CĐSQG) — over the
last 30 days, computed from the inputs a dataset gives (:class:`DatasetQuality`).

* **sống** (live): the newest record against the expected interval (the dataset's
  ``frequency``), judged by :mod:`ioc.core.freshness` exactly as the data-intake tile judges a
  series: 1 when on time, otherwise ``interval × grace ÷ age`` (0.5 when twice as late as
  allowed), 0 when nothing was ever recorded; not applicable to irregular datasets.
* **đủ** (complete): records present ÷ records expected over the window (each series: one
  record per interval of its indicator; record datasets: required fields filled).
* **sạch** (clean): 1 − refused ÷ (accepted + refused), where refused counts dead letters and
  rows flagged bad over the window.
* **đúng** (correct): rows passing the range and consistency checks ÷ rows checked.

A figure is ``None`` when it cannot be measured (no row checked …) and is then not shown as a
fault. Levels: ``good`` ≥ 95 %, ``warn`` ≥ 80 %, ``bad`` below; the dataset's level is its
worst figure's.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from ioc.core import freshness
from ioc.core.models import DeadLetter, Entity, Indicator, Observation, Series
from ioc.core.registry import DatasetQuality
from ioc.engines.actions_kit import same_named

WINDOW = timedelta(days=30)
GOOD = 0.95
WARN = 0.80
IRREGULAR = "irregular"
FIGURES = ("song", "du", "sach", "dung")
# Dead letters read per request to attribute them to datasets (newest first).
DEAD_LETTER_CAP = 20000


@dataclass(frozen=True)
class Figures:
    """The four figures (0–1, or None when not measured) and what they were computed from."""

    song: float | None
    du: float | None
    sach: float | None
    dung: float | None
    latest: datetime | None
    age_s: int | None
    inputs: DatasetQuality

    def level(self, name: str) -> str:
        """``good``, ``warn``, ``bad`` or ``none`` for figure ``name``."""
        return level_of(getattr(self, name))

    @property
    def score(self) -> float:
        """The worst measured figure (1.0 when none is measured): the catalogue's sort key."""
        values = [v for v in (self.song, self.du, self.sach, self.dung) if v is not None]
        return min(values) if values else 1.0

    @property
    def overall(self) -> str:
        """The level of the worst figure."""
        values = [v for v in (self.song, self.du, self.sach, self.dung) if v is not None]
        return level_of(min(values)) if values else "none"

    def as_dict(self) -> dict[str, Any]:
        """The figures as JSON-ready values (percentages rounded to 0.1)."""
        return {
            "song": _pct(self.song),
            "du": _pct(self.du),
            "sach": _pct(self.sach),
            "dung": _pct(self.dung),
            "level": self.overall,
            "latest": self.latest.isoformat() if self.latest else None,
            "age_seconds": self.age_s,
        }


_ttl = 0.0
_cache: dict[tuple[str, str], tuple[float, Figures]] = {}
_lock = threading.Lock()


def configure(seconds: float) -> None:
    """How long figures are reused across requests (``IOC_TILE_CACHE_SECONDS``; 0: never).
    Counting 30 days of a big series store is not free, and the catalogue, the CKAN API and
    every badge ask for the same figures."""
    global _ttl
    _ttl = max(0.0, float(seconds))
    with _lock:
        _cache.clear()


def cached(key: tuple[str, str]) -> Figures | None:
    """Figures computed less than the configured time ago, if any."""
    if _ttl <= 0:
        return None
    with _lock:
        hit = _cache.get(key)
    if hit is None or hit[0] < time.monotonic():
        return None
    return hit[1]


def keep(key: tuple[str, str], value: Figures) -> None:
    """Remember ``value`` for the configured time."""
    if _ttl > 0:
        with _lock:
            _cache[key] = (time.monotonic() + _ttl, value)


def _pct(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 1)


def level_of(value: float | None) -> str:
    """The badge level of a 0–1 figure."""
    if value is None:
        return "none"
    return "good" if value >= GOOD else "warn" if value >= WARN else "bad"


def figures(
    inputs: DatasetQuality, frequency: str, now: datetime, time_label: str = "end"
) -> Figures:
    """The four figures of a dataset of ``frequency`` from its ``inputs`` at ``now``."""
    song: float | None
    age: int | None = None
    now_ts = int(now.timestamp())
    latest_ts = int(inputs.latest.timestamp()) if inputs.latest else None
    policy = freshness.policy()
    interval = (
        None
        if frequency == IRREGULAR
        else freshness.interval_seconds(frequency, policy.sampled_days)
    )
    if interval is None:
        song = None
        if latest_ts is not None:
            age = max(0, now_ts - latest_ts)
    elif latest_ts is None:
        song = 0.0
    else:
        known_at = (
            latest_ts + interval
            if time_label == "start" and frequency != freshness.SAMPLED
            else latest_ts
        )
        age = max(0, now_ts - latest_ts)
        if freshness.is_fresh(
            frequency,
            time_label,
            latest_ts,
            now_ts,
            grace=policy.grace,
            sampled_days=policy.sampled_days,
        ):
            song = 1.0
        else:
            song = min(1.0, interval * policy.grace / max(1, now_ts - known_at))
    du = (
        None
        if not inputs.expected or inputs.present is None
        else min(1.0, inputs.present / inputs.expected)
    )
    seen = inputs.accepted + inputs.refused
    sach = None if seen == 0 else 1.0 - inputs.refused / seen
    dung = None if inputs.checked == 0 else inputs.passed / inputs.checked
    return Figures(song, du, sach, dung, inputs.latest, age, inputs)


# --- series (indicator catalogs, entities) -------------------------------------------------


def dead_letters(session: Session, now: datetime) -> list[tuple[str, str]]:
    """(topic, payload) of the dead letters of the last 30 days, read once per session."""
    key = ("open_data.dead_letters", int(now.timestamp()) // 60)
    cached = session.info.get(key)
    if cached is None:
        cached = [
            (t or "", p or "")
            for t, p in session.execute(
                select(DeadLetter.topic, DeadLetter.payload)
                .where(DeadLetter.received_at >= now - WINDOW)
                .order_by(DeadLetter.received_at.desc())
                .limit(DEAD_LETTER_CAP)
            )
        ]
        session.info[key] = cached
    return list(cached)


def count_dead_letters(session: Session, now: datetime, needles: set[str]) -> int:
    """Dead letters of the last 30 days that name one of ``needles`` (indicator codes,
    station codes …) in their topic or payload."""
    if not needles:
        return 0
    found = 0
    for topic, payload in dead_letters(session, now):
        text = topic + "\n" + payload
        if any(n in text for n in needles):
            found += 1
    return found


def _range(ind: Indicator) -> tuple[float | None, float | None]:
    low, high = ind.min_value, ind.max_value
    if ind.unit == "%":
        low = 0.0 if low is None else low
        high = 100.0 if high is None else high
    return low, high


@dataclass
class _Tally:
    """What the :class:`DatasetQuality` of a dataset's series is computed from, added up series
    by series: the time of the newest value (UNIX seconds) and the counts over the window."""

    latest: int | None = None
    expected: int = 0
    present: int = 0
    accepted: int = 0
    refused: int = 0
    checked: int = 0
    passed: int = 0

    def saw(self, ts: int) -> None:
        """Keep ``ts`` as the newest value's time when it is newer."""
        self.latest = ts if self.latest is None else max(self.latest, ts)

    def inputs(self, zone: tzinfo | None) -> DatasetQuality:
        """The quality inputs, times in ``zone`` (completeness is not measured when no value
        was expected)."""
        when = None if self.latest is None else datetime.fromtimestamp(self.latest, tz=zone)
        return DatasetQuality(
            latest=when,
            expected=self.expected or None,
            present=self.present if self.expected else None,
            **same_named(self, "refused accepted checked passed"),
        )


def series_quality(
    session: Session,
    indicator_codes: list[str],
    now: datetime,
    *,
    entity_codes: set[str] | None = None,
) -> tuple[DatasetQuality, str, str]:
    """Quality inputs of the series of ``indicator_codes`` (optionally only those about
    ``entity_codes``), and the frequency and time label the dataset is judged by (those of the
    most frequent indicator that has a series)."""
    policy = freshness.policy()
    inds = list(
        session.execute(select(Indicator).where(Indicator.code.in_(indicator_codes))).scalars()
    )
    by_id = {i.id: i for i in inds}
    stmt = select(
        Series.id, Series.indicator_id, Series.subject_code, Series.subject_kind, Series.latest_ts
    ).where(Series.indicator_id.in_(list(by_id)))
    rows = list(session.execute(stmt))
    if entity_codes is not None:
        rows = [r for r in rows if r.subject_kind == "entity" and r.subject_code in entity_codes]
    now_ts = int(now.timestamp())
    tally = _Tally()
    per_indicator: dict[int, list[int]] = defaultdict(list)
    for r in rows:
        per_indicator[r.indicator_id].append(r.id)
        if r.latest_ts is not None and r.latest_ts <= now_ts:
            tally.saw(r.latest_ts)
    best: tuple[int, str, str] | None = None
    for ind_id, ids in per_indicator.items():
        ind = by_id[ind_id]
        interval = freshness.interval_seconds(ind.frequency, policy.sampled_days)
        if interval is None:
            continue
        if best is None or interval < best[0]:
            best = (interval, ind.frequency, ind.time_label)
        _tally_indicator(session, ind, ids, interval, now_ts, tally)
    needles = set(indicator_codes) if entity_codes is None else set(entity_codes)
    tally.refused += count_dead_letters(session, now, needles)
    frequency, label = (best[1], best[2]) if best else ("P1D", "end")
    return tally.inputs(now.tzinfo), frequency, label


def _tally_indicator(
    session: Session, ind: Indicator, ids: list[int], interval: int, now_ts: int, tally: _Tally
) -> None:
    """Add the series ``ids`` of one indicator to ``tally``: values expected over the window
    (one per ``interval`` since the window's start, or since a series' first value), present,
    checked (in range, not flagged) and refused (flagged bad)."""
    span = max(int(WINDOW.total_seconds()), interval)
    shift = interval if ind.time_label == "start" and ind.frequency != freshness.SAMPLED else 0
    hi = now_ts - shift + 1
    lo = hi - span
    low, high = _range(ind)
    ok = Observation.quality == 0
    if low is not None:
        ok = and_(ok, Observation.value >= low)
    if high is not None:
        ok = and_(ok, Observation.value <= high)
    stats = session.execute(
        select(
            Observation.series_id,
            func.count(),
            func.sum(case((ok, 1), else_=0)),
            func.sum(case((Observation.quality >= 2, 1), else_=0)),
            func.min(Observation.ts),
        )
        .where(Observation.series_id.in_(ids), Observation.ts >= lo, Observation.ts < hi)
        .group_by(Observation.series_id)
    ).all()
    firsts = dict(
        session.execute(
            select(Observation.series_id, func.min(Observation.ts))
            .where(Observation.series_id.in_(ids))
            .group_by(Observation.series_id)
        ).all()
    )
    counted = {sid: (n, good, bad) for sid, n, good, bad, _ in stats}
    for sid in ids:
        first = firsts.get(sid)
        if first is None:  # a series that never reported misses the whole window
            tally.expected += max(1, span // interval)
            continue
        start = max(lo, int(first))
        want = max(1, -(-(hi - start) // interval))  # ceil: a value per interval
        n, good, bad = counted.get(sid, (0, 0, 0))
        tally.expected += want
        tally.present += min(want, int(n or 0))
        tally.checked += int(n or 0)
        tally.passed += int(good or 0)
        tally.refused += int(bad or 0)
        tally.accepted += int(n or 0) - int(bad or 0)


def entities_quality(
    session: Session, entity_types: tuple[str, ...], indicator_codes: list[str], now: datetime
) -> tuple[DatasetQuality, str, str]:
    """Quality of a register of entities (stations, cameras …): sống and sạch from their
    series; đủ = active entities whose series are on time ÷ active entities; đúng = entities
    with a location placed in a commune ÷ entities."""
    entities = list(session.execute(select(Entity).where(Entity.type.in_(entity_types))).scalars())
    codes = {e.code for e in entities}
    base, frequency, label = series_quality(session, indicator_codes, now, entity_codes=codes)
    active = [e for e in entities if e.active]
    fresh_codes: set[str] = set()
    if active:
        rows = session.execute(
            select(Series.subject_code, Series.latest_ts, Indicator.frequency, Indicator.time_label)
            .join(Indicator, Indicator.id == Series.indicator_id)
            .where(
                Series.subject_kind == "entity", Series.subject_code.in_([e.code for e in active])
            )
        )
        now_ts = int(now.timestamp())
        for code, ts, freq, tl in rows:
            if freshness.on_time(freq, tl, ts, now_ts):
                fresh_codes.add(code)
    located = [e for e in entities if e.lat is not None and e.lon is not None and e.area_code]
    return (
        DatasetQuality(
            latest=base.latest,
            expected=len(active) or None,
            present=len(fresh_codes) if active else None,
            refused=base.refused,
            accepted=base.accepted,
            checked=len(entities),
            passed=len(located),
        ),
        frequency,
        label,
    )
