"""A local SMTP sink for the demo (and for trying the notification layer on a laptop).

``ioc demo`` has no mail server to talk to: without this its e-mail contact point failed every
delivery tick with ``ConnectionRefusedError``. :class:`MailSink` is a real SMTP server
(aiosmtpd) on 127.0.0.1 that accepts every message and keeps it as one ``.eml`` file in a
folder (``var/demo-mail/`` for the demo), so the outbox shows it *sent* and anyone can open
what the IOC sent. It never relays anything anywhere. Production points ``IOC_SMTP_*`` at the
province's mail server instead.
"""

from __future__ import annotations

import itertools
import logging
import socket
import threading
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from ioc.core import clock


class _Folder:
    """aiosmtpd handler: each message becomes ``<UTC time>-<n>.eml`` (with its envelope)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._seq = itertools.count(1)
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            n = next(self._seq)
        stamp = clock.now().strftime("%Y%m%dT%H%M%S")
        head = (
            f"X-IOC-Demo-Envelope-From: {envelope.mail_from}\r\n"
            f"X-IOC-Demo-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n"
        ).encode()
        content = envelope.original_content or envelope.content or b""
        data = content if isinstance(content, bytes) else str(content).encode()
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / f"{stamp}-{n:05d}.eml").write_bytes(head + data)
        return "250 Message accepted (IOC demo sink: kept, not relayed)"


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class MailSink:
    """A running local SMTP sink: :meth:`start` returns its port, :meth:`stop` ends it."""

    def __init__(self, folder: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        self.folder = folder
        self.host = host
        self.port = port
        self._controller: Controller | None = None

    def start(self) -> int:
        """Listen (on a free port unless one was given) and return the port."""
        self.port = self.port or free_port(self.host)
        self.folder.mkdir(parents=True, exist_ok=True)
        # aiosmtpd logs every SMTP command at INFO ("Connection lost during _handle_client()"
        # after each normal QUIT): noise that reads like a fault on the operator's console.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        self._controller = Controller(_Folder(self.folder), hostname=self.host, port=self.port)
        self._controller.start()
        return self.port

    def stop(self) -> None:
        """Stop listening (messages already kept stay in the folder)."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
