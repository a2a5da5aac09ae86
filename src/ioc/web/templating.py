"""Jinja2 environment for all pages: base layout, per-pack templates, i18n and formats."""

from __future__ import annotations

from datetime import date, datetime
from importlib import resources
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, PackageLoader, select_autoescape

from ioc.core import i18n
from ioc.core.auth import Permission
from ioc.core.registry import NavEntry, Registry
from ioc.web import csrf
from ioc.web.deps import LANG_COOKIE, Principal

# Menu entries of the shell itself (engines' pages), shown before the packs' entries.
CORE_NAV: tuple[NavEntry, ...] = (
    NavEntry("/alerts", "alerts.nav", "view", "main"),
    NavEntry("/submissions", "sub.nav", "view", "main"),
    NavEntry("/public/air", "nav.public_air", "public", "public"),
    NavEntry("/phan-anh", "frp.nav.public", "public", "public"),
    NavEntry("/alerts/rules", "rules.title", "operations", "admin"),
    NavEntry("/alerts/notifications", "notify.nav", "operations", "admin"),
    NavEntry("/admin/jobs", "jobs.title", "operations", "admin"),
    NavEntry("/admin/dead-letters", "dlq.nav", "admin", "admin"),
)
NAV_GROUPS: tuple[str, ...] = ("main", "domain", "public", "admin")


def make_templates(registry: Registry) -> Jinja2Templates:
    """Templates from ``ioc.web`` and from each pack's ``templates/`` folder."""
    loaders = [PackageLoader("ioc.web", "templates")]
    loaders += [
        PackageLoader(f"ioc.packs.{p.name}", "templates")
        for p in registry.packs
        if resources.files(f"ioc.packs.{p.name}").joinpath("templates").is_dir()
    ]
    env = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(["html", "xml"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return Jinja2Templates(env=env)


def request_lang(request: Request, default: str) -> str:
    """Language from ``?lang=``, then the cookie, then the default."""
    return i18n.normalize_lang(
        request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or default
    )


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    principal: Principal | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Render a page with the shared context (language, user, menu, formatting helpers)."""
    app = request.app
    settings = app.state.settings
    registry: Registry = app.state.registry
    lang = request_lang(request, settings.default_language)
    principal = principal or getattr(request.state, "principal", None) or Principal(None)

    def t(key: str, **params: Any) -> str:
        return i18n.translate(key, lang, **params)

    def num(value: float | int | None, decimals: int = 0) -> str:
        return i18n.format_number(value, lang, decimals)

    def dt(value: datetime | None, with_time: bool = True) -> str:
        return "—" if value is None else i18n.format_when(value, lang, with_time)

    def d(value: date | None) -> str:
        return "—" if value is None else i18n.format_date(value, lang)

    nav = _menu(request, registry, principal, lang)
    token = csrf.form_token(request)
    nonce = csrf.nonce_for(request)
    full = {
        "request": request,
        "lang": lang,
        "t": t,
        "num": num,
        # A catalog unit in the page's language (``lượt`` → ``visits``).
        "u": lambda unit: i18n.unit_label(unit, lang),
        "dt": dt,
        "d": d,
        "user": principal.user,
        "nav": nav,
        "csrf_token": token,
        # This response's Content-Security-Policy nonce (set by the security_headers
        # middleware): every inline <script> of a template carries nonce="{{ csp_nonce }}".
        "csp_nonce": getattr(request.state, "csp_nonce", ""),
        "settings": settings,
        "path": request.url.path,
        # Pages show their datasets' quality badges when the open-data pack is installed.
        "data_badges": registry.has("open_data"),
        "lang_url": _lang_url(request, "en" if lang == "vi" else "vi"),
        **context,
    }
    response = app.state.templates.TemplateResponse(
        request, template, full, status_code=status_code
    )
    # Only a whole page sets the form nonce. A fragment (htmx) that arrives after the cookie was
    # cleared, e.g. a late quality badge of the page just left at sign-in, would otherwise plant a
    # new nonce over the one the login form on screen was signed with, and the form would fail.
    if request.cookies.get(csrf.CSRF_COOKIE) != nonce and "hx-request" not in request.headers:
        response.set_cookie(
            csrf.CSRF_COOKIE, nonce, httponly=True, samesite="strict", secure=settings.cookie_secure
        )
    if request.query_params.get("lang") in i18n.SUPPORTED:
        response.set_cookie(
            LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", secure=settings.cookie_secure
        )
    assert isinstance(response, HTMLResponse)
    return response


def _menu(
    request: Request, registry: Registry, principal: Principal, lang: str
) -> dict[str, list[dict[str, Any]]]:
    """The menu by group: the entries ``principal`` may open, the current page's marked."""
    nav: dict[str, list[dict[str, Any]]] = {group: [] for group in NAV_GROUPS}
    seen: set[str] = set()
    entries = list(CORE_NAV) + [entry for pack in registry.packs for entry in pack.nav]
    for entry in entries:
        if entry.href in seen or not principal.can(Permission(entry.permission)):
            continue
        seen.add(entry.href)
        nav.setdefault(entry.group, []).append(
            {
                "href": entry.href,
                "label": i18n.translate(entry.label_key, lang),
                "active": request.url.path == entry.href
                or request.url.path.startswith(entry.href.rstrip("/") + "/"),
            }
        )
    # Only the most specific entry is marked (/alerts/rules, not also /alerts).
    actives = [i for items in nav.values() for i in items if i["active"]]
    if len(actives) > 1:
        best = max(actives, key=lambda i: len(i["href"]))
        for item in actives:
            item["active"] = item is best
    return nav


def _lang_url(request: Request, lang: str) -> str:
    """This page in another language, keeping the other query parameters (e.g. ``next``)."""
    url = request.url.include_query_params(lang=lang)
    return f"{url.path}?{url.query}"
