"""Overview tiles whose key figure is a rate in percent (the documents' on-time rate, the
public services' on-time rate …)."""

from __future__ import annotations

from decimal import Decimal

from ioc.core import i18n
from ioc.core.registry import Tile

__all__ = ["rate_tile"]


def rate_tile(
    pack: str,
    prefix: str,
    lang: str,
    rate: float | Decimal | None,
    *,
    status: str,
    href: str,
    lines: tuple[str, ...],
) -> Tile:
    """The overview tile of ``pack``: ``rate`` in percent to one decimal ("—" when unknown),
    titled and captioned by the translations ``<prefix>.title`` and ``<prefix>.tile.caption``."""
    return Tile(
        pack=pack,
        title=i18n.translate(f"{prefix}.title", lang),
        figure="—" if rate is None else f"{i18n.format_number(float(rate), lang, 1)}%",
        caption=i18n.translate(f"{prefix}.tile.caption", lang),
        status=status,
        href=href,
        lines=lines,
    )
