"""What a warning may contain: roles, limits, the refusals, and form values → a validated
:class:`WarningInput` (and back)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from ioc.core import i18n
from ioc.core.communes import communes
from ioc.core.ownership import NotYourData
from ioc.packs.warnings.hazards import BY_KEY, CERTAINTIES, SEVERITIES, URGENCIES
from ioc.packs.warnings.models import WrWarning

# Who may write a warning (drafts, edits, follow-ups): the operations centre. Who may approve
# one: also the province's leaders. Approval is refused to every author of the message.
DRAFT_ROLES = frozenset({"admin", "operator"})
APPROVE_ROLES = frozenset({"admin", "operator", "leader"})
MAX_TEXT = 4000
MAX_HEADLINE = 300
MAX_DAYS = 31  # a warning lasts at most a month; renew it with an update
EMAIL_RE = re.compile(r"^[^@\s<>,;\"']{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,24}$")


class Refused(NotYourData):
    """A caller who may not do this to a warning (role, or the two-person rule)."""


class WarningInputError(ValueError):
    """Form values that cannot make a warning; ``errors`` maps each field to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class WarningConflict(ValueError):
    """The warning is not in a state that allows this (message safe to show, vi / en)."""


@dataclass
class WarningInput:
    """The content of a warning, validated."""

    hazard: str
    severity: str
    urgency: str
    certainty: str
    headline_vi: str
    effective_at: datetime
    expires_at: datetime
    areas: list[str]
    headline_en: str = ""
    description_vi: str = ""
    description_en: str = ""
    instruction_vi: str = ""
    instruction_en: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


# The fields of a warning's content, in form order (the areas aside).
CONTENT_FIELDS: tuple[str, ...] = (
    "hazard",
    "severity",
    "urgency",
    "certainty",
    "headline_vi",
    "headline_en",
    "description_vi",
    "description_en",
    "instruction_vi",
    "instruction_en",
    "effective_at",
    "expires_at",
)


def _text(raw: Mapping[str, Any], name: str, limit: int) -> str:
    value = raw.get(name)
    return "" if value is None else str(value).replace("\x00", "").strip()[: limit + 1]


def parse_local(value: str) -> datetime | None:
    """A ``datetime-local`` form value (province time, ``2026-03-10T14:30``) as UTC; an
    ISO string with an offset is taken as it is. ``None`` when it cannot be read."""
    value = value.strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=i18n.display_zone())
    return parsed


def validate(session: Session, raw: Mapping[str, Any], *, now: datetime) -> WarningInput:
    """Check form values; raises :class:`WarningInputError` naming every bad field."""
    errors: dict[str, str] = {}
    hazard = _text(raw, "hazard", 32)
    if hazard not in BY_KEY:
        errors["hazard"] = "Chọn loại cảnh báo / choose the hazard type"
    choices = (("severity", SEVERITIES), ("urgency", URGENCIES), ("certainty", CERTAINTIES))
    picked: dict[str, str] = {}
    for name, allowed in choices:
        picked[name] = _text(raw, name, 16)
        if picked[name] not in allowed:
            errors[name] = f"Giá trị không hợp lệ / must be one of {', '.join(allowed)}"
    headline_vi = _text(raw, "headline_vi", MAX_HEADLINE)
    if not headline_vi:
        errors["headline_vi"] = "Nhập tiêu đề tiếng Việt / the Vietnamese headline is required"
    texts = {}
    for name in ("headline_vi", "headline_en"):
        texts[name] = _text(raw, name, MAX_HEADLINE)
        if len(texts[name]) > MAX_HEADLINE:
            errors[name] = f"Tối đa {MAX_HEADLINE} ký tự / at most {MAX_HEADLINE} characters"
    for name in ("description_vi", "description_en", "instruction_vi", "instruction_en"):
        texts[name] = _text(raw, name, MAX_TEXT)
        if len(texts[name]) > MAX_TEXT:
            errors[name] = f"Tối đa {MAX_TEXT} ký tự / at most {MAX_TEXT} characters"
    if not texts["instruction_vi"]:
        errors["instruction_vi"] = (
            "Nhập hướng dẫn cho người dân / instructions in Vietnamese are required"
        )
    effective = parse_local(_text(raw, "effective_at", 40)) if raw.get("effective_at") else now
    expires = parse_local(_text(raw, "expires_at", 40))
    if effective is None:
        errors["effective_at"] = "Thời điểm hiệu lực không hợp lệ / invalid effective time"
    if expires is None:
        errors["expires_at"] = "Nhập thời điểm hết hiệu lực / the expiry time is required"
    elif effective is not None:
        if expires <= effective:
            errors["expires_at"] = (
                "Hết hiệu lực phải sau thời điểm hiệu lực / expiry must be after the effective time"
            )
        elif expires - effective > timedelta(days=MAX_DAYS):
            errors["expires_at"] = (
                f"Tối đa {MAX_DAYS} ngày; gia hạn bằng bản cập nhật / "
                f"at most {MAX_DAYS} days; extend it with an update"
            )
    raw_areas = raw.get("areas") or []
    if isinstance(raw_areas, str):
        raw_areas = [raw_areas]
    wanted = list(dict.fromkeys(str(a).strip() for a in raw_areas if str(a).strip()))
    known = {c.code for c in communes(session)}
    unknown = [a for a in wanted if a not in known]
    if not wanted:
        errors["areas"] = "Chọn ít nhất một xã/phường / choose at least one commune"
    elif unknown:
        shown = ", ".join(unknown[:5])
        errors["areas"] = f"Mã xã/phường không có: {shown} / unknown commune code: {shown}"
    if errors:
        raise WarningInputError(errors)
    assert effective is not None and expires is not None
    return WarningInput(
        hazard=hazard,
        severity=picked["severity"],
        urgency=picked["urgency"],
        certainty=picked["certainty"],
        headline_vi=texts["headline_vi"],
        headline_en=texts["headline_en"],
        description_vi=texts["description_vi"],
        description_en=texts["description_en"],
        instruction_vi=texts["instruction_vi"],
        instruction_en=texts["instruction_en"],
        effective_at=effective,
        expires_at=expires,
        areas=wanted,
    )


def prefill_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """Form values from a mapping (drop unknown keys)."""
    keys = (*CONTENT_FIELDS, "areas")
    return {k: data[k] for k in keys if k in data}


def as_values(warning: WrWarning, areas: Sequence[str]) -> dict[str, Any]:
    """A warning's content as form values."""
    values: dict[str, Any] = {name: getattr(warning, name) for name in CONTENT_FIELDS}
    values["areas"] = list(areas)
    return values
