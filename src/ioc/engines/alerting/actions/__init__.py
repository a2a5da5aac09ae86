"""Handling actions on alerts and incidents (xử lý cảnh báo, sự cố).

Each function is the ONE way its state change happens — web routes, jobs and the CLI call the
same function. Each checks who acts and whether the transition is legal (raising
:class:`AlertActionError` with a message in Vietnamese, English in ``.en``), changes state,
writes a timeline entry (:class:`AlertEvent`) and an audit row in the caller's transaction, and
never commits.

Alert status machine (``Alert.status``)::

    new ──acknowledge──► acknowledged ──escalate──► escalated ──close_incident──► closed
     │ └──────────────────escalate──────────────────┘                              ▲
     └──────────────close_alert (new / acknowledged)──────────────────────────────┘
    closed ──reopen_alert (condition still firing)──► acknowledged | new

Who may act: operators and administrators on everything; agency staff only on alerts (and
incidents) assigned to their own agency; the system actor (jobs, CLI) always; leaders never
(they watch). See :func:`may_handle`.
"""

from __future__ import annotations

from ioc.engines.alerting.actions.alerts import (
    acknowledge,
    assign,
    close_alert,
    comment,
    escalate,
    reopen_alert,
)
from ioc.engines.alerting.actions.bulk import BulkResult, for_each_alert
from ioc.engines.alerting.actions.checks import (
    DEFAULT_SOP,
    HANDLER_ROLES,
    INCIDENT_CLOSED,
    INCIDENT_OPEN,
    MAX_TEXT,
    AlertActionError,
    AlertForbidden,
    AlertNotFound,
    may_handle,
)
from ioc.engines.alerting.actions.incidents import close_incident, complete_step, reopen_step

__all__ = [
    "DEFAULT_SOP",
    "HANDLER_ROLES",
    "INCIDENT_CLOSED",
    "INCIDENT_OPEN",
    "MAX_TEXT",
    "AlertActionError",
    "AlertForbidden",
    "AlertNotFound",
    "BulkResult",
    "acknowledge",
    "assign",
    "close_alert",
    "close_incident",
    "comment",
    "complete_step",
    "escalate",
    "for_each_alert",
    "may_handle",
    "reopen_alert",
    "reopen_step",
]
