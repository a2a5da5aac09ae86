"""One cycle: the due rules, their samples, the instances' transitions and the alerts."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ioc.core.registry import Registry
from ioc.engines.alerting import episodes
from ioc.engines.alerting.evaluate.evaluator import (
    Evaluator,
    area_names,
    instance_annotations,
    instance_labels,
)
from ioc.engines.alerting.evaluate.inputs import (
    VIEW_COLUMNS,
    CycleStats,
    RuleView,
    Sample,
    chunks,
    fingerprint,
)
from ioc.engines.alerting.models import ERROR, NODATA, NORMAL, AlertInstance, AlertRule
from ioc.engines.alerting.state import InstanceState, Outcome, Timing, step

# The package's logger (the name its records had before the package was split).
log = logging.getLogger("ioc.engines.alerting.evaluate")


def due_rules(session: Session, now: datetime, *, force: bool = False) -> list[RuleView]:
    """Enabled rules whose interval has passed since their last evaluation."""
    rows = session.execute(
        select(*VIEW_COLUMNS).where(AlertRule.enabled.is_(True)).order_by(AlertRule.id)
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


def _instances(session: Session, rule_ids: list[int]) -> dict[int, dict[str, AlertInstance]]:
    """The stored instances of the rules, by rule id then fingerprint."""
    existing: dict[int, dict[str, AlertInstance]] = defaultdict(dict)
    for chunk in chunks(rule_ids, 5000):
        for inst in session.execute(
            select(AlertInstance).where(AlertInstance.rule_id.in_(chunk))
        ).scalars():
            existing[inst.rule_id][inst.fingerprint] = inst
    return existing


def _rule_samples(
    evaluator: Evaluator,
    rule: RuleView,
    instances: dict[str, AlertInstance],
    stats: CycleStats,
) -> tuple[list[Sample], str | None]:
    """The samples of one rule and its error (``None`` when it evaluated)."""
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
    return samples, error


def _health(samples: list[Sample], error: str | None) -> str:
    """A rule's health after a cycle: ``error``, ``nodata`` or ``ok``."""
    return (
        "error"
        if error
        else ("nodata" if samples and all(s.outcome is Outcome.NODATA for s in samples) else "ok")
    )


def _record_evaluation(
    session: Session, unchanged: list[int], changed_health: list[dict[str, Any]], now: datetime
) -> None:
    """Store the time of the cycle on every rule, and the health of those whose changed."""
    # Rules whose health did not change: one UPDATE of last_eval_at instead of 10 000.
    for chunk in chunks(unchanged, 5000):
        session.execute(
            update(AlertRule).where(AlertRule.id.in_(chunk)).values(last_eval_at=now),
            execution_options={"synchronize_session": False},
        )
    if changed_health:
        session.execute(update(AlertRule), changed_health)
    session.flush()


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
    existing = _instances(session, [r.id for r in rules])
    pending_alerts: list[tuple[RuleView, AlertInstance, dict[str, str], Sample, str]] = []
    unchanged: list[int] = []
    changed_health: list[dict[str, Any]] = []
    for rule in rules:
        timing = Timing(rule.pending_s, rule.keep_firing_s, rule.nodata_state, rule.error_state)
        instances = existing.get(rule.id, {})
        samples, error = _rule_samples(evaluator, rule, instances, stats)
        seen: set[str] = set()
        for sample in samples:
            stats.samples += 1
            labels = instance_labels(rule, sample.labels)
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
        health = _health(samples, error)
        if health != rule.health or error != rule.last_error:
            changed_health.append(
                {"id": rule.id, "health": health, "last_error": error, "last_eval_at": now}
            )
        else:
            unchanged.append(rule.id)
    _record_evaluation(session, unchanged, changed_health, now)
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
    names = area_names(
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
        title, annotations = instance_annotations(rule, labels, sample, area_name, state)
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
