"""Is a TCP service answering? (``/readyz`` for the MQTT broker, ``ioc check`` for SMTP too.)"""

from __future__ import annotations

import socket


def tcp_reachable(host: str, port: int, timeout: float = 2.0) -> str | None:
    """``None`` when a TCP connection to ``host:port`` opens within ``timeout`` seconds, else
    the reason (the exception's class and message)."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except OSError as exc:
        return f"{type(exc).__name__}: {exc}"
