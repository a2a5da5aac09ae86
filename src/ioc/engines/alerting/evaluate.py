"""One evaluation cycle: every due rule, all of them at once.

The cost of a cycle is a handful of queries whatever the number of rules: the series of every
indicator the due rules name are read in one query (latest values come from ``series``), each
distinct window of hourly/daily rollups in one grouped query, then every rule is decided in
memory. Instances are stored only while they are not Normal and written only on transitions,
so a quiet province with 10 000 rules writes little more than the rules' ``last_eval_at``.

Kinds of rule (``rules.py`` validates their parameters):

* ``threshold`` — latest value (or the ``agg`` of the hourly rollups over ``window_s``)
  compared with ``op threshold``; a latest value older than ``max_age_s`` counts as no data;
* ``nodata`` — the series (or, with ``entity_type`` alone, the entity's newest series) has
  not reported for ``max_age_s``; the value is the silence in minutes;
* ``rate`` — change between the last complete hour and the hour ``window_s`` before it
  (``mode: delta`` in units, ``percent`` in %), compared with ``op threshold``;
* ``anomaly`` — EARS C1/C2/C3 over hourly, daily or weekly (Monday–Sunday, local) sums or
  means, last complete bucket,
  breached when the statistic ≥ ``threshold`` (CDC defaults 3/3/2, ``min_sigma`` floor);
* ``record`` — a pack's record source (``query.source``): each record it returns is an
  instance, breached when its value passes ``op threshold`` (or always without ``op``);
  records no longer returned are simply no longer breached.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, Final

import orjson
from jinja2 import Template
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import Text, func, select, type_coerce, update
from sqlalchemy.orm import Session

from ioc.core.i18n import format_number
from ioc.core.models import Area, Entity, Indicator, RollupDay, RollupHour, Series
from ioc.core.registry import Registry
from ioc.engines.alerting import ears, episodes
from ioc.engines.alerting.models import ERROR, NODATA, NORMAL, AlertInstance, AlertRule
from ioc.engines.alerting.state import InstanceState, Outcome, Timing, step

log = logging.getLogger(__name__)

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
_TEMPLATES = SandboxedEnvironment(autoescape=False)


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
class _SeriesRow:
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


_VIEW_COLUMNS = (
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


class _Data:
    """Series and rollups read once per cycle for all due rules."""

    def __init__(self, session: Session, now_ts: int) -> None:
        self.session = session
        self.now_ts = now_ts
        self.series: dict[str, list[_SeriesRow]] = {}
        self._by_subject: dict[str, dict[str, list[_SeriesRow]]] = {}
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
                _SeriesRow(sid, code, kind, subject, ts, value, etype, name, area, agency)
            )

    def candidates(self, query: dict[str, Any]) -> list[_SeriesRow]:
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
        for chunk in _chunks(ids, 5000):
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
        for chunk in _chunks(ids, 5000):
            stmt = select(model.series_id, model.bucket, model.total, model.n).where(
                model.series_id.in_(chunk), model.bucket >= lo, model.bucket < hi
            )
            for sid, start, total, n in self.session.execute(stmt):
                out[sid][start] = (total, n)
        return out


def _bucket_start(ts: int, bucket: str) -> int:
    """Start of the hour, local day or local week (Monday) containing ``ts``."""
    if bucket == "hour":
        return (ts // HOUR) * HOUR
    day = ((ts + VN_OFFSET) // DAY) * DAY - VN_OFFSET
    if bucket == "day":
        return day
    weekday = ((day + VN_OFFSET) // DAY + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    return day - weekday * DAY


def _chunks(items: list[int], size: int) -> Iterable[list[int]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _matches(row: _SeriesRow, query: dict[str, Any]) -> bool:
    if "entity" in query and row.subject_code != query["entity"]:
        return False
    if "entity_type" in query and row.entity_type != query["entity_type"]:
        return False
    if "area" in query and row.area != query["area"]:
        return False
    return not ("subject_kind" in query and row.subject_kind != query["subject_kind"])


def _series_labels(row: _SeriesRow) -> dict[str, str]:
    labels = {"indicator": row.indicator, "subject": row.subject_code}
    if row.area:
        labels["area"] = row.area
    if row.agency:
        labels["agency"] = row.agency
    return labels


def _compare(params: dict[str, Any], value: float) -> bool:
    return _OPS[params["op"]](value, float(params["threshold"]))


class Evaluator:
    """Decides the samples of due rules (one instance per cycle; no state between cycles)."""

    def __init__(self, session: Session, now: datetime, registry: Registry | None) -> None:
        self.session = session
        self.now = now
        self.now_ts = int(now.timestamp())
        self.registry = registry
        self.data = _Data(session, self.now_ts)

    def prefetch(self, rules: list[RuleView]) -> None:
        self.data.load_series(
            {r.query["indicator"] for r in rules if r.kind != "record" and r.query.get("indicator")}
        )

    def samples(self, rule: RuleView) -> list[Sample]:
        if rule.kind == "record":
            return self._record(rule)
        if rule.kind == "nodata" and not rule.query.get("indicator"):
            return self._entity_silence(rule)
        rows = [r for r in self.data.candidates(rule.query) if _matches(r, rule.query)]
        if not rows:
            return []
        return getattr(self, f"_{rule.kind}")(rule, rows)  # type: ignore[no-any-return]

    def _threshold(self, rule: RuleView, rows: list[_SeriesRow]) -> list[Sample]:
        params = rule.params
        window = int(params.get("window_s", 0))
        out: list[Sample] = []
        if window:
            # Hour buckets overlapping [now - window, now]: bucket + 1 h > now - window.
            hi = (self.now_ts // HOUR + 1) * HOUR
            values = self.data.window(
                [r.id for r in rows], self.now_ts - window - HOUR + 1, hi, params.get("agg", "mean")
            )
        max_age = int(params.get("max_age_s", DEFAULT_MAX_AGE_S))
        for row in rows:
            labels = _series_labels(row)
            if window:
                value = values.get(row.id)
            elif row.latest_ts is None or self.now_ts - row.latest_ts > max_age:
                value = None
            else:
                value = row.latest_value
            if value is None:
                out.append(Sample(labels, Outcome.NODATA, None, row.name))
            else:
                outcome = Outcome.BREACHED if _compare(params, value) else Outcome.OK
                out.append(Sample(labels, outcome, value, row.name))
        return out

    def _nodata(self, rule: RuleView, rows: list[_SeriesRow]) -> list[Sample]:
        max_age = int(rule.params["max_age_s"])
        out = []
        for row in rows:
            silent = None if row.latest_ts is None else (self.now_ts - row.latest_ts) / 60
            breached = row.latest_ts is None or self.now_ts - row.latest_ts > max_age
            out.append(
                Sample(
                    _series_labels(row),
                    Outcome.BREACHED if breached else Outcome.OK,
                    silent,
                    row.name,
                )
            )
        return out

    def _entity_silence(self, rule: RuleView) -> list[Sample]:
        entities = [
            e
            for e in self.data.entities(rule.query["entity_type"])
            if ("area" not in rule.query or e.area_code == rule.query["area"])
            and ("entity" not in rule.query or e.code == rule.query["entity"])
        ]
        latest = self.data.entity_latest([e.code for e in entities]) if entities else {}
        max_age = int(rule.params["max_age_s"])
        out = []
        for entity in entities:
            ts = latest.get(entity.code)
            labels = {"subject": entity.code, "entity_type": entity.type}
            if entity.area_code:
                labels["area"] = entity.area_code
            if entity.agency_code:
                labels["agency"] = entity.agency_code
            breached = ts is None or self.now_ts - ts > max_age
            silent = None if ts is None else round((self.now_ts - ts) / 60)
            out.append(
                Sample(labels, Outcome.BREACHED if breached else Outcome.OK, silent, entity.name)
            )
        return out

    def _rate(self, rule: RuleView, rows: list[_SeriesRow]) -> list[Sample]:
        params = rule.params
        window = int(params["window_s"])
        last = (self.now_ts // HOUR - 1) * HOUR  # last complete hour
        before = last - (window // HOUR) * HOUR
        ids = [r.id for r in rows]
        now_values = self.data.window(ids, last, last + HOUR, "mean")
        then_values = self.data.window(ids, before, before + HOUR, "mean")
        out = []
        for row in rows:
            a, b = then_values.get(row.id), now_values.get(row.id)
            labels = _series_labels(row)
            if a is None or b is None or (params.get("mode") == "percent" and a == 0):
                out.append(Sample(labels, Outcome.NODATA, None, row.name))
                continue
            change = (b - a) / abs(a) * 100 if params.get("mode") == "percent" else b - a
            out.append(
                Sample(
                    labels,
                    Outcome.BREACHED if _compare(params, change) else Outcome.OK,
                    change,
                    row.name,
                )
            )
        return out

    def _anomaly(self, rule: RuleView, rows: list[_SeriesRow]) -> list[Sample]:
        params = rule.params
        method = params.get("method", "c2")
        bucket = params.get("bucket", "day")
        agg = params.get("agg", "sum")
        size = {"hour": HOUR, "day": DAY, "week": WEEK}[bucket]
        current = _bucket_start(self.now_ts, bucket)  # the running bucket (not yet complete)
        count = ears.needed(method)
        lo = current - count * size
        # Weeks are summed from day rollups (Monday to Sunday, local time).
        data = self.data.buckets(
            [r.id for r in rows], "hour" if bucket == "hour" else "day", lo, current
        )
        threshold = float(params.get("threshold", ears.THRESHOLDS[method]))
        min_sigma = float(params.get("min_sigma", 0.5))
        out = []
        for row in rows:
            sums: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0])
            for start, (total, n) in data.get(row.id, {}).items():
                key = _bucket_start(start, bucket)
                sums[key][0] += total
                sums[key][1] += n
            # Missing buckets of a count series are zero counts; of a mean series, no data.
            if agg == "mean" and len(sums) < count:
                out.append(Sample(_series_labels(row), Outcome.NODATA, None, row.name))
                continue
            values: list[float] = []
            for i in range(count):
                week_total, week_n = sums.get(lo + i * size, [0.0, 0.0])
                values.append(
                    week_total if agg == "sum" else week_total / week_n if week_n else 0.0
                )
            stat = ears.latest(values, method, min_sigma)
            if stat is None:
                out.append(Sample(_series_labels(row), Outcome.NODATA, None, row.name))
                continue
            outcome = Outcome.BREACHED if stat >= threshold else Outcome.OK
            out.append(Sample(_series_labels(row), outcome, round(stat, 2), row.name))
        return out

    def _record(self, rule: RuleView) -> list[Sample]:
        source = self.registry.record_source(rule.query["source"]) if self.registry else None
        if source is None:
            raise LookupError(f"nguồn bản ghi không tồn tại: {rule.query['source']}")
        out = []
        for record in source(self.session, self.now):
            if (
                "op" in rule.params
                and record.value is not None
                and not _compare(rule.params, record.value)
            ):
                continue
            out.append(
                Sample(
                    dict(record.labels), Outcome.BREACHED, record.value, record.labels.get("name")
                )
            )
        return out


def _instance_labels(rule: RuleView, sample_labels: dict[str, str]) -> dict[str, str]:
    labels = {**sample_labels, **rule.labels}
    labels.update(alertname=rule.uid, pack=rule.pack, severity=rule.severity)
    return labels


@lru_cache(maxsize=2048)
def _template(text: str) -> Template:
    # Compiled once per text: an alert storm renders the same summary a thousand times.
    return _TEMPLATES.from_string(text)


def _render(template: Any, context: dict[str, Any]) -> Any:
    if isinstance(template, dict):
        return {k: _render(v, context) for k, v in template.items()}
    if isinstance(template, str) and "{{" in template:
        try:
            return _template(template).render(**context)
        except Exception as exc:  # a bad template must not stop the cycle
            return f"{template} [lỗi mẫu: {exc}]"
    return template


def _area_names(session: Session, codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    rows = session.execute(
        select(Area.code, Area.name).where(Area.code.in_(sorted(codes)), Area.valid_to.is_(None))
    )
    return {code: name for code, name in rows}  # noqa: C416


def _annotations(
    rule: RuleView, labels: dict[str, str], sample: Sample, area_name: str | None, state: str
) -> tuple[str, dict[str, Any]]:
    ctx_vi = {
        "labels": labels,
        "value": format_number(sample.value, "vi", 1) if sample.value is not None else "—",
        "name": sample.name or labels.get("subject", ""),
        "area_name": area_name or "",
    }
    ctx_en = {
        **ctx_vi,
        "value": format_number(sample.value, "en", 1) if sample.value is not None else "—",
    }
    rendered: dict[str, Any] = {}
    for key, template in (rule.annotations or {}).items():
        if isinstance(template, dict):
            rendered[key] = {
                lang: _render(text, ctx_vi if lang == "vi" else ctx_en)
                for lang, text in template.items()
            }
        else:
            rendered[key] = _render(template, ctx_vi)
    subject = sample.name or labels.get("subject") or area_name
    if sample.name is None and area_name and labels.get("subject") == labels.get("area"):
        subject = area_name  # an area series: its name, not its code
    prefix = {NODATA: "Không có dữ liệu: ", ERROR: "Lỗi đánh giá: "}.get(state, "")
    title = f"{prefix}{rule.title}" + (f" — {subject}" if subject else "")
    if area_name and subject != area_name:
        title += f" ({area_name})"
    return title, rendered


def due_rules(session: Session, now: datetime, *, force: bool = False) -> list[RuleView]:
    """Enabled rules whose interval has passed since their last evaluation."""
    rows = session.execute(
        select(*_VIEW_COLUMNS).where(AlertRule.enabled.is_(True)).order_by(AlertRule.id)
    )
    rules = []
    for row in rows:
        values = list(row)
        for i in (5, 6, 13):  # query, params, labels
            raw = values[i]
            values[i] = orjson.loads(raw) if isinstance(raw, str | bytes) else (raw or {})
        rules.append(RuleView(*values))
    if force:
        return rules
    now_ts = now.timestamp()
    # A second of slack: a 60 s rule ticked every 10 s must not slip to 70 s.
    return [
        r
        for r in rules
        if r.last_eval_at is None or now_ts - r.last_eval_at.timestamp() >= r.interval_s - 1
    ]


def evaluate_due(
    session: Session, now: datetime, registry: Registry | None = None, *, force: bool = False
) -> CycleStats:
    """Evaluate every due rule at ``now`` in the caller's transaction; returns what happened."""
    started = time.perf_counter()
    stats = CycleStats()
    rules = due_rules(session, now, force=force)
    stats.rules = len(rules)
    if not rules:
        return stats
    evaluator = Evaluator(session, now, registry)
    evaluator.prefetch(rules)
    rule_ids = [r.id for r in rules]
    existing: dict[int, dict[str, AlertInstance]] = defaultdict(dict)
    for chunk in _chunks(rule_ids, 5000):
        for inst in session.execute(
            select(AlertInstance).where(AlertInstance.rule_id.in_(chunk))
        ).scalars():
            existing[inst.rule_id][inst.fingerprint] = inst
    pending_alerts: list[tuple[RuleView, AlertInstance, dict[str, str], Sample, str]] = []
    unchanged: list[int] = []
    changed_health: list[dict[str, Any]] = []
    for rule in rules:
        timing = Timing(rule.pending_s, rule.keep_firing_s, rule.nodata_state, rule.error_state)
        instances = existing.get(rule.id, {})
        try:
            samples = evaluator.samples(rule)
            error: str | None = None
        except Exception as exc:  # one broken rule must not stop the others
            log.warning("alert rule %s failed: %s", rule.uid, exc)
            error = str(exc)[:500]
            # Every known instance goes to Error (or one rule-level instance if none).
            samples = [Sample(dict(i.labels), Outcome.ERROR) for i in instances.values()] or [
                Sample({}, Outcome.ERROR)
            ]
            stats.errors += 1
        if not samples and error is None and rule.kind != "record":
            # The query found no series at all (no records is the normal case of a record rule).
            samples = [Sample({}, Outcome.NODATA)]
        seen: set[str] = set()
        for sample in samples:
            stats.samples += 1
            labels = _instance_labels(rule, sample.labels)
            fp = fingerprint(labels)
            seen.add(fp)
            _apply(
                session,
                rule,
                instances.get(fp),
                labels,
                fp,
                sample,
                timing,
                now,
                stats,
                pending_alerts,
            )
        for fp, old in instances.items():
            if fp in seen:
                continue
            # Records no longer returned are no longer breached; a series that vanished is
            # missing (stale) and resolves after two evaluations.
            outcome = Outcome.OK if rule.kind == "record" else Outcome.MISSING
            _apply(
                session,
                rule,
                old,
                dict(old.labels),
                fp,
                Sample(dict(old.labels), outcome),
                timing,
                now,
                stats,
                pending_alerts,
            )
        health = (
            "error"
            if error
            else (
                "nodata" if samples and all(s.outcome is Outcome.NODATA for s in samples) else "ok"
            )
        )
        if health != rule.health or error != rule.last_error:
            changed_health.append(
                {"id": rule.id, "health": health, "last_error": error, "last_eval_at": now}
            )
        else:
            unchanged.append(rule.id)
    # Rules whose health did not change: one UPDATE of last_eval_at instead of 10 000.
    for chunk in _chunks(unchanged, 5000):
        session.execute(
            update(AlertRule).where(AlertRule.id.in_(chunk)).values(last_eval_at=now),
            execution_options={"synchronize_session": False},
        )
    if changed_health:
        session.execute(update(AlertRule), changed_health)
    session.flush()
    _open_alerts(session, pending_alerts, now, stats)
    stats.ms = (time.perf_counter() - started) * 1000
    return stats


def _apply(
    session: Session,
    rule: RuleView,
    inst: AlertInstance | None,
    labels: dict[str, str],
    fp: str,
    sample: Sample,
    timing: Timing,
    now: datetime,
    stats: CycleStats,
    pending_alerts: list[tuple[RuleView, AlertInstance, dict[str, str], Sample, str]],
) -> None:
    prev = (
        InstanceState(inst.state, inst.state_since, inst.state_reason, inst.missing_count)
        if inst is not None
        else InstanceState(NORMAL, now)
    )
    transition = step(prev, sample.outcome, now, timing)
    if transition.state is prev and not (
        transition.fires or transition.resolves or transition.evict
    ):
        return
    new = transition.state
    if inst is None:
        if new.state == NORMAL and not transition.fires:
            return  # Normal instances are not stored
        inst = AlertInstance(rule_id=rule.id, fingerprint=fp, labels=labels, missing_count=0)
        session.add(inst)
    stats.writes += 1
    if transition.resolves and inst.alert_id is not None:
        episodes.end(session, inst.alert_id, now, new.reason or "Resolved")
        inst.alert_id = None
        stats.resolved += 1
    if new.state == NORMAL:
        # Normal instances are not kept (their alerts stay, with instance_id set to NULL).
        if inst.id is not None:
            session.delete(inst)
        else:
            session.expunge(inst)
        return
    inst.state, inst.state_since, inst.state_reason = new.state, new.since, new.reason
    inst.missing_count = new.missing
    inst.last_eval_at = now
    if sample.value is not None:
        inst.value = sample.value
    if transition.fires:
        pending_alerts.append((rule, inst, labels, sample, new.state))


def _open_alerts(
    session: Session,
    pending: list[tuple[RuleView, AlertInstance, dict[str, str], Sample, str]],
    now: datetime,
    stats: CycleStats,
) -> None:
    if not pending:
        return
    names = _area_names(
        session, {labels["area"] for _, _, labels, _, _ in pending if "area" in labels}
    )
    texts: dict[int, dict[str, Any]] = dict(
        session.execute(
            select(AlertRule.id, AlertRule.annotations).where(
                AlertRule.id.in_({rule.id for rule, *_ in pending})
            )
        ).all()
    )
    for rule, *_ in pending:
        rule.annotations = texts.get(rule.id) or {}
    openings: list[episodes.Opening] = []
    for rule, inst, labels, sample, state in pending:
        alert_labels = dict(labels)
        if state in (NODATA, ERROR):
            alert_labels["alertstate"] = state
        area_name = names.get(labels.get("area", ""))
        title, annotations = _annotations(rule, labels, sample, area_name, state)
        special = state in (NODATA, ERROR) and rule.severity in ("critical", "high")
        openings.append(
            episodes.Opening(
                rule_id=rule.id,
                instance_id=inst.id,
                fingerprint=inst.fingerprint,
                title=title,
                labels=alert_labels,
                annotations=annotations,
                severity="warning" if special else rule.severity,
                pack=rule.pack,
                value=sample.value,
            )
        )
    for (_, inst, _, _, _), alert in zip(
        pending, episodes.open_alerts(session, openings, now), strict=True
    ):
        inst.alert_id = alert.id
        stats.fired += 1
        stats.fired_alerts.append(alert.id)
