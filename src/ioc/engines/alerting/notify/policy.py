"""The notification policy tree and routing (Alertmanager ``route`` semantics).

* The root matches every alert and must name a contact point.
* Routing is depth-first, left to right: an alert goes down into every child whose matchers
  hold; among siblings it stops at the first match unless that child has ``continue``. A node
  none of whose children match is itself the match (the deepest match wins).
* A child inherits its parent's contact point, ``group_by``, timers, mute and active timings,
  and overrides those it sets. ``group_by: []`` puts all alerts of the route in one group,
  ``["..."]`` groups by every label (no aggregation).
* ``repeat_interval`` is rounded up to a multiple of ``group_interval`` (it is checked only at
  group-interval ticks anyway).

:func:`route` is a pure function of a :class:`PolicyNode` tree and a label set.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.engines.alerting.notify.matchers import Matcher, matches_all, parse_matchers
from ioc.engines.alerting.notify.models import NotificationPolicy

GROUP_BY_ALL = "..."
DEFAULT_GROUP_BY: tuple[str, ...] = ("alertname",)
DEFAULT_GROUP_WAIT_S = 30
DEFAULT_GROUP_INTERVAL_S = 5 * 60
DEFAULT_REPEAT_INTERVAL_S = 4 * 3600


@dataclass
class PolicyNode:
    """One node of the tree as configured (``None`` = inherit)."""

    matchers: list[Matcher] = field(default_factory=list)
    contact_point: str | None = None
    group_by: list[str] | None = None
    group_wait_s: int | None = None
    group_interval_s: int | None = None
    repeat_interval_s: int | None = None
    continue_matching: bool = False
    mute_timings: list[str] = field(default_factory=list)
    active_timings: list[str] = field(default_factory=list)
    children: list[PolicyNode] = field(default_factory=list)
    id: int | None = None
    comment: str | None = None


@dataclass(frozen=True)
class _Grouping:
    """How alerts are grouped and when their group is notified: the settings a node of the
    policy tree inherits from its parent unless it sets them. The defaults are the root's."""

    group_by: tuple[str, ...] = DEFAULT_GROUP_BY
    group_by_all: bool = False
    group_wait_s: int = DEFAULT_GROUP_WAIT_S
    group_interval_s: int = DEFAULT_GROUP_INTERVAL_S
    repeat_interval_s: int = DEFAULT_REPEAT_INTERVAL_S
    mute_timings: tuple[str, ...] = ()
    active_timings: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ResolvedRoute(_Grouping):
    """The effective settings of a matching node, with inheritance applied."""

    key: str  # unique: "{}/{severity=~\"critical|high\"}/0"
    policy_id: int | None
    contact_point: str

    def group_labels(self, labels: Mapping[str, str]) -> dict[str, str]:
        """The labels that identify the alert's group on this route."""
        if self.group_by_all:
            return dict(sorted(labels.items()))
        return {name: labels[name] for name in sorted(self.group_by) if name in labels}

    def group_key(self, labels: Mapping[str, str]) -> str:
        """Text key of the alert's group on this route (route key + group labels)."""
        return f"{self.key}:{labels_text(self.group_labels(labels))}"


def labels_text(labels: Mapping[str, str]) -> str:
    """``{a="1",b="2"}`` with names sorted (Prometheus style)."""
    inner = ",".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in sorted(labels.items()))
    return "{" + inner + "}"


def key_hash(route_key: str, group_key: str) -> str:
    """Fixed-length identity of a group (the keys themselves may be long)."""
    return hashlib.sha256(f"{route_key}\x00{group_key}".encode()).hexdigest()


def _matchers_text(matchers: Sequence[Matcher]) -> str:
    ordered = sorted(matchers, key=lambda m: (m.name, m.op, m.value))
    return "{" + ",".join(str(m) for m in ordered) + "}"


@dataclass(frozen=True, kw_only=True)
class _Effective(_Grouping):
    """The settings in force at a node (its contact point may still be unset)."""

    contact_point: str | None = None


_ROOT_DEFAULTS = _Effective()


def _inherit(parent: _Effective, node: PolicyNode) -> _Effective:
    group_by, group_all = parent.group_by, parent.group_by_all
    if node.group_by is not None:
        group_all = GROUP_BY_ALL in node.group_by
        group_by = () if group_all else tuple(node.group_by)
    return _Effective(
        contact_point=node.contact_point or parent.contact_point,
        group_by=group_by,
        group_by_all=group_all,
        group_wait_s=parent.group_wait_s if node.group_wait_s is None else node.group_wait_s,
        group_interval_s=(
            parent.group_interval_s if node.group_interval_s is None else node.group_interval_s
        ),
        repeat_interval_s=(
            parent.repeat_interval_s if node.repeat_interval_s is None else node.repeat_interval_s
        ),
        mute_timings=tuple(node.mute_timings) or parent.mute_timings,
        active_timings=tuple(node.active_timings) or parent.active_timings,
    )


def resolve(eff: _Effective, key: str, policy_id: int | None) -> ResolvedRoute:
    """Freeze effective settings into a route (repeat rounded up to the group interval)."""
    interval = max(1, eff.group_interval_s)
    repeat = max(interval, math.ceil(eff.repeat_interval_s / interval) * interval)
    return ResolvedRoute(
        key=key,
        policy_id=policy_id,
        contact_point=eff.contact_point or "",
        group_by=eff.group_by,
        group_by_all=eff.group_by_all,
        group_wait_s=max(0, eff.group_wait_s),
        group_interval_s=interval,
        repeat_interval_s=repeat,
        mute_timings=eff.mute_timings,
        active_timings=eff.active_timings,
    )


def _match(
    node: PolicyNode, eff: _Effective, key: str, labels: Mapping[str, str]
) -> list[ResolvedRoute]:
    found: list[ResolvedRoute] = []
    for index, child in enumerate(node.children):
        if not matches_all(child.matchers, labels):
            continue
        child_key = f"{key}/{_matchers_text(child.matchers)}/{index}"
        found += _match(child, _inherit(eff, child), child_key, labels)
        if not child.continue_matching:
            break
    return found or [resolve(eff, key, node.id)]


def route(tree: PolicyNode, labels: Mapping[str, str]) -> list[ResolvedRoute]:
    """Every route an alert with ``labels`` is sent along (at least the root)."""
    return _match(tree, _inherit(_ROOT_DEFAULTS, tree), "{}", labels)


def walk(tree: PolicyNode) -> list[tuple[int, PolicyNode, ResolvedRoute]]:
    """All nodes depth-first with their depth and effective (inherited) settings; for pages."""
    out: list[tuple[int, PolicyNode, ResolvedRoute]] = []

    def visit(node: PolicyNode, eff: _Effective, key: str, depth: int) -> None:
        out.append((depth, node, resolve(eff, key, node.id)))
        for index, child in enumerate(node.children):
            visit(
                child,
                _inherit(eff, child),
                f"{key}/{_matchers_text(child.matchers)}/{index}",
                depth + 1,
            )

    visit(tree, _inherit(_ROOT_DEFAULTS, tree), "{}", 0)
    return out


def route_keys(tree: PolicyNode) -> set[str]:
    """Keys of every node of the tree."""
    return {r.key for _d, _n, r in walk(tree)}


def load_tree(session: Session) -> PolicyNode | None:
    """The configured tree from ``notify_policies`` (``None`` when there is no root)."""
    rows = list(
        session.execute(
            select(NotificationPolicy).order_by(NotificationPolicy.position, NotificationPolicy.id)
        ).scalars()
    )
    nodes = {
        r.id: PolicyNode(
            matchers=parse_matchers(r.matchers or []),
            contact_point=r.contact_point,
            group_by=None if r.group_by is None else list(r.group_by),
            group_wait_s=r.group_wait_s,
            group_interval_s=r.group_interval_s,
            repeat_interval_s=r.repeat_interval_s,
            continue_matching=r.continue_matching,
            mute_timings=list(r.mute_timings or []),
            active_timings=list(r.active_timings or []),
            id=r.id,
            comment=r.comment,
        )
        for r in rows
    }
    root: PolicyNode | None = None
    for r in rows:
        if r.parent_id is None:
            if root is None or (root.id or 0) > r.id:
                root = nodes[r.id]
        elif r.parent_id in nodes:
            nodes[r.parent_id].children.append(nodes[r.id])
    return root
