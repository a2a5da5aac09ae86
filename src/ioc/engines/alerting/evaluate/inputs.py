"""What one evaluation cycle reads: the due rules' columns, the series of the indicators they
name and the windows of rollups, each in one query for all rules.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

import orjson
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import Text, func, select, type_coerce
from sqlalchemy.orm import Session

from ioc.core.models import Entity, Indicator, RollupDay, RollupHour, Series
from ioc.engines.alerting.models import AlertRule
from ioc.engines.alerting.state import Outcome

HOUR: Final = 3600
DAY: Final = 86400
WEEK: Final = 7 * DAY
DEFAULT_MAX_AGE_S: Final = 2 * HOUR
VN_OFFSET: Final = 7 * HOUR  # Asia/Ho_Chi_Minh has no daylight saving time

_OPS: Final[dict[str, Callable[[float, float], bool]]] = {
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}
TEMPLATES = SandboxedEnvironment(autoescape=False)


@dataclass(frozen=True)
class Sample:
    """What a rule found for one label set."""

    labels: dict[str, str]
    outcome: Outcome
    value: float | None = None
    name: str | None = None  # the subject's display name (station, commune …)


@dataclass
class CycleStats:
    """What one cycle did (shown in job runs and printed by the bench)."""

    rules: int = 0
    samples: int = 0
    fired: int = 0
    resolved: int = 0
    errors: int = 0
    writes: int = 0
    ms: float = 0.0
    fired_alerts: list[int] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the job-run log."""
        return (
            f"{self.rules} quy tắc, {self.samples} mẫu, {self.fired} cảnh báo mới, "
            f"{self.resolved} hết cảnh báo, {self.errors} lỗi, {self.ms:.0f} ms"
        )


@dataclass(frozen=True)
class SeriesRow:
    id: int
    indicator: str
    subject_kind: str
    subject_code: str
    latest_ts: int | None
    latest_value: float | None
    entity_type: str | None
    name: str | None
    area: str | None
    agency: str | None


@dataclass(slots=True)
class RuleView:
    """The columns of a rule an evaluation needs (read without the ORM: 10 000 rules per
    cycle would spend most of the cycle building ORM objects). Annotations are read only for
    the rules whose instances start firing."""

    id: int
    uid: str
    title: str
    pack: str
    kind: str
    query: dict[str, Any]
    params: dict[str, Any]
    severity: str
    interval_s: int
    pending_s: int
    keep_firing_s: int
    nodata_state: str
    error_state: str
    labels: dict[str, str]
    health: str
    last_error: str | None
    last_eval_at: datetime | None
    annotations: dict[str, Any] = field(default_factory=dict)


VIEW_COLUMNS = (
    AlertRule.id,
    AlertRule.uid,
    AlertRule.title,
    AlertRule.pack,
    AlertRule.kind,
    # JSON read as text and decoded here with orjson: SQLAlchemy's per-value JSON processing
    # was a fifth of a 10 000-rule cycle (PostgreSQL's driver may hand over parsed values).
    type_coerce(AlertRule.query, Text),
    type_coerce(AlertRule.params, Text),
    AlertRule.severity,
    AlertRule.interval_s,
    AlertRule.pending_s,
    AlertRule.keep_firing_s,
    AlertRule.nodata_state,
    AlertRule.error_state,
    type_coerce(AlertRule.labels, Text),
    AlertRule.health,
    AlertRule.last_error,
    AlertRule.last_eval_at,
)


def fingerprint(labels: dict[str, str]) -> str:
    """Identity of an instance: SHA-256 of its sorted label set (Alertmanager's rule)."""
    return hashlib.sha256(orjson.dumps(labels, option=orjson.OPT_SORT_KEYS)).hexdigest()


class CycleData:
    """Series and rollups read once per cycle for all due rules."""

    def __init__(self, session: Session, now_ts: int) -> None:
        self.session = session
        self.now_ts = now_ts
        self.series: dict[str, list[SeriesRow]] = {}
        self._by_subject: dict[str, dict[str, list[SeriesRow]]] = {}
        self.by_entity_type: dict[str, list[Entity]] = {}
        self._hour: dict[tuple[int, str], dict[int, float]] = {}

    def load_series(self, indicators: set[str]) -> None:
        missing = indicators - set(self.series)
        if not missing:
            return
        stmt = (
            select(
                Series.id,
                Indicator.code,
                Series.subject_kind,
                Series.subject_code,
                Series.latest_ts,
                Series.latest_value,
                Entity.type,
                Entity.name,
                Entity.area_code,
                Entity.agency_code,
            )
            .join(Indicator, Indicator.id == Series.indicator_id)
            .outerjoin(
                Entity, (Entity.code == Series.subject_code) & (Series.subject_kind == "entity")
            )
            .where(Indicator.code.in_(sorted(missing)))
        )
        for code in missing:
            self.series[code] = []
        for row in self.session.execute(stmt):
            sid, code, kind, subject, ts, value, etype, name, area, agency = row
            if kind == "area":
                area = area or subject
            elif kind == "agency":
                agency = agency or subject
            self.series[code].append(
                SeriesRow(sid, code, kind, subject, ts, value, etype, name, area, agency)
            )

    def candidates(self, query: dict[str, Any]) -> list[SeriesRow]:
        """The series of the query's indicator, narrowed by subject through an index (a
        province has one rule per station often: a scan per rule would be quadratic)."""
        rows = self.series.get(query.get("indicator", ""), [])
        subject = query.get("entity")
        if subject is None:
            return rows
        index = self._by_subject.get(query["indicator"])
        if index is None:
            index = defaultdict(list)
            for row in rows:
                index[row.subject_code].append(row)
            self._by_subject[query["indicator"]] = index
        return index.get(subject, [])

    def entities(self, entity_type: str) -> list[Entity]:
        if entity_type not in self.by_entity_type:
            self.by_entity_type[entity_type] = list(
                self.session.execute(
                    select(Entity).where(Entity.type == entity_type, Entity.active.is_(True))
                ).scalars()
            )
        return self.by_entity_type[entity_type]

    def entity_latest(self, codes: list[str]) -> dict[str, int | None]:
        rows = self.session.execute(
            select(Series.subject_code, func.max(Series.latest_ts))
            .where(Series.subject_kind == "entity", Series.subject_code.in_(codes))
            .group_by(Series.subject_code)
        )
        return {code: ts for code, ts in rows}  # noqa: C416

    def window(self, ids: list[int], lo: int, hi: int, agg: str) -> dict[int, float]:
        """``agg`` of the hourly rollups with ``lo <= bucket < hi`` per series."""
        key = (lo, f"{hi}:{agg}")
        cached = self._hour.get(key)
        if cached is not None:
            return cached
        columns: dict[str, Any] = {
            "mean": func.sum(RollupHour.total) / func.sum(RollupHour.n),
            "sum": func.sum(RollupHour.total),
            "max": func.max(RollupHour.vmax),
            "min": func.min(RollupHour.vmin),
            "last": func.max(RollupHour.last_ts),
        }
        out: dict[int, float] = {}
        for chunk in chunks(ids, 5000):
            stmt = (
                select(RollupHour.series_id, columns[agg])
                .where(
                    RollupHour.series_id.in_(chunk),
                    RollupHour.bucket >= lo,
                    RollupHour.bucket < hi,
                )
                .group_by(RollupHour.series_id)
            )
            for sid, value in self.session.execute(stmt):
                if value is not None:
                    out[sid] = float(value)
        if agg == "last":
            out = self._last_values(ids, lo, hi)
        self._hour[key] = out
        return out

    def _last_values(self, ids: list[int], lo: int, hi: int) -> dict[int, float]:
        newest = (
            select(RollupHour.series_id, func.max(RollupHour.bucket).label("b"))
            .where(RollupHour.series_id.in_(ids), RollupHour.bucket >= lo, RollupHour.bucket < hi)
            .group_by(RollupHour.series_id)
            .subquery()
        )
        stmt = select(RollupHour.series_id, RollupHour.last_value).join(
            newest, (newest.c.series_id == RollupHour.series_id) & (newest.c.b == RollupHour.bucket)
        )
        return {sid: float(v) for sid, v in self.session.execute(stmt)}

    def buckets(
        self, ids: list[int], table: str, lo: int, hi: int
    ) -> dict[int, dict[int, tuple[float, int]]]:
        """Per series, bucket -> (total, count) for ``lo <= bucket < hi`` (hour or day)."""
        model = RollupDay if table == "day" else RollupHour
        out: dict[int, dict[int, tuple[float, int]]] = defaultdict(dict)
        for chunk in chunks(ids, 5000):
            stmt = select(model.series_id, model.bucket, model.total, model.n).where(
                model.series_id.in_(chunk), model.bucket >= lo, model.bucket < hi
            )
            for sid, start, total, n in self.session.execute(stmt):
                out[sid][start] = (total, n)
        return out


def bucket_start(ts: int, bucket: str) -> int:
    """Start of the hour, local day or local week (Monday) containing ``ts``."""
    if bucket == "hour":
        return (ts // HOUR) * HOUR
    day = ((ts + VN_OFFSET) // DAY) * DAY - VN_OFFSET
    if bucket == "day":
        return day
    weekday = ((day + VN_OFFSET) // DAY + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    return day - weekday * DAY


def chunks(items: list[int], size: int) -> Iterable[list[int]]:
    """``items`` in slices of at most ``size`` (bounded ``IN`` lists)."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


def matches_query(row: SeriesRow, query: dict[str, Any]) -> bool:
    """Whether a series is one a rule's query names (entity, type, commune, kind)."""
    if "entity" in query and row.subject_code != query["entity"]:
        return False
    if "entity_type" in query and row.entity_type != query["entity_type"]:
        return False
    if "area" in query and row.area != query["area"]:
        return False
    return not ("subject_kind" in query and row.subject_kind != query["subject_kind"])


def series_labels(row: SeriesRow) -> dict[str, str]:
    """The labels of an instance found on a series."""
    labels = {"indicator": row.indicator, "subject": row.subject_code}
    if row.area:
        labels["area"] = row.area
    if row.agency:
        labels["agency"] = row.agency
    return labels


def compare(params: dict[str, Any], value: float) -> bool:
    """Whether ``value`` passes the rule's ``op threshold``."""
    return _OPS[params["op"]](value, float(params["threshold"]))
