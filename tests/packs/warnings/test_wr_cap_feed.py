"""CAP 1.2 documents of the warnings pack validate against the OASIS schema shipped in the pack
(alert, update and cancel with references), carry the communes as areas with polygons and
geocodes, and the Atom feed of current warnings parses with a third-party feed parser."""

from __future__ import annotations

from datetime import timedelta
from importlib.resources import files
from typing import Any

import feedparser
import pytest
import xmlschema
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from ioc.core import clock
from ioc.core.audit import Actor
from ioc.packs.warnings import service
from ioc.packs.warnings.cap import cap_polygons
from ioc.packs.warnings.models import WrWarning

CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"
OPERATOR_A = Actor(None, "a")  # replaced by real users below


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    path = files("ioc.packs.warnings") / "schema" / "CAP-v1.2.xsd"
    return xmlschema.XMLSchema(str(path))


def _users(factory: sessionmaker[Session], make_user: Any) -> tuple[Actor, Actor]:
    from sqlalchemy import select

    from ioc.core.models import User

    make_user("soan.thao", role="operator")
    make_user("phe.duyet", role="operator")
    with factory() as s:
        ids = dict(s.execute(select(User.username, User.id)).all())
    return Actor(ids["soan.thao"], "soan.thao"), Actor(ids["phe.duyet"], "phe.duyet")


def _data(session: Session, areas: list[str], **over: Any) -> service.WarningInput:
    now = clock.now()
    raw = {
        "hazard": "heavy_rain",
        "severity": "Severe",
        "urgency": "Expected",
        "certainty": "Likely",
        "headline_vi": "Cảnh báo mưa lớn & lũ quét <khẩn>",
        "headline_en": "Heavy rain and flash flood warning",
        "description_vi": "Mưa 100–150 mm trong 24 giờ.",
        "instruction_vi": "Không đi qua ngầm, tràn.",
        "instruction_en": "Do not cross flooded fords.",
        "effective_at": now.isoformat(),
        "expires_at": (now + timedelta(hours=12)).isoformat(),
        "areas": areas,
        **over,
    }
    return service.validate(session, raw, now=now)


def _publish(session: Session, drafter: Actor, approver: Actor, areas: list[str]) -> WrWarning:
    now = clock.now()
    draft = service.create_draft(session, drafter, _data(session, areas), now=now, role="operator")
    return service.approve(session, approver, draft, now=now, role="operator", public_url="")


def _root(schema: xmlschema.XMLSchema, body: bytes) -> Any:
    schema.validate(body)  # raises with the reason when the document is not valid CAP 1.2
    import xml.etree.ElementTree as ET

    return ET.fromstring(body)  # noqa: S314 - our own document


def test_alert_update_cancel_validate_and_reference(
    app: TestClient, factory: sessionmaker[Session], make_user: Any, schema: xmlschema.XMLSchema
) -> None:
    drafter, approver = _users(factory, make_user)
    with factory() as s, s.begin():
        alert = _publish(s, drafter, approver, ["24133", "22015"])
        update = service.follow_up(s, drafter, alert, "Update", now=clock.now(), role="operator")
        service.approve(s, approver, update, now=clock.now(), role="operator", public_url="")
        cancel = service.follow_up(s, drafter, update, "Cancel", now=clock.now(), role="operator")
        service.approve(s, approver, cancel, now=clock.now(), role="operator", public_url="")
        ids = alert.identifier, update.identifier, cancel.identifier

    docs = {}
    for identifier in ids:
        r = app.get(f"/public/warnings/{identifier}.xml")
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("application/cap+xml")
        docs[identifier] = _root(schema, r.content)

    first = docs[ids[0]]
    assert first.findtext(f"{CAP}msgType") == "Alert"
    assert first.find(f"{CAP}references") is None
    langs = [i.findtext(f"{CAP}language") for i in first.findall(f"{CAP}info")]
    assert langs == ["vi-VN", "en-US"]
    info = first.find(f"{CAP}info")
    assert info.findtext(f"{CAP}headline") == "Cảnh báo mưa lớn & lũ quét <khẩn>"
    assert info.findtext(f"{CAP}severity") == "Severe"
    assert info.findtext(f"{CAP}event") == "Mưa lớn"
    areas = info.findall(f"{CAP}area")
    # One area per commune (in code order): its name, polygon(s) and GSO code.
    assert [a.findtext(f"{CAP}areaDesc") for a in areas] == [
        "Phường Tuy Hòa",
        "Phường Buôn Ma Thuột",
    ]
    codes = [a.find(f"{CAP}geocode").findtext(f"{CAP}value") for a in areas]
    assert codes == ["22015", "24133"]
    for area in areas:
        polygons = [p.text or "" for p in area.findall(f"{CAP}polygon")]
        assert polygons, "each commune has its polygon"
        for polygon in polygons:
            pairs = polygon.split(" ")
            assert len(pairs) >= 4 and pairs[0] == pairs[-1]
            lat, lon = (float(x) for x in pairs[0].split(","))
            assert 12 < lat < 14 and 107 < lon < 110  # "lat,lon", in the province

    upd = docs[ids[1]]
    assert upd.findtext(f"{CAP}msgType") == "Update"
    refs = upd.findtext(f"{CAP}references").split(" ")
    assert len(refs) == 1
    sender, identifier, sent = refs[0].split(",")
    assert sender == first.findtext(f"{CAP}sender")
    assert identifier == ids[0]
    assert sent == first.findtext(f"{CAP}sent")

    can = docs[ids[2]]
    assert can.findtext(f"{CAP}msgType") == "Cancel"
    assert [r.split(",")[1] for r in can.findtext(f"{CAP}references").split(" ")] == [
        ids[0],
        ids[1],
    ]
    assert can.find(f"{CAP}info").findtext(f"{CAP}responseType") == "AllClear"


def test_drafts_are_not_public(
    app: TestClient, factory: sessionmaker[Session], make_user: Any
) -> None:
    drafter, _ = _users(factory, make_user)
    with factory() as s, s.begin():
        draft = service.create_draft(
            s, drafter, _data(s, ["24133"]), now=clock.now(), role="operator"
        )
        identifier = draft.identifier
    assert app.get(f"/public/warnings/{identifier}.xml").status_code == 404
    assert app.get("/public/warnings/khong-co.xml").status_code == 404
    feed = feedparser.parse(app.get("/public/warnings.atom").content)
    assert feed.entries == []


def test_atom_feed_lists_current_warnings(
    app: TestClient, factory: sessionmaker[Session], make_user: Any
) -> None:
    drafter, approver = _users(factory, make_user)
    with factory() as s, s.begin():
        live = _publish(s, drafter, approver, ["24133"])
        old = _publish(s, drafter, approver, ["24169"])
        replaced = _publish(s, drafter, approver, ["24163"])
        update = service.follow_up(s, drafter, replaced, "Update", now=clock.now(), role="operator")
        service.approve(s, approver, update, now=clock.now(), role="operator", public_url="")
        old.expires_at = clock.now() - timedelta(minutes=1)  # expired
        ids = live.identifier, old.identifier, replaced.identifier, update.identifier
    r = app.get("/public/warnings.atom")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(r.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert "Đắk Lắk" in feed.feed.title
    listed = {e.id.rsplit(":", 1)[-1]: e for e in feed.entries}
    assert set(listed) == {ids[0], ids[3]}  # expired and superseded messages are gone
    entry = listed[ids[0]]
    assert entry.title == "Cảnh báo mưa lớn & lũ quét <khẩn>"
    cap_links = [link.href for link in entry.links if link.type == "application/cap+xml"]
    assert cap_links and cap_links[0].endswith(f"/public/warnings/{ids[0]}.xml")


def test_polygon_of_a_square_is_closed_lat_lon() -> None:
    from shapely.geometry import Polygon

    square = Polygon([(108.0, 12.0), (108.1, 12.0), (108.1, 12.1), (108.0, 12.1)])
    (ring,) = cap_polygons(square)
    pairs = ring.split(" ")
    assert pairs[0] == "12.0000,108.0000" and pairs[0] == pairs[-1] and len(pairs) == 5
