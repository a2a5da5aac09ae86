"""Reading the YAML files the IOC ships and the ones an administrator names in the settings.

One loader for all of them: PyYAML's safe loader in its libyaml (C) build when the installed
PyYAML has it, the pure-Python one otherwise. Both build the same plain values (safe tags
only); the C one reads a file several times faster, which matters because packs re-read their
configuration at every start-up (and the tests start the application hundreds of times).
"""

from __future__ import annotations

from typing import Any

import yaml

_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load(text: str) -> Any:
    """The plain value (dict, list, str, number, bool or None) of one YAML document."""
    return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader (C or Python)
