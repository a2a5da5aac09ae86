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
# First match wins: the message (and CEF name) is searched in this order. Each rule also
# names words one of which any match contains (lower-case): its regex only runs when one of
# them is in the lower-cased text, a substring test costing a fraction of a regex search.
_RULES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("defacement", r"defac|thay đổi giao diện", ("defac", "thay đổi giao diện")),
    (
        "malware",
        r"malware|virus|trojan|\bworm\b|ransom|botnet|mã độc",
        ("malware", "virus", "trojan", "worm", "ransom", "botnet", "mã độc"),
    ),
    (
        "web_attack",
        r"sql ?injection|\bsqli\b|\bxss\b|cross.site|web attack|path traversal",
        ("injection", "sqli", "xss", "cross", "web attack", "path traversal"),
    ),
    ("dos", r"\bddos\b|\bdos\b|flood|từ chối dịch vụ", ("dos", "flood", "từ chối dịch vụ")),
    ("scan", r"\bscan|nmap|\bsweep\b|rà quét", ("scan", "nmap", "sweep", "rà quét")),
    (
        "brute_force",
        r"brute.?force|dò mật khẩu|too many (failed|authentication)",
        ("brute", "dò mật khẩu", "too many "),
    ),
    (
        "auth_failure",
        r"failed password|authentication fail|login fail|invalid user|'su root' failed",
        (
            "failed password",
            "authentication fail",
            "login fail",
            "invalid user",
            "'su root' failed",
        ),
    ),
    ("phishing", r"phish|lừa đảo", ("phish", "lừa đảo")),
    (
        "intrusion",
        r"intrusion|exploit|backdoor|xâm nhập|\bids\b|\bips\b",
        ("intrusion", "exploit", "backdoor", "xâm nhập", "ids", "ips"),
    ),
    ("data_leak", r"exfiltrat|data leak|lộ lọt", ("exfiltrat", "data leak", "lộ lọt")),
    ("vulnerability", r"vulnerab|\bcve-\d{4}-\d+|lỗ hổng", ("vulnerab", "cve-", "lỗ hổng")),
    (
        "policy_violation",
        r"policy violation|blocked by policy|vi phạm chính sách",
        ("policy violation", "blocked by policy", "vi phạm chính sách"),
    ),
    (
        "availability",
        r"\bdown\b|unreachable|mất kết nối|timeout",
        ("down", "unreachable", "mất kết nối", "timeout"),
    ),
)
_CATEGORY_RULES: tuple[tuple[str, re.Pattern[str], tuple[str, ...]], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE), words) for name, pattern, words in _RULES
)
# What re.IGNORECASE matches with i and s that str.lower() does not turn into them (İ would
# become "i" + a combining dot): folded first, so that the word test never misses a match.
_FOLD = str.maketrans({"İ": "i", "ı": "i", "ſ": "s"})

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
# A dotted quad ipaddress accepts and writes back unchanged (ASCII digits, no leading zero).
_CANONICAL_IPV4 = re.compile(r"(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}"
                             r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])")  # fmt: skip
# Cheap tests for what each indicator needs (a domain: a dot then two letters, which is what
# [a-z] matches under IGNORECASE; a hash: 32 hex digits in a row), so that most texts skip
# the slow searches above, whose leading look-behind defeats the regex engine's fast scan.
_MAYBE_DOMAIN = re.compile(r"\.[^\W\d_]{2}")
_MAYBE_HASH = re.compile(r"[0-9A-Fa-f]{32}")
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
    lowered = text.translate(_FOLD).lower() if not text.isascii() else text.lower()
    for name, pattern, words in _CATEGORY_RULES:
        for word in words:
            if word in lowered:
                if pattern.search(text):
                    return name
                break  # one word present is enough to try the rule's regex, once
    return "other"


def valid_ip(text: str) -> str | None:
    """``text`` as a normalised IP address, or None when it is not one."""
    if _CANONICAL_IPV4.fullmatch(text) is not None:
        return text  # already what ipaddress would give back (the usual case, ten times faster)
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def extract_indicators(*texts: str) -> list[dict[str, str]]:
    """IP addresses, domains and hashes found in ``texts``, unique, in order of appearance."""
    found: list[tuple[str, str]] = []
    add = found.append
    for text in texts:
        if not text:
            continue
        if "." in text:
            for m in _IPV4.finditer(text):
                add(("ip", m.group(0)))
        if text.count(":") >= 2:  # an IPv6 address has at least two colons
            for m in _IPV6.finditer(text):
                ip = valid_ip(m.group(0))
                if ip is not None and ":" in ip:
                    add(("ip", ip))
        if len(text) >= 32 and _MAYBE_HASH.search(text) is not None:
            for m in _HASH.finditer(text):
                value = m.group(1).lower()
                add(({32: "md5", 40: "sha1", 64: "sha256"}[len(value)], value))
        if _MAYBE_DOMAIN.search(text) is not None:
            for m in _DOMAIN.finditer(text):
                domain = m.group(1).lower().rstrip(".")
                if domain.rsplit(".", 1)[-1] not in _NOT_TLD:
                    add(("domain", domain))
    seen: set[tuple[str, str]] = set()
    out: list[dict[str, str]] = []
    for key in found:
        if key not in seen:
            seen.add(key)
            out.append({"type": key[0], "value": key[1]})
            if len(out) >= MAX_INDICATORS:
                break
    return out


def first_indicator(indicators: list[dict[str, str]], kind: str) -> str | None:
    """The value of the first indicator of ``kind``, if any."""
    return next((i["value"] for i in indicators if i["type"] == kind), None)
