"""Licences the catalogue may name: id -> title and URL (CKAN ``license_*``, DCAT
``dct:license``)."""

from __future__ import annotations

LICENCES: dict[str, tuple[str, str]] = {
    "CC-BY-4.0": (
        "Creative Commons Attribution 4.0",
        "https://creativecommons.org/licenses/by/4.0/",
    ),
    "CC-BY-SA-4.0": (
        "Creative Commons Attribution Share-Alike 4.0",
        "https://creativecommons.org/licenses/by-sa/4.0/",
    ),
    "CC0-1.0": (
        "Creative Commons CCZero 1.0",
        "https://creativecommons.org/publicdomain/zero/1.0/",
    ),
    "internal": ("Dùng nội bộ cơ quan nhà nước / internal use", ""),
}


def title(licence: str) -> str:
    """The licence's title."""
    return LICENCES.get(licence, (licence, ""))[0]


def url(licence: str) -> str:
    """The licence's URL ('' when it has none)."""
    return LICENCES.get(licence, ("", ""))[1]
