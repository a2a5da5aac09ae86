"""JSON security events (the API's intake) → :class:`SecurityEvent`, or the list of what is
wrong with each field."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ioc.core import clock
from ioc.packs.cybersecurity.parsers.cef import cef_severity
from ioc.packs.cybersecurity.parsers.events import (
    CATEGORIES,
    MAX_MESSAGE,
    SEVERITIES,
    SecurityEvent,
    classify,
    extract_indicators,
    first_indicator,
    valid_ip,
)


@dataclass(frozen=True)
class FieldError:
    """One problem of a JSON event: field, Vietnamese and English text."""

    field: str
    message: str
    message_en: str


class _TimeOutOfRange(ValueError):
    """A readable time outside :data:`ioc.core.clock.RANGE_TEXT`."""


def _parse_time(value: Any) -> datetime:
    """An ISO 8601 time with an offset, in UTC; raises ``ValueError`` otherwise."""
    if not isinstance(value, str):
        raise ValueError
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError
    if not clock.accepted(parsed):
        raise _TimeOutOfRange
    return parsed.astimezone(UTC)


def _event_time(doc: dict[str, Any], received: datetime, errors: list[FieldError]) -> datetime:
    """The event's ``time``, or the time of reception when it has none; an unreadable or
    out-of-range time is added to ``errors``."""
    if doc.get("time") in (None, ""):
        return received
    try:
        return _parse_time(doc["time"])
    except _TimeOutOfRange:
        errors.append(
            FieldError(
                "time",
                f"thời gian ngoài khoảng cho phép {clock.RANGE_TEXT}",
                f"time outside the accepted range {clock.RANGE_TEXT}",
            )
        )
    except ValueError:
        errors.append(
            FieldError(
                "time",
                "thời gian phải theo ISO 8601 có múi giờ",
                "time must be ISO 8601 with an offset",
            )
        )
    return received


def _event_ips(doc: dict[str, Any], errors: list[FieldError]) -> dict[str, str | None]:
    """``src_ip`` and ``dst_ip`` normalised (None when absent); a bad address is added to
    ``errors``."""
    ips: dict[str, str | None] = {}
    for key in ("src_ip", "dst_ip"):
        raw = doc.get(key)
        ips[key] = None
        if raw not in (None, ""):
            ips[key] = valid_ip(str(raw))
            if ips[key] is None:
                errors.append(FieldError(key, "địa chỉ IP không hợp lệ", "not an IP address"))
    return ips


def _check_strings(
    doc: dict[str, Any], message: str, source: Any, agency: Any, errors: list[FieldError]
) -> None:
    """Add to ``errors`` a source or agency that is not a string, and any text field holding
    a NUL character."""
    for key, value in (("source", source), ("agency", agency)):
        if value is not None and not isinstance(value, str):
            errors.append(FieldError(key, "phải là chuỗi", "must be a string"))
    strings = (
        ("message", message),
        ("source", source),
        ("agency", agency),
        ("app", doc.get("app")),
    )
    for key, value in strings:
        if isinstance(value, str) and "\x00" in value:  # PostgreSQL cannot store it
            errors.append(FieldError(key, "chứa ký tự NUL (\\x00)", "contains a NUL character"))


def normalise_json(doc: Any, received: datetime) -> tuple[SecurityEvent | None, list[FieldError]]:
    """One JSON event ``{time, source|host, agency, category, severity, message, indicators?,
    src_ip?, dst_ip?}`` → (event, []) or (None, errors naming each bad field)."""
    errors: list[FieldError] = []
    if not isinstance(doc, dict):
        return None, [FieldError("*", "mỗi sự kiện phải là đối tượng JSON", "must be an object")]
    when = _event_time(doc, received, errors)
    severity = doc.get("severity", "medium")
    if isinstance(severity, int) and not isinstance(severity, bool):
        severity = cef_severity(str(severity))
    if severity not in SEVERITIES:
        errors.append(
            FieldError(
                "severity",
                f"mức độ phải là một trong {', '.join(SEVERITIES)} (hoặc 0–10)",
                f"severity must be one of {', '.join(SEVERITIES)} (or 0–10)",
            )
        )
    message = doc.get("message", "")
    if not isinstance(message, str) or not message.strip():
        errors.append(FieldError("message", "thiếu nội dung sự kiện", "message is required"))
        message = ""
    category = doc.get("category")
    if category is not None and category not in CATEGORIES:
        errors.append(
            FieldError(
                "category",
                f"nhóm sự kiện phải là một trong {', '.join(CATEGORIES)}",
                f"category must be one of {', '.join(CATEGORIES)}",
            )
        )
    ips = _event_ips(doc, errors)
    source = doc.get("source", doc.get("host"))
    agency = doc.get("agency")
    _check_strings(doc, message, source, agency, errors)
    given = doc.get("indicators", [])
    if not isinstance(given, list) or not all(isinstance(v, str | dict) for v in given):
        errors.append(
            FieldError("indicators", "phải là danh sách", "must be a list of strings or objects")
        )
        given = []
    if errors:
        return None, errors
    texts = [message, *(v if isinstance(v, str) else str(v.get("value", "")) for v in given)]
    indicators = extract_indicators(*texts, ips["src_ip"] or "", ips["dst_ip"] or "")
    event = SecurityEvent(
        time=when,
        format="json",
        severity=str(severity),
        category=str(category) if category else classify(message),
        message=message[:MAX_MESSAGE],
        host=str(source)[:200] if source else None,
        app=str(doc["app"])[:100] if isinstance(doc.get("app"), str) else None,
        agency=str(agency)[:64] if agency else None,
        src_ip=ips["src_ip"] or first_indicator(indicators, "ip"),
        dst_ip=ips["dst_ip"],
        indicators=indicators,
    )
    return event, []
