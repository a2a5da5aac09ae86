"""The overview (province scorecard, rankings, trend, commune map, early warning) and the page
of one agency or commune."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Final
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import clock, i18n
from ioc.core.models import Agency, Area
from ioc.packs.public_services import listing, scores
from ioc.packs.public_services.early_warning import due_soon_bound, warning_counts
from ioc.packs.public_services.pages.context import (
    WARN_LIST,
    as_float,
    context_base,
    period_or_error,
    to_json,
    trend_json,
)
from ioc.web.deps import DbSession, Principal, Viewer, request_language
from ioc.web.templating import render

__all__ = ["rerank", "router"]

router = APIRouter(include_in_schema=False)


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
    lang = request_language(request)
    period, error = period_or_error(request)
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
            "score": as_float(r.card.score_100),
            "on_time": as_float(r.card.value("2.1")),
            "lat": coords.get(r.code, (None, None))[0],
            "lon": coords.get(r.code, (None, None))[1],
        }
        for r in communes
        if r.code
    ]
    context = context_base(period, error, lang) | {
        "card": card,
        "departments": rerank([r for r in agencies if kinds.get(r.code) != "commune_committee"]),
        "commune_agencies": rerank(
            [r for r in agencies if kinds.get(r.code) == "commune_committee"]
        ),
        "communes": communes,
        "warn_rows": warn_rows[:WARN_LIST],
        "warn_more": max(0, len(warn_rows) - WARN_LIST),
        "warn_total": (sum(s for _, _, s, _ in warn_rows), sum(o for _, _, _, o in warn_rows)),
        "trend_json": trend_json(trend, lang),
        "map_items": map_items,
        "map_json": to_json(
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
    lang = request_language(request)
    period, error = period_or_error(request)
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
    context = context_base(period, error, lang) | {
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
        "trend_json": trend_json(trend, lang),
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
