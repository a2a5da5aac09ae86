"""The manifest of a sector pack: its catalog, its pages (built on :mod:`ioc.engines.sector.routes`
by the pack's ``pages`` module), its overview tile, its menu entry, its entity types and its
demo — each loaded when first used, so that importing the pack stays cheap."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

from ioc.core.indicators import load_catalog
from ioc.core.registry import NavEntry, PackManifest


def lazy(module: str, name: str) -> Callable[..., Any]:
    """A callable that imports ``module`` on first call and calls its ``name``."""

    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(import_module(module), name)(*args, **kwargs)

    call.__name__ = name
    return call


def attribute(module: str, name: str) -> Callable[[], Any]:
    """A callable that imports ``module`` on first call and returns its ``name``."""

    def get() -> Any:
        return getattr(import_module(module), name)

    return get


def sector_manifest(
    package: str, prefix: str, entity_types: tuple[str, ...], **more: Any
) -> PackManifest:
    """The manifest of the sector pack ``package`` (``ioc.packs.<name>``): indicators from its
    ``indicators.yaml``, ``pages.router`` and ``pages.overview_tile``, ``demo.load_demo``, the
    menu entry ``{prefix}.nav`` to ``/<name>``; ``more``: further manifest fields."""
    name = package.rsplit(".", 1)[-1]
    return PackManifest(
        name=name,
        title_key=f"{prefix}.title",
        indicators=lambda: load_catalog(package, name),
        page_router=attribute(f"{package}.pages", "router"),
        tile=lazy(f"{package}.pages", "overview_tile"),
        nav=(NavEntry(f"/{name}", f"{prefix}.nav"),),
        entity_types=entity_types,
        demo=lazy(f"{package}.demo", "load_demo"),
        **more,
    )
