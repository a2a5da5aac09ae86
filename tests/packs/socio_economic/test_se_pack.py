"""The socio-economic pack: catalog, demo data, and the leader's page (key figures,
plan vs actual, year to date, drill-down to a commune, exports, tile) on hand-built figures."""

from __future__ import annotations

import io
import json
import re
from datetime import datetime

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from helpers import login
from ioc.core import audit
from ioc.core.indicators import COMMUNE_COMMITTEES
from ioc.core.models import Agency, Indicator
from ioc.engines.submissions.catalog import AreaBook, Catalog
from ioc.engines.submissions.models import SubSubmission, SubTarget, SubValueHistory
from ioc.engines.submissions.periods import parse_period
from ioc.engines.submissions.targets import set_target
from ioc.engines.submissions.values import NewValue, store_values
from ioc.packs.socio_economic import _indicators, manifest
from ioc.packs.socio_economic.demo import load_demo
from ioc.packs.socio_economic.pages import overview_tile

OFFSET = 7 * 3600
ADMIN = audit.Actor.system("test")


def test_catalog_owners_exist_and_frequencies_are_submittable(db: Session) -> None:
    specs = _indicators()
    codes = {s.code for s in specs}
    assert {
        "se_grdp_growth",
        "se_budget_revenue",
        "se_public_invest_rate",
        "se_cpi",
        "se_exports",
        "se_retail_sales",
        "se_iip",
        "se_fdi_registered",
        "se_new_enterprises",
    } <= codes
    agencies = set(db.execute(select(Agency.code)).scalars())
    for spec in specs:
        assert spec.owner_agency == COMMUNE_COMMITTEES or spec.owner_agency in agencies, spec.code
        assert spec.frequency in ("P1M", "P3M", "P1Y") and spec.name_vi and spec.name_en
    stored = set(
        db.execute(select(Indicator.code).where(Indicator.pack == "socio_economic")).scalars()
    )
    assert stored == codes
    assert len(Catalog(specs).specs) == len(specs)
    assert manifest().name == "socio_economic"


def _seed(factory: sessionmaker[Session]) -> None:
    """Budget revenue Jan–Feb 2026 and 2025, a target; new enterprises in one ward."""
    with factory() as s, s.begin():
        ind = {i.code: i for i in s.execute(select(Indicator)).scalars()}
        rev, ent = ind["se_budget_revenue"], ind["se_new_enterprises"]
        values = [
            NewValue(rev, "66", parse_period("2026-01"), 1200.0),
            NewValue(rev, "66", parse_period("2026-02"), 900.0),
            NewValue(rev, "66", parse_period("2025-01"), 1000.0),
            NewValue(rev, "66", parse_period("2025-02"), 750.0),
            NewValue(rev, "66", parse_period("2025-03"), 1300.0),
            NewValue(ent, "24133", parse_period("2026-01"), 31.0),
            NewValue(ent, "24133", parse_period("2026-02"), 17.0),
            NewValue(ent, "66", parse_period("2026-02"), 17.0),
        ]
        store_values(s, values, changed_by="test", submission_id=None, offset=OFFSET)
        set_target(
            s,
            ADMIN,
            indicator=rev,
            area_code="66",
            year=2026,
            value=12000.0,
            source_document="NQ thử nghiệm",
        )


def test_leader_page_shows_year_to_date_and_plan_vs_actual(
    client: TestClient,
    make_user,
    factory: sessionmaker[Session],
    frozen_now: datetime,  # type: ignore[no-untyped-def]
) -> None:
    _seed(factory)
    login(client, "lanh.dao.se", make_user("lanh.dao.se", role="leader"))
    page = client.get("/socio-economic")
    assert page.status_code == 200
    card = re.search(
        r'data-code="se_budget_revenue" data-status="(\w+)".*?</article>', page.text, re.S
    )
    assert card is not None
    text = card.group(0)
    # YTD 2 100 of 12 000 = 17,5 %; last year Jan–Feb 1 750 -> +20 %; forecast 12 600 (105 %).
    assert "2.100" in text and "17,5 %" in text and "+20,0 %" in text
    assert "12.600" in text and "105,0 %" in text
    assert card.group(1) == "ok"
    row = re.search(r'<tr data-code="se_budget_revenue".*?</tr>', page.text, re.S)
    assert row is not None and "Tháng 02/2026" in row.group(0) and "1.750" in row.group(0)
    bars = json.loads(re.search(r'id="bars-data">(.*?)</script>', page.text, re.S).group(1))  # type: ignore[union-attr]
    # Bars are named by the indicator, never by its code.
    revenue = "Thu ngân sách nhà nước trên địa bàn"
    assert {"name": revenue, "value": 105.0}.items() <= next(
        b for b in bars["data"] if b["name"] == revenue
    ).items()
    markers = json.loads(re.search(r'id="map-data">(.*?)</script>', page.text, re.S).group(1))  # type: ignore[union-attr]
    ward = next(m for m in markers["stations"] if m["code"] == "24133")
    assert ward["aqi"] == 48.0 and ward["url"].startswith("/socio-economic?area=24133")
    # Drill down to the ward.
    ward_page = client.get(ward["url"])
    assert ward_page.status_code == 200 and "Buôn Ma Thuột" in ward_page.text
    assert re.search(r'data-code="se_new_enterprises".*?48', ward_page.text, re.S)
    assert client.get("/socio-economic?area=00000").status_code == 404
    # Exports.
    x = client.get("/socio-economic/export?year=2026&format=xlsx")
    rows = list(load_workbook(io.BytesIO(x.content)).active.iter_rows(values_only=True))  # type: ignore[union-attr]
    rev = next(r for r in rows if r and r[0] == "se_budget_revenue")
    assert rev[4] == 900.0 and rev[5] == 2100.0 and rev[6] == 12000.0 and rev[7] == 17.5
    csv = client.get("/socio-economic/communes/export?indicator=se_new_enterprises&format=csv")
    assert "24133" in csv.content.decode("utf-8-sig")
    with factory() as s:
        tile = overview_tile(s, "vi")
    assert tile.figure == "1/1" and tile.status == "ok" and tile.href == "/socio-economic"


def test_demo_is_plausible_idempotent_and_leaves_the_last_month_open(
    factory: sessionmaker[Session], frozen_now: datetime
) -> None:
    stored = load_demo(factory, end=frozen_now, hours=72, offset=OFFSET)
    assert stored > 1000
    assert load_demo(factory, end=frozen_now, hours=72, offset=OFFSET) == 0
    with factory() as s:
        targets = s.execute(select(SubTarget)).scalars().all()
        assert {t.year for t in targets} == {2025, 2026}
        assert all("demo" in t.source_document for t in targets)
        feb = (
            s.execute(select(SubSubmission.agency_code).where(SubSubmission.period == "2026-02"))
            .scalars()
            .all()
        )
        assert "so-tai-chinh" in feb and "so-noi-vu" not in feb
        communes = [c for c in feb if c.startswith("ubnd-")]
        assert 50 < len(communes) < 102
        assert s.execute(select(SubValueHistory).limit(1)).first() is not None
        book = AreaBook.load(s)
        from ioc.engines.submissions.report import progress_rows
        from ioc.packs.socio_economic.pages import catalog

        rows = progress_rows(
            s,
            catalog(),
            ["se_budget_revenue", "se_exports", "se_cpi"],
            [book.province.code],
            2025,
            offset=OFFSET,
        )
    revenue = rows[("se_budget_revenue", "66")].progress
    assert revenue.through_month == 12 and 12000 < (revenue.ytd or 0) < 20000  # tỷ đồng
    exports = rows[("se_exports", "66")].progress
    assert 2000 < (exports.ytd or 0) < 3500  # triệu USD
    cpi = rows[("se_cpi", "66")].progress
    assert 101 < (cpi.ytd or 0) < 106
