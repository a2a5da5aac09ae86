"""Pages of the public-services pack (signed-in staff, ``Permission.VIEW``; import: ``INGEST``).

* ``/public-services`` — overview: province scorecard, rankings of agencies and communes,
  12-month trend, commune map, early warning; every figure links to its dossiers;
* ``/public-services/agencies/{code}`` and ``/public-services/communes/{code}`` — one unit;
* ``/public-services/dossiers`` — dossier list with filters and drill-down, ``/{code}`` detail;
* ``.../export`` — every table as XLSX or CSV;
* ``/public-services/import`` — XLSX/CSV import of dossiers (same action as the API).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ioc.core import clock, i18n, ownership
from ioc.core.auth import Permission
from ioc.core.models import Agency, Area
from ioc.engines.exports import Table, to_csv, to_xlsx
from ioc.engines.ingestion.tabular import TableError, read_table
from ioc.packs.public_services import listing, scores
from ioc.packs.public_services.config import policy
from ioc.packs.public_services.indices import CHANNELS, INDICATORS, STATUSES, Scorecard
from ioc.packs.public_services.ingest import (
    TEMPLATE_HEADERS,
    IngestReport,
    ingest_batch,
    rows_from_table,
)
from ioc.packs.public_services.models import PsDossier, PsProcedure
from ioc.packs.public_services.warnings import due_soon_bound, warning_counts
from ioc.web import csrf
from ioc.web.deps import DbSession, Principal, require, write_scope
from ioc.web.templating import render, request_lang

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

Viewer = Annotated[Principal, Depends(require(Permission.VIEW, page=True))]
Ingestor = Annotated[Principal, Depends(require(Permission.INGEST, page=True))]

XLSX_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UPLOAD_BYTES: Final = 20 * 1024 * 1024
KEY_INDICATORS: Final = ("2.1", "3.3", "4.1", "4.2", "4.3", "5.4")
WARN_LIST: Final = 20


def _json(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _f(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def score_class(value: Decimal | None) -> str:
    """CSS class of a score or rate: good ≥ 90, fair ≥ 75, poor below, none without value."""
    if value is None:
        return "ps-none"
    if value >= 90:
        return "ps-good"
    if value >= 75:
        return "ps-fair"
    return "ps-poor"


def _today() -> Any:
    return clock.now().astimezone(clock.local_zone()).date()


def _period_or_error(request: Request) -> tuple[scores.Period, scores.PeriodError | None]:
    try:
        return scores.parse_period(request.query_params, _today()), None
    except scores.PeriodError as exc:
        return scores.parse_period({}, _today()), exc


def _form(period: scores.Period) -> dict[str, str]:
    today = _today()
    p = period.params()
    return {
        "period": period.kind,
        "month": p.get("month") or f"{today:%Y-%m}",
        "quarter": p.get("quarter") or f"{today.year}-Q{(today.month - 1) // 3 + 1}",
        "year": p.get("year") or str(today.year),
        "from": p.get("from") or f"{today.year}-01",
        "to": p.get("to") or f"{today:%Y-%m}",
    }


def drill_url(indicator: str, part: str, period: scores.Period, **scope: str | None) -> str:
    """Link from an indicator figure to its dossiers."""
    params = {k: v for k, v in scope.items() if v}
    params.update(period.params())
    params.update({"indicator": indicator, "part": part})
    return "/public-services/dossiers?" + urlencode(params)


def drill_in(
    indicator: str,
    part: str,
    period: scores.Period,
    scope: dict[str, str | None],
    dim: str,
    code: str,
) -> str:
    """Drill-down link of one row of a ranking (the scope narrowed to that unit)."""
    return drill_url(indicator, part, period, **{**scope, dim: code})


def _context_base(
    period: scores.Period, error: scores.PeriodError | None, lang: str
) -> dict[str, Any]:
    return {
        "period": period,
        "period_label": period.label(lang),
        "period_query": urlencode(period.params()),
        "form": _form(period),
        "error": error,
        "indicator_defs": INDICATORS,
        "key_indicators": KEY_INDICATORS,
        "score_class": score_class,
        "drill_url": drill_url,
        "drill_in": drill_in,
        "scope_params": {},
        "drillable": set(listing.DRILL),
        "points": policy().points,
    }


def _trend_json(trend: list[tuple[int, Scorecard]], lang: str) -> str:
    def iso(m: int) -> str:
        return f"{m // 100:04d}-{m % 100:02d}-01T00:00:00+07:00"

    t = i18n.translate
    series = [
        {
            "name": t("ps.ind.2.1.short", lang),
            "data": [[iso(m), _f(c.value("2.1"))] for m, c in trend],
        },
        {
            "name": t("ps.ind.3.3.short", lang),
            "data": [[iso(m), _f(c.value("3.3"))] for m, c in trend],
        },
        {
            "name": t("ps.ind.4.2.short", lang),
            "data": [[iso(m), _f(c.value("4.2"))] for m, c in trend],
        },
        {"name": t("ps.score_100", lang), "data": [[iso(m), _f(c.score_100)] for m, c in trend]},
    ]
    return _json(
        {"series": series, "yName": "%", "yMin": 0, "yMax": 100, "dataZoom": False, "decimals": 2}
    )


def rerank(rows: list[scores.Ranked]) -> list[scores.Ranked]:
    """Ranks 1, 2, … within a sub-list of a ranking (units without a score stay unranked)."""
    out, rank = [], 0
    for r in rows:
        if r.rank is not None:
            rank += 1
        out.append(replace(r, rank=rank if r.rank is not None else None))
    return out


# The 766 colour bands of the page (public_services.css: ps-good, ps-fair, ps-poor).
ON_TIME_CLASSES: Final = ((75.0, "#c62828", "< 75 %"), (90.0, "#b26a00", "75–90 %"))
ON_TIME_TOP: Final = ("#2e7d32", "≥ 90 %")


def _on_time_choropleth(items: list[dict[str, Any]], lang: str) -> dict[str, Any]:
    """The map's layer "on time" (indicator 2.1 of QĐ 766) per commune, from the commune
    ranking of the page (``scores.ranking`` by ``area_code``, the same cards as its table);
    a commune without a dossier in the period is ``None`` ("không có số liệu")."""
    t = i18n.translate
    return {
        "name": t("map.ps.layer", lang),
        "title": t("map.ps.title", lang),
        "values": {it["code"]: it["on_time"] for it in items},
        "notes": {
            it["code"]: t(
                "map.ps.score",
                lang,
                score="—" if it["score"] is None else i18n.format_number(it["score"], lang, 2),
            )
            for it in items
        },
        "classes": [{"lt": lt, "color": c, "label": label} for lt, c, label in ON_TIME_CLASSES]
        + [{"max": None, "color": ON_TIME_TOP[0], "label": ON_TIME_TOP[1]}],
        "unit": "%",
        "decimals": 1,
    }


@router.get("/public-services", response_class=HTMLResponse)
def overview(request: Request, db: DbSession, principal: Viewer) -> Response:
    """Tổng quan DVC: scores, rankings, trend, commune map, early warning."""
    lang = request_lang(request, request.app.state.settings.default_language)
    period, error = _period_or_error(request)
    now = clock.now()
    card = scores.scorecard_for(db, scores.Scope(), period, now)
    agencies = scores.ranking(db, "agency_code", period, now=now)
    communes = scores.ranking(db, "area_code", period, now=now)
    kinds = dict(db.execute(select(Agency.code, Agency.kind)).all())
    warn = warning_counts(db, now)
    agency_names = scores.names(db, "agency_code")
    warn_rows = sorted(
        ((code, agency_names.get(code, code), s, o) for code, (s, o) in warn.items()),
        key=lambda r: (-r[3], -r[2], r[1]),
    )
    trend = scores.trend(db, scores.Scope(), period.last, 12, now)
    area_points = db.execute(
        select(Area.code, Area.lat, Area.lon).where(Area.valid_to.is_(None), Area.lat.is_not(None))
    ).all()
    coords = {c: (lat, lon) for c, lat, lon in area_points}
    map_items = [
        {
            "code": r.code,
            "name": r.name,
            "score": _f(r.card.score_100),
            "on_time": _f(r.card.value("2.1")),
            "lat": coords.get(r.code, (None, None))[0],
            "lon": coords.get(r.code, (None, None))[1],
        }
        for r in communes
        if r.code
    ]
    context = _context_base(period, error, lang) | {
        "card": card,
        "departments": rerank([r for r in agencies if kinds.get(r.code) != "commune_committee"]),
        "commune_agencies": rerank(
            [r for r in agencies if kinds.get(r.code) == "commune_committee"]
        ),
        "communes": communes,
        "warn_rows": warn_rows[:WARN_LIST],
        "warn_more": max(0, len(warn_rows) - WARN_LIST),
        "warn_total": (sum(s for _, _, s, _ in warn_rows), sum(o for _, _, _, o in warn_rows)),
        "trend_json": _trend_json(trend, lang),
        "map_items": map_items,
        "map_json": _json(
            {
                "items": map_items,
                "choropleth": _on_time_choropleth(map_items, lang),
                "tileUrl": request.app.state.settings.map_tile_url,
                "tileAttribution": request.app.state.settings.map_tile_attribution,
            }
        ),
    }
    return render(
        request,
        "public_services/overview.html",
        context,
        principal=principal,
        status_code=400 if error else 200,
    )


def _unit_page(
    request: Request, db: Session, principal: Principal, kind: str, code: str
) -> Response:
    lang = request_lang(request, request.app.state.settings.default_language)
    period, error = _period_or_error(request)
    now = clock.now()
    if kind == "agency":
        unit = db.execute(select(Agency).where(Agency.code == code)).scalar_one_or_none()
        if unit is None:
            raise HTTPException(404)
        name = unit.name
        scope = scores.Scope(agency=code)
        split_dim, split_label = "area_code", "ps.by.area"
    else:
        area = db.execute(
            select(Area).where(Area.code == code, Area.valid_to.is_(None))
        ).scalar_one_or_none()
        if area is None:
            raise HTTPException(404)
        name = area.name
        scope = scores.Scope(area=code)
        split_dim, split_label = "agency_code", "ps.by.agency"
    card = scores.scorecard_for(db, scope, period, now)
    by_proc = scores.ranking(db, "procedure_code", period, scope, now)
    by_split = scores.ranking(db, split_dim, period, scope, now)
    trend = scores.trend(db, scope, period.last, 12, now)
    f_over = listing.DossierFilter(agency=scope.agency, area=scope.area, warn="overdue")
    f_soon = listing.DossierFilter(agency=scope.agency, area=scope.area, warn="due_soon")
    overdue, n_over = listing.page(db, f_over, now, 0, WARN_LIST)
    soon, n_soon = listing.page(db, f_soon, now, 0, WARN_LIST)
    context = _context_base(period, error, lang) | {
        "kind": kind,
        "code": code,
        "name": name,
        "scope": scope,
        "scope_params": _scope_kwargs(scope),
        "card": card,
        "by_proc": by_proc,
        "by_split": by_split,
        "split_dim": split_dim,
        "split_label": split_label,
        "trend_json": _trend_json(trend, lang),
        "overdue": overdue,
        "n_over": n_over,
        "soon": soon,
        "n_soon": n_soon,
        "over_query": urlencode(f_over.params()),
        "soon_query": urlencode(f_soon.params()),
        "now": now,
        "outcome_key": listing.outcome_key,
        "agency_names": scores.names(db, "agency_code"),
        "area_names": scores.names(db, "area_code"),
        "due_bound": due_soon_bound(db, now),
    }
    return render(
        request,
        "public_services/unit.html",
        context,
        principal=principal,
        status_code=400 if error else 200,
    )


def _scope_kwargs(scope: scores.Scope) -> dict[str, str | None]:
    return {"agency": scope.agency, "area": scope.area, "procedure": scope.procedure}


@router.get("/public-services/agencies/{code}", response_class=HTMLResponse)
def agency_page(request: Request, code: str, db: DbSession, principal: Viewer) -> Response:
    """Trang cơ quan: its scorecard, trend, procedures, communes, due-soon and overdue lists."""
    return _unit_page(request, db, principal, "agency", code)


@router.get("/public-services/communes/{code}", response_class=HTMLResponse)
def commune_page(request: Request, code: str, db: DbSession, principal: Viewer) -> Response:
    """Trang xã/phường: the dossiers of one commune, by agency."""
    return _unit_page(request, db, principal, "commune", code)


def _options(db: Session) -> dict[str, list[tuple[str, str]]]:
    agencies = db.execute(
        select(Agency.code, Agency.short_name)
        .where(Agency.valid_to.is_(None))
        .order_by(Agency.kind, Agency.short_name)
    )
    areas = db.execute(
        select(Area.code, Area.name)
        .where(Area.valid_to.is_(None), Area.level.in_(("commune", "ward")))
        .order_by(Area.name)
    )
    procs = db.execute(select(PsProcedure.code, PsProcedure.name).order_by(PsProcedure.name))
    return {
        "agencies": list(agencies),
        "areas": list(areas),
        "procedures": [(c, n) for c, n in procs],
    }


def _filter_or_error(request: Request) -> tuple[listing.DossierFilter, listing.FilterError | None]:
    try:
        return listing.parse_filter(request.query_params, _today()), None
    except listing.FilterError as exc:
        return listing.DossierFilter(), exc


@router.get("/public-services/dossiers", response_class=HTMLResponse)
def dossiers_page(request: Request, db: DbSession, principal: Viewer) -> Response:
    """Danh sách hồ sơ: filters, drill-down from a score, pagination, exports."""
    lang = request_lang(request, request.app.state.settings.default_language)
    f, error = _filter_or_error(request)
    now = clock.now()
    try:
        page_no = max(1, int(request.query_params.get("page") or 1))
    except ValueError:
        page_no = 1
    rows, total = listing.page(db, f, now, (page_no - 1) * listing.PAGE_SIZE)
    query = urlencode(f.params())
    context = {
        "f": f,
        "error": error,
        "rows": rows,
        "total": total,
        "page_no": page_no,
        "pages": max(1, (total + listing.PAGE_SIZE - 1) // listing.PAGE_SIZE),
        "query": query,
        "options": _options(db),
        "agency_names": scores.names(db, "agency_code"),
        "area_names": scores.names(db, "area_code"),
        "now": now,
        "outcome_key": listing.outcome_key,
        "period_label": f.period.label(lang) if f.period else None,
        "form": _form(f.period or scores.parse_period({}, _today())),
        "statuses": STATUSES,
        "channels": CHANNELS,
        "outcomes": listing.OUTCOMES,
        "warns": listing.WARNS,
        "drill": f.indicator,
    }
    return render(
        request,
        "public_services/dossiers.html",
        context,
        principal=principal,
        status_code=400 if error else 200,
    )


def _download(table: Table, fmt: str, stem: str) -> Response:
    if fmt == "xlsx":
        body, media = to_xlsx(table), XLSX_TYPE
    else:
        body, media = to_csv(table), "text/csv; charset=utf-8"
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{stem}.{fmt}"'},
    )


def _bad(message: str) -> Response:
    return Response(
        "Tham số không hợp lệ / invalid parameters — " + message,
        status_code=400,
        media_type="text/plain; charset=utf-8",
    )


@router.get("/public-services/dossiers/export")
def dossiers_export(
    request: Request, db: DbSession, principal: Viewer, format: str = "xlsx"
) -> Response:
    """Tải danh sách hồ sơ đang lọc (XLSX hoặc CSV)."""
    if format not in ("csv", "xlsx"):
        return _bad("format: csv | xlsx")
    f, error = _filter_or_error(request)
    if error is not None:
        return _bad(f"{error.field}: {error.message} / {error.en}")
    lang = request_lang(request, request.app.state.settings.default_language)
    table = listing.export_table(db, f, clock.now(), lang, policy().export_max_rows)
    stem = "ho-so-" + "-".join(v for k, v in f.params().items() if k != "period") or "ho-so"
    return _download(table, format, _safe(stem))


def _safe(stem: str) -> str:
    keep = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in i18n.fold(stem))
    return keep[:120] or "ho-so"


@router.get("/public-services/dossiers/{code}", response_class=HTMLResponse)
def dossier_page(request: Request, code: str, db: DbSession, principal: Viewer) -> Response:
    """Chi tiết hồ sơ: the stored state, the deadline after deduction and the verdict."""
    d = db.execute(select(PsDossier).where(PsDossier.code == code)).scalar_one_or_none()
    if d is None:
        raise HTTPException(404)
    context = {
        "d": d,
        "now": clock.now(),
        "outcome_key": listing.outcome_key,
        "agency_names": scores.names(db, "agency_code"),
        "area_names": scores.names(db, "area_code"),
    }
    return render(request, "public_services/dossier.html", context, principal=principal)


TABLES: Final = ("indicators", "agencies", "communes", "warnings", "procedures")


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
                _f(r.value),
                _f(r.alt_value),
                r.numerator,
                r.denominator,
                _f(r.points),
                _f(r.max_points),
                _f(r.full_at),
            ]
        )
    table.notes.append(
        t(
            "ps.export.score",
            lang,
            score=_f(card.score),
            top=_f(card.max_available),
            s100=_f(card.score_100),
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
            [r.rank, r.code, r.name, _f(c.score_100), _f(c.score)]
            + [_f(c.value(k)) for k in KEY_INDICATORS]
            + [c.counters.received, c.counters.finished, c.counters.late]
        )
    return table


@router.get("/public-services/export")
def overview_export(
    request: Request,
    db: DbSession,
    principal: Viewer,
    table: str = "agencies",
    format: str = "xlsx",
    agency: str | None = None,
    area: str | None = None,
) -> Response:
    """Tải bảng của trang tổng quan / trang đơn vị: indicators, agencies, communes, warnings,
    procedures — for the province or one agency/commune, over the chosen period."""
    problems = []
    if format not in ("csv", "xlsx"):
        problems.append("format: csv | xlsx")
    if table not in TABLES:
        problems.append("table: " + " | ".join(TABLES))
    try:
        period = scores.parse_period(request.query_params, _today())
    except scores.PeriodError as exc:
        problems.append(f"{exc.field}: {exc.message} / {exc.en}")
    if problems:
        return _bad("; ".join(problems))
    lang = request_lang(request, request.app.state.settings.default_language)
    t = i18n.translate
    now = clock.now()
    scope = scores.Scope(agency=agency or None, area=area or None)
    label = period.label(lang)
    if table == "indicators":
        out = _indicator_table(
            scores.scorecard_for(db, scope, period, now), lang, t("ps.export.indicators", lang)
        )
    elif table == "agencies":
        out = _ranking_table(
            scores.ranking(db, "agency_code", period, scope, now),
            lang,
            t("ps.export.agencies", lang),
            "ps.col.agency",
        )
    elif table == "communes":
        out = _ranking_table(
            scores.ranking(db, "area_code", period, scope, now),
            lang,
            t("ps.export.communes", lang),
            "ps.col.area",
        )
    elif table == "procedures":
        out = _ranking_table(
            scores.ranking(db, "procedure_code", period, scope, now),
            lang,
            t("ps.export.procedures", lang),
            "ps.col.procedure_name",
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
    return _download(out, format, _safe(stem))


# --------------------------------------------------------------------------- import


def _import_view(
    request: Request,
    principal: Principal,
    *,
    report: IngestReport | None = None,
    flash: tuple[str, str] | None = None,
    file_error: str | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        "public_services/import.html",
        {"report": report, "flash": flash, "file_error": file_error, "columns": TEMPLATE_HEADERS},
        principal=principal,
        status_code=status,
    )


@router.get("/public-services/import", response_class=HTMLResponse)
def import_page(request: Request, principal: Ingestor) -> Response:
    """Nhập hồ sơ từ tệp XLSX/CSV (iGate export)."""
    return _import_view(request, principal)


@router.get("/public-services/import/template.csv")
def import_template(principal: Ingestor) -> Response:
    """Tệp mẫu CSV với các cột tiếng Việt."""
    table = Table(title="mau", header=[title for _name, title in TEMPLATE_HEADERS])
    return Response(
        to_csv(table),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="mau-nhap-ho-so.csv"'},
    )


@router.post("/public-services/import", response_class=HTMLResponse)
async def import_upload(
    request: Request,
    db: DbSession,
    principal: Ingestor,
    file: Annotated[UploadFile, File()],
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    atomic: Annotated[bool, Form()] = False,
) -> Response:
    """Nhập tệp: valid rows stored (or none with ``atomic``), each refused row named by its
    spreadsheet row, dossier id and column."""
    if not csrf.valid(request, csrf_token):
        return _import_view(request, principal, flash=("error", "error.csrf"), status=400)
    content = await file.read(MAX_UPLOAD_BYTES + 1)
    if len(content) > MAX_UPLOAD_BYTES:
        return _import_view(request, principal, flash=("error", "ps.import.too_big"), status=413)
    filename = file.filename or ""

    def work() -> IngestReport | str | ownership.NotYourData:
        try:
            table = read_table(filename, content)
        except TableError as exc:
            return str(exc)
        mapping = rows_from_table(table.columns)
        rows = [{mapping[k]: v for k, v in r.values.items()} for r in table.rows]
        try:
            report = ingest_batch(
                db,
                principal.actor,
                dossiers=rows,
                atomic=atomic,
                row_numbers=[r.number for r in table.rows],
                source=f"import:{filename[:80]}",
                scope=write_scope(db, principal),
            )
        except ownership.NotYourData as exc:
            db.rollback()
            ownership.record_denied(db, principal.actor, "public-services.import", exc)
            db.commit()
            return exc
        db.commit()
        return report

    result = await run_in_threadpool(work)
    if isinstance(result, ownership.NotYourData):
        return _import_view(request, principal, file_error=result.text, status=403)
    if isinstance(result, str):
        return _import_view(request, principal, file_error=result, status=400)
    return _import_view(request, principal, report=result, status=200 if result.ok else 422)


def local_time(value: datetime | None) -> datetime | None:
    """A stored time in local time (for templates)."""
    return None if value is None else i18n.to_local(value)
