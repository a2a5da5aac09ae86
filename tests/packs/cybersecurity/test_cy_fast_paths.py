"""The intake's fast paths give what the plain code gives: categories found through a word test
before each rule's regex, indicators behind cheap tests, remembered timestamps, orjson for the
JSON columns, and one conversion per distinct time when rows are prepared for the driver."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ioc.packs.cybersecurity.models import CyEvent, CyEventHour
from ioc.packs.cybersecurity.parsers import classify, extract_indicators, normalise_line
from ioc.packs.cybersecurity.parsers.events import _RULES
from ioc.packs.cybersecurity.store import insert_prepared, json_text, prepare_rows

RECEIVED = datetime(2026, 3, 10, 5, 0, tzinfo=UTC)

# Words of every rule, in other cases, inside other words, and the letters re.IGNORECASE
# matches with i, s and k that str.lower() does not lower to them (İ ı ſ K).
PIECES = [
    "Thay Đổi Giao Diện", "MALWARE", "worms", "Mã Độc", "SQL Injection", "SQLi", "cross-site",
    "DDoS", "DOS", "Từ Chối Dịch Vụ", "rescan", "NMAP", "Brute-Force", "too many failed",
    "Failed Password", "login failed", "İnvalid user", "ınvalid USER", "ſcan", "\u212aIDS",
    "kids", "IPS", "exfiltration", "Lộ Lọt", "CVE-2024-1234", "cve-12", "Lỗ Hổng",
    "Blocked By Policy", "Vi Phạm Chính Sách", "DOWN", "downtime", "Mất Kết Nối", "TIMEOUT",
    "hello", "from", "10.0.0.1", "fe80::1", "Evil.EXAMPLE.org", "file.exe", "x.İı",
    "d41d8cd98f00b204e9800998ecf8427e", "ABCDEF0123456789ABCDEF0123456789abcdef01",
]  # fmt: skip


def _plain_classify(text: str) -> str:
    """The rules applied as written: every regex in order, no word test."""
    import re

    for name, pattern, _words in _RULES:
        if re.search(pattern, text, re.IGNORECASE):
            return name
    return "other"


def test_word_test_never_changes_the_category() -> None:
    rng = random.Random(18)
    for _ in range(3000):
        text = " ".join(rng.choice(PIECES) for _ in range(rng.randint(0, 6)))
        assert classify(text) == _plain_classify(text), text


def test_letters_folded_by_ignorecase_still_find_their_rule() -> None:
    assert classify("İNVALID USER admin") == "auth_failure"  # dotted capital I
    assert classify("ſcan of 10.0.0.0/24") == "scan"  # long s
    assert classify("alert from \u212aIDS") == "other"  # Kelvin sign: "kids", not "ids"
    assert classify("Phát hiện MÃ ĐỘC trên máy chủ") == "malware"


def test_indicators_behind_cheap_tests_are_all_found() -> None:
    text = (
        "beacon to Evil.EXAMPLE.org (fe80::1, 2001:db8::ff00:42:8329) from 10.0.0.1, "
        "hash D41D8CD98F00B204E9800998ECF8427E, dropped file.exe"
    )
    assert extract_indicators(text) == [
        {"type": "ip", "value": "10.0.0.1"},
        {"type": "ip", "value": "fe80::1"},
        {"type": "ip", "value": "2001:db8::ff00:42:8329"},
        {"type": "md5", "value": "d41d8cd98f00b204e9800998ecf8427e"},
        {"type": "domain", "value": "evil.example.org"},
    ]
    assert extract_indicators("no dots, one colon: here") == []


def test_remembered_timestamps_follow_the_time_of_reception() -> None:
    line = "<14>Dec 31 23:00:00 host app: x"
    # The same text read in two batches: the year comes from each batch's time of reception.
    first = normalise_line(line, datetime(2026, 1, 1, 0, 0, tzinfo=UTC))
    again = normalise_line(line, datetime(2026, 12, 31, 20, 0, tzinfo=UTC))
    assert first.time.year == 2025 and again.time.year == 2026
    stamp = "<14>1 2026-03-10T05:01:02.5+07:00 h a - - - x"
    assert normalise_line(stamp, RECEIVED).time == normalise_line(stamp, RECEIVED).time
    assert normalise_line(stamp, RECEIVED).time == datetime(2026, 3, 9, 22, 1, 2, 500000, UTC)


def test_json_text_is_json_even_for_what_orjson_refuses() -> None:
    assert json.loads(json_text({"sd": {"a": "Đắk Lắk"}})) == {"sd": {"a": "Đắk Lắk"}}
    lone = {"v": "\udc80"}  # a lone surrogate: orjson refuses it
    assert json.loads(json_text(lone)) == lone
    assert json.loads(json_text([2**70])) == [2**70]  # beyond 64 bits


def _row(ts: datetime, received: datetime, severity: str = "high") -> dict[str, object]:
    return {
        "ts": ts, "received_at": received, "transport": "udp", "format": "rfc5424",
        "host": "h", "app": None, "agency_code": "so-y-te", "category": "scan",
        "severity": severity, "severity_rank": 1, "src_ip": None, "dst_ip": None,
        "message": "m", "indicators": [], "extra": {"sd": {"x": "ý"}},
    }  # fmt: skip


def test_rows_sharing_times_are_stored_and_counted_in_their_hours(
    factory: sessionmaker[Session],
) -> None:
    early = datetime(2026, 3, 10, 3, 59, 59, 999999, tzinfo=UTC)
    late = early + timedelta(microseconds=1)  # the next hour
    # The time of reception equals an event's time: each keeps its own hour.
    rows = [_row(early, late), _row(late, late), _row(early, late, "low"), _row(late, early)]
    with factory() as s:
        dialect = s.get_bind().dialect.name
    prepared = prepare_rows(rows, dialect)
    with factory() as s, s.begin():
        assert insert_prepared(s, prepared) == 4
    with factory() as s:
        stored = s.execute(select(CyEvent.ts, CyEvent.received_at).order_by(CyEvent.id)).all()
        hours = sorted(
            (b, sev, n)
            for b, sev, n in s.execute(
                select(CyEventHour.bucket, CyEventHour.severity, CyEventHour.n)
            ).all()
        )
        extra = s.execute(select(CyEvent.extra)).scalars().first()
    assert stored == [(early, late), (late, late), (early, late), (late, early)]
    h3 = int(early.timestamp()) // 3600 * 3600
    assert hours == [(h3, "high", 1), (h3, "low", 1), (h3 + 3600, "high", 2)]
    assert extra == {"sd": {"x": "ý"}}
