"""Demo data of a sector [demo]: the pack's ``demo.yaml`` (facilities or places, province
figures, targets — invented, NOT official), the months before the demo's end, a writer that
stores the generated observations in one batch, and the yearly targets of the plan table.

:func:`pack_demo` (the ``load_demo`` of a generator of :class:`DemoRun`) serves any pack.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from importlib.resources import files
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ioc.core import yaml_text
from ioc.core.audit import Actor
from ioc.core.models import Indicator
from ioc.core.series import SeriesResolver, month_bucket, write_observations
from ioc.engines.geo import current_locator
from ioc.engines.sector.catalog import Sector
from ioc.engines.sector.entities import first_place_exists, upsert_place
from ioc.engines.submissions.targets import set_target


@dataclass(frozen=True)
class DemoRun:
    """One demo load: the session factory, the end of the demo period, its length in hours,
    the local time's offset from UTC (seconds) and the progress callback."""

    factory: sessionmaker[Session]
    end: datetime
    hours: int
    offset: int
    progress: Callable[[int], None] | None

    @property
    def end_ts(self) -> int:
        """The end as UNIX seconds."""
        return int(self.end.timestamp())

    @property
    def last_year(self) -> int:
        """The local year before the end's."""
        return datetime.fromtimestamp(self.end_ts + self.offset, tz=UTC).year - 1

    def report(self, stored: int) -> None:
        """Tell the caller how many observations are stored so far."""
        if self.progress is not None:
            self.progress(stored)


def pack_demo(
    generate: Callable[[DemoRun], int],
    *,
    hours: int = 24 * 365,
    loaded: Callable[[Session], object] | None = None,
) -> Callable[..., int]:
    """A pack's ``load_demo(factory, *, end, hours, offset, progress)`` (what ``ioc demo``
    calls): ``generate`` the demo over the ``hours`` (by default ``hours``) before ``end``,
    unless ``loaded`` says the pack's demo is there already (then 0). Returns what
    ``generate`` stored."""

    def load_demo(
        factory: sessionmaker[Session],
        *,
        end: datetime,
        hours: int = hours,
        offset: int = 7 * 3600,
        progress: Callable[[int], None] | None = None,
        **_: object,
    ) -> int:
        if loaded is not None:
            with factory() as session:
                if loaded(session):
                    return 0
        return generate(DemoRun(factory, end, hours, offset, progress))

    load_demo.__doc__ = generate.__doc__
    return load_demo


def demo_loader(sector: Sector, generate: Callable[[DemoRun], int]) -> Callable[..., int]:
    """The sector pack's ``load_demo``: ``generate`` the sector's demo before ``end``, unless
    the sector already has entities (then 0). Returns the number of observations stored."""
    return pack_demo(generate, loaded=partial(first_place_exists, sector))


class DemoPlace(Protocol):
    """A facility or place of a demo (approximate position)."""

    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def lat(self) -> float: ...
    @property
    def lon(self) -> float: ...
    @property
    def commune(self) -> str: ...


@dataclass(frozen=True)
class DemoSite:
    """The fields every demo facility or place has, in the order of its ``demo.yaml`` row; a
    pack's demo adds its own figures after them (a school's pupils, a hospital's beds)."""

    code: str
    name: str
    kind: str
    lat: float
    lon: float
    commune: str


def add_places(
    sector: Sector,
    session: Session,
    items: Iterable[DemoPlace],
    type_of: Callable[[Any], str],
    agency: str,
    attributes: Callable[[Any], dict[str, Any]] | None = None,
) -> None:
    """Create the demo entities, each point kept inside its commune whatever boundaries are
    loaded; ``attributes`` beyond ``demo: true`` when given."""
    actor = Actor.system("demo")
    locator = current_locator(session)
    for p in items:
        lat, lon = locator.point_in(p.commune, p.lat, p.lon)
        upsert_place(
            sector,
            session,
            actor,
            type_of(p),
            code=p.code,
            name=p.name,
            kind=p.kind,
            lat=lat,
            lon=lon,
            area_code=p.commune,
            agency_code=agency,
            attributes=attributes(p) if attributes is not None else {"demo": True},
        )


def demo_data(package: str) -> dict[str, Any]:
    """The ``demo.yaml`` beside a pack's demo module."""
    raw: dict[str, Any] = yaml_text.load((files(package) / "demo.yaml").read_text("utf-8"))
    return raw


def months_before(end_ts: int, offset: int, count: int) -> list[int]:
    """The starts (UNIX seconds) of the ``count`` local months before the month of ``end_ts``,
    oldest first (``offset``: the local time's offset from UTC, seconds)."""
    months = [month_bucket(end_ts, offset)]
    for _ in range(count):
        local = datetime.fromtimestamp(months[-1] + offset, tz=UTC)
        year, month = (local.year - 1, 12) if local.month == 1 else (local.year, local.month - 1)
        months.append(int(datetime(year, month, 1, tzinfo=UTC).timestamp()) - offset)
    return sorted(months[1:])


def local_month_start(year: int, month: int, offset: int) -> int:
    """The start (UNIX seconds) of a local month."""
    return int(datetime(year, month, 1, tzinfo=UTC).timestamp()) - offset


class DemoWriter:
    """Collects demo observations of one pack's indicators and stores them in one batch."""

    def __init__(self, session: Session, offset: int, pack: str) -> None:
        self.session = session
        self.offset = offset
        self.resolver = SeriesResolver(session)
        self.indicators = {
            i.code: i
            for i in session.execute(select(Indicator).where(Indicator.pack == pack)).scalars()
        }
        self.rows: list[tuple[int, int, float, int]] = []
        self.label_end: dict[int, bool] = {}

    def add(
        self, indicator: str, subject: str, ts: int, value: float, kind: str = "entity"
    ) -> None:
        """One observation of ``indicator`` for ``subject`` (an entity's or area's code)."""
        info = self.resolver.get(self.indicators[indicator], kind, subject)
        self.rows.append((info.id, ts, float(value), 0))
        self.label_end[info.id] = info.label_end

    def flush(self) -> int:
        """Store what was collected; returns how many observations were stored."""
        stored = write_observations(self.session, self.rows, self.label_end, self.offset).stored
        self.rows = []
        return stored


def set_targets(
    session: Session,
    actor: Actor,
    targets: Mapping[str, Mapping[int, float]],
    area_code: str,
    source_document: str,
) -> None:
    """The yearly targets ``{indicator: {year: value}}`` of ``area_code``."""
    indicators = {
        i.code: i
        for i in session.execute(
            select(Indicator).where(Indicator.code.in_(list(targets)))
        ).scalars()
    }
    for code, by_year in targets.items():
        for year, value in by_year.items():
            set_target(
                session,
                actor,
                indicator=indicators[code],
                area_code=area_code,
                year=year,
                value=value,
                source_document=source_document,
            )
