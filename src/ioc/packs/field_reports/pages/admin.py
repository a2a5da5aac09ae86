"""Administration pages of field reports (administrators only).

* ``/field-reports/admin/routing`` — routing rules (category × commune → agency): list, add or
  replace, remove (``routing.set_rule`` / ``routing.delete_rule``);
* ``/field-reports/admin/calendar`` — the working-day calendar's adjusted days (swaps, closures,
  province days off) through ``ioc.core.calendar``, with the next 60 days previewed as the
  deadlines will count them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import calendar, clock, i18n
from ioc.core.models import Agency, Area
from ioc.packs.field_reports import routing
from ioc.packs.field_reports.errors import FieldReportError
from ioc.packs.field_reports.models import Category, RoutingRule
from ioc.packs.field_reports.pages.context import base_context, categories, communes, error_text
from ioc.web import csrf
from ioc.web.deps import Principal, request_language
from ioc.web.pagekit import AdminCall, Posted, form_fields
from ioc.web.templating import render

router = APIRouter(include_in_schema=False)

PREVIEW_DAYS = 60
ROUTING_PATH = "/field-reports/admin/routing"
CALENDAR_PATH = "/field-reports/admin/calendar"


@dataclass(frozen=True)
class _AdminForm:
    """A form of an administration page: the page it comes back to and the error its action
    raises when refused."""

    request: Request
    db: Session
    principal: Principal
    page: Callable[..., Response]
    refused: type[FieldReportError] | type[calendar.CalendarError]

    def send(
        self,
        csrf_token: str,
        run: Callable[[], object],
        done: str,
        *,
        values: dict[str, str] | None = None,
    ) -> Response:
        """Run the action and go to ``done``; otherwise the page again with the error. A
        form with ``values`` adds (a refused field is named, 422); one without removes (a
        refusal means the row is gone, 404)."""
        lang = request_language(self.request)
        again = partial(self.page, self.request, self.db, self.principal, values=values)
        if not csrf.valid(self.request, csrf_token):
            return again(
                error={"field": "form", "message": i18n.translate("frp.error.csrf", lang)},
                status_code=400,
            )
        try:
            run()
        except self.refused as exc:
            self.db.rollback()
            field = (exc.field or "form") if values is not None else "form"
            error = {"field": field, "message": error_text(exc, lang)}
            return again(error=error, status_code=422 if values is not None else 404)
        return RedirectResponse(done, status_code=303)


# --- routing rules ---------------------------------------------------------------------------


def _rules(db: Session, lang: str) -> list[dict[str, Any]]:
    rows = db.execute(
        select(RoutingRule, Category, Area.name, Agency)
        .outerjoin(Category, Category.id == RoutingRule.category_id)
        .outerjoin(Area, (Area.code == RoutingRule.area_code) & Area.valid_to.is_(None))
        .join(Agency, Agency.id == RoutingRule.agency_id)
        .order_by(Category.position, RoutingRule.area_code, RoutingRule.id)
    ).all()
    return [
        {
            "id": rule.id,
            "category": (category.name_en if lang == "en" else category.name_vi)
            if category
            else None,
            "area": area_name or rule.area_code,
            "agency": agency.name,
            "updated_at": rule.updated_at,
            "updated_by": rule.updated_by,
        }
        for rule, category, area_name, agency in rows
    ]


def _routing_page(
    request: Request,
    db: Session,
    principal: Principal,
    *,
    error: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    lang = request_language(request)
    agencies = db.execute(
        select(Agency.code, Agency.name)
        .where(Agency.valid_to.is_(None))
        .order_by(Agency.kind != "department", Agency.kind, Agency.name)
    ).all()
    done = request.query_params.get("done", "")
    return render(
        request,
        "field_reports/admin/routing.html",
        {
            **base_context(request),
            "rules": _rules(db, lang),
            "categories": categories(db, lang),
            "communes": communes(db),
            "agencies": [
                {"code": code, "name": name, "folded": i18n.fold(name)} for code, name in agencies
            ],
            "error": error,
            "values": values or {},
            "done": done if done in ("added", "removed") else "",
        },
        principal=principal,
        status_code=status_code,
    )


@router.get(ROUTING_PATH, response_class=HTMLResponse)
def routing_page(call: AdminCall) -> Response:
    """Quy tắc chuyển xử lý: category × commune → agency."""
    request, db, principal = call
    return _routing_page(request, db, principal)


# A routing rule as the form posts it.
RuleForm = Annotated[Posted, Depends(form_fields(csrf_token=200, category=64, area=16, agency=64))]


@router.post(ROUTING_PATH, response_class=HTMLResponse)
def routing_add(call: AdminCall, posted: RuleForm) -> Response:
    """Add a rule, or replace the agency of the rule with the same category and commune."""
    request, db, principal = call
    return _AdminForm(request, db, principal, _routing_page, FieldReportError).send(
        posted.csrf_token,
        lambda: routing.set_rule(
            db,
            principal.actor,
            category_code=posted["category"] or None,
            area_code=posted["area"] or None,
            agency_code=posted["agency"],
        ),
        f"{ROUTING_PATH}?done=added",
        values=posted.entered,
    )


@router.post(ROUTING_PATH + "/{rule_id}/delete", response_class=HTMLResponse)
def routing_delete(
    call: AdminCall, rule_id: int, csrf_token: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    """Remove a rule (reports then follow the next rule, the category or the commune)."""
    request, db, principal = call
    return _AdminForm(request, db, principal, _routing_page, FieldReportError).send(
        csrf_token,
        lambda: routing.delete_rule(db, principal.actor, rule_id),
        f"{ROUTING_PATH}?done=removed",
    )


# --- calendar --------------------------------------------------------------------------------


def preview(cal: calendar.WorkingCalendar, start: date, days: int) -> list[dict[str, Any]]:
    """``days`` days from ``start``: worked or not, holiday name, adjusted by a row or file."""
    extra = cal.extra_days
    out = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        working = cal.is_working_day(day)
        out.append(
            {
                "day": day,
                "working": working,
                "holiday": cal.holiday_name(day),
                "extra": day in extra,
                "weekday": day.weekday(),
            }
        )
    return out


def _calendar_page(
    request: Request,
    db: Session,
    principal: Principal,
    *,
    error: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    cal = calendar.load_calendar(db)
    today = clock.now().astimezone(clock.local_zone()).date()
    days = preview(cal, today, PREVIEW_DAYS)
    rows = db.execute(
        select(calendar.CalendarDay).order_by(calendar.CalendarDay.day.desc())
    ).scalars()
    done = request.query_params.get("done", "")
    return render(
        request,
        "field_reports/admin/calendar.html",
        {
            **base_context(request),
            "rows": list(rows),
            "days": days,
            "lead_blanks": days[0]["weekday"] if days else 0,
            "working_count": sum(1 for d in days if d["working"]),
            "today": today,
            "error": error,
            "values": values or {},
            "done": done if done in ("added", "removed") else "",
        },
        principal=principal,
        status_code=status_code,
    )


@router.get(CALENDAR_PATH, response_class=HTMLResponse)
def calendar_page(call: AdminCall) -> Response:
    """Lịch ngày làm việc: adjusted days and the next 60 days."""
    request, db, principal = call
    return _calendar_page(request, db, principal)


def _parse_day(value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise calendar.CalendarError(
            "Ngày không hợp lệ (định dạng năm-tháng-ngày)",
            "Invalid date (year-month-day)",
            field="day",
        ) from exc


# An adjusted day as the form posts it.
DayForm = Annotated[Posted, Depends(form_fields(csrf_token=200, day=20, kind=8, name=1000))]


@router.post(CALENDAR_PATH, response_class=HTMLResponse)
def calendar_add(call: AdminCall, posted: DayForm) -> Response:
    """Declare a day worked (a make-up Saturday) or off (a closure, a province day off)."""
    request, db, principal = call
    return _AdminForm(request, db, principal, _calendar_page, calendar.CalendarError).send(
        posted.csrf_token,
        lambda: calendar.add_calendar_day(
            db, principal.actor, _parse_day(posted["day"]), posted["kind"], posted["name"]
        ),
        f"{CALENDAR_PATH}?done=added",
        values=posted.entered,
    )


@router.post(CALENDAR_PATH + "/{day}/delete", response_class=HTMLResponse)
def calendar_delete(
    call: AdminCall, day: str, csrf_token: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    """Remove an adjusted day: it follows the official calendar again."""
    request, db, principal = call
    return _AdminForm(request, db, principal, _calendar_page, calendar.CalendarError).send(
        csrf_token,
        lambda: calendar.remove_calendar_day(db, principal.actor, _parse_day(day)),
        f"{CALENDAR_PATH}?done=removed",
    )
