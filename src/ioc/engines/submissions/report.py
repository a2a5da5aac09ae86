"""Plan vs actual for pages: stored period values (month rollups) and targets turned into
:class:`~ioc.engines.submissions.progress.Progress` rows, for any pack's indicators."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from ioc.core.indicators import IndicatorSpec
from ioc.engines.submissions import progress as pg
from ioc.engines.submissions.catalog import Catalog
from ioc.engines.submissions.periods import Period, months_of_year
from ioc.engines.submissions.targets import targets_for
from ioc.engines.submissions.values import read_values


@dataclass(frozen=True)
class Row:
    """One indicator in one area for one year: monthly figures, last year's and the progress."""

    spec: IndicatorSpec
    area_code: str
    year: int
    values: dict[int, float]
    last_year: dict[int, float]
    progress: pg.Progress
    source_document: str

    @property
    def latest(self) -> tuple[Period, float] | None:
        """The latest period with a value this year, and its value."""
        if not self.values:
            return None
        month = max(self.values)
        return _period_ending(self.spec.frequency, self.year, month), self.values[month]

    def trend(self) -> list[tuple[Period, float]]:
        """Last year's and this year's values in time order (for charts)."""
        out = [
            (_period_ending(self.spec.frequency, self.year - 1, m), v)
            for m, v in sorted(self.last_year.items())
        ]
        out += [
            (_period_ending(self.spec.frequency, self.year, m), v)
            for m, v in sorted(self.values.items())
        ]
        return out


def _period_ending(frequency: str, year: int, month: int) -> Period:
    if frequency == "P1M":
        return Period("P1M", year, month)
    if frequency == "P3M":
        return Period("P3M", year, (month - 1) // 3 + 1)
    return Period("P1Y", year, 1)


def progress_rows(
    session: Session,
    catalog: Catalog,
    codes: Sequence[str],
    areas: Sequence[str],
    year: int,
    *,
    through_month: int = 12,
    offset: int,
    warn_ratio: float = 0.9,
) -> dict[tuple[str, str], Row]:
    """Rows for every (indicator code, area) of ``codes`` × ``areas`` that the catalog knows."""
    indicators = catalog.indicator_rows(session)
    specs = [catalog.specs[c] for c in codes if c in catalog.specs and c in indicators]
    if not specs:
        return {}
    targets = targets_for(session, year, [indicators[s.code].id for s in specs])
    out: dict[tuple[str, str], Row] = {}
    for frequency in sorted({s.frequency for s in specs}):
        group = [s for s in specs if s.frequency == frequency]
        periods = months_of_year(frequency, year - 1) + months_of_year(frequency, year)
        pairs = {(s.code, a) for s in group for a in areas}
        stored = read_values(session, indicators, pairs, periods, offset)
        by_key = {p.key: p for p in periods}
        for spec in group:
            for area in areas:
                this: dict[int, float] = {}
                last: dict[int, float] = {}
                for period_key, period in by_key.items():
                    value = stored.get((spec.code, area, period_key))
                    if value is None:
                        continue
                    (this if period.year == year else last)[period.last_month] = value
                target = targets.get((indicators[spec.code].id, area))
                out[(spec.code, area)] = Row(
                    spec=spec,
                    area_code=area,
                    year=year,
                    values=this,
                    last_year=last,
                    progress=pg.progress(
                        this,
                        last,
                        aggregation=spec.aggregation,
                        direction=spec.direction,
                        target=target.value if target else None,
                        through_month=through_month,
                        warn_ratio=warn_ratio,
                        forecast=spec.forecast,
                    ),
                    source_document=target.source_document if target else "",
                )
    return out
