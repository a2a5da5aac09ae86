"""Unit conversion for the environment pack's indicators (on the way in)."""

from __future__ import annotations

from ioc.packs.environment.aqi import POLLUTANTS, to_ugm3

_CATALOG_UNITS = {
    "humidity": "%",
    "air_temp": "°c",
    "w_temp": "°c",
    "pressure": "hpa",
    "rain": "mm",
    "wind_speed": "m/s",
}


def _norm(unit: str) -> str:
    return (
        unit.strip().lower().replace("³", "3").replace("µ", "u").replace("μ", "u").replace(" ", "")
    )


def convert(indicator: str, value: float, unit: str) -> float:
    """``value`` given in ``unit`` as the indicator's catalog unit; ``ValueError`` if impossible."""
    if indicator in POLLUTANTS:
        return to_ugm3(indicator, value, unit)
    u = _norm(unit)
    if indicator == "humidity" and u in ("1", "fraction"):
        return value * 100
    if indicator in ("air_temp", "w_temp") and u in ("k", "kelvin"):
        return value - 273.15
    if indicator == "pressure" and u == "pa":
        return value / 100
    if indicator == "wind_speed" and u == "km/h":
        return value / 3.6
    if indicator == "rain" and u in ("l/m2", "kg/m2"):
        return value  # 1 L/m² of rain is 1 mm
    if indicator.startswith("w_") and u in ("mg/l", "g/m3"):
        return value  # mg/L = g/m³; µg/L parameters are declared in µg/L
    if _CATALOG_UNITS.get(indicator) == u:
        return value
    raise ValueError(f"{indicator}: không chuyển được từ {unit} / cannot convert from {unit}")
