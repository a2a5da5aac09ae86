"""Giám sát an ninh trật tự và điều hành giao thông — public order and traffic pack.

* **Road segments** are entities of type ``RoadSegment`` (Smart Data Models
  ``dataModel.Transportation/RoadSegment``): ``attributes`` hold ``geometry`` (GeoJSON
  LineString, [lon, lat]), ``road`` (QL14 …), ``freeFlowSpeed`` (km/h), ``totalLaneNumber``,
  ``length`` (km).
* **Flow readings** come as SDM ``TrafficFlowObserved`` (NGSI-LD API, MQTT ``sdm`` or
  ``traffic`` topics, or ``POST /api/v1/observations``). Each observation point is an entity of
  type ``TrafficFlowSensor`` whose ``refRoadSegment`` names its segment, as in the SDM model;
  ``intensity`` (vehicles in the period), ``averageVehicleSpeed`` (km/h) and ``occupancy``
  (fraction 0–1, stored in %) become series. Counts by vehicle class: the SDM way is one
  entity per ``vehicleType`` (read by the MQTT decoder ``traffic``); the NGSI-LD API also takes
  the extension attributes ``intensityMotorcycle``, ``intensityCar``, ``intensityTruck``,
  ``intensityBus``.
* **Congestion** per segment: level of service A–F from speed as % of free-flow speed
  (``congestion.py``, bands ``IOC_ST_LOS_BANDS``).
* **Cameras** are entities of type ``Camera`` (SDM has no camera model; ``Device`` with
  ``controlledProperty`` would fit the heartbeat but not the stream and the owner, so the IOC's
  own type is used): ``attributes.stream_url`` when a stream is configured, ``agency_code`` is
  the owner; online/offline from the ``st_camera_heartbeat`` series (value 1 per heartbeat).
* **Incidents**: ``st_incidents`` (accidents, camera-counted violations, public-order).
"""

from __future__ import annotations

from ioc.core.registry import NgsiType, PackManifest, lazy, page_manifest

__all__ = ["manifest"]

FLOW_ATTRIBUTES = {
    "intensity": "st_intensity",
    "averageVehicleSpeed": "st_speed",
    "occupancy": "st_occupancy",
    "intensityMotorcycle": "st_count_motorcycle",
    "intensityCar": "st_count_car",
    "intensityTruck": "st_count_truck",
    "intensityBus": "st_count_bus",
}

NGSI_TYPES = {
    "TrafficFlowObserved": NgsiType(
        entity_type="TrafficFlowSensor",
        attributes=FLOW_ATTRIBUTES,
        # SDM gives occupancy as a fraction of the observation time (0–1).
        units={"occupancy": "fraction"},
    ),
}


def manifest() -> PackManifest:
    """The public order and traffic pack's contributions."""
    return page_manifest(
        __name__,
        "st",
        "/traffic",
        unit_converter=lazy(f"{__name__}.decoders", "convert"),
        entity_types=("RoadSegment", "TrafficFlowSensor", "Camera"),
        ngsi_types=NGSI_TYPES,
        mqtt_decoders={"traffic": lazy(f"{__name__}.decoders", "decode_traffic")},
        on_startup=lazy(f"{__name__}.congestion", "configure"),
        record_sources={"congestion_severe": lazy(f"{__name__}.congestion", "severe_segments")},
        # Keeps the demo's sensors and cameras current; a no-op without demo data.
        jobs=(("security_traffic.demo_feed", 60.0, lazy(f"{__name__}.demo", "feed_live")),),
    )
