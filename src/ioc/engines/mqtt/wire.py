"""Reading MQTT from the socket with few Python objects per message.

paho handles each PUBLISH with a ``select``, three ``recv`` calls, an ``MQTTMessage``, a
``Properties`` object (MQTT 5) and a topic match before the callback: about as much CPU as
storing the reading. Here the socket is read through a 64 KiB buffer and every complete QoS 0/1
PUBLISH at its head (without MQTT 5 properties, what gateways send) is cut out of the buffer in
one pass and handed over as a list; anything else (CONNACK, SUBACK, PINGRESP, a PUBLISH with
properties, a packet cut by the buffer's end) goes through paho's own code, so the protocol
stays paho's. Relies on paho-mqtt 2.2 internals (``Client._create_socket``,
``Client._packet_read``, ``Client._in_packet``), pinned in pyproject.toml.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

READ_CHUNK = 1 << 16
PUBLISH = 0x30
MAX_TOPICS_CACHED = 4096

Publish = tuple[str, bytes, int, int]
"""A PUBLISH cut from the buffer: (topic, payload, mid, qos)."""


class BufferedSocket:
    """A plain TCP socket read through a 64 KiB buffer.

    One ``recv`` fills the buffer; paho's small reads are served from it, and ``pending()``
    (which paho asks of TLS sockets) tells its loop that buffered bytes are waiting, so it
    reads them without waiting in ``select``. :meth:`take_publishes` cuts whole PUBLISH
    packets out of the buffer at once.
    """

    __slots__ = ("_buf", "_pos", "_sock", "_topics")

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buf = b""
        self._pos = 0
        self._topics: dict[bytes, str] = {}

    def recv(self, buffer_size: int) -> bytes:
        """Up to ``buffer_size`` bytes, from the buffer (refilled by one ``recv``)."""
        if self._pos >= len(self._buf):
            data = self._sock.recv(max(buffer_size, READ_CHUNK))  # BlockingIOError passes
            if len(data) <= buffer_size:
                self._buf, self._pos = b"", 0
                return data
            self._buf, self._pos = data, 0
        end = self._pos + buffer_size
        chunk = self._buf[self._pos : end]
        self._pos += len(chunk)
        return chunk

    def pending(self) -> int:
        """Bytes received but not yet read."""
        return len(self._buf) - self._pos

    def take_publishes(self, v5: bool) -> list[Publish]:
        """Cut the complete QoS 0/1 PUBLISH packets without properties at the head of the
        buffer; stops at the first other or incomplete packet (left for paho)."""
        found, self._pos = split_publishes(self._buf, self._pos, v5, self._topics)
        if len(self._topics) > MAX_TOPICS_CACHED:  # many gateways: keep the cache bounded
            self._topics.clear()
        return found

    def send(self, buffer: bytes | bytearray) -> int:
        """Send as the socket does."""
        return self._sock.send(buffer)

    def close(self) -> None:
        """Close the socket."""
        self._sock.close()

    def fileno(self) -> int:
        """The socket's descriptor (for ``select``)."""
        return self._sock.fileno()

    def setblocking(self, flag: bool) -> None:
        """As the socket."""
        self._sock.setblocking(flag)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


def split_publishes(
    buf: bytes, pos: int, v5: bool, topics: dict[bytes, str]
) -> tuple[list[Publish], int]:
    """The PUBLISH packets (QoS 0/1, no MQTT 5 properties, UTF-8 topic) complete in
    ``buf[pos:]``, in order, and the position after the last one. ``topics`` caches decoded
    topic names (a gateway sends the same few)."""
    found: list[Publish] = []
    end = len(buf)
    while pos + 4 <= end:
        header = buf[pos]
        qos = (header >> 1) & 3
        if header & 0xF0 != PUBLISH or qos > 1:
            break
        length, i, shift = 0, pos + 1, 0
        while i < end and shift < 28:  # remaining length: at most 4 bytes of 7 bits
            byte = buf[i]
            i += 1
            length |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                break
        else:
            break  # incomplete or malformed: paho reads (or refuses) it
        body_end = i + length
        if body_end > end or length < 2:
            break
        start = i + 2
        head = start + ((buf[i] << 8) | buf[i + 1])
        if qos:
            mid = (buf[head] << 8) | buf[head + 1] if head + 2 <= body_end else -1
            data = head + 2
        else:
            mid, data = 0, head
        if v5:
            if data >= body_end or buf[data] != 0:  # properties (or none at all): paho's way
                break
            data += 1
        if data > body_end or mid == -1 or head == start:
            break
        raw = buf[start:head]
        topic = topics.get(raw)
        if topic is None:
            try:
                topic = topics[raw] = raw.decode("utf-8")
            except UnicodeDecodeError:
                break
        found.append((topic, buf[data:body_end], mid, qos))
        pos = body_end
    return found, pos


def client_class(on_publishes: Callable[[list[Publish]], None]) -> Any:
    """paho's ``Client`` with plain TCP connections read through :class:`BufferedSocket`
    (TLS sockets buffer already and are left alone), handing each run of buffered PUBLISH
    packets to ``on_publishes`` in one call (paho's ``on_message`` gets the rest)."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import MQTTErrorCode

    class Client(mqtt.Client):
        def _create_socket(self) -> Any:
            sock = super()._create_socket()
            if type(sock) is socket.socket:
                return BufferedSocket(sock)
            return sock

        def _packet_read(self) -> MQTTErrorCode:
            sock = self._sock
            if type(sock) is BufferedSocket and not self._in_packet["command"] and sock.pending():
                found = sock.take_publishes(self._protocol == mqtt.MQTTv5)
                if found:
                    with self._msgtime_mutex:  # what paho notes per packet (keepalive)
                        self._last_bytes_received = time.monotonic()
                    on_publishes(found)
                    return MQTTErrorCode.MQTT_ERR_SUCCESS
            return super()._packet_read()

    return Client
