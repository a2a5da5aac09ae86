"""CEF (ArcSight Common Event Format) records → :class:`Cef`, and a record's fields onto a
:class:`SecurityEvent`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ioc.packs.cybersecurity.parsers.events import (
    CATEGORIES,
    ParseError,
    SecurityEvent,
    classify,
    extract_indicators,
    valid_ip,
)


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


def event_from_cef(cef: Cef, base: SecurityEvent) -> SecurityEvent:
    ext = cef.extension
    # Custom strings cs1…cs6 named by csNLabel (the agency among them), when there are any.
    labels = (
        {ext.get(f"cs{i}Label", "").lower(): ext.get(f"cs{i}", "") for i in range(1, 7)}
        if any(k.endswith("Label") for k in ext)
        else {}
    )
    base.format = "cef"
    base.app = " ".join(p for p in (cef.vendor, cef.product) if p)[:100] or base.app
    base.severity = cef_severity(cef.severity)
    base.message = cef.name
    base.host = ext.get("dvchost") or ext.get("dvc") or base.host
    base.src_ip = valid_ip(ext.get("src", "")) or None
    base.dst_ip = valid_ip(ext.get("dst", "")) or None
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
