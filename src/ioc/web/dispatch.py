"""Action dispatcher routes: one POST route per kind of object for its state-changing forms
(``/alerts/{id}/acknowledge``, ``…/assign`` …) instead of one copied route per action.

The action name is a path segment matched by a convertor that knows only the kind's actions,
so the dispatcher answers exactly the URLs the separate routes did: any other name is still a
404 (no route), and a GET on an action URL still a 405.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from starlette.convertors import Convertor, register_url_convertor


class ActionName(Convertor[str]):
    """A path segment that is one of a fixed set of action names (the subclass's ``regex``)."""

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


def register_actions(convertor: str, names: Iterable[str]) -> str:
    """Register the path convertor ``convertor`` that matches only ``names``; returns the
    convertor name, for route paths written ``{action:<convertor>}``."""
    pattern = "|".join(re.escape(name) for name in names)
    kind = type(f"ActionName_{convertor}", (ActionName,), {"regex": f"(?:{pattern})"})
    register_url_convertor(convertor, kind())
    return convertor
