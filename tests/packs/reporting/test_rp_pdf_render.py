"""The consolidated DOCX converted to PDF by LibreOffice renders as a provincial report.

Keeps the PNG of page 1 under the test's tmp dir; with ``IOC_UPDATE_ARTEFACTS=1`` also copies
it to ``docs/report-page1.png``. Marked ``browser`` so it runs once (on SQLite).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path

import pytest
from rp_helpers import SKHCN, SXD, SYT, doer, filled
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.packs.reporting import consolidate, service
from ioc.packs.reporting.models import Submission

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[3]


def _tools() -> None:
    if shutil.which("soffice") and shutil.which("pdftoppm"):
        return
    if os.environ.get("CI"):
        pytest.fail("soffice/pdftoppm missing in CI (.ci/run installs libreoffice-writer-nogui)")
    pytest.skip("LibreOffice (soffice) or poppler-utils (pdftoppm) not installed")


def test_docx_renders_to_pdf_page1(db: Session, frozen_now: datetime, tmp_path: Path) -> None:
    _tools()
    c = service.create_campaign(db, doer(db, SXD), year=2026, agency_codes=[SYT, SKHCN])
    for sub in db.execute(select(Submission).where(Submission.campaign_id == c.id)).scalars():
        code = SYT if sub.agency_id == doer(db, SYT).agency_id else SKHCN
        service.submit(db, doer(db, code), sub, filled())
        service.accept(db, doer(db, SXD), sub)
    service.set_document(
        db, doer(db, SXD), c, number="0124", doc_date=date(2026, 11, 5), signer="Trương Công Thái"
    )
    db.flush()
    docx = tmp_path / "bao-cao.docx"
    docx.write_bytes(consolidate.build_docx(db, c, date(2026, 11, 5)))
    env = {**os.environ, "HOME": str(tmp_path)}  # LibreOffice writes its profile there
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(docx)],
        check=True,
        timeout=180,
        env=env,
        capture_output=True,
    )
    pdf = tmp_path / "bao-cao.pdf"
    assert pdf.stat().st_size > 5000
    text = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", "-layout", str(pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    for needed in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "ỦY BAN NHÂN DÂN",
        "Số: 0124/BC-UBND",
        "Đắk Lắk, ngày 05 tháng 11 năm 2026",
        "BÁO CÁO",
    ):
        assert needed in text, needed
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    assert "Times" in fonts or "LiberationSerif" in fonts  # metric-compatible substitute
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
        check=True,
        timeout=60,
    )
    png = next(tmp_path.glob("page*.png"))
    assert png.stat().st_size > 10_000
    if os.environ.get("IOC_UPDATE_ARTEFACTS") == "1":
        shutil.copy(png, ROOT / "docs" / "report-page1.png")
