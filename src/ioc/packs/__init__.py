"""The IOC's packs (see README.md for the layout of one pack).

:data:`PACKS` is the one list of the built-in packs: the web application and the ``ioc``
command load them from it (``ioc.app.load_registry``), ``ioc.models_all`` imports the model
module each manifest names, and ``tests/test_layout.py`` checks the packs it lists against the
layout and against the import-linter contract that keeps them independent (pyproject.toml).
Adding a pack is adding its folder, with a ``manifest()`` in its ``__init__.py``, and its name
here; nothing else is edited by hand.
"""

from __future__ import annotations

# Load order matters where a pack reads what others registered: the communes board scores the
# commune figures of the packs before it, open data catalogues every pack's datasets.
PACKS: tuple[str, ...] = (
    "environment",
    "field_reports",
    "documents",
    "health",
    "education",
    "tourism",
    "socio_economic",
    "public_services",
    "cybersecurity",
    "security_traffic",
    "guides",
    "reporting",
    "warnings",
    "communes",  # after the packs whose commune figures it scores
    "planning",  # planning zones and infrastructure assets (issue 21)
    "open_data",  # the catalogue of every pack's datasets (issue 21)
)


def module_names(names: tuple[str, ...] = PACKS) -> tuple[str, ...]:
    """The importable module of each pack (``ioc.packs.<name>``), in load order."""
    return tuple(f"{__name__}.{name}" for name in names)
