"""Numbers and units as agencies type them in their report files: Vietnamese notation
(``1.234,5``), and units of one kind at another scale (``triệu đồng`` for ``tỷ đồng``)."""

from __future__ import annotations

import math
import re
import unicodedata

from ioc.engines.ingestion.tabular import CellValue

_GROUPED = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+$")

# Units of one kind a sender may use instead of the catalog's, with their scale.
_SCALES: tuple[dict[str, float], ...] = (
    {"đồng": 1.0, "nghìn đồng": 1e3, "triệu đồng": 1e6, "tỷ đồng": 1e9, "nghìn tỷ đồng": 1e12},
    {"usd": 1.0, "nghìn usd": 1e3, "triệu usd": 1e6, "tỷ usd": 1e9},
    {"người": 1.0, "nghìn người": 1e3},
    {"tấn": 1.0, "nghìn tấn": 1e3},
)


def parse_number(value: CellValue) -> float | None:
    """A cell as a number: Excel numbers as they are; text in Vietnamese (``1.234,5``) or plain
    (``1234.5``) notation, spaces and a trailing ``%`` ignored. None when it is not a number.

    Typed text with dots only in groups of three (``18.500``) is read the Vietnamese way, as
    thousands (18500); any other single dot is a decimal point (``103.2``)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        text = value.replace("\u00a0", "").replace(" ", "").rstrip("%")
        if "," in text or _GROUPED.match(text):
            text = text.replace(".", "").replace(",", ".")
        try:
            number = float(text)
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _norm_unit(unit: str) -> str:
    # NFC: a unit typed on another keyboard may carry combining accents.
    return " ".join(unicodedata.normalize("NFC", unit).casefold().split())


def unit_factor(given: str, expected: str) -> float | None:
    """Multiplier turning a value in ``given`` into ``expected`` (1.0 when the same unit),
    None when they are not of one kind."""
    g, e = _norm_unit(given), _norm_unit(expected)
    if g == e:
        return 1.0
    for scale in _SCALES:
        if g in scale and e in scale:
            return scale[g] / scale[e]
    return None
