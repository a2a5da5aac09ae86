"""Pages of the public-services pack (signed-in staff, ``Permission.VIEW``; import: ``INGEST``).

* ``/public-services`` — overview: province scorecard, rankings of agencies and communes,
  12-month trend, commune map, early warning; every figure links to its dossiers;
* ``/public-services/agencies/{code}`` and ``/public-services/communes/{code}`` — one unit;
* ``/public-services/dossiers`` — dossier list with filters and drill-down, ``/{code}`` detail;
* ``.../export`` — every table as XLSX or CSV;
* ``/public-services/import`` — XLSX/CSV import of dossiers (same action as the API).

Modules: ``context`` (what every page shares), ``overview`` (overview and unit pages),
``dossiers`` (list, export, detail), ``exports`` (the overview's tables), ``imports``.
"""

from __future__ import annotations

from fastapi import APIRouter

from ioc.packs.public_services.pages import dossiers, exports, imports, overview
from ioc.packs.public_services.pages.context import local_time, score_class

__all__ = ["local_time", "router", "score_class"]

router = APIRouter(include_in_schema=False)
for _part in (overview, dossiers, exports, imports):
    router.include_router(_part.router)
