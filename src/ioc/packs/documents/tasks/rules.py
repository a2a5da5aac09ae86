"""Who may take which action on a task, from which status, and the pack's settings the actions
need; the refusal every action raises (:class:`TaskError`) and the text checks of its fields."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ioc.core import audit
from ioc.packs.documents.models import Task

if TYPE_CHECKING:
    from ioc.settings import Settings

__all__ = [
    "ASSIGNED",
    "CANCELLED",
    "DONE",
    "IN_PROGRESS",
    "OPEN_STATUSES",
    "TRANSITIONS",
    "Doer",
    "Policy",
    "TaskError",
    "check",
    "clean",
    "configure",
    "may",
    "policy",
    "set_policy",
]

ASSIGNED = "assigned"
IN_PROGRESS = "in_progress"
DONE = "done"
CANCELLED = "cancelled"
STATUSES = (ASSIGNED, IN_PROGRESS, DONE, CANCELLED)
OPEN_STATUSES = frozenset({ASSIGNED, IN_PROGRESS})

# action -> statuses it may start from
TRANSITIONS: dict[str, frozenset[str]] = {
    "progress": OPEN_STATUSES,
    "done": OPEN_STATUSES,
    "reopen": frozenset({DONE, CANCELLED}),
    "extend": OPEN_STATUSES,
    "cancel": OPEN_STATUSES,
}
STAFF_ACTIONS = frozenset({"progress", "done"})
LEAD_ACTIONS = frozenset({"directive", "assign", "extend", "reopen", "cancel"})
_STATUS_VI = {
    ASSIGNED: "mới giao",
    IN_PROGRESS: "đang thực hiện",
    DONE: "đã hoàn thành",
    CANCELLED: "đã hủy",
}


class TaskError(ValueError):
    """A refused action, with a Vietnamese message, an English one and the field concerned."""

    def __init__(self, message: str, en: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.en = en
        self.field = field


@dataclass(frozen=True)
class Policy:
    """Pack settings the actions need (from ``IOC_DOC_*``)."""

    data_dir: Path = Path("var")
    due_soon_days: int = 5
    evidence_max_bytes: int = 10 * 1024 * 1024


_policy = Policy()


def configure(settings: Settings) -> None:
    """Take the pack's settings (called at start-up)."""
    global _policy
    _policy = Policy(
        data_dir=Path(settings.data_dir),
        due_soon_days=settings.doc_due_soon_days,
        evidence_max_bytes=settings.doc_evidence_max_bytes,
    )


def policy() -> Policy:
    """The current settings of the pack."""
    return _policy


def set_policy(new: Policy) -> None:
    """Replace the settings (tests)."""
    global _policy
    _policy = new


@dataclass(frozen=True)
class Doer:
    """Who acts: the audit actor, their role and agency."""

    actor: audit.Actor
    role: str
    agency_id: int | None = None

    @classmethod
    def system(cls, label: str = "system") -> Doer:
        """The CLI, jobs and the demo: may do everything."""
        return cls(audit.Actor.system(label), "admin", None)


def may(doer: Doer, action: str, agency_id: int | None = None) -> bool:
    """Whether ``doer`` may take ``action`` (``directive``, ``assign``, ``progress``,
    ``done``, ``reopen``, ``extend``, ``cancel``) on a task of ``agency_id``."""
    if doer.role in ("admin", "operator"):
        return True
    if doer.role == "leader":
        return action in LEAD_ACTIONS
    if doer.role == "agency_staff":
        return (
            action in STAFF_ACTIONS and doer.agency_id is not None and doer.agency_id == agency_id
        )
    return False


def check(doer: Doer, action: str, task: Task | None = None) -> None:
    """Refuse an action ``doer`` may not take, or one the task's status does not allow."""
    if not may(doer, action, task.agency_id if task is not None else None):
        raise TaskError(
            "Bạn không có quyền thực hiện thao tác này với nhiệm vụ này",
            "you may not take this action on this task",
            "permission",
        )
    if task is not None and action in TRANSITIONS and task.status not in TRANSITIONS[action]:
        raise TaskError(
            f"Không thể thực hiện khi nhiệm vụ {_STATUS_VI.get(task.status, task.status)}",
            f"not allowed while the task is {task.status}",
            "status",
        )


def clean(text: str | None, field_name: str, label: str, limit: int, *, required: bool) -> str:
    """A text field with its spaces normalised (a note keeps its lines), required or not,
    at most ``limit`` characters."""
    value = " ".join((text or "").split()) if field_name != "note" else (text or "").strip()
    if required and not value:
        raise TaskError(f"Thiếu {label}", f"{field_name} is required", field_name)
    if len(value) > limit:
        raise TaskError(
            f"{label.capitalize()} dài quá {limit} ký tự",
            f"{field_name} is longer than {limit} characters",
            field_name,
        )
    return value
