"""Indicator settings: VN_AQI and VN_WQI choices, the derive worker, noise and weather limits,
data freshness, and how often the overview, wall and alert console refresh."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class IndicatorSettings(BaseModel):
    """Derived indicators (VN_AQI, VN_WQI, noise, weather), data freshness and how often the
    screens refresh."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    air_nowcast_form: Literal["normalised", "literal"] = "normalised"
    """NowCast when w = 1/2: QĐ 1459 prints a sum without division; ``normalised`` divides by
    the weights (as the reference implementation does). See docs/air-quality.md."""

    air_aqi_cap: int | None = 500
    """Cap on VN_AQI above level 8 (the decision is silent); empty for no cap."""

    air_min_daily_hours: int = 0
    """Minimum hourly values for a daily mean/maximum (the decision sets none; 0 = no rule)."""

    air_min_8h_values: int = 6
    """Minimum hourly values in an O3 8-hour window for its mean to count."""

    water_wqi_formula: Literal["3", "5"] = "3"
    """VN_WQI (QĐ 1460) final formula when microbiology (group V) is measured: ``3`` = square
    root of WQI_IV·WQI_V, ``5`` = weighted cube root of WQI_IV²·WQI_V. Without group V Formula 4
    applies regardless. Unconfirmed against the decision's text; see water-quality.md §8."""

    water_repeated_breakpoint_edge: Literal["100", "75"] = "75"
    """VN_WQI sub-index of a value exactly at the repeated first breakpoint of N-NH4, Cd, Pb, Hg
    (e.g. N-NH4 = 0.3 mg/L): ``75`` as the source tables read, or ``100``."""

    derive_worker: Literal["thread", "off"] = "thread"
    """Who computes derived indicators (VN_AQI) after ingestion: ``thread`` = a background thread
    of the web process; ``off`` = a separate ``ioc derive`` process does it."""

    derive_delay_ms: int = 500
    """The longest the derive worker spaces its rounds to gather batches that arrive while one
    runs: a round starts at least twice the CPU time of the previous one after it (at least
    100 ms, at most this), so deriving takes at most about a third of the process. Also its
    pause before retrying work a busy database left queued."""

    noise_day_start_hour: int = 6
    """Start of the daytime noise period, local hour (QCVN 26:2010/BTNMT: 6 h; unverified)."""

    noise_night_start_hour: int = 21
    """Start of the night-time noise period, local hour (QCVN 26:2010/BTNMT: 21 h; unverified)."""

    noise_limit_day_db: float = 70.0
    """Daytime LAeq limit in dB(A) (QCVN 26:2010 ordinary areas: 70; unverified)."""

    noise_limit_night_db: float = 55.0
    """Night-time LAeq limit in dB(A) (QCVN 26:2010 ordinary areas: 55; unverified)."""

    weather_hot_c: float = 35.0
    """Air temperature (°C) from which a weather station is flagged "nắng nóng" (heat)."""

    weather_rain_24h_mm: float = 50.0
    """Rain over the last 24 hours (mm) from which a station is flagged "mưa lớn" (heavy rain)."""

    weather_wind_ms: float = 10.8
    """Wind speed (m/s) from which a station is flagged "gió mạnh" (Beaufort 6, 10.8 m/s)."""

    overview_refresh_seconds: int = 60
    """How often the overview page refreshes its tiles."""

    tile_cache_seconds: float = Field(default=30.0, ge=0)
    """How long a service's overview tile is reused before its figures are read again (the
    overview and the wall ask every pack; 0 reads them on every request)."""

    freshness_grace: float = Field(default=1.5, ge=1.0, le=10.0)
    """Grace factor of the data-intake tile: a series is late once its newest value is older
    than its indicator's expected interval (catalog ``frequency``) times this factor."""

    freshness_sampled_days: int = Field(default=35, ge=1, le=400)
    """Expected days between two values of a ``sampled`` series (laboratory water samples on
    a monthly programme), before the grace factor."""

    wall_rotate_seconds: int = Field(default=20, ge=5, le=3600)
    """Big-screen mode (``/wall``): seconds each view (tiles, map, alert list) stays on the
    video wall before the next one; ``?rotate=N`` overrides it per screen."""

    alerts_refresh_seconds: int = Field(default=5, ge=2, le=600)
    """How often the alerts console and the big screen fetch fresh data, in seconds."""
