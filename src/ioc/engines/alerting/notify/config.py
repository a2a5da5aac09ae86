"""Notification configuration from YAML (contact points, mute timings, the policy tree,
inhibition rules) and the actions that change it.

The YAML form (durations as ``30s``, ``5m``, ``4h``, ``1d`` or seconds)::

    contact_points:
      - name: truc-ban-ioc
        title: Trực ban IOC
        kind: inapp                       # email | webhook | inapp
        settings: {roles: [operator]}     # email: {addresses: [...]}, webhook: {url: ...}
        send_resolved: true
    mute_timings:
      - name: ngoai-gio-hanh-chinh
        time_intervals: [{times: ["17:00-07:30"]}, {working_days: false}]
    policy:                               # the root: matches everything
      contact_point: truc-ban-ioc
      group_by: [alertname, area]
      group_wait: 30s
      routes:
        - matchers: ['severity=~"critical|high"']
          contact_point: email-truc-ban
          continue: true
    inhibit_rules:
      - name: mat-dien
        source_matchers: ['alertname="power.outage"']
        target_matchers: ['alertname="sensor.offline"']
        equal: [area]

:func:`load_config` upserts by name and replaces the policy tree only when it differs, so
loading the same file twice changes nothing (and writes no audit rows).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ioc.core import audit, clock, netguard
from ioc.core.auth import Role
from ioc.engines.alerting.notify import messages
from ioc.engines.alerting.notify.matchers import MatcherError, normalize
from ioc.engines.alerting.notify.models import (
    CONTACT_KINDS,
    EMAIL,
    WEBHOOK,
    ContactPoint,
    InhibitionRule,
    MuteTiming,
    NotificationPolicy,
    Outbox,
)
from ioc.engines.alerting.notify.policy import GROUP_BY_ALL
from ioc.engines.alerting.notify.timeintervals import TimeIntervalError, parse_intervals
from ioc.settings import Settings

_DURATION = re.compile(r"^\s*(\d+)\s*(ms|s|m|h|d|w)?\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,119}$")
_POLICY_KEYS = {
    "matchers",
    "contact_point",
    "group_by",
    "group_wait",
    "group_interval",
    "repeat_interval",
    "continue",
    "mute_timings",
    "active_timings",
    "routes",
    "comment",
}


class ConfigError(ValueError):
    """Invalid notification configuration; the message names the place (vi / en)."""


@dataclass
class ConfigResult:
    """What :func:`load_config` changed."""

    changed: list[str] = field(default_factory=list)

    @property
    def unchanged(self) -> bool:
        """True when the configuration was already as given."""
        return not self.changed


def parse_duration(value: Any, where: str) -> int:
    """Seconds from ``30s`` / ``5m`` / ``4h`` / ``1d`` / an integer."""
    if isinstance(value, bool):
        raise ConfigError(f"{where}: thời lượng không hợp lệ / invalid duration {value!r}")
    if isinstance(value, int):
        seconds = value
    else:
        found = _DURATION.match(str(value))
        if not found:
            raise ConfigError(
                f"{where}: thời lượng không hợp lệ {value!r} (ví dụ 30s, 5m, 4h) / "
                "invalid duration (e.g. 30s, 5m, 4h)"
            )
        unit = found.group(2) or "s"
        seconds = (
            int(found.group(1)) // 1000 if unit == "ms" else int(found.group(1)) * _UNITS[unit]
        )
    if seconds < 0:
        raise ConfigError(f"{where}: thời lượng âm / negative duration")
    return seconds


# --- contact points -------------------------------------------------------------------------


def check_contact_settings(
    kind: str, settings: Any, where: str, allow: Iterable[str] = ()
) -> dict[str, Any]:
    """Validated settings of a contact point of ``kind``. A webhook URL must be http(s) and
    not reach an internal address (``ioc.core.netguard``) unless ``allow``
    (``IOC_OUTBOUND_ALLOW``) lets it; it is checked again at every delivery."""
    if kind not in CONTACT_KINDS:
        raise ConfigError(
            f"{where}: kind phải là email, webhook hoặc inapp / invalid kind {kind!r}"
        )
    if not isinstance(settings, Mapping):
        raise ConfigError(f"{where}.settings: phải là một bảng / must be a mapping")
    out: dict[str, Any] = {}
    if kind == EMAIL:
        addresses = settings.get("addresses")
        if isinstance(addresses, str):
            addresses = [a.strip() for a in addresses.split(",")]
        if not isinstance(addresses, list) or not addresses:
            raise ConfigError(f"{where}.settings.addresses: cần ít nhất một địa chỉ / required")
        for address in addresses:
            if not isinstance(address, str) or not re.match(r"^[^@\s]+@[^@\s]+$", address):
                raise ConfigError(
                    f"{where}.settings.addresses: địa chỉ e-mail sai {address!r} / bad address"
                )
        out["addresses"] = list(addresses)
    elif kind == WEBHOOK:
        url = settings.get("url")
        if not isinstance(url, str) or not re.match(r"^https?://[^\s]+$", url):
            raise ConfigError(f"{where}.settings.url: cần URL http(s) / http(s) URL required")
        try:
            netguard.validate_url(url, allow)
        except netguard.BlockedTarget as exc:
            raise ConfigError(f"{where}.settings.url: {exc}") from exc
        out["url"] = url
    else:
        roles = settings.get("roles") or []
        agencies = settings.get("agencies") or []
        if settings.get("agency"):
            agencies = [*agencies, settings["agency"]]
        users = settings.get("users") or []
        for name, value in (("roles", roles), ("agencies", agencies), ("users", users)):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{where}.settings.{name}: phải là danh sách / must be a list")
        bad = [r for r in roles if r not in {role.value for role in Role}]
        if bad:
            raise ConfigError(f"{where}.settings.roles: vai trò lạ {bad[0]!r} / unknown role")
        if not (roles or agencies or users):
            raise ConfigError(
                f"{where}.settings: cần roles, agencies hoặc users / needs roles, agencies or users"
            )
        out = {"roles": roles, "agencies": agencies, "users": users}
    return out


def _store_named(
    session: Session,
    model: type[ContactPoint | MuteTiming | InhibitionRule],
    name: str,
    wanted: Mapping[str, Any],
    *,
    stamped_by: audit.Actor | None = None,
) -> bool:
    """Create or update the row of ``model`` named ``name`` to hold ``wanted``; ``False`` when
    it already did. ``stamped_by``: the row also records when and by whom it changed."""
    row: Any = session.execute(select(model).where(model.name == name)).scalar_one_or_none()
    if row is not None and all(getattr(row, k) == v for k, v in wanted.items()):
        return False
    if row is None:
        row = model(name=name)
        session.add(row)
    for key, value in wanted.items():
        setattr(row, key, value)
    if stamped_by is not None:
        row.updated_at = clock.now()
        row.updated_by = stamped_by.label
    session.flush()
    return True


def upsert_contact_point(
    session: Session,
    actor: audit.Actor,
    *,
    name: str,
    kind: str,
    settings: Mapping[str, Any],
    send_resolved: bool = True,
    disabled: bool = False,
    title: str | None = None,
    allow: Iterable[str] = (),
) -> bool:
    """Create or update a contact point; returns True when something changed (audited).
    ``allow``: internal hosts/networks a webhook may reach (``IOC_OUTBOUND_ALLOW``)."""
    where = f"contact_points[{name}]"
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConfigError(
            f"{where}: tên chỉ gồm chữ thường, số, . _ - / name: lowercase letters, digits, . _ -"
        )
    clean = check_contact_settings(kind, settings, where, allow)
    wanted = {
        "kind": kind,
        "settings": clean,
        "send_resolved": bool(send_resolved),
        "disabled": bool(disabled),
        "title": title,
    }
    if not _store_named(session, ContactPoint, name, wanted, stamped_by=actor):
        return False
    audit.record(session, actor, "notify.contact_point_upsert", "contact_point", name, **wanted)
    return True


# --- mute timings ----------------------------------------------------------------------------


def upsert_mute_timing(
    session: Session,
    actor: audit.Actor,
    *,
    name: str,
    intervals: list[dict[str, Any]],
    comment: str | None = None,
) -> bool:
    """Create or update a named mute timing; returns True when something changed (audited)."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConfigError(f"mute_timings[{name}]: tên không hợp lệ / invalid name")
    try:
        parse_intervals(intervals)
    except TimeIntervalError as exc:
        raise ConfigError(f"mute_timings[{name}]: {exc}") from exc
    wanted = {"intervals": intervals, "comment": comment}
    if not _store_named(session, MuteTiming, name, wanted, stamped_by=actor):
        return False
    audit.record(
        session, actor, "notify.mute_timing_upsert", "mute_timing", name, intervals=intervals
    )
    return True


# --- inhibition rules ------------------------------------------------------------------------


def upsert_inhibition_rule(
    session: Session,
    actor: audit.Actor,
    *,
    name: str,
    source_matchers: Any,
    target_matchers: Any,
    equal: list[str],
    comment: str | None = None,
) -> bool:
    """Create or update an inhibition rule; returns True when something changed (audited)."""
    where = f"inhibit_rules[{name}]"
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConfigError(f"{where}: tên không hợp lệ / invalid name")
    try:
        source, target = normalize(source_matchers), normalize(target_matchers)
    except MatcherError as exc:
        raise ConfigError(f"{where}: {exc}") from exc
    if not source or not target:
        raise ConfigError(f"{where}: cần source_matchers và target_matchers / both required")
    if not isinstance(equal, list) or not all(isinstance(e, str) for e in equal):
        raise ConfigError(f"{where}.equal: phải là danh sách nhãn / must be a list of labels")
    wanted = {
        "source_matchers": source,
        "target_matchers": target,
        "equal": list(equal),
        "comment": comment,
    }
    if not _store_named(session, InhibitionRule, name, wanted):
        return False
    audit.record(session, actor, "notify.inhibition_upsert", "inhibition_rule", name, **wanted)
    return True


# --- policy tree -----------------------------------------------------------------------------


def _policy_spec(raw: Any, where: str, *, root: bool) -> dict[str, Any]:
    """Canonical form of one policy node (and its children) from YAML."""
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: phải là một bảng / must be a mapping")
    unknown = sorted(set(raw) - _POLICY_KEYS)
    if unknown:
        raise ConfigError(f"{where}.{unknown[0]}: trường không được hỗ trợ / unknown field")
    try:
        matchers = normalize(raw.get("matchers") or [])
    except MatcherError as exc:
        raise ConfigError(f"{where}.matchers: {exc}") from exc
    if root and matchers:
        raise ConfigError(
            f"{where}: chính sách gốc khớp mọi cảnh báo, không có matchers / "
            "the root policy takes no matchers"
        )
    group_by = raw.get("group_by")
    if group_by is not None:
        if not isinstance(group_by, list) or not all(isinstance(g, str) for g in group_by):
            raise ConfigError(f"{where}.group_by: phải là danh sách nhãn / must be a list")
        if GROUP_BY_ALL in group_by and len(group_by) > 1:
            raise ConfigError(f"{where}.group_by: '...' phải đứng một mình / must stand alone")
    timings = {}
    for name in ("mute_timings", "active_timings"):
        value = raw.get(name) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}.{name}: phải là danh sách tên / must be a list of names")
        timings[name] = list(value)
    contact = raw.get("contact_point")
    if root and not contact:
        raise ConfigError(f"{where}.contact_point: chính sách gốc cần điểm nhận / required")
    if contact is not None and not isinstance(contact, str):
        raise ConfigError(f"{where}.contact_point: phải là tên / must be a name")
    children = raw.get("routes") or []
    if not isinstance(children, list):
        raise ConfigError(f"{where}.routes: phải là danh sách / must be a list")

    def duration(key: str) -> int | None:
        value = raw.get(key)
        return None if value is None else parse_duration(value, f"{where}.{key}")

    return {
        "matchers": matchers,
        "contact_point": contact,
        "group_by": None if group_by is None else list(group_by),
        "group_wait_s": duration("group_wait"),
        "group_interval_s": duration("group_interval"),
        "repeat_interval_s": duration("repeat_interval"),
        "continue_matching": bool(raw.get("continue", False)),
        "mute_timings": timings["mute_timings"],
        "active_timings": timings["active_timings"],
        "comment": raw.get("comment"),
        "routes": [
            _policy_spec(child, f"{where}.routes[{i}]", root=False)
            for i, child in enumerate(children)
        ],
    }


_NODE_FIELDS = (
    "matchers",
    "contact_point",
    "group_by",
    "group_wait_s",
    "group_interval_s",
    "repeat_interval_s",
    "continue_matching",
    "mute_timings",
    "active_timings",
    "comment",
)


def current_tree_spec(session: Session) -> dict[str, Any] | None:
    """The stored policy tree in the canonical form of :func:`_policy_spec`."""
    rows = list(
        session.execute(
            select(NotificationPolicy).order_by(NotificationPolicy.position, NotificationPolicy.id)
        ).scalars()
    )
    by_parent: dict[int | None, list[NotificationPolicy]] = {}
    for row in rows:
        by_parent.setdefault(row.parent_id, []).append(row)

    def spec(row: NotificationPolicy) -> dict[str, Any]:
        out = {f: getattr(row, f) for f in _NODE_FIELDS}
        out["matchers"] = list(out["matchers"] or [])
        out["mute_timings"] = list(out["mute_timings"] or [])
        out["active_timings"] = list(out["active_timings"] or [])
        out["routes"] = [spec(child) for child in by_parent.get(row.id, [])]
        return out

    roots = by_parent.get(None, [])
    return spec(roots[0]) if roots else None


def _names_in(tree: dict[str, Any], key: str) -> set[str]:
    found = set(tree[key]) if isinstance(tree[key], list) else {tree[key]} - {None}
    for child in tree["routes"]:
        found |= _names_in(child, key)
    return found


def replace_policy_tree(session: Session, actor: audit.Actor, raw: Mapping[str, Any]) -> bool:
    """Replace the whole policy tree with ``raw`` (YAML form) unless it is already equal;
    returns True when it changed (audited). Named contact points and timings must exist."""
    tree = _policy_spec(raw, "policy", root=True)
    points = set(session.execute(select(ContactPoint.name)).scalars())
    missing = sorted(_names_in(tree, "contact_point") - points)
    if missing:
        raise ConfigError(f"policy: không có điểm nhận {missing[0]!r} / unknown contact point")
    timings = set(session.execute(select(MuteTiming.name)).scalars())
    missing = sorted(
        (_names_in(tree, "mute_timings") | _names_in(tree, "active_timings")) - timings
    )
    if missing:
        raise ConfigError(f"policy: không có khung giờ {missing[0]!r} / unknown mute timing")
    if current_tree_spec(session) == tree:
        return False
    # Children first is not needed: the foreign key cascades, but SQLite needs it enabled, and
    # deleting every row in one statement is the same on both databases.
    session.execute(delete(NotificationPolicy))

    def insert(node: dict[str, Any], parent_id: int | None, position: int) -> None:
        row = NotificationPolicy(
            parent_id=parent_id,
            position=position,
            **{f: node[f] for f in _NODE_FIELDS},
        )
        session.add(row)
        session.flush()
        for index, child in enumerate(node["routes"]):
            insert(child, row.id, index)

    insert(tree, None, 0)
    audit.record(
        session, actor, "notify.policy_tree_replace", "notification_policy", None, tree=tree
    )
    return True


# --- whole configuration ---------------------------------------------------------------------


def _read(path_or_text: str | Path) -> Any:
    if isinstance(path_or_text, Path) or (
        "\n" not in path_or_text and path_or_text.endswith((".yaml", ".yml"))
    ):
        text = Path(path_or_text).read_text(encoding="utf-8")
    else:
        text = path_or_text
    try:
        return yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"YAML không đọc được / unreadable YAML: {exc}") from exc


def _contact_point_args(cp: Mapping[str, Any]) -> dict[str, Any]:
    """The arguments of :func:`upsert_contact_point` besides the name, from YAML."""
    return {
        "kind": cp.get("kind", ""),
        "settings": cp.get("settings") or {},
        "send_resolved": bool(cp.get("send_resolved", True)),
        "disabled": bool(cp.get("disabled", False)),
        "title": cp.get("title"),
    }


def _mute_timing_args(mt: Mapping[str, Any]) -> dict[str, Any]:
    """The arguments of :func:`upsert_mute_timing` besides the name, from YAML."""
    return {"intervals": list(mt.get("time_intervals") or []), "comment": mt.get("comment")}


def _inhibition_rule_args(ir: Mapping[str, Any]) -> dict[str, Any]:
    """The arguments of :func:`upsert_inhibition_rule` besides the name, from YAML."""
    return {
        "source_matchers": ir.get("source_matchers") or [],
        "target_matchers": ir.get("target_matchers") or [],
        "equal": list(ir.get("equal") or []),
        "comment": ir.get("comment"),
    }


_ItemArgs = Callable[[Mapping[str, Any]], dict[str, Any]]
_Section = tuple[str, str, Callable[..., bool], _ItemArgs]
"""A list section of the YAML: its key, the label of a changed item, the upsert function and
how an item turns into its arguments besides the name."""


def load_config(
    session: Session,
    path_or_text: str | Path,
    actor: audit.Actor,
    *,
    allow: Iterable[str] = (),
) -> ConfigResult:
    """Upsert contact points, mute timings, inhibition rules and the policy tree from YAML
    (a path or the text itself). Idempotent; raises :class:`ConfigError` before changing
    anything the caller would commit when the file is invalid (the caller rolls back).
    ``allow`` is ``IOC_OUTBOUND_ALLOW`` (webhooks to internal addresses are refused)."""
    raw = _read(path_or_text)
    if not isinstance(raw, Mapping):
        raise ConfigError("Tệp cấu hình phải là một bảng / the file must be a mapping")
    unknown = sorted(set(raw) - {"contact_points", "mute_timings", "policy", "inhibit_rules"})
    if unknown:
        raise ConfigError(f"{unknown[0]}: mục không được hỗ trợ / unknown section")
    result = ConfigResult()
    sections: tuple[_Section, ...] = (
        (
            "contact_points",
            "contact_point",
            partial(upsert_contact_point, allow=allow),
            _contact_point_args,
        ),
        ("mute_timings", "mute_timing", upsert_mute_timing, _mute_timing_args),
        ("inhibit_rules", "inhibition_rule", upsert_inhibition_rule, _inhibition_rule_args),
    )
    for section, label, upsert, item_args in sections:
        for i, item in enumerate(raw.get(section) or []):
            if not isinstance(item, Mapping):
                raise ConfigError(f"{section}[{i}]: phải là một bảng / must be a mapping")
            if upsert(session, actor, name=item.get("name", ""), **item_args(item)):
                result.changed.append(f"{label}:{item['name']}")
    if raw.get("policy") is not None and replace_policy_tree(session, actor, raw["policy"]):
        result.changed.append("policy")
    return result


def default_config_text() -> str:
    """The packaged default configuration (``ioc/data/notifications.yaml``)."""
    return resources.files("ioc.data").joinpath("notifications.yaml").read_text(encoding="utf-8")


def ensure_config(session: Session, settings: Settings) -> ConfigResult:
    """Start-up hook: load ``IOC_NOTIFY_CONFIG_FILE`` if set, else the packaged default when
    no policy exists yet (an admin's later changes are never overwritten by the default)."""
    actor = audit.Actor.system("config")
    allow = settings.outbound_allow
    if settings.notify_config_file:
        return load_config(session, Path(settings.notify_config_file), actor, allow=allow)
    if session.execute(select(func.count()).select_from(NotificationPolicy)).scalar_one():
        return ConfigResult()
    return load_config(session, default_config_text(), actor, allow=allow)


# --- test notifications ----------------------------------------------------------------------


def send_test(session: Session, actor: audit.Actor, name: str, public_url: str) -> Outbox:
    """Gửi thử: queue a test message to a contact point (delivered by the outbox job)."""
    point = session.execute(
        select(ContactPoint).where(ContactPoint.name == name)
    ).scalar_one_or_none()
    if point is None:
        raise ConfigError(f"Không có điểm nhận {name!r} / no such contact point")
    now = clock.now()
    row = Outbox.pending(
        point.name,
        point.kind,
        messages.render_test(point.kind, point.title or point.name, public_url),
        f"Gửi thử / test: {point.title or point.name}",
        now,
    )
    session.add(row)
    session.flush()
    audit.record(
        session, actor, "notify.contact_point_test", "contact_point", name, outbox_id=row.id
    )
    return row
