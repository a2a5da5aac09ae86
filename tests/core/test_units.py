"""Units in English: every unit a catalog writes in Vietnamese has an English name, so that an
English page never says "13,808 lượt"; symbols are the same in both languages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

import ioc
from ioc.core import i18n

# Units that read the same in every language (symbols and codes).
SYMBOLS = {
    "%", "1", "/100", "VN_AQI", "mg/L", "µg/L", "µg/m³", "°C", "°", "dB(A)", "MPN/100mL",
    "mm", "m/s", "hPa", "NTU", "km/h",
}  # fmt: skip


def _units(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "unit" and isinstance(value, str) and value:
                yield value
            else:
                yield from _units(value)
    elif isinstance(node, list):
        for item in node:
            yield from _units(item)


def test_every_catalog_unit_has_an_english_name() -> None:
    root = Path(ioc.__file__).parent
    found: dict[str, str] = {}
    for path in sorted(root.rglob("*.yaml")):
        for unit in _units(yaml.safe_load(path.read_text(encoding="utf-8"))):
            found.setdefault(unit, str(path.relative_to(root)))
    assert "lượt" in found  # the scan reads the catalogs
    missing = {u: where for u, where in found.items() if u not in SYMBOLS | set(i18n.UNITS_EN)}
    assert not missing, f"units without an English name (add to i18n.UNITS_EN): {missing}"


def test_counted_units_have_english_names() -> None:
    assert not i18n.COUNT_UNITS - set(i18n.UNITS_EN)


def test_unit_label_by_language() -> None:
    assert i18n.unit_label("lượt", "vi") == "lượt"
    assert i18n.unit_label("lượt", "en") == "visits"
    assert i18n.unit_label(" học  sinh ", "en") == "pupils"
    assert i18n.unit_label("µg/m³", "en") == "µg/m³"
    assert i18n.unit_label("phản ánh", "en") == "reports"
