"""Alert rules as data: validation, YAML loading (packs' defaults, version-controlled files),
and the actions that create, change, enable/disable and delete a rule.

A rule file is YAML with two lists::

    rules:
      - uid: environment.aqi_unhealthy        # unique, stable: the alert's ``alertname``
        title: AQI giờ vượt 150 (Xấu)
        kind: threshold                       # threshold | nodata | rate | anomaly | record
        query: {indicator: aqi_hour}          # + entity, entity_type, area, subject_kind
        params: {op: ">", threshold: 150}
        severity: high                        # critical | high | warning | info
        interval_s: 60
        pending_s: 0
        keep_firing_s: 0
        labels: {team: moi-truong}
        annotations:
          summary: {vi: "...{{ value }}...", en: "..."}
        sop_key: environment.air_pollution
    sops:
      - key: environment.air_pollution
        title: Ô nhiễm không khí
        steps: [Xác minh số liệu trạm, Thông báo UBND xã, ...]

Loading is an upsert by ``uid``: a rule an administrator changed in the UI (``source: ui``)
is not overwritten by a pack's defaults unless ``force`` is given. Changing anything that
decides the instances (kind, query, params, timings, labels) resets the rule's instances to
Normal, as Grafana does; a running episode ends with the reason "Updated".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import yaml
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ioc.core import audit, clock
from ioc.core.audit import Actor
from ioc.engines.alerting import episodes
from ioc.engines.alerting.models import (
    SEVERITIES,
    AlertInstance,
    AlertRule,
    SopTemplate,
)
from ioc.engines.alerting.state import ERROR_CHOICES, NODATA_CHOICES

KINDS: Final = ("threshold", "nodata", "rate", "anomaly", "record")
OPS: Final = (">", ">=", "<", "<=", "==", "!=")
AGGS: Final = ("mean", "max", "min", "last", "sum")
QUERY_KEYS: Final = frozenset(
    {"indicator", "entity", "entity_type", "area", "subject_kind", "source"}
)
UID_RE: Final = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")
# Fields whose change resets the rule's instances (Grafana: anything but annotations/interval).
RESETTING: Final = (
    "kind",
    "query",
    "params",
    "pending_s",
    "keep_firing_s",
    "nodata_state",
    "error_state",
    "labels",
    "severity",
)
EDITABLE: Final = (*RESETTING, "title", "interval_s", "annotations", "sop_key", "enabled")


class RuleError(ValueError):
    """A rule definition that cannot be used; ``errors`` name each bad field."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass
class LoadResult:
    """What loading a rule file did."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept_ui: list[str] = field(default_factory=list)  # edited in the UI, left alone
    sops: int = 0


def _num(
    params: Mapping[str, Any],
    key: str,
    errors: list[str],
    where: str,
    *,
    required: bool = True,
    minimum: float | None = None,
) -> None:
    value = params.get(key)
    if value is None:
        if required:
            errors.append(f"{where}.params.{key}: bắt buộc (required)")
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        errors.append(f"{where}.params.{key}: phải là số (must be a number), nhận {value!r}")
    elif minimum is not None and value < minimum:
        errors.append(f"{where}.params.{key}: phải ≥ {minimum} (must be ≥ {minimum})")


def _choice(value: Any, choices: tuple[str, ...], path: str, errors: list[str]) -> None:
    if value not in choices:
        errors.append(f"{path}: phải là một trong {', '.join(choices)} (got {value!r})")


def _check_query_params(
    kind: Any, query: dict[str, Any], params: dict[str, Any], where: str, errors: list[str]
) -> None:
    """Check a rule's ``query`` and the ``params`` its kind needs; problems go to ``errors``."""
    bad_keys = set(query) - QUERY_KEYS
    if bad_keys:
        errors.append(f"{where}.query: khóa không biết (unknown keys) {sorted(bad_keys)}")
    if kind == "record":
        if not isinstance(query.get("source"), str):
            errors.append(f"{where}.query.source: bắt buộc cho quy tắc bản ghi (required)")
    elif kind in KINDS and not (query.get("indicator") or query.get("entity_type")):
        errors.append(f"{where}.query.indicator: bắt buộc (required)")
    if kind in ("threshold", "rate", "record") and ("op" in params or kind != "record"):
        _choice(params.get("op"), OPS, f"{where}.params.op", errors)
        _num(params, "threshold", errors, where)
    if kind == "threshold":
        _num(params, "window_s", errors, where, required=False, minimum=0)
        _num(params, "max_age_s", errors, where, required=False, minimum=60)
        if "agg" in params:
            _choice(params["agg"], AGGS, f"{where}.params.agg", errors)
    elif kind == "nodata":
        _num(params, "max_age_s", errors, where, minimum=60)
    elif kind == "rate":
        _num(params, "window_s", errors, where, minimum=3600)
        if params.get("mode", "delta") not in ("delta", "percent"):
            errors.append(f"{where}.params.mode: delta hoặc percent")
    elif kind == "anomaly":
        _choice(params.get("method", "c2"), ("c1", "c2", "c3"), f"{where}.params.method", errors)
        _choice(
            params.get("bucket", "day"), ("day", "hour", "week"), f"{where}.params.bucket", errors
        )
        _choice(params.get("agg", "sum"), ("sum", "mean"), f"{where}.params.agg", errors)
        _num(params, "threshold", errors, where, required=False)
        _num(params, "min_sigma", errors, where, required=False, minimum=0)


def validate(raw: Mapping[str, Any], *, pack: str | None = None) -> dict[str, Any]:
    """A rule definition checked and completed with defaults; raises :class:`RuleError`.

    Every problem is reported at once, each naming the rule and the field.
    """
    uid = raw.get("uid")
    where = f"rule {uid!r}" if uid else "rule"
    errors: list[str] = []
    if not isinstance(uid, str) or not UID_RE.match(uid):
        errors.append(f"{where}.uid: dạng 'pack.ten_quy_tac' (lowercase, dotted), nhận {uid!r}")
    unknown = set(raw) - {"uid", "title", "pack", *EDITABLE}
    if unknown:
        errors.append(f"{where}: trường không biết (unknown fields) {sorted(unknown)}")
    title = raw.get("title")
    if not isinstance(title, str) or not title.strip():
        errors.append(f"{where}.title: bắt buộc (required)")
    kind = raw.get("kind")
    _choice(kind, KINDS, f"{where}.kind", errors)
    query = raw.get("query") or {}
    params = raw.get("params") or {}
    if not isinstance(query, dict):
        errors.append(f"{where}.query: phải là một bảng khóa/giá trị (must be a mapping)")
        query = {}
    if not isinstance(params, dict):
        errors.append(f"{where}.params: phải là một bảng khóa/giá trị (must be a mapping)")
        params = {}
    _check_query_params(kind, query, params, where, errors)
    severity = raw.get("severity", "warning")
    _choice(severity, SEVERITIES, f"{where}.severity", errors)
    for key, lo, default in (("interval_s", 10, 60), ("pending_s", 0, 0), ("keep_firing_s", 0, 0)):
        value = raw.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < lo:
            errors.append(f"{where}.{key}: số nguyên ≥ {lo} (integer ≥ {lo}), nhận {value!r}")
    _choice(raw.get("nodata_state", "nodata"), NODATA_CHOICES, f"{where}.nodata_state", errors)
    _choice(raw.get("error_state", "error"), ERROR_CHOICES, f"{where}.error_state", errors)
    labels = raw.get("labels") or {}
    if not isinstance(labels, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in labels.items()
    ):
        errors.append(f"{where}.labels: nhãn là chuỗi → chuỗi (string to string)")
        labels = {}
    annotations = raw.get("annotations") or {}
    if not isinstance(annotations, dict):
        errors.append(f"{where}.annotations: phải là một bảng (must be a mapping)")
        annotations = {}
    rule_pack = raw.get("pack") or pack or (uid.split(".", 1)[0] if isinstance(uid, str) else "")
    if errors:
        raise RuleError(errors)
    return {
        "uid": uid,
        "title": str(title).strip(),
        "pack": rule_pack,
        "kind": kind,
        "query": dict(query),
        "params": dict(params),
        "severity": severity,
        "interval_s": raw.get("interval_s", 60),
        "pending_s": raw.get("pending_s", 0),
        "keep_firing_s": raw.get("keep_firing_s", 0),
        "nodata_state": raw.get("nodata_state", "nodata"),
        "error_state": raw.get("error_state", "error"),
        "labels": dict(labels),
        "annotations": dict(annotations),
        "sop_key": raw.get("sop_key"),
        "enabled": bool(raw.get("enabled", True)),
    }


def parse_file(text: str) -> tuple[list[Any], list[Any]]:
    """The ``rules`` and ``sops`` lists of a rule file; ``RuleError`` if it is not one."""
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise RuleError([f"YAML không đọc được (unreadable YAML): {exc}"]) from exc
    if not isinstance(data, dict):
        raise RuleError(["tệp quy tắc phải có 'rules:' và/hoặc 'sops:' (a mapping)"])
    rules, sops = data.get("rules") or [], data.get("sops") or []
    if not isinstance(rules, list) or not isinstance(sops, list):
        raise RuleError(["'rules' và 'sops' phải là danh sách (lists)"])
    return rules, sops


def load_text(
    session: Session,
    text: str,
    actor: Actor,
    *,
    pack: str | None = None,
    source: str = "yaml",
    force: bool = False,
) -> LoadResult:
    """Upsert every rule and SOP of a rule file (all or nothing: one bad rule refuses the file)."""
    raw_rules, raw_sops = parse_file(text)
    errors: list[str] = []
    specs: list[dict[str, Any]] = []
    for index, raw in enumerate(raw_rules, start=1):
        if not isinstance(raw, dict):
            errors.append(f"rules[{index}]: phải là một bảng (must be a mapping)")
            continue
        try:
            specs.append(validate(raw, pack=pack))
        except RuleError as exc:
            errors.extend(f"rules[{index}] {e}" for e in exc.errors)
    sops: list[tuple[str, str, list[str]]] = []
    for index, raw in enumerate(raw_sops, start=1):
        steps = raw.get("steps") if isinstance(raw, dict) else None
        if (
            not isinstance(raw, dict)
            or not isinstance(raw.get("key"), str)
            or not isinstance(raw.get("title"), str)
            or not isinstance(steps, list)
            or not steps
            or not all(isinstance(s, str) and s.strip() for s in steps)
        ):
            errors.append(f"sops[{index}]: cần key, title và steps (danh sách chuỗi)")
            continue
        sops.append((raw["key"], raw["title"], [s.strip() for s in steps]))
    if errors:
        raise RuleError(errors)
    result = LoadResult()
    for spec in specs:
        rule = session.execute(
            select(AlertRule).where(AlertRule.uid == spec["uid"])
        ).scalar_one_or_none()
        if rule is None:
            create_rule(session, actor, spec, source=source)
            result.created.append(spec["uid"])
        elif rule.source == "ui" and source != "ui" and not force:
            result.kept_ui.append(spec["uid"])
        elif update_rule(session, actor, rule, spec, source=source):
            result.updated.append(spec["uid"])
        else:
            result.unchanged.append(spec["uid"])
    for key, title, steps in sops:
        template = session.get(SopTemplate, key)
        if template is None:
            session.add(SopTemplate(key=key, title=title, steps=steps, source=source))
        elif template.source != "ui" or force:
            template.title, template.steps = title, steps
        result.sops += 1
    return result


def create_rule(
    session: Session, actor: Actor, spec: Mapping[str, Any], *, source: str = "ui"
) -> AlertRule:
    """Tạo quy tắc: add a validated rule (see :func:`validate`)."""
    rule = AlertRule(
        **{k: spec[k] for k in ("uid", "title", "pack", *EDITABLE)},
        source=source,
        version=1,
        updated_at=clock.now(),
        updated_by=actor.label,
        health="ok",
    )
    session.add(rule)
    session.flush()
    audit.record(session, actor, "alert_rule.create", "alert_rule", rule.uid, source=source)
    return rule


def update_rule(
    session: Session, actor: Actor, rule: AlertRule, spec: Mapping[str, Any], *, source: str = "ui"
) -> bool:
    """Sửa quy tắc: apply a validated definition; returns whether anything changed.

    A change to a field in :data:`RESETTING` bumps the version and resets the instances.
    """
    changed = [k for k in EDITABLE if getattr(rule, k) != spec[k]]
    if not changed and rule.source == source:
        return False
    for key in changed:
        setattr(rule, key, spec[key])
    rule.source = source
    rule.version += 1
    rule.updated_at = clock.now()
    rule.updated_by = actor.label
    if any(k in RESETTING for k in changed) or "enabled" in changed:
        reset_instances(session, rule, "Updated")
    audit.record(session, actor, "alert_rule.update", "alert_rule", rule.uid, fields=changed)
    return True


def set_enabled(session: Session, actor: Actor, rule: AlertRule, enabled: bool) -> None:
    """Bật/tắt quy tắc: a disabled rule is not evaluated and its instances are reset."""
    if rule.enabled == enabled:
        return
    rule.enabled = enabled
    rule.version += 1
    rule.updated_at = clock.now()
    rule.updated_by = actor.label
    reset_instances(session, rule, "Paused" if not enabled else "Updated")
    audit.record(
        session,
        actor,
        "alert_rule.enable" if enabled else "alert_rule.disable",
        "alert_rule",
        rule.uid,
    )


def delete_rule(session: Session, actor: Actor, rule: AlertRule) -> None:
    """Xóa quy tắc: its running episodes end ("RuleDeleted"); alerts stay as history."""
    reset_instances(session, rule, "RuleDeleted")
    audit.record(session, actor, "alert_rule.delete", "alert_rule", rule.uid)
    session.delete(rule)


def reset_instances(session: Session, rule: AlertRule, reason: str) -> None:
    """End the rule's running episodes with ``reason`` and forget its instances."""
    now = clock.now()
    instances = session.execute(
        select(AlertInstance).where(AlertInstance.rule_id == rule.id)
    ).scalars()
    for instance in instances:
        if instance.alert_id is not None:
            episodes.end(session, instance.alert_id, now, reason)
    session.execute(delete(AlertInstance).where(AlertInstance.rule_id == rule.id))
    rule.health = "ok"
    rule.last_error = None
    rule.last_eval_at = None


def sync_pack_rules(session: Session, texts: Mapping[str, str]) -> dict[str, LoadResult]:
    """Load every pack's default rule file (``{pack: yaml text}``) at start-up."""
    actor = Actor.system("alerting")
    return {pack: load_text(session, text, actor, pack=pack) for pack, text in texts.items()}


def rule_as_dict(rule: AlertRule) -> dict[str, Any]:
    """A rule in its file form (for export to YAML and the edit form)."""
    return {k: getattr(rule, k) for k in ("uid", "title", "pack", *EDITABLE)}


def dump_yaml(rules: list[AlertRule], sops: list[SopTemplate]) -> str:
    """Rules and SOPs as a rule file, to keep them under version control."""
    data = {
        "rules": [rule_as_dict(r) for r in rules],
        "sops": [{"key": s.key, "title": s.title, "steps": list(s.steps)} for s in sops],
    }
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
