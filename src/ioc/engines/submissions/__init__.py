"""Nộp số liệu định kỳ — the generic engine for figures agencies submit monthly, quarterly or
yearly (socio-economic, health, education, tourism …), knowing indicators and series only.

How a pack takes part: in its ``indicators.yaml`` give an indicator a monthly (``P1M``),
quarterly (``P3M``) or yearly (``P1Y``) ``frequency`` and an ``owner_agency`` (an agency code
of the agencies table, or ``commune_committees`` for "each commune/ward People's Committee
for its own area"); ``area_level: commune`` asks the owner for one value per current
commune/ward instead of one for the province; ``min_value``/``max_value`` bound the values;
``jump_factor`` overrides the change against last period that needs confirmation. Nothing
else: templates, uploads, the status board, reminders and plan-vs-actual follow.

Modules:

* :mod:`.periods` — periods ``2026-03`` / ``2026-Q1`` / ``2026`` and deadlines;
* :mod:`.catalog` — obligations (which agency owes which indicators and areas per period);
* :mod:`.templates` — the XLSX template per agency × period;
* :mod:`.upload` — validation and the submit / confirm / cancel actions;
* :mod:`.values` — values in the series store and their change history;
* :mod:`.targets` — yearly targets, set by hand or imported;
* :mod:`.progress` — year to date, plan %, same period last year, forecast, status (pure);
* :mod:`.report` — plan-vs-actual rows for pages;
* :mod:`.board` — the status board and the reminder job.

Values live in the series store (subject kind ``area``, stamped at the period's first day);
the ``sub_*`` tables keep targets, submissions, the value history and reminders.
"""

from __future__ import annotations

from ioc.core.registry import Registry
from ioc.engines.jobs.scheduler import Job
from ioc.engines.submissions.board import reminder_job_fn
from ioc.engines.submissions.catalog import Catalog, catalog_from_registry
from ioc.settings import Settings

__all__ = ["Catalog", "catalog_from_registry", "reminder_job"]

REMINDER_JOB = "submissions.remind"


def reminder_job(registry: Registry, settings: Settings, every_s: float = 3600) -> Job:
    """The periodic reminder job (hourly by default; it sends each reminder once)."""
    run = reminder_job_fn(
        lambda: catalog_from_registry(registry),
        settings.sub_deadline_working_days,
        settings.sub_remind_days_before,
    )
    return Job(REMINDER_JOB, every_s, run)
