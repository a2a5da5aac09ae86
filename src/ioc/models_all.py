"""Import every model module so ``Base.metadata`` is complete (migrations, ``create_all``)."""

from __future__ import annotations

import importlib

from ioc import packs

# The tables of the IOC itself; a pack's tables are named by its manifest (``models``).
CORE_MODEL_MODULES = (
    "ioc.core.models",
    "ioc.core.calendar",
    "ioc.engines.alerting.models",
    "ioc.engines.alerting.notify.models",
    "ioc.engines.jobs.models",
    "ioc.engines.submissions.models",
    "ioc.engines.geo.models",
    "ioc.engines.ngsi_ld.models",
)


def pack_model_modules() -> tuple[str, ...]:
    """The model module each pack of :data:`ioc.packs.PACKS` declares, in load order."""
    names: list[str] = []
    for module_name in packs.module_names():
        models = importlib.import_module(module_name).manifest().models
        if models:
            names.append(models)
    return tuple(names)


def import_all_models() -> None:
    """Import the model modules of core, engines and every pack."""
    for name in (*CORE_MODEL_MODULES, *pack_model_modules()):
        importlib.import_module(name)
