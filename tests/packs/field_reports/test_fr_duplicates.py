"""“Is this yours?”: nearby open reports of the same category."""

from __future__ import annotations

from datetime import timedelta

from fr_helpers import BMT_POINT, STAFF, Submit, at_local
from sqlalchemy.orm import Session

from ioc.core import clock
from ioc.packs.field_reports import duplicates, service

LAT, LON = BMT_POINT
M = 1 / 111_320  # one metre of latitude, in degrees


def codes(db: Session, category: str = "duong-hu-hong", **kw: object) -> list[str]:
    return [v["code"] for v in duplicates.nearby_open(db, category, LAT, LON, **kw)]  # type: ignore[arg-type]


def test_nearby_open_reports_of_the_same_category(db: Session, fr: Submit) -> None:
    near = fr(lat=LAT + 30 * M).report
    nearer = fr(lat=LAT + 10 * M).report
    fr(lat=LAT + 200 * M)  # beyond the 50 m default radius
    fr(category_code="rac-thai", description="Rác tồn đọng")  # another category
    closed = fr().report
    service.assign(db, STAFF, closed)
    service.answer(db, STAFF, closed, "Đã vá")
    hidden = fr().report
    service.hide(db, STAFF, hidden, "Xúc phạm")
    merged = fr().report
    service.merge_duplicate(db, STAFF, merged, near)
    fr(at=clock.now() - timedelta(days=40))  # too old (30 days by default)

    found = duplicates.nearby_open(db, "duong-hu-hong", LAT, LON)
    assert [v["code"] for v in found] == [nearer.code, near.code]
    assert [v["distance_m"] for v in found] == [10, 30]
    assert found[0]["age_hours"] == 0.0
    assert found[0]["category"]["code"] == "duong-hu-hong"


def test_radius_and_window_options(db: Session, fr: Submit) -> None:
    mid = fr(lat=LAT + 120 * M).report
    old = fr(at=at_local(2026, 2, 1, 9)).report
    assert codes(db) == []
    assert codes(db, radius_m=150) == [mid.code]
    assert codes(db, days=60) == [old.code]
    # Noise has its own 150 m radius in categories.yaml.
    noisy = fr(category_code="tieng-on", description="Karaoke sau 23h", lat=LAT + 120 * M).report
    assert codes(db, "tieng-on") == [noisy.code]


def test_limit(db: Session, fr: Submit) -> None:
    for i in range(4):
        fr(lat=LAT + (i + 1) * M)
    assert len(codes(db, limit=2)) == 2
