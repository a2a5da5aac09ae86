"""Field-report statistics: volumes, timeliness and citizens' verdicts, per category, commune
and agency, for a period; also the heat map grid and the overview tile's figures.

Definitions (each figure counts what happened in the period, in Vietnam time):

* **received** — reports received in the period (``received_at``); "still open" and the heat
  map are about these reports;
* **answered** — reports whose (latest) answer by the handling agency was given in the period
  (``answered_at``; rejections at intake and merged duplicates are not answers);
* **on-time rate** — answered on time / answered, where on time means ``answered_at`` is not
  after the handling deadline ``due_at`` (hạn xử lý, Open311 ``expected_datetime``: counted from
  receipt, restarted by a transfer, supplied information or a reopen). field-reports.md gives no
  formula; this is the Bộ chỉ số 766 indicator 5.2 reading "handled within the time limit";
* **median handling time** — median of whole working days (``ioc.core.calendar``) from receipt
  to answer over the answered reports;
* **fixed rate** — answers with resolution ``fixed`` / answered (closed is not fixed);
* **satisfaction** and **really fixed** — the reporters' verdicts: satisfied / rated and
  "really fixed" / rated, over reports rated in the period (``rated_at``);
* **overdue now** — reports whose current step is past its deadline at the time of viewing,
  by holder (``deadlines``), whatever the period.

A rate over fewer than :data:`MIN_N` reports is flagged ``low_n`` (small samples make
misleading rankings, FixMyStreet #1957). Agencies are the handling agency of each report
(``(chưa giao)`` before assignment). Nothing here reads the reporter's identity.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import clock, i18n
from ioc.core.calendar import WorkingCalendar, load_calendar
from ioc.core.models import Agency, Area
from ioc.engines import actions_kit
from ioc.engines.actions_kit import RateOf
from ioc.engines.exports import Table
from ioc.packs.field_reports import deadlines
from ioc.packs.field_reports.errors import FieldReportError
from ioc.packs.field_reports.models import Category, Report

__all__ = [
    "GROUPINGS",
    "MIN_N",
    "PERIOD_KINDS",
    "Period",
    "Rate",
    "Row",
    "Stats",
    "TileFigures",
    "compute",
    "export_table",
    "parse_period",
    "tile_figures",
]

PERIOD_KINDS = ("month", "quarter", "year", "custom")
GROUPINGS = ("category", "area", "agency")
MIN_N = 5
MAX_CUSTOM_DAYS = 1096  # three years: a wider custom range is refused
HEAT_CELL_DEG = 0.01  # about 1.1 km: fine enough for hot spots, too coarse to point at a house
NO_AGENCY = ""


# --- periods ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A reporting period: local dates ``start`` to ``end`` inclusive."""

    kind: str
    start: date
    end: date

    def bounds(self) -> tuple[datetime, datetime]:
        """UTC instants: start of ``start`` (inclusive), start of the day after ``end``
        (exclusive)."""
        zone = clock.local_zone()
        begin = datetime.combine(self.start, time(0), zone).astimezone(UTC)
        stop = datetime.combine(self.end + timedelta(days=1), time(0), zone).astimezone(UTC)
        return begin, stop

    def label(self, lang: str) -> str:
        """Human label: "Tháng 03/2026", "Quý 1/2026", "Năm 2026", "01/01/2026 – 10/03/2026"."""
        if self.kind == "month":
            return i18n.translate(
                "frs.period.month_label", lang, m=f"{self.start:%m}", y=self.start.year
            )
        if self.kind == "quarter":
            q = (self.start.month - 1) // 3 + 1
            return i18n.translate("frs.period.quarter_label", lang, q=q, y=self.start.year)
        if self.kind == "year":
            return i18n.translate("frs.period.year_label", lang, y=self.start.year)
        return f"{i18n.format_date(self.start, lang)} – {i18n.format_date(self.end, lang)}"

    def params(self) -> dict[str, str]:
        """Query parameters that select this period again (for links and exports)."""
        if self.kind == "month":
            return {"period": "month", "month": f"{self.start:%Y-%m}"}
        if self.kind == "quarter":
            q = (self.start.month - 1) // 3 + 1
            return {"period": "quarter", "quarter": f"{self.start.year}-Q{q}"}
        if self.kind == "year":
            return {"period": "year", "year": str(self.start.year)}
        return {"period": "custom", "from": self.start.isoformat(), "to": self.end.isoformat()}


def _month_end(year: int, month: int) -> date:
    nxt = date(year + month // 12, month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def _bad(field: str, vi: str, en: str) -> FieldReportError:
    return FieldReportError(vi, en, field=field)


def parse_period(params: Mapping[str, str | None], today: date) -> Period:
    """The period of the query ``params`` (``period`` = month|quarter|year|custom with
    ``month`` YYYY-MM, ``quarter`` YYYY-Qn, ``year`` YYYY, or ``from``/``to`` YYYY-MM-DD);
    default: the current month. Raises FieldReportError naming the bad field."""

    def get(name: str) -> str:
        return (params.get(name) or "").strip()

    kind = get("period") or "month"
    if kind not in PERIOD_KINDS:
        raise _bad("period", "Kỳ thống kê không hợp lệ", "Invalid period")
    if kind == "month":
        raw = get("month") or f"{today:%Y-%m}"
        m = re.fullmatch(r"(\d{4})-(\d{1,2})", raw)
        if not m or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) < 2000:
            raise _bad("month", "Tháng không hợp lệ (dạng 2026-03)", "Invalid month (YYYY-MM)")
        y, mo = int(m.group(1)), int(m.group(2))
        return Period("month", date(y, mo, 1), _month_end(y, mo))
    if kind == "quarter":
        raw = get("quarter") or f"{today.year}-Q{(today.month - 1) // 3 + 1}"
        m = re.fullmatch(r"(\d{4})-?[Qq]([1-4])", raw)
        if not m or int(m.group(1)) < 2000:
            raise _bad("quarter", "Quý không hợp lệ (dạng 2026-Q1)", "Invalid quarter (YYYY-Qn)")
        y, q = int(m.group(1)), int(m.group(2))
        return Period("quarter", date(y, 3 * q - 2, 1), _month_end(y, 3 * q))
    if kind == "year":
        raw = get("year") or str(today.year)
        if not re.fullmatch(r"\d{4}", raw) or int(raw) < 2000:
            raise _bad("year", "Năm không hợp lệ", "Invalid year")
        return Period("year", date(int(raw), 1, 1), date(int(raw), 12, 31))
    try:
        start = date.fromisoformat(get("from"))
    except ValueError as exc:
        raise _bad("from", "Ngày bắt đầu không hợp lệ", "Invalid start date") from exc
    try:
        end = date.fromisoformat(get("to")) if get("to") else today
    except ValueError as exc:
        raise _bad("to", "Ngày kết thúc không hợp lệ", "Invalid end date") from exc
    if end < start:
        raise _bad("to", "Ngày kết thúc phải sau ngày bắt đầu", "The end is before the start")
    if (end - start).days > MAX_CUSTOM_DAYS:
        raise _bad("to", "Khoảng thời gian tối đa 3 năm", "The range may span at most 3 years")
    return Period("custom", start, end)


# --- figures ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rate(actions_kit.Rate):
    """``hits`` out of ``total``; ``value`` in percent to one decimal (None without data)."""

    @property
    def value(self) -> float | None:
        """The percentage to one decimal, or None when nothing was counted."""
        share = super().value
        return None if share is None else round(share, 1)

    @property
    def low_n(self) -> bool:
        """True when the rate rests on fewer than MIN_N reports."""
        return 0 < self.total < MIN_N


@dataclass
class Row:
    """The figures of one group (a category, commune, agency, or everything)."""

    key: str
    name: str
    received: int = 0
    still_open: int = 0
    overdue_now: int = 0
    answered: int = 0
    on_time: int = 0
    days: list[int] = field(default_factory=list)
    fixed: int = 0
    rated: int = 0
    satisfied: int = 0
    really_fixed: int = 0

    on_time_rate = RateOf(
        Rate, "on_time", "answered", "Answered by the handling deadline / answered."
    )
    fixed_rate = RateOf(Rate, "fixed", "answered", "Answers saying fixed / answered.")
    satisfaction = RateOf(Rate, "satisfied", "rated", "Satisfied reporters / rated.")
    really_fixed_rate = RateOf(
        Rate, "really_fixed", "rated", "Reporters confirming the fix / rated."
    )

    @property
    def median_days(self) -> float | None:
        """Median working days from receipt to answer."""
        return float(statistics.median(self.days)) if self.days else None


@dataclass
class Stats:
    """Everything the statistics page shows for one period."""

    period: Period
    total: Row
    by_category: list[Row]
    by_area: list[Row]
    by_agency: list[Row]
    heat: list[tuple[float, float, int]]
    places: list[dict[str, Any]]

    def rows(self, by: str) -> list[Row]:
        """The rows of one grouping (``category``, ``area`` or ``agency``)."""
        return {"category": self.by_category, "area": self.by_area, "agency": self.by_agency}[by]


def _names(session: Session, lang: str) -> dict[str, dict[str, str]]:
    categories = {
        str(c.id): (c.name_en if lang == "en" else c.name_vi)
        for c in session.execute(select(Category)).scalars()
    }
    areas = dict(session.execute(select(Area.code, Area.name).where(Area.valid_to.is_(None))).all())
    agencies = {str(i): n for i, n in session.execute(select(Agency.id, Agency.name)).all()}
    agencies[NO_AGENCY] = i18n.translate("frs.no_agency", lang)
    return {"category": categories, "area": areas, "agency": agencies}


class _Groups:
    """Rows per key for the three groupings, plus the total."""

    def __init__(self, names: dict[str, dict[str, str]], lang: str) -> None:
        self.names = names
        self.total = Row("", i18n.translate("frs.total", lang))
        self.by: dict[str, dict[str, Row]] = {g: {} for g in GROUPINGS}

    def rows_of(self, keys: Mapping[str, str]) -> list[Row]:
        out = [self.total]
        for grouping, key in keys.items():
            rows = self.by[grouping]
            if key not in rows:
                rows[key] = Row(key, self.names[grouping].get(key, key or "—"))
            out.append(rows[key])
        return out

    def sorted(self, grouping: str) -> list[Row]:
        return sorted(self.by[grouping].values(), key=lambda r: (-r.received, -r.answered, r.name))


def _keys(category_id: int, area_code: str, agency_id: int | None) -> dict[str, str]:
    return {
        "category": str(category_id),
        "area": area_code,
        "agency": str(agency_id) if agency_id is not None else NO_AGENCY,
    }


def handling_days(cal: WorkingCalendar, received_at: datetime, answered_at: datetime) -> int:
    """Whole working days from receipt to answer."""
    return max(0, cal.working_days_between(received_at, answered_at))


def compute(
    session: Session, period: Period, lang: str = "vi", now: datetime | None = None
) -> Stats:
    """The statistics of ``period`` (definitions in the module docstring)."""
    now = now or clock.now()
    begin, stop = period.bounds()
    groups = _Groups(_names(session, lang), lang)
    cal = load_calendar(session)
    cells: dict[tuple[int, int], int] = {}

    received = session.execute(
        select(
            Report.category_id,
            Report.area_code,
            Report.agency_id,
            Report.closed,
            Report.lat,
            Report.lon,
        ).where(Report.received_at >= begin, Report.received_at < stop)
    ).all()
    for category_id, area_code, agency_id, closed, lat, lon in received:
        for row in groups.rows_of(_keys(category_id, area_code, agency_id)):
            row.received += 1
            row.still_open += 0 if closed else 1
        cell = (round(lat / HEAT_CELL_DEG), round(lon / HEAT_CELL_DEG))
        cells[cell] = cells.get(cell, 0) + 1

    answered = session.execute(
        select(
            Report.category_id,
            Report.area_code,
            Report.agency_id,
            Report.received_at,
            Report.answered_at,
            Report.due_at,
            Report.fixed,
        ).where(
            Report.answered_at.is_not(None), Report.answered_at >= begin, Report.answered_at < stop
        )
    ).all()
    for category_id, area_code, agency_id, received_at, answered_at, due_at, fixed in answered:
        assert answered_at is not None
        on_time = due_at is None or answered_at <= due_at
        days = handling_days(cal, received_at, answered_at)
        for row in groups.rows_of(_keys(category_id, area_code, agency_id)):
            row.answered += 1
            row.on_time += 1 if on_time else 0
            row.fixed += 1 if fixed else 0
            row.days.append(days)

    _add_ratings(session, groups, begin, stop)
    _add_overdue(session, groups, now)
    by_area = groups.sorted("area")
    return Stats(
        period=period,
        total=groups.total,
        by_category=groups.sorted("category"),
        by_area=by_area,
        by_agency=groups.sorted("agency"),
        heat=sorted(
            (
                (round(a * HEAT_CELL_DEG, 4), round(b * HEAT_CELL_DEG, 4), n)
                for (a, b), n in cells.items()
            ),
            key=lambda c: c[2],
        ),
        places=_places(session, [r.key for r in by_area[:15]]),
    )


def _add_ratings(session: Session, groups: _Groups, begin: datetime, stop: datetime) -> None:
    """The reporters' ratings given in the period: satisfied, really fixed."""
    rated = session.execute(
        select(
            Report.category_id,
            Report.area_code,
            Report.agency_id,
            Report.rating_satisfied,
            Report.rating_fixed,
        ).where(Report.rated_at.is_not(None), Report.rated_at >= begin, Report.rated_at < stop)
    ).all()
    for category_id, area_code, agency_id, satisfied, really_fixed in rated:
        for row in groups.rows_of(_keys(category_id, area_code, agency_id)):
            row.rated += 1
            row.satisfied += 1 if satisfied else 0
            row.really_fixed += 1 if really_fixed else 0


def _add_overdue(session: Session, groups: _Groups, now: datetime) -> None:
    items = deadlines.overdue(session, now)
    if not items:
        return
    category_ids = dict(session.execute(select(Category.code, Category.id)).all())
    agency_ids = dict(session.execute(select(Agency.code, Agency.id)).all())
    for item in items:
        agency_id = agency_ids.get(item.agency_code)
        keys = {
            "category": str(category_ids.get(item.category_code, item.category_code)),
            "area": item.area_code,
            "agency": str(agency_id) if agency_id is not None else NO_AGENCY,
        }
        for row in groups.rows_of(keys):
            row.overdue_now += 1


def _places(session: Session, codes: list[str]) -> list[dict[str, Any]]:
    if not codes:
        return []
    rows = session.execute(
        select(Area.short_name, Area.lat, Area.lon).where(
            Area.code.in_(codes), Area.valid_to.is_(None), Area.lat.is_not(None)
        )
    ).all()
    return [{"name": n, "lat": lat, "lon": lon} for n, lat, lon in rows if lon is not None]


# --- export ----------------------------------------------------------------------------------


def _pct(rate: Rate) -> float | None:
    return rate.value


EXPORT_COLUMNS: tuple[tuple[str, Callable[[Row], Any]], ...] = (
    ("frs.col.received", lambda r: r.received),
    ("frs.col.still_open", lambda r: r.still_open),
    ("frs.col.overdue_now", lambda r: r.overdue_now),
    ("frs.col.answered", lambda r: r.answered),
    ("frs.col.on_time", lambda r: r.on_time),
    ("frs.col.on_time_rate", lambda r: _pct(r.on_time_rate)),
    ("frs.col.median_days", lambda r: r.median_days),
    ("frs.col.fixed", lambda r: r.fixed),
    ("frs.col.fixed_rate", lambda r: _pct(r.fixed_rate)),
    ("frs.col.rated", lambda r: r.rated),
    ("frs.col.satisfaction", lambda r: _pct(r.satisfaction)),
    ("frs.col.really_fixed", lambda r: _pct(r.really_fixed_rate)),
)


def export_table(stats: Stats, by: str, lang: str = "vi") -> Table:
    """One grouping of ``stats`` as an export table (total row last)."""
    t = i18n.translate
    header = [t(f"frs.by.{by}", lang)] + [t(key, lang) for key, _ in EXPORT_COLUMNS]
    rows = [
        [r.name] + [get(r) for _, get in EXPORT_COLUMNS] for r in [*stats.rows(by), stats.total]
    ]
    return Table(
        title=t("frs.export_title", lang, period=stats.period.label(lang)),
        header=header,
        rows=rows,
        notes=[
            t("frs.note.period", lang, period=stats.period.label(lang)),
            t("frs.note.definitions", lang),
            t("frs.note.min_n", lang, n=MIN_N),
        ],
    )


# --- tile ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TileFigures:
    """The overview tile's figures."""

    today: int
    overdue: int
    on_time: Rate
    daily: tuple[int, ...] = ()  # reports received each local day, oldest first, today last


TILE_DAYS = 14


def tile_figures(session: Session, now: datetime | None = None) -> TileFigures:
    """Reports received today (local day) and on each of the days before it (``TILE_DAYS``
    in all), overdue now, on-time rate of the last 30 days."""
    now = now or clock.now()
    zone = clock.local_zone()
    midnight = datetime.combine(now.astimezone(zone).date(), time(0), zone).astimezone(UTC)
    first = midnight - timedelta(days=TILE_DAYS - 1)
    daily = [0] * TILE_DAYS
    for (received,) in session.execute(
        select(Report.received_at).where(Report.received_at >= first, Report.received_at <= now)
    ):
        index = (received.astimezone(zone).date() - first.astimezone(zone).date()).days
        if 0 <= index < TILE_DAYS:
            daily[index] += 1
    today = daily[-1]
    since = now - timedelta(days=30)
    answered = session.execute(
        select(Report.answered_at, Report.due_at).where(
            Report.answered_at.is_not(None), Report.answered_at >= since
        )
    ).all()
    hits = total = 0
    for answered_at, due_at in answered:
        total += 1
        hits += 1 if due_at is None or (answered_at is not None and answered_at <= due_at) else 0
    return TileFigures(
        today=int(today),
        overdue=len(deadlines.overdue(session, now)),
        on_time=Rate(hits, total),
        daily=tuple(daily),
    )
