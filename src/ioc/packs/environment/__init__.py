"""Giám sát Môi trường — environment pack: air-quality stations, VN_AQI, QCVN 05:2023.

Public module of the pack: other packs import only what is listed in ``__all__``.
"""

from __future__ import annotations

from typing import Any

from ioc.core.registry import NavEntry, NgsiType, PackManifest, lazy, pack_manifest

__all__ = ["manifest"]


def _page_router() -> Any:
    from fastapi import APIRouter

    from ioc.packs.environment import networks, pages

    router = APIRouter(include_in_schema=False)
    router.include_router(pages.router)
    router.include_router(networks.router)  # after pages: /environment/{tab} is a catch-all
    return router


def _startup(settings: Any) -> None:
    from ioc.core.clock import fixed_offset_seconds
    from ioc.packs.environment import service, water
    from ioc.packs.environment.aqi import AqiPolicy
    from ioc.packs.environment.wqi import WqiPolicy

    service.configure(
        AqiPolicy(
            nowcast_form=settings.air_nowcast_form,
            cap=settings.air_aqi_cap,
            min_daily_hours=settings.air_min_daily_hours,
            min_8h_values=settings.air_min_8h_values,
        ),
        fixed_offset_seconds(settings.timezone),
    )
    water.configure(
        WqiPolicy(
            formula=settings.water_wqi_formula,
            repeated_breakpoint_edge=settings.water_repeated_breakpoint_edge,
        )
    )


# Smart Data Models types the pack takes in (MQTT payloads, NGSI-LD API) and what they become.
NGSI_TYPES = {
    "AirQualityObserved": NgsiType(
        entity_type="AirQualityStation",
        attributes={p: p for p in ("pm25", "pm10", "o3", "no2", "so2", "co")},
    ),
    "WaterQualityObserved": NgsiType(
        entity_type="WaterQualityStation",
        attributes={
            "pH": "w_ph",
            "temperature": "w_temp",
            "O2": "w_do",
            "bod": "w_bod5",
            "cod": "w_cod",
            "NH4": "w_nh4",
            "NO3": "w_no3",
            "PO4": "w_po4",
            "tss": "w_tss",
            "turbidity": "w_turbidity",
            "escherichiaColi": "w_ecoli",
        },
    ),
    "NoiseLevelObserved": NgsiType(
        entity_type="NoiseStation",
        attributes={"LAeq": "laeq", "LAmax": "lamax"},
        time_attribute="dateObservedTo",
    ),
    "WeatherObserved": NgsiType(
        entity_type="WeatherStation",
        attributes={
            "temperature": "air_temp",
            "relativeHumidity": "humidity",
            "precipitation": "rain",
            "windSpeed": "wind_speed",
            "windDirection": "wind_dir",
            "atmosphericPressure": "pressure",
        },
        # Smart Data Models give relative humidity as a fraction 0–1.
        units={"relativeHumidity": "fraction"},
    ),
}


def manifest() -> PackManifest:
    """The environment pack's contributions."""
    from ioc.packs.environment import service, water  # VN_AQI and VN_WQI, derived per batch

    return pack_manifest(
        __name__,
        "tile.environment",
        page_router=_page_router,
        tile=lazy(f"{__name__}.pages", "overview_tile"),
        nav=(NavEntry("/environment", "nav.environment"),),
        unit_converter=lazy(f"{__name__}.units", "convert"),
        entity_types=("AirQualityStation", "WaterQualityStation", "NoiseStation", "WeatherStation"),
        ngsi_types=NGSI_TYPES,
        on_startup=_startup,
        listeners=(service.on_observations_written, water.on_observations_written),
        derive_handlers={
            service.DERIVE_KIND: service.recompute_station,
            water.DERIVE_KIND: water.recompute_wqi,
        },
        # The AQI alert rules read each station's newest hourly index from env_aqi.
        record_sources={"aqi_hour": lazy(f"{__name__}.queries", "aqi_hour_records")},
    )
