"""Security event parsers: syslog (RFC 5424, RFC 3164), CEF and JSON → :class:`SecurityEvent`.

Pure functions (no database, no clock except the ``received`` time the caller passes), tested
with the RFCs' own examples.

* **RFC 5424** — ``<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD]… MSG``; a UTF-8 BOM
  before MSG is dropped; structured data ``[id k="v" …]`` with ``\\"``, ``\\\\`` and ``\\]``
  escapes.
* **RFC 3164** (BSD syslog) — ``<PRI>Mmm dd hh:mm:ss HOSTNAME TAG[pid]: MSG``. As a relay does
  (§4.3.2), a valid PRI followed by no valid timestamp keeps the whole rest as MSG and takes the
  time of reception. The year is not sent: the most recent one not in the future;
  the time zone is not sent either: ``local_offset_s`` (Asia/Ho_Chi_Minh by default).
* **CEF** (ArcSight Common Event Format, alone or as the MSG of a syslog line) —
  ``CEF:Version|Device Vendor|Device Product|Device Version|Signature ID|Name|Severity|Extension``
  with ``\\|`` and ``\\\\`` escaped in the header, ``\\=``, ``\\\\``, ``\\n`` in extension values.

We are a collector, not a relay: a line without a valid PRI (and not a bare CEF record) is
**malformed** (:class:`ParseError` with the reason) rather than given the default PRI 13.

Normalised severity (``SEVERITIES``, most severe first): syslog 0–2 (emergency, alert,
critical) → critical, 3 (error) → high, 4 (warning) → medium, 5 (notice) → low, 6–7 → info;
CEF 9–10 (Very-High) → critical, 7–8 → high, 4–6 → medium, 1–3 → low, 0 → info.
Indicators (IoC): IPv4/IPv6 addresses, domain names and MD5/SHA-1/SHA-256 hashes found in the
message and in CEF fields.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from ioc.core import clock

SEVERITIES: tuple[str, ...] = ("critical", "high", "medium", "low", "info")
SEVERITY_RANK: dict[str, int] = {s: i for i, s in enumerate(SEVERITIES)}  # 0 = most severe
_SYSLOG_SEVERITY = ("critical", "critical", "critical", "high", "medium", "low", "info", "info")

CATEGORIES: tuple[str, ...] = (
    "malware",
    "intrusion",
    "web_attack",
    "defacement",
    "dos",
    "scan",
    "brute_force",
    "auth_failure",
    "phishing",
    "policy_violation",
    "data_leak",
    "vulnerability",
    "availability",
    "other",
)
# First match wins: the message (and CEF name) is searched in this order.
_CATEGORY_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in (
        ("defacement", r"defac|thay đổi giao diện"),
        ("malware", r"malware|virus|trojan|\bworm\b|ransom|botnet|mã độc"),
        ("web_attack", r"sql ?injection|\bsqli\b|\bxss\b|cross.site|web attack|path traversal"),
        ("dos", r"\bddos\b|\bdos\b|flood|từ chối dịch vụ"),
        ("scan", r"\bscan|nmap|\bsweep\b|rà quét"),
        ("brute_force", r"brute.?force|dò mật khẩu|too many (failed|authentication)"),
        (
            "auth_failure",
            r"failed password|authentication fail|login fail|invalid user|'su root' failed",
        ),
        ("phishing", r"phish|lừa đảo"),
        ("intrusion", r"intrusion|exploit|backdoor|xâm nhập|\bids\b|\bips\b"),
        ("data_leak", r"exfiltrat|data leak|lộ lọt"),
        ("vulnerability", r"vulnerab|\bcve-\d{4}-\d+|lỗ hổng"),
        ("policy_violation", r"policy violation|blocked by policy|vi phạm chính sách"),
        ("availability", r"\bdown\b|unreachable|mất kết nối|timeout"),
    )
)

MAX_MESSAGE = 4000
MAX_INDICATORS = 20

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
_IPV4 = re.compile(
    r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\w.])"
)
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
_DOMAIN = re.compile(
    r"(?<![\w@.-])((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,24}))(?![\w-])",
    re.IGNORECASE,
)
_HASH = re.compile(
    r"(?<![0-9A-Fa-f])([0-9A-Fa-f]{64}|[0-9A-Fa-f]{40}|[0-9A-Fa-f]{32})(?![0-9A-Fa-f])"
)
# Words that look like domains in log text but are file names or versions.
_NOT_TLD = frozenset(
    {"exe", "dll", "log", "txt", "php", "asp", "aspx", "jsp", "js", "css", "html", "htm", "json",
     "xml", "conf", "ini", "sh", "py", "bak", "tmp", "zip", "rar", "pdf", "doc", "docx", "xls",
     "xlsx", "png", "jpg", "gif", "so", "service", "local", "localdomain"}
)  # fmt: skip


class ParseError(ValueError):
    """A line that cannot be read; ``reason`` says why (Vietnamese / English)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class SecurityEvent:
    """One normalised security event."""

    time: datetime  # aware, UTC
    format: str  # rfc5424 | rfc3164 | cef | json
    severity: str  # one of SEVERITIES
    category: str  # one of CATEGORIES
    message: str
    host: str | None = None  # the device that sent or logged it
    app: str | None = None  # APP-NAME / TAG / CEF vendor product
    agency: str | None = None  # agency code when the event names one
    facility: int | None = None
    syslog_severity: int | None = None
    src_ip: str | None = None
    dst_ip: str | None = None
    indicators: list[dict[str, str]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


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


# ------------------------------------------------------------------------------ syslog


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


def _ts_5424(field: str) -> datetime | None:
    if field == NIL:
        return None
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


# ------------------------------------------------------------------------------ CEF


@dataclass(frozen=True)
class Cef:
    """A CEF record: the seven header fields and the extension key-values."""

    version: str
    vendor: str
    product: str
    device_version: str
    signature_id: str
    name: str
    severity: str
    extension: dict[str, str]


def _split_header(text: str) -> list[str]:
    if "\\" not in text:  # no escapes (the usual case): a plain split is exact
        parts = text.split("|", 7)
        if len(parts) < 8:
            raise ParseError("CEF cần 7 trường tiêu đề ngăn bởi | / CEF needs 7 header fields")
        return parts
    fields: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(text) and len(fields) < 7:
        c = text[i]
        if c == "\\" and i + 1 < len(text) and text[i + 1] in "|\\":
            current.append(text[i + 1])
            i += 2
            continue
        if c == "|":
            fields.append("".join(current))
            current = []
        else:
            current.append(c)
        i += 1
    if len(fields) < 7:
        raise ParseError("CEF cần 7 trường tiêu đề ngăn bởi | / CEF needs 7 header fields")
    fields.append(text[i:])
    return fields


_EXT_KEY = re.compile(r"(?:^|(?<= ))([A-Za-z0-9_.\[\]-]+)=")
_EXT_UNESCAPE = re.compile(r"\\([=\\nr])")


def _unescape_ext(value: str) -> str:
    return _EXT_UNESCAPE.sub(
        lambda m: {"n": "\n", "r": "\r"}.get(m.group(1), m.group(1)), value
    ).strip()


def parse_extension(text: str) -> dict[str, str]:
    """CEF extension ``k=v k2=v with spaces``: a value runs to the next unescaped `` key=``."""
    out: dict[str, str] = {}
    starts = [m for m in _EXT_KEY.finditer(text) if m.start() == 0 or text[m.start() - 1] != "\\"]
    # An '=' preceded by a backslash is part of a value, never a key separator.
    starts = [m for m in starts if text[m.end() - 2 : m.end()] != "\\="]
    for idx, m in enumerate(starts):
        end = starts[idx + 1].start() if idx + 1 < len(starts) else len(text)
        out[m.group(1)] = _unescape_ext(text[m.end() : end])
    return out


def parse_cef(text: str) -> Cef:
    """A CEF record starting at ``CEF:`` (the caller strips any syslog header)."""
    if not text.startswith("CEF:"):
        raise ParseError("không phải CEF / not CEF")
    version, vendor, product, dversion, sig, name, severity, ext = _split_header(text[4:])
    if not version.strip().isdigit():
        raise ParseError(f"CEF Version không hợp lệ / invalid CEF version: {version[:10]}")
    return Cef(
        version, vendor, product, dversion, sig, name, severity.strip(), parse_extension(ext)
    )


def cef_severity(value: str) -> str:
    """Normalised severity of a CEF severity (0–10 or Low/Medium/High/Very-High)."""
    word = value.strip().lower()
    named = {"low": "low", "medium": "medium", "high": "high", "very-high": "critical"}
    if word in named:
        return named[word]
    try:
        number = int(float(word))
    except ValueError:
        return "medium"
    if number >= 9:
        return "critical"
    if number >= 7:
        return "high"
    if number >= 4:
        return "medium"
    return "low" if number >= 1 else "info"


# ------------------------------------------------------------------------------ normalise


def classify(text: str) -> str:
    """Category from the words of a message (first rule that matches), else ``other``."""
    for name, pattern in _CATEGORY_RULES:
        if pattern.search(text):
            return name
    return "other"


def _valid_ip(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def extract_indicators(*texts: str) -> list[dict[str, str]]:
    """IP addresses, domains and hashes found in ``texts``, unique, in order of appearance."""
    seen: set[tuple[str, str]] = set()
    out: list[dict[str, str]] = []

    def add(kind: str, value: str) -> None:
        key = (kind, value)
        if key not in seen and len(out) < MAX_INDICATORS:
            seen.add(key)
            out.append({"type": kind, "value": value})

    for text in texts:
        if not text:
            continue
        for m in _IPV4.finditer(text):
            add("ip", m.group(0))
        if ":" in text:
            for m in _IPV6.finditer(text):
                ip = _valid_ip(m.group(0))
                if ip is not None and ":" in ip:
                    add("ip", ip)
        for m in _HASH.finditer(text):
            value = m.group(1).lower()
            add({32: "md5", 40: "sha1", 64: "sha256"}[len(value)], value)
        for m in _DOMAIN.finditer(text):
            domain = m.group(1).lower().rstrip(".")
            if domain.rsplit(".", 1)[-1] in _NOT_TLD:
                continue
            add("domain", domain)
    return out


def _first(indicators: list[dict[str, str]], kind: str) -> str | None:
    return next((i["value"] for i in indicators if i["type"] == kind), None)


def _agency_from_sd(structured: dict[str, dict[str, str]]) -> str | None:
    for params in structured.values():
        value = params.get("agency")
        if value:
            return value[:64]
    return None


def _from_cef(cef: Cef, base: SecurityEvent) -> SecurityEvent:
    ext = cef.extension
    labels = {ext.get(f"cs{i}Label", "").lower(): ext.get(f"cs{i}", "") for i in range(1, 7)}
    base.format = "cef"
    base.app = " ".join(p for p in (cef.vendor, cef.product) if p)[:100] or base.app
    base.severity = cef_severity(cef.severity)
    base.message = cef.name
    base.host = ext.get("dvchost") or ext.get("dvc") or base.host
    base.src_ip = _valid_ip(ext.get("src", "")) or None
    base.dst_ip = _valid_ip(ext.get("dst", "")) or None
    base.agency = labels.get("agency") or base.agency
    category = ext.get("cat", "").strip().lower().replace(" ", "_")
    base.category = (
        category if category in CATEGORIES else classify(f"{cef.name} {ext.get('cat', '')}")
    )
    base.indicators = extract_indicators(
        " ".join(v for k, v in ext.items() if k in ("src", "dst", "shost", "dhost", "request",
                                                     "fileHash", "fname", "msg")),
        cef.name,
    )  # fmt: skip
    base.extra = {"signature_id": cef.signature_id, "cef_version": cef.version}
    if "rt" in ext:
        base.extra["rt"] = ext["rt"]
    return base


def normalise_line(line: str, received: datetime, local_offset_s: int = 7 * 3600) -> SecurityEvent:
    """One received line (syslog 5424/3164, with or without CEF as MSG, or bare CEF) →
    event; raises :class:`ParseError` with the reason for a malformed line."""
    line = line.rstrip("\r\n\x00")
    if not line.strip():
        raise ParseError("dòng rỗng / empty line")
    if line.startswith("CEF:"):
        base = SecurityEvent(received, "cef", "medium", "other", "")
        return _from_cef(parse_cef(line), base)
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
        event = _from_cef(parse_cef(message[cef_at:]), event)
        event.format = f"cef/{log.format}"
        return event
    sd_text = " ".join(v for params in log.structured.values() for v in params.values())
    category = next((p.get("category") for p in log.structured.values() if p.get("category")), None)
    event.category = category if category in CATEGORIES else classify(message)
    event.indicators = extract_indicators(message, sd_text)
    event.src_ip = _first(event.indicators, "ip")
    if log.structured:
        event.extra = {"sd": log.structured}
    return event


# ------------------------------------------------------------------------------ JSON


@dataclass(frozen=True)
class FieldError:
    """One problem of a JSON event: field, Vietnamese and English text."""

    field: str
    message: str
    message_en: str


class _TimeOutOfRange(ValueError):
    """A readable time outside :data:`ioc.core.clock.RANGE_TEXT`."""


def _parse_time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError
    if not clock.accepted(parsed):
        raise _TimeOutOfRange
    return parsed.astimezone(UTC)


def normalise_json(doc: Any, received: datetime) -> tuple[SecurityEvent | None, list[FieldError]]:
    """One JSON event ``{time, source|host, agency, category, severity, message, indicators?,
    src_ip?, dst_ip?}`` → (event, []) or (None, errors naming each bad field)."""
    errors: list[FieldError] = []
    if not isinstance(doc, dict):
        return None, [FieldError("*", "mỗi sự kiện phải là đối tượng JSON", "must be an object")]
    when = received
    if doc.get("time") not in (None, ""):
        try:
            when = _parse_time(doc["time"])
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
    ips: dict[str, str | None] = {}
    for key in ("src_ip", "dst_ip"):
        raw = doc.get(key)
        ips[key] = None
        if raw not in (None, ""):
            ips[key] = _valid_ip(str(raw))
            if ips[key] is None:
                errors.append(FieldError(key, "địa chỉ IP không hợp lệ", "not an IP address"))
    source = doc.get("source", doc.get("host"))
    agency = doc.get("agency")
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
        src_ip=ips["src_ip"] or _first(indicators, "ip"),
        dst_ip=ips["dst_ip"],
        indicators=indicators,
    )
    return event, []
