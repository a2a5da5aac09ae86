"""Read models of the alerts console and the big screen (bảng điều hành, màn hình tường).

Plain dataclasses built from the alerting tables with the names an operator reads (commune
and agency names, not codes). Nothing here changes state; see ``actions`` for that.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import Session

from ioc.core import clock, i18n
from ioc.core.models import Agency, Area, Entity, User
from ioc.core.registry import Tile, TileTrend
from ioc.engines.alerting.models import (
    ALERT_CLOSED,
    ALERT_STATUSES,
    SEVERITIES,
    Alert,
    AlertEvent,
    AlertRule,
    Incident,
    IncidentStep,
)
from ioc.engines.alerting.notify.outcome import Delivery, delivery_of

SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}
OPEN_STATUSES = tuple(s for s in ALERT_STATUSES if s != ALERT_CLOSED)
AREA_LEVELS = ("commune", "ward")
PER_PAGE = 50

_Stmt = TypeVar("_Stmt", bound=Select[*tuple[Any, ...]])


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


# The label a rule or a pack sets to say what caused an alert: alerts of one rule and one cause
# are one group on the console (Alertmanager's grouping by labels).
CAUSE_LABEL = "cause"
# Labels every alert carries, left out of a group's description.
_ROUTINE_LABELS = frozenset({"alertname", "pack", "severity"})
GROUP_KEY_PATTERN = r"[0-9]{1,12}(-[0-9a-f]{10})?"


def group_key(rule_id: int, cause: str | None) -> str:
    """The key of the group of a rule's alerts with ``cause`` (``"12"``, ``"12-3fa1…"``)."""
    if not cause:
        return str(rule_id)
    return f"{rule_id}-{hashlib.sha256(cause.encode()).hexdigest()[:10]}"


@dataclass(frozen=True)
class AlertGroup:
    """Open alerts of one rule and one cause, worst and newest first."""

    key: str
    rule_id: int
    title: str
    pack: str
    cause: str | None
    alerts: list[AlertRow]

    @property
    def count(self) -> int:
        """How many alerts the group holds."""
        return len(self.alerts)

    @property
    def severity(self) -> str:
        """The worst severity in the group."""
        return min((a.severity for a in self.alerts), key=lambda s: SEVERITY_RANK.get(s, 99))

    @property
    def first_at(self) -> datetime:
        """When the oldest alert of the group started."""
        return min(a.starts_at for a in self.alerts)

    @property
    def common_labels(self) -> dict[str, str]:
        """Labels (but the routine ones) that every alert of the group shares."""
        first = self.alerts[0].labels
        return {
            k: v
            for k, v in sorted(first.items())
            if k not in _ROUTINE_LABELS and all(a.labels.get(k) == v for a in self.alerts[1:])
        }

    @property
    def status_counts(self) -> dict[str, int]:
        """Alerts per handling status, in the order of the status machine."""
        counts = dict.fromkeys(OPEN_STATUSES, 0)
        for a in self.alerts:
            counts[a.status] = counts.get(a.status, 0) + 1
        return {s: n for s, n in counts.items() if n}

    @property
    def areas(self) -> list[str]:
        """Names of the communes the group's alerts are in (each once)."""
        return sorted({a.area_name or a.area_code for a in self.alerts if a.area_code})

    @property
    def assignees(self) -> list[str]:
        """The agencies the group's alerts are assigned to (each once)."""
        return sorted({a.assignee_agency for a in self.alerts if a.assignee_agency})


def rule_titles(session: Session, rule_ids: Iterable[int]) -> dict[int, str]:
    """Titles of the given rules (an alert's own title may name its commune or station)."""
    wanted = set(rule_ids)
    if not wanted:
        return {}
    rows = session.execute(select(AlertRule.id, AlertRule.title).where(AlertRule.id.in_(wanted)))
    return {int(rule_id): str(title) for rule_id, title in rows.all()}


def group_alerts(rows: list[AlertRow], titles: dict[int, str] | None = None) -> list[AlertGroup]:
    """Rows grouped by rule and cause; a group sits where its worst, newest alert sat in
    ``rows`` (so a list of one-alert groups keeps the order of ``rows``). ``titles`` (by rule
    id, see :func:`rule_titles`) name the groups; else the first alert's title does."""
    buckets: dict[str, list[AlertRow]] = {}
    for row in rows:
        buckets.setdefault(group_key(row.rule_id, row.labels.get(CAUSE_LABEL)), []).append(row)
    titles = titles or {}
    return [
        AlertGroup(
            key=key,
            rule_id=members[0].rule_id,
            title=titles.get(members[0].rule_id) or members[0].title,
            pack=members[0].pack,
            cause=members[0].labels.get(CAUSE_LABEL),
            alerts=members,
        )
        for key, members in buckets.items()
    ]


def alert_group(session: Session, key: str, lang: str) -> AlertGroup | None:
    """The open alerts of group ``key`` (``None`` when it has none, or a bad key)."""
    if not re.fullmatch(GROUP_KEY_PATTERN, key):
        return None
    rule_id = int(key.split("-", 1)[0])
    stmt = (
        select(Alert)
        .where(Alert.rule_id == rule_id, Alert.status != ALERT_CLOSED)
        .order_by(_severity_order(), Alert.starts_at.desc(), Alert.id.desc())
    )
    rows = _rows(session, list(session.execute(stmt).scalars()), lang)
    groups = group_alerts(rows, rule_titles(session, [rule_id]))
    return next((g for g in groups if g.key == key), None)


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


# ------------------------------------------------------------------ names


def area_names(session: Session, codes: Iterable[str | None]) -> dict[str, str]:
    """Names of administrative units by code (the current unit when a code was reused)."""
    wanted = {c for c in codes if c}
    if not wanted:
        return {}
    names: dict[str, str] = {}
    rows = session.execute(
        select(Area.code, Area.name, Area.valid_to).where(Area.code.in_(wanted))
    ).all()
    for code, name, _valid_to in sorted(rows, key=lambda r: r[2] is None):
        names[code] = name  # current rows (valid_to None) sort last and win
    return names


def _agency_names(session: Session, ids: Iterable[int | None]) -> dict[int, tuple[str, str]]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(
        select(Agency.id, Agency.short_name, Agency.code).where(Agency.id.in_(wanted))
    ).all()
    return {i: (name, code) for i, name, code in rows}


def _user_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(select(User.id, User.full_name).where(User.id.in_(wanted))).all()
    return dict(rows)


def _incident_codes(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(select(Incident.id, Incident.code).where(Incident.id.in_(wanted))).all()
    return dict(rows)


def localized(annotations: dict[str, Any], key: str, lang: str) -> str:
    """Annotation ``key`` (``summary``, ``description``) in ``lang``, else Vietnamese."""
    value = annotations.get(key) if isinstance(annotations, dict) else None
    if isinstance(value, dict):
        return str(value.get(lang) or value.get("vi") or "")
    return str(value or "")


def _rows(session: Session, alerts: list[Alert], lang: str) -> list[AlertRow]:
    areas = area_names(session, (a.area_code for a in alerts))
    agencies = _agency_names(session, (a.assignee_agency_id for a in alerts))
    users = _user_names(session, (a.assignee_user_id for a in alerts))
    incidents = _incident_codes(session, (a.incident_id for a in alerts))
    out = []
    for a in alerts:
        agency = agencies.get(a.assignee_agency_id) if a.assignee_agency_id else None
        out.append(
            AlertRow(
                id=a.id,
                title=a.title,
                summary=localized(a.annotations, "summary", lang) or a.title,
                severity=a.severity,
                pack=a.pack,
                area_code=a.area_code,
                area_name=areas.get(a.area_code) if a.area_code else None,
                station=(a.labels or {}).get("station"),
                value=a.value,
                starts_at=a.starts_at,
                ends_at=a.ends_at,
                status=a.status,
                assignee_agency=agency[0] if agency else None,
                assignee_agency_code=agency[1] if agency else None,
                assignee_agency_id=a.assignee_agency_id,
                assignee_user=users.get(a.assignee_user_id) if a.assignee_user_id else None,
                incident_id=a.incident_id,
                incident_code=incidents.get(a.incident_id) if a.incident_id else None,
                closed_at=a.closed_at,
                closed_by=a.closed_by,
                close_reason=a.close_reason,
                updated_at=a.updated_at,
                rule_id=a.rule_id,
                labels=dict(a.labels or {}),
            )
        )
    return out


# ------------------------------------------------------------------ filters


def _severity_order() -> Any:
    return case(SEVERITY_RANK, value=Alert.severity, else_=len(SEVERITY_RANK))


def _apply(
    session: Session, stmt: _Stmt, filters: AlertFilters, *, skip_severity: bool = False
) -> _Stmt:
    if filters.pack:
        stmt = stmt.where(Alert.pack == filters.pack)
    if filters.area:
        stmt = stmt.where(Alert.area_code == filters.area)
    if filters.severity and not skip_severity:
        stmt = stmt.where(Alert.severity == filters.severity)
    if filters.status:
        stmt = stmt.where(Alert.status == filters.status)
    if filters.agency:
        agency_id = session.execute(
            select(Agency.id).where(Agency.code == filters.agency)
        ).scalar_one_or_none()
        stmt = stmt.where(
            or_(Alert.assignee_agency_id == agency_id, Alert.agency_code == filters.agency)
        )
    tz = i18n.display_zone()
    if filters.date_from:
        stmt = stmt.where(Alert.closed_at >= datetime.combine(filters.date_from, time(), tz))
    if filters.date_to:
        end = datetime.combine(filters.date_to + timedelta(days=1), time(), tz)
        stmt = stmt.where(Alert.closed_at < end)
    return stmt


def resolve_area(session: Session, value: str | None) -> str | None:
    """The commune/ward code meant by ``value``: a code, or a name typed with or without
    diacritics (``"Buôn Ma Thuột"``, ``"phuong buon ma thuot"``). Raises :class:`FilterError`."""
    value = (value or "").strip()
    if not value:
        return None
    if value.isdigit():
        if session.execute(select(Area.id).where(Area.code == value).limit(1)).first():
            return value
    else:
        folded = i18n.fold(value)
        rows = session.execute(
            select(Area.code, Area.name_folded, Area.valid_to).where(
                Area.level.in_(AREA_LEVELS), Area.name_folded.contains(folded)
            )
        ).all()
        exact = [r for r in rows if r[1] == folded or r[1].endswith(" " + folded)]
        for candidates in (exact, rows):
            current = {code for code, _, valid_to in candidates if valid_to is None}
            codes = current or {code for code, _, _ in candidates}
            if len(codes) == 1:
                return codes.pop()
    raise FilterError(
        "area",
        f"Không tìm thấy một xã/phường duy nhất khớp «{value}»",
        f"No single commune/ward matches {value!r}",
    )


def check_filters(filters: AlertFilters, packs: Iterable[str]) -> None:
    """Refuse unknown severities, statuses and packs (raises :class:`FilterError`)."""
    if filters.severity and filters.severity not in SEVERITY_RANK:
        raise FilterError(
            "severity", f"Mức độ không hợp lệ: {filters.severity}", "Unknown severity"
        )
    if filters.status and filters.status not in ALERT_STATUSES:
        raise FilterError("status", f"Trạng thái không hợp lệ: {filters.status}", "Unknown status")
    if filters.pack and filters.pack not in set(packs):
        raise FilterError("pack", f"Lĩnh vực không hợp lệ: {filters.pack}", "Unknown pack")


# ------------------------------------------------------------------ console


def open_alerts(
    session: Session, filters: AlertFilters, lang: str, *, limit: int = 500
) -> list[AlertRow]:
    """Alerts not yet closed, worst severity first, then newest first."""
    stmt = select(Alert).where(Alert.status != ALERT_CLOSED)
    stmt = _apply(session, stmt, filters)
    stmt = stmt.order_by(_severity_order(), Alert.starts_at.desc(), Alert.id.desc()).limit(limit)
    return _rows(session, list(session.execute(stmt).scalars()), lang)


def severity_counts(session: Session, filters: AlertFilters | None = None) -> dict[str, int]:
    """Open alerts per severity (every severity present, zero included), under ``filters``
    except their severity (so the counts stay a choice of the severity filter)."""
    stmt = select(Alert.severity, func.count()).where(Alert.status != ALERT_CLOSED)
    stmt = _apply(session, stmt, filters or AlertFilters(), skip_severity=True)
    counts = dict.fromkeys(SEVERITIES, 0)
    for row in session.execute(stmt.group_by(Alert.severity)).all():
        counts[row[0]] = counts.get(row[0], 0) + int(row[1])
    return counts


def status_counts(session: Session) -> dict[str, int]:
    """Open alerts per handling status."""
    counts = dict.fromkeys(OPEN_STATUSES, 0)
    rows = session.execute(
        select(Alert.status, func.count())
        .where(Alert.status != ALERT_CLOSED)
        .group_by(Alert.status)
    ).all()
    for status, n in rows:
        counts[status] = n
    return counts


def _timeline(session: Session, condition: Any) -> list[EventRow]:
    rows = list(
        session.execute(
            select(AlertEvent).where(condition).order_by(AlertEvent.at, AlertEvent.id)
        ).scalars()
    )
    # A "notified" entry is written when the message is queued: its outcome is the outbox's.
    outbox_ids = [
        int(e.data["outbox_id"])
        for e in rows
        if e.kind == "notified" and isinstance((e.data or {}).get("outbox_id"), int)
    ]
    deliveries = delivery_of(session, outbox_ids)
    return [
        EventRow(
            e.id,
            e.at,
            e.kind,
            e.actor,
            e.text,
            dict(e.data or {}),
            e.alert_id,
            e.incident_id,
            deliveries.get(int((e.data or {}).get("outbox_id") or 0))
            if e.kind == "notified"
            else None,
        )
        for e in rows
    ]


def alert_detail(session: Session, alert_id: int, lang: str) -> AlertDetail | None:
    """The alert with its labels, annotations, rule and timeline (its incident's steps
    included); ``None`` when there is no such alert."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        return None
    rule = session.get(AlertRule, alert.rule_id)
    condition: Any = AlertEvent.alert_id == alert.id
    if alert.incident_id is not None:
        condition = or_(
            condition,
            (AlertEvent.incident_id == alert.incident_id) & AlertEvent.alert_id.is_(None),
        )
    runbook = (alert.annotations or {}).get("runbook") or (
        (rule.annotations or {}).get("runbook") if rule else None
    )
    return AlertDetail(
        row=_rows(session, [alert], lang)[0],
        labels=dict(alert.labels or {}),
        description=localized(alert.annotations, "description", lang),
        rule_uid=rule.uid if rule else None,
        rule_title=rule.title if rule else None,
        sop_key=rule.sop_key if rule else None,
        runbook=str(runbook) if runbook else None,
        timeline=_timeline(session, condition),
        rule_kind=rule.kind if rule else None,
        rule_params=dict(rule.params or {}) if rule else {},
    )


def history(session: Session, filters: AlertFilters, lang: str, page: int = 1) -> Page:
    """Closed alerts, most recently closed first, ``PER_PAGE`` a page."""
    base = _apply(session, select(Alert).where(Alert.status == ALERT_CLOSED), filters)
    total = session.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    page = max(1, page)
    stmt = (
        base.order_by(Alert.closed_at.desc(), Alert.id.desc())
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE)
    )
    items = _rows(session, list(session.execute(stmt).scalars()), lang)
    return Page(items, total, page, PER_PAGE)


# ------------------------------------------------------------------ incidents


def _incident_rows(session: Session, incidents: list[Incident]) -> list[IncidentRow]:
    ids = [i.id for i in incidents]
    steps: dict[int, tuple[int, int]] = {}
    alerts: dict[int, int] = {}
    if ids:
        for incident_id, total, done in session.execute(
            select(
                IncidentStep.incident_id,
                func.count(),
                func.count(IncidentStep.done_at),
            )
            .where(IncidentStep.incident_id.in_(ids))
            .group_by(IncidentStep.incident_id)
        ).all():
            steps[incident_id] = (done, total)
        for owner, n in session.execute(
            select(Alert.incident_id, func.count())
            .where(Alert.incident_id.in_(ids))
            .group_by(Alert.incident_id)
        ).all():
            if owner is not None:
                alerts[owner] = n
    areas = area_names(session, (i.area_code for i in incidents))
    agencies = _agency_names(session, (i.agency_id for i in incidents))
    return [
        IncidentRow(
            id=i.id,
            code=i.code,
            title=i.title,
            severity=i.severity,
            pack=i.pack,
            area_code=i.area_code,
            area_name=areas.get(i.area_code) if i.area_code else None,
            agency_id=i.agency_id,
            agency_name=agencies[i.agency_id][0] if i.agency_id in agencies else None,
            status=i.status,
            opened_at=i.opened_at,
            opened_by=i.opened_by,
            closed_at=i.closed_at,
            closed_by=i.closed_by,
            close_reason=i.close_reason,
            steps_done=steps.get(i.id, (0, 0))[0],
            steps_total=steps.get(i.id, (0, 0))[1],
            alert_count=alerts.get(i.id, 0),
        )
        for i in incidents
    ]


def incidents(session: Session, status: str = "open", page: int = 1) -> Page:
    """Incidents (``open``, ``closed`` or ``all``), newest first."""
    base = select(Incident)
    if status in ("open", "closed"):
        base = base.where(Incident.status == status)
    total = session.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    page = max(1, page)
    rows = list(
        session.execute(
            base.order_by(Incident.opened_at.desc(), Incident.id.desc())
            .offset((page - 1) * PER_PAGE)
            .limit(PER_PAGE)
        ).scalars()
    )
    return Page(_incident_rows(session, rows), total, page, PER_PAGE)


def incident_detail(session: Session, incident_id: int, lang: str) -> IncidentDetail | None:
    """The incident with its SOP steps, alerts and timeline; ``None`` when unknown."""
    incident = session.get(Incident, incident_id)
    if incident is None:
        return None
    steps = [
        StepRow(s.id, s.position, s.title, s.done_at, s.done_by, s.note)
        for s in session.execute(
            select(IncidentStep)
            .where(IncidentStep.incident_id == incident.id)
            .order_by(IncidentStep.position)
        ).scalars()
    ]
    alerts = list(
        session.execute(
            select(Alert).where(Alert.incident_id == incident.id).order_by(Alert.starts_at)
        ).scalars()
    )
    alert_ids = [a.id for a in alerts]
    condition: Any = AlertEvent.incident_id == incident.id
    if alert_ids:
        condition = or_(condition, AlertEvent.alert_id.in_(alert_ids))
    return IncidentDetail(
        row=_incident_rows(session, [incident])[0],
        steps=steps,
        alerts=_rows(session, alerts, lang),
        timeline=_timeline(session, condition),
    )


# ------------------------------------------------------------------ choices


def area_options(session: Session) -> list[Option]:
    """Current communes and wards of the province, by name (for the area filter)."""
    rows = session.execute(
        select(Area.code, Area.name)
        .where(Area.level.in_(AREA_LEVELS), Area.valid_to.is_(None))
        .order_by(Area.name_folded)
    ).all()
    return [Option(code, name) for code, name in rows]


def agency_options(session: Session) -> list[Option]:
    """Agencies that exist today, grouped by kind (departments first)."""
    rows = session.execute(
        select(Agency.code, Agency.name, Agency.kind)
        .where(Agency.valid_to.is_(None))
        .order_by(Agency.kind, Agency.name)
    ).all()
    order = {"centre": 0, "department": 1, "police": 2, "office": 3}
    return sorted(
        (Option(code, name, kind) for code, name, kind in rows),
        key=lambda o: (order.get(o.group, 5), o.group, i18n.fold(o.label)),
    )


def assignee_options(session: Session) -> list[Option]:
    """Active people who may handle alerts (operators, agency staff, administrators)."""
    rows = session.execute(
        select(User.username, User.full_name, User.role, Agency.short_name)
        .outerjoin(Agency, Agency.id == User.agency_id)
        .where(User.is_active.is_(True), User.role.in_(("operator", "agency_staff", "admin")))
        .order_by(User.full_name)
    ).all()
    return [
        Option(username, f"{full} — {agency}" if agency else full, role)
        for username, full, role, agency in rows
    ]


def packs_with_alerts(session: Session) -> list[str]:
    """Packs that have alert rules (for the pack filter)."""
    return sorted(
        {p for (p,) in session.execute(select(AlertRule.pack).distinct()).all()}
        | {p for (p,) in session.execute(select(Alert.pack).distinct()).all()}
    )


# ------------------------------------------------------------------ big screen


def wall_markers(session: Session, alerts: list[AlertRow]) -> list[Marker]:
    """Active stations with a position, each with its open alerts' titles and worst severity."""
    by_station: dict[str, list[AlertRow]] = {}
    for row in alerts:
        if row.station:
            by_station.setdefault(row.station, []).append(row)
    entities = session.execute(
        select(Entity.code, Entity.name, Entity.lat, Entity.lon).where(
            Entity.active.is_(True), Entity.lat.is_not(None), Entity.lon.is_not(None)
        )
    ).all()
    markers = []
    for code, name, lat, lon in entities:
        if lat is None or lon is None:
            continue
        rows = by_station.get(code, [])
        worst = min((r.severity for r in rows), key=lambda s: SEVERITY_RANK.get(s, 9), default=None)
        markers.append(Marker(code, name, lat, lon, worst, [r.summary for r in rows]))
    # Alerting stations last, so they are drawn on top.
    markers.sort(key=lambda m: -SEVERITY_RANK.get(m.severity, 9) if m.severity else -99)
    return markers


# ------------------------------------------------------------------ the overview's and wall's tile

TILE_DAYS = 14  # days of the open-alerts sparkline


def open_alert_counts(session: Session, ends: list[datetime]) -> list[int]:
    """How many alerts were open (started, not yet closed) at each instant of ``ends``."""
    if not ends:
        return []
    first = min(ends)
    rows = session.execute(
        select(Alert.starts_at, Alert.closed_at).where(
            Alert.starts_at <= max(ends),
            or_(Alert.closed_at.is_(None), Alert.closed_at > first),
        )
    ).all()
    return [
        sum(1 for start, closed in rows if start <= end and (closed is None or closed > end))
        for end in ends
    ]


def alerts_tile(session: Session, lang: str, now: datetime | None = None) -> Tile:
    """Cảnh báo đang mở: the open alerts by severity, for the overview and the wall alike (one
    figure, one function), with the open count at the end of each of the last ``TILE_DAYS``
    days as its trend (more open alerts is bad news)."""
    now = now or clock.now()
    counts = severity_counts(session)
    total = sum(counts.values())
    worst = next((s for s in SEVERITIES if counts.get(s)), None)
    status = "bad" if worst in ("critical", "high") else "warn" if worst == "warning" else "ok"
    caption = (
        " · ".join(
            f"{i18n.format_number(counts[s], lang)} "
            f"{i18n.translate(f'alerts.severity.{s}', lang).lower()}"
            for s in SEVERITIES
            if counts.get(s)
        )
        if total
        else i18n.translate("wall.none", lang)
    )
    zone = i18n.display_zone()
    today = datetime.combine(now.astimezone(zone).date(), time(), zone)
    # The end of each past day (midnight), the last one the end of yesterday; then now.
    day_ends = [today - timedelta(days=n) for n in range(TILE_DAYS - 2, -1, -1)]
    history = open_alert_counts(session, day_ends)
    open_incidents = session.execute(
        select(func.count()).select_from(Incident).where(Incident.status == "open")
    ).scalar_one()
    return Tile(
        pack="alerts",
        title=i18n.translate("wall.open_alerts", lang),
        figure=i18n.format_number(total, lang),
        caption=caption,
        status=status,
        href="/alerts",
        lines=(
            f"{i18n.translate('wall.open_incidents', lang)}: "
            f"{i18n.format_number(open_incidents, lang)}",
        ),
        trend=TileTrend(
            values=(*(float(n) for n in history), float(total)),
            period="day",
            better="down",
            label=i18n.translate("trend.label.open_alerts", lang),
        ),
    )
