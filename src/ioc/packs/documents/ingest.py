"""Documents in: JSON batches from the document-management system and CSV/XLSX files.

Both doors validate rows the same way and upsert by the document system's own id
(``id``): sending a batch again updates the documents it names and never doubles them.

Fields (JSON key, or one of the Vietnamese column headers of a file):

==================  ==========================================  ===============================
key                 file column                                 meaning
==================  ==========================================  ===============================
``id``              Mã văn bản                                  the document system's id
``direction``       Loại văn bản đến/đi                         ``incoming``/``đến`` or
                                                                ``outgoing``/``đi``
``agency``          Mã đơn vị                                   agency code (``so-xay-dung`` …)
``number``          Số ký hiệu                                  e.g. ``125/SXD-PTĐT``
``type``            Loại văn bản                                Công văn, Quyết định …
``summary``         Trích yếu                                   subject line
``counterpart``     Nơi gửi/nhận                                sender or recipients
``issued_on``       Ngày ban hành                               date on the document
``received_at``     Ngày đến                                    receipt (incoming)
``issued_at``       Ngày đi                                     release (outgoing)
``deadline``        Hạn xử lý                                   date, date-time or
                                                                "N ngày làm việc"
``processed_at``    Ngày xử lý xong                             handling finished
``signed``          Ký số                                       digitally signed (có/không)
``via_axis``        Gửi qua trục liên thông                     sent/received over the axis
``source``          Hệ thống                                    name of the sending system
==================  ==========================================  ===============================

One of ``received_at``/``issued_at`` is required: it is when the document entered the
register (``registered_at``). Times without an offset are local time (Asia/Ho_Chi_Minh); a
date alone means 00:00 local, and a deadline counted from it ends at the end of its last day.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import audit, clock
from ioc.core.calendar import WorkingCalendar, load_calendar
from ioc.core.models import Agency
from ioc.core.ownership import WriteScope
from ioc.engines.actions_kit import (
    BatchOutcome,
    FieldError,
    Refused,
    check_accepted,
    chunks,
    refuse_foreign,
)
from ioc.engines.ingestion.tabular import TableError, read_table
from ioc.packs.documents.indicators import DeadlineError, parse_deadline
from ioc.packs.documents.models import Document

__all__ = [
    "COLUMNS",
    "IngestReport",
    "RowError",
    "import_file",
    "ingest_rows",
    "template_header",
]

# key -> (Vietnamese header, English label)
COLUMNS: dict[str, tuple[str, str]] = {
    "id": ("Mã văn bản", "document id"),
    "direction": ("Loại văn bản đến/đi", "direction"),
    "agency": ("Mã đơn vị", "agency code"),
    "number": ("Số ký hiệu", "number"),
    "type": ("Loại văn bản", "type"),
    "summary": ("Trích yếu", "summary"),
    "counterpart": ("Nơi gửi/nhận", "counterpart"),
    "issued_on": ("Ngày ban hành", "issued on"),
    "received_at": ("Ngày đến", "received at"),
    "issued_at": ("Ngày đi", "issued at"),
    "deadline": ("Hạn xử lý", "deadline"),
    "processed_at": ("Ngày xử lý xong", "processed at"),
    "signed": ("Ký số", "digitally signed"),
    "via_axis": ("Gửi qua trục liên thông", "via the interconnection axis"),
    "source": ("Hệ thống", "source system"),
}
_HEADER_KEYS = {vi.casefold(): key for key, (vi, _en) in COLUMNS.items()} | {
    key: key for key in COLUMNS
}
_DIRECTIONS = {
    "incoming": "incoming",
    "đến": "incoming",
    "den": "incoming",
    "văn bản đến": "incoming",
    "outgoing": "outgoing",
    "đi": "outgoing",
    "di": "outgoing",
    "văn bản đi": "outgoing",
}
_TRUE = {"true", "1", "có", "co", "x", "yes", "y", "đã ký", "đã gửi"}
_FALSE = {"false", "0", "không", "khong", "no", "n", ""}
LIMITS = {"number": 100, "type": 100, "counterpart": 300, "source": 64, "summary": 4000}


@dataclass(frozen=True)
class RowError(Refused):
    """A refused row: its position (batch index from 0, or file row as Excel shows it)."""

    row: int
    field: str
    message: str
    en: str

    def text(self, *, file: bool) -> str:
        """``Dòng 3, cột Hạn xử lý: … (row 3, column deadline: …)``."""
        vi_col, en_col = COLUMNS.get(self.field, (self.field, self.field))
        where_vi = (
            f"Dòng {self.row}, cột {vi_col}" if file else f"Văn bản #{self.row}, {self.field}"
        )
        where_en = f"row {self.row}, column {en_col}" if file else f"item {self.row}, {self.field}"
        return f"{where_vi}: {self.message} ({where_en}: {self.en})"


@dataclass
class IngestReport(BatchOutcome[RowError]):
    """What a batch or file did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def counts(self) -> dict[str, int]:
        """The created, updated and unchanged documents and the refused rows (as the audit
        row keeps them)."""
        return {**super().counts(), "rejected": len({e.row for e in self.errors})}


class _Bad(FieldError):
    """A refused value of one row."""


def _text(raw: Mapping[str, Any], key: str) -> str:
    value = raw.get(key)
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    limit = LIMITS.get(key)
    if limit is not None and len(text) > limit:
        raise _Bad(key, f"dài quá {limit} ký tự", f"longer than {limit} characters")
    if "\x00" in text:  # PostgreSQL cannot store it
        raise _Bad(key, "chứa ký tự NUL (\\x00)", "contains a NUL character")
    return text


def _moment(raw: Mapping[str, Any], key: str) -> tuple[datetime | None, bool]:
    """(aware datetime, date_only) from an ISO/``dd/mm/yyyy [HH:MM]`` text or a cell value."""
    moment, date_only = _read_moment(raw, key)
    if moment is not None:
        check_accepted(moment, key, _Bad)
    return moment, date_only


def _read_moment(raw: Mapping[str, Any], key: str) -> tuple[datetime | None, bool]:
    value = raw.get(key)
    zone = clock.local_zone()
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, False
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=zone)), False
    if isinstance(value, date):
        return datetime.combine(value, time(0, 0), tzinfo=zone), True
    if not isinstance(value, str):
        raise _Bad(key, "không phải ngày giờ", "not a date or time")
    text = value.strip()
    try:
        if "/" in text:
            day_part, _, time_part = text.partition(" ")
            d, m, y = (int(p) for p in day_part.split("/"))
            if time_part:
                hh, mm = (int(p) for p in time_part.split(":")[:2])
                return datetime(y, m, d, hh, mm, tzinfo=zone), False
            return datetime(y, m, d, tzinfo=zone), True
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(0, 0), tzinfo=zone), True
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise _Bad(
            key,
            f"không hiểu ngày giờ {text!r} (dùng dd/mm/yyyy hoặc ISO 8601)",
            f"unreadable date/time {text!r} (use dd/mm/yyyy or ISO 8601)",
        ) from exc
    return (moment if moment.tzinfo else moment.replace(tzinfo=zone)), False


def _flag(raw: Mapping[str, Any], key: str) -> bool:
    value = raw.get(key)
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, int | float):
        return value != 0
    text = str(value).strip().casefold()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise _Bad(
        key, f"giá trị {value!r} không hợp lệ (có/không)", f"invalid value {value!r} (yes/no)"
    )


def _values(
    raw: Mapping[str, Any], agencies: Mapping[str, int], calendar: WorkingCalendar
) -> dict[str, Any]:
    """Validated column values of one document; raises :class:`_Bad` on the first problem."""
    external_id = _text(raw, "id")
    if not external_id:
        raise _Bad("id", "thiếu mã văn bản", "missing document id")
    if len(external_id) > 128:
        raise _Bad("id", "mã văn bản dài quá 128 ký tự", "id longer than 128 characters")
    direction = _DIRECTIONS.get(_text(raw, "direction").casefold())
    if direction is None:
        raise _Bad("direction", "phải là 'đến' hoặc 'đi'", "must be incoming or outgoing")
    agency_code = _text(raw, "agency")
    if not agency_code:
        raise _Bad("agency", "thiếu mã đơn vị", "missing agency code")
    agency_id = agencies.get(agency_code)
    if agency_id is None:
        raise _Bad(
            "agency", f"không có đơn vị mã {agency_code!r}", f"unknown agency {agency_code!r}"
        )
    received, received_date_only = _moment(raw, "received_at")
    issued, issued_date_only = _moment(raw, "issued_at")
    registered = received or issued
    date_only = received_date_only if received else issued_date_only
    if registered is None:
        key = "received_at" if direction == "incoming" else "issued_at"
        raise _Bad(key, "thiếu ngày đến/ngày đi", "missing received/issued time")
    issued_on_moment, _ = _moment(raw, "issued_on")
    deadline_raw = raw.get("deadline")
    try:
        deadline = parse_deadline(
            deadline_raw if not isinstance(deadline_raw, int | float) else str(deadline_raw),
            registered,
            calendar,
            whole_days=date_only,
        )
    except DeadlineError as exc:
        raise _Bad(
            "deadline",
            f"{exc} — dùng ngày (dd/mm/yyyy) hoặc 'N ngày làm việc'",
            "use a date (dd/mm/yyyy) or 'N ngày làm việc'",
        ) from exc
    if deadline is not None and deadline < registered:
        raise _Bad("deadline", "hạn xử lý trước ngày đến/đi", "deadline before registration")
    processed, processed_date_only = _moment(raw, "processed_at")
    if processed is not None and processed_date_only:
        processed = datetime.combine(processed.date(), time(23, 59, 59), tzinfo=processed.tzinfo)
    if (
        processed is not None
        and processed.date() < registered.astimezone(clock.local_zone()).date()
    ):
        raise _Bad(
            "processed_at", "ngày xử lý xong trước ngày đến/đi", "processed before registration"
        )
    deadline_text = raw.get("deadline")
    return {
        "direction": direction,
        "agency_id": agency_id,
        "number": _text(raw, "number"),
        "doc_type": _text(raw, "type"),
        "summary": _text(raw, "summary"),
        "counterpart": _text(raw, "counterpart"),
        "issued_on": (
            issued_on_moment.astimezone(clock.local_zone()).date() if issued_on_moment else None
        ),
        "registered_at": registered,
        "deadline_at": deadline,
        "deadline_text": (
            str(deadline_text).strip()[:100] if isinstance(deadline_text, str) else ""
        ),
        "processed_at": processed,
        "digitally_signed": _flag(raw, "signed"),
        "via_axis": _flag(raw, "via_axis"),
        "source": _text(raw, "source"),
        "_external_id": external_id,
    }


def ingest_rows(
    session: Session,
    actor: audit.Actor,
    rows: Sequence[tuple[int, Mapping[str, Any]]],
    *,
    atomic: bool = False,
    origin: str = "api",
    scope: WriteScope | None = None,
) -> IngestReport:
    """Validate and upsert ``rows`` given as ``(position, fields)``; in ``atomic`` mode store
    nothing when any row is invalid. One audit row per call. Never commits.

    ``scope`` (default: every owner) is checked first: a row naming another agency, or an
    existing document of another agency, raises :class:`NotYourData` and nothing is stored."""
    if scope is not None:
        check_owners(session, scope, rows)
    report = IngestReport()
    agencies = dict(session.execute(select(Agency.code, Agency.id)).all())
    calendar = load_calendar(session)
    valid: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for position, raw in rows:
        try:
            values = _values(raw, agencies, calendar)
        except _Bad as bad:
            report.errors.append(RowError(position, bad.field, bad.message, bad.en))
            continue
        external_id = values["_external_id"]
        if external_id in seen:
            report.errors.append(
                RowError(
                    position,
                    "id",
                    f"mã văn bản trùng với dòng {seen[external_id]}",
                    f"same id as row {seen[external_id]}",
                )
            )
            continue
        seen[external_id] = position
        valid.append(values)
    if atomic and report.errors:
        return report
    _upsert(session, valid, report)
    audit.record(
        session,
        actor,
        "doc.documents.ingest",
        "doc_documents",
        None,
        origin=origin,
        **report.counts(),
    )
    return report


def check_owners(
    session: Session, scope: WriteScope, rows: Sequence[tuple[int, Mapping[str, Any]]]
) -> None:
    """Raise :class:`NotYourData` when a row names, or would take over, another agency's
    document."""
    if scope.everything:
        return
    refused: set[str] = set()
    ids: list[str] = []
    for _position, raw in rows:
        if not isinstance(raw, Mapping):
            continue
        agency = str(raw.get("agency") or "").strip() or None
        if agency is not None and not scope.may_agency(agency):
            refused.add(agency)
        external_id = str(raw.get("id") or "").strip()
        if external_id:
            ids.append(external_id)
    codes = dict(session.execute(select(Agency.id, Agency.code)).all())
    for chunk in chunks(ids):
        for external_id, agency_id in session.execute(
            select(Document.external_id, Document.agency_id).where(Document.external_id.in_(chunk))
        ):
            if not scope.may_agency(codes.get(agency_id)):
                refused.add(f"{external_id} ({codes.get(agency_id)})")
    refuse_foreign(refused, "văn bản", "documents")


def _upsert(session: Session, valid: list[dict[str, Any]], report: IngestReport) -> None:
    ids = [v["_external_id"] for v in valid]
    existing: dict[str, Document] = {}
    for chunk in chunks(ids):
        for found in session.execute(
            select(Document).where(Document.external_id.in_(chunk))
        ).scalars():
            existing[found.external_id] = found
    now = clock.now()
    for values in valid:
        external_id = values.pop("_external_id")
        doc = existing.get(external_id)
        if doc is None:
            session.add(Document(external_id=external_id, created_at=now, updated_at=now, **values))
            report.created += 1
            continue
        changed = {k: v for k, v in values.items() if getattr(doc, k) != v}
        if not changed:
            report.unchanged += 1
            continue
        for key, value in changed.items():
            setattr(doc, key, value)
        doc.updated_at = now
        report.updated += 1
    session.flush()


def _file_rows(filename: str, data: bytes) -> list[tuple[int, dict[str, Any]]]:
    table = read_table(filename, data)
    mapping: dict[str, str] = {}
    for column in table.columns:
        key = _HEADER_KEYS.get(column.strip().casefold())
        if key is not None:
            mapping[column] = key
    missing = [k for k in ("id", "direction", "agency") if k not in mapping.values()]
    if missing:
        names = ", ".join(COLUMNS[k][0] for k in missing)
        raise TableError(f"Thiếu cột: {names} (missing columns: {', '.join(missing)})")
    return [
        (row.number, {mapping[c]: v for c, v in row.values.items() if c in mapping})
        for row in table.rows
    ]


def import_file(
    session: Session,
    actor: audit.Actor,
    filename: str,
    data: bytes,
    scope: WriteScope | None = None,
) -> IngestReport:
    """Import a CSV/XLSX register (headers in :data:`COLUMNS`): all rows or none. Raises
    :class:`~ioc.engines.ingestion.tabular.TableError` for a file that cannot be read."""
    rows = _file_rows(filename, data)
    return ingest_rows(
        session, actor, rows, atomic=True, origin=f"file:{filename[:100]}", scope=scope
    )


def template_header() -> list[str]:
    """The Vietnamese column headers of an import file, in order."""
    return [vi for vi, _en in COLUMNS.values()]
