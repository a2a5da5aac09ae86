"""Documents and directive tasks as datasets of the open-data catalogue
(``PackManifest.datasets``). Both are internal (an agency's register may name citizens who
wrote to it), so they appear in the catalogue with their quality but are not downloadable.

Quality over 30 days. Documents: newest registration; đủ = documents with number, type and
summary ÷ documents; đúng = documents processed and due no earlier than registered ÷
documents. Tasks: newest progress update; đủ = open tasks updated in the window ÷ open tasks;
đúng = tasks with progress 0–100, done tasks at 100 % and due after assignment ÷ tasks.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.core.registry import DatasetQuality, DatasetSpec
from ioc.engines.dataset_quality import WINDOW, Records, record_datasets
from ioc.packs.documents.models import Document, Task


def _document_complete(d: Document) -> bool:
    return bool(d.number and d.doc_type and d.summary.strip())


def _document_consistent(d: Document) -> bool:
    return all(t is None or t >= d.registered_at for t in (d.processed_at, d.deadline_at))


def _task_ok(t: Task) -> bool:
    if not 0 <= t.progress <= 100:
        return False
    if t.status == "done" and t.progress != 100:
        return False
    return t.due_at >= t.assigned_at and (t.done_at is None or t.done_at >= t.assigned_at)


def _tasks_quality(session: Session, now: datetime) -> DatasetQuality:
    since = now - WINDOW
    latest = session.execute(select(func.max(Task.last_update_at))).scalar_one_or_none()
    tasks = list(
        session.execute(
            select(Task).where((Task.done_at.is_(None)) | (Task.done_at >= since))
        ).scalars()
    )
    open_tasks = [t for t in tasks if t.done_at is None and t.status != "cancelled"]
    updated = sum(1 for t in open_tasks if t.last_update_at >= since)
    return DatasetQuality(
        latest=latest,
        expected=len(open_tasks) or None,
        present=updated if open_tasks else None,
        accepted=len(tasks),
        checked=len(tasks),
        passed=sum(1 for t in tasks if _task_ok(t)),
    )


def datasets() -> list[DatasetSpec]:
    """The document register and the directive tasks (``datasets.yaml``)."""
    documents = Records(Document, _document_complete, _document_consistent)
    return record_datasets(
        "ioc.packs.documents",
        {"van-ban-den-di": documents},
        {"nhiem-vu-duoc-giao": (None, _tasks_quality)},
    )
