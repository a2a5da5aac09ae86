"""The shipped administrative units and agencies of Đắk Lắk (NQ 1660/NQ-UBTVQH15, NQ 202/2025)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from importlib.resources import files

import pytest

from ioc.core.admin_data import (
    AgencyRecord,
    AreaRecord,
    area_index_on,
    current_units,
    load_agencies,
    load_areas,
)

WARD_CODES = {
    "22015": "Tuy Hòa",
    "22045": "Bình Kiến",
    "22051": "Sông Cầu",
    "22076": "Xuân Đài",
    "22240": "Phú Yên",
    "22258": "Đông Hòa",
    "22261": "Hòa Hiệp",
    "24121": "Tân Lập",
    "24133": "Buôn Ma Thuột",
    "24154": "Thành Nhất",
    "24163": "Tân An",
    "24169": "Ea Kao",
    "24305": "Buôn Hồ",
    "24340": "Cư Bao",
}
COMMUNE_EXAMPLES = {
    "22057": "Xuân Lộc",
    "24175": "Hòa Phú",
    "24184": "Ea H'Leo",
    "24211": "Ea Súp",
    "24214": "Ia Lốp",
    "24221": "Ia Rvê",
    "24235": "Buôn Đôn",
    "24445": "Ea Trang",
    "24529": "Vụ Bổn",
    "24604": "Krông Nô",
}
UNCHANGED = ["Ea H'Leo", "Ea Trang", "Ia Lốp", "Ia Rvê", "Krông Nô", "Vụ Bổn"]
FORMER_BMT = {
    "Phường Thành Công",
    "Phường Tân Lợi",
    "Phường Tân Thành",
    "Phường Tân Tiến",
    "Phường Tự An",
    "Xã Cư ÊBur",
}
BEFORE = date(2025, 6, 30)
AFTER = date(2025, 7, 1)


@pytest.fixture(scope="module")
def areas() -> list[AreaRecord]:
    return load_areas()


@pytest.fixture(scope="module")
def units() -> list[AreaRecord]:
    return current_units()


@pytest.fixture(scope="module")
def legacy(areas: list[AreaRecord]) -> list[AreaRecord]:
    return [a for a in areas if not a.is_current]


@pytest.fixture(scope="module")
def agencies() -> list[AgencyRecord]:
    return load_agencies()


def test_province() -> None:
    (province,) = [a for a in load_areas() if a.level == "province" and a.is_current]
    assert (province.code, province.name, province.short_name) == ("66", "Tỉnh Đắk Lắk", "Đắk Lắk")
    assert province.valid_from == AFTER
    assert province.legacy_sources == ("54", "66")


def test_102_units_88_xa_14_phuong(units: list[AreaRecord]) -> None:
    assert len(units) == 102
    assert Counter(u.level for u in units) == {"commune": 88, "ward": 14}
    assert len({u.code for u in units}) == 102
    for u in units:
        assert len(u.code) == 5 and u.code.isdigit()
        assert u.parent_code == "66"
        assert (u.valid_from, u.valid_to) == (AFTER, None)
        assert u.name == ("Phường " if u.level == "ward" else "Xã ") + u.short_name
        assert u.legacy_sources


def test_buon_ma_thuot(units: list[AreaRecord]) -> None:
    by_code = {u.code: u for u in units}
    assert by_code["24133"].name == "Phường Buôn Ma Thuột"
    assert by_code["24133"].level == "ward"


def test_the_14_phuong_codes(units: list[AreaRecord]) -> None:
    assert {u.code: u.short_name for u in units if u.level == "ward"} == WARD_CODES


def test_commune_examples(units: list[AreaRecord]) -> None:
    by_code = {u.code: u for u in units}
    for code, short_name in COMMUNE_EXAMPLES.items():
        assert (by_code[code].short_name, by_code[code].level) == (short_name, "commune")


def test_six_unchanged_xa(units: list[AreaRecord], areas: list[AreaRecord]) -> None:
    by_short = {u.short_name: u for u in units}
    for short_name in UNCHANGED:
        unit = by_short[short_name]
        assert unit.level == "commune"
        # Unchanged: a single predecessor with the same code.
        assert unit.legacy_sources == (unit.code,)


def test_no_double_or_stray_spaces(areas: list[AreaRecord], agencies: list[AgencyRecord]) -> None:
    names = [n for a in areas for n in (a.name, a.short_name)]
    names += [n for g in agencies for n in (g.name, g.short_name)]
    for name in names:
        assert "  " not in name and name == name.strip(), repr(name)
        assert "\u2019" not in name, repr(name)


def test_legacy_counts(legacy: list[AreaRecord]) -> None:
    counts = Counter(a.level for a in legacy)
    assert counts == {"province": 2, "district": 24, "commune": 231, "ward": 36, "town": 19}
    provinces = {a.code: a for a in legacy if a.level == "province"}
    assert provinces["54"].name == "Tỉnh Phú Yên"
    assert all(p.valid_to == BEFORE and p.replaced_by == "66" for p in provinces.values())


def test_legacy_tree_and_validity(legacy: list[AreaRecord]) -> None:
    districts = {a.code: a for a in legacy if a.level == "district"}
    assert {d.parent_code for d in districts.values()} == {"54", "66"}
    for a in legacy:
        assert a.valid_to == BEFORE
        if a.level in ("commune", "ward", "town"):
            assert a.parent_code in districts


def test_every_legacy_commune_maps_to_a_current_unit(
    legacy: list[AreaRecord], units: list[AreaRecord]
) -> None:
    current = {u.code for u in units}
    for a in legacy:
        if a.level in ("commune", "ward", "town"):
            assert a.replaced_by in current, a
            assert a.replaced_by in a.successors
            assert set(a.successors) <= current
        if a.level == "district":
            assert a.replaced_by is None and set(a.successors) <= current


def test_mapping_is_consistent_both_ways(legacy: list[AreaRecord], units: list[AreaRecord]) -> None:
    communes = [a for a in legacy if a.level in ("commune", "ward", "town")]
    forward = {(a.code, s) for a in communes for s in a.successors}
    backward = {(src, u.code) for u in units for src in u.legacy_sources}
    assert forward == backward


def test_former_units_of_buon_ma_thuot(legacy: list[AreaRecord]) -> None:
    into_24133 = {a.name for a in legacy if a.replaced_by == "24133"}
    assert into_24133 == FORMER_BMT


def test_code_reuse_resolved_by_date() -> None:
    assert area_index_on(BEFORE)["24133"].name == "Phường Thành Công"
    assert area_index_on(AFTER)["24133"].name == "Phường Buôn Ma Thuột"
    assert area_index_on(BEFORE)["54"].name == "Tỉnh Phú Yên"
    assert "54" not in area_index_on(AFTER)


def test_codes_unique_per_validity(areas: list[AreaRecord]) -> None:
    keys = [(a.code, a.valid_from, a.valid_to) for a in areas]
    assert len(keys) == len(set(keys))


def test_one_ubnd_per_current_unit(units: list[AreaRecord], agencies: list[AgencyRecord]) -> None:
    committees = Counter(g.area_code for g in agencies if g.kind == "commune_committee")
    assert committees == dict.fromkeys((u.code for u in units), 1)
    by_code = {g.code: g for g in agencies}
    assert by_code["ubnd-24133"].name == "Ủy ban nhân dân phường Buôn Ma Thuột"


def test_agency_codes_unique_and_links_resolve(agencies: list[AgencyRecord]) -> None:
    codes = [g.code for g in agencies]
    assert len(codes) == len(set(codes))
    by_code = {g.code: g for g in agencies}
    for g in agencies:
        if g.successor is not None:
            successor = by_code[g.successor]
            assert g.valid_to is not None
            assert successor.valid_to is None or successor.valid_to > g.valid_to
        if g.parent_code is not None:
            assert g.parent_code in by_code


def test_agency_areas_exist(agencies: list[AgencyRecord], areas: list[AreaRecord]) -> None:
    area_codes = {a.code for a in areas}
    assert all(g.area_code in area_codes for g in agencies if g.area_code is not None)


def test_tt_tt_succeeded_by_kh_cn(agencies: list[AgencyRecord]) -> None:
    by_code = {g.code: g for g in agencies}
    old = by_code["so-thong-tin-truyen-thong"]
    assert old.valid_to == date(2025, 2, 28)
    assert old.successor == "so-khoa-hoc-cong-nghe"
    assert by_code[old.successor].name == "Sở Khoa học và Công nghệ tỉnh Đắk Lắk"
    merged = by_code["so-nong-nghiep-moi-truong"]
    assert merged.valid_from == date(2025, 3, 1)
    assert {g.code for g in agencies if g.successor == merged.code} == {
        "so-tai-nguyen-moi-truong",
        "so-nong-nghiep-ptnt",
    }


def test_agencies_on_a_date(agencies: list[AgencyRecord]) -> None:
    before = {g.code for g in agencies if g.valid_on(date(2025, 2, 1))}
    after = {g.code for g in agencies if g.valid_on(date(2025, 3, 1))}
    assert "so-thong-tin-truyen-thong" in before - after
    assert "so-nong-nghiep-moi-truong" in after - before


def test_header_records_the_source() -> None:
    doc = json.loads(files("ioc.data").joinpath("admin_units_66.json").read_text("utf-8"))
    assert set(doc) == {"header", "province", "units", "legacy"}
    text = json.dumps(doc["header"], ensure_ascii=False)
    for needle in ("NQ 1660/NQ-UBTVQH15", "NQ 202/2025/QH15", "vietnam-provinces", "2026.9.0"):
        assert needle in text
    assert doc["header"]["source"]["packages"][0]["data_version"] == "2026-09-20"
