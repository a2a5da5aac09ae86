"""Additive counts: what one dossier adds to the monthly aggregates (:func:`contributions`),
and the catalogue and feedback counts the scorecard also needs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Final

__all__ = [
    "COUNTER_FIELDS",
    "FINISHED_FIELDS",
    "RECEIVED_FIELDS",
    "Counters",
    "DossierRow",
    "FeedbackCounters",
    "ProcedureFacts",
    "ProcedureUse",
    "contributions",
]


@dataclass
class Counters:
    """Additive counts of a set of dossiers (one aggregate row, or a sum of them).

    Received-based: ``received`` … ``reused``; finished-based: ``finished`` … ``handling_n``.
    """

    received: int = 0
    online: int = 0
    online_counted: int = 0
    sync_known: int = 0
    synced: int = 0
    fee: int = 0
    paid_online: int = 0
    reused: int = 0
    finished: int = 0
    on_time: int = 0
    late: int = 0
    late_supplements: int = 0
    undetermined: int = 0
    e_result: int = 0
    digitised: int = 0
    complaint: int = 0
    handling_sum: int = 0
    handling_n: int = 0

    def add(self, other: Counters, sign: int = 1) -> None:
        """Add (or with ``sign=-1`` subtract) ``other`` in place."""
        mine, theirs = self.__dict__, other.__dict__
        for name in COUNTER_FIELDS:
            mine[name] += sign * theirs[name]

    def is_zero(self) -> bool:
        """True when every count is 0."""
        return all(getattr(self, name) == 0 for name in COUNTER_FIELDS)

    @classmethod
    def total(cls, items: Iterable[Counters]) -> Counters:
        """The sum of ``items``."""
        out = cls()
        for item in items:
            out.add(item)
        return out


COUNTER_FIELDS: Final = tuple(f.name for f in fields(Counters))
RECEIVED_FIELDS: Final = COUNTER_FIELDS[: COUNTER_FIELDS.index("finished")]
FINISHED_FIELDS: Final = COUNTER_FIELDS[COUNTER_FIELDS.index("finished") :]


@dataclass(frozen=True)
class DossierRow:
    """The stored columns contributions are computed from (one dossier)."""

    counted: bool
    recv_month: int
    fin_month: int | None
    channel: str
    online_counted: bool
    synced: bool | None
    fee_required: bool
    paid_online: bool
    reused: bool
    on_time: bool | None
    late_reason: str | None
    result_kind: str | None
    digitised: bool
    complaint: bool
    handling_days: int | None


def contributions(row: DossierRow) -> list[tuple[int, Counters]]:
    """What one dossier adds to the aggregates: ``[(month, counters), …]`` (received month,
    and finished month when finished; one entry when they are the same month)."""
    if not row.counted:
        return []
    rec = Counters(
        received=1,
        online=int(row.channel == "online"),
        online_counted=int(row.online_counted),
        sync_known=int(row.synced is not None),
        synced=int(row.synced is True),
        fee=int(row.fee_required),
        paid_online=int(row.fee_required and row.paid_online),
        reused=int(row.reused),
    )
    if row.fin_month is None:
        return [(row.recv_month, rec)]
    fin = Counters(
        finished=1,
        on_time=int(row.on_time is True),
        late=int(row.on_time is False),
        late_supplements=int(row.late_reason == "supplements"),
        undetermined=int(row.on_time is None),
        e_result=int(row.result_kind == "electronic"),
        digitised=int(row.digitised and row.result_kind == "electronic"),
        complaint=int(row.complaint),
        handling_sum=row.handling_days or 0,
        handling_n=int(row.handling_days is not None),
    )
    if fin.handling_n == 0:
        fin.handling_sum = 0
    if row.fin_month == row.recv_month:
        rec.add(fin)
        return [(row.recv_month, rec)]
    return [(row.recv_month, rec), (row.fin_month, fin)]


# --------------------------------------------------------------------------- catalogue, feedback


@dataclass(frozen=True)
class ProcedureFacts:
    """Catalogue attributes of a procedure (``None`` = not declared)."""

    code: str
    online: str | None = None  # "full" | "partial" | "none"
    has_fee: bool | None = None
    payment_integrated: bool | None = None


@dataclass(frozen=True)
class ProcedureUse:
    """Dossiers of one procedure in the scope and period (for 3.2)."""

    code: str
    received: int
    online: int


@dataclass
class FeedbackCounters:
    """PAKN (feedback) counts for 5.2 and 5.3, over feedback received in the period."""

    total: int = 0
    handled_on_time: int = 0
    handled_late: int = 0
    open_overdue: int = 0
    disliked: int = 0
    recomplained: int = 0

    @property
    def overdue(self) -> int:
        """Handled late or still unhandled past the limit."""
        return self.handled_late + self.open_overdue
