"""Additive counts: what one dossier adds to the monthly aggregates (:func:`contributions`),
and the catalogue and feedback counts the scorecard also needs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Final, NamedTuple

__all__ = [
    "COUNTER_FIELDS",
    "FINISHED_FIELDS",
    "RECEIVED_FIELDS",
    "Counters",
    "DossierRow",
    "FeedbackCounters",
    "ProcedureFacts",
    "ProcedureUse",
    "Vector",
    "contribution_vectors",
    "contributions",
    "sum_vectors",
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


class DossierRow(NamedTuple):
    """The stored columns contributions are computed from (one dossier).

    A named tuple rather than a dataclass: the aggregate path builds two per changed dossier
    (old and new state), and a tuple is built in one C call."""

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


Vector = tuple[int, ...]
"""Counts in :data:`COUNTER_FIELDS` order (what :class:`Counters` holds, as a plain tuple)."""

_NO_RECEIVED: Final = (0,) * len(RECEIVED_FIELDS)
_NO_FINISHED: Final = (0,) * len(FINISHED_FIELDS)


def contribution_vectors(row: DossierRow) -> list[tuple[int, Vector]]:
    """What one dossier adds to the aggregates, as ``[(month, counts), …]`` with the counts
    in :data:`COUNTER_FIELDS` order: its received month, and its finished month when
    finished (one entry when they are the same month); nothing when it is not counted.

    The single definition of a dossier's contribution (:func:`contributions` wraps it);
    plain tuples because a batch sums thousands of them column by column (:func:`sum_vectors`).
    """
    if not row.counted:
        return []
    fee = row.fee_required
    synced = row.synced
    rec = (
        1,
        int(row.channel == "online"),
        int(row.online_counted),
        int(synced is not None),
        int(synced is True),
        int(fee),
        int(fee and row.paid_online),
        int(row.reused),
    )
    if row.fin_month is None:
        return [(row.recv_month, rec + _NO_FINISHED)]
    on_time, electronic, days = row.on_time, row.result_kind == "electronic", row.handling_days
    fin = (
        1,
        int(on_time is True),
        int(on_time is False),
        int(row.late_reason == "supplements"),
        int(on_time is None),
        int(electronic),
        int(row.digitised and electronic),
        int(row.complaint),
        days or 0,
        int(days is not None),
    )
    if row.fin_month == row.recv_month:
        return [(row.recv_month, rec + fin)]
    return [(row.recv_month, rec + _NO_FINISHED), (row.fin_month, _NO_RECEIVED + fin)]


def sum_vectors(vectors: Iterable[Vector]) -> Vector:
    """Column-wise sum of count vectors (all zeros for none)."""
    out = tuple(map(sum, zip(*vectors, strict=True)))
    return out or (0,) * len(COUNTER_FIELDS)


def contributions(row: DossierRow) -> list[tuple[int, Counters]]:
    """What one dossier adds to the aggregates: ``[(month, counters), …]`` (received month,
    and finished month when finished; one entry when they are the same month)."""
    return [(month, Counters(*counts)) for month, counts in contribution_vectors(row)]


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
