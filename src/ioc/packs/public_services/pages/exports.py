"""``/public-services/export``: the tables of the overview and unit pages as XLSX or CSV."""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter
from fastapi.responses import Response

from ioc.core import clock, i18n
from ioc.engines.exports import Table
from ioc.packs.public_services import scores
from ioc.packs.public_services.early_warning import warning_counts
from ioc.packs.public_services.indices import Scorecard
from ioc.packs.public_services.pages.context import (
    KEY_INDICATORS,
    as_float,
    safe_stem,
    today,
)
from ioc.web.pagekit import EXPORT_FORMATS, ViewerCall, invalid_parameters, table_file

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

TABLES: Final = ("indicators", "agencies", "communes", "warnings", "procedures")
# The ranking tables: table -> (the dimension ranked, the header of its unit column).
RANKINGS: Final = {
    "agencies": ("agency_code", "ps.col.agency"),
    "communes": ("area_code", "ps.col.area"),
    "procedures": ("procedure_code", "ps.col.procedure_name"),
}


def _indicator_table(card: Scorecard, lang: str, title: str) -> Table:
    t = i18n.translate
    table = Table(
        title=title,
        header=[
            t(f"ps.col.{c}", lang)
            for c in (
                "indicator",
                "name",
                "value",
                "igate_value",
                "numerator",
                "denominator",
                "points",
                "max_points",
                "full_at",
            )
        ],
    )
    for key, r in card.indicators.items():
        table.rows.append(
            [
                key,
                t(f"ps.ind.{key}", lang),
                as_float(r.value),
                as_float(r.alt_value),
                r.numerator,
                r.denominator,
                as_float(r.points),
                as_float(r.max_points),
                as_float(r.full_at),
            ]
        )
    table.notes.append(
        t(
            "ps.export.score",
            lang,
            score=as_float(card.score),
            top=as_float(card.max_available),
            s100=as_float(card.score_100),
        )
    )
    return table


def _ranking_table(rows: list[scores.Ranked], lang: str, title: str, unit: str) -> Table:
    t = i18n.translate
    header = [
        t("ps.col.rank", lang),
        t("ps.col.code", lang),
        t(unit, lang),
        t("ps.score_100", lang),
        t("ps.col.points", lang),
    ]
    header += [f"{k} {t(f'ps.ind.{k}.short', lang)} (%)" for k in KEY_INDICATORS]
    header += [t("ps.col.received", lang), t("ps.col.finished", lang), t("ps.col.late", lang)]
    table = Table(title=title, header=header)
    for r in rows:
        c = r.card
        table.rows.append(
            [r.rank, r.code, r.name, as_float(c.score_100), as_float(c.score)]
            + [as_float(c.value(k)) for k in KEY_INDICATORS]
            + [c.counters.received, c.counters.finished, c.counters.late]
        )
    return table


@router.get("/public-services/export")
def overview_export(
    call: ViewerCall,
    table: str = "agencies",
    format: str = "xlsx",
    agency: str | None = None,
    area: str | None = None,
) -> Response:
    """Tải bảng của trang tổng quan / trang đơn vị: indicators, agencies, communes, warnings,
    procedures — for the province or one agency/commune, over the chosen period."""
    db = call.db
    problems = []
    if format not in EXPORT_FORMATS:
        problems.append("format: csv | xlsx")
    if table not in TABLES:
        problems.append("table: " + " | ".join(TABLES))
    try:
        period = scores.parse_period(call.request.query_params, today())
    except scores.PeriodError as exc:
        problems.append(f"{exc.field}: {exc.message} / {exc.en}")
    if problems:
        return invalid_parameters(*problems)
    lang = call.lang
    t = i18n.translate
    now = clock.now()
    scope = scores.Scope(agency=agency or None, area=area or None)
    label = period.label(lang)
    if table == "indicators":
        out = _indicator_table(
            scores.scorecard_for(db, scope, period, now), lang, t("ps.export.indicators", lang)
        )
    elif table in RANKINGS:
        dim, unit = RANKINGS[table]
        out = _ranking_table(
            scores.ranking(db, dim, period, scope, now), lang, t(f"ps.export.{table}", lang), unit
        )
    else:
        names = scores.names(db, "agency_code")
        out = Table(
            title=t("ps.export.warnings", lang),
            header=[
                t("ps.col.code", lang),
                t("ps.col.agency", lang),
                t("ps.col.due_soon", lang),
                t("ps.col.overdue", lang),
            ],
        )
        for code, (soon, over) in sorted(
            warning_counts(db, now).items(), key=lambda kv: (-kv[1][1], kv[0])
        ):
            out.rows.append([code, names.get(code, code), soon, over])
        label = i18n.format_datetime(now, lang)
    out.notes.insert(0, f"{t('ps.period', lang)}: {label}")
    stem = "-".join(["dvc", table, *(x for x in (agency, area) if x), *period.params().values()])
    return table_file(out, format, safe_stem(stem))
