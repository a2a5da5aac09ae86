"""Pages of the documents pack: overview (``/documents``), document list, directives, tasks,
file import, evidence downloads and the XLSX/CSV export of every table.

Signed-in users (``Permission.VIEW``). Agency staff see and act on their own agency's
documents and tasks only; leaders, operators and admins see every agency. Which task actions a
role may take is decided by :func:`ioc.packs.documents.tasks.may` (routes only forward).

Modules: ``context`` (what the pages share), ``overview`` (overview and document list),
``directives`` (directives, tasks, evidence), ``imports`` (register import), ``exports``.
"""

from __future__ import annotations

from fastapi import APIRouter

from ioc.packs.documents.pages import directives, exports, imports, overview

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
for _part in (overview, directives, imports, exports):
    router.include_router(_part.router)
