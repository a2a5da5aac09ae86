"""Formula injection: no text a user typed comes back as a live formula in any CSV or XLSX the
app writes (OWASP "CSV injection": a leading = + - @ tab or CR gets a ``'`` prefix)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from helpers import login
from ioc.core import audit, clock
from ioc.core.models import Agency, Indicator
from ioc.engines.exports import Table, safe_cell, to_csv, to_xlsx
from ioc.engines.submissions.targets import set_target

EVIL = '=HYPERLINK("http://x","click")'
NASTY = [EVIL, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)", "\t=1+1", "\r=1+1"]


def _xlsx_cells(data: bytes) -> list[object]:
    book = load_workbook(io.BytesIO(data))
    cells = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"formula in {sheet.title}!{cell.coordinate}"
                cells.append(cell.value)
    return cells


def _csv_cells(data: bytes) -> list[str]:
    return [c for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))) for c in row]


def _no_live_csv(cells: list[str]) -> None:
    for cell in cells:
        assert not cell.startswith(("=", "+", "@", "\t", "\r")), cell
        assert not (cell.startswith("-") and not _is_number(cell)), cell


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_safe_cell_quotes_text_and_leaves_numbers() -> None:
    for text in NASTY:
        assert safe_cell(text) == "'" + text
    assert safe_cell(-5) == -5 and safe_cell(-2.5) == -2.5 and safe_cell(None) is None
    assert safe_cell("Sở Xây dựng") == "Sở Xây dựng" and safe_cell("") == ""
    moment = datetime(2026, 3, 10, tzinfo=UTC)
    assert safe_cell(moment) is moment


def test_engine_neutralises_text_in_title_notes_header_and_rows() -> None:
    table = Table(title=EVIL, header=["a", "@b"], rows=[[t, -3] for t in NASTY], notes=["=1+2"])
    cells = _xlsx_cells(to_xlsx(table))
    for text in NASTY:
        assert "'" + text in cells
    assert -3 in cells  # a negative number stays a number
    csv_cells = _csv_cells(to_csv(table))
    _no_live_csv(csv_cells)
    assert "'" + EVIL in csv_cells and "-3" in csv_cells


def _agency_id(session: Session, code: str) -> int:
    return session.execute(select(Agency.id).where(Agency.code == code)).scalar_one()


def test_documents_export_has_no_formula(
    client: TestClient, make_user, factory: sessionmaker[Session], frozen_now: datetime
) -> None:  # type: ignore[no-untyped-def]
    now = clock.now()
    with factory() as s, s.begin():
        from ioc.packs.documents.models import Document

        s.add(
            Document(
                external_id="SXD-EVIL",
                direction="incoming",
                agency_id=_agency_id(s, "so-xay-dung"),
                number="@1",
                summary=EVIL,
                registered_at=now - timedelta(days=3),
                deadline_at=now + timedelta(days=3),
                digitally_signed=False,
                via_axis=False,
                created_at=now,
                updated_at=now,
            )
        )
    login(client, "op", make_user("op", role="operator"))
    r = client.get("/documents/export/documents?format=xlsx")
    assert r.status_code == 200
    cells = _xlsx_cells(r.content)
    assert "'" + EVIL in cells and "'@1" in cells
    r = client.get("/documents/export/documents?format=csv")
    assert r.status_code == 200
    csv_cells = _csv_cells(r.content)
    _no_live_csv(csv_cells)
    assert "'" + EVIL in csv_cells


def test_submission_targets_export_has_no_formula(
    client: TestClient, make_user, factory: sessionmaker[Session], frozen_now: datetime
) -> None:  # type: ignore[no-untyped-def]
    with factory() as s, s.begin():
        indicator = s.execute(
            select(Indicator).where(Indicator.code == "tr_visitors_domestic")
        ).scalar_one()
        set_target(
            s,
            audit.Actor.system("test"),
            indicator=indicator,
            area_code="66",
            year=2026,
            value=-8.0,
            source_document=EVIL,
        )
    login(client, "adm", make_user("adm", role="admin"))
    r = client.get("/submissions/targets.xlsx?year=2026")
    assert r.status_code == 200
    cells = _xlsx_cells(r.content)
    assert "'" + EVIL in cells and EVIL not in cells
    assert -8.0 in cells
