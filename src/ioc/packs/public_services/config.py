"""Settings of the public-services pack (``IOC_PS_*``) and the QĐ 766 points table.

The points table is data (``points.yaml`` in the pack, or ``IOC_PS_POINTS_FILE``): each
group's indicator maxima must add up to the group's maximum, so an edit that breaks the
100-point total is refused at start-up with a message naming the group.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from importlib.resources import files
from pathlib import Path
from typing import Any

from ioc.core import yaml_text
from ioc.packs.public_services.indices import INDICATORS, PointRule, rules_from_mapping

__all__ = ["Policy", "configure", "load_points", "policy", "policy_from_settings"]

POINTS_FILE = "points.yaml"


@dataclass(frozen=True)
class Points:
    """Group maxima and per-indicator rules."""

    groups: dict[int, Decimal]
    rules: dict[str, PointRule]


@dataclass(frozen=True)
class Policy:
    """What the pack reads from the settings."""

    due_soon_wd: int = 2
    export_max_rows: int = 200_000
    points: Points = field(default_factory=lambda: load_points(None))


def load_points(path: Path | None) -> Points:
    """Read and check a points table (the packaged one when ``path`` is None)."""
    if path is None:
        text = files("ioc.packs.public_services").joinpath(POINTS_FILE).read_text("utf-8")
        where = POINTS_FILE
    else:
        text = Path(path).read_text(encoding="utf-8")
        where = str(path)
    raw: Any = yaml_text.load(text)
    if not isinstance(raw, dict) or not isinstance(raw.get("indicators"), dict):
        raise ValueError(f"{where}: expected 'groups' and 'indicators' mappings")
    groups = {int(k): Decimal(str(v)) for k, v in (raw.get("groups") or {}).items()}
    rules = rules_from_mapping(raw["indicators"])
    known = {d.key for d in INDICATORS}
    unknown = sorted(set(rules) - known)
    if unknown:
        raise ValueError(f"{where}: unknown indicators {unknown} (keys must be quoted, e.g. '1.4')")
    for group, top in groups.items():
        total = sum(
            (rules[d.key].max_points for d in INDICATORS if d.group == group and d.key in rules),
            Decimal(0),
        )
        if total != top:
            raise ValueError(f"{where}: group {group} indicators add up to {total}, not {top}")
    return Points(groups, rules)


_policy = Policy()


def policy_from_settings(settings: Any) -> Policy:
    """The policy the settings describe."""
    return Policy(
        due_soon_wd=settings.ps_due_soon_wd,
        export_max_rows=settings.ps_export_max_rows,
        points=load_points(settings.ps_points_file),
    )


def configure(new: Policy) -> None:
    """Install the process-wide policy (at start-up)."""
    global _policy
    _policy = new


def policy() -> Policy:
    """The process-wide policy."""
    return _policy
