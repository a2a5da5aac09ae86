"""Dossier lists with filters, and the drill-down from any score to the dossiers behind it.

A drill-down link names an indicator and a part: ``indicator=2.1&part=miss`` lists the
dossiers of the indicator's denominator that are **not** in its numerator (the late ones),
``part=hit`` those in the numerator, ``part=all`` the whole denominator — in the same scope
(agency, commune, procedure) and months (received or finished, as the indicator counts them;
see :data:`DRILL`). So the number of rows always equals the figure on the page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import and_, func, not_, or_, select
from sqlalchemy.orm import Session

from ioc.core import i18n
from ioc.core.models import Agency, Area
from ioc.engines.actions_kit import FieldError
from ioc.engines.exports import Table
from ioc.packs.public_services.early_warning import (
    due_soon_bound,
    due_soon_condition,
    overdue_condition,
)
from ioc.packs.public_services.indices import CHANNELS, STATUSES
from ioc.packs.public_services.models import PsDossier
from ioc.packs.public_services.scores import Period, PeriodError, parse_period

__all__ = ["DRILL", "DossierFilter", "FilterError", "export_table", "page", "parse_filter"]

D = PsDossier


@dataclass(frozen=True)
class Drill:
    """How an indicator maps onto dossiers: month basis, denominator and numerator tests."""

    basis: str  # "received" | "finished"
    base: Callable[[], Any]
    hit: Callable[[], Any]


def _true(col: Any) -> Any:
    return col.is_(True)


DRILL: Final[dict[str, Drill]] = {
    "1.4": Drill("received", lambda: D.synced.is_not(None), lambda: _true(D.synced)),
    "2.1": Drill("finished", lambda: D.on_time.is_not(None), lambda: _true(D.on_time)),
    "2.2": Drill("finished", lambda: D.handling_days.is_not(None), lambda: D.id.is_not(None)),
    "3.3": Drill("received", lambda: D.id.is_not(None), lambda: _true(D.online_counted)),
    "3.6": Drill("received", lambda: _true(D.fee_required), lambda: _true(D.paid_online)),
    "4.1": Drill("finished", lambda: D.id.is_not(None), lambda: D.result_kind == "electronic"),
    "4.2": Drill(
        "finished",
        lambda: D.id.is_not(None),
        lambda: and_(_true(D.digitised), D.result_kind == "electronic"),
    ),
    "4.3": Drill("received", lambda: D.id.is_not(None), lambda: _true(D.reused)),
    "5.4": Drill(
        "finished",
        lambda: D.id.is_not(None),
        lambda: and_(or_(D.on_time.is_(None), _true(D.on_time)), not_(_true(D.complaint))),
    ),
}
PARTS: Final = ("all", "hit", "miss")
OUTCOMES: Final = ("on_time", "late", "undetermined", "open")
WARNS: Final = ("overdue", "due_soon")
BASES: Final = ("received", "finished")
PAGE_SIZE: Final = 50


class FilterError(FieldError):
    """An unreadable filter (field named, Vietnamese and English text)."""


@dataclass(frozen=True)
class DossierFilter:
    """The filters of the dossier list (all optional)."""

    agency: str | None = None
    area: str | None = None
    procedure: str | None = None
    period: Period | None = None
    basis: str = "received"
    status: str | None = None
    channel: str | None = None
    outcome: str | None = None
    warn: str | None = None
    indicator: str | None = None
    part: str = "all"
    q: str | None = None

    def params(self) -> dict[str, str]:
        """Query parameters that select this filter again."""
        out: dict[str, str] = {}
        for name in (
            "agency",
            "area",
            "procedure",
            "status",
            "channel",
            "outcome",
            "warn",
            "indicator",
            "q",
        ):
            value = getattr(self, name)
            if value:
                out[name] = value
        if self.indicator:
            out["part"] = self.part
        elif self.period is not None:
            out["basis"] = self.basis
        if self.period is not None:
            out.update(self.period.params())
        return out


def _choice(params: Mapping[str, Any], name: str, allowed: tuple[str, ...]) -> str | None:
    value = (params.get(name) or "").strip()
    if not value:
        return None
    if value not in allowed:
        raise FilterError(name, f"giá trị {value!r} không hợp lệ", f"use one of {allowed}")
    return value


def parse_filter(params: Mapping[str, Any], today: date | None = None) -> DossierFilter:
    """Read the list's query parameters (raises :class:`FilterError` naming the field)."""
    try:
        period = parse_period(params, today) if params.get("period") else None
    except PeriodError as exc:
        raise FilterError(exc.field, exc.message, exc.en) from None
    indicator = _choice(params, "indicator", tuple(DRILL))
    basis = _choice(params, "basis", BASES) or "received"
    if indicator is not None:
        basis = DRILL[indicator].basis
    return DossierFilter(
        agency=(params.get("agency") or "").strip() or None,
        area=(params.get("area") or "").strip() or None,
        procedure=(params.get("procedure") or "").strip() or None,
        period=period,
        basis=basis,
        status=_choice(params, "status", STATUSES),
        channel=_choice(params, "channel", CHANNELS),
        outcome=_choice(params, "outcome", OUTCOMES),
        warn=_choice(params, "warn", WARNS),
        indicator=indicator,
        part=_choice(params, "part", PARTS) or "all",
        q=(params.get("q") or "").strip()[:64] or None,
    )


def conditions(session: Session, f: DossierFilter, now: datetime) -> list[Any]:
    """SQL conditions of the filter."""
    out: list[Any] = []
    if f.agency:
        out.append(D.agency_code == f.agency)
    if f.area:
        out.append(D.area_code == f.area)
    if f.procedure:
        out.append(D.procedure_code == f.procedure)
    if f.period is not None:
        col = D.fin_month if f.basis == "finished" else D.recv_month
        out += [col >= f.period.first, col <= f.period.last]
    if f.status:
        out.append(D.status == f.status)
    if f.channel:
        out.append(D.channel == f.channel)
    if f.outcome == "on_time":
        out.append(_true(D.on_time))
    elif f.outcome == "late":
        out.append(D.on_time.is_(False))
    elif f.outcome == "undetermined":
        out += [D.fin_month.is_not(None), D.on_time.is_(None)]
    elif f.outcome == "open":
        out.append(_true(D.is_open))
    if f.warn == "overdue":
        out += overdue_condition(now)
    elif f.warn == "due_soon":
        out += due_soon_condition(now, due_soon_bound(session, now))
    if f.indicator:
        drill = DRILL[f.indicator]
        out += [_true(D.counted), drill.base()]
        if f.basis == "finished":
            out.append(D.fin_month.is_not(None))
        if f.part == "hit":
            out.append(drill.hit())
        elif f.part == "miss":
            out.append(not_(drill.hit()))
    if f.q:
        out.append(D.code.like(f.q.replace("%", "").replace("_", "\\_") + "%", escape="\\"))
    return out


def page(
    session: Session, f: DossierFilter, now: datetime, offset: int = 0, limit: int = PAGE_SIZE
) -> tuple[list[PsDossier], int]:
    """One page of matching dossiers (overdue-first order for warnings, newest first else)
    and the total count."""
    where = conditions(session, f, now)
    total = int(session.execute(select(func.count()).select_from(D).where(*where)).scalar_one())
    order = [D.effective_due_at, D.id] if f.warn else [D.received_at.desc(), D.id.desc()]
    rows = list(
        session.execute(select(D).where(*where).order_by(*order).offset(offset).limit(limit))
        .scalars()
        .all()
    )
    return rows, total


def _yes(value: bool | None, lang: str) -> str:
    if value is None:
        return ""
    return i18n.translate("ps.yes" if value else "ps.no", lang)


def export_table(
    session: Session, f: DossierFilter, now: datetime, lang: str, max_rows: int
) -> Table:
    """The matching dossiers as a table (local times), at most ``max_rows`` rows."""
    t = i18n.translate
    where = conditions(session, f, now)
    agencies = dict(session.execute(select(Agency.code, Agency.short_name)).all())
    areas = dict(session.execute(select(Area.code, Area.name).where(Area.valid_to.is_(None))).all())
    header = [t(f"ps.col.{c}", lang) for c in EXPORT_COLUMNS]
    table = Table(title=t("ps.export.dossiers", lang), header=header)
    table.notes.append(t("ps.export.zone_note", lang))
    stmt = select(D).where(*where).order_by(D.received_at, D.id).limit(max_rows + 1)
    for n, d in enumerate(session.execute(stmt).scalars()):
        if n >= max_rows:
            table.notes.append(t("ps.export.truncated", lang, n=max_rows))
            break
        table.rows.append(_export_row(d, agencies, areas, lang, now))
    return table


EXPORT_COLUMNS: Final = (
    "code",
    "procedure_code",
    "procedure_name",
    "agency",
    "area",
    "channel",
    "received_at",
    "due_at",
    "effective_due_at",
    "finished_at",
    "supplement_count",
    "supplement_days",
    "outcome",
    "result",
    "paid_online",
    "digitised",
    "reused",
    "status",
)


def outcome_key(d: PsDossier, now: datetime) -> str:
    """``on_time`` | ``late`` | ``late_supplements`` | ``undetermined`` | ``overdue`` |
    ``waiting`` | ``open`` | ``withdrawn`` — one word for the verdict shown in lists."""
    if not d.counted:
        return "withdrawn"
    if d.fin_month is not None:
        if d.on_time is None:
            return "undetermined"
        if d.on_time:
            return "on_time"
        return "late_supplements" if d.late_reason == "supplements" else "late"
    if d.supplement_open:
        return "waiting"
    if d.effective_due_at is not None and d.effective_due_at < now:
        return "overdue"
    return "open"


def _local(value: datetime | None) -> datetime | None:
    return None if value is None else i18n.to_local(value)


def _export_row(
    d: PsDossier, agencies: Mapping[str, str], areas: Mapping[str, str], lang: str, now: datetime
) -> list[Any]:
    t = i18n.translate
    return [
        d.code,
        d.procedure_code,
        d.procedure_name,
        agencies.get(d.agency_code, d.agency_code),
        areas.get(d.area_code, d.area_code),
        t(f"ps.channel.{d.channel}", lang),
        _local(d.received_at),
        _local(d.due_at),
        _local(d.effective_due_at),
        _local(d.finished_at),
        d.supplement_count,
        d.supplement_days,
        t(f"ps.outcome.{outcome_key(d, now)}", lang),
        t(f"ps.result.{d.result_kind}", lang) if d.result_kind else "",
        _yes(d.paid_online if d.fee_required else None, lang),
        _yes(d.digitised, lang),
        _yes(d.reused, lang),
        t(f"ps.status.{d.status}", lang),
    ]


def with_period(f: DossierFilter, period: Period) -> DossierFilter:
    """The same filter over another period."""
    return replace(f, period=period)
