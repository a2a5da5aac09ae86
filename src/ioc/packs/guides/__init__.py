"""Tuyên truyền, tập huấn — guides pack: in-app guides per service and role (Vietnamese
first), a first-login tour, the practice workspace page and adoption statistics.

The manifest is this module's only export; other packs (the yearly report) and the app use
``public`` (:func:`~ioc.packs.guides.public.adoption_summary`,
:func:`~ioc.packs.guides.public.record_view`).
"""

from __future__ import annotations

from ioc.core.registry import NavEntry, PackManifest, lazy, pack_manifest

__all__ = ["manifest"]


def manifest() -> PackManifest:
    """The guides pack's contributions."""
    return pack_manifest(
        __name__,
        "gd.title",
        nav=(NavEntry("/guides", "gd.nav", "public", "main"),),
        page_view=lazy(f"{__name__}.public", "record_view"),
    )
