"""CAP 1.2 documents and the Atom feed of current warnings.

* :func:`cap_xml` — one message as OASIS CAP 1.2 XML (``urn:oasis:names:tc:emergency:cap:1.2``),
  valid against ``schema/CAP-v1.2.xsd``: one ``<info>`` per language written (``vi-VN``, and
  ``en-US`` when the English headline is filled), one ``<area>`` per commune with its name,
  the commune's polygon(s) from the geo engine (simplified; CAP's ``lat,lon`` pairs, first
  point repeated last) and a ``<geocode>`` with the commune's GSO code.
* :func:`atom_feed` — RFC 4287 Atom feed listing messages, each linking to its CAP document
  (the usual "CAP feed" of alerting hubs).

Times are written with the province's offset and whole seconds (``2026-03-10T12:00:00+07:00``),
the form the CAP schema's pattern requires.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # builds documents only: never parses input
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from ioc.core import i18n
from ioc.packs.warnings.hazards import BY_KEY
from ioc.packs.warnings.models import WrWarning

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
ATOM_NS = "http://www.w3.org/2005/Atom"
SENDER = "ioc@daklak.gov.vn"
SENDER_NAME = "Trung tâm Giám sát, điều hành đô thị thông minh tỉnh Đắk Lắk"
SENDER_NAME_EN = "Đắk Lắk Intelligent Operations Center"
# The <geocode> value name of a commune code: the GSO administrative unit code (list in force
# from 1 July 2025, two-level local government).
GEOCODE_NAME = "VN-GSO-2025"
# Douglas–Peucker tolerance for the CAP polygons, in degrees (~100 m): a message for a dozen
# communes stays a few kilobytes, as broadcast gateways expect.
SIMPLIFY_DEG = 0.001


@dataclass(frozen=True)
class AreaInfo:
    """A commune a message covers: code, name and polygon (``None`` when unknown)."""

    code: str
    name: str
    geometry: BaseGeometry | None


def cap_time(value: datetime) -> str:
    """``2026-03-10T12:00:00+07:00``: local offset, whole seconds (the CAP pattern)."""
    return i18n.to_local(value).replace(microsecond=0).isoformat(timespec="seconds")


def cap_polygons(geometry: BaseGeometry | None) -> list[str]:
    """The outer rings of ``geometry`` as CAP polygons: ``"lat,lon lat,lon …"``, at least four
    pairs, the first repeated last. Holes are left out (CAP polygons have none)."""
    if geometry is None or geometry.is_empty:
        return []
    simple = geometry.simplify(SIMPLIFY_DEG, preserve_topology=True)
    if simple.is_empty:
        simple = geometry
    parts: list[Polygon]
    if isinstance(simple, Polygon):
        parts = [simple]
    elif isinstance(simple, MultiPolygon):
        parts = list(simple.geoms)
    else:
        parts = [g for g in getattr(simple, "geoms", []) if isinstance(g, Polygon)]
    result = []
    for part in parts:
        pairs = [f"{lat:.4f},{lon:.4f}" for lon, lat, *_ in part.exterior.coords]
        if pairs and pairs[0] != pairs[-1]:
            pairs.append(pairs[0])
        if len(pairs) >= 4:
            result.append(" ".join(pairs))
    return result


def reference_of(message: WrWarning) -> str:
    """``sender,identifier,sent`` of a published message (an entry of ``<references>``)."""
    sent = message.approved_at or message.created_at
    return f"{SENDER},{message.identifier},{cap_time(sent)}"


def _sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, f"{{{CAP_NS}}}{tag}")
    if text is not None:
        element.text = text
    return element


def _info(
    root: ET.Element,
    message: WrWarning,
    areas: Sequence[AreaInfo],
    lang: str,
    web: str,
) -> None:
    hazard = BY_KEY.get(message.hazard, BY_KEY["other"])
    vi = lang == "vi"
    info = _sub(root, "info")
    _sub(info, "language", "vi-VN" if vi else "en-US")
    _sub(info, "category", hazard.category)
    _sub(info, "event", hazard.event_vi if vi else hazard.event_en)
    if message.msg_type == "Cancel":
        _sub(info, "responseType", "AllClear")
    _sub(info, "urgency", message.urgency)
    _sub(info, "severity", message.severity)
    _sub(info, "certainty", message.certainty)
    _sub(info, "audience", "Người dân và chính quyền các xã/phường" if vi else "Public")
    code = _sub(info, "eventCode")
    _sub(code, "valueName", "IOC-DLK-HAZARD")
    _sub(code, "value", hazard.key)
    _sub(info, "effective", cap_time(message.effective_at))
    _sub(info, "expires", cap_time(message.expires_at))
    _sub(info, "senderName", SENDER_NAME if vi else SENDER_NAME_EN)
    headline = message.headline_vi if vi else message.headline_en
    _sub(info, "headline", headline)
    description = message.description_vi if vi else message.description_en
    if description:
        _sub(info, "description", description)
    instruction = message.instruction_vi if vi else message.instruction_en
    if instruction:
        _sub(info, "instruction", instruction)
    _sub(info, "web", web)
    for area in areas:
        element = _sub(info, "area")
        _sub(element, "areaDesc", area.name)
        for polygon in cap_polygons(area.geometry):
            _sub(element, "polygon", polygon)
        geocode = _sub(element, "geocode")
        _sub(geocode, "valueName", GEOCODE_NAME)
        _sub(geocode, "value", area.code)


def cap_xml(
    message: WrWarning,
    areas: Sequence[AreaInfo],
    *,
    references: Sequence[WrWarning] = (),
    web: str,
) -> bytes:
    """The message as a CAP 1.2 document (UTF-8 bytes with the XML declaration).

    ``references`` are the earlier messages this one updates or cancels (oldest first);
    ``web`` the address of the public page about it."""
    ET.register_namespace("", CAP_NS)
    root = ET.Element(f"{{{CAP_NS}}}alert")
    _sub(root, "identifier", message.identifier)
    _sub(root, "sender", SENDER)
    _sub(root, "sent", cap_time(message.approved_at or message.created_at))
    _sub(root, "status", "Actual")
    _sub(root, "msgType", message.msg_type)
    _sub(root, "source", "IOC Đắk Lắk")
    _sub(root, "scope", "Public")
    if references:
        _sub(root, "references", " ".join(reference_of(r) for r in references))
    _info(root, message, areas, "vi", web)
    if message.headline_en.strip():
        _info(root, message, areas, "en", web)
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return body


@dataclass(frozen=True)
class FeedEntry:
    """One message in the Atom feed."""

    identifier: str
    title: str
    summary: str
    updated: datetime
    cap_url: str
    page_url: str
    category: str


def _atom(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
    if text is not None:
        element.text = text
    return element


def atom_feed(
    entries: Iterable[FeedEntry], *, self_url: str, page_url: str, updated: datetime, lang: str
) -> bytes:
    """The Atom document listing ``entries`` (newest first)."""
    ET.register_namespace("", ATOM_NS)
    feed = ET.Element(f"{{{ATOM_NS}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": lang})
    _atom(feed, "id", self_url)
    _atom(
        feed,
        "title",
        "Cảnh báo công cộng — tỉnh Đắk Lắk" if lang == "vi" else "Public warnings — Đắk Lắk",
    )
    _atom(feed, "updated", cap_time(updated))
    _atom(feed, "link", rel="self", href=self_url, type="application/atom+xml")
    _atom(feed, "link", rel="alternate", href=page_url, type="text/html")
    author = _atom(feed, "author")
    _atom(author, "name", SENDER_NAME if lang == "vi" else SENDER_NAME_EN)
    for item in entries:
        entry = _atom(feed, "entry")
        _atom(entry, "id", f"urn:cap:{SENDER}:{item.identifier}")
        _atom(entry, "title", item.title)
        _atom(entry, "updated", cap_time(item.updated))
        _atom(entry, "summary", item.summary or item.title)
        _atom(entry, "category", term=item.category)
        _atom(entry, "link", rel="alternate", href=item.cap_url, type="application/cap+xml")
        _atom(entry, "link", rel="related", href=item.page_url, type="text/html")
    body: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return body
