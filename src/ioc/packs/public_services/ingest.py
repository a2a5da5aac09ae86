"""Tiếp nhận hồ sơ TTHC: validate and upsert procedures, dossiers and feedback in batches.

One action, :func:`ingest_batch`, serves the JSON API, the XLSX/CSV import page and the demo:

* rows are validated one by one; an invalid row is reported with its section, row number
  (1-based within the section, or the spreadsheet row), dossier id, field and a Vietnamese and
  English message; ``atomic=True`` stores nothing when any row is invalid;
* dossiers are **idempotent by id** (``id``, the iGate dossier code): a new id is inserted, a
  known id is updated to the sent state (a dossier moves: received → processing →
  supplement → finished), the same state again changes nothing, and a state older than the
  stored one (by the source's ``updated_at``) is ignored as stale;
* the ``ps_stats`` aggregates are kept current in the same transaction: the old state's
  contributions are subtracted and the new state's added, so scores change without
  duplicates and without recomputing anything else;
* one audit row per batch. The caller (request, import, demo, job) owns the transaction.

Field reference (JSON keys; the import accepts the same names or the Vietnamese headers in
:data:`HEADER_ALIASES`): see ``docs`` of the API route. Times are ISO 8601; a time without an
offset is local time (Asia/Ho_Chi_Minh).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, time
from operator import itemgetter
from typing import Any, Final, cast

from sqlalchemy import (
    Integer,
    Table,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.orm import Session

from ioc.core import audit, clock, i18n
from ioc.core.calendar import load_calendar
from ioc.core.models import Agency, Area
from ioc.core.ownership import NotYourData, WriteScope
from ioc.packs.public_services.indices import (
    CHANNELS,
    COUNTER_FIELDS,
    FEEDBACK_LIMIT_WD,
    FINISHED_FIELDS,
    FINISHED_STATUSES,
    RECEIVED_FIELDS,
    RESULT_KINDS,
    STATUSES,
    Counters,
    DossierFacts,
    DossierRow,
    classify,
    contributions,
    month_key,
)
from ioc.packs.public_services.models import PsDossier, PsFeedback, PsProcedure, PsStat
from ioc.packs.public_services.workdays import WorkdayMath

__all__ = [
    "HEADER_ALIASES",
    "TEMPLATE_HEADERS",
    "IngestReport",
    "RowProblem",
    "apply_deltas",
    "dossier_row",
    "ingest_batch",
    "rebuild_stats",
]

CHUNK: Final = 500
MAX_ID_LEN: Final = 64

CHANNEL_ALIASES: Final = {
    "online": "online",
    "truc_tuyen": "online",
    "trực tuyến": "online",
    "truc tuyen": "online",
    "direct": "direct",
    "in_person": "direct",
    "truc_tiep": "direct",
    "trực tiếp": "direct",
    "truc tiep": "direct",
    "post": "post",
    "buu_chinh": "post",
    "bưu chính": "post",
    "buu chinh": "post",
}
RESULT_ALIASES: Final = {
    "electronic": "electronic",
    "dien_tu": "electronic",
    "điện tử": "electronic",
    "dien tu": "electronic",
    "paper": "paper",
    "giay": "paper",
    "giấy": "paper",
}
TRUE_WORDS: Final = frozenset({"true", "1", "yes", "y", "x", "có", "co", "đúng", "dung"})
FALSE_WORDS: Final = frozenset({"false", "0", "no", "n", "không", "khong", "sai"})

# Columns of the import template: (field, Vietnamese header). The import accepts the field
# names themselves or these headers (compared without diacritics or case).
TEMPLATE_HEADERS: Final[tuple[tuple[str, str], ...]] = (
    ("id", "Mã hồ sơ"),
    ("procedure_code", "Mã thủ tục"),
    ("procedure_name", "Tên thủ tục"),
    ("agency", "Mã cơ quan"),
    ("area", "Mã xã phường"),
    ("channel", "Kênh nộp"),
    ("received_at", "Ngày tiếp nhận"),
    ("due_at", "Ngày hẹn trả"),
    ("time_limit_days", "Thời hạn (ngày làm việc)"),
    ("supplement_count", "Số lần yêu cầu bổ sung"),
    ("supplement_days", "Số ngày chờ bổ sung"),
    ("supplement_open", "Đang chờ bổ sung"),
    ("finished_at", "Ngày hoàn thành"),
    ("result", "Kết quả"),
    ("fee_required", "Có phí"),
    ("paid_online", "Thanh toán trực tuyến"),
    ("digitised", "Số hóa đầu vào"),
    ("reused_data", "Tái sử dụng dữ liệu"),
    ("synced", "Đã đồng bộ"),
    ("feedback", "Có phản ánh"),
    ("rating", "Đánh giá"),
    ("status", "Trạng thái"),
    ("updated_at", "Cập nhật lúc"),
)
HEADER_ALIASES: Final[dict[str, str]] = {
    **{" ".join(i18n.fold(title).split()): name for name, title in TEMPLATE_HEADERS},
    "co quan": "agency",
    "xa phuong": "area",
    "ma xa": "area",
}


@dataclass(frozen=True)
class RowProblem:
    """One invalid row: section, row number, dossier id, field, Vietnamese and English text."""

    section: str
    row: int
    id: str | None
    field: str
    message: str
    message_en: str

    def as_dict(self) -> dict[str, Any]:
        """JSON shape of the problem."""
        return {
            "section": self.section,
            "row": self.row,
            "id": self.id,
            "field": self.field,
            "message": self.message,
            "message_en": self.message_en,
        }


@dataclass
class IngestReport:
    """What happened to a batch (stored rows are in the caller's transaction)."""

    atomic: bool = False
    received: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    stale: int = 0
    procedures: int = 0
    feedback: int = 0
    errors: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every row was valid."""
        return not self.errors

    @property
    def stored(self) -> int:
        """Dossiers inserted or updated."""
        return self.inserted + self.updated

    def as_dict(self) -> dict[str, Any]:
        """The JSON body returned to the sender."""
        return {
            "received": dict(self.received),
            "stored": self.stored,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "stale": self.stale,
            "procedures": self.procedures,
            "feedback": self.feedback,
            "rejected": len({(e.section, e.row) for e in self.errors}),
            "mode": "atomic" if self.atomic else "partial",
            "errors": [e.as_dict() for e in self.errors[:1000]],
            "errors_truncated": len(self.errors) > 1000,
        }


class _Invalid(Exception):
    def __init__(self, field_name: str, vi: str, en: str) -> None:
        super().__init__(vi)
        self.field = field_name
        self.vi = vi
        self.en = en


# --------------------------------------------------------------------------- field parsers


def _get(row: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        value = row.get(name)
        if value is None:
            continue
        if value.__class__ is str:
            value = value.strip()
            if not value:
                return None
        return value
    return None


def _text(
    row: Mapping[str, Any], name: str, *alts: str, required: bool = False, size: int = 500
) -> str | None:
    value = _get(row, name, *alts)
    if value is None:
        if required:
            raise _Invalid(name, "bắt buộc, chưa có giá trị", "required")
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if len(text) > size:
        raise _Invalid(name, f"dài quá {size} ký tự", f"longer than {size} characters")
    if "\x00" in text:  # PostgreSQL cannot store it
        raise _Invalid(name, "chứa ký tự NUL (\\x00)", "contains a NUL character")
    return text


def _time(
    row: Mapping[str, Any], name: str, zone: Any, *, required: bool = False
) -> datetime | None:
    value = _get(row, name)
    if value is None:
        if required:
            raise _Invalid(name, "bắt buộc, chưa có thời điểm", "required")
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time(0, 0))
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise _Invalid(
                name,
                f"thời điểm {value!r} không đúng dạng ISO 8601 (vd 2026-03-10T08:30:00+07:00)",
                f"{value!r} is not an ISO 8601 time",
            ) from None
    else:
        raise _Invalid(name, "phải là thời điểm ISO 8601", "must be an ISO 8601 time")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    if not clock.accepted(moment):
        raise _Invalid(
            name,
            f"thời điểm ngoài khoảng cho phép {clock.RANGE_TEXT}",
            f"time outside the accepted range {clock.RANGE_TEXT}",
        )
    return moment.astimezone(UTC)


def _bool(row: Mapping[str, Any], name: str, *alts: str) -> bool | None:
    value = _get(row, name, *alts)
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise _Invalid(name, f"giá trị {value!r} phải là có/không (true/false)", "must be true/false")


def _int(row: Mapping[str, Any], name: str, *, low: int = 0, high: int = 10_000) -> int | None:
    value = _get(row, name)
    if value is None:
        return None
    if isinstance(value, bool):
        raise _Invalid(name, "phải là số nguyên", "must be an integer")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise _Invalid(name, f"{value!r} không phải số nguyên", "must be an integer") from None
    if not number.is_integer() or not low <= number <= high:
        raise _Invalid(
            name, f"phải là số nguyên từ {low} đến {high}", f"must be an integer {low}–{high}"
        )
    return int(number)


def _choice(
    row: Mapping[str, Any],
    name: str,
    aliases: Mapping[str, str],
    allowed: Sequence[str],
    *alts: str,
) -> str | None:
    value = _get(row, name, *alts)
    if value is None:
        return None
    key = str(value).strip().lower()
    if key in aliases:
        return aliases[key]
    if key in allowed:
        return key
    shown = ", ".join(allowed)
    raise _Invalid(name, f"giá trị {value!r} không hợp lệ; dùng: {shown}", f"use one of: {shown}")


# --------------------------------------------------------------------------- lookups


@dataclass
class _Lookups:
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


def _lookups(session: Session, math: WorkdayMath | None) -> _Lookups:
    agencies = set(session.execute(select(Agency.code)).scalars())
    areas = set(session.execute(select(Area.code)).scalars())
    procedures = {p.code: p for p in session.execute(select(PsProcedure)).scalars()}
    math = math or workday_math(session)
    return _Lookups(agencies, areas, procedures, math, math.zone, clock.now())


# --------------------------------------------------------------------------- procedures


def _procedure(row: Mapping[str, Any], lk: _Lookups) -> dict[str, Any]:
    code = _text(row, "code", "procedure_code", required=True, size=MAX_ID_LEN)
    name = _text(row, "name", "procedure_name", size=500)
    existing = lk.procedures.get(code or "")
    if name is None and existing is None:
        raise _Invalid("name", "bắt buộc với thủ tục mới", "required for a new procedure")
    level = _choice(row, "level", {"tinh": "province", "xa": "commune"}, ("province", "commune"))
    online = _choice(
        row, "online", {"toan_trinh": "full", "mot_phan": "partial"}, ("full", "partial", "none")
    )
    return {
        "code": code,
        "name": name or (existing.name if existing else ""),
        "field": _text(row, "field", size=200) or (existing.field if existing else ""),
        "level": level,
        "time_limit_days": _int(row, "time_limit_days", high=3650),
        "online": online,
        "has_fee": _bool(row, "has_fee"),
        "payment_integrated": _bool(row, "payment_integrated"),
        "paper_result": _bool(row, "paper_result"),
        "active": _bool(row, "active"),
    }


def _store_procedure(session: Session, values: dict[str, Any], lk: _Lookups) -> None:
    existing = lk.procedures.get(values["code"])
    if existing is None:
        proc = PsProcedure(
            code=values["code"],
            name=values["name"],
            field=values["field"],
            level=values["level"],
            time_limit_days=values["time_limit_days"],
            online=values["online"],
            has_fee=values["has_fee"],
            payment_integrated=values["payment_integrated"],
            paper_result=values["paper_result"],
            active=True if values["active"] is None else values["active"],
            updated_at=lk.now,
        )
        session.add(proc)
        lk.procedures[proc.code] = proc
        return
    for key, value in values.items():
        if key != "code" and value is not None and getattr(existing, key) != value:
            setattr(existing, key, value)
            existing.updated_at = lk.now


# --------------------------------------------------------------------------- dossiers


@dataclass
class _DossierIn:
    code: str
    values: dict[str, Any]  # stored input columns
    facts: DossierFacts
    source_updated_at: datetime | None


def _supplements(
    row: Mapping[str, Any], received: datetime, finished: datetime | None, lk: _Lookups
) -> tuple[int, int, bool]:
    items = row.get("supplements")
    if items is None:
        count = _int(row, "supplement_count", high=100) or 0
        days = _int(row, "supplement_days", high=3650) or 0
        open_ = bool(_bool(row, "supplement_open")) and finished is None
        if days and not count:
            raise _Invalid(
                "supplement_days",
                "có ngày chờ bổ sung nhưng số lần yêu cầu bổ sung là 0",
                "supplement days without a supplement request",
            )
        return count, days, open_
    if not isinstance(items, list):
        raise _Invalid("supplements", "phải là danh sách", "must be a list")
    total, open_ = 0, False
    for i, item in enumerate(items, start=1):
        where = f"supplements[{i}]"
        if not isinstance(item, Mapping):
            raise _Invalid(where, "phải là đối tượng", "must be an object")
        try:
            requested = _time(item, "requested_at", lk.zone, required=True)
            supplied = _time(item, "supplied_at", lk.zone)
        except _Invalid as exc:
            raise _Invalid(f"{where}.{exc.field}", exc.vi, exc.en) from None
        assert requested is not None
        if requested < received:
            raise _Invalid(
                f"{where}.requested_at", "trước ngày tiếp nhận", "before the dossier was received"
            )
        end = supplied or finished
        if end is None:
            open_ = True
            continue
        if end < requested:
            raise _Invalid(
                f"{where}.supplied_at", "trước ngày yêu cầu bổ sung", "before the request"
            )
        total += lk.math.between(requested, end)
    return len(items), total, open_


def _dossier(row: Mapping[str, Any], lk: _Lookups) -> _DossierIn:
    code = _text(row, "id", "code", required=True, size=MAX_ID_LEN)
    assert code is not None
    proc_code = _text(row, "procedure_code", required=True, size=MAX_ID_LEN)
    assert proc_code is not None
    proc = lk.procedures.get(proc_code)
    proc_name = _text(row, "procedure_name", size=500)
    if proc_name is None:
        if proc is None:
            raise _Invalid(
                "procedure_name",
                f"thủ tục {proc_code!r} chưa có trong danh mục: cần tên thủ tục",
                "unknown procedure: its name is required",
            )
        proc_name = proc.name
    agency = _text(row, "agency", "agency_code", required=True, size=64)
    if agency not in lk.agencies:
        raise _Invalid("agency", f"không có cơ quan mã {agency!r}", f"unknown agency {agency!r}")
    area = _text(row, "area", "area_code", "commune", size=16) or ""
    if area and area not in lk.areas:
        raise _Invalid("area", f"không có xã/phường mã {area!r}", f"unknown commune {area!r}")
    channel = _choice(row, "channel", CHANNEL_ALIASES, CHANNELS)
    if channel is None:
        raise _Invalid("channel", "bắt buộc: online, direct hoặc post", "required")
    received = _time(row, "received_at", lk.zone, required=True)
    assert received is not None
    due = _time(row, "due_at", lk.zone)
    finished = _time(row, "finished_at", lk.zone)
    updated = _time(row, "updated_at", lk.zone)
    horizon = lk.now.replace(microsecond=0)
    if received > horizon:
        raise _Invalid("received_at", "ở tương lai", "in the future")
    if due is not None and due < received:
        raise _Invalid("due_at", "ngày hẹn trả trước ngày tiếp nhận", "before received_at")
    if finished is not None:
        if finished < received:
            raise _Invalid("finished_at", "trước ngày tiếp nhận", "before received_at")
        if finished > horizon:
            raise _Invalid("finished_at", "ở tương lai", "in the future")
    limit = _int(row, "time_limit_days", high=3650)
    count, days, open_ = _supplements(row, received, finished, lk)
    status = _choice(
        row, "status", {"da_tra": "returned", "rut": "withdrawn", "bo_sung": "supplement"}, STATUSES
    )
    if status is None:
        status = "finished" if finished else ("supplement" if open_ else "processing")
    if status in FINISHED_STATUSES and finished is None:
        raise _Invalid("finished_at", f"bắt buộc khi trạng thái là {status}", "required")
    if finished is not None and status in ("received", "processing", "supplement"):
        raise _Invalid(
            "status",
            f"hồ sơ đã có ngày hoàn thành nhưng trạng thái là {status}",
            "finished_at given for an unfinished status",
        )
    if status == "supplement":
        open_ = True
    result = _choice(row, "result", RESULT_ALIASES, RESULT_KINDS, "result_kind")
    paid = bool(_bool(row, "paid_online"))
    fee = _bool(row, "fee_required")
    if fee is None:
        fee = bool(proc is not None and proc.has_fee) or paid
    if paid and not fee:
        raise _Invalid("fee_required", "đã thanh toán trực tuyến nhưng không có phí", "no fee")
    rating = _choice(
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
        "digitised": bool(_bool(row, "digitised")),
        "reused": bool(_bool(row, "reused_data", "reused")),
        "synced": _bool(row, "synced"),
        "feedback": bool(_bool(row, "feedback")),
        "rating": rating,
    }
    facts = DossierFacts(
        received_at=received,
        channel=channel,
        status=status,
        due_at=due,
        time_limit_days=limit if limit is not None else (proc.time_limit_days if proc else None),
        finished_at=finished,
        supplement_count=count,
        supplement_days=days,
        supplement_open=open_,
        result_kind=result,
        fee_required=fee,
        paid_online=paid,
        digitised=values["digitised"],
        reused=values["reused"],
        synced=values["synced"],
        feedback=values["feedback"],
        rating=rating,
        paper_result_procedure=proc.paper_result if proc is not None else None,
    )
    return _DossierIn(code, values, facts, updated)


_ROW_FIELDS: Final = tuple(f.name for f in fields(DossierRow))
_row_values = itemgetter(*_ROW_FIELDS)


def dossier_row(values: Mapping[str, Any]) -> DossierRow:
    """The contribution-relevant columns of a stored (or about to be stored) dossier."""
    return DossierRow(*_row_values(values))


def derived_values(facts: DossierFacts, math: WorkdayMath) -> dict[str, Any]:
    """The derived columns of a dossier (``indices.classify``)."""
    c = classify(facts, math)
    return {
        "counted": c.counted,
        "recv_month": c.recv_month,
        "fin_month": c.fin_month,
        "effective_due_at": c.effective_due_at,
        "on_time": c.on_time,
        "late_reason": c.late_reason,
        "handling_days": c.handling_days,
        "online_counted": c.online_counted,
        "complaint": c.complaint,
        "is_open": c.is_open,
    }


StatKey = tuple[str, str, str, int]


def _add_contrib(deltas: dict[StatKey, Counters], values: Mapping[str, Any], sign: int) -> None:
    for month, counts in contributions(dossier_row(values)):
        key = (values["agency_code"], values["area_code"], values["procedure_code"], month)
        slot = deltas.get(key)
        if slot is None:
            slot = deltas[key] = Counters()
        slot.add(counts, sign)


COMPARED: Final = (
    "procedure_code",
    "procedure_name",
    "agency_code",
    "area_code",
    "channel",
    "status",
    "received_at",
    "due_at",
    "time_limit_days",
    "finished_at",
    "supplement_count",
    "supplement_days",
    "supplement_open",
    "result_kind",
    "fee_required",
    "paid_online",
    "digitised",
    "reused",
    "synced",
    "feedback",
    "rating",
    "counted",
    "recv_month",
    "fin_month",
    "effective_due_at",
    "on_time",
    "late_reason",
    "handling_days",
    "online_counted",
    "complaint",
    "is_open",
)


def _same(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    for key in COMPARED:
        a, b = old.get(key), new.get(key)
        if isinstance(a, datetime) and isinstance(b, datetime):
            if a != b:
                return False
        elif a != b:
            return False
    return True


def _existing(session: Session, codes: list[str], lock: bool) -> dict[str, dict[str, Any]]:
    cols = [PsDossier.id, PsDossier.code, PsDossier.source_updated_at] + [
        getattr(PsDossier, k) for k in COMPARED
    ]
    out: dict[str, dict[str, Any]] = {}
    for i in range(0, len(codes), CHUNK):
        stmt = select(*cols).where(PsDossier.code.in_(codes[i : i + CHUNK]))
        if lock:
            stmt = stmt.with_for_update()
        for row in session.connection().execute(stmt).mappings():
            out[row["code"]] = dict(row)
    return out


def apply_deltas(session: Session, deltas: Mapping[StatKey, Counters]) -> None:
    """Add ``deltas`` to ``ps_stats`` (insert missing rows), one statement per chunk."""
    rows = []
    for (agency, area, proc, month), counts in deltas.items():
        if counts.is_zero():
            continue
        row: dict[str, Any] = {
            "agency_code": agency,
            "area_code": area,
            "procedure_code": proc,
            "month": month,
        }
        row.update({name: getattr(counts, name) for name in COUNTER_FIELDS})
        rows.append(row)
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert  # type: ignore[assignment]
    table = cast(Table, PsStat.__table__)
    stmt = dialect_insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=["agency_code", "area_code", "procedure_code", "month"],
        set_={name: table.c[name] + stmt.excluded[name] for name in COUNTER_FIELDS},
    )
    for i in range(0, len(rows), 2000):
        session.execute(stmt, rows[i : i + 2000])


def _write_updates(session: Session, updates: list[dict[str, Any]]) -> None:
    """One executemany UPDATE per set of changed columns (Core, by primary key)."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in updates:
        groups[tuple(sorted(row))].append(row)
    table = cast(Table, PsDossier.__table__)
    for keys, rows in groups.items():
        stmt = (
            update(table)
            .where(table.c.id == bindparam("_id"))
            .values({k: bindparam(k) for k in keys if k != "_id"})
        )
        session.execute(stmt, rows)


def _store_dossiers(
    session: Session, items: list[_DossierIn], lk: _Lookups, report: IngestReport
) -> None:
    latest: dict[str, _DossierIn] = {}
    for item in items:
        prev = latest.get(item.code)
        if (
            prev is not None
            and prev.source_updated_at is not None
            and item.source_updated_at is not None
            and item.source_updated_at < prev.source_updated_at
        ):
            report.stale += 1
            continue
        if prev is not None:
            report.unchanged += 1  # superseded by a later row of the same batch
        latest[item.code] = item
    lock = session.get_bind().dialect.name == "postgresql"
    existing = _existing(session, list(latest), lock)
    deltas: dict[StatKey, Counters] = {}
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for code, item in latest.items():
        new = dict(item.values)
        new.update(derived_values(item.facts, lk.math))
        old = existing.get(code)
        if old is not None:
            if (
                item.source_updated_at is not None
                and old["source_updated_at"] is not None
                and item.source_updated_at < old["source_updated_at"]
            ):
                report.stale += 1
                continue
            if _same(old, new):
                report.unchanged += 1
                continue
            _add_contrib(deltas, old, -1)
            new["source_updated_at"] = item.source_updated_at or old["source_updated_at"]
            # Only the changed columns are written: fewer index entries to maintain.
            changed = {k: new[k] for k in (*COMPARED, "source_updated_at") if old[k] != new[k]}
            changed["updated_at"] = lk.now
            changed["_id"] = old["id"]
            updates.append(changed)
        else:
            new["code"] = code
            new["source_updated_at"] = item.source_updated_at
            new["updated_at"] = lk.now
            inserts.append(new)
        _add_contrib(deltas, new, +1)
    for i in range(0, len(inserts), 5000):
        session.execute(insert(PsDossier), inserts[i : i + 5000])
    _write_updates(session, updates)
    apply_deltas(session, deltas)
    report.inserted += len(inserts)
    report.updated += len(updates)


# --------------------------------------------------------------------------- feedback


def _feedback(row: Mapping[str, Any], lk: _Lookups) -> dict[str, Any]:
    code = _text(row, "id", "code", required=True, size=MAX_ID_LEN)
    agency = _text(row, "agency", "agency_code", required=True, size=64)
    if agency not in lk.agencies:
        raise _Invalid("agency", f"không có cơ quan mã {agency!r}", f"unknown agency {agency!r}")
    area = _text(row, "area", "area_code", size=16) or ""
    if area and area not in lk.areas:
        raise _Invalid("area", f"không có xã/phường mã {area!r}", f"unknown commune {area!r}")
    received = _time(row, "received_at", lk.zone, required=True)
    assert received is not None
    handled = _time(row, "handled_at", lk.zone)
    if handled is not None and handled < received:
        raise _Invalid("handled_at", "trước ngày tiếp nhận", "before received_at")
    return {
        "code": code,
        "dossier_code": _text(row, "dossier_id", "dossier_code", size=MAX_ID_LEN),
        "agency_code": agency,
        "area_code": area,
        "received_at": received,
        "handled_at": handled,
        "due_at": lk.math.add(received, FEEDBACK_LIMIT_WD),
        "disliked": bool(_bool(row, "disliked")),
        "recomplained": bool(_bool(row, "recomplained")),
        "recv_month": month_key(received, lk.math),
        "updated_at": lk.now,
    }


def _store_feedback(session: Session, rows: list[dict[str, Any]]) -> None:
    by_code = {r["code"]: r for r in rows}
    codes = list(by_code)
    existing: dict[str, int] = {}
    for i in range(0, len(codes), CHUNK):
        for code, id_ in session.execute(
            select(PsFeedback.code, PsFeedback.id).where(PsFeedback.code.in_(codes[i : i + CHUNK]))
        ):
            existing[code] = id_
    new = [r for c, r in by_code.items() if c not in existing]
    old = [{**r, "id": existing[c]} for c, r in by_code.items() if c in existing]
    if new:
        session.execute(insert(PsFeedback), new)
    if old:
        session.execute(update(PsFeedback), old)


# --------------------------------------------------------------------------- the action


def check_owners(
    session: Session,
    scope: WriteScope,
    *,
    procedures: Sequence[Any] = (),
    dossiers: Sequence[Any] = (),
    feedback: Sequence[Any] = (),
) -> None:
    """Raise :class:`NotYourData` when the batch touches data the caller does not own: a
    dossier or feedback row naming another agency (or, for commune staff, another commune),
    an existing dossier of another owner (a row may not take it over), or the procedure
    catalogue, which every agency's scores depend on and only province-wide callers change."""
    if scope.everything:
        return
    if procedures:
        raise NotYourData(
            "Chỉ Trung tâm IOC được cập nhật danh mục thủ tục",
            "only the province's operations centre may change the procedure catalogue",
            owners=["procedures"],
        )
    refused: set[str] = set()
    codes: list[str] = []
    for row in [*dossiers, *feedback]:
        if not isinstance(row, Mapping):
            continue  # reported by validation
        agency = _get(row, "agency", "agency_code")
        area = _get(row, "area", "area_code", "commune")
        if not scope.may_owner(
            None if agency is None else str(agency), None if area is None else str(area)
        ):
            refused.add(str(agency or area or _id_of(row)))
    for row in dossiers:
        code = _id_of(row) if isinstance(row, Mapping) else None
        if code:
            codes.append(code)
    for i in range(0, len(codes), CHUNK):
        found = session.execute(
            select(PsDossier.code, PsDossier.agency_code, PsDossier.area_code).where(
                PsDossier.code.in_(codes[i : i + CHUNK])
            )
        )
        for code, agency, area in found:
            if not scope.may_owner(agency, area or None):
                refused.add(f"{code} ({agency})")
    if refused:
        shown = ", ".join(sorted(refused)[:20])
        raise NotYourData(
            f"Lô có hồ sơ của đơn vị khác: {shown}",
            f"the batch holds dossiers of another agency: {shown}",
            owners=refused,
        )


def ingest_batch(
    session: Session,
    actor: audit.Actor,
    *,
    procedures: Sequence[Mapping[str, Any]] = (),
    dossiers: Sequence[Mapping[str, Any]] = (),
    feedback: Sequence[Mapping[str, Any]] = (),
    atomic: bool = False,
    row_numbers: Sequence[int] | None = None,
    source: str = "api",
    math: WorkdayMath | None = None,
    scope: WriteScope | None = None,
) -> IngestReport:
    """Validate and store one batch (procedures first, then dossiers, then feedback).

    ``row_numbers`` gives each dossier's number as the user sees it (spreadsheet rows);
    by default rows are numbered from 1 within their section. ``scope`` (default: every
    owner) is checked first: a batch touching another owner's data raises
    :class:`NotYourData` and stores nothing.
    """
    if scope is not None:
        check_owners(session, scope, procedures=procedures, dossiers=dossiers, feedback=feedback)
    report = IngestReport(atomic=atomic)
    lk = _lookups(session, math)
    # Atomic batches run in a savepoint: procedures are stored before the dossiers that name
    # them are validated, and all of it goes if any row is invalid.
    savepoint = session.begin_nested() if atomic else None
    procs: list[dict[str, Any]] = []
    for i, row in enumerate(procedures, start=1):
        report.received["procedures"] += 1
        try:
            if not isinstance(row, Mapping):
                raise _Invalid("", "mỗi dòng phải là đối tượng JSON", "each row must be an object")
            procs.append(_procedure(row, lk))
        except _Invalid as exc:
            report.errors.append(
                RowProblem("procedures", i, _id_of(row), exc.field, exc.vi, exc.en)
            )
    for values in procs:
        _store_procedure(session, values, lk)
    report.procedures = len(procs)
    session.flush()
    items: list[_DossierIn] = []
    for i, row in enumerate(dossiers):
        number = row_numbers[i] if row_numbers is not None else i + 1
        report.received["dossiers"] += 1
        try:
            if not isinstance(row, Mapping):
                raise _Invalid("", "mỗi dòng phải là đối tượng JSON", "each row must be an object")
            items.append(_dossier(row, lk))
        except _Invalid as exc:
            report.errors.append(
                RowProblem("dossiers", number, _id_of(row), exc.field, exc.vi, exc.en)
            )
    fb_rows: list[dict[str, Any]] = []
    for i, row in enumerate(feedback, start=1):
        report.received["feedback"] += 1
        try:
            if not isinstance(row, Mapping):
                raise _Invalid("", "mỗi dòng phải là đối tượng JSON", "each row must be an object")
            fb_rows.append(_feedback(row, lk))
        except _Invalid as exc:
            report.errors.append(RowProblem("feedback", i, _id_of(row), exc.field, exc.vi, exc.en))
    if savepoint is not None and report.errors:
        savepoint.rollback()
        report.procedures = 0
        return report
    for item in items:
        code = item.values["procedure_code"]
        if code not in lk.procedures:
            # A procedure first seen on a dossier joins the catalogue with its name only; its
            # attributes (online level, fees …) stay undeclared until a "procedures" row says.
            _store_procedure(
                session,
                {"code": code, "name": item.values["procedure_name"], "field": "",
                 "level": None, "time_limit_days": None, "online": None, "has_fee": None,
                 "payment_integrated": None, "paper_result": None, "active": None},
                lk,
            )  # fmt: skip
    _store_dossiers(session, items, lk, report)
    if fb_rows:
        _store_feedback(session, fb_rows)
        report.feedback = len(fb_rows)
    session.flush()
    audit.record(
        session,
        actor,
        "ps.ingest",
        "ps_batch",
        None,
        source=source,
        inserted=report.inserted,
        updated=report.updated,
        unchanged=report.unchanged,
        stale=report.stale,
        rejected=len(report.errors),
        procedures=report.procedures,
        feedback=report.feedback,
    )
    if savepoint is not None:
        savepoint.commit()
    return report


def _id_of(row: Any) -> str | None:
    if isinstance(row, Mapping):
        value = row.get("id") or row.get("code")
        return None if value is None else str(value)[:MAX_ID_LEN]
    return None


# --------------------------------------------------------------------------- rebuild


def _flag(condition: Any) -> Any:
    return case((condition, 1), else_=0)


def _dialect_insert(session: Session) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


def rebuild_stats(session: Session) -> int:
    """Recompute ``ps_stats`` from the dossiers' stored columns; returns the number of rows.

    Two grouped INSERT…SELECTs inside the database (received-based sums by received month,
    then finished-based sums by finished month, merged on conflict) — no row leaves SQL.
    The incremental path (:func:`apply_deltas`) must always agree with it.
    """
    d = PsDossier
    table = cast(Table, PsStat.__table__)
    session.execute(delete(table))
    keys = (d.agency_code, d.area_code, d.procedure_code)
    key_cols = ["agency_code", "area_code", "procedure_code", "month"]
    received = (
        select(
            *keys,
            d.recv_month,
            func.count(),
            func.sum(_flag(d.channel == "online")),
            func.sum(_flag(d.online_counted.is_(True))),
            func.sum(_flag(d.synced.is_not(None))),
            func.sum(_flag(d.synced.is_(True))),
            func.sum(_flag(d.fee_required.is_(True))),
            func.sum(_flag((d.fee_required.is_(True)) & (d.paid_online.is_(True)))),
            func.sum(_flag(d.reused.is_(True))),
            *[literal(0, Integer) for _ in FINISHED_FIELDS],
        )
        .where(d.counted.is_(True))
        .group_by(*keys, d.recv_month)
    )
    session.execute(insert(table).from_select(key_cols + list(COUNTER_FIELDS), received))
    finished = (
        select(
            *keys,
            d.fin_month,
            *[literal(0, Integer) for _ in RECEIVED_FIELDS],
            func.count(),
            func.sum(_flag(d.on_time.is_(True))),
            func.sum(_flag(d.on_time.is_(False))),
            func.sum(_flag(d.late_reason == "supplements")),
            func.sum(_flag(d.on_time.is_(None))),
            func.sum(_flag(d.result_kind == "electronic")),
            func.sum(_flag((d.digitised.is_(True)) & (d.result_kind == "electronic"))),
            func.sum(_flag(d.complaint.is_(True))),
            func.coalesce(func.sum(d.handling_days), 0),
            func.sum(_flag(d.handling_days.is_not(None))),
        )
        .where(d.counted.is_(True), d.fin_month.is_not(None))
        .group_by(*keys, d.fin_month)
    )
    stmt = _dialect_insert(session)(table).from_select(key_cols + list(COUNTER_FIELDS), finished)
    stmt = stmt.on_conflict_do_update(
        index_elements=key_cols,
        set_={name: stmt.excluded[name] for name in FINISHED_FIELDS},
    )
    session.execute(stmt)
    return int(session.execute(select(func.count()).select_from(table)).scalar_one())


def rederive_all(session: Session, math: WorkdayMath | None = None) -> int:
    """Recompute every dossier's derived columns (after a calendar or catalogue change), then
    rebuild the aggregates; returns the number of dossiers whose verdict changed."""
    math = math or workday_math(session)
    procs = {p.code: p for p in session.execute(select(PsProcedure)).scalars()}
    changed: list[dict[str, Any]] = []
    cols = [PsDossier.id] + [getattr(PsDossier, k) for k in COMPARED]
    for row in session.execute(select(*cols)).mappings():
        proc = procs.get(row["procedure_code"])
        facts = _facts_of(row, proc)
        new = derived_values(facts, math)
        if any(row[k] != v for k, v in new.items()):
            changed.append({"id": row["id"], **new})
    for i in range(0, len(changed), 5000):
        session.execute(update(PsDossier), changed[i : i + 5000])
    rebuild_stats(session)
    return len(changed)


def _facts_of(row: Any, proc: PsProcedure | None) -> DossierFacts:
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


def fold_header(name: str) -> str:
    """A column header as a lookup key: folded, single spaces."""
    return " ".join(i18n.fold(name).split())


def rows_from_table(columns: Iterable[str]) -> dict[str, str]:
    """Map each column of an uploaded table to a field name (English names kept as is)."""
    out: dict[str, str] = {}
    for col in columns:
        key = fold_header(col)
        out[col] = HEADER_ALIASES.get(key, key.replace(" ", "_"))
    return out
