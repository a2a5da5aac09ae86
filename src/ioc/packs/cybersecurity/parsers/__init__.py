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

Modules: ``events`` (severities, categories, :class:`SecurityEvent`, indicators), ``syslog_lines``
(RFC 5424 / 3164 and :func:`normalise_line`), ``cef``, ``json_events`` (:func:`normalise_json`).
"""

from ioc.packs.cybersecurity.parsers.cef import Cef, cef_severity, parse_cef, parse_extension
from ioc.packs.cybersecurity.parsers.events import (
    CATEGORIES,
    MAX_INDICATORS,
    MAX_MESSAGE,
    SEVERITIES,
    SEVERITY_RANK,
    ParseError,
    SecurityEvent,
    classify,
    extract_indicators,
)
from ioc.packs.cybersecurity.parsers.json_events import FieldError, normalise_json
from ioc.packs.cybersecurity.parsers.syslog_lines import (
    Syslog,
    normalise_line,
    parse_3164,
    parse_5424,
    parse_syslog,
)

__all__ = [
    "CATEGORIES",
    "MAX_INDICATORS",
    "MAX_MESSAGE",
    "SEVERITIES",
    "SEVERITY_RANK",
    "Cef",
    "FieldError",
    "ParseError",
    "SecurityEvent",
    "Syslog",
    "cef_severity",
    "classify",
    "extract_indicators",
    "normalise_json",
    "normalise_line",
    "parse_3164",
    "parse_5424",
    "parse_cef",
    "parse_extension",
    "parse_syslog",
]
