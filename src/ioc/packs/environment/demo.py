"""Demo data of the environment pack: the demo stations and a year of hourly readings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ioc.core.audit import Actor
from ioc.core.models import Indicator
from ioc.core.series import SeriesResolver, write_observations
from ioc.engines.derive import run_pending
from ioc.packs.environment import service
from ioc.packs.environment.demo_data import DEMO_STATIONS, expected_rows, generate_hourly

CHUNK_HOURS = 24 * 7  # one transaction per week of data for all stations (~10k rows)


def load_demo(
    factory: sessionmaker[Session],
    *,
    end: datetime,
    hours: int = 24 * 365,
    offset: int = 7 * 3600,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Create the demo stations and store ``hours`` of readings ending at ``end``.

    Returns the number of observations stored. ``progress`` is called with rows done.
    """
    actor = Actor.system("demo")
    with factory() as session, session.begin():
        for st in DEMO_STATIONS:
            service.upsert_station(
                session,
                actor,
                code=st.code,
                name=st.name,
                lat=st.lat,
                lon=st.lon,
                area_code=st.commune_code,
                agency_code=st.agency_code,
                attributes={"kind": st.kind},
            )
    start = (end - timedelta(hours=hours)).replace(minute=0, second=0, microsecond=0)
    total = 0
    with factory() as session:
        indicators = {
            i.code: i
            for i in session.execute(
                select(Indicator).where(Indicator.code.in_(service.POLLUTANTS))
            ).scalars()
        }
    # One pass of the generator (its weather episodes run continuously through the year),
    # cut into weekly transactions as the time stream crosses each boundary.
    rows: list[tuple[int, int, float, int]] = []
    label_end: dict[int, bool] = {}
    series_ids: dict[tuple[str, str], int] = {}
    boundary = int(start.timestamp()) + CHUNK_HOURS * 3600

    def flush() -> None:
        nonlocal total, rows
        with factory() as session, session.begin():
            total += write_observations(session, rows, label_end, offset).stored
        run_pending(factory)
        rows = []
        if progress is not None:
            progress(total)

    with factory() as session, session.begin():
        resolver = SeriesResolver(session)
        for st in DEMO_STATIONS:
            for pollutant in service.POLLUTANTS:
                info = resolver.get(indicators[pollutant], "entity", st.code)
                series_ids[(st.code, pollutant)] = info.id
                label_end[info.id] = True
    for code, pollutant, when, value in generate_hourly(DEMO_STATIONS, start, hours):
        ts = int(when.timestamp())
        if ts > boundary:
            flush()
            boundary += CHUNK_HOURS * 3600
        rows.append((series_ids[(code, pollutant)], ts, value, 0))
    if rows:
        flush()
    return total


def demo_size(hours: int) -> int:
    """Upper bound of rows :func:`load_demo` writes (for progress bars)."""
    return expected_rows(DEMO_STATIONS, hours)
