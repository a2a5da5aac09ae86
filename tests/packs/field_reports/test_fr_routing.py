"""Routing by category × commune with fallbacks, editable rules, and commune resolution."""

from __future__ import annotations

import pytest
from fr_helpers import BMT, STAFF, TAN_LAP, Submit
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ioc.core.models import Agency, Area, AuditLog
from ioc.packs.field_reports import routing, service
from ioc.packs.field_reports.service import FieldReportError


def routed(db: Session, category: str, area: str) -> tuple[str, str]:
    found = routing.route(db, service.get_category(db, category), area)
    return found.agency.code, found.reason


def test_fallback_is_the_commune_committee(db: Session, fr: Submit) -> None:
    assert routed(db, "duong-hu-hong", BMT) == ("ubnd-24133", "commune")
    assert routed(db, "rac-thai", TAN_LAP) == ("ubnd-24121", "commune")


def test_category_default_agency(db: Session, fr: Submit) -> None:
    assert routed(db, "o-nhiem", BMT) == ("so-nong-nghiep-moi-truong", "category_default")


def test_most_specific_rule_wins(db: Session, fr: Submit) -> None:
    routing.set_rule(db, STAFF, category_code=None, area_code=BMT, agency_code="so-xay-dung")
    assert routed(db, "rac-thai", BMT) == ("so-xay-dung", "rule")  # (any, BMT) beats commune
    assert routed(db, "rac-thai", TAN_LAP) == ("ubnd-24121", "commune")
    routing.set_rule(
        db, STAFF, category_code="rac-thai", area_code=None, agency_code="so-nong-nghiep-moi-truong"
    )
    assert routed(db, "rac-thai", BMT)[0] == "so-nong-nghiep-moi-truong"  # (cat, any) wins
    assert routed(db, "rac-thai", TAN_LAP)[0] == "so-nong-nghiep-moi-truong"
    routing.set_rule(db, STAFF, category_code="rac-thai", area_code=BMT, agency_code="ubnd-24133")
    assert routed(db, "rac-thai", BMT)[0] == "ubnd-24133"  # (cat, area) wins over all
    assert routed(db, "rac-thai", TAN_LAP)[0] == "so-nong-nghiep-moi-truong"
    # A rule beats the category's default agency too.
    routing.set_rule(
        db, STAFF, category_code="o-nhiem", area_code=TAN_LAP, agency_code="ubnd-24121"
    )
    assert routed(db, "o-nhiem", TAN_LAP) == ("ubnd-24121", "rule")


def test_rules_are_replaced_and_deleted_with_audit(db: Session, fr: Submit) -> None:
    rule = routing.set_rule(
        db, STAFF, category_code="chieu-sang", area_code=None, agency_code="so-xay-dung"
    )
    again = routing.set_rule(
        db, STAFF, category_code="chieu-sang", area_code=None, agency_code="ubnd-tinh"
    )
    assert again.id == rule.id
    assert routed(db, "chieu-sang", BMT)[0] == "ubnd-tinh"
    routing.delete_rule(db, STAFF, rule.id)
    assert routed(db, "chieu-sang", BMT)[0] == "ubnd-24133"
    actions = (
        db.execute(select(AuditLog.action).where(AuditLog.object_type == "fr_routing_rule"))
        .scalars()
        .all()
    )
    assert actions == ["fr.routing.set", "fr.routing.set", "fr.routing.delete"]
    with pytest.raises(FieldReportError):
        routing.delete_rule(db, STAFF, rule.id)


@pytest.mark.parametrize(
    ("category", "area", "agency", "field"),
    [
        ("khong-co", None, "so-xay-dung", "category"),
        (None, "99999", "so-xay-dung", "area"),
        ("rac-thai", None, "khong-co", "agency"),
        (None, None, "so-xay-dung", "category"),
    ],
)
def test_bad_rules_are_refused(
    db: Session, fr: Submit, category: str | None, area: str | None, agency: str, field: str
) -> None:
    with pytest.raises(FieldReportError) as error:
        routing.set_rule(db, STAFF, category_code=category, area_code=area, agency_code=agency)
    assert error.value.field == field


def test_assign_uses_routing_unless_an_agency_is_given(db: Session, fr: Submit) -> None:
    routing.set_rule(
        db, STAFF, category_code="duong-hu-hong", area_code=None, agency_code="so-xay-dung"
    )
    auto = fr().report
    service.assign(db, STAFF, auto)
    manual = fr().report
    service.assign(db, STAFF, manual, "ubnd-24133")
    codes = {
        r.code: db.execute(select(Agency.code).where(Agency.id == r.agency_id)).scalar_one()
        for r in (auto, manual)
    }
    assert codes == {auto.code: "so-xay-dung", manual.code: "ubnd-24133"}


def test_no_agency_found_asks_for_a_manual_choice(db: Session, fr: Submit) -> None:
    category = service.get_category(db, "duong-hu-hong")
    with pytest.raises(FieldReportError, match="chọn đơn vị"):
        routing.route(db, category, "00000")


def test_commune_resolved_from_the_point(db: Session, fr: Submit) -> None:
    # Two communes placed close together (rolled back after), so the nearest one decides.
    points = {BMT: (12.6676, 108.0379), TAN_LAP: (12.6900, 108.0600)}
    try:
        for code, (lat, lon) in points.items():
            db.execute(
                update(Area)
                .where(Area.code == code, Area.valid_to.is_(None))
                .values(lat=lat, lon=lon)
            )
        assert routing.resolve_area(db, 12.6890, 108.0590) == TAN_LAP
        assert routing.resolve_area(db, 12.6680, 108.0370) == BMT
        assert routing.resolve_area(db, 15.2, 108.8) is None  # Quảng Ngãi: too far from any
        report = fr(area_code=None, lat=12.6890, lon=108.0590).report
        assert report.area_code == TAN_LAP
    finally:
        db.rollback()
