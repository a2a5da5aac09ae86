"""Groups of alerts on the console: one rule and one cause (Alertmanager's grouping by labels)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.engines.alerting.models import (
    ALERT_CLOSED,
    Alert,
    AlertRule,
)
from ioc.engines.alerting.queries.filters import severity_order
from ioc.engines.alerting.queries.names import alert_rows
from ioc.engines.alerting.queries.rows import OPEN_STATUSES, SEVERITY_RANK, AlertRow

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
        .order_by(severity_order(), Alert.starts_at.desc(), Alert.id.desc())
    )
    rows = alert_rows(session, list(session.execute(stmt).scalars()), lang)
    groups = group_alerts(rows, rule_titles(session, [rule_id]))
    return next((g for g in groups if g.key == key), None)
