"""Overview tile of the guides pack: how many accounts were active in the last 30 days."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ioc.core import i18n
from ioc.core.registry import Tile
from ioc.packs.guides import service


def tile(session: Session, lang: str) -> Tile:
    """The overview tile (``PackManifest.tile``): active accounts over all accounts."""
    figures = service.last_days(session, 30, lang=lang)
    users = figures.users
    active = figures.active_users
    share = None if users == 0 else 100.0 * active / users
    return Tile(
        pack="guides",
        title=i18n.translate("gd.nav", lang),
        figure=i18n.format_number(active, lang),
        caption=i18n.translate("gd.tile.caption", lang, users=i18n.format_number(users, lang)),
        status="none" if share is None else ("ok" if share >= 50 else "warn"),
        href="/guides",
        lines=(i18n.translate("gd.tile.guides", lang),),
    )
