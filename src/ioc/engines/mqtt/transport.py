"""How the connector talks to a broker: a ``Transport`` delivers messages and takes acks.

``PahoTransport`` is the real one (MQTT 5, persistent session, manual PUBACK);
``MemoryTransport`` is an in-memory broker for unit tests, in the spirit of httpx's
``MockTransport``: publish into it, then check what was acknowledged.
"""

from __future__ import annotations

import ssl
import struct
import threading
from collections.abc import Callable
from typing import Any, NamedTuple, Protocol

import structlog

from ioc.engines.mqtt.config import MqttConfig
from ioc.engines.mqtt.wire import Publish, client_class

log = structlog.get_logger(__name__)

PUBACK = 0x40
_PUBACK = struct.Struct("!BBH")


class Message(NamedTuple):
    """One received message (a tuple: thousands are made each second). ``generation``
    counts connections: an ack is only valid on the connection the message arrived on (after
    a reconnect the broker sends it again)."""

    topic: str
    payload: bytes
    mid: int
    qos: int
    generation: int


Deliver = Callable[[list[Message]], None]
"""Takes messages in the order they arrived (several at once when they came together)."""


class Transport(Protocol):
    """A broker connection as the connector needs it."""

    def start(self, deliver: Deliver) -> None:
        """Connect (retrying in the background), subscribe, pass messages to ``deliver``."""

    def ack(self, message: Message) -> bool:
        """Acknowledge a stored message; False when its connection is gone (it will come
        again and be acknowledged then)."""

    def ack_many(self, messages: list[Message]) -> int:
        """Acknowledge stored messages at once; returns how many were acknowledged (those of
        an earlier connection are not: they will come again)."""

    def redeliver(self) -> None:
        """Reconnect so the broker sends every unacknowledged message again."""

    def stop(self, end_session: bool = False) -> None:
        """Disconnect; unacknowledged messages stay with the broker's session, unless
        ``end_session`` (leaving for good: the broker forgets the session)."""

    def unsubscribe(self) -> None:
        """Stop receiving new messages (what the session already holds still comes)."""

    @property
    def connected(self) -> bool:
        """Whether a broker connection is up."""


class PahoTransport:
    """paho-mqtt client: MQTT 5 with ``clean_start=False`` and a session expiry (or 3.1.1 with
    ``clean_session=False``), QoS 1 subscriptions, ``manual_ack=True`` (PUBACK only through
    :meth:`ack`), automatic reconnect with 1 → 30 s backoff."""

    def __init__(self, config: MqttConfig) -> None:
        self.config = config
        self._generation = 0
        self._connected = False
        self._lock = threading.Lock()
        self._deliver: Deliver | None = None
        self._client: Any = None
        self._left = False  # unsubscribed for good (leaving the share group)

    @property
    def connected(self) -> bool:
        """Whether a broker connection is up."""
        return self._connected

    def _new_client(self) -> Any:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        cfg = self.config
        v5 = cfg.protocol == "5"
        client = client_class(self._on_publishes)(
            CallbackAPIVersion.VERSION2,
            client_id=cfg.client_id,
            protocol=mqtt.MQTTv5 if v5 else mqtt.MQTTv311,
            clean_session=None if v5 else False,  # MQTT 5: clean_start=False on connect
            manual_ack=True,
        )
        if cfg.username:
            client.username_pw_set(cfg.username, cfg.password or None)
        if cfg.tls:
            client.tls_set(ca_certs=cfg.ca_file or None, tls_version=ssl.PROTOCOL_TLS_CLIENT)
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        return client

    def _connect_properties(self) -> Any:
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = self.config.session_expiry_s
        props.ReceiveMaximum = self.config.receive_maximum
        return props

    def start(self, deliver: Deliver) -> None:
        """Connect in the background (first attempt retried too) and start the network thread."""
        self._deliver = deliver
        with self._lock:
            self._client = self._new_client()
            self._connect()

    def _connect(self) -> None:
        cfg = self.config
        if cfg.protocol == "5":
            self._client.connect_async(
                cfg.host,
                cfg.port,
                keepalive=30,
                clean_start=False,
                properties=self._connect_properties(),
            )
        else:  # 3.1.1: clean_session=False was set on the client; the session never expires
            self._client.connect_async(cfg.host, cfg.port, keepalive=30)
        self._client.loop_start()

    def _on_connect(
        self, client: Any, _userdata: Any, flags: Any, reason_code: Any, _props: Any
    ) -> None:
        if reason_code.is_failure:
            log.warning("mqtt_connect_refused", reason=str(reason_code))
            return
        from paho.mqtt.subscribeoptions import SubscribeOptions

        self._generation += 1
        self._connected = True
        topics = () if self._left else self.config.subscriptions  # $share/<group>/… in a group
        if topics and client.protocol == 5:
            client.subscribe([(t, SubscribeOptions(qos=1)) for t in topics])
        elif topics:
            client.subscribe([(t, 1) for t in topics])
        log.info(
            "mqtt_connected",
            host=self.config.host,
            port=self.config.port,
            session_present=bool(flags.session_present),
            generation=self._generation,
            share_group=self.config.share_group or None,
        )

    def _on_disconnect(
        self, _client: Any, _userdata: Any, _flags: Any, reason_code: Any, _props: Any
    ) -> None:
        self._connected = False
        log.info("mqtt_disconnected", reason=str(reason_code))

    def _on_message(self, _client: Any, _userdata: Any, msg: Any) -> None:
        # What paho decodes itself (a PUBLISH with MQTT 5 properties, one cut by the buffer).
        if self._deliver is not None:
            self._deliver([Message(msg.topic, msg.payload, msg.mid, msg.qos, self._generation)])

    def _on_publishes(self, found: list[Publish]) -> None:
        # Runs in the network thread: the PUBLISH packets that were in the read buffer.
        deliver, generation = self._deliver, self._generation
        if deliver is not None:
            deliver([Message(t, p, mid, qos, generation) for t, p, mid, qos in found])

    def ack(self, message: Message) -> bool:
        """Send the PUBACK, if the message's connection is still the current one."""
        if message.qos == 0:
            return True
        if message.generation != self._generation or not self._connected:
            return False
        self._client.ack(message.mid, message.qos)
        return True

    def ack_many(self, messages: list[Message]) -> int:
        """Send the PUBACKs of stored messages of the current connection in one write (one
        packet each, queued together: one wake-up of the network thread instead of one per
        message)."""
        generation = self._generation
        if not self._connected:
            return sum(1 for m in messages if m.qos == 0)
        pack = _PUBACK.pack
        packets = [
            pack(PUBACK, 2, m.mid) for m in messages if m.qos == 1 and m.generation == generation
        ]
        done = sum(1 for m in messages if m.qos == 0) + len(packets)
        if packets:
            # What paho's ack() does per message (Client._send_puback → _packet_queue), for
            # all of them at once: the bytes of several PUBACK packets in a row are what the
            # broker would read anyway.
            self._client._packet_queue(PUBACK, b"".join(packets), 0, 0)
        return done

    def redeliver(self) -> None:
        """Disconnect and connect again: the broker resends what we have not acknowledged."""
        with self._lock:
            if self._client is None:
                return
            self._client.disconnect()
            self._client.loop_stop()
            self._connected = False
            self._generation += 1  # acks of messages already received are now void
            self._connect()

    def unsubscribe(self) -> None:
        """Unsubscribe from every topic (and do not subscribe again on a reconnect)."""
        self._left = True
        with self._lock:
            if self._client is not None:
                self._client.unsubscribe(list(self.config.subscriptions))

    def stop(self, end_session: bool = False) -> None:
        """Disconnect and stop the network thread; with ``end_session`` the broker drops the
        session (MQTT 5: a session expiry of 0 on DISCONNECT; 3.1.1: a clean-session
        connection of the same client id)."""
        with self._lock:
            if self._client is None:
                return
            self._deliver = None
            v5 = self.config.protocol == "5"
            if end_session and v5:
                from paho.mqtt.packettypes import PacketTypes
                from paho.mqtt.properties import Properties

                props = Properties(PacketTypes.DISCONNECT)  # type: ignore[no-untyped-call]
                props.SessionExpiryInterval = 0
                self._client.disconnect(properties=props)
            else:
                self._client.disconnect()
            self._client.loop_stop()
            self._client = None
            self._connected = False
        if end_session and not v5:
            self._clean_session()

    def _clean_session(self) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        cfg = self.config
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=cfg.client_id,
            protocol=mqtt.MQTTv311,
            clean_session=True,
        )
        if cfg.username:
            client.username_pw_set(cfg.username, cfg.password or None)
        if cfg.tls:
            client.tls_set(ca_certs=cfg.ca_file or None, tls_version=ssl.PROTOCOL_TLS_CLIENT)
        try:
            client.connect(cfg.host, cfg.port, keepalive=30)
            client.loop(1.0)
            client.disconnect()
        except OSError:
            log.warning("mqtt_session_not_cleared", client_id=cfg.client_id)


class MemoryTransport:
    """An in-memory broker for one subscriber (tests): messages stay until acknowledged, and
    :meth:`redeliver` sends the unacknowledged ones again, as a broker does on reconnect."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._deliver: Deliver | None = None
        self._next_mid = 1
        self.generation = 1
        self.unacked: dict[int, tuple[str, bytes]] = {}
        self.acked: list[int] = []
        self.redeliveries = 0
        self.left = False

    @property
    def connected(self) -> bool:
        """Whether a subscriber is attached."""
        return self._deliver is not None

    def publish(self, topic: str, payload: bytes | str) -> int:
        """Queue a QoS 1 message; delivered at once when a subscriber is attached. Returns mid."""
        data = payload.encode() if isinstance(payload, str) else payload
        with self._lock:
            mid = self._next_mid
            self._next_mid += 1
            self.unacked[mid] = (topic, data)
            deliver, generation = self._deliver, self.generation
        if deliver is not None:
            deliver([Message(topic, data, mid, 1, generation)])
        return mid

    def start(self, deliver: Deliver) -> None:
        """Attach the subscriber; messages queued before are delivered now."""
        with self._lock:
            self._deliver = deliver
            pending = sorted(self.unacked.items())
            generation = self.generation
        if pending:
            deliver([Message(topic, data, mid, 1, generation) for mid, (topic, data) in pending])

    def ack(self, message: Message) -> bool:
        """Acknowledge; refused for a message of an earlier connection."""
        with self._lock:
            if message.generation != self.generation or message.mid not in self.unacked:
                return False
            del self.unacked[message.mid]
            self.acked.append(message.mid)
            return True

    def ack_many(self, messages: list[Message]) -> int:
        """Acknowledge each; returns how many were."""
        return sum(1 for m in messages if self.ack(m))

    def redeliver(self) -> None:
        """A reconnect: every unacknowledged message is sent again."""
        with self._lock:
            self.generation += 1
            self.redeliveries += 1
            deliver = self._deliver
            pending = sorted(self.unacked.items())
            generation = self.generation
        if deliver is not None and pending:
            deliver([Message(topic, data, mid, 1, generation) for mid, (topic, data) in pending])

    def unsubscribe(self) -> None:
        """Nothing new is delivered after this (what is unacknowledged still comes again)."""
        self.left = True

    def stop(self, end_session: bool = False) -> None:
        """Detach the subscriber (unacknowledged messages stay, unless ``end_session``)."""
        with self._lock:
            self._deliver = None
            if end_session:
                self.unacked.clear()
