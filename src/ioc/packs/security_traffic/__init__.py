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

from datetime import datetime
from typing import Any

from ioc.core.indicators import IndicatorSpec, load_catalog
from ioc.core.registry import NavEntry, NgsiType, PackManifest, RecordSample
from ioc.packs.security_traffic.commune_figures import figures as _commune_figures

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


def _indicators() -> list[IndicatorSpec]:
    return load_catalog("ioc.packs.security_traffic", "security_traffic")


def _startup(settings: Any) -> None:
    from ioc.packs.security_traffic import congestion

    congestion.configure(settings)


def _convert(indicator: str, value: float, unit: str) -> float:
    from ioc.packs.security_traffic.decoders import convert

    return convert(indicator, value, unit)


def _decode_traffic(topic: str, payload: bytes) -> list[dict[str, Any]]:
    from ioc.packs.security_traffic.decoders import decode_traffic

    return decode_traffic(topic, payload)


def _api_router() -> Any:
    from ioc.packs.security_traffic.api import router

    return router


def _page_router() -> Any:
    from ioc.packs.security_traffic.pages import router

    return router


def _tile(session: Any, lang: str) -> Any:
    from ioc.packs.security_traffic.pages import overview_tile

    return overview_tile(session, lang)


def _demo(*args: Any, **kwargs: Any) -> Any:
    from ioc.packs.security_traffic.demo import load_demo

    return load_demo(*args, **kwargs)


def _demo_feed(factory: Any, now: datetime) -> str | None:
    from ioc.packs.security_traffic.demo import feed_live

    return feed_live(factory, now)


def _severe(session: Any, now: datetime) -> list[RecordSample]:
    from ioc.packs.security_traffic.congestion import severe_segments

    return severe_segments(session, now)


def manifest() -> PackManifest:
    """The public order and traffic pack's contributions."""
    return PackManifest(
        commune_figures=_commune_figures,  # the commune scorecards (/xa)
        name="security_traffic",
        models="ioc.packs.security_traffic.models",  # its tables (ioc.models_all)
        title_key="st.title",
        indicators=_indicators,
        api_router=_api_router,
        page_router=_page_router,
        tile=_tile,
        nav=(NavEntry("/traffic", "st.nav"),),
        unit_converter=_convert,
        entity_types=("RoadSegment", "TrafficFlowSensor", "Camera"),
        ngsi_types=NGSI_TYPES,
        mqtt_decoders={"traffic": _decode_traffic},
        demo=_demo,
        on_startup=_startup,
        alert_rules_file="alert_rules.yaml",
        record_sources={"congestion_severe": _severe},
        # Keeps the demo's sensors and cameras current; a no-op without demo data.
        jobs=(("security_traffic.demo_feed", 60.0, _demo_feed),),
    )
