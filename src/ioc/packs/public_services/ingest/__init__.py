"""Tiếp nhận hồ sơ TTHC: validate and upsert procedures, dossiers and feedback in batches.

One action, :func:`ingest_batch`, serves the JSON API, the XLSX/CSV import page and the demo:

* rows are validated one by one; an invalid row is reported with its section, row number
  (1-based within the section, or the spreadsheet row), dossier id, field and a Vietnamese and
  English message; ``atomic=True`` stores nothing when any row is invalid;
* dossiers are **idempotent by id** (``id``, the iGate dossier code): a new id is inserted, a
  known id is updated to the sent state (a dossier moves: received → processing →
  supplement → finished), the same state again changes nothing, and a state older than the
  stored one (by the source's ``updated_at``) is ignored as stale;
* the ``ps_stats`` aggregates are kept current in the same transaction: the old state's
  contributions are subtracted and the new state's added, so scores change without
  duplicates and without recomputing anything else;
* one audit row per batch. The caller (request, import, demo, job) owns the transaction.

Field reference (JSON keys; the import accepts the same names or the Vietnamese headers in
:data:`HEADER_ALIASES`): see ``docs`` of the API route. Times are ISO 8601; a time without an
offset is local time (Asia/Ho_Chi_Minh).

Modules: ``fields`` (one field of a row, the import template's headers), ``rows`` (one row of
each section), ``store`` (upserts and the aggregates), ``batch`` (the action), ``rebuild``
(recomputing from stored dossiers), ``report`` (what happened to a batch).
"""

from __future__ import annotations

from ioc.packs.public_services.ingest.batch import check_owners, ingest_batch
from ioc.packs.public_services.ingest.fields import (
    HEADER_ALIASES,
    TEMPLATE_HEADERS,
    fold_header,
    rows_from_table,
)
from ioc.packs.public_services.ingest.rebuild import rebuild_stats, rederive_all
from ioc.packs.public_services.ingest.report import IngestReport, RowProblem
from ioc.packs.public_services.ingest.rows import workday_math
from ioc.packs.public_services.ingest.store import (
    COMPARED,
    apply_deltas,
    derived_values,
    dossier_row,
)

__all__ = [
    "COMPARED",
    "HEADER_ALIASES",
    "TEMPLATE_HEADERS",
    "IngestReport",
    "RowProblem",
    "apply_deltas",
    "check_owners",
    "derived_values",
    "dossier_row",
    "fold_header",
    "ingest_batch",
    "rebuild_stats",
    "rederive_all",
    "rows_from_table",
    "workday_math",
]
