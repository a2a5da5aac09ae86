"""The view model of a sector's pages: key figures, the province (or commune) overview, the
communes' facilities or places, and the entity table the page shows and exports.

Tables are built once as :class:`ioc.engines.exports.Table` so a page and its XLSX/CSV export
show the same rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session

from ioc.core import communes as core_communes
from ioc.core import i18n
from ioc.engines.exports import Table
from ioc.engines.sector.catalog import Column, Sector
from ioc.engines.sector.entities import Place
from ioc.engines.submissions.plan import Figure

P = TypeVar("P", bound=Place)


def as_int(value: float | None) -> int | None:
    """A count as shown: rounded to a whole number (``None`` stays ``None``)."""
    return None if value is None else round(value)


def rounded(value: float | None, decimals: int = 1) -> float | None:
    """A rate as shown: rounded to ``decimals`` (``None`` stays ``None``)."""
    return None if value is None else round(value, decimals)


def thousands(value: float | None) -> int | None:
    """A count in thousands (a map marker's short label)."""
    return None if value is None else round(value / 1000)


@dataclass
class Kpi:
    """A key figure (``code``: the catalog indicator it shows, when it is one)."""

    label: str
    value: str
    unit: str = ""
    note: str = ""
    status: str = ""
    code: str = ""


@dataclass
class Overview:
    """Everything the province page (or one commune's page) shows: key figures, charts, the
    commune table with its drill-down links, the entity table with its links, and the markers
    of both maps."""

    kpis: list[Kpi]
    charts: dict[str, Any]
    communes: Table
    commune_links: list[str]
    entities: Table
    entity_links: list[str]
    commune_markers: list[dict[str, Any]]
    entity_markers: list[dict[str, Any]]


def by_commune(items: Iterable[P]) -> dict[str, list[P]]:
    """Entities grouped by their commune's code (``""`` for none)."""
    out: dict[str, list[P]] = {}
    for p in items:
        out.setdefault(p.area_code or "", []).append(p)
    return out


def among(series: dict[str, dict[str, Any]], indicator: str, codes: set[str]) -> dict[str, Any]:
    """The series of ``indicator`` of the entities ``codes`` only (from
    :func:`ioc.core.figures.series_of`)."""
    return {k: v for k, v in series.get(indicator, {}).items() if k in codes}


def _cell(column: Column, value: float | None) -> Any:
    if column.round == "int":
        return as_int(value)
    if isinstance(column.round, int):
        return rounded(value, column.round)
    return value


def entity_table(
    sector: Sector,
    items: Sequence[P],
    names: dict[str, str],
    lang: str,
    computed: dict[str, Callable[[P], float | None]] | None = None,
) -> Table:
    """The facilities or places with their latest figures (the page's table and its export):
    code, name, kind, commune, the catalog's figure columns, source. ``computed``: the figures
    the pack derives (by the column's ``figure`` name)."""
    t = i18n.translate
    spec = sector.entity_table
    computed = computed or {}
    p = sector.prefix

    def value(item: P, column: Column) -> float | None:
        if column.figure in computed:
            return computed[column.figure](item)
        return item.latest.get(column.figure)

    return Table(
        title=t(spec["title"], lang),
        header=[
            t(f"{p}.col.code", lang),
            t(spec["name"], lang),
            t(spec["kind"], lang),
            t(f"{p}.col.commune", lang),
            *[
                t(c.key, lang) + (f" ({i18n.unit_label(c.unit, lang)})" if c.unit else "")
                for c in sector.columns
            ],
            t(f"{p}.col.source", lang),
        ],
        rows=[
            [
                item.code,
                item.name,
                t(f"{spec['kind_names']}.{item.kind}", lang),
                names.get(item.area_code or "", item.area_code or ""),
                *[_cell(c, value(item, c)) for c in sector.columns],
                "demo" if item.demo else "",
            ]
            for item in items
        ],
        notes=[t(f"{p}.note_latest", lang)],
    )


def entity_links(sector: Sector, items: Iterable[Place]) -> list[str]:
    """The drill-down link of each entity's row (its commune's page)."""
    return [sector.commune_url(str(p.area_code)) for p in items]


# The commune table, its drill-down links and the commune map's markers.
CommuneParts = tuple[Table, list[str], list[dict[str, Any]]]


@dataclass
class Page(Generic[P]):
    """What one page is asked for: the session, the instant, the language, the commune
    (``None``: the province), the area's submitted figures (the plan table's), every commune's
    name, the communes shown and the sector's entities shown."""

    session: Session
    now_ts: int
    lang: str
    commune: str | None
    official: dict[str, Figure]
    names: dict[str, str]
    shown: list[Any]
    items: list[P]


class SectorFigures(Generic[P]):
    """What a sector pack computes for its pages. A pack subclasses it with its
    :meth:`places` and :meth:`build`; :meth:`overview` is the view model of its province page
    and of each commune's page."""

    sector: Sector

    def communes(self, session: Session) -> list[Any]:
        """The province's current communes (with their map position)."""
        return list(core_communes.communes(session))

    def places(self, session: Session, commune: str | None) -> list[P]:
        """The sector's entities (of one commune if given)."""
        raise NotImplementedError

    def build(self, page: Page[P]) -> Overview:
        """The view model of ``page``."""
        raise NotImplementedError

    def overview(
        self,
        session: Session,
        now_ts: int,
        lang: str,
        commune: str | None = None,
        official: dict[str, Figure] | None = None,
    ) -> Overview:
        """The province page (or, with ``commune``, that commune's page); ``official``: the
        area's submitted figures (:meth:`Sector.plan_figures`, read once with the plan table),
        so that tiles and the plan table show the same numbers."""
        every = self.communes(session)
        return self.build(
            Page(
                session=session,
                now_ts=now_ts,
                lang=lang,
                commune=commune,
                official=official or {},
                names={c.code: c.name for c in every},
                shown=[c for c in every if commune is None or c.code == commune],
                items=self.places(session, commune),
            )
        )

    def assemble(
        self,
        page: Page[P],
        kpis: list[Kpi],
        charts: dict[str, Any],
        communes: CommuneParts,
        markers: list[dict[str, Any]],
        computed: dict[str, Callable[[P], float | None]] | None = None,
    ) -> Overview:
        """The overview of ``page`` from the pack's key figures, charts, commune table and
        entity markers; the entity table is the catalog's (``computed``: its derived figures)."""
        table, links, commune_markers = communes
        return Overview(
            kpis=kpis,
            charts=charts,
            communes=table,
            commune_links=links,
            entities=entity_table(self.sector, page.items, page.names, page.lang, computed),
            entity_links=entity_links(self.sector, page.items),
            commune_markers=commune_markers,
            entity_markers=markers,
        )
