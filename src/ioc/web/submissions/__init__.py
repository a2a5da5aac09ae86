"""Nộp số liệu — pages of the submission engine (for every pack's submitted indicators).

* ``/submissions`` — status board of a period (who submitted, who is late); agency staff see
  their own agency, download its template and upload the filled file — :mod:`.board`;
* ``/submissions/{id}`` — one submission: row/column errors, warnings to confirm, values,
  changes made — :mod:`.detail`;
* ``/submissions/history`` — every change of a submitted value (who, what, when) —
  :mod:`.history`;
* ``/submissions/targets`` — yearly targets (admin): edit, import from XLSX, export —
  :mod:`.targets`.
"""

from __future__ import annotations

from fastapi import APIRouter

from ioc.web.submissions import board, detail, history, targets
from ioc.web.submissions.common import value_text

__all__ = ["router", "value_text"]

router = APIRouter(include_in_schema=False)
router.include_router(board.router)
router.include_router(detail.router)
router.include_router(history.router)
router.include_router(targets.router)
