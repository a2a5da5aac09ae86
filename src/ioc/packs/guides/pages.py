"""Pages of the guides pack: the guide index and each guide, the first-login tour partial and
its dismissal, the practice workspace page, adoption statistics and their export."""

from __future__ import annotations

from importlib import resources
from typing import Annotated, Literal

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ioc.core import i18n
from ioc.core.auth import Permission
from ioc.engines.exports import Table
from ioc.engines.sector import maps
from ioc.engines.sector.routes import table_download
from ioc.packs.guides import content, service
from ioc.web import csrf
from ioc.web.deps import (
    AppSettings,
    DbSession,
    Lang,
    LoginRequired,
    Principal,
    PublicPage,
    Viewer,
)
from ioc.web.pagekit import ViewerCall
from ioc.web.templating import render

router = APIRouter()

# Adoption figures are for the IOC team: operators, leaders and administrators.
ADOPTION_ROLES = frozenset({"operator", "leader", "admin"})
# The tour points at these menu entries, in order (path, message key).
TOUR_STEPS: tuple[tuple[str, str], ...] = (
    ("/", "gd.tour.step.overview"),
    ("/alerts", "gd.tour.step.alerts"),
    ("/submissions", "gd.tour.step.submissions"),
    ("/field-reports", "gd.tour.step.reports"),
    ("/guides", "gd.tour.step.guides"),
)
IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".css": "text/css; charset=utf-8",
}


def _visible(principal: Principal) -> list[content.Guide]:
    return [g for g in content.guides() if principal.can(Permission(g.permission))]


@router.get("/guides", response_class=HTMLResponse, include_in_schema=False)
def guide_index(
    request: Request,
    principal: PublicPage,
    lang: Lang,
    q: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    """Hướng dẫn sử dụng: guides grouped by role, with a search ignoring diacritics."""
    allowed = {g.slug for g in _visible(principal)}
    found = content.search(q) if q.strip() else list(content.guides())
    groups = []
    for role in content.ROLES:
        items = [
            {"slug": g.slug, "title": g.text(lang).title, "summary": g.text(lang).summary}
            for g in found
            if g.role == role and g.slug in allowed
        ]
        if items:
            groups.append({"role": role, "items": items})
    hidden = principal.user is None and any(g.permission != "public" for g in found)
    return render(
        request,
        "guides/index.html",
        {"groups": groups, "q": q, "hidden": hidden, "found": sum(len(g["items"]) for g in groups)},
        principal=principal,
    )


@router.get("/guides/tour", response_class=HTMLResponse, include_in_schema=False)
def tour_partial(request: Request, principal: PublicPage, db: DbSession) -> Response:
    """The first-login tour for a signed-in user who has not dismissed it; empty otherwise."""
    if principal.user is None or service.tour_dismissed(db, principal.user.id):
        return HTMLResponse("")
    steps = [
        {"href": href, "key": key}
        for href, key in TOUR_STEPS
        if href in ("/", "/guides") or principal.can(Permission.VIEW)
    ]
    return render(request, "guides/_tour.html", {"steps": steps}, principal=principal)


@router.post("/guides/tour/dismiss", include_in_schema=False)
def tour_dismiss(
    call: ViewerCall,
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    next_: Annotated[str, Form(alias="next", max_length=200)] = "/",
) -> Response:
    """Hide the tour for good for this user (one audited action)."""
    request, db, principal = call
    if not csrf.valid(request, csrf_token):
        raise HTTPException(400, "Phiên biểu mẫu hết hạn, tải lại trang / form expired, reload")
    service.dismiss_tour(db, principal.actor)
    target = next_ if next_.startswith("/") and not next_.startswith("//") else "/"
    return RedirectResponse(target, status_code=303)


@router.get("/guides/practice", response_class=HTMLResponse, include_in_schema=False)
def practice_page(request: Request, principal: Viewer, settings: AppSettings) -> Response:
    """Khu thực hành: how staff practise on a separate demo server, never on real data."""
    return render(request, "guides/practice.html", {}, principal=principal)


def _window(days: int) -> int:
    return days if days in (30, 90, 365) else 30


def _adoption_allowed(principal: Principal) -> None:
    if principal.user is None or principal.user.role not in ADOPTION_ROLES:
        raise HTTPException(403, "Không đủ quyền / permission denied")


@router.get("/guides/adoption", response_class=HTMLResponse, include_in_schema=False)
def adoption_page(
    call: ViewerCall,
    settings: AppSettings,
    lang: Lang,
    days: Annotated[int, Query(ge=1, le=3650)] = 30,
) -> Response:
    """Mức độ sử dụng: active users per agency, citizens' reports per commune, on-time data
    submissions and pages used, over the last 30, 90 or 365 days."""
    request, db, principal = call
    _adoption_allowed(principal)
    days = _window(days)
    figures = service.last_days(
        db, days, deadline_days=settings.sub_deadline_working_days, lang=lang
    )
    agency_chart = {
        "data": [
            {"name": a.name, "value": a.active, "color": "#2f6db5"}
            for a in figures.agencies[:15]
            if a.active
        ],
        "seriesName": i18n.translate("gd.adopt.col.active", lang),
    }
    page_chart = {
        "data": [{"name": p, "value": v, "color": "#2f6db5"} for p, v in figures.pages[:15]],
        "seriesName": i18n.translate("gd.adopt.col.views", lang),
    }
    return render(
        request,
        "guides/adoption.html",
        {
            "f": figures,
            "days": days,
            "agency_chart": maps.to_json(agency_chart),
            "page_chart": maps.to_json(page_chart),
        },
        principal=principal,
    )


TableName = Literal["agencies", "communes", "pages"]


@router.get("/guides/adoption/export", include_in_schema=False)
def adoption_export(
    call: ViewerCall,
    settings: AppSettings,
    lang: Lang,
    table: TableName = "agencies",
    days: Annotated[int, Query(ge=1, le=3650)] = 30,
    format: Literal["xlsx", "csv"] = "xlsx",
) -> Response:
    """One adoption table as XLSX or CSV."""
    _request, db, principal = call
    _adoption_allowed(principal)
    days = _window(days)
    figures = service.last_days(
        db, days, deadline_days=settings.sub_deadline_working_days, lang=lang
    )

    def t(key: str, **params: object) -> str:
        return i18n.translate(key, lang, **params)

    note = t("gd.adopt.window", days=days)
    if table == "agencies":
        out = Table(
            t("gd.adopt.agencies"),
            [t("gd.adopt.col.agency"), t("gd.adopt.col.users"), t("gd.adopt.col.active")],
            [[a.name, a.users, a.active] for a in figures.agencies],
            [note],
        )
    elif table == "communes":
        out = Table(
            t("gd.adopt.communes"),
            [t("gd.adopt.col.code"), t("gd.adopt.col.commune"), t("gd.adopt.col.reports")],
            [[c, n, r] for c, n, r in figures.communes],
            [note],
        )
    else:
        out = Table(
            t("gd.adopt.pages"),
            [t("gd.adopt.col.page"), t("gd.adopt.col.views")],
            [[f"/{p}".replace("//", "/"), v] for p, v in figures.pages],
            [note],
        )
    return table_download(out, format, f"muc-do-su-dung-{table}-{days}-ngay.{format}")


@router.get("/guides/static/{name}", include_in_schema=False)
def guide_image(name: str, principal: PublicPage) -> Response:
    """A screenshot shipped in the pack's ``static/`` folder (names only, no paths)."""
    suffix = name[name.rfind(".") :].lower() if "." in name else ""
    if "/" in name or "\\" in name or name.startswith(".") or suffix not in IMAGE_TYPES:
        raise HTTPException(404, "Không có ảnh này / no such image")
    item = resources.files("ioc.packs.guides").joinpath("static", name)
    if not item.is_file():
        raise HTTPException(404, "Không có ảnh này / no such image")
    return Response(
        item.read_bytes(),
        media_type=IMAGE_TYPES[suffix],
        headers={"Cache-Control": "public, max-age=3600"},
    )


@router.get("/guides/{slug}", response_class=HTMLResponse, include_in_schema=False)
def guide_page(request: Request, slug: str, principal: PublicPage, lang: Lang) -> Response:
    """One guide: what the page is for, the steps, tips and a screenshot."""
    guide = content.find(slug)
    if guide is None:
        raise HTTPException(404, "Không có hướng dẫn này / no such guide")
    if not principal.can(Permission(guide.permission)):
        if principal.user is None:
            raise LoginRequired()
        raise HTTPException(403, "Không đủ quyền / permission denied")
    text = guide.text(lang)
    image = resources.files("ioc.packs.guides").joinpath("static", guide.image)
    return render(
        request,
        "guides/guide.html",
        {
            "guide": guide,
            "text": text,
            "body": content.render_markdown(text.body),
            "has_image": image.is_file(),
        },
        principal=principal,
    )
