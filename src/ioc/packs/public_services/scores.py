"""Scores from the ``ps_stats`` aggregates: per province, agency, commune, procedure, month.

Every score is :func:`ioc.packs.public_services.indices.scorecard` applied to the sum of the
aggregate rows of its scope and months, so a page never reads the dossiers themselves (those
are read only for drill-down lists). Periods are whole months, local time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final, cast

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from ioc.core import clock, i18n
from ioc.core.models import Agency, Area
from ioc.engines.actions_kit import FieldError
from ioc.packs.public_services.config import policy
from ioc.packs.public_services.indices import (
    COUNTER_FIELDS,
    Counters,
    FeedbackCounters,
    ProcedureFacts,
    ProcedureUse,
    Scorecard,
    scorecard,
)
from ioc.packs.public_services.models import PsFeedback, PsProcedure, PsStat

__all__ = [
    "DIMENSIONS",
    "Period",
    "PeriodError",
    "Ranked",
    "Scope",
    "parse_period",
    "ranking",
    "scorecard_for",
    "scorecards",
    "trend",
]

DIMENSIONS: Final = ("agency_code", "area_code", "procedure_code", "month")
PERIOD_KINDS: Final = ("month", "quarter", "year", "range")


class PeriodError(FieldError):
    """A period the user asked for that cannot be read (field named, message in vi/en)."""


def _add_months(month: int, n: int) -> int:
    y, m = divmod(month // 100 * 12 + month % 100 - 1 + n, 12)
    return y * 100 + m + 1


@dataclass(frozen=True)
class Period:
    """Whole months ``first``..``last`` (``yyyymm``), and how the user chose them."""

    kind: str
    first: int
    last: int

    def months(self) -> list[int]:
        """Every month of the period, in order."""
        out, m = [], self.first
        while m <= self.last:
            out.append(m)
            m = _add_months(m, 1)
        return out

    def params(self) -> dict[str, str]:
        """Query parameters that select this period again."""
        if self.kind == "month":
            return {"period": "month", "month": _iso(self.first)}
        if self.kind == "quarter":
            return {"period": "quarter", "quarter": f"{self.first // 100}-Q{self._q()}"}
        if self.kind == "year":
            return {"period": "year", "year": str(self.first // 100)}
        return {"period": "range", "from": _iso(self.first), "to": _iso(self.last)}

    def _q(self) -> int:
        return (self.first % 100 - 1) // 3 + 1

    def label(self, lang: str) -> str:
        """Human label: ``Tháng 03/2026``, ``Quý 1/2026``, ``Năm 2026``, ``03/2026 – 05/2026``."""
        y = self.first // 100
        if self.kind == "month":
            return i18n.translate("ps.period.month_label", lang, m=f"{self.first % 100:02d}", y=y)
        if self.kind == "quarter":
            return i18n.translate("ps.period.quarter_label", lang, q=self._q(), y=y)
        if self.kind == "year":
            return i18n.translate("ps.period.year_label", lang, y=y)
        return f"{self.first % 100:02d}/{y} – {self.last % 100:02d}/{self.last // 100}"

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        n = len(self.months())
        return Period(self.kind, _add_months(self.first, -n), _add_months(self.first, -1))


def _iso(month: int) -> str:
    return f"{month // 100:04d}-{month % 100:02d}"


def _month(value: str, field: str) -> int:
    try:
        y, m = value.split("-")
        year, mon = int(y), int(m)
    except ValueError:
        raise PeriodError(field, f"{value!r} không phải tháng (YYYY-MM)", "not a month") from None
    if not (2000 <= year <= 2100 and 1 <= mon <= 12):
        raise PeriodError(field, f"{value!r} không phải tháng hợp lệ", "not a valid month")
    return year * 100 + mon


def current_month(now: datetime | None = None) -> int:
    """``yyyymm`` of today, local time."""
    today = (now or clock.now()).astimezone(clock.local_zone()).date()
    return today.year * 100 + today.month


def parse_period(params: Mapping[str, Any], today: date | None = None) -> Period:
    """The period of the query parameters (default: the current month)."""
    month_now = today.year * 100 + today.month if today is not None else current_month()
    kind = (params.get("period") or "month").strip()
    if kind not in PERIOD_KINDS:
        raise PeriodError("period", "kỳ phải là month, quarter, year hoặc range", "bad period")
    if kind == "month":
        value = params.get("month")
        m = _month(value, "month") if value else month_now
        return Period("month", m, m)
    if kind == "quarter":
        value = (params.get("quarter") or "").strip().upper()
        if not value:
            q = (month_now % 100 - 1) // 3 + 1
            year = month_now // 100
        else:
            try:
                y, qs = value.split("-Q")
                year, q = int(y), int(qs)
            except ValueError:
                raise PeriodError(
                    "quarter", f"{value!r} không phải quý (2026-Q1)", "not a quarter"
                ) from None
            if not (2000 <= year <= 2100 and 1 <= q <= 4):
                raise PeriodError("quarter", f"{value!r} không phải quý hợp lệ", "bad quarter")
        first = year * 100 + (q - 1) * 3 + 1
        return Period("quarter", first, first + 2)
    if kind == "year":
        value = params.get("year")
        try:
            year = int(value) if value else month_now // 100
        except ValueError:
            raise PeriodError("year", f"{value!r} không phải năm", "not a year") from None
        if not 2000 <= year <= 2100:
            raise PeriodError("year", f"{value!r} không phải năm hợp lệ", "not a valid year")
        return Period("year", year * 100 + 1, year * 100 + 12)
    first = _month(params.get("from") or "", "from")
    last = _month(params.get("to") or "", "to")
    if last < first:
        raise PeriodError("to", "tháng kết thúc trước tháng bắt đầu", "end before start")
    if len(Period("range", first, last).months()) > 60:
        raise PeriodError("to", "khoảng tối đa 60 tháng", "at most 60 months")
    return Period("range", first, last)


@dataclass(frozen=True)
class Scope:
    """Which dossiers: optional agency, commune and procedure filters."""

    agency: str | None = None
    area: str | None = None
    procedure: str | None = None

    @property
    def is_province(self) -> bool:
        """True without agency and commune filters."""
        return self.agency is None and self.area is None


def _where(scope: Scope, period: Period) -> list[Any]:
    out: list[Any] = [PsStat.month >= period.first, PsStat.month <= period.last]
    if scope.agency is not None:
        out.append(PsStat.agency_code == scope.agency)
    if scope.area is not None:
        out.append(PsStat.area_code == scope.area)
    if scope.procedure is not None:
        out.append(PsStat.procedure_code == scope.procedure)
    return out


def counters(
    session: Session, scope: Scope, period: Period, by: tuple[str, ...] = ()
) -> dict[tuple[Any, ...], Counters]:
    """Summed counters per ``by`` key (``()`` = one total)."""
    dims = [getattr(PsStat, d) for d in by]
    sums = [func.sum(getattr(PsStat, name)) for name in COUNTER_FIELDS]
    stmt = select(*dims, *sums).where(*_where(scope, period))
    if dims:
        stmt = stmt.group_by(*dims)
    out: dict[tuple[Any, ...], Counters] = {}
    n = len(dims)
    for row in session.execute(stmt):
        values = row[n:]
        if values[0] is None:
            continue
        out[tuple(row[:n])] = Counters(
            **{k: int(v or 0) for k, v in zip(COUNTER_FIELDS, values, strict=True)}
        )
    return out


def uses(
    session: Session, scope: Scope, period: Period, by: tuple[str, ...] = ()
) -> dict[tuple[Any, ...], list[ProcedureUse]]:
    """Dossiers received per procedure (total and online), per ``by`` key."""
    dims = [getattr(PsStat, d) for d in by]
    stmt = (
        select(*dims, PsStat.procedure_code, func.sum(PsStat.received), func.sum(PsStat.online))
        .where(*_where(scope, period))
        .group_by(*dims, PsStat.procedure_code)
    )
    out: dict[tuple[Any, ...], list[ProcedureUse]] = defaultdict(list)
    n = len(dims)
    for row in session.execute(stmt):
        if int(row[n + 1] or 0) > 0:
            out[tuple(row[:n])].append(ProcedureUse(row[n], int(row[n + 1]), int(row[n + 2] or 0)))
    return out


def catalogue(session: Session) -> dict[str, ProcedureFacts]:
    """Active procedures' attributes."""
    rows = session.execute(
        select(
            PsProcedure.code,
            PsProcedure.online,
            PsProcedure.has_fee,
            PsProcedure.payment_integrated,
        ).where(PsProcedure.active.is_(True))
    )
    return {r[0]: ProcedureFacts(r[0], r[1], r[2], r[3]) for r in rows}


FEEDBACK_DIMS: Final = {
    "agency_code": PsFeedback.agency_code,
    "area_code": PsFeedback.area_code,
    "month": PsFeedback.recv_month,
}


def feedback_counts(
    session: Session, scope: Scope, period: Period, by: tuple[str, ...], now: datetime
) -> dict[tuple[Any, ...], FeedbackCounters]:
    """PAKN counts per ``by`` key (feedback has no procedure: a procedure scope has none)."""
    if scope.procedure is not None or "procedure_code" in by:
        return {}
    f = PsFeedback
    dims = [FEEDBACK_DIMS[d] for d in by]
    where: list[Any] = [f.recv_month >= period.first, f.recv_month <= period.last]
    if scope.agency is not None:
        where.append(f.agency_code == scope.agency)
    if scope.area is not None:
        where.append(f.area_code == scope.area)

    def flag(cond: Any) -> Any:
        return func.sum(case((cond, 1), else_=0))

    stmt = select(
        *dims,
        func.count(),
        flag(and_(f.handled_at.is_not(None), f.handled_at <= f.due_at)),
        flag(and_(f.handled_at.is_not(None), f.handled_at > f.due_at)),
        flag(and_(f.handled_at.is_(None), f.due_at < now)),
        flag(f.disliked.is_(True)),
        flag(f.recomplained.is_(True)),
    ).where(*where)
    if dims:
        stmt = stmt.group_by(*dims)
    out: dict[tuple[Any, ...], FeedbackCounters] = {}
    n = len(dims)
    for row in session.execute(stmt):
        if not row[n]:
            continue
        v = [int(cast(Any, x) or 0) for x in row[n:]]
        out[tuple(row[:n])] = FeedbackCounters(*v)
    return out


def scorecards(
    session: Session,
    scope: Scope,
    period: Period,
    by: tuple[str, ...] = (),
    now: datetime | None = None,
) -> dict[tuple[Any, ...], Scorecard]:
    """One scorecard per ``by`` key (``()``: one for the whole scope)."""
    now = now or clock.now()
    rules = policy().points.rules
    cat = catalogue(session)
    counts = counters(session, scope, period, by)
    used = uses(session, scope, period, by)
    fb = feedback_counts(session, scope, period, by, now)
    out: dict[tuple[Any, ...], Scorecard] = {}
    province_catalogue = (
        scope.is_province
        and scope.procedure is None
        and not {"agency_code", "area_code", "procedure_code"} & set(by)
    )
    single = scope.procedure is not None or by == ("procedure_code",)
    for key in set(counts) | set(fb):
        key_uses = used.get(key, [])
        if province_catalogue:
            procs = list(cat.values())
        else:
            procs = [cat[u.code] for u in key_uses if u.code in cat]
        out[key] = scorecard(
            counts.get(key, Counters()),
            rules=rules,
            procedures=procs,
            uses=key_uses,
            feedback=fb.get(key),
            single_procedure=single,
        )
    return out


def scorecard_for(
    session: Session, scope: Scope, period: Period, now: datetime | None = None
) -> Scorecard:
    """The scorecard of one scope (an empty one when it has no dossiers)."""
    found = scorecards(session, scope, period, (), now)
    if () in found:
        return found[()]
    return scorecard(Counters(), rules=policy().points.rules)


@dataclass(frozen=True)
class Ranked:
    """One row of a ranking: unit code, display name, its scorecard and its rank."""

    rank: int | None
    code: str
    name: str
    card: Scorecard


def names(session: Session, dimension: str) -> dict[str, str]:
    """Display names of agencies or communes."""
    if dimension == "agency_code":
        return dict(session.execute(select(Agency.code, Agency.short_name)).all())
    if dimension == "area_code":
        stmt = select(Area.code, Area.name).where(Area.valid_to.is_(None))
        return dict(session.execute(stmt).all())
    return dict(session.execute(select(PsProcedure.code, PsProcedure.name)).all())


def ranking(
    session: Session,
    dimension: str,
    period: Period,
    scope: Scope | None = None,
    now: datetime | None = None,
) -> list[Ranked]:
    """Units of ``dimension`` by ``score_100`` (then on-time rate), best first; units without
    any score come last, unranked."""
    cards = scorecards(session, scope or Scope(), period, (dimension,), now)
    label = names(session, dimension)
    minus = Decimal(-1)

    def key(item: tuple[tuple[Any, ...], Scorecard]) -> tuple[Decimal, Decimal, str]:
        card = item[1]
        s = card.score_100
        on_time = card.value("2.1")
        return (
            -(s if s is not None else minus),
            -(on_time if on_time is not None else minus),
            str(item[0][0]),
        )

    out: list[Ranked] = []
    rank = 0
    for k, card in sorted(cards.items(), key=key):
        code = str(k[0])
        has = card.score_100 is not None
        if has:
            rank += 1
        out.append(Ranked(rank if has else None, code, label.get(code, code or "—"), card))
    return out


def trend(
    session: Session, scope: Scope, last_month: int, months: int = 12, now: datetime | None = None
) -> list[tuple[int, Scorecard]]:
    """One scorecard per month over the ``months`` months ending with ``last_month``."""
    period = Period("range", _add_months(last_month, -(months - 1)), last_month)
    cards = scorecards(session, scope, period, ("month",), now)
    rules = policy().points.rules
    return [(m, cards.get((m,)) or scorecard(Counters(), rules=rules)) for m in period.months()]
