"""Who owes which figures: submission obligations derived from the packs' indicator catalogs.

An indicator is *submitted* when its catalog entry names an ``owner_agency`` and its frequency
is monthly (``P1M``), quarterly (``P3M``) or yearly (``P1Y``). Its ``area_level`` says whether
the owner gives one value for the province or one per current commune/ward; the owner
``commune_committees`` means each commune/ward People's Committee gives its own area's value.

The engine knows packs only through the registry: :func:`catalog_from_registry` collects the
submitted indicators of every registered pack.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from weakref import WeakKeyDictionary

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core.indicators import COMMUNE_COMMITTEES, IndicatorSpec
from ioc.core.models import Agency, Area, Indicator
from ioc.core.registry import Registry
from ioc.engines.submissions.periods import FREQUENCIES, Period


@dataclass(frozen=True)
class AreaInfo:
    """A current area as the templates and pages show it."""

    code: str
    name: str
    level: str
    lat: float | None
    lon: float | None


@dataclass
class AreaBook:
    """The province and its current communes/wards (read once per request or job)."""

    province: AreaInfo
    communes: list[AreaInfo]
    by_code: dict[str, AreaInfo] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session) -> AreaBook:
        """Current areas from the ``areas`` table."""
        rows = session.execute(
            select(Area).where(Area.valid_to.is_(None)).order_by(Area.name_folded)
        ).scalars()
        province: AreaInfo | None = None
        communes: list[AreaInfo] = []
        for a in rows:
            info = AreaInfo(a.code, a.name, a.level, a.lat, a.lon)
            if a.level == "province":
                province = info
            elif a.level in ("ward", "commune"):
                communes.append(info)
        if province is None:
            province = AreaInfo("66", "Tỉnh Đắk Lắk", "province", None, None)
        book = cls(province, communes)
        book.by_code = {a.code: a for a in [province, *communes]}
        return book


@dataclass(frozen=True)
class AgencyInfo:
    """An agency that owes figures."""

    code: str
    name: str
    kind: str
    area_code: str | None
    id: int


@dataclass(frozen=True)
class Obligation:
    """One agency's figures for one period: indicators and, per indicator, the areas."""

    agency: AgencyInfo
    period: Period
    indicators: tuple[IndicatorSpec, ...]
    areas: dict[str, tuple[str, ...]]

    @property
    def cells(self) -> int:
        """How many values the agency owes."""
        return sum(len(v) for v in self.areas.values())


class Catalog:
    """The submitted indicators of all packs, by code."""

    def __init__(self, specs: Iterable[IndicatorSpec]) -> None:
        self.specs: dict[str, IndicatorSpec] = {
            s.code: s for s in specs if s.owner_agency and s.frequency in FREQUENCIES
        }

    def __bool__(self) -> bool:
        return bool(self.specs)

    def get(self, code: str) -> IndicatorSpec | None:
        """The submitted indicator ``code``, if any."""
        return self.specs.get(code)

    def owned_by(self, agency: AgencyInfo, frequency: str | None = None) -> list[IndicatorSpec]:
        """Indicators ``agency`` submits (of one frequency, or all), in catalog order."""
        out = []
        for spec in self.specs.values():
            if frequency is not None and spec.frequency != frequency:
                continue
            if spec.owner_agency == agency.code or (
                spec.owner_agency == COMMUNE_COMMITTEES and agency.kind == "commune_committee"
            ):
                out.append(spec)
        return out

    def areas_for(self, spec: IndicatorSpec, agency: AgencyInfo, book: AreaBook) -> tuple[str, ...]:
        """The areas ``agency`` gives ``spec`` for."""
        if spec.owner_agency == COMMUNE_COMMITTEES:
            return (agency.area_code,) if agency.area_code in book.by_code else ()
        if spec.area_level == "commune":
            return tuple(a.code for a in book.communes)
        return (book.province.code,)

    def obligation(self, agency: AgencyInfo, period: Period, book: AreaBook) -> Obligation | None:
        """What ``agency`` owes for ``period`` (None when nothing)."""
        specs = self.owned_by(agency, period.frequency)
        if not specs:
            return None
        areas = {s.code: self.areas_for(s, agency, book) for s in specs}
        specs = [s for s in specs if areas[s.code]]
        if not specs:
            return None
        return Obligation(agency, period, tuple(specs), {s.code: areas[s.code] for s in specs})

    def owner_codes(self) -> set[str]:
        """Agency codes named as owners (``commune_committees`` included as such)."""
        return {s.owner_agency for s in self.specs.values() if s.owner_agency}

    def obligations(self, session: Session, period: Period, book: AreaBook) -> list[Obligation]:
        """Every agency's obligation for ``period``: departments first, then communes."""
        owners = self.owner_codes()
        stmt = select(Agency).where(Agency.valid_to.is_(None))
        out: list[Obligation] = []
        for agency in session.execute(stmt.order_by(Agency.kind, Agency.name)).scalars():
            if agency.code not in owners and not (
                COMMUNE_COMMITTEES in owners and agency.kind == "commune_committee"
            ):
                continue
            ob = self.obligation(agency_info(agency), period, book)
            if ob is not None:
                out.append(ob)
        out.sort(key=lambda o: (o.agency.kind == "commune_committee", o.agency.name))
        return out

    def indicator_rows(self, session: Session) -> dict[str, Indicator]:
        """The ``indicators`` rows of the submitted indicators, by code."""
        if not self.specs:
            return {}
        rows = session.execute(
            select(Indicator).where(Indicator.code.in_(list(self.specs)))
        ).scalars()
        return {r.code: r for r in rows}


def agency_info(agency: Agency) -> AgencyInfo:
    """Plain copy of an agency row."""
    return AgencyInfo(agency.code, agency.name, agency.kind, agency.area_code, agency.id)


def load_agency(session: Session, code: str) -> AgencyInfo | None:
    """The current agency ``code``, if it exists."""
    row = session.execute(select(Agency).where(Agency.code == code)).scalar_one_or_none()
    return agency_info(row) if row is not None else None


def agency_by_id(session: Session, agency_id: int | None) -> AgencyInfo | None:
    """The agency with primary key ``agency_id``."""
    if agency_id is None:
        return None
    row = session.get(Agency, agency_id)
    return agency_info(row) if row is not None else None


_cache: WeakKeyDictionary[Registry, Catalog] = WeakKeyDictionary()


def catalog_from_registry(registry: Registry) -> Catalog:
    """The submitted indicators of every registered pack (cached per frozen registry)."""
    found = _cache.get(registry)
    if found is None:
        specs: list[IndicatorSpec] = []
        for pack in registry.packs:
            specs.extend(pack.indicators())
        found = Catalog(specs)
        _cache[registry] = found
    return found


def catalog_of(specs: Sequence[IndicatorSpec]) -> Catalog:
    """A catalog of the given specs (tests, tools)."""
    return Catalog(specs)
