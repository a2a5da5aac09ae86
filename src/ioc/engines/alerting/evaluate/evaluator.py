"""Deciding the samples of due rules in memory, and the labels and annotations of an instance."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from functools import lru_cache
from typing import Any

from jinja2 import Template
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core.i18n import format_number
from ioc.core.models import Area
from ioc.core.registry import Registry
from ioc.engines.alerting import ears
from ioc.engines.alerting.evaluate.inputs import (
    DAY,
    DEFAULT_MAX_AGE_S,
    HOUR,
    TEMPLATES,
    WEEK,
    CycleData,
    RuleView,
    Sample,
    SeriesRow,
    bucket_start,
    compare,
    matches_query,
    series_labels,
)
from ioc.engines.alerting.models import ERROR, NODATA
from ioc.engines.alerting.state import Outcome


class Evaluator:
    """Decides the samples of due rules (one instance per cycle; no state between cycles)."""

    def __init__(self, session: Session, now: datetime, registry: Registry | None) -> None:
        self.session = session
        self.now = now
        self.now_ts = int(now.timestamp())
        self.registry = registry
        self.data = CycleData(session, self.now_ts)

    def prefetch(self, rules: list[RuleView]) -> None:
        self.data.load_series(
            {r.query["indicator"] for r in rules if r.kind != "record" and r.query.get("indicator")}
        )

    def samples(self, rule: RuleView) -> list[Sample]:
        if rule.kind == "record":
            return self._record(rule)
        if rule.kind == "nodata" and not rule.query.get("indicator"):
            return self._entity_silence(rule)
        rows = [r for r in self.data.candidates(rule.query) if matches_query(r, rule.query)]
        if not rows:
            return []
        return getattr(self, f"_{rule.kind}")(rule, rows)  # type: ignore[no-any-return]

    def _threshold(self, rule: RuleView, rows: list[SeriesRow]) -> list[Sample]:
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
            labels = series_labels(row)
            if window:
                value = values.get(row.id)
            elif row.latest_ts is None or self.now_ts - row.latest_ts > max_age:
                value = None
            else:
                value = row.latest_value
            if value is None:
                out.append(Sample(labels, Outcome.NODATA, None, row.name))
            else:
                outcome = Outcome.BREACHED if compare(params, value) else Outcome.OK
                out.append(Sample(labels, outcome, value, row.name))
        return out

    def _nodata(self, rule: RuleView, rows: list[SeriesRow]) -> list[Sample]:
        max_age = int(rule.params["max_age_s"])
        out = []
        for row in rows:
            silent = None if row.latest_ts is None else (self.now_ts - row.latest_ts) / 60
            breached = row.latest_ts is None or self.now_ts - row.latest_ts > max_age
            out.append(
                Sample(
                    series_labels(row),
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

    def _rate(self, rule: RuleView, rows: list[SeriesRow]) -> list[Sample]:
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
            labels = series_labels(row)
            if a is None or b is None or (params.get("mode") == "percent" and a == 0):
                out.append(Sample(labels, Outcome.NODATA, None, row.name))
                continue
            change = (b - a) / abs(a) * 100 if params.get("mode") == "percent" else b - a
            out.append(
                Sample(
                    labels,
                    Outcome.BREACHED if compare(params, change) else Outcome.OK,
                    change,
                    row.name,
                )
            )
        return out

    def _anomaly(self, rule: RuleView, rows: list[SeriesRow]) -> list[Sample]:
        params = rule.params
        method = params.get("method", "c2")
        bucket = params.get("bucket", "day")
        agg = params.get("agg", "sum")
        size = {"hour": HOUR, "day": DAY, "week": WEEK}[bucket]
        current = bucket_start(self.now_ts, bucket)  # the running bucket (not yet complete)
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
                key = bucket_start(start, bucket)
                sums[key][0] += total
                sums[key][1] += n
            # Missing buckets of a count series are zero counts; of a mean series, no data.
            if agg == "mean" and len(sums) < count:
                out.append(Sample(series_labels(row), Outcome.NODATA, None, row.name))
                continue
            values: list[float] = []
            for i in range(count):
                week_total, week_n = sums.get(lo + i * size, [0.0, 0.0])
                values.append(
                    week_total if agg == "sum" else week_total / week_n if week_n else 0.0
                )
            stat = ears.latest(values, method, min_sigma)
            if stat is None:
                out.append(Sample(series_labels(row), Outcome.NODATA, None, row.name))
                continue
            outcome = Outcome.BREACHED if stat >= threshold else Outcome.OK
            out.append(Sample(series_labels(row), outcome, round(stat, 2), row.name))
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
                and not compare(rule.params, record.value)
            ):
                continue
            out.append(
                Sample(
                    dict(record.labels), Outcome.BREACHED, record.value, record.labels.get("name")
                )
            )
        return out


def instance_labels(rule: RuleView, sample_labels: dict[str, str]) -> dict[str, str]:
    """The labels of an instance: the sample's, the rule's, then alertname, pack and severity."""
    labels = {**sample_labels, **rule.labels}
    labels.update(alertname=rule.uid, pack=rule.pack, severity=rule.severity)
    return labels


@lru_cache(maxsize=2048)
def _template(text: str) -> Template:
    # Compiled once per text: an alert storm renders the same summary a thousand times.
    return TEMPLATES.from_string(text)


def _render(template: Any, context: dict[str, Any]) -> Any:
    if isinstance(template, dict):
        return {k: _render(v, context) for k, v in template.items()}
    if isinstance(template, str) and "{{" in template:
        try:
            return _template(template).render(**context)
        except Exception as exc:  # a bad template must not stop the cycle
            return f"{template} [lỗi mẫu: {exc}]"
    return template


def area_names(session: Session, codes: set[str]) -> dict[str, str]:
    """Names of the current administrative units by code."""
    if not codes:
        return {}
    rows = session.execute(
        select(Area.code, Area.name).where(Area.code.in_(sorted(codes)), Area.valid_to.is_(None))
    )
    return {code: name for code, name in rows}  # noqa: C416


def instance_annotations(
    rule: RuleView, labels: dict[str, str], sample: Sample, area_name: str | None, state: str
) -> tuple[str, dict[str, Any]]:
    """The summary and annotations of an instance, rendered in Vietnamese and English."""
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
