"""Import every model module so ``Base.metadata`` is complete (migrations, ``create_all``)."""

from __future__ import annotations

import importlib

MODEL_MODULES = (
    "ioc.core.models",
    "ioc.core.calendar",
    "ioc.engines.alerting.models",
    "ioc.engines.alerting.notify.models",
    "ioc.engines.jobs.models",
    "ioc.engines.submissions.models",
    "ioc.engines.geo.models",
    "ioc.engines.ngsi_ld.models",
    "ioc.packs.environment.models",
    "ioc.packs.field_reports.models",
    "ioc.packs.documents.models",
    "ioc.packs.cybersecurity.models",
    "ioc.packs.security_traffic.models",
    "ioc.packs.public_services.models",
    "ioc.packs.guides.models",
    "ioc.packs.reporting.models",
    "ioc.packs.warnings.models",
    "ioc.packs.communes.models",
    "ioc.packs.planning.models",
)


def import_all_models() -> None:
    """Import the model modules of core and of every pack."""
    for name in MODEL_MODULES:
        importlib.import_module(name)
