"""Pydantic models of the environment API's answers (public air quality), for the OpenAPI
document only (the routes build their answers themselves; see ``ioc.web.api_models``)."""

from __future__ import annotations

from pydantic import BaseModel, Field

__all__ = ["StationAqiAnswer", "StationsAnswer"]


class AqiValue(BaseModel):
    """One VN_AQI value (QĐ 1459/QĐ-TCMT) with its band."""

    time: str = Field(description="end of the hour, or local midnight of the day (ISO 8601)")
    aqi: int
    category: str
    category_name: str
    color: str
    dominant: str = Field(description="the pollutant setting the index")
    sub_indices: dict[str, int] = Field(description="index per pollutant")


class Concentration(BaseModel):
    value: float | None
    time: str


class StationSummary(BaseModel):
    """A station with its newest hourly VN_AQI (``current``: not older than the stale limit)."""

    code: str
    name: str
    lat: float | None
    lon: float | None
    commune_code: str | None
    commune: str | None
    agency: str | None
    aqi: AqiValue | None
    current: bool
    concentrations: dict[str, Concentration] = Field(description="newest value per pollutant")


class StationsAnswer(BaseModel):
    stations: list[StationSummary]


class Station(BaseModel):
    code: str
    name: str
    lat: float | None
    lon: float | None
    commune_code: str | None
    agency: str | None


class StationAqiAnswer(BaseModel):
    """A station's index values in ``[from, to]``."""

    station: Station
    resolution: str = Field(description="hour | day")
    from_: str = Field(alias="from")
    to: str
    method: str
    items: list[AqiValue]
