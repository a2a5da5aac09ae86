"""What the Open311 API answers: services (categories), request items and request updates,
built only from the public serializers (``public.public_report``): no personal data."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.core import clock
from ioc.packs.field_reports import public, routing, service
from ioc.packs.field_reports.models import Category, Report, ReportEvent
from ioc.packs.field_reports.open311.params import (
    AREA_CODE,
    MAX_RESULTS,
    bad,
    date_range,
    not_found,
    paging,
    param,
    split_list,
)


def catalog_changeset(session: Session) -> str:
    latest = session.execute(select(func.max(Category.updated_at))).scalar_one_or_none()
    stamp = latest or datetime(2026, 1, 1, tzinfo=UTC)
    return stamp.astimezone(clock.local_zone()).isoformat(timespec="seconds")


def active_categories(session: Session) -> list[Category]:
    return list(
        session.execute(
            select(Category)
            .where(Category.active.is_(True))
            .order_by(Category.position, Category.code)
        ).scalars()
    )


def service_item(category: Category, lang: str) -> dict[str, Any]:
    keywords = [k.strip().lower() for k in category.name_en.split(",") if k.strip()]
    return {
        "service_code": category.code,
        "service_name": category.name_en if lang == "en" else category.name_vi,
        "description": category.description or None,
        "metadata": True,
        "type": "realtime",
        "keywords": ", ".join(keywords) or None,
        "group": category.group_code or None,
    }


def active_category(session: Session, code: str) -> Category:
    category = session.execute(
        select(Category).where(Category.code == code, Category.active.is_(True))
    ).scalar_one_or_none()
    if category is None:
        raise not_found("lĩnh vực (service_code)", "service_code", code)
    return category


def area_attribute(session: Session) -> dict[str, Any]:
    """The one question every service asks: the commune/ward (xã/phường) of the problem."""
    return {
        "variable": True,
        "code": AREA_CODE,
        "datatype": "singlevaluelist",
        "required": False,
        "datatype_description": "Mã xã/phường (đơn vị hành chính) / commune code",
        "order": 1,
        "description": "Xã/phường nơi xảy ra sự việc (không bắt buộc nếu địa chỉ "
        "address_string có tên xã/phường) / commune or ward of the problem",
        "values": [{"key": a.code, "name": a.name} for a in routing.communes(session)],
    }


# Our detailed status -> the mySociety / FixMyStreet update state (published and rated
# reports take their state from the resolution, see _update_state).
_UPDATE_STATE = {
    service.RECEIVED: "open",
    service.ASSIGNED: "open",
    service.INFO_REQUESTED: "investigating",
    service.IN_PROGRESS: "in_progress",
    service.ANSWERED: "closed",
    service.REJECTED: "closed",
    service.MERGED: "duplicate",
}
_RESOLUTION_STATE = {
    "fixed": "fixed",
    "scheduled": "action_scheduled",
    "explained": "no_further_action",
    "referred": "internal_referral",
}


def _status_notes(data: dict[str, Any]) -> str | None:
    if data.get("answer"):
        return str(data["answer"])
    if data.get("reject_reason"):
        return str(data["reject_reason"])
    if data.get("merged_into"):
        return f"Đã gộp vào phản ánh {data['merged_into']}"
    return str(data["status_label"]) if data.get("status_label") else None


def _media_url(base: str, data: dict[str, Any]) -> str | None:
    photos = data.get("photos") or []
    return f"{base}/field-reports/photos/{photos[0]['id']}" if photos else None


def request_item(session: Session, report: Report, base: str, lang: str) -> dict[str, Any]:
    """One request as Open311 shows it, built only from the public serializer."""
    data = public.public_report(session, report, lang)
    is_closed = data["status"] in service.CLOSED_STATUSES
    item: dict[str, Any] = {
        "service_request_id": data["code"],
        "status": "closed" if is_closed else "open",
        "status_notes": _status_notes(data),
        "service_name": None,
        "service_code": None,
        "description": None,
        "agency_responsible": None,
        "service_notice": None,
        "requested_datetime": None,
        "updated_datetime": None,
        "expected_datetime": None,
        "address": None,
        "address_id": None,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }
    if data.get("hidden"):
        # A hidden report shows only its code and status (as on the public tracking page).
        return item
    agency = data.get("agency") or {}
    item.update(
        {
            "service_name": data["category"]["name"],
            "service_code": data["category"]["code"],
            "description": data["description"],
            "agency_responsible": agency.get("name"),
            "requested_datetime": data["received_at"],
            "updated_datetime": (data.get("closed_at") if is_closed else None)
            or data["updated_at"],
            "expected_datetime": data["expected_at"],
            "address": data["address"] or None,
            "lat": data["lat"],
            "long": data["lon"],
            "media_url": _media_url(base, data),
        }
    )
    return item


def select_requests(session: Session, params: Mapping[str, Any], now: datetime) -> list[Report]:
    """The reports a ``GET requests`` query asks for (newest first)."""
    page, page_size = paging(params)
    ids = [i.upper() for i in split_list(param(params, "service_request_id"))]
    query = select(Report)
    if ids:
        # The id list overrides every other filter (spec §3.4); hidden reports still answer
        # with their code and status, as on the tracking page.
        query = query.where(Report.code.in_(ids[:MAX_RESULTS]))
    else:
        start, end = date_range(params, now)
        query = query.where(
            Report.hidden.is_(False), Report.received_at >= start, Report.received_at <= end
        )
        codes = split_list(param(params, "service_code"))
        if codes:
            query = query.join(Category, Category.id == Report.category_id).where(
                Category.code.in_(codes)
            )
        statuses = {s.lower() for s in split_list(param(params, "status"))}
        if statuses - {"open", "closed"}:
            raise bad("status", "chỉ nhận open hoặc closed", "must be open and/or closed")
        if statuses == {"open"}:
            query = query.where(Report.closed.is_(False))
        elif statuses == {"closed"}:
            query = query.where(Report.closed.is_(True))
    query = query.order_by(Report.received_at.desc(), Report.id.desc())
    return list(session.execute(query.limit(page_size).offset((page - 1) * page_size)).scalars())


def report_by_code(session: Session, code: str) -> Report:
    report = session.execute(
        select(Report).where(Report.code == code.strip().upper())
    ).scalar_one_or_none()
    if report is None:
        raise not_found("phản ánh (service_request_id)", "service_request_id", code)
    return report


def _update_state(status: str | None, resolution: str | None) -> str:
    if status in (service.PUBLISHED, service.RATED):
        return _RESOLUTION_STATE.get(resolution or "", "closed")
    return _UPDATE_STATE.get(status or "", "open")


def select_updates(
    session: Session, params: Mapping[str, Any], now: datetime, lang: str
) -> list[dict[str, Any]]:
    """Public timeline steps in the ``start_date``/``end_date`` window, oldest first."""
    start, end = date_range(params, now)
    rows = session.execute(
        select(ReportEvent.id, ReportEvent.report_id)
        .join(Report, Report.id == ReportEvent.report_id)
        .where(
            ReportEvent.public.is_(True),
            Report.hidden.is_(False),
            ReportEvent.at >= start,
            ReportEvent.at <= end,
        )
        .order_by(ReportEvent.at, ReportEvent.id)
        .limit(MAX_RESULTS)
    ).all()
    wanted = {event_id for event_id, _ in rows}
    by_report: dict[int, list[dict[str, Any]]] = {}
    out: dict[int, dict[str, Any]] = {}
    for _event_id, report_id in rows:
        if report_id in by_report:
            continue
        report = session.get(Report, report_id)
        assert report is not None
        data = public.public_report(session, report, lang, timeline=True)
        by_report[report_id] = data.get("timeline", [])
        for step in by_report[report_id]:
            if step["id"] not in wanted:
                continue
            text = step["text"]
            out[step["id"]] = {
                "update_id": str(step["id"]),
                "service_request_id": data["code"],
                "status": _update_state(step["status"], data.get("resolution")),
                "description": f"{step['label']}: {text}" if text else step["label"],
                "updated_datetime": step["at"],
                "media_url": None,
                "external_status_code": step["status"],
            }
    return [out[event_id] for event_id, _ in rows if event_id in out]
