"""The shared vocabulary of security events: severities, categories, the normalised
:class:`SecurityEvent`, and what every format reads the same way (category from the words of a
message, indicators of compromise)."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

SEVERITIES: tuple[str, ...] = ("critical", "high", "medium", "low", "info")
SEVERITY_RANK: dict[str, int] = {s: i for i, s in enumerate(SEVERITIES)}  # 0 = most severe

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


def classify(text: str) -> str:
    """Category from the words of a message (first rule that matches), else ``other``."""
    for name, pattern in _CATEGORY_RULES:
        if pattern.search(text):
            return name
    return "other"


def valid_ip(text: str) -> str | None:
    """``text`` as a normalised IP address, or None when it is not one."""
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
                ip = valid_ip(m.group(0))
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


def first_indicator(indicators: list[dict[str, str]], kind: str) -> str | None:
    """The value of the first indicator of ``kind``, if any."""
    return next((i["value"] for i in indicators if i["type"] == kind), None)
