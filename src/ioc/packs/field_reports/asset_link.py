"""Field reports about an infrastructure asset, for the planning pack (through
``PackManifest.extra``, never an import between packs).

* ``extra["asset_report_submit"](session, **fields) -> (code, secret, category)``: a
  citizen's report about an asset, through the pack's own :func:`service.submit_report` (same
  checks, rate limit, routing and notices as the public form); the asset's kind chooses the
  category when the citizen names none.
* ``extra["asset_report_status"](session, codes, lang) -> list[dict]``: the public fields of
  the reports with those codes (as the public map shows them), hidden ones left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.packs.field_reports import service
from ioc.packs.field_reports.errors import FieldReportError
from ioc.packs.field_reports.models import Report
from ioc.packs.field_reports.public import public_report

# Asset kind (planning pack) -> the category a report about it is filed under.
CATEGORY_OF_KIND = {
    "street_light": "chieu-sang",
    "drainage": "ngap-ung",
    "water_supply": "khac",
    "public_toilet": "trat-tu-do-thi",
    "bin": "rac-thai",
    "traffic_sign": "bien-bao-giao-thong",
    "tree": "cay-xanh",
}


def submit(
    session: Session,
    *,
    asset_kind: str,
    asset_name: str,
    description: str,
    lat: float,
    lon: float,
    reporter_name: str,
    reporter_phone: str | None,
    reporter_email: str | None,
    category_code: str | None = None,
    client_key: str | None = None,
    lang: str = "vi",
) -> tuple[str, str, str]:
    """File a report about an asset: ``(report code, citizen secret, category code)``.
    Raises ``ValueError`` (``FieldReportError``, with ``field``) for bad input."""
    category = category_code or CATEGORY_OF_KIND.get(asset_kind, "khac")
    text = description.strip()
    if text and asset_name not in text:
        text = f"{text} ({asset_name})"
    sub = service.submit_report(
        session,
        service.citizen_actor(),
        category_code=category,
        description=text,
        lat=lat,
        lon=lon,
        reporter_name=reporter_name,
        reporter_phone=reporter_phone or None,
        reporter_email=reporter_email or None,
        address=asset_name,
        client_key=client_key,
        lang=lang,
    )
    return sub.report.code, sub.secret, category


def status(session: Session, codes: Sequence[str], lang: str = "vi") -> list[dict[str, Any]]:
    """The public fields of the reports ``codes`` (newest first), hidden ones left out."""
    if not codes:
        return []
    reports = session.execute(
        select(Report).where(Report.code.in_(list(codes))).order_by(Report.received_at.desc())
    ).scalars()
    return [public_report(session, r, lang) for r in reports if not r.hidden]


def hooks() -> dict[str, Any]:
    """The functions the planning pack finds in ``PackManifest.extra``."""
    return {
        "asset_report_submit": submit,
        "asset_report_status": status,
        "asset_report_error": FieldReportError,
    }
