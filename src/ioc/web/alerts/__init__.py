"""Bảng điều hành cảnh báo: the operations console of the IOC.

* ``/alerts`` — open alerts, worst first, refreshed every few seconds (HTMX polling of
  ``/alerts/partials/list``), with counts by severity and filters (pack, commune, severity,
  status, agency) — :mod:`.console`;
* ``/alerts/{id}`` — one alert: labels, annotations, timeline and the handling forms
  (acknowledge, assign, comment, escalate, close, reopen) — :mod:`.detail`;
* ``/alerts/groups/{key}`` — one group of alerts, handled at once — :mod:`.groups`;
* ``/alerts/incidents`` and ``/alerts/incidents/{id}`` — incidents with their SOP checklist —
  :mod:`.incidents`;
* ``/alerts/history`` — closed alerts, paged;
* ``GET /api/v1/alerts`` — open alerts and counts as JSON.

Viewing needs ``Permission.VIEW``; every POST needs ``Permission.HANDLE_ALERTS`` and goes
through one action of :mod:`ioc.engines.alerting.actions`, which also enforces the agency
scope of agency staff.
"""

from __future__ import annotations

from fastapi import APIRouter

from ioc.web.alerts import console, detail, groups, incidents
from ioc.web.alerts.common import pack_labeler, since

__all__ = ["pack_labeler", "router", "since"]

router = APIRouter()
router.include_router(console.router)
router.include_router(groups.router)
router.include_router(incidents.router)
router.include_router(detail.router)
