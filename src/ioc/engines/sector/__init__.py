"""Sectors: the shared kit of the health, education and tourism packs (and of any further sector).

A sector is one provincial department's field seen from the IOC: its facilities or places on a
map (``entities``), its figures per commune in tables that the page shows and exports, and the
figures the department submits against their yearly targets (plan vs actual, from the
submissions engine). What differs from one sector to the next is data — the pack's
``sector.yaml`` read by :mod:`ioc.engines.sector.catalog` — and the few figures only that
sector computes; the rest is here:

* ``catalog`` — :class:`~ioc.engines.sector.catalog.Sector`, the pack's ``sector.yaml``, and plan
  vs actual over the pack's submitted indicators;
* ``entities`` — the facilities/places as entities with their latest figures;
* ``overview`` — key figures, the page's view model (:class:`SectorFigures`, which a pack
  subclasses with what only it computes), commune grouping, the entity table;
* ``maps`` — map markers, colour classes and the map's JSON;
* ``routes`` — the province page, the commune drill-down and the exports of a sector (on the
  template ``sector/page.html`` of ``ioc.web``), the commune lookup and table downloads;
* ``demo`` — the demo's ``demo.yaml``, months, batch writer, entities and targets;
* ``manifest`` — the pack manifest of a sector, and lazy manifest hooks for any pack.

A further sector is a catalog (``indicators.yaml``, ``sector.yaml``), a ``SectorFigures``
subclass, a page template extending ``sector/page.html`` and a manifest. Engines never import
packs: a pack hands its package name and its own callables in.
"""
