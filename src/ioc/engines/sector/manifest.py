"""The manifest of a sector pack: its catalog, its pages (built on :mod:`ioc.engines.sector.routes`
by the pack's ``pages`` module), its overview tile, its menu entry, its entity types and its
demo — each loaded when first used, so that importing the pack stays cheap."""

from __future__ import annotations

from typing import Any

from ioc.core.registry import PackManifest, attribute, lazy, page_manifest

__all__ = ["attribute", "lazy", "sector_manifest"]  # lazy, attribute: re-exported from the core


def sector_manifest(
    package: str, prefix: str, entity_types: tuple[str, ...], **more: Any
) -> PackManifest:
    """The manifest of the sector pack ``package`` (``ioc.packs.<name>``): what its layout
    declares (indicators from its ``indicators.yaml``, ``pages.router``, ``demo.load_demo`` …),
    ``pages.overview_tile``, the menu entry ``{prefix}.nav`` to ``/<name>``; ``more``: further
    manifest fields."""
    return page_manifest(package, prefix, entity_types=entity_types, **more)
