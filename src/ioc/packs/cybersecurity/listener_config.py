"""The syslog listener's configuration (``IOC_SYSLOG_*``) and the counters it keeps."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from ioc.engines.actions_kit import same_named

#: The fields of the configuration read from the settings ``syslog_<field>``.
_SETTINGS = "batch_size batch_ms max_line dead_letters_per_batch rcvbuf parse_workers"


@dataclass(frozen=True)
class ListenerConfig:
    """Where to listen and how to batch (from the ``IOC_SYSLOG_*`` settings)."""

    host: str = "127.0.0.1"
    udp_port: int | None = 5514  # None = no UDP; 0 = any free port (tests)
    tcp_port: int | None = 5514
    batch_size: int = 2000
    batch_ms: int = 200
    max_line: int = 65536
    dead_letters_per_batch: int = 100
    queue_max: int = 20000
    rcvbuf: int = 8 << 20
    local_offset_s: int = 7 * 3600
    parse_workers: int = 0  # processes parsing lines (0 = the writer thread parses)

    @classmethod
    def from_settings(cls, settings: Any) -> ListenerConfig:
        """The configuration of ``settings`` (``IOC_SYSLOG_*``)."""
        from ioc.core.clock import fixed_offset_seconds

        protocols = {p.strip().lower() for p in settings.syslog_protocols.split(",")}
        return cls(
            host=settings.syslog_host,
            udp_port=settings.syslog_udp_port if "udp" in protocols else None,
            tcp_port=settings.syslog_tcp_port if "tcp" in protocols else None,
            **same_named(settings, _SETTINGS, prefix="syslog_"),
            local_offset_s=fixed_offset_seconds(settings.timezone),
        )


@dataclass
class ListenerStats:
    """Counters since start (read by tests, the bench, the pages and ``ioc ingest syslog``)."""

    received: int = 0  # lines taken off the wire
    udp: int = 0
    tcp: int = 0
    stored: int = 0  # events committed
    malformed: int = 0  # lines that could not be read
    dead_letters: int = 0  # of those, kept as dead letters
    dropped: int = 0  # UDP datagrams dropped because the queue was full
    kernel_dropped: int = 0  # UDP datagrams the kernel dropped (receive buffer full)
    rcvbuf: int = 0  # the UDP receive buffer the kernel granted, in bytes
    batches: int = 0
    failures: int = 0  # failed transactions (retried)
    connections: int = 0
    last_error: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def as_dict(self) -> dict[str, Any]:
        """The counters as plain values."""
        return {k: v for k, v in self.__dict__.items() if k != "lock"}
