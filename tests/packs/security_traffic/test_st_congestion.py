"""Congestion levels from hand-built readings (API, NGSI-LD TrafficFlowObserved, MQTT),
peak-hour profile from hourly rollups, cameras online/offline, the severe-congestion record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from ioc.app import load_registry
from ioc.core import audit, clock
from ioc.core.models import Entity
from ioc.engines.mqtt import Decoders
from ioc.engines.mqtt.store import Incoming, store_messages
from ioc.packs.security_traffic import congestion, service
from ioc.packs.security_traffic.decoders import decode_traffic

ACTOR = audit.Actor.system("test")
LINE = [[108.0383, 12.6680], [108.0441, 12.6702], [108.0502, 12.6731]]


@pytest.mark.parametrize(
    ("speed", "expected"),
    [(55, "A"), (51.1, "A"), (51, "B"), (45, "B"), (40.2, "B"), (35, "C"), (30.1, "C"),
     (27, "D"), (24.1, "D"), (24, "E"), (20, "E"), (18, "F"), (5, "F"), (0, "F")],
)  # fmt: skip
def test_level_of_service_bands_against_free_flow_60(speed: float, expected: str) -> None:
    # 60 km/h free flow: A > 51, B > 40.2, C > 30, D > 24, E > 18, F ≤ 18 km/h.
    assert congestion.level(speed, 60, (85, 67, 50, 40, 30)) == expected


def test_level_needs_both_speeds_and_takes_configured_bands() -> None:
    assert congestion.level(None, 60) == ""
    assert congestion.level(30, None) == ""
    assert congestion.level(30, 0) == ""
    assert congestion.level(30, 60, (90, 80, 70, 60, 55)) == "F"


def _segments(factory: sessionmaker[Session]) -> None:
    with factory() as s, s.begin():
        for code, free in (("SEG-A", 60.0), ("SEG-B", 50.0), ("SEG-C", 70.0), ("SEG-D", 40.0)):
            service.upsert_segment(s, ACTOR, code=code, name=f"Đoạn {code}", road="QL14",
                                   coordinates=LINE, free_flow_kmh=free)  # fmt: skip
        service.upsert_sensor(s, ACTOR, code="TF-A", name="Điểm đo A", segment_code="SEG-A",
                              lat=12.668, lon=108.038)  # fmt: skip


def test_congestion_per_segment_from_api_ngsi_ld_and_mqtt_readings(
    client: TestClient, gateway_token: str, factory: sessionmaker[Session]
) -> None:
    _segments(factory)
    now = clock.now().replace(microsecond=0)
    when = now.isoformat()
    # A gateway that announces new sensors holds ``manage`` as well as ``ingest``.
    auth = {"Authorization": f"Bearer {gateway_token}"}
    # 1. The ingestion API: sensor TF-A on SEG-A at 45 km/h of 60 → B.
    r = client.post(
        "/api/v1/observations",
        json={"observations": [
            {"indicator": "st_speed", "entity": "TF-A", "time": when, "value": 45},
            {"indicator": "st_intensity", "entity": "TF-A", "time": when, "value": 820},
        ]},
        headers=auth,
    )  # fmt: skip
    assert r.status_code == 200, r.text
    # 2. NGSI-LD: a TrafficFlowObserved creates sensor TF-B on SEG-B; 9 km/h of 50 → F.
    entity = {
        "id": "urn:ngsi-ld:TrafficFlowObserved:TF-B",
        "type": "TrafficFlowObserved",
        "dateObserved": {"type": "Property", "value": when},
        "location": {
            "type": "GeoProperty",
            "value": {"type": "Point", "coordinates": [108.05, 12.67]},
        },
        "refRoadSegment": {"type": "Relationship", "object": "urn:ngsi-ld:RoadSegment:SEG-B"},
        "averageVehicleSpeed": {"type": "Property", "value": 9.0},
        "intensity": {"type": "Property", "value": 310},
        "occupancy": {"type": "Property", "value": 0.62},
    }
    r = client.post(
        "/ngsi-ld/v1/entityOperations/upsert?options=update",
        content=orjson.dumps([entity]),
        headers={**auth, "Content-Type": "application/json"},
    )
    assert r.status_code in (201, 204), r.text
    # 3. MQTT, the SDM way: one entity per vehicle class, for sensor TF-C on SEG-C.
    with factory() as s, s.begin():
        service.upsert_sensor(s, ACTOR, code="TF-C", name="Điểm đo C", segment_code="SEG-C",
                              lat=12.7, lon=108.1)  # fmt: skip
    payload = orjson.dumps([
        {"id": "urn:ngsi-ld:TrafficFlowObserved:TF-C", "type": "TrafficFlowObserved",
         "dateObserved": when, "averageVehicleSpeed": 66.0},
        {"id": "urn:ngsi-ld:TrafficFlowObserved:TF-C-moto", "refDevice": "urn:ngsi-ld:Device:TF-C",
         "type": "TrafficFlowObserved", "dateObserved": when, "vehicleType": "motorcycle",
         "intensity": 250},
        {"id": "urn:ngsi-ld:TrafficFlowObserved:TF-C-car", "refDevice": "urn:ngsi-ld:Device:TF-C",
         "type": "TrafficFlowObserved", "dateObserved": when, "vehicleType": "car", "intensity": 40},
    ])  # fmt: skip
    registry = load_registry()
    with factory() as s, s.begin():
        result = store_messages(s, [Incoming("ioc/gw-1/traffic", payload)], registry=registry,
                                decoders=Decoders(registry), offset=7 * 3600)  # fmt: skip
    assert result.failed == {} and result.stored == 3
    with factory() as s:
        states = {x.code: x for x in congestion.segment_states(s, now)}
        sensor = s.query(Entity).filter_by(code="TF-B").one()
        assert sensor.type == "TrafficFlowSensor"
        assert sensor.attributes["refRoadSegment"] == "urn:ngsi-ld:RoadSegment:SEG-B"
        severe = congestion.severe_segments(s, now)
    assert (states["SEG-A"].speed, states["SEG-A"].level, states["SEG-A"].intensity) == (
        45,
        "B",
        820,
    )
    assert (states["SEG-B"].speed, states["SEG-B"].level) == (9, "F")
    assert (states["SEG-C"].speed, states["SEG-C"].level) == (66, "A")
    assert states["SEG-D"].level == ""  # no sensor, no level
    assert [(x.labels["segment"], x.value) for x in severe] == [("SEG-B", 18.0)]
    # Readings older than IOC_ST_FLOW_MAX_AGE_S no longer decide the level.
    with factory() as s:
        later = {x.code: x.level for x in congestion.segment_states(s, now + timedelta(hours=1))}
    assert later["SEG-A"] == ""
    # The map API returns GeoJSON with the level's colour.
    geo = client.get("/api/v1/traffic/segments", headers=auth)
    assert geo.status_code == 403  # an ingest-only token may not read


def test_traffic_decoder_refuses_what_it_cannot_read() -> None:
    with pytest.raises(ValueError, match="vehicleType"):
        decode_traffic("t", orjson.dumps({"id": "x:TF", "type": "TrafficFlowObserved",
                                          "dateObserved": "2026-03-10T05:00:00Z",
                                          "vehicleType": "spaceship", "intensity": 1}))  # fmt: skip
    with pytest.raises(ValueError, match="dateObserved"):
        decode_traffic(
            "t", orjson.dumps({"id": "x:TF", "type": "TrafficFlowObserved", "intensity": 1})
        )
    with pytest.raises(ValueError, match="JSON"):
        decode_traffic("t", b"{nope")
    rows = decode_traffic("t", orjson.dumps({"id": "urn:ngsi-ld:TrafficFlowObserved:TF-9",
                                             "type": "TrafficFlowObserved", "occupancy": 0.5,
                                             "dateObserved": "2026-03-10T05:00:00Z"}))  # fmt: skip
    assert rows == [{"indicator": "st_occupancy", "entity": "TF-9", "time": "2026-03-10T05:00:00Z",
                     "value": 0.5, "unit": "fraction"}]  # fmt: skip


def test_peak_hour_profile_from_hourly_rollups(factory: sessionmaker[Session]) -> None:
    from ioc.core.models import Indicator
    from ioc.core.series import SeriesResolver, write_observations

    _segments(factory)
    end = datetime(2026, 3, 10, 17, 0, tzinfo=UTC)  # 00:00 local on 11/3
    with factory() as s, s.begin():
        indicator = s.query(Indicator).filter_by(code="st_intensity").one()
        info = SeriesResolver(s).get(indicator, "entity", "TF-A")
        rows = []
        for day in range(3):
            for local_hour in range(24):
                ts = int(end.timestamp()) - (day + 1) * 86400 + local_hour * 3600
                # Two readings per hour: the hour's volume is their sum.
                volume = 900 if local_hour == 17 else (700 if local_hour == 7 else 100)
                rows += [(info.id, ts, volume / 2, 0), (info.id, ts + 1800, volume / 2, 0)]
        write_observations(s, rows, {info.id: False}, 7 * 3600)
    with factory() as s:
        profile = congestion.peak_profile(s, ["TF-A"], end)
    assert profile[17] == 900 and profile[7] == 700 and profile[3] == 100
    assert congestion.peak_hour(profile) == 17
    assert congestion.peak_profile(Session(), [], end) == [None] * 24


def test_cameras_online_from_heartbeat(factory: sessionmaker[Session], client: TestClient,
                                       ingest_token: str) -> None:  # fmt: skip
    with factory() as s, s.begin():
        service.upsert_camera(s, ACTOR, code="CAM-1", name="Ngã Sáu", lat=12.668, lon=108.038,
                              agency_code="cong-an-tinh", stream_url="rtsp://cam.local/1")  # fmt: skip
        service.upsert_camera(s, ACTOR, code="CAM-2", name="Km5", lat=12.68, lon=108.06,
                              agency_code="cong-an-tinh")  # fmt: skip
    now = clock.now().replace(microsecond=0)
    r = client.post(
        "/api/v1/observations",
        json={"observations": [
            {"indicator": "st_camera_heartbeat", "entity": "CAM-1", "time": now.isoformat(), "value": 1},
            {"indicator": "st_camera_heartbeat", "entity": "CAM-2",
             "time": (now - timedelta(minutes=20)).isoformat(), "value": 1},
        ]},
        headers={"Authorization": f"Bearer {ingest_token}"},
    )  # fmt: skip
    assert r.status_code == 200, r.text
    with factory() as s:
        cams = {c.code: c for c in service.camera_states(s, now)}
    assert cams["CAM-1"].online and cams["CAM-1"].stream_url == "rtsp://cam.local/1"
    assert not cams["CAM-2"].online
    with pytest.raises(service.StError), factory() as s:
        service.upsert_camera(s, ACTOR, code="CAM-3", name="x", lat=1, lon=1, agency_code=None,
                              stream_url="javascript:alert(1)")  # fmt: skip
