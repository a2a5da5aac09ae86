"""A sector's catalog: the pack's ``sector.yaml`` (what it counts, how it is drawn and named) and
plan vs actual over the indicators the department submits.

The file sits beside the pack's ``indicators.yaml``; its keys are documented on
:class:`Sector`. Text keys are the pack's own i18n keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, cached_property
from importlib.resources import files
from typing import Any

from sqlalchemy.orm import Session

from ioc.core import yaml_text
from ioc.core.indicators import load_catalog
from ioc.engines.exports import Table
from ioc.engines.submissions import plan
from ioc.engines.submissions.catalog import Catalog, catalog_of
from ioc.engines.submissions.plan import Figure
from ioc.engines.submissions.report import Row

# Map colour of a kind the catalog does not name.
OTHER_KIND_COLOR = "#5B6777"


@dataclass(frozen=True)
class Column:
    """A figure column of the entity table: its header key, the entity's figure (an indicator
    code, or a name the pack computes), the rounding (``int``, a number of decimals, or none)
    and a unit shown in the header."""

    key: str
    figure: str
    round: int | str | None = None
    unit: str = ""


@dataclass(frozen=True, eq=False)
class Sector:
    """One sector pack as its ``sector.yaml`` describes it.

    ``name`` the pack, ``prefix`` its i18n prefix, ``url`` its page, ``export_stem`` the start
    of its download names; ``types`` the entity types with their kinds and each kind's map
    colour (legend order); ``default_kind`` of an entity without one; ``kind_label`` the word
    for a kind in error messages; ``figures`` the indicators read as each entity's latest
    figures; ``plan`` the submitted indicators of the plan table; ``classes`` the commune
    colour classes (lower bound, fill, text colour); ``tables`` the exportable tables;
    ``entity_table`` the entity table's title, name and kind column keys, the kind names'
    key prefix and its figure ``columns``; ``page`` the page's ``template``, the entity
    map's ``map_label`` key and element name ``entity_map``.
    """

    package: str
    name: str
    prefix: str
    url: str
    export_stem: str
    types: dict[str, dict[str, str]]
    default_kind: str
    kind_label: str
    figures: tuple[str, ...]
    plan: tuple[str, ...]
    classes: tuple[tuple[float, str, str], ...]
    tables: tuple[str, ...]
    entity_table: dict[str, str] = field(default_factory=dict)
    columns: tuple[Column, ...] = ()
    page: dict[str, str] = field(default_factory=dict)

    @property
    def kind_colors(self) -> dict[str, str]:
        """Every kind's map colour, in legend order."""
        return {k: c for kinds in self.types.values() for k, c in kinds.items()}

    @property
    def kinds(self) -> tuple[str, ...]:
        """Every kind, in legend order."""
        return tuple(self.kind_colors)

    def color(self, kind: str) -> str:
        """Map colour of a kind."""
        return self.kind_colors.get(kind, OTHER_KIND_COLOR)

    def commune_url(self, code: str) -> str:
        """The drill-down page of a commune."""
        return f"{self.url}/communes/{code}"

    @cached_property
    def catalog(self) -> Catalog:
        """The pack's submitted indicators."""
        return catalog_of(load_catalog(self.package, self.name))

    def plan_rows(self, session: Session, area: str, now: datetime) -> list[Row]:
        """The plan rows of ``area``, read once for the key-figure tiles and the table."""
        return plan.plan_rows(session, self.catalog, self.plan, area, now)

    @staticmethod
    def plan_figures(found: list[Row], lang: str) -> dict[str, Figure]:
        """The latest figure of each plan row (what the tiles show and the table's latest
        column)."""
        return plan.latest_figures(found, lang)

    def plan_vs_actual(
        self, session: Session, area: str, now: datetime, lang: str, found: list[Row] | None = None
    ) -> tuple[Table, dict[str, Any]]:
        """The plan-vs-actual table and its bar chart (actual as % of the yearly target)."""
        return plan.plan_vs_actual(
            session, self.catalog, self.plan, area, now, lang, self.prefix, found
        )


def _column(raw: dict[str, Any]) -> Column:
    return Column(str(raw["key"]), str(raw["figure"]), raw.get("round"), str(raw.get("unit", "")))


@cache
def load_sector(package: str) -> Sector:
    """The ``sector.yaml`` of ``package`` (a pack's module name), read once."""
    raw: dict[str, Any] = yaml_text.load(
        (files(package) / "sector.yaml").read_text(encoding="utf-8")
    )
    table = dict(raw.get("entity_table") or {})
    columns = tuple(_column(c) for c in table.pop("columns", ()))
    return Sector(
        package=package,
        name=str(raw["name"]),
        prefix=str(raw["prefix"]),
        url=str(raw["url"]),
        export_stem=str(raw["export_stem"]),
        types={
            str(t): {str(k): str(c) for k, c in kinds.items()} for t, kinds in raw["types"].items()
        },
        default_kind=str(raw.get("default_kind", "")),
        kind_label=str(raw.get("kind_label", "loại")),
        figures=tuple(raw.get("figures", ())),
        plan=tuple(raw.get("plan", ())),
        classes=tuple((float(c[0]), str(c[1]), str(c[2])) for c in raw.get("classes", ())),
        tables=tuple(raw.get("tables", ())),
        entity_table={str(k): str(v) for k, v in table.items()},
        columns=columns,
        page={str(k): str(v) for k, v in (raw.get("page") or {}).items()},
    )
