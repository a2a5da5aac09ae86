"""Report templates and maturity criteria sets, loaded from the pack's YAML data files."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

from ioc.core import yaml_text

TEXT_KINDS = frozenset({"text"})
TABLE_KINDS = frozenset({"indicators", "tasks", "funding"})
COLUMN_TYPES = frozenset({"text", "number", "percent"})


class TemplateError(ValueError):
    """A template or criteria file that does not follow the documented format."""


def _load(name: str) -> dict[str, Any]:
    raw = yaml_text.load(resources.files("ioc.packs.reporting").joinpath(name).read_text("utf-8"))
    if not isinstance(raw, dict):
        raise TemplateError(f"{name}: a mapping is expected")
    return raw


def _check_template(key: str, tpl: dict[str, Any]) -> dict[str, Any]:
    sections = tpl.get("sections")
    if not isinstance(sections, list) or not sections:
        raise TemplateError(f"template {key}: sections missing")
    seen: set[str] = set()
    for s in sections:
        if s.get("key") in seen or s.get("kind") not in TEXT_KINDS | TABLE_KINDS:
            raise TemplateError(f"template {key}: bad or duplicate section {s.get('key')}")
        seen.add(s["key"])
        if s["kind"] in TABLE_KINDS:
            for col in s.get("columns", []):
                if col.get("type") not in COLUMN_TYPES:
                    raise TemplateError(f"template {key}.{s['key']}: column type {col}")
        if s["kind"] in ("indicators", "funding") and not s.get("rows"):
            raise TemplateError(f"template {key}.{s['key']}: rows missing")
    return tpl


@lru_cache(maxsize=1)
def report_templates() -> dict[str, dict[str, Any]]:
    """Every report template by key (validated)."""
    raw = _load("report_templates.yaml").get("templates") or {}
    return {k: _check_template(k, v) for k, v in raw.items()}


@lru_cache(maxsize=1)
def criteria_sets() -> dict[str, dict[str, Any]]:
    """Every maturity criteria set by key."""
    raw = _load("maturity_criteria.yaml").get("criteria_sets") or {}
    for key, cs in raw.items():
        if not cs.get("criteria") or not cs.get("levels"):
            raise TemplateError(f"criteria set {key}: criteria and levels are required")
    return dict(raw)


DEFAULT_TEMPLATE = "smart_city_annual"
DEFAULT_CRITERIA = "moc_2024"
