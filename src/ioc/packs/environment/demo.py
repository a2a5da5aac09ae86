"""Demo data of the environment pack: the demo stations and a year of hourly readings."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ioc.core.audit import Actor
from ioc.core.models import Indicator
from ioc.core.series import SeriesResolver, write_observations
from ioc.engines.derive import run_pending
from ioc.engines.geo import current_locator
from ioc.packs.environment import demo_networks, service
from ioc.packs.environment.demo_data import DEMO_STATIONS, expected_rows, generate_hourly
from ioc.packs.environment.demo_networks import NETWORK_STATIONS

CHUNK_HOURS = 24 * 7  # one transaction per week of data for all stations (~10k rows)


def load_demo(
    factory: sessionmaker[Session],
    *,
    end: datetime,
    hours: int = 24 * 365,
    offset: int = 7 * 3600,
    progress: Callable[[int], None] | None = None,
    networks: bool = True,
) -> int:
    """Create the demo stations and store ``hours`` of readings ending at ``end``: the air
    network, and (``networks``) the weather, noise and surface-water stations.

    Returns the number of observations stored. ``progress`` is called with rows done.
    """
    actor = Actor.system("demo")
    stations: list[tuple[Any, str, dict[str, object]]] = [
        (st, service.STATION_TYPE, {"kind": st.kind}) for st in DEMO_STATIONS
    ]
    if networks:
        stations += [(ns, ns.entity_type, {}) for ns in NETWORK_STATIONS]
    with factory() as session, session.begin():
        # Each demo station stays inside its commune, whatever boundaries are loaded.
        locator = current_locator(session)
        for st, entity_type, attributes in stations:
            lat, lon = locator.point_in(st.commune_code, st.lat, st.lon)
            service.upsert_station(
                session,
                actor,
                code=st.code,
                name=st.name,
                lat=lat,
                lon=lon,
                area_code=st.commune_code,
                agency_code=st.agency_code,
                attributes=attributes,
                entity_type=entity_type,
            )
    start = (end - timedelta(hours=hours)).replace(minute=0, second=0, microsecond=0)
    store = _Store(factory, offset, progress)
    # One pass of each generator (weather episodes run continuously through the year), cut
    # into weekly transactions as the time stream crosses each boundary.
    store.stream(generate_hourly(DEMO_STATIONS, start, hours), start)
    if networks:
        store.stream(demo_networks.generate(start, hours), start)
    return store.total


class _Store:
    """Writes a time-ordered stream of demo readings in weekly transactions."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        offset: int,
        progress: Callable[[int], None] | None,
    ) -> None:
        self.factory = factory
        self.offset = offset
        self.progress = progress
        self.total = 0
        self.series: dict[tuple[str, str], tuple[int, bool]] = {}

    def stream(self, readings: Iterable[tuple[str, str, datetime, float]], start: datetime) -> None:
        """Store every reading of ``readings``."""
        buffer: list[tuple[str, str, int, float]] = []
        boundary = int(start.timestamp()) + CHUNK_HOURS * 3600
        for code, indicator, when, value in readings:
            ts = int(when.timestamp())
            if ts > boundary:
                self._flush(buffer)
                buffer = []
                boundary += CHUNK_HOURS * 3600
            buffer.append((code, indicator, ts, value))
        if buffer:
            self._flush(buffer)

    def _flush(self, buffer: list[tuple[str, str, int, float]]) -> None:
        with self.factory() as session, session.begin():
            resolver = SeriesResolver(session)
            rows: list[tuple[int, int, float, int]] = []
            label_end: dict[int, bool] = {}
            indicators: dict[str, Indicator] = {}
            for code, indicator_code, ts, value in buffer:
                key = (code, indicator_code)
                found = self.series.get(key)
                if found is None:
                    indicator = (
                        indicators.get(indicator_code)
                        or session.execute(
                            select(Indicator).where(Indicator.code == indicator_code)
                        ).scalar_one()
                    )
                    indicators[indicator_code] = indicator
                    info = resolver.get(indicator, "entity", code)
                    found = self.series[key] = (info.id, info.label_end)
                rows.append((found[0], ts, value, 0))
                label_end[found[0]] = found[1]
            self.total += write_observations(session, rows, label_end, self.offset).stored
        run_pending(self.factory)
        if self.progress is not None:
            self.progress(self.total)


def demo_size(hours: int, networks: bool = True) -> int:
    """Upper bound of rows :func:`load_demo` writes (for progress bars)."""
    extra = (2 * 6 + 2 * 2) * hours + hours // 24 * 10 if networks else 0
    return expected_rows(DEMO_STATIONS, hours) + extra
