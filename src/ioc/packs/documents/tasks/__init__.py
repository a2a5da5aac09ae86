"""Directives and their tasks (nhiệm vụ được giao): one action function per state change.

Every action checks who acts (:func:`may`), that the transition is allowed from the task's
status, changes the task, writes a timeline event (``doc_task_events``) and an audit row, in
the caller's transaction (actions never commit). Routes, the CLI and the demo call them.

States and transitions
======================

================  ======================  ===========================  =======================
action            from                    to                           who
================  ======================  ===========================  =======================
assign_task       —                       ``assigned``                 leader, operator, admin
post_progress     assigned, in_progress   ``in_progress``              the task's agency staff,
                                                                       operator, admin
mark_done         assigned, in_progress   ``done`` (100 %, evidence)   as post_progress
reopen            done, cancelled         ``in_progress``/``assigned`` leader, operator, admin
extend_deadline   assigned, in_progress   unchanged (new deadline)     leader, operator, admin
cancel            assigned, in_progress   ``cancelled``                leader, operator, admin
================  ======================  ===========================  =======================

"Overdue" is not a status: an open task (assigned or in progress) whose deadline has passed.
"Due soon": an open task due within ``IOC_DOC_DUE_SOON_DAYS`` working days. A task done after
its deadline is "done late". Deadlines given as a date end at 23:59:59 local time.

Agency staff act only on their own agency's tasks; leaders, operators and admins see all.

Modules: ``rules`` (who may act, statuses, settings), ``actions`` (one per state change),
``evidence`` (links and files), ``rows`` (each task's state at a moment, lists, record source).
"""

from __future__ import annotations

from ioc.packs.documents.tasks.actions import (
    assign_task,
    cancel,
    create_directive,
    extend_deadline,
    mark_done,
    post_progress,
    reopen,
)
from ioc.packs.documents.tasks.evidence import Evidence, evidence_path
from ioc.packs.documents.tasks.rows import (
    TaskRow,
    due_soon_tasks,
    overdue_task_records,
    overdue_tasks,
    task_rows,
)
from ioc.packs.documents.tasks.rules import (
    ASSIGNED,
    CANCELLED,
    DONE,
    IN_PROGRESS,
    OPEN_STATUSES,
    STATUSES,
    TRANSITIONS,
    Doer,
    Policy,
    TaskError,
    configure,
    may,
    policy,
    set_policy,
)

__all__ = [
    "ASSIGNED",
    "CANCELLED",
    "DONE",
    "IN_PROGRESS",
    "OPEN_STATUSES",
    "STATUSES",
    "TRANSITIONS",
    "Doer",
    "Evidence",
    "Policy",
    "TaskError",
    "TaskRow",
    "assign_task",
    "cancel",
    "configure",
    "create_directive",
    "due_soon_tasks",
    "evidence_path",
    "extend_deadline",
    "mark_done",
    "may",
    "overdue_task_records",
    "overdue_tasks",
    "policy",
    "post_progress",
    "reopen",
    "set_policy",
    "task_rows",
]
