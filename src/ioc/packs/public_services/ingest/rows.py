"""Validating one incoming row (procedure, dossier, feedback) against the catalogue, the
agencies and communes, and the working-day calendar; each returns the values to store or raises
:class:`~ioc.packs.public_services.ingest.fields.Invalid`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, select
from sqlalchemy.orm import Session

from ioc.core import clock
from ioc.core.calendar import load_calendar
from ioc.core.models import Agency, Area
from ioc.packs.public_services.indices import (
    CHANNELS,
    FEEDBACK_LIMIT_WD,
    FINISHED_STATUSES,
    RESULT_KINDS,
    STATUSES,
    DossierFacts,
    month_key,
)
from ioc.packs.public_services.ingest.fields import (
    CHANNEL_ALIASES,
    MAX_ID_LEN,
    RESULT_ALIASES,
    Invalid,
    bool_field,
    choice_field,
    int_field,
    text_field,
    time_field,
)
from ioc.packs.public_services.models import PsProcedure
from ioc.packs.public_services.workdays import WorkdayMath

__all__ = ["DossierIn", "Lookups", "dossier", "facts_of", "feedback", "lookups", "procedure"]


@dataclass
class Lookups:
    """What a batch checks rows against: known agencies, communes, procedures, the calendar."""

    agencies: set[str]
    areas: set[str]
    procedures: dict[str, PsProcedure]
    math: WorkdayMath
    zone: Any
    now: datetime


_MATH: dict[int, WorkdayMath] = {}


def workday_math(session: Session) -> WorkdayMath:
    """Cached working-day arithmetic over the session's calendar (the packaged calendar is one
    shared object, so its caches survive from batch to batch; a calendar with administrators'
    days is a new object and gets fresh caches)."""
    calendar = load_calendar(session)
    math = _MATH.get(id(calendar))
    if math is None or math.calendar is not calendar:
        if len(_MATH) > 8:
            _MATH.clear()
        math = _MATH[id(calendar)] = WorkdayMath(calendar)
    return math


def lookups(session: Session, math: WorkdayMath | None) -> Lookups:
    """The lookups of one batch (read once)."""
    agencies = set(session.execute(select(Agency.code)).scalars())
    areas = set(session.execute(select(Area.code)).scalars())
    procedures = {p.code: p for p in session.execute(select(PsProcedure)).scalars()}
    math = math or workday_math(session)
    return Lookups(agencies, areas, procedures, math, math.zone, clock.now())


# --------------------------------------------------------------------------- procedures


def procedure(row: Mapping[str, Any], lk: Lookups) -> dict[str, Any]:
    """A catalogue row: the procedure's attributes (``None`` where the row says nothing)."""
    code = text_field(row, "code", "procedure_code", required=True, size=MAX_ID_LEN)
    name = text_field(row, "name", "procedure_name", size=500)
    existing = lk.procedures.get(code or "")
    if name is None and existing is None:
        raise Invalid("name", "bắt buộc với thủ tục mới", "required for a new procedure")
    level = choice_field(
        row, "level", {"tinh": "province", "xa": "commune"}, ("province", "commune")
    )
    online = choice_field(
        row, "online", {"toan_trinh": "full", "mot_phan": "partial"}, ("full", "partial", "none")
    )
    return {
        "code": code,
        "name": name or (existing.name if existing else ""),
        "field": text_field(row, "field", size=200) or (existing.field if existing else ""),
        "level": level,
        "time_limit_days": int_field(row, "time_limit_days", high=3650),
        "online": online,
        "has_fee": bool_field(row, "has_fee"),
        "payment_integrated": bool_field(row, "payment_integrated"),
        "paper_result": bool_field(row, "paper_result"),
        "active": bool_field(row, "active"),
    }


# --------------------------------------------------------------------------- dossiers


@dataclass
class DossierIn:
    """A valid dossier row: its id, stored input columns, facts and the source's time."""

    code: str
    values: dict[str, Any]  # stored input columns
    facts: DossierFacts
    source_updated_at: datetime | None


def _owner(row: Mapping[str, Any], lk: Lookups, *area_names: str) -> tuple[str, str]:
    """The row's agency (required, known) and commune (optional, known)."""
    agency = text_field(row, "agency", "agency_code", required=True, size=64)
    if agency not in lk.agencies:
        raise Invalid("agency", f"không có cơ quan mã {agency!r}", f"unknown agency {agency!r}")
    area = text_field(row, *area_names, size=16) or ""
    if area and area not in lk.areas:
        raise Invalid("area", f"không có xã/phường mã {area!r}", f"unknown commune {area!r}")
    return agency, area


def _supplements(
    row: Mapping[str, Any], received: datetime, finished: datetime | None, lk: Lookups
) -> tuple[int, int, bool]:
    items = row.get("supplements")
    if items is None:
        count = int_field(row, "supplement_count", high=100) or 0
        days = int_field(row, "supplement_days", high=3650) or 0
        open_ = bool(bool_field(row, "supplement_open")) and finished is None
        if days and not count:
            raise Invalid(
                "supplement_days",
                "có ngày chờ bổ sung nhưng số lần yêu cầu bổ sung là 0",
                "supplement days without a supplement request",
            )
        return count, days, open_
    if not isinstance(items, list):
        raise Invalid("supplements", "phải là danh sách", "must be a list")
    total, open_ = 0, False
    for i, item in enumerate(items, start=1):
        where = f"supplements[{i}]"
        if not isinstance(item, Mapping):
            raise Invalid(where, "phải là đối tượng", "must be an object")
        try:
            requested = time_field(item, "requested_at", lk.zone, required=True)
            supplied = time_field(item, "supplied_at", lk.zone)
        except Invalid as exc:
            raise Invalid(f"{where}.{exc.field}", exc.message, exc.en) from None
        assert requested is not None
        if requested < received:
            raise Invalid(
                f"{where}.requested_at", "trước ngày tiếp nhận", "before the dossier was received"
            )
        end = supplied or finished
        if end is None:
            open_ = True
            continue
        if end < requested:
            raise Invalid(
                f"{where}.supplied_at", "trước ngày yêu cầu bổ sung", "before the request"
            )
        total += lk.math.between(requested, end)
    return len(items), total, open_


def _procedure_of(row: Mapping[str, Any], lk: Lookups) -> tuple[str, PsProcedure | None, str]:
    """The dossier's procedure code, its catalogue entry (if known) and its name."""
    proc_code = text_field(row, "procedure_code", required=True, size=MAX_ID_LEN)
    assert proc_code is not None
    proc = lk.procedures.get(proc_code)
    proc_name = text_field(row, "procedure_name", size=500)
    if proc_name is None:
        if proc is None:
            raise Invalid(
                "procedure_name",
                f"thủ tục {proc_code!r} chưa có trong danh mục: cần tên thủ tục",
                "unknown procedure: its name is required",
            )
        proc_name = proc.name
    return proc_code, proc, proc_name


def _times(
    row: Mapping[str, Any], lk: Lookups
) -> tuple[datetime, datetime | None, datetime | None, datetime | None]:
    """Received, promised, finished and source-updated times, in order and not in the future."""
    received = time_field(row, "received_at", lk.zone, required=True)
    assert received is not None
    due = time_field(row, "due_at", lk.zone)
    finished = time_field(row, "finished_at", lk.zone)
    updated = time_field(row, "updated_at", lk.zone)
    horizon = lk.now.replace(microsecond=0)
    if received > horizon:
        raise Invalid("received_at", "ở tương lai", "in the future")
    if due is not None and due < received:
        raise Invalid("due_at", "ngày hẹn trả trước ngày tiếp nhận", "before received_at")
    if finished is not None:
        if finished < received:
            raise Invalid("finished_at", "trước ngày tiếp nhận", "before received_at")
        if finished > horizon:
            raise Invalid("finished_at", "ở tương lai", "in the future")
    return received, due, finished, updated


def _status(row: Mapping[str, Any], finished: datetime | None, open_: bool) -> tuple[str, bool]:
    """The dossier's status (sent, or inferred from its times) and whether a supplement
    request is open."""
    status = choice_field(
        row, "status", {"da_tra": "returned", "rut": "withdrawn", "bo_sung": "supplement"}, STATUSES
    )
    if status is None:
        status = "finished" if finished else ("supplement" if open_ else "processing")
    if status in FINISHED_STATUSES and finished is None:
        raise Invalid("finished_at", f"bắt buộc khi trạng thái là {status}", "required")
    if finished is not None and status in ("received", "processing", "supplement"):
        raise Invalid(
            "status",
            f"hồ sơ đã có ngày hoàn thành nhưng trạng thái là {status}",
            "finished_at given for an unfinished status",
        )
    return status, open_ or status == "supplement"


def dossier(row: Mapping[str, Any], lk: Lookups) -> DossierIn:
    """A dossier row, fields checked in the order a sender reads them."""
    code = text_field(row, "id", "code", required=True, size=MAX_ID_LEN)
    assert code is not None
    proc_code, proc, proc_name = _procedure_of(row, lk)
    agency, area = _owner(row, lk, "area", "area_code", "commune")
    channel = choice_field(row, "channel", CHANNEL_ALIASES, CHANNELS)
    if channel is None:
        raise Invalid("channel", "bắt buộc: online, direct hoặc post", "required")
    received, due, finished, updated = _times(row, lk)
    limit = int_field(row, "time_limit_days", high=3650)
    count, days, open_ = _supplements(row, received, finished, lk)
    status, open_ = _status(row, finished, open_)
    result = choice_field(row, "result", RESULT_ALIASES, RESULT_KINDS, "result_kind")
    paid = bool(bool_field(row, "paid_online"))
    fee = bool_field(row, "fee_required")
    if fee is None:
        fee = bool(proc is not None and proc.has_fee) or paid
    if paid and not fee:
        raise Invalid("fee_required", "đã thanh toán trực tuyến nhưng không có phí", "no fee")
    rating = choice_field(
        row, "rating", {"hai_long": "like", "khong_hai_long": "dislike"}, ("like", "dislike")
    )
    values: dict[str, Any] = {
        "procedure_code": proc_code,
        "procedure_name": proc_name,
        "agency_code": agency,
        "area_code": area,
        "channel": channel,
        "status": status,
        "received_at": received,
        "due_at": due,
        "time_limit_days": limit,
        "finished_at": finished,
        "supplement_count": count,
        "supplement_days": days,
        "supplement_open": open_,
        "result_kind": result,
        "fee_required": fee,
        "paid_online": paid,
        "digitised": bool(bool_field(row, "digitised")),
        "reused": bool(bool_field(row, "reused_data", "reused")),
        "synced": bool_field(row, "synced"),
        "feedback": bool(bool_field(row, "feedback")),
        "rating": rating,
    }
    return DossierIn(code, values, facts_of(values, proc), updated)


def facts_of(row: Mapping[str, Any] | RowMapping, proc: PsProcedure | None) -> DossierFacts:
    """The facts of a dossier from its input columns (a row being stored, or a stored one)
    and its procedure (whose time limit applies when the dossier has none)."""
    limit = row["time_limit_days"]
    return DossierFacts(
        received_at=row["received_at"],
        channel=row["channel"],
        status=row["status"],
        due_at=row["due_at"],
        time_limit_days=limit if limit is not None else (proc.time_limit_days if proc else None),
        finished_at=row["finished_at"],
        supplement_count=row["supplement_count"],
        supplement_days=row["supplement_days"],
        supplement_open=row["supplement_open"],
        result_kind=row["result_kind"],
        fee_required=row["fee_required"],
        paid_online=row["paid_online"],
        digitised=row["digitised"],
        reused=row["reused"],
        synced=row["synced"],
        feedback=row["feedback"],
        rating=row["rating"],
        paper_result_procedure=proc.paper_result if proc is not None else None,
    )


# --------------------------------------------------------------------------- feedback


def feedback(row: Mapping[str, Any], lk: Lookups) -> dict[str, Any]:
    """A feedback (PAKN) row with its 15-working-day deadline."""
    code = text_field(row, "id", "code", required=True, size=MAX_ID_LEN)
    agency, area = _owner(row, lk, "area", "area_code")
    received = time_field(row, "received_at", lk.zone, required=True)
    assert received is not None
    handled = time_field(row, "handled_at", lk.zone)
    if handled is not None and handled < received:
        raise Invalid("handled_at", "trước ngày tiếp nhận", "before received_at")
    return {
        "code": code,
        "dossier_code": text_field(row, "dossier_id", "dossier_code", size=MAX_ID_LEN),
        "agency_code": agency,
        "area_code": area,
        "received_at": received,
        "handled_at": handled,
        "due_at": lk.math.add(received, FEEDBACK_LIMIT_WD),
        "disliked": bool(bool_field(row, "disliked")),
        "recomplained": bool(bool_field(row, "recomplained")),
        "recv_month": month_key(received, lk.math),
        "updated_at": lk.now,
    }
