"""What every page of the operations console shares: the time-ago wording, pack titles, the
template helpers, the filters of the query string, and running one handling action."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

from fastapi import Depends, HTTPException, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from ioc.core import clock, i18n
from ioc.core.auth import Permission
from ioc.core.registry import Registry
from ioc.engines.alerting import actions, label_names, queries
from ioc.engines.alerting.models import ALERT_STATUSES, SEVERITIES
from ioc.engines.alerting.queries import AlertFilters, FilterError
from ioc.web import csrf
from ioc.web.deps import request_language
from ioc.web.pagekit import Call, Posted, form_fields
from ioc.web.templating import render

Text = Annotated[str, Query(max_length=200)]
# The text fields of the console's handling forms (each form posts the ones it needs).
HandlingForm = Annotated[
    Posted,
    Depends(form_fields(note=4000, body=4000, reason=4000, title=300, agency=64, user=64)),
]

_T = TypeVar("_T")
# Why a form was refused and the status code of the page showing it again (see run_action).
Refusal = tuple[str, int]

# Severity colours (critical đỏ, high cam, warning vàng, info xanh) live in alerts.css.
DONE_KEYS = frozenset(
    {
        "acknowledged",
        "assigned",
        "commented",
        "escalated",
        "closed",
        "reopened",
        "step_done",
        "step_reopened",
        "incident_closed",
    }
)


def since(value: datetime | None, lang: str, now: datetime | None = None) -> str:
    """How long ago ``value`` was, in words (``5 phút trước``)."""
    if value is None:
        return "—"
    seconds = max(0, int(((now or clock.now()) - value).total_seconds()))
    if seconds < 60:
        return i18n.translate("alerts.since.now", lang)
    minutes = seconds // 60
    if minutes < 60:
        return i18n.translate("alerts.since.minutes", lang, n=minutes)
    hours = minutes // 60
    if hours < 24:
        rest = minutes % 60
        if hours < 6 and rest:
            return i18n.translate("alerts.since.hours_minutes", lang, h=hours, m=rest)
        return i18n.translate("alerts.since.hours", lang, n=hours)
    days, rest_hours = divmod(hours, 24)
    if days < 3 and rest_hours:
        return i18n.translate("alerts.since.days_hours", lang, d=days, h=rest_hours)
    return i18n.translate("alerts.since.days", lang, n=days)


def pack_labeler(registry: Registry, lang: str) -> Callable[[str], str]:
    """``name -> title`` of a pack (its own title key), the name itself when unknown."""
    titles = {p.name: i18n.translate(p.title_key, lang) for p in registry.packs}
    titles["ops"] = i18n.translate("ops.title", lang)  # the IOC's own rules (ops.notify_dead)

    def label(name: str) -> str:
        return titles.get(name, name)

    return label


def page_helpers(request: Request, registry: Registry, db: Session | None = None) -> dict[str, Any]:
    """The template helpers of every console page (labels by name when ``db`` is given)."""
    lang = request_language(request)
    now = clock.now()
    helpers: dict[str, Any] = {}
    if db is not None:
        # Labels are shown by name (``Bệnh: Sởi``), never as ``disease=measles``.
        names = label_names.LabelNamer(db, registry, lang)
        helpers = {
            "label_name": names.name,
            "label_value": names.value,
            "label_pairs": names.pairs,
        }
    return {
        **helpers,
        "since": lambda value: since(value, lang, now),
        "pack_label": pack_labeler(registry, lang),
        "severities": SEVERITIES,
        "statuses": ALERT_STATUSES,
        "now": now,
    }


@dataclass(frozen=True)
class FilterText:
    """The console's filters as typed in the query string (checked by :func:`parse_filters`)."""

    pack: str = ""
    area: str = ""
    severity: str = ""
    status: str = ""
    agency: str = ""


def filter_text(
    pack: Text = "", area: Text = "", severity: Text = "", status: Text = "", agency: Text = ""
) -> FilterText:
    """The filters of the query string, for the routes that take all five."""
    return FilterText(pack, area, severity, status, agency)


FilterQuery = Annotated[FilterText, Depends(filter_text)]


def parse_filters(
    db: Session, registry: Registry, text: FilterText, lang: str
) -> tuple[AlertFilters, list[str]]:
    """Filters from the query string; a bad value is dropped and reported (never a 500)."""
    errors: list[str] = []
    filters = AlertFilters(
        pack=text.pack.strip() or None,
        severity=text.severity.strip() or None,
        status=text.status.strip() or None,
        agency=text.agency.strip() or None,
    )
    try:
        filters = replace(filters, area=queries.resolve_area(db, text.area))
    except FilterError as exc:
        errors.append(exc.en if lang == "en" else exc.vi)
    packs = {p.name for p in registry.packs} | set(queries.packs_with_alerts(db))
    for name in ("pack", "severity", "status"):
        try:
            queries.check_filters(replace(AlertFilters(), **{name: getattr(filters, name)}), packs)
        except FilterError as exc:
            errors.append(exc.en if lang == "en" else exc.vi)
            filters = replace(filters, **{name: None})
    if filters.agency and filters.agency not in {o.value for o in queries.agency_options(db)}:
        errors.append(i18n.translate("alerts.filter.bad_agency", lang, value=filters.agency))
        filters = replace(filters, agency=None)
    return filters, errors


def filter_query(filters: AlertFilters, **extra: Any) -> str:
    """The query string of ``filters`` (and ``extra``), empty values left out."""
    pairs = {
        "pack": filters.pack,
        "area": filters.area,
        "severity": filters.severity,
        "status": filters.status,
        "agency": filters.agency,
        "from": filters.date_from.isoformat() if filters.date_from else None,
        "to": filters.date_to.isoformat() if filters.date_to else None,
        **extra,
    }
    return urlencode({k: v for k, v in pairs.items() if v not in (None, "")})


def handling_page(
    call: Call,
    registry: Registry,
    template: str,
    context: dict[str, Any],
    refusal: Refusal | None = None,
) -> Response:
    """A page with handling forms (an alert, an incident): the console helpers with label
    names, ``context``, why the last form was refused (``error``, shown with its status code),
    the ``done`` notice of the last action, and whether delivery details show."""
    request, db, principal = call
    done = request.query_params.get("done")
    error, status_code = refusal or (None, 200)
    return render(
        request,
        template,
        {
            **page_helpers(request, registry, db),
            **context,
            "error": error,
            "done": done if done in DONE_KEYS else None,
            "delivery_details": principal.can(Permission.ADMIN),
        },
        principal=principal,
        status_code=status_code,
    )


def may_act(call: Call, agency_id: int | None) -> bool:
    """Whether the caller may handle alerts of the agency ``agency_id`` (``None``: unassigned)."""
    principal = call.principal
    return principal.can(Permission.HANDLE_ALERTS) and actions.may_handle(
        call.db, principal.actor, agency_id
    )


def found(value: _T | None, what: str) -> _T:
    """``value``, or 404 ``Không có {what}`` when it is ``None``."""
    if value is None:
        raise HTTPException(404, f"Không có {what}")
    return value


def run_action(
    call: Call,
    csrf_token: str,
    action: Callable[[], Any],
    on_error: Callable[[Refusal], Response],
) -> Response | None:
    """Run ``action`` after the CSRF check; a refused action re-renders the page with the
    reason (403 when the actor may not act, 409 for an illegal transition)."""
    request, db, _ = call
    lang = request_language(request)
    if not csrf.valid(request, csrf_token):
        return on_error((i18n.translate("error.csrf", lang), 400))
    try:
        action()
    except actions.AlertNotFound as exc:
        db.rollback()
        raise HTTPException(404, exc.message(lang)) from exc
    except actions.AlertForbidden as exc:
        db.rollback()
        return on_error((exc.message(lang), 403))
    except actions.AlertActionError as exc:
        db.rollback()
        return on_error((exc.message(lang), 409))
    db.commit()
    return None
