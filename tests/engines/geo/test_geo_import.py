"""``ioc geo import communes``: validation (each refusal names the feature), replacement of the
previous set, the locator following the import, and the command line."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest
import shapely
from shapely.geometry import mapping
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ioc.cli import app as cli
from ioc.core import audit
from ioc.core.models import AuditLog
from ioc.engines import geo
from ioc.engines.geo.models import CommuneBoundary
from ioc.settings import get_settings

BMT, TAN_LAP = "24133", "24121"
EAST = shapely.box(108.03, 12.66, 108.06, 12.69)  # filed as phường Buôn Ma Thuột
WEST = shapely.box(108.00, 12.66, 108.03, 12.69)  # filed as phường Tân Lập (shares 108.03)
ACTOR = audit.Actor.system("test")


def feature(code: Any, geom: Any, key: str = "code") -> dict[str, Any]:
    geometry = geom if isinstance(geom, dict) else mapping(geom)
    return {"type": "Feature", "properties": {key: code}, "geometry": geometry}


def collection(*features: dict[str, Any]) -> bytes:
    return orjson.dumps({"type": "FeatureCollection", "features": list(features)})


def refused(db: Session, data: bytes) -> list[str]:
    with pytest.raises(geo.BoundaryImportError) as caught:
        geo.import_boundaries(db, ACTOR, data)
    db.rollback()
    assert db.execute(select(func.count(CommuneBoundary.id))).scalar_one() == 0
    return caught.value.problems


def test_import_makes_the_boundaries_current(db: Session) -> None:
    summary = geo.import_boundaries(
        db,
        ACTOR,
        collection(feature(BMT, EAST), feature(TAN_LAP, WEST)),
        valid_from=date(2026, 7, 1),
    )
    db.commit()
    assert (summary.imported, summary.replaced, summary.valid_from) == (2, 0, date(2026, 7, 1))
    # Two small squares leave most of the province uncovered: a warning with the figure.
    assert summary.missing and len(summary.missing) == 100
    assert summary.gap_km2 > 17_000 and 0.99 < summary.gap_share < 1
    assert any("Khoảng trống" in w and "km²" in w for w in summary.warnings)

    inside = geo.locate(db, 12.675, 108.02)
    assert (inside.code, inside.approximate, inside.distance_m) == (TAN_LAP, False, 0.0)
    assert geo.locate(db, 12.675, 108.045).code == BMT
    assert geo.locate(db, 12.675, 108.03).code == TAN_LAP  # the shared edge: lower code
    with pytest.raises(geo.GeoError):
        geo.locate(db, 12.62, 108.08)  # covered by a stand-in cell before, by nothing now
    layer = orjson.loads(geo.communes_geojson(db))
    assert layer["approximate"] is False
    assert [f["properties"] for f in layer["features"]] == [
        {"code": TAN_LAP, "name": "Phường Tân Lập", "approximate": False},
        {"code": BMT, "name": "Phường Buôn Ma Thuột", "approximate": False},
    ]
    assert (
        db.execute(select(AuditLog).where(AuditLog.action == "geo.boundaries.import"))
        .scalar_one()
        .detail["imported"]
        == 2
    )

    # A new file replaces the set: the old rows are closed on the new date, kept for history.
    moved = shapely.box(108.10, 12.66, 108.13, 12.69)
    again = geo.import_boundaries(
        db, ACTOR, collection(feature(BMT, moved)), valid_from=date(2027, 1, 1)
    )
    db.commit()
    assert again.replaced == 2
    rows = db.execute(select(CommuneBoundary).order_by(CommuneBoundary.id)).scalars().all()
    assert [(r.code, r.valid_to) for r in rows] == [  # stored by code
        (TAN_LAP, date(2027, 1, 1)),
        (BMT, date(2027, 1, 1)),
        (BMT, None),
    ]
    assert geo.locate(db, 12.675, 108.115).code == BMT
    with pytest.raises(geo.GeoError):
        geo.locate(db, 12.675, 108.02)


def test_code_property_names_and_numbers_are_accepted(db: Session) -> None:
    data = collection(feature(int(BMT), EAST, key="MA_XA"), feature(TAN_LAP, WEST, key="ma_xa"))
    assert geo.import_boundaries(db, ACTOR, data).imported == 2
    db.rollback()
    assert geo.import_boundaries(db, ACTOR, collection(feature(BMT, EAST, key="ma"))).imported == 1
    db.rollback()


def test_an_unknown_code_refuses_the_file_naming_the_feature(db: Session) -> None:
    problems = refused(db, collection(feature(BMT, EAST), feature("99999", WEST)))
    assert len(problems) == 1
    assert "features[1]" in problems[0] and "99999" in problems[0]
    assert "không phải xã/phường hiện hành" in problems[0]


def test_a_self_intersecting_polygon_refuses_the_file_with_the_reason(db: Session) -> None:
    bowtie = {
        "type": "Polygon",
        "coordinates": [
            [[108.0, 12.6], [108.1, 12.7], [108.1, 12.6], [108.0, 12.7], [108.0, 12.6]]
        ],
    }
    problems = refused(db, collection(feature(BMT, bowtie), feature(TAN_LAP, WEST)))
    assert len(problems) == 1
    assert problems[0].startswith("features[0] (mã/code 24133)")
    assert "Self-intersection" in problems[0]


def test_overlapping_communes_are_refused_beyond_the_tolerance(db: Session) -> None:
    # WEST widened by 0.006° eastwards overlaps 20 % of EAST.
    wide = shapely.box(108.00, 12.66, 108.036, 12.69)
    problems = refused(db, collection(feature(BMT, EAST), feature(TAN_LAP, wide)))
    assert len(problems) == 1
    assert (
        "features[0] (mã/code 24133)" in problems[0]
        and "features[1] (mã/code 24121)" in problems[0]
    )
    assert "20.0%" in problems[0]
    # A digitising sliver (0.1 % of the smaller one) is below the 0.5 % tolerance.
    sliver = shapely.box(108.00, 12.66, 108.03003, 12.69)
    assert (
        geo.import_boundaries(
            db, ACTOR, collection(feature(BMT, EAST), feature(TAN_LAP, sliver))
        ).imported
        == 2
    )
    db.rollback()


@pytest.mark.parametrize(
    ("features", "expected"),
    [
        (
            [feature(BMT, EAST), feature(BMT, WEST)],
            "features[1] (mã/code 24133): mã đã có ở features[0]",
        ),
        ([feature(None, EAST)], "features[0]: thiếu mã xã/phường"),
        ([feature("2413", EAST)], "5 chữ số"),
        (
            [feature(BMT, shapely.LineString([(108.0, 12.6), (108.1, 12.7)]))],
            "Polygon hoặc MultiPolygon",
        ),
        ([feature(BMT, shapely.box(12.66, 108.03, 12.69, 108.06))], "đảo"),
        ([feature(BMT, shapely.box(830_000, 1_400_000, 840_000, 1_410_000))], "VN-2000"),
        (
            [
                {
                    "type": "Feature",
                    "properties": {"code": BMT},
                    "geometry": {"type": "Polygon", "coordinates": [[[108.0]]]},
                }
            ],
            "không đọc được",
        ),
    ],
)
def test_other_refusals(db: Session, features: list[dict[str, Any]], expected: str) -> None:
    problems = refused(db, collection(*features))
    assert any(expected in p for p in problems), problems


def test_not_a_feature_collection_or_another_crs(db: Session) -> None:
    assert "FeatureCollection" in refused(db, b'{"type": "Feature"}')[0]
    assert "JSON" in refused(db, b"{nope")[0]
    doc = orjson.loads(collection(feature(BMT, EAST)))
    doc["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::5899"}}
    assert "WGS84" in refused(db, orjson.dumps(doc))[0]


# --- command line -----------------------------------------------------------------------------


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, db_url: str, engine: object) -> Iterator[None]:
    monkeypatch.setenv("IOC_DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_cli_imports_and_prints_a_summary(cli_env: None, tmp_path: Path, db: Session) -> None:
    path = tmp_path / "ranh-gioi.geojson"
    path.write_bytes(collection(feature(BMT, EAST), feature(TAN_LAP, WEST)))
    result = CliRunner().invoke(
        cli, ["geo", "import", "communes", str(path), "--valid-from", "2026-07-01"]
    )
    assert result.exit_code == 0, result.output
    assert "2026-07-01" in result.output and "Khoảng trống" in result.output
    assert geo.locate(db, 12.675, 108.045).code == BMT


def test_cli_refuses_a_bad_file_naming_the_feature(
    cli_env: None, tmp_path: Path, db: Session
) -> None:
    path = tmp_path / "sai.geojson"
    path.write_bytes(collection(feature(BMT, EAST), feature("99999", WEST)))
    result = CliRunner().invoke(cli, ["geo", "import", "communes", str(path)])
    assert result.exit_code == 1
    assert "features[1]" in result.output and "99999" in result.output
    assert db.execute(select(func.count(CommuneBoundary.id))).scalar_one() == 0
    bad_date = CliRunner().invoke(
        cli, ["geo", "import", "communes", str(path), "--valid-from", "x"]
    )
    assert bad_date.exit_code == 2
