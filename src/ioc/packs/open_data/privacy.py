"""The last guard before data leaves through an open-data door: whatever a dataset's rows
function returns, columns that name personal data are dropped and e-mail addresses and phone
numbers inside texts are masked. Datasets flagged non-public never get here."""

from __future__ import annotations

import re
from typing import Any

from ioc.core.registry import DatasetRows

MASK = "[…]"
PERSONAL_COLUMN = re.compile(
    r"(phone|e_?mail|reporter|citizen|person|full_?name|user_?name|password|secret|token|"
    r"hash|cccd|cmnd|identity|birth|ip_?addr|so_dien_thoai|ho_ten)",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Vietnamese phone numbers: +84, (+84), 84 or 0 then 8–10 digits, spaces/dots/dashes between.
_PHONE = re.compile(r"(?<!\d)(?:\(?\+?84\)?|0)(?:[\s.\-]?\d){8,10}(?!\d)")


def mask_text(value: str) -> str:
    """``value`` with e-mail addresses and phone numbers masked."""
    return _PHONE.sub(MASK, _EMAIL.sub(MASK, value))


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return mask_text(value)
    return value


def scrub(data: DatasetRows) -> DatasetRows:
    """``data`` without personal columns and with contacts masked in every text cell."""
    keep = [i for i, c in enumerate(data.columns) if not PERSONAL_COLUMN.search(c)]
    return DatasetRows(
        columns=tuple(data.columns[i] for i in keep),
        rows=[tuple(_clean(row[i]) for i in keep) for row in data.rows],
        lat_column=data.lat_column if data.lat_column in data.columns else None,
        lon_column=data.lon_column if data.lon_column in data.columns else None,
        geometry_column=data.geometry_column,
    )
