"""CAP documents and feed entries of stored messages (areas and polygons from the geo engine)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from ioc.core.communes import communes
from ioc.engines.geo import current_locator
from ioc.packs.warnings import service
from ioc.packs.warnings.cap import AreaInfo, FeedEntry, cap_xml
from ioc.packs.warnings.hazards import BY_KEY
from ioc.packs.warnings.models import WrWarning
from ioc.settings import get_settings


def area_infos(session: Session, codes: Sequence[str]) -> list[AreaInfo]:
    """Name and polygon of each commune (the imported boundaries, else the stand-in cells)."""
    names = {c.code: c.name for c in communes(session)}
    cells = current_locator(session).cells
    return [AreaInfo(code, names.get(code, code), cells.get(code)) for code in codes]


def cap_url(base: str, message: WrWarning) -> str:
    """Public address of a message's CAP document."""
    return f"{base.rstrip('/')}/public/warnings/{message.identifier}.xml"


def render(session: Session, message: WrWarning, base: str) -> bytes:
    """The CAP 1.2 document of ``message``."""
    codes = service.areas_of(session, [message.id])[message.id]
    web = f"{base.rstrip('/')}/public/warnings" + (f"?xa={codes[0]}" if len(codes) == 1 else "")
    return cap_xml(
        message,
        area_infos(session, codes),
        references=service.reference_chain(session, message),
        web=web,
    )


def for_gateway(session: Session, message: WrWarning) -> tuple[bytes, list[str]]:
    """What a broadcast gateway receives: the document and the commune codes."""
    codes = service.areas_of(session, [message.id])[message.id]
    return render(session, message, get_settings().public_url), codes


def feed_entry(message: WrWarning, base: str, lang: str) -> FeedEntry:
    """A message as an Atom entry."""
    en = lang == "en" and bool(message.headline_en)
    hazard = BY_KEY.get(message.hazard, BY_KEY["other"])
    return FeedEntry(
        identifier=message.identifier,
        title=message.headline_en if en else message.headline_vi,
        summary=message.description_en if en else message.description_vi,
        updated=message.approved_at or message.updated_at,
        cap_url=cap_url(base, message),
        page_url=f"{base.rstrip('/')}/public/warnings",
        category=hazard.category,
    )
