"""Demo data of the socio-economic pack: yearly targets and two years of monthly/quarterly
figures, submitted by the owning agencies through the submission engine.

ALL FIGURES ARE INVENTED ([demo], số liệu minh họa) at magnitudes plausible for the merged
Đắk Lắk province (Đắk Lắk + Phú Yên, ≈ 3,3 million people, coffee-led exports); they are not
statistics of the province. Targets cite a made-up resolution name marked as demo.

The latest closed month is left incomplete on purpose (one department and about a quarter of
the communes have not submitted) so the status board shows pending and overdue agencies.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ioc.core import audit
from ioc.core.calendar import load_calendar
from ioc.core.models import Indicator
from ioc.engines.sector.demo import demo_data
from ioc.engines.submissions.catalog import AreaBook, Catalog, Obligation
from ioc.engines.submissions.models import SubSubmission, SubTarget
from ioc.engines.submissions.periods import Period, last_closed, local_today, months_of_year
from ioc.engines.submissions.targets import set_target
from ioc.engines.submissions.values import NewValue, store_values

DEMO_NOTE = "Dữ liệu minh họa (demo) — không phải số liệu thống kê chính thức"
DEMO_SOURCE = "[demo] Nghị quyết HĐND tỉnh về kế hoạch phát triển KT-XH năm {year}"
ACTOR = audit.Actor.system("demo")
LATE_DEPARTMENT = "so-noi-vu"

_DATA: Final = demo_data("ioc.packs.socio_economic")
# Monthly shape of flows (sum 12), the cumulative disbursement (% of plan), yearly figures by
# year offset (0 = last year, 1 = this year), quarterly GRDP growth, FDI and unemployment, and
# the yearly targets (last year, this year) — invented, in demo.yaml.
BUDGET_SHAPE: Final[list[float]] = _DATA["budget_shape"]
EXPORT_SHAPE: Final[list[float]] = _DATA["export_shape"]
RETAIL_SHAPE: Final[list[float]] = _DATA["retail_shape"]
DISBURSED_PCT: Final[list[float]] = _DATA["disbursed_pct"]
ENTERPRISE_SHAPE: Final[list[float]] = _DATA["enterprise_shape"]
ANNUAL: Final[dict[str, list[float]]] = _DATA["annual"]
GRDP: Final[list[list[float]]] = _DATA["grdp"]
FDI: Final[list[list[float]]] = _DATA["fdi"]
UNEMPLOYMENT: Final[list[list[float]]] = _DATA["unemployment"]
TARGETS: Final[dict[str, list[float]]] = _DATA["targets"]


def load_demo(
    factory: sessionmaker[Session],
    *,
    end: datetime,
    hours: int = 0,
    offset: int = 7 * 3600,
    progress: Callable[[int], None] | None = None,
    **_: Any,
) -> int:
    """Targets and figures from January of last year to the last closed period before
    ``end``; does nothing (returns 0) when the pack already has targets. Returns how many
    values were stored."""
    from ioc.packs.socio_economic import _indicators

    catalog = Catalog(_indicators())
    with factory() as session, session.begin():
        indicators = catalog.indicator_rows(session)
        if not indicators:
            return 0
        exists = session.execute(
            select(SubTarget.id)
            .where(SubTarget.indicator_id.in_([i.id for i in indicators.values()]))
            .limit(1)
        ).first()
        if exists:
            return 0
        book = AreaBook.load(session)
        calendar = load_calendar(session)
        year = local_today(end).year
        rng = random.Random(66_2026)  # noqa: S311 - demo figures, not security
        weights = {
            a.code: (3.0 if a.level == "ward" else 1.0) * rng.uniform(0.6, 1.4)
            for a in book.communes
        }
        for code, (last, this) in TARGETS.items():
            if code in indicators:
                for y, value in ((year - 1, last), (year, this)):
                    set_target(
                        session,
                        ACTOR,
                        indicator=indicators[code],
                        area_code=book.province.code,
                        year=y,
                        value=value,
                        source_document=DEMO_SOURCE.format(year=y),
                    )
        gen = _Generator(year, rng, weights, book)
        pending: list[tuple[SubSubmission, list[NewValue]]] = []
        for frequency in ("P1M", "P3M", "P1Y"):
            latest = last_closed(frequency, end)
            periods = [
                p for y in (year - 1, year) for p in months_of_year(frequency, y) if p <= latest
            ]
            for period in periods:
                for ob in catalog.obligations(session, period, book):
                    if period == latest and _skips(ob, rng):
                        continue
                    pending.append(_submit(ob, period, gen, indicators, calendar, end, rng))
        session.add_all([sub for sub, _ in pending])
        session.flush()  # one bulk insert gives every submission its id
        values = [
            NewValue(v.indicator, v.area_code, v.period, v.value, submission_id=sub.id)
            for sub, vs in pending
            for v in vs
        ]
        # One write for everything: rollups are recomputed once per series.
        stored = store_values(session, values, changed_by="demo", submission_id=None, offset=offset)
        store_values(
            session,
            _province_values(catalog, values, gen, indicators, book),
            changed_by="demo",
            submission_id=None,
            offset=offset,
            history=False,
        )
        if progress is not None:
            progress(stored)
        return stored


def _skips(ob: Obligation, rng: random.Random) -> bool:
    if ob.agency.kind == "commune_committee":
        return rng.random() < 0.25
    return ob.agency.code == LATE_DEPARTMENT


def _submit(
    ob: Obligation,
    period: Period,
    gen: _Generator,
    indicators: dict[str, Indicator],
    calendar: Any,
    end: datetime,
    rng: random.Random,
) -> tuple[SubSubmission, list[NewValue]]:
    deadline = period.deadline(calendar, 5)
    # Most agencies send a day or three before the deadline, a few after it.
    sent = (
        deadline
        - timedelta(days=rng.uniform(0.5, 4.5))
        + timedelta(days=rng.choice((0, 0, 0, 0, 0, 0, 0, 0, 2, 4)))
    )
    sent = min(sent, end - timedelta(minutes=5))
    values = [
        NewValue(indicators[spec.code], area, period, gen.value(spec.code, area, period))
        for spec in ob.indicators
        for area in ob.areas[spec.code]
        if spec.code in indicators
    ]
    sub = SubSubmission(
        agency_code=ob.agency.code,
        period=period.key,
        file_name=f"mau-so-lieu-{ob.agency.code}-{period.key}.xlsx",
        uploaded_by="demo",
        uploaded_at=sent,
        status="accepted",
        decided_at=sent,
        decided_by="demo",
        note=DEMO_NOTE,
        rows=[],
        errors=[],
        warnings=[],
        values_changed=len(values),
    )
    return sub, values


def _province_values(
    catalog: Catalog,
    values: list[NewValue],
    gen: _Generator,
    indicators: dict[str, Indicator],
    book: AreaBook,
) -> list[NewValue]:
    """Province figures of commune-level indicators: sums of the communes for flows (as the
    engine keeps them on upload), the published rate for poverty."""
    sums: dict[tuple[str, Period], float] = {}
    periods: dict[str, set[Period]] = {}
    for v in values:
        spec = catalog.get(v.indicator.code)
        if spec is None or spec.area_level != "commune":
            continue
        periods.setdefault(spec.code, set()).add(v.period)
        if spec.aggregation == "sum":
            key = (spec.code, v.period)
            sums[key] = sums.get(key, 0.0) + v.value
    out = [
        NewValue(indicators[code], book.province.code, period, total)
        for (code, period), total in sums.items()
    ]
    poverty = "se_poor_household_rate"
    for period in sorted(periods.get(poverty, set())):
        out.append(
            NewValue(indicators[poverty], book.province.code, period, gen.poverty_province(period))
        )
    return out


class _Generator:
    """Invented figures per indicator, area and period (deterministic for a seed)."""

    def __init__(
        self, year: int, rng: random.Random, weights: dict[str, float], book: AreaBook
    ) -> None:
        self.year = year
        self.rng = rng
        self.weights = weights
        self.total_weight = sum(weights.values()) or 1.0
        self.book = book

    def _k(self, period: Period) -> int:
        return 0 if period.year < self.year else 1

    def _noise(self, spread: float) -> float:
        return 1.0 + self.rng.uniform(-spread, spread)

    def value(self, code: str, area: str, period: Period) -> float:
        """The demo figure of ``code`` for ``area`` in ``period``."""
        k, m = self._k(period), period.index
        r = self.rng
        if code == "se_budget_revenue":
            return round(ANNUAL["budget"][k] / 12 * BUDGET_SHAPE[m - 1] * self._noise(0.08), 1)
        if code == "se_public_invest_rate":
            return round(min(100.0, DISBURSED_PCT[m - 1] * self._noise(0.06)), 1)
        if code == "se_public_invest_disbursed":
            step = DISBURSED_PCT[m - 1] - (DISBURSED_PCT[m - 2] if m > 1 else 0)
            return round(ANNUAL["invest_plan"][k] * step / 100 * self._noise(0.1), 1)
        if code == "se_cpi":
            return round(103.1 + 0.4 * k + r.uniform(-0.6, 0.6), 2)
        if code == "se_iip":
            return round(108.2 + 0.8 * k + r.uniform(-2.5, 2.5), 1)
        if code == "se_exports":
            return round(ANNUAL["exports"][k] / 12 * EXPORT_SHAPE[m - 1] * self._noise(0.1), 1)
        if code == "se_imports":
            return round(ANNUAL["imports"][k] / 12 * self._noise(0.15), 1)
        if code == "se_retail_sales":
            return round(ANNUAL["retail"][k] / 12 * RETAIL_SHAPE[m - 1] * self._noise(0.03), 0)
        if code == "se_jobs_created":
            return float(round(ANNUAL["jobs"][k] / 12 * self._noise(0.12)))
        if code == "se_grdp_growth":
            return round(GRDP[k][m - 1] + r.uniform(-0.15, 0.15), 2)
        if code == "se_fdi_registered":
            return round(FDI[k][m - 1] * self._noise(0.2), 1)
        if code == "se_unemployment_urban":
            return round(UNEMPLOYMENT[k][m - 1] + r.uniform(-0.05, 0.05), 2)
        share = self.weights.get(area, 1.0) / self.total_weight
        if code == "se_new_enterprises":
            monthly = ANNUAL["enterprises"][k] / 12 * ENTERPRISE_SHAPE[m - 1]
            return float(max(0, round(monthly * share * self._noise(0.35))))
        if code == "se_commune_budget_revenue":
            base = 6200.0 if self.book.by_code[area].level == "ward" else 1900.0
            shape = BUDGET_SHAPE[m - 1]
            return round(base * shape * (1.08 if k else 1.0) * self._noise(0.3), 0)
        if code == "se_poor_household_rate":
            ward = self.book.by_code[area].level == "ward"
            return round(r.uniform(0.4, 2.8) if ward else r.uniform(2.5, 18.0), 2)
        return 0.0

    def poverty_province(self, period: Period) -> float:
        """Province poverty rate of a year (published, not an average of communes)."""
        return 6.9 if period.year < self.year else 5.6
