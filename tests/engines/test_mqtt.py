"""MQTT connector: decoders, micro-batches, ack after commit, dead letters and their replay.

Real-broker tests (``@pytest.mark.mqtt``) start a private Mosquitto on a free port with a
temporary persistence folder, so the shared broker on :1883 is never disturbed. Without the
``mosquitto`` binary they are skipped, or fail under ``CI=true``.
"""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import paho.mqtt.client as mqtt
import pytest
from fastapi.testclient import TestClient
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from helpers import csrf, login, sent_count
from ioc.app import load_registry
from ioc.core import audit
from ioc.core.models import AuditLog, DeadLetter, Indicator, Observation, Series
from ioc.core.registry import PackManifest, Registry
from ioc.engines.derive import follow_commits
from ioc.engines.mqtt import (
    DecodeError,
    Decoders,
    MemoryTransport,
    MqttConnector,
    payload_from_text,
    payload_to_text,
)
from ioc.engines.mqtt import connector as connector_module
from ioc.settings import Settings

IN_CI = os.environ.get("CI", "").lower() == "true"
T0 = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)  # 08:00 local


def reading(value: float, at: datetime, station: str = "DL-TEST-01", ind: str = "pm25") -> bytes:
    return orjson.dumps(
        {"indicator": ind, "entity": station, "time": at.isoformat(), "value": value}
    )


def wait_for(check: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def letters(factory: sessionmaker[Session]) -> list[DeadLetter]:
    with factory() as s:
        return list(s.execute(select(DeadLetter).order_by(DeadLetter.id)).scalars())


@pytest.fixture(scope="module")
def registry() -> Registry:
    return load_registry()


def mqtt_settings(settings: Settings, **kw: Any) -> Settings:
    base: dict[str, Any] = {
        "mqtt_client_id": f"ioc-test-{uuid.uuid4().hex[:8]}",
        "mqtt_batch_ms": 50,
    }
    return settings.model_copy(update=base | kw)


@pytest.fixture
def memory(
    settings: Settings, factory: sessionmaker[Session], registry: Registry
) -> Iterator[tuple[MemoryTransport, MqttConnector]]:
    transport = MemoryTransport()
    conn = MqttConnector(mqtt_settings(settings), factory, registry, transport=transport)
    conn.start()
    yield transport, conn
    conn.stop()


# ---------------------------------------------------------------------------------- decoders


def test_plain_decoder_shapes(registry: Registry) -> None:
    d = Decoders(registry)
    one = {"indicator": "pm25", "entity": "X", "time": "2026-03-10T08:00:00+07:00", "value": 1}
    assert d.decode("ioc/gw/readings", orjson.dumps(one)) == [one]
    assert d.decode("ioc/gw/readings", orjson.dumps([one, one])) == [one, one]
    assert d.decode("ioc/gw/readings", orjson.dumps({"observations": [one]})) == [one]
    for bad, reason in [
        (b"{not json", "JSON"),
        (b"42", "expected a JSON object or list"),
        (b"[]", "no readings"),
        (b'{"observations": 3}', "must be a list"),
    ]:
        with pytest.raises(DecodeError, match=reason):
            d.decode("ioc/gw/readings", bad)


def test_sdm_decoder_key_values_normalized_and_sniffing(registry: Registry) -> None:
    d = Decoders(registry)
    kv = {
        "id": "urn:ngsi-ld:AirQualityObserved:DL-TEST-01",
        "type": "AirQualityObserved",
        "dateObserved": "2026-03-10T08:00:00+07:00",
        "pm25": 12.5,
        "co": 400,
    }
    rows = d.decode("ioc/gw/sdm", orjson.dumps(kv))
    assert {r["indicator"]: r["value"] for r in rows} == {"pm25": 12.5, "co": 400}
    assert all(r["entity"] == "DL-TEST-01" for r in rows)
    normalized = {
        "id": "urn:ngsi-ld:AirQualityObserved:DL-TEST-01",
        "type": "AirQualityObserved",
        "pm10": {
            "type": "Property",
            "value": 40,
            "unitCode": "GQ",
            "observedAt": "2026-03-10T08:00:00+07:00",
        },
    }
    (row,) = d.decode("ioc/gw/sdm", orjson.dumps([normalized]))
    assert (row["indicator"], row["value"], row["unit"]) == ("pm10", 40, "µg/m3")
    # A topic whose last level names no decoder: an object with type and id is SDM.
    assert d.name_for("ioc/gw/other", orjson.dumps(kv)) == "sdm"
    assert d.name_for("ioc/gw/other", b'{"indicator": "pm25"}') == "readings"
    with pytest.raises(DecodeError, match="unsupported SDM type: ParkingSpot"):
        d.decode("ioc/gw/sdm", b'{"id": "urn:ngsi-ld:ParkingSpot:1", "type": "ParkingSpot"}')
    with pytest.raises(DecodeError, match="missing time"):
        d.decode("ioc/gw/sdm", b'{"id": "A", "type": "AirQualityObserved", "pm25": 1}')


def test_pack_decoders_are_consulted() -> None:
    def lora(topic: str, payload: bytes) -> list[dict[str, Any]]:
        if payload == b"bug":
            raise KeyError("oops")
        station, value = payload.decode().split(";")
        if not value:
            raise ValueError("giá trị trống / empty value")
        return [
            {
                "indicator": "pm25",
                "entity": station,
                "time": "2026-03-10T08:00:00+07:00",
                "value": float(value),
            }
        ]

    reg = Registry()
    reg.register(PackManifest("demo", "x", indicators=list, mqtt_decoders={"lora": lora}))
    d = Decoders(reg)
    assert "lora" in d.names
    assert d.decode("ioc/gw/lora", b"DL-1;3.5")[0]["value"] == 3.5
    with pytest.raises(DecodeError, match="lora: giá trị trống"):
        d.decode("ioc/gw/lora", b"DL-1;")
    with pytest.raises(DecodeError, match="lora: KeyError"):  # a decoder bug is a reason too
        d.decode("ioc/gw/lora", b"bug")
    reg2 = Registry()
    reg2.register(PackManifest("bad", "x", indicators=list, mqtt_decoders={"sdm": lora}))
    with pytest.raises(ValueError, match="already exists"):
        Decoders(reg2)


def _publish_packet(
    topic: str, payload: bytes, mid: int, qos: int = 1, props: bytes | None = b""
) -> bytes:
    """A PUBLISH packet as a broker sends it (``props``: MQTT 5 properties; None for 3.1.1)."""
    raw = topic.encode()
    body = len(raw).to_bytes(2, "big") + raw + (mid.to_bytes(2, "big") if qos else b"")
    if props is not None:
        body += bytes([len(props)]) + props
    body += payload
    length, size = b"", len(body)
    while True:
        size, digit = divmod(size, 128)
        length += bytes([digit | (0x80 if size else 0)])
        if not size:
            return bytes([0x30 | qos << 1]) + length + body


def test_publish_packets_are_cut_from_the_read_buffer_in_order() -> None:
    """The connector reads PUBLISH packets itself (not through paho's per-message objects):
    every complete plain one, in order; a packet with MQTT 5 properties, another packet type
    or one cut by the buffer's end is left (from its first byte) to paho."""
    from ioc.engines.mqtt.wire import split_publishes

    big = b"x" * 300  # a remaining length of two bytes
    v5 = (
        _publish_packet("ioc/gw/readings", b"one", 1)
        + _publish_packet("ioc/gw/sdm", big, 2)
        + _publish_packet("ioc/gw/readings", b"zero", 0, qos=0)
    )
    with_props = _publish_packet("ioc/gw/readings", b"p", 4, props=b"\x03\x00\x01j")  # type
    topics: dict[bytes, str] = {}
    found, pos = split_publishes(v5 + with_props, 0, True, topics)
    assert found == [
        ("ioc/gw/readings", b"one", 1, 1),
        ("ioc/gw/sdm", big, 2, 1),
        ("ioc/gw/readings", b"zero", 0, 0),
    ]
    assert pos == len(v5)  # the packet with properties is paho's
    cut = _publish_packet("ioc/a/readings", b"5", 5)
    assert split_publishes(v5 + cut[:-1], 0, True, topics) == (found, len(v5))
    pingresp = b"\xd0\x00"
    assert split_publishes(pingresp + v5, 0, True, topics) == ([], 0)
    v311 = _publish_packet("ioc/gw/readings", b"v3", 7, props=None)
    assert split_publishes(v311, 0, False, topics) == (
        [("ioc/gw/readings", b"v3", 7, 1)],
        len(v311),
    )
    qos2 = bytes([0x34]) + _publish_packet("t", b"q", 8)[1:]
    assert split_publishes(qos2, 0, True, topics) == ([], 0)


def test_payload_text_round_trip() -> None:
    for payload in [
        b'{"a": "\xc4\x91"}',
        b"\xff\xfe\x00binary",
        b"base64:looks-like-prefix",
        b"a\x00b",
    ]:
        assert payload_from_text(payload_to_text(payload)) == payload
    assert payload_to_text(b"plain text") == "plain text"
    assert payload_to_text(b"\xff").startswith("base64:")


# ------------------------------------------------------------ connector, in-memory transport


def test_micro_batches_store_and_ack_after_commit(
    memory: tuple[MemoryTransport, MqttConnector], factory: sessionmaker[Session], station: str
) -> None:
    transport, conn = memory
    mids = [
        transport.publish("ioc/gw/readings", reading(10 + i, T0 + timedelta(hours=i)))
        for i in range(25)
    ]
    wait_for(lambda: conn.stats.acked == 25, what="25 acks")
    assert sorted(transport.acked) == mids and not transport.unacked
    assert sent_count(factory) == 25
    assert conn.stats.readings == 25 and conn.stats.dead_letters == 0


def test_bad_messages_become_dead_letters_and_the_stream_goes_on(
    memory: tuple[MemoryTransport, MqttConnector], factory: sessionmaker[Session], station: str
) -> None:
    transport, conn = memory
    transport.publish("ioc/gw/readings", b"{not json")
    transport.publish("ioc/gw/readings", reading(5, T0, ind="khong-co"))
    transport.publish(
        "ioc/gw/readings",
        orjson.dumps(
            [orjson.loads(reading(7, T0)), orjson.loads(reading(8, T0, station="KHONG-CO"))]
        ),
    )
    transport.publish("ioc/gw/sdm", b'{"id": "urn:ngsi-ld:ParkingSpot:1", "type": "ParkingSpot"}')
    transport.publish("ioc/gw/readings", reading(9, T0 + timedelta(hours=1)))
    wait_for(lambda: conn.stats.acked == 5, what="5 acks")
    found = letters(factory)
    assert [d.topic for d in found] == ["ioc/gw/readings"] * 3 + ["ioc/gw/sdm"]
    assert "JSON" in found[0].reason and found[0].payload == "{not json"
    assert "indicator not in the catalog" in found[1].reason
    assert found[2].reason.startswith("dòng/row 2, entity:") and "no entity" in found[2].reason
    assert "unsupported SDM type: ParkingSpot" in found[3].reason
    assert all(d.source == "mqtt" and d.status == "new" for d in found)
    assert sent_count(factory) == 2  # the good row of the mixed message and the last one
    assert not transport.unacked


def test_failed_commit_is_not_acked_and_comes_again(
    memory: tuple[MemoryTransport, MqttConnector],
    factory: sessionmaker[Session],
    engine: Engine,
    station: str,
) -> None:
    transport, conn = memory
    down = threading.Event()

    def fail(*_args: Any) -> None:
        if down.is_set():
            raise OperationalError("(test)", None, RuntimeError("database down"))

    event.listen(engine, "before_cursor_execute", fail)
    try:
        down.set()
        mid = transport.publish("ioc/gw/readings", reading(11, T0))
        wait_for(lambda: conn.stats.failures >= 1, what="a failed batch")
        time.sleep(0.3)
        assert transport.acked == [] and mid in transport.unacked
        down.clear()
        wait_for(lambda: conn.stats.acked == 1, what="the ack after redelivery")
    finally:
        event.remove(engine, "before_cursor_execute", fail)
    assert transport.redeliveries == 1 and transport.acked == [mid]
    assert sent_count(factory) == 1


def test_message_that_cannot_be_stored_is_isolated(
    memory: tuple[MemoryTransport, MqttConnector],
    factory: sessionmaker[Session],
    station: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    transport, conn = memory
    real = connector_module.store_messages

    def store(session: Session, messages: Any, **kw: Any) -> Any:
        if any(m.payload == b'"boom"' for m in messages):
            raise RuntimeError("cannot store this one")
        return real(session, messages, **kw)

    monkeypatch.setattr(connector_module, "store_messages", store)
    transport.start(lambda m: None)  # hold delivery so the three land in one batch
    transport.publish("ioc/gw/readings", reading(1, T0))
    transport.publish("ioc/gw/readings", b'"boom"')
    transport.publish("ioc/gw/readings", reading(2, T0 + timedelta(hours=1)))
    transport.start(conn._receive)
    wait_for(lambda: conn.stats.acked == 3, what="3 acks")
    (letter,) = letters(factory)
    assert "storage error: RuntimeError: cannot store this one" in letter.reason
    assert sent_count(factory) == 2


# ------------------------------------------------------------------------ real broker


class Broker:
    """A private Mosquitto with persistence on a free port."""

    def __init__(self, folder: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.folder = folder
        self.conf = folder / "mosquitto.conf"
        self.conf.write_text(
            "persistence true\n"
            f"persistence_location {folder}/\n"
            f"listener {self.port} 127.0.0.1\n"
            "allow_anonymous true\n"
            "max_queued_messages 0\n"
            "max_inflight_messages 0\n"
            # Run as the test's user (as root Mosquitto would switch to "mosquitto", which
            # cannot write the persistence file in the test's private folder).
            f"user {getpass.getuser()}\n"
        )
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["mosquitto", "-c", str(self.conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.02)
        raise RuntimeError("mosquitto did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGTERM)  # saves its persistence file on the way out
            self.proc.wait(10)
            self.proc = None


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    if shutil.which("mosquitto") is None:
        if IN_CI:
            pytest.fail("mosquitto is not installed")
        pytest.skip("mosquitto is not installed")
    b = Broker(tmp_path)
    b.start()
    yield b
    b.stop()


def publisher(port: int, client_id: str | None = None) -> mqtt.Client:
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id or f"pub-{uuid.uuid4().hex[:8]}",
        protocol=mqtt.MQTTv311,
        clean_session=False,
    )
    client.max_inflight_messages_set(200)
    client.max_queued_messages_set(0)
    client.reconnect_delay_set(min_delay=1, max_delay=2)
    client.connect("127.0.0.1", port)
    client.loop_start()
    return client


@pytest.fixture
def real(
    request: pytest.FixtureRequest,
    broker: Broker,
    settings: Settings,
    factory: sessionmaker[Session],
    registry: Registry,
) -> Iterator[MqttConnector]:
    protocol = getattr(request, "param", "5")
    conn = MqttConnector(
        mqtt_settings(settings, mqtt_port=broker.port, mqtt_protocol=protocol), factory, registry
    )
    conn.start()
    wait_for(lambda: conn.connected, what="the connector to connect")
    time.sleep(0.1)  # subscriptions granted
    yield conn
    conn.stop()


@pytest.mark.mqtt
def test_published_readings_show_as_vn_aqi(
    real: MqttConnector,
    broker: Broker,
    client: TestClient,
    factory: sessionmaker[Session],
    station: str,
    frozen_now: datetime,
) -> None:
    # The connector does not derive: its commits wake whoever derives for its session
    # factory (here inline, as the app does without a worker thread running yet).
    follow_commits(factory, inline=True)
    pub = publisher(broker.port)
    start = datetime(2026, 3, 9, 17, 0, tzinfo=UTC)  # 00:00 local on 10/3
    infos = [
        pub.publish("ioc/gw-01/readings", reading(20.0, start + timedelta(hours=h)), qos=1)
        for h in range(1, 12)
    ]
    sdm = {
        "id": "urn:ngsi-ld:AirQualityObserved:DL-TEST-01",
        "type": "AirQualityObserved",
        "dateObserved": "2026-03-10T12:00:00+07:00",
        "pm25": {"type": "Property", "value": 20.0, "unitCode": "GQ"},
    }
    infos.append(pub.publish("ioc/gw-01/sdm", orjson.dumps(sdm), qos=1))
    for info in infos:
        info.wait_for_publish(5)
    wait_for(lambda: real.stats.messages == 12, what="12 messages stored")
    pub.loop_stop()
    (s,) = client.get("/api/v1/environment/stations").json()["stations"]
    assert s["code"] == station and s["current"] is True
    assert s["aqi"]["aqi"] == 40 and s["aqi"]["time"] == "2026-03-10T12:00:00+07:00"
    assert s["concentrations"]["pm25"]["value"] == 20.0


@pytest.mark.mqtt
def test_malformed_message_goes_to_dead_letters_on_a_real_broker(
    real: MqttConnector, broker: Broker, factory: sessionmaker[Session], station: str
) -> None:
    pub = publisher(broker.port)
    for payload in [reading(1, T0), b"\x00\xffgarbage", reading(2, T0 + timedelta(hours=1))]:
        pub.publish("ioc/gw-02/readings", payload, qos=1).wait_for_publish(5)
    wait_for(lambda: real.stats.messages == 3, what="3 messages")
    pub.loop_stop()
    (letter,) = letters(factory)
    assert letter.topic == "ioc/gw-02/readings" and "invalid JSON" in letter.reason
    assert payload_from_text(letter.payload) == b"\x00\xffgarbage"
    assert sent_count(factory) == 2


@pytest.mark.mqtt
def test_messages_with_mqtt5_properties_are_stored_among_plain_ones(
    real: MqttConnector, broker: Broker, factory: sessionmaker[Session], station: str
) -> None:
    """A gateway may add MQTT 5 properties (content type, user properties): those messages
    take paho's path, the plain ones around them the connector's own; all are stored once."""
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    pub = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    pub.max_inflight_messages_set(200)
    pub.connect("127.0.0.1", broker.port)
    pub.loop_start()
    props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
    props.ContentType = "application/json"
    props.UserProperty = [("gateway", "gw-05")]
    start = T0 - timedelta(days=30)
    infos = [
        pub.publish(
            "ioc/gw-05/readings",
            reading(float(i), start + timedelta(hours=i)),
            qos=1,
            properties=props if i % 7 == 0 else None,
        )
        for i in range(300)
    ]
    for info in infos:
        info.wait_for_publish(10)
    wait_for(lambda: real.stats.acked == 300, what="300 acks")
    pub.loop_stop()
    assert pm25_rows(factory) == (300, float(sum(range(300))))
    assert real.stats.dead_letters == 0


@pytest.mark.mqtt
@pytest.mark.parametrize("real", ["5", "3.1.1"], indirect=True)
def test_broker_restart_mid_stream_loses_and_duplicates_nothing(
    real: MqttConnector, broker: Broker, factory: sessionmaker[Session], station: str
) -> None:
    n = 2000
    pub = publisher(broker.port, client_id="restart-publisher")
    start = T0 - timedelta(days=90)
    published = threading.Event()
    half = threading.Event()

    def send() -> None:
        for i in range(n):
            pub.publish(
                "ioc/gw-03/readings", reading(float(i % 500), start + timedelta(hours=i)), qos=1
            )
            if i == n // 2:
                half.set()
            if i % 100 == 0:
                time.sleep(0.02)
        published.set()

    sender = threading.Thread(target=send)
    sender.start()
    half.wait(10)
    wait_for(lambda: real.stats.messages > 0, what="the first batch")
    broker.stop()
    time.sleep(0.3)
    broker.start()
    sender.join(20)
    assert published.is_set()
    wait_for(lambda: sent_count(factory) >= n, timeout=20, what=f"{n} observations")
    time.sleep(0.5)  # anything redelivered late must not add rows
    pub.loop_stop()
    with factory() as s:
        count, total = s.execute(
            select(func.count(), func.sum(Observation.value))
            .join(Series, Series.id == Observation.series_id)
            .join(Indicator, Indicator.id == Series.indicator_id)
            .where(Indicator.code == "pm25")
        ).one()
    assert count == n  # no loss; (series, time) is unique, so no duplicates either
    assert total == sum(float(i % 500) for i in range(n))
    assert real.stats.dead_letters == 0
    assert real.stats.messages >= n  # redelivered ones were stored again (upserted)


def pm25_rows(factory: sessionmaker[Session]) -> tuple[int, float]:
    with factory() as s:
        count, total = s.execute(
            select(func.count(), func.coalesce(func.sum(Observation.value), 0.0))
            .join(Series, Series.id == Observation.series_id)
            .join(Indicator, Indicator.id == Series.indicator_id)
            .where(Indicator.code == "pm25")
        ).one()
    return int(count), float(total)


def test_share_group_subscribes_through_share_and_is_checked(settings: Settings) -> None:
    from ioc.engines.mqtt.config import MqttConfig

    plain = MqttConfig.from_settings(mqtt_settings(settings, mqtt_topics="ioc/+/readings"))
    assert plain.subscriptions == ("ioc/+/readings",)
    shared = MqttConfig.from_settings(
        mqtt_settings(settings, mqtt_topics="ioc/+/readings,ioc/+/sdm", mqtt_share_group="ioc")
    )
    assert shared.subscriptions == ("$share/ioc/ioc/+/readings", "$share/ioc/ioc/+/sdm")
    for bad in ("a/b", "có dấu", "x+"):
        with pytest.raises(ValueError, match="IOC_MQTT_SHARE_GROUP"):
            MqttConfig.from_settings(mqtt_settings(settings, mqtt_share_group=bad))
    with pytest.raises(ValueError, match=r"\$share/"):
        MqttConfig.from_settings(
            mqtt_settings(settings, mqtt_share_group="ioc", mqtt_topics="$share/g/ioc/+/readings")
        )


@pytest.mark.mqtt
def test_two_consumers_on_a_shared_subscription_store_every_reading_once(
    broker: Broker,
    settings: Settings,
    factory: sessionmaker[Session],
    registry: Registry,
    station: str,
) -> None:
    n = 1000
    conns = [
        MqttConnector(
            mqtt_settings(settings, mqtt_port=broker.port, mqtt_share_group="ioc"),
            factory,
            registry,
        )
        for _ in range(2)
    ]
    for conn in conns:
        conn.start()
    try:
        for conn in conns:
            wait_for(lambda c=conn: c.connected, what="the consumers to connect")  # type: ignore[misc]
        time.sleep(0.3)  # subscriptions granted
        pub = publisher(broker.port)
        start = T0 - timedelta(days=60)
        infos = [
            pub.publish("ioc/gw-07/readings", reading(float(i), start + timedelta(hours=i)), qos=1)
            for i in range(n)
        ]
        for info in infos:
            info.wait_for_publish(10)
        wait_for(lambda: sum(c.stats.messages for c in conns) >= n, timeout=30, what="n messages")
        time.sleep(0.3)
        pub.loop_stop()
    finally:
        for conn in conns:
            conn.stop()
    assert pm25_rows(factory) == (n, float(sum(range(n))))
    # The broker split the stream: each consumer stored a part, together every message once.
    assert all(c.stats.messages > 0 for c in conns)
    assert sum(c.stats.messages for c in conns) == n
    assert sum(c.stats.acked for c in conns) == n
    assert all(c.stats.dead_letters == 0 for c in conns)


def _consumer_env(settings: Settings, port: int, client_id: str) -> dict[str, str]:
    return os.environ | {
        "IOC_ENV": "test",
        "IOC_DATABASE_URL": settings.database_url,
        "IOC_DATA_DIR": str(settings.data_dir),
        "IOC_SCHEDULER": "off",
        "IOC_DERIVE_WORKER": "off",
        "IOC_LOG_LEVEL": "WARNING",
        "IOC_MQTT_PORT": str(port),
        "IOC_MQTT_CLIENT_ID": client_id,
        "IOC_MQTT_TOPICS": "ioc/+/readings",
        "IOC_MQTT_BATCH_MS": "50",
        "IOC_MQTT_BATCH_SIZE": "100",
    }


IOC_EXE = str(Path(sys.executable).parent / "ioc")


def _consumer_process(settings: Settings, port: int, client_id: str) -> subprocess.Popen[str]:
    """``ioc ingest mqtt`` as its own process, one of the share group ``ioc``; returns once
    it is connected (its first line)."""
    proc = subprocess.Popen(
        [IOC_EXE, "ingest", "mqtt", "--share-group", "ioc", "--instance", "a"],
        env=_consumer_env(settings, port, client_id),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    assert first.startswith("Đã kết nối"), first
    time.sleep(0.3)  # subscription granted
    return proc


@pytest.mark.mqtt
def test_killed_consumer_gets_its_unacknowledged_messages_again_after_restart(
    broker: Broker,
    settings: Settings,
    factory: sessionmaker[Session],
    registry: Registry,
    station: str,
) -> None:
    """Consumer A (its own process) is killed with SIGKILL mid-stream while consumer B goes on.
    The broker keeps what A had not acknowledged, and A's share of what follows, in A's
    session; A restarted with the same client id receives it: every reading once."""
    n = 3000
    client_id = f"ioc-test-{uuid.uuid4().hex[:8]}"
    b = MqttConnector(
        mqtt_settings(settings, mqtt_port=broker.port, mqtt_share_group="ioc"),
        factory,
        registry,
    )
    b.start()
    a = _consumer_process(settings, broker.port, client_id)
    restarted: subprocess.Popen[str] | None = None
    try:
        wait_for(lambda: b.connected, what="consumer B to connect")
        pub = publisher(broker.port, client_id="kill-publisher")
        start = T0 - timedelta(days=200)
        killed = threading.Event()

        def send() -> None:
            for i in range(n):
                pub.publish(
                    "ioc/gw-08/readings", reading(float(i), start + timedelta(hours=i)), qos=1
                )
                if i % 100 == 99:
                    time.sleep(0.02)

        sender = threading.Thread(target=send)
        sender.start()
        # Kill A once both consumers are storing, well before the end of the stream.
        wait_for(lambda: pm25_rows(factory)[0] > n // 4, timeout=30, what="a quarter stored")
        a.send_signal(signal.SIGKILL)
        a.wait(10)
        killed.set()
        sender.join(60)
        wait_for(lambda: b.stats.messages > 0, what="B storing")
        time.sleep(1.0)  # B has stored its share; A's share waits in A's session
        before_restart = pm25_rows(factory)[0]
        assert before_restart < n  # A's messages were not stored and not acknowledged
        restarted = _consumer_process(settings, broker.port, client_id)
        wait_for(lambda: pm25_rows(factory)[0] >= n, timeout=60, what=f"{n} readings")
        time.sleep(0.5)  # anything redelivered late must not add rows
        pub.loop_stop()
    finally:
        for proc in (a, restarted):
            if proc is not None:
                if proc.poll() is None:
                    proc.terminate()
                proc.communicate(timeout=15)  # waits and closes its pipe
        b.stop()
    assert pm25_rows(factory) == (n, float(sum(range(n))))  # 0 lost, 0 duplicated
    assert b.stats.dead_letters == 0
    assert len(letters(factory)) == 0


@pytest.mark.mqtt
def test_a_member_that_leaves_hands_back_nothing_and_keeps_nothing(
    broker: Broker,
    settings: Settings,
    factory: sessionmaker[Session],
    registry: Registry,
    station: str,
) -> None:
    """Scaling down: A is stopped (killed) while the stream goes on, so the broker keeps A's
    share in A's session. ``ioc ingest mqtt --leave`` stores that share and ends the
    session; what is published afterwards all goes to B."""
    client_id = f"ioc-test-{uuid.uuid4().hex[:8]}"
    b = MqttConnector(
        mqtt_settings(settings, mqtt_port=broker.port, mqtt_share_group="ioc"),
        factory,
        registry,
    )
    b.start()
    a = _consumer_process(settings, broker.port, client_id)
    start = T0 - timedelta(days=300)
    pub = publisher(broker.port)
    try:
        wait_for(lambda: b.connected, what="consumer B to connect")
        a.send_signal(signal.SIGKILL)
        a.communicate(timeout=10)
        for i in range(200):  # half of these wait in A's session
            pub.publish("ioc/gw-09/readings", reading(float(i), start + timedelta(hours=i)), qos=1)
        wait_for(lambda: b.stats.messages >= 80, what="B's share")
        time.sleep(0.5)
        assert pm25_rows(factory)[0] < 200
        left = subprocess.run(
            [IOC_EXE, "ingest", "mqtt", "--share-group", "ioc", "--instance", "a", "--leave"],
            env=_consumer_env(settings, broker.port, client_id),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert left.returncode == 0, left.stdout + left.stderr
        assert "Đã rời nhóm" in left.stdout
        assert pm25_rows(factory)[0] == 200  # A's share, stored on the way out
        infos = [
            pub.publish("ioc/gw-09/readings", reading(float(i), start + timedelta(hours=i)), qos=1)
            for i in range(200, 400)
        ]
        for info in infos:
            info.wait_for_publish(10)
        wait_for(lambda: pm25_rows(factory)[0] >= 400, timeout=20, what="all to B")
        pub.loop_stop()
    finally:
        if a.poll() is None:
            a.kill()
            a.communicate(timeout=10)
        b.stop()
    assert pm25_rows(factory) == (400, float(sum(range(400))))


def test_leave_with_the_memory_transport_drains_then_ends_the_session(
    settings: Settings, factory: sessionmaker[Session], registry: Registry, station: str
) -> None:
    transport = MemoryTransport()
    for i in range(5):
        transport.publish("ioc/gw/readings", reading(float(i), T0 + timedelta(hours=i)))
    conn = MqttConnector(mqtt_settings(settings), factory, registry, transport=transport)
    conn.start()
    assert conn.leave(idle_s=0.3, timeout=10)
    assert transport.left and not transport.unacked and len(transport.acked) == 5
    assert sent_count(factory) == 5


# ------------------------------------------------------------------------------- the UI


def test_dead_letter_replay_from_the_ui(
    client: TestClient,
    make_user: Any,
    factory: sessionmaker[Session],
    settings: Settings,
    registry: Registry,
) -> None:
    transport = MemoryTransport()
    conn = MqttConnector(mqtt_settings(settings), factory, registry, transport=transport)
    conn.start()
    transport.publish("ioc/gw-04/readings", reading(33.0, T0, station="DL-MOI-09"))
    wait_for(lambda: conn.stats.acked == 1, what="the ack")
    conn.stop()
    (letter,) = letters(factory)
    assert "DL-MOI-09" not in letter.reason and "no entity" in letter.reason

    # Anonymous visitors go to the login page; an operator is refused.
    r = client.get("/admin/dead-letters", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert client.get("/api/v1/dead-letters").status_code == 401
    login(client, "van.hanh", make_user("van.hanh", role="operator"))
    assert client.get("/admin/dead-letters").status_code == 403
    r = client.post(
        f"/admin/dead-letters/{letter.id}/replay", data={"csrf_token": "x"}, follow_redirects=False
    )
    assert r.status_code == 403
    client.cookies.clear()

    login(client, "quan.tri", make_user("quan.tri", role="admin"))
    page = client.get("/admin/dead-letters")
    assert page.status_code == 200
    assert (
        "ioc/gw-04/readings" in page.text
        and "DL-MOI-09" in page.text
        and 'href="/admin/dead-letters"' in page.text
    )
    api = client.get("/api/v1/dead-letters?status=new").json()
    assert api["total"] == 1 and api["items"][0]["payload"] == letter.payload

    token = csrf(client, "/admin/dead-letters")
    # Without a valid CSRF token nothing happens.
    r = client.post(
        f"/admin/dead-letters/{letter.id}/replay",
        data={"csrf_token": "forged"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and "done=csrf" in r.headers["location"]
    # Still no station: the replay fails and the letter stays new.
    r = client.post(
        f"/admin/dead-letters/{letter.id}/replay",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert "done=failed" in r.headers["location"]
    assert letters(factory)[0].status == "new"

    from ioc.packs.environment import service

    with factory() as s, s.begin():
        service.upsert_station(
            s,
            audit.Actor.system("test"),
            code="DL-MOI-09",
            name="Trạm mới",
            lat=12.7,
            lon=108.0,
            area_code="24133",
            agency_code="so-nong-nghiep-moi-truong",
        )
    r = client.post(
        f"/admin/dead-letters/{letter.id}/replay",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303 and "done=replayed" in r.headers["location"]
    assert "Đã xử lý lại" in client.get(r.headers["location"]).text
    (done,) = letters(factory)
    assert (
        done.status == "replayed" and done.handled_by == "quan.tri" and done.handled_at is not None
    )
    assert sent_count(factory) == 1
    with factory() as s:
        actions = [a for (a,) in s.execute(select(AuditLog.action)).all()]
    assert actions.count("dead_letter.replay") == 2


def test_dead_letter_discard_and_filter(
    client: TestClient,
    make_user: Any,
    factory: sessionmaker[Session],
    settings: Settings,
    registry: Registry,
) -> None:
    from ioc.engines.mqtt.store import Incoming, add_dead_letter

    with factory() as s, s.begin():
        add_dead_letter(s, "mqtt", Incoming("ioc/x/readings", b"x" * 500), "JSON không hợp lệ")
    login(client, "quan.tri", make_user("quan.tri", role="admin"))
    (letter,) = letters(factory)
    page = client.get("/admin/dead-letters?lang=en")
    assert (
        "Dead letters" in page.text and "x" * 160 + "…" in page.text and "x" * 161 not in page.text
    )
    token = csrf(client, "/admin/dead-letters")
    r = client.post(
        f"/admin/dead-letters/{letter.id}/discard",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert "done=discarded" in r.headers["location"]
    assert letters(factory)[0].status == "discarded"
    assert 'data-status="discarded"' not in client.get("/admin/dead-letters").text
    assert 'data-status="discarded"' in client.get("/admin/dead-letters?status=discarded").text
    assert client.get("/api/v1/dead-letters?status=new").json()["total"] == 0
