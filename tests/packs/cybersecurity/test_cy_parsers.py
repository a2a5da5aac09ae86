"""Syslog (RFC 5424 §6.5, RFC 3164 §5.4) and CEF parsing, with the specifications' own examples."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ioc.packs.cybersecurity.parsers import (
    ParseError,
    cef_severity,
    extract_indicators,
    normalise_json,
    normalise_line,
    parse_3164,
    parse_5424,
    parse_cef,
)

RECEIVED = datetime(2026, 3, 10, 5, 0, tzinfo=UTC)


def test_rfc5424_example_1_bom_and_nil_values() -> None:
    line = (
        "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - "
        "\ufeff'su root' failed for lonvick on /dev/pts/8"
    )
    log = parse_5424(line)
    assert (log.facility, log.severity) == (4, 2)  # auth, critical
    assert log.time == datetime(2003, 10, 11, 22, 14, 15, 3000, tzinfo=UTC)
    assert (log.host, log.app, log.procid, log.msgid) == (
        "mymachine.example.com",
        "su",
        None,
        "ID47",
    )
    assert log.structured == {}
    assert log.message == "'su root' failed for lonvick on /dev/pts/8"  # BOM dropped
    event = normalise_line(line, RECEIVED)
    assert (event.severity, event.category) == ("critical", "auth_failure")


def test_rfc5424_example_2_offset_and_microseconds() -> None:
    log = parse_5424(
        "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - "
        "%% It's time to make the do-nuts."
    )
    assert (log.facility, log.severity) == (20, 5)  # local4, notice
    assert log.time == datetime(2003, 8, 24, 12, 14, 15, 3, tzinfo=UTC)
    assert (log.host, log.procid) == ("192.0.2.1", "8710")
    assert log.message == "%% It's time to make the do-nuts."


def test_rfc5424_examples_3_and_4_structured_data() -> None:
    head = (
        "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 "
        '[exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"]'
    )
    log = parse_5424(head + " \ufeffAn application event log entry...")
    assert log.structured == {
        "exampleSDID@32473": {"iut": "3", "eventSource": "Application", "eventID": "1011"}
    }
    assert log.message == "An application event log entry..."
    log = parse_5424(head + '[examplePriority@32473 class="high"]')
    assert log.structured["examplePriority@32473"] == {"class": "high"}
    assert log.message == ""


def test_rfc5424_escapes_in_param_values_and_agency() -> None:
    log = parse_5424(
        r'<11>1 2026-03-10T05:00:00Z fw-01 ips - - [ioc@32473 agency="so-y-te" '
        r'note="a \"quoted\" \] and \\ text"] Intrusion blocked from 45.134.26.17'
    )
    assert log.structured["ioc@32473"]["note"] == 'a "quoted" ] and \\ text'
    event = normalise_line(
        r'<11>1 2026-03-10T05:00:00Z fw-01 ips - - [ioc@32473 agency="so-y-te"] '
        "Intrusion blocked from 45.134.26.17",
        RECEIVED,
    )
    assert event.agency == "so-y-te"
    assert event.src_ip == "45.134.26.17"
    assert (event.severity, event.category) == ("high", "intrusion")


def test_rfc3164_example_1_and_year_inference() -> None:
    log = parse_3164(
        "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8", RECEIVED
    )
    # No year nor zone on the wire: the last 11 October before reception, Vietnam time.
    assert log.time == datetime(2025, 10, 11, 15, 14, 15, tzinfo=UTC)
    assert (log.host, log.app, log.message) == (
        "mymachine",
        "su",
        "'su root' failed for lonvick on /dev/pts/8",
    )
    log = parse_3164("<13>Mar  9 08:00:00 host app[42]: hello", RECEIVED)
    assert log.time == datetime(2026, 3, 9, 1, 0, tzinfo=UTC)
    assert (log.app, log.procid) == ("app", "42")


def test_rfc3164_examples_3_and_4_without_valid_timestamp_keep_the_rest() -> None:
    log = parse_3164(
        "<0>1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 sched[0]: That's All Folks!",
        RECEIVED,
    )
    assert log.time is None  # the relay rule: the time of reception is used
    assert log.message.startswith("1990 Oct 22 10:52:01 TZ-6")
    event = normalise_line(
        "<0>1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 sched[0]: That's All Folks!",
        RECEIVED,
    )
    assert event.time == RECEIVED
    assert {"type": "ip", "value": "10.1.2.3"} in event.indicators
    assert {"type": "domain", "value": "scapegoat.dmz.example.org"} in event.indicators


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("Use the BFG!", "PRI"),  # RFC 3164 example 2: a relay would add <13>, a collector refuses
        ("<999>1 2026-03-10T05:00:00Z h a - - - x", "PRI"),
        ("<034>Oct 11 22:14:15 h su: x", "PRI"),
        ("<34>1 2026-13-45T99:00:00Z h a - - - x", "TIMESTAMP"),
        ('<34>1 2026-03-10T05:00:00Z h a - - [id x="1" oops', "SD"),
        ("   ", "rỗng"),
        ("CEF:0|only|three", "CEF"),
    ],
)
def test_malformed_lines_are_refused_with_a_reason(line: str, why: str) -> None:
    with pytest.raises(ParseError) as err:
        normalise_line(line, RECEIVED)
    assert why in err.value.reason


def test_cef_examples_of_the_specification() -> None:
    event = normalise_line(
        "<134>Sep 19 08:26:10 host CEF:0|Security|threatmanager|1.0|100|worm successfully stopped|10|"
        "src=10.0.0.1 dst=2.1.2.2 spt=1232",
        RECEIVED,
    )
    assert event.format == "cef/rfc3164"
    assert (event.app, event.message, event.severity) == (
        "Security threatmanager",
        "worm successfully stopped",
        "critical",
    )
    assert (event.src_ip, event.dst_ip, event.category) == ("10.0.0.1", "2.1.2.2", "malware")
    cef = parse_cef(
        r"CEF:0|security|threatmanager|1.0|100|detected a \| in message|10|src=10.0.0.1 act=blocked a | dst=1.1.1.1"
    )
    assert cef.name == "detected a | in message"
    assert cef.extension == {"src": "10.0.0.1", "act": "blocked a |", "dst": "1.1.1.1"}
    cef = parse_cef(
        r"CEF:0|security|threatmanager|1.0|100|detected a \\ in packet|10|src=10.0.0.1 act=blocked a \\ dst=1.1.1.1"
    )
    assert cef.name == "detected a \\ in packet"
    assert cef.extension["act"] == "blocked a \\"
    cef = parse_cef(
        r"CEF:0|security|threatmanager|1.0|100|detected a = in message|10|src=10.0.0.1 act=blocked a \= dst=1.1.1.1"
    )
    assert cef.extension == {"src": "10.0.0.1", "act": "blocked a =", "dst": "1.1.1.1"}


def test_cef_severity_scale() -> None:
    assert [cef_severity(v) for v in ("0", "3", "4", "6", "7", "8", "9", "10")] == [
        "info", "low", "medium", "medium", "high", "high", "critical", "critical",
    ]  # fmt: skip
    assert cef_severity("Very-High") == "critical"


def test_indicators_ip_domain_hashes() -> None:
    found = extract_indicators(
        "beacon to evil-c2.example.net from 10.66.3.4 and 2001:db8::1, "
        "file setup.exe md5 d41d8cd98f00b204e9800998ecf8427e "
        "sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    kinds = {(i["type"], i["value"]) for i in found}
    assert ("domain", "evil-c2.example.net") in kinds
    assert ("ip", "10.66.3.4") in kinds and ("ip", "2001:db8::1") in kinds
    assert ("md5", "d41d8cd98f00b204e9800998ecf8427e") in kinds
    assert any(k == "sha256" for k, _ in kinds)
    assert ("domain", "setup.exe") not in kinds


def test_json_event_fields_are_checked_by_name() -> None:
    event, errors = normalise_json(
        {"time": "2026-03-10T11:00:00+07:00", "source": "waf-01", "agency": "so-y-te",
         "severity": "high", "category": "web_attack", "message": "SQLi from 45.134.26.17"},
        RECEIVED,
    )  # fmt: skip
    assert errors == [] and event is not None
    assert event.time == datetime(2026, 3, 10, 4, 0, tzinfo=UTC)
    assert event.src_ip == "45.134.26.17"
    event, errors = normalise_json(
        {"time": "hôm qua", "severity": "urgent", "src_ip": "999.1.1.1"}, RECEIVED
    )
    assert event is None
    assert {e.field for e in errors} == {"time", "severity", "message", "src_ip"}
    assert all(e.message and e.message_en for e in errors)
