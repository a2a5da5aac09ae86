"""One dossier: what the source says (:class:`DossierFacts`) and what the rules derive from it
(:func:`classify`: effective deadline, on-time verdict, months, flags). Rules: the package's
docstring."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final, NamedTuple

from ioc.packs.public_services.workdays import WorkdayMath

__all__ = [
    "CHANNELS",
    "FEEDBACK_LIMIT_WD",
    "FINISHED_STATUSES",
    "RESULT_KINDS",
    "STATUSES",
    "Classified",
    "DossierFacts",
    "classify",
    "month_key",
]

CHANNELS: Final = ("online", "direct", "post")
RESULT_KINDS: Final = ("electronic", "paper")
STATUSES: Final = ("received", "processing", "supplement", "finished", "returned", "withdrawn")
FINISHED_STATUSES: Final = ("finished", "returned")
FEEDBACK_LIMIT_WD: Final = 15
"""PAKN handling limit, working days from receipt (portal description, §4)."""


def month_key(moment: datetime, math: WorkdayMath) -> int:
    """``yyyymm`` of ``moment``'s local date."""
    local = moment.astimezone(math.zone)
    return local.year * 100 + local.month


@dataclass(frozen=True)
class DossierFacts:
    """What the source says about a dossier (after validation), times aware.

    ``supplement_days`` is S in working days (already measured), ``supplement_open`` says a
    request is waiting for the citizen now. ``paper_result_procedure`` is the catalogue's
    "returns a paper result" flag of the procedure (``None`` when unknown).
    """

    received_at: datetime
    channel: str
    status: str
    due_at: datetime | None = None
    time_limit_days: int | None = None
    finished_at: datetime | None = None
    supplement_count: int = 0
    supplement_days: int = 0
    supplement_open: bool = False
    result_kind: str | None = None
    fee_required: bool = False
    paid_online: bool = False
    digitised: bool = False
    reused: bool = False
    synced: bool | None = None
    feedback: bool = False
    rating: str | None = None
    paper_result_procedure: bool | None = None


class Classified(NamedTuple):
    """The derived facts stored on the dossier row (and everything the aggregates need);
    the field names are the stored columns' names, so ``_asdict()`` is the row's update.
    A named tuple: ingestion classifies every dossier of a batch, and a tuple is built in
    one C call."""

    counted: bool
    recv_month: int
    fin_month: int | None
    effective_due_at: datetime | None
    on_time: bool | None
    late_reason: str | None  # "time" | "supplements"
    handling_days: int | None
    online_counted: bool
    complaint: bool
    is_open: bool


def classify(facts: DossierFacts, math: WorkdayMath) -> Classified:
    """Derive the on-time verdict, effective deadline, months and flags (rules above)."""
    s = facts.supplement_days
    if facts.due_at is not None:
        effective = facts.due_at if s == 0 else math.add(facts.due_at, s)
    elif facts.time_limit_days is not None:
        effective = math.add(facts.received_at, facts.time_limit_days + s)
    else:
        effective = None
    counted = facts.status != "withdrawn"
    finished = counted and facts.finished_at is not None
    on_time: bool | None = None
    reason: str | None = None
    handling: int | None = None
    fin_month: int | None = None
    if finished:
        assert facts.finished_at is not None
        fin_month = month_key(facts.finished_at, math)
        if facts.supplement_count > 1:
            on_time, reason = False, "supplements"
        elif effective is not None:
            on_time = facts.finished_at <= effective
            reason = None if on_time else "time"
        handling = max(0, math.between(facts.received_at, facts.finished_at) - s)
    online_counted = facts.channel == "online" and (
        facts.paper_result_procedure is not True or facts.result_kind == "electronic"
    )
    return Classified(
        counted=counted,
        recv_month=month_key(facts.received_at, math),
        fin_month=fin_month,
        effective_due_at=effective,
        on_time=on_time,
        late_reason=reason,
        handling_days=handling,
        online_counted=online_counted,
        complaint=facts.feedback or facts.rating == "dislike",
        is_open=counted and not finished,
    )
