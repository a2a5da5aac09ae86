"""What happened to a batch: counts, and one :class:`RowProblem` per refused row."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from ioc.engines.actions_kit import BatchOutcome, Refused, same_named

__all__ = ["IngestReport", "RowProblem"]


@dataclass(frozen=True)
class RowProblem(Refused):
    """One invalid row: section, row number, dossier id, field, Vietnamese and English text."""

    section: str
    row: int
    id: str | None
    field: str
    message: str
    message_en: str


@dataclass
class IngestReport(BatchOutcome[RowProblem]):
    """What happened to a batch (stored rows are in the caller's transaction)."""

    atomic: bool = False
    received: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    stale: int = 0
    procedures: int = 0
    feedback: int = 0

    @property
    def stored(self) -> int:
        """Dossiers inserted or updated."""
        return self.inserted + self.updated

    def as_dict(self) -> dict[str, Any]:
        """The JSON body returned to the sender."""
        return {
            "received": dict(self.received),
            "stored": self.stored,
            **same_named(self, "inserted updated unchanged stale procedures feedback"),
            "rejected": len({(e.section, e.row) for e in self.errors}),
            "mode": "atomic" if self.atomic else "partial",
            "errors": self.errors_json(1000),
            "errors_truncated": len(self.errors) > 1000,
        }
