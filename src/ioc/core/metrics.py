"""Prometheus metrics of this process (``/metrics``): counters other modules increment.

Counters and histograms here count what *this process* did (requests it served, rows its
ingestion doors stored, MQTT messages and syslog lines it took in). Figures that describe the
whole installation (derive queue, outbox, alert states, scheduler leader) are read from the
database when ``/metrics`` is scraped (see ``ioc.web.metrics``), so every process reports the
same value for them.

Several processes: each web worker, ``ioc derive``, ``ioc ingest mqtt`` … has its own
counters. Scrape each process (its own port), or set ``PROMETHEUS_MULTIPROC_DIR`` to an empty
directory shared by the processes of one machine before they start: ``/metrics`` then sums the
counters of every process of that machine (prometheus_client's multiprocess mode; the directory
is emptied by the systemd unit's ``ExecStartPre``). See docs/deploy.md.

Functions rather than metric objects are the interface, so a caller never depends on the
client library: ``ingested("api", stored=10, rejected=2)``, ``mqtt("stored", 100)``,
``syslog("dropped", 5)``.
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)
"""The registry of this process's own counters (not the client library's global one, so that
tests can build many applications in one process)."""

HTTP_LATENCY = Histogram(
    "ioc_http_request_duration_seconds",
    "Thời gian xử lý yêu cầu HTTP theo mẫu đường dẫn / HTTP request latency by route template",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=REGISTRY,
)
INGEST_ROWS = Counter(
    "ioc_ingest_rows",
    "Số dòng dữ liệu đã lưu theo cửa nhận / rows stored by ingestion door",
    ["door"],
    registry=REGISTRY,
)
INGEST_ERRORS = Counter(
    "ioc_ingest_errors",
    "Số dòng bị từ chối theo cửa nhận / rows rejected by ingestion door",
    ["door"],
    registry=REGISTRY,
)
MQTT_MESSAGES = Counter(
    "ioc_mqtt_messages",
    "Tin MQTT theo kết quả / MQTT messages by outcome "
    "(received, stored, dead_letter, failed, dropped)",
    ["outcome"],
    registry=REGISTRY,
)
SYSLOG_LINES = Counter(
    "ioc_syslog_lines",
    "Dòng syslog theo kết quả / syslog lines by outcome "
    "(received, stored, malformed, dropped, failed)",
    ["outcome"],
    registry=REGISTRY,
)
DERIVE_ROWS = Counter(
    "ioc_derive_done",
    "Việc tính chỉ số dẫn xuất đã xong / derivation queue rows done by this process",
    registry=REGISTRY,
)

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess() -> bool:
    """Whether prometheus_client's multiprocess mode is on for this process."""
    return bool(os.environ.get(MULTIPROCESS_ENV))


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    """One HTTP request served (``route`` is the template, ``/alerts/{alert_id}``)."""
    HTTP_LATENCY.labels(method, route, f"{status // 100}xx").observe(max(0.0, seconds))


def ingested(door: str, *, stored: int = 0, rejected: int = 0) -> None:
    """Rows stored and refused by one ingestion door (api, mqtt, import, ngsi-ld …)."""
    if stored:
        INGEST_ROWS.labels(door).inc(stored)
    if rejected:
        INGEST_ERRORS.labels(door).inc(rejected)


def mqtt(outcome: str, count: int = 1) -> None:
    """MQTT intake: ``received``, ``stored``, ``dead_letter``, ``failed``, ``dropped``."""
    if count:
        MQTT_MESSAGES.labels(outcome).inc(count)


def syslog(outcome: str, count: int = 1) -> None:
    """Syslog intake: ``received``, ``stored``, ``malformed``, ``dropped``, ``failed``."""
    if count:
        SYSLOG_LINES.labels(outcome).inc(count)


def derived(count: int) -> None:
    """Derivation queue rows done by this process."""
    if count:
        DERIVE_ROWS.inc(count)
