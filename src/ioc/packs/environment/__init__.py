"""Giám sát Môi trường — environment pack: air-quality stations, VN_AQI, QCVN 05:2023.

Public module of the pack: other packs import only what is listed in ``__all__``.
"""

from __future__ import annotations

from typing import Any

from ioc.core.indicators import IndicatorSpec, load_catalog
from ioc.core.registry import NavEntry, NgsiType, PackManifest

__all__ = ["manifest"]


def _indicators() -> list[IndicatorSpec]:
    return load_catalog("ioc.packs.environment", "environment")


def _api_router() -> Any:
    from ioc.packs.environment.routes import router

    return router


def _page_router() -> Any:
    from ioc.packs.environment.pages import router

    return router


def _tile(session: Any, lang: str) -> Any:
    from ioc.packs.environment.pages import overview_tile

    return overview_tile(session, lang)


def _convert(indicator: str, value: float, unit: str) -> float:
    from ioc.packs.environment.aqi import POLLUTANTS, to_ugm3

    if indicator not in POLLUTANTS:
        raise ValueError(f"{indicator} không có đơn vị chuyển đổi / no unit conversion")
    return to_ugm3(indicator, value, unit)


def _startup(settings: Any) -> None:
    from ioc.core.clock import fixed_offset_seconds
    from ioc.core.series import on_observations_written
    from ioc.engines.derive import register_handler
    from ioc.packs.environment import service
    from ioc.packs.environment.aqi import AqiPolicy

    service.configure(
        AqiPolicy(
            nowcast_form=settings.air_nowcast_form,
            cap=settings.air_aqi_cap,
            min_daily_hours=settings.air_min_daily_hours,
            min_8h_values=settings.air_min_8h_values,
        ),
        fixed_offset_seconds(settings.timezone),
    )
    on_observations_written(service.on_observations_written)
    register_handler(service.DERIVE_KIND, service.recompute_station)


def _demo(*args: Any, **kwargs: Any) -> Any:
    from ioc.packs.environment.demo import load_demo

    return load_demo(*args, **kwargs)


def manifest() -> PackManifest:
    """The environment pack's contributions."""
    return PackManifest(
        name="environment",
        title_key="tile.environment",
        indicators=_indicators,
        api_router=_api_router,
        page_router=_page_router,
        tile=_tile,
        nav=(NavEntry("/environment", "nav.environment"),),
        unit_converter=_convert,
        entity_types=("AirQualityStation",),
        ngsi_types={
            "AirQualityObserved": NgsiType(
                entity_type="AirQualityStation",
                attributes={p: p for p in ("pm25", "pm10", "o3", "no2", "so2", "co")},
            )
        },
        demo=_demo,
        on_startup=_startup,
    )
