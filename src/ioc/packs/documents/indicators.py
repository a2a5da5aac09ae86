"""Document-handling indicators as pure functions over plain facts (no database).

Definitions (one agency, or any set of documents, evaluated at a moment ``as_of``):

* **On-time handling rate** (tỷ lệ xử lý đúng hạn) — among the documents *that have a
  deadline*, the share handled on time::

      on_time / (on_time + late + overdue)

  where ``on_time`` = processed at or before the deadline (``processed_at <= deadline_at``),
  ``late`` = processed after the deadline, ``overdue`` = not processed by ``as_of`` while the
  deadline has passed (``deadline_at < as_of``). Documents still open whose deadline has not
  come are *not counted yet* (they can still be on time); documents without a deadline are
  never counted. A processing time after ``as_of`` is treated as not yet processed.
* **Digital-signature rate** (tỷ lệ văn bản đi được ký số) — outgoing documents digitally
  signed / outgoing documents.
* **Electronic sending rate** (tỷ lệ văn bản đi gửi qua trục liên thông) — outgoing documents
  sent over the interconnection axis / outgoing documents.
* **Overdue** — the ``overdue`` count above; **processed late** — the ``late`` count.

A rate whose denominator is zero is ``None`` and shows as "—", never 0 % or 100 %.

Deadlines given as text: ``"N ngày làm việc"`` counts N working days on the IOC's one
calendar (:mod:`ioc.core.calendar`) from the moment of receipt; ``"N ngày"`` counts N calendar
days; a date ``dd/mm/yyyy`` or ``yyyy-mm-dd`` means the end of that day (23:59:59 local).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from ioc.core import clock
from ioc.core.calendar import WorkingCalendar
from ioc.engines.actions_kit import Rate, RateOf

__all__ = [
    "DeadlineError",
    "DocFacts",
    "DocFigures",
    "Rate",
    "compute",
    "day_end",
    "format_rate",
    "is_overdue",
    "parse_deadline",
]

INCOMING = "incoming"
OUTGOING = "outgoing"


@dataclass(frozen=True)
class DocFacts:
    """The facts of one document the indicators need."""

    direction: str  # incoming | outgoing
    deadline_at: datetime | None = None
    processed_at: datetime | None = None
    digitally_signed: bool = False
    via_axis: bool = False


@dataclass(frozen=True)
class DocFigures:
    """Counts and rates of one set of documents at one moment."""

    incoming: int
    outgoing: int
    with_deadline: int
    on_time: int
    late: int
    overdue: int
    pending: int  # has a deadline, not processed, not yet due
    signed: int
    via_axis: int

    @property
    def total(self) -> int:
        """All documents of the set."""
        return self.incoming + self.outgoing

    @property
    def on_time_rate(self) -> Rate:
        """On time among processed-with-deadline and overdue documents."""
        return Rate(self.on_time, self.on_time + self.late + self.overdue)

    signature_rate = RateOf(
        Rate, "signed", "outgoing", "Digitally signed outgoing documents among outgoing documents."
    )
    electronic_rate = RateOf(
        Rate,
        "via_axis",
        "outgoing",
        "Outgoing documents sent over the interconnection axis among outgoing documents.",
    )


def _processed(doc: DocFacts, as_of: datetime) -> datetime | None:
    if doc.processed_at is None or doc.processed_at > as_of:
        return None
    return doc.processed_at


def is_overdue(doc: DocFacts, as_of: datetime) -> bool:
    """True when the document has a deadline that passed before ``as_of`` and was not
    processed by then."""
    return (
        doc.deadline_at is not None and _processed(doc, as_of) is None and doc.deadline_at < as_of
    )


def compute(docs: Iterable[DocFacts], as_of: datetime) -> DocFigures:
    """Counts and rates of ``docs`` at ``as_of`` (definitions in the module docstring)."""
    incoming = outgoing = with_deadline = on_time = late = overdue = pending = 0
    signed = axis = 0
    for doc in docs:
        if doc.direction == OUTGOING:
            outgoing += 1
            signed += doc.digitally_signed
            axis += doc.via_axis
        else:
            incoming += 1
        if doc.deadline_at is None:
            continue
        with_deadline += 1
        done = _processed(doc, as_of)
        if done is not None:
            if done <= doc.deadline_at:
                on_time += 1
            else:
                late += 1
        elif doc.deadline_at < as_of:
            overdue += 1
        else:
            pending += 1
    return DocFigures(
        incoming=incoming,
        outgoing=outgoing,
        with_deadline=with_deadline,
        on_time=on_time,
        late=late,
        overdue=overdue,
        pending=pending,
        signed=signed,
        via_axis=axis,
    )


def format_rate(rate: Rate, decimals: int = 1, lang: str = "vi") -> str:
    """``"93,5%"`` in Vietnamese, ``"93.5%"`` in English, ``"—"`` without a denominator."""
    from ioc.core.i18n import format_number

    value = rate.value
    return "—" if value is None else f"{format_number(value, lang, decimals)}%"


def day_end(d: date) -> datetime:
    """23:59:59 local (Asia/Ho_Chi_Minh) of ``d``, as an aware datetime: a deadline given as a
    date includes the whole day."""
    return datetime.combine(d, time(23, 59, 59), tzinfo=clock.local_zone())


_WORKING = re.compile(r"^(\d{1,3})\s*ngày\s+làm\s+việc$", re.IGNORECASE)
_CALENDAR = re.compile(r"^(\d{1,3})\s*ngày$", re.IGNORECASE)
_VN_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


class DeadlineError(ValueError):
    """A deadline text that is neither a date nor "N ngày [làm việc]"."""


def parse_deadline(
    value: str | date | datetime | None,
    start: datetime,
    calendar: WorkingCalendar,
    *,
    whole_days: bool = False,
) -> datetime | None:
    """The deadline meant by ``value`` for a document received at ``start``.

    Accepts an aware datetime (kept), a date or ``dd/mm/yyyy`` / ``yyyy-mm-dd`` text (end of
    that day, local), an ISO 8601 date-time with offset, ``"N ngày làm việc"`` (N working
    days after ``start`` on ``calendar``) or ``"N ngày"`` (N calendar days after ``start``).
    With ``whole_days`` (the receipt is known only as a date), a counted deadline is the end
    of its last day. Empty gives None. Raises :class:`DeadlineError` for anything else.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise DeadlineError("thiếu múi giờ (no time zone)")
        return value
    if isinstance(value, date):
        return day_end(value)
    text = " ".join(value.strip().split())
    if not text:
        return None
    lowered = text.casefold()
    match = _WORKING.match(lowered)
    if match:
        due = calendar.add_working_days(start, int(match.group(1)))
        return day_end(due.astimezone(clock.local_zone()).date()) if whole_days else due
    match = _CALENDAR.match(lowered)
    if match:
        due = start + timedelta(days=int(match.group(1)))
        return day_end(due.astimezone(clock.local_zone()).date()) if whole_days else due
    match = _VN_DATE.match(text)
    try:
        if match:
            day, month, year = (int(g) for g in match.groups())
            return day_end(date(year, month, day))
        if len(text) == 10:
            return day_end(date.fromisoformat(text))
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise DeadlineError(f"không hiểu hạn xử lý {text!r} (unreadable deadline)") from exc
    if moment.tzinfo is None:
        raise DeadlineError(f"hạn xử lý {text!r} thiếu múi giờ (no time zone)")
    return moment
