"""Tuyên truyền, tập huấn — guides pack: in-app guides per service and role (Vietnamese
first), a first-login tour, the practice workspace page and adoption statistics.

Public module: other packs (the yearly report) use only what ``__all__`` lists:

* :func:`adoption_summary` — adoption figures of a year as plain data;
* :func:`record_view` — count one page view (for the app's request middleware).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ioc.core.indicators import IndicatorSpec
from ioc.core.registry import NavEntry, PackManifest

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = ["adoption_summary", "manifest", "record_view"]


def adoption_summary(session: Session, year: int, *, deadline_days: int = 5) -> dict[str, Any]:
    """Adoption figures of calendar ``year`` (see ``service.adoption_summary``)."""
    from ioc.packs.guides.service import adoption_summary as summary

    return summary(session, year, deadline_days=deadline_days)


def record_view(session: Session, path: str, role: str | None) -> bool:
    """Count one page view (see :func:`ioc.packs.guides.service.record_view`); no commit."""
    from ioc.packs.guides.service import record_view as record

    return record(session, path, role)


def _indicators() -> list[IndicatorSpec]:
    return []


def _page_router() -> Any:
    from ioc.packs.guides.pages import router

    return router


def _tile(session: Any, lang: str) -> Any:
    from ioc.packs.guides.tile import tile

    return tile(session, lang)


def manifest() -> PackManifest:
    """The guides pack's contributions."""
    return PackManifest(
        name="guides",
        title_key="gd.title",
        indicators=_indicators,
        page_router=_page_router,
        tile=_tile,
        nav=(NavEntry("/guides", "gd.nav", "public", "main"),),
        page_view=record_view,
    )
