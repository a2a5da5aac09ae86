"""Alert labels as people read them: each label's name (``alerts.label.<key>``) and its value's
name — an agency, commune, indicator, station, rule, pack or severity from the catalogs, a
domain from ``alerts.value.domain.<value>``, a pack's own values (disease, report category,
website) from its ``label_names`` hook. Labels stay codes in the database (rules route and
group on them); only pages turn them into words.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import i18n
from ioc.core.models import Agency, Area, Entity, Indicator
from ioc.core.registry import Registry
from ioc.engines.alerting.models import AlertRule

# Labels whose value is a free text or an identifier people read as it is (a report number,
# a URL, a document number, the words a defacement check found).
AS_WRITTEN = frozenset({"report", "task", "directive", "url", "keywords", "name", "dossier"})


class LabelNamer:
    """Names of labels and of their values for one page (lookups cached per instance)."""

    def __init__(self, session: Session, registry: Registry | None, lang: str) -> None:
        self.session = session
        self.registry = registry
        self.lang = lang
        self._maps: dict[str, dict[str, str]] = {}

    def _map(self, kind: str) -> dict[str, str]:
        found = self._maps.get(kind)
        if found is not None:
            return found
        vi = self.lang == "vi"
        stmt: Any
        if kind == "agency":
            stmt = select(Agency.code, Agency.name)
        elif kind == "area":
            stmt = select(Area.code, Area.name).where(Area.valid_to.is_(None))
        elif kind == "entity":
            stmt = select(Entity.code, Entity.name)
        elif kind == "indicator":
            stmt = select(Indicator.code, Indicator.name_vi if vi else Indicator.name_en)
        else:  # rules
            stmt = select(AlertRule.uid, AlertRule.title)
        found = {str(code): str(name) for code, name in self.session.execute(stmt).all()}
        self._maps[kind] = found
        return found

    def name(self, label: str) -> str:
        """The label's name (``Bệnh`` for ``disease``); an unknown label keeps its key."""
        key = f"alerts.label.{label}"
        return i18n.translate(key, self.lang) if key in i18n.catalog() else label

    def value(self, label: str, value: str) -> str:
        """The value's name in the catalogs, else the value as written."""
        text = str(value)
        if label in AS_WRITTEN:
            return text
        if label == "agency":
            return self._map("agency").get(text, text)
        if label == "area":
            return self._map("area").get(text, text)
        if label in ("subject", "station", "entity", "camera", "segment"):
            return self._map("area").get(text) or self._map("entity").get(text, text)
        if label == "indicator":
            return self._map("indicator").get(text, text)
        if label == "alertname":
            return self._map("rule").get(text, text)
        if label == "pack" and self.registry is not None:
            for pack in self.registry.packs:
                if pack.name == text:
                    return i18n.translate(pack.title_key, self.lang)
        key = f"alerts.severity.{text}" if label == "severity" else f"alerts.value.{label}.{text}"
        if key in i18n.catalog():
            return i18n.translate(key, self.lang)
        if self.registry is not None:
            named = self.registry.label_value_name(self.session, label, text, self.lang)
            if named:
                return named
        return text

    def pairs(self, labels: Mapping[str, str]) -> list[tuple[str, str, str]]:
        """``(label, its name, the value's name)`` of every label, by label name."""
        out = [(k, self.name(k), self.value(k, v)) for k, v in labels.items()]
        return sorted(out, key=lambda item: item[1].lower())


def namer(
    session: Session, registry: Registry | None, lang: str
) -> tuple[Callable[[str], str], Callable[[str, str], str]]:
    """``(label name, value name)`` functions for a template."""
    made = LabelNamer(session, registry, lang)
    return made.name, made.value
