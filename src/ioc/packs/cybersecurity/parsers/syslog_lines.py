"""Syslog lines: RFC 5424 and RFC 3164 (BSD) → :class:`Syslog`, and a received line (syslog,
with or without CEF as its MSG, or bare CEF) → :class:`SecurityEvent`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from ioc.packs.cybersecurity.parsers.cef import event_from_cef, parse_cef
from ioc.packs.cybersecurity.parsers.events import (
    CATEGORIES,
    MAX_MESSAGE,
    ParseError,
    SecurityEvent,
    classify,
    extract_indicators,
    first_indicator,
)

_SYSLOG_SEVERITY = ("critical", "critical", "critical", "high", "medium", "low", "info", "info")

_PRI = re.compile(r"<(\d{1,3})>")
_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    )
}
_3164_TS = re.compile(r"([A-Z][a-z]{2}) ([ \d]\d) (\d\d):(\d\d):(\d\d) ")
_5424_TS = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?(Z|[+-]\d\d:\d\d)$"
)
_TAG = re.compile(r"([!-9;-~]{1,48}?)(?:\[([^\]\s]{1,32})\])?:(?: |$)")


@dataclass(frozen=True)
class Syslog:
    """The fields of a syslog line, before normalisation."""

    format: str
    facility: int
    severity: int
    time: datetime | None
    host: str | None
    app: str | None
    procid: str | None
    msgid: str | None
    structured: dict[str, dict[str, str]]
    message: str


def _pri(line: str) -> tuple[int, int, str]:
    """(facility, severity, rest after PRI); raises when the PRI is missing or invalid."""
    m = _PRI.match(line)
    if m is None:
        raise ParseError("thiếu PRI <0–191> đầu dòng / no <PRI> at the start")
    digits = m.group(1)
    value = int(digits)
    if value > 191 or (len(digits) > 1 and digits[0] == "0"):
        raise ParseError(f"PRI không hợp lệ / invalid PRI: <{digits}>")
    return value >> 3, value & 7, line[m.end() :]


NIL = "-"  # RFC 5424 NILVALUE


def _nil(field: str) -> str | None:
    return None if field == NIL else field


# Devices stamp bursts of events with the same second: the times already read, by their text
# (pure functions of it; emptied when full, which is rare and cheap).
_TIMES_5424: dict[str, datetime] = {}
_TIMES_3164: dict[tuple[str, datetime, int], datetime | None] = {}
TIME_CACHE = 4096


def _ts_5424(field: str) -> datetime | None:
    if field == NIL:
        return None
    known = _TIMES_5424.get(field)
    if known is not None:
        return known
    value = _read_ts_5424(field)
    if len(_TIMES_5424) >= TIME_CACHE:
        _TIMES_5424.clear()
    _TIMES_5424[field] = value
    return value


def _read_ts_5424(field: str) -> datetime:
    m = _5424_TS.match(field)
    if m is None:
        raise ParseError(f"TIMESTAMP không hợp lệ / invalid TIMESTAMP: {field[:40]}")
    y, mo, d, h, mi, s, frac, tz = m.groups()
    try:
        if tz == "Z":
            zone: timezone = UTC
        else:
            sign = 1 if tz[0] == "+" else -1
            zone = timezone(sign * timedelta(hours=int(tz[1:3]), minutes=int(tz[4:6])))
        micro = int((frac or "0").ljust(6, "0"))
        value = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s), micro, tzinfo=zone)
    except ValueError as exc:
        raise ParseError(f"TIMESTAMP không hợp lệ / invalid TIMESTAMP: {field[:40]}") from exc
    return value.astimezone(UTC)


def _structured(text: str) -> tuple[dict[str, dict[str, str]], str]:
    """Parse ``-`` or ``[id k="v" …]…``; returns (elements, the rest after them)."""
    if text.startswith("-"):
        return {}, text[1:]
    out: dict[str, dict[str, str]] = {}
    i = 0
    n = len(text)
    while i < n and text[i] == "[":
        j = i + 1
        while j < n and text[j] not in " ]":
            j += 1
        sd_id = text[i + 1 : j]
        if not sd_id:
            raise ParseError("SD-ID rỗng / empty SD-ID")
        params: dict[str, str] = {}
        while j < n and text[j] == " ":
            eq = text.find("=", j + 1)
            if eq < 0 or eq + 1 >= n or text[eq + 1] != '"':
                raise ParseError(f"SD-PARAM không hợp lệ trong [{sd_id}] / bad SD-PARAM")
            name = text[j + 1 : eq]
            k = eq + 2
            chars: list[str] = []
            while k < n and text[k] != '"':
                if text[k] == "\\" and k + 1 < n and text[k + 1] in '"\\]':
                    chars.append(text[k + 1])
                    k += 2
                    continue
                chars.append(text[k])
                k += 1
            if k >= n:
                raise ParseError(f'thiếu dấu " đóng trong [{sd_id}] / unterminated PARAM-VALUE')
            params[name] = "".join(chars)
            j = k + 1
        if j >= n or text[j] != "]":
            raise ParseError(f"thiếu ] đóng [{sd_id}] / unterminated SD-ELEMENT")
        out[sd_id] = params
        i = j + 1
    if not out:
        raise ParseError("STRUCTURED-DATA phải là - hoặc [...] / must be - or [...]")
    return out, text[i:]


def parse_5424(line: str) -> Syslog:
    """One RFC 5424 line (without framing)."""
    facility, severity, rest = _pri(line)
    if not rest.startswith("1 "):
        raise ParseError("không phải RFC 5424 (VERSION 1) / not RFC 5424")
    parts = rest[2:].split(" ", 5)
    if len(parts) < 6:
        raise ParseError("thiếu trường tiêu đề RFC 5424 / RFC 5424 header incomplete")
    ts, host, app, procid, msgid, tail = parts
    structured, msg = _structured(tail)
    if msg.startswith(" "):
        msg = msg[1:]
    elif msg:
        raise ParseError("thiếu dấu cách trước MSG / no space before MSG")
    if msg.startswith("\ufeff"):
        msg = msg[1:]
    return Syslog(
        format="rfc5424",
        facility=facility,
        severity=severity,
        time=_ts_5424(ts),
        host=_nil(host),
        app=_nil(app),
        procid=_nil(procid),
        msgid=_nil(msgid),
        structured=structured,
        message=msg,
    )


def _ts_3164(m: re.Match[str], received: datetime, local_offset_s: int) -> datetime | None:
    # The year depends on the time of reception, the same for a whole batch: part of the key.
    key = (m.group(0), received, local_offset_s)
    try:
        return _TIMES_3164[key]  # None (no valid date) is remembered too
    except KeyError:
        pass
    value = _read_ts_3164(m, received, local_offset_s)
    if len(_TIMES_3164) >= TIME_CACHE:
        _TIMES_3164.clear()
    _TIMES_3164[key] = value
    return value


def _read_ts_3164(m: re.Match[str], received: datetime, local_offset_s: int) -> datetime | None:
    month = _MONTHS.get(m.group(1))
    if month is None:
        return None
    zone = timezone(timedelta(seconds=local_offset_s))
    local_received = received.astimezone(zone)
    # The most recent year that does not put the event in the future (two days of clock skew
    # allowed): devices log what already happened, so "Dec 31" received on "Jan 1" is last year.
    latest = received + timedelta(days=2)
    best: datetime | None = None
    for year in (local_received.year + 1, local_received.year, local_received.year - 1):
        try:
            candidate = datetime(
                year,
                month,
                int(m.group(2)),
                int(m.group(3)),
                int(m.group(4)),
                int(m.group(5)),
                tzinfo=zone,
            )
        except ValueError:
            continue
        if candidate <= latest:
            best = candidate
            break
    return best.astimezone(UTC) if best is not None else None


def parse_3164(line: str, received: datetime, local_offset_s: int = 7 * 3600) -> Syslog:
    """One RFC 3164 line; without a valid TIMESTAMP the rest is the MSG (§4.3.2)."""
    facility, severity, rest = _pri(line)
    m = _3164_TS.match(rest)
    when = _ts_3164(m, received, local_offset_s) if m else None
    if m is None or when is None:
        return Syslog("rfc3164", facility, severity, None, None, None, None, None, {}, rest)
    after = rest[m.end() :]
    host, _, msg = after.partition(" ")
    app = procid = None
    tag = _TAG.match(msg)
    if tag is not None:
        app, procid = tag.group(1), tag.group(2)
        msg = msg[tag.end() :]
    return Syslog("rfc3164", facility, severity, when, host or None, app, procid, None, {}, msg)


def parse_syslog(line: str, received: datetime, local_offset_s: int = 7 * 3600) -> Syslog:
    """RFC 5424 when the PRI is followed by the version ``1 ``, else RFC 3164."""
    m = _PRI.match(line)
    if m is not None and line.startswith("1 ", m.end()):
        return parse_5424(line)
    return parse_3164(line, received, local_offset_s)


def _agency_from_sd(structured: dict[str, dict[str, str]]) -> str | None:
    for params in structured.values():
        value = params.get("agency")
        if value:
            return value[:64]
    return None


def normalise_line(line: str, received: datetime, local_offset_s: int = 7 * 3600) -> SecurityEvent:
    """One received line (syslog 5424/3164, with or without CEF as MSG, or bare CEF) →
    event; raises :class:`ParseError` with the reason for a malformed line."""
    line = line.rstrip("\r\n\x00")
    if not line.strip():
        raise ParseError("dòng rỗng / empty line")
    if line.startswith("CEF:"):
        base = SecurityEvent(received, "cef", "medium", "other", "")
        return event_from_cef(parse_cef(line), base)
    log = parse_syslog(line, received, local_offset_s)
    message = log.message[:MAX_MESSAGE]
    event = SecurityEvent(
        time=log.time or received,
        format=log.format,
        severity=_SYSLOG_SEVERITY[log.severity],
        category="other",
        message=message,
        host=(log.host or None) and log.host[:200] if log.host else None,
        app=log.app[:100] if log.app else None,
        agency=_agency_from_sd(log.structured),
        facility=log.facility,
        syslog_severity=log.severity,
    )
    cef_at = message.find("CEF:")
    if cef_at >= 0 and (cef_at == 0 or message[cef_at - 1] == " "):
        event = event_from_cef(parse_cef(message[cef_at:]), event)
        event.format = f"cef/{log.format}"
        return event
    sd_text = " ".join(v for params in log.structured.values() for v in params.values())
    category = next((p.get("category") for p in log.structured.values() if p.get("category")), None)
    event.category = category if category in CATEGORIES else classify(message)
    event.indicators = extract_indicators(message, sd_text)
    event.src_ip = first_indicator(event.indicators, "ip")
    if log.structured:
        event.extra = {"sd": log.structured}
    return event
