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

from fastapi import APIRouter, Depends, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import audit, calendar, clock, i18n
from ioc.core.models import Agency, Area
from ioc.packs.field_reports import routing
from ioc.packs.field_reports.errors import FieldReportError
from ioc.packs.field_reports.models import Category, RoutingRule
from ioc.packs.field_reports.pages.context import base_context, categories, communes, error_text
from ioc.web import csrf
from ioc.web.pagekit import AdminCall, Call, Posted, form_fields
from ioc.web.templating import render

router = APIRouter(include_in_schema=False)

PREVIEW_DAYS = 60
ROUTING_PATH = "/field-reports/admin/routing"
CALENDAR_PATH = "/field-reports/admin/calendar"


# An action of an administration form, run with the session and the caller's audit actor.
Action = Callable[[Session, audit.Actor], object]


@dataclass(frozen=True)
class _AdminPage:
    """An administration page (``path``, ``template``) with its add and remove forms: what it
    shows besides the forms (``context``, from the session and the language) and the error
    its actions raise when refused."""

    path: str
    template: str
    context: Callable[[Session, str], dict[str, Any]]
    refused: type[FieldReportError] | type[calendar.CalendarError]

    def show(
        self,
        call: Call,
        *,
        error: dict[str, str] | None = None,
        values: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Response:
        """The page, with the refused form's ``error`` and ``values`` and the notice of the
        last action (``?done=added`` or ``removed``)."""
        request = call.request
        done = request.query_params.get("done", "")
        return render(
            request,
            self.template,
            {
                **base_context(request),
                **self.context(call.db, call.lang),
                "error": error,
                "values": values or {},
                "done": done if done in ("added", "removed") else "",
            },
            principal=call.principal,
            status_code=status_code,
        )

    def add(self, call: Call, posted: Posted, run: Action) -> Response:
        """The add form: run the action and go to ``?done=added``; a refused field is named
        and the form shown again with what was entered (422)."""
        return self._send(call, posted.csrf_token, run, "added", values=posted.entered)

    def remove(self, call: Call, csrf_token: str, run: Action) -> Response:
        """A row's remove button: run the action and go to ``?done=removed``; a refusal
        means the row is gone (404)."""
        return self._send(call, csrf_token, run, "removed")

    def _send(
        self,
        call: Call,
        csrf_token: str,
        run: Action,
        done: str,
        *,
        values: dict[str, str] | None = None,
    ) -> Response:
        """Run the action and go to the page with ``?done=``; otherwise the page again with
        the error."""
        lang = call.lang
        again = partial(self.show, call, values=values)
        if not csrf.valid(call.request, csrf_token):
            return again(
                error={"field": "form", "message": i18n.translate("frp.error.csrf", lang)},
                status_code=400,
            )
        try:
            run(call.db, call.principal.actor)
        except self.refused as exc:
            call.db.rollback()
            field = (exc.field or "form") if values is not None else "form"
            error = {"field": field, "message": error_text(exc, lang)}
            return again(error=error, status_code=422 if values is not None else 404)
        return RedirectResponse(f"{self.path}?done={done}", status_code=303)


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


def _routing_context(db: Session, lang: str) -> dict[str, Any]:
    """The rules, and the categories, communes and agencies the add form offers."""
    agencies = db.execute(
        select(Agency.code, Agency.name)
        .where(Agency.valid_to.is_(None))
        .order_by(Agency.kind != "department", Agency.kind, Agency.name)
    ).all()
    return {
        "rules": _rules(db, lang),
        "categories": categories(db, lang),
        "communes": communes(db),
        "agencies": [
            {"code": code, "name": name, "folded": i18n.fold(name)} for code, name in agencies
        ],
    }


_ROUTING = _AdminPage(
    ROUTING_PATH, "field_reports/admin/routing.html", _routing_context, FieldReportError
)


@router.get(ROUTING_PATH, response_class=HTMLResponse)
def routing_page(call: AdminCall) -> Response:
    """Quy tắc chuyển xử lý: category × commune → agency."""
    return _ROUTING.show(call)


# A routing rule as the form posts it.
RuleForm = Annotated[Posted, Depends(form_fields(csrf_token=200, category=64, area=16, agency=64))]


@router.post(ROUTING_PATH, response_class=HTMLResponse)
def routing_add(call: AdminCall, posted: RuleForm) -> Response:
    """Add a rule, or replace the agency of the rule with the same category and commune."""
    rule = partial(
        routing.set_rule,
        category_code=posted["category"] or None,
        area_code=posted["area"] or None,
        agency_code=posted["agency"],
    )
    return _ROUTING.add(call, posted, rule)


@router.post(ROUTING_PATH + "/{rule_id}/delete", response_class=HTMLResponse)
def routing_delete(
    call: AdminCall, rule_id: int, csrf_token: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    """Remove a rule (reports then follow the next rule, the category or the commune)."""
    return _ROUTING.remove(call, csrf_token, partial(routing.delete_rule, rule_id=rule_id))


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


def _calendar_context(db: Session, lang: str) -> dict[str, Any]:
    """The adjusted days, and the next ``PREVIEW_DAYS`` days as the deadlines count them."""
    cal = calendar.load_calendar(db)
    today = clock.now().astimezone(clock.local_zone()).date()
    days = preview(cal, today, PREVIEW_DAYS)
    rows = db.execute(
        select(calendar.CalendarDay).order_by(calendar.CalendarDay.day.desc())
    ).scalars()
    return {
        "rows": list(rows),
        "days": days,
        "lead_blanks": days[0]["weekday"] if days else 0,
        "working_count": sum(1 for d in days if d["working"]),
        "today": today,
    }


_CALENDAR = _AdminPage(
    CALENDAR_PATH, "field_reports/admin/calendar.html", _calendar_context, calendar.CalendarError
)


@router.get(CALENDAR_PATH, response_class=HTMLResponse)
def calendar_page(call: AdminCall) -> Response:
    """Lịch ngày làm việc: adjusted days and the next 60 days."""
    return _CALENDAR.show(call)


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

    def add(db: Session, actor: audit.Actor) -> object:
        day = _parse_day(posted["day"])
        return calendar.add_calendar_day(db, actor, day, posted["kind"], posted["name"])

    return _CALENDAR.add(call, posted, add)


@router.post(CALENDAR_PATH + "/{day}/delete", response_class=HTMLResponse)
def calendar_delete(
    call: AdminCall, day: str, csrf_token: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    """Remove an adjusted day: it follows the official calendar again."""

    def remove(db: Session, actor: audit.Actor) -> None:
        calendar.remove_calendar_day(db, actor, _parse_day(day))

    return _CALENDAR.remove(call, csrf_token, remove)
