"""The rows of the alerts console and the big screen: alerts, events, incidents, choices and
map markers (plain dataclasses, built by the sibling modules).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from ioc.engines.alerting.models import (
    ALERT_CLOSED,
    ALERT_STATUSES,
    SEVERITIES,
)
from ioc.engines.alerting.notify.outcome import Delivery

SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}
OPEN_STATUSES = tuple(s for s in ALERT_STATUSES if s != ALERT_CLOSED)
AREA_LEVELS = ("commune", "ward")
PER_PAGE = 50


class FilterError(ValueError):
    """A filter value that cannot be used; the message names the field (vi, ``.en``)."""

    def __init__(self, field_name: str, vi: str, en: str) -> None:
        super().__init__(vi)
        self.field = field_name
        self.vi = vi
        self.en = en


@dataclass(frozen=True)
class AlertFilters:
    """Console and history filters; ``None`` means no filter."""

    pack: str | None = None
    area: str | None = None  # commune/ward code
    severity: str | None = None
    status: str | None = None
    agency: str | None = None  # agency code: assigned to it, or the alert's own agency
    date_from: date | None = None  # history: closed on or after (local date)
    date_to: date | None = None  # history: closed on or before (local date)


@dataclass(frozen=True)
class AlertRow:
    """One alert as a console row."""

    id: int
    title: str
    summary: str
    severity: str
    pack: str
    area_code: str | None
    area_name: str | None
    station: str | None
    value: float | None
    starts_at: datetime
    ends_at: datetime | None
    status: str
    assignee_agency: str | None
    assignee_agency_code: str | None
    assignee_agency_id: int | None
    assignee_user: str | None
    incident_id: int | None
    incident_code: str | None
    closed_at: datetime | None
    closed_by: str | None
    close_reason: str | None
    updated_at: datetime
    rule_id: int = 0
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def resolved(self) -> bool:
        """The condition has ended (the alert waits for an operator to close it)."""
        return self.ends_at is not None


@dataclass(frozen=True)
class EventRow:
    """One timeline entry."""

    id: int
    at: datetime
    kind: str
    actor: str
    text: str | None
    data: dict[str, Any]
    alert_id: int | None
    incident_id: int | None
    # For a ``notified`` entry: what became of the message (queued, sent, failed …).
    delivery: Delivery | None = None


@dataclass(frozen=True)
class AlertDetail:
    """Everything the alert page shows."""

    row: AlertRow
    labels: dict[str, str]
    description: str
    rule_uid: str | None
    rule_title: str | None
    sop_key: str | None
    runbook: str | None
    timeline: list[EventRow]
    rule_kind: str | None = None
    rule_params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StepRow:
    """One SOP step of an incident."""

    id: int
    position: int
    title: str
    done_at: datetime | None
    done_by: str | None
    note: str | None


@dataclass(frozen=True)
class IncidentRow:
    """One incident as a list row."""

    id: int
    code: str
    title: str
    severity: str
    pack: str
    area_code: str | None
    area_name: str | None
    agency_id: int | None
    agency_name: str | None
    status: str
    opened_at: datetime
    opened_by: str
    closed_at: datetime | None
    closed_by: str | None
    close_reason: str | None
    steps_done: int
    steps_total: int
    alert_count: int


@dataclass(frozen=True)
class IncidentDetail:
    """Everything the incident page shows."""

    row: IncidentRow
    steps: list[StepRow]
    alerts: list[AlertRow]
    timeline: list[EventRow]


@dataclass(frozen=True)
class Page:
    """A page of a longer list."""

    items: list[Any]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """Number of pages (at least 1)."""
        return max(1, math.ceil(self.total / self.per_page))


@dataclass(frozen=True)
class Option:
    """A choice of a select or datalist."""

    value: str
    label: str
    group: str = ""


@dataclass(frozen=True)
class Marker:
    """A place on the wall map: a station, coloured by its worst open alert."""

    code: str
    name: str
    lat: float
    lon: float
    severity: str | None
    alerts: list[str] = field(default_factory=list)
