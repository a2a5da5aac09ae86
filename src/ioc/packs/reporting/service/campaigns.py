"""Campaigns of the reporting pack: creation (a template snapshot and one submission per
agency), the consolidated document's number, and the status board."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import audit, clock
from ioc.core.models import Agency
from ioc.packs.reporting.models import Campaign, Submission
from ioc.packs.reporting.service.rules import (
    CYCLES,
    EDITABLE,
    LATE,
    NOT_STARTED,
    REPORTING_KINDS,
    STATES,
    Doer,
    ReportingError,
    default_deadline,
    is_reviewer,
    may_create,
    policy,
    refuse,
    sections,
    today,
)
from ioc.packs.reporting.templates_data import DEFAULT_TEMPLATE, TABLE_KINDS, report_templates


def default_agency_codes(session: Session, on: date) -> list[str]:
    """Provincial departments and units that report by default (valid on ``on``)."""
    rows = session.execute(
        select(Agency.code, Agency.valid_from, Agency.valid_to).where(
            Agency.kind.in_(REPORTING_KINDS)
        )
    ).all()
    return sorted(
        code
        for code, start, end in rows
        if (start is None or start <= on) and (end is None or end >= on)
    )


def _check_campaign(year: int, cycle: str, template_key: str, templates: dict[str, Any]) -> None:
    """Refuse a year out of range, an unknown cycle or an unknown template."""
    if not 2000 <= year <= 2100:
        raise ReportingError("Năm không hợp lệ (2000–2100).", "Year must be 2000-2100.", "year")
    if cycle not in CYCLES:
        raise ReportingError(
            f"Kỳ báo cáo không hợp lệ: {cycle}.", f"Unknown cycle: {cycle}.", "cycle"
        )
    if template_key not in templates:
        raise ReportingError(
            f"Mẫu báo cáo không tồn tại: {template_key}.", "Unknown template.", "template"
        )


def _agency_ids(session: Session, codes: list[str]) -> dict[str, int]:
    """``{agency code: id}`` of the reporting agencies; refuses none or an unknown one."""
    if not codes:
        raise ReportingError(
            "Chọn ít nhất một đơn vị báo cáo.", "Choose at least one agency.", "agencies"
        )
    agencies = dict(
        session.execute(select(Agency.code, Agency.id).where(Agency.code.in_(codes))).all()
    )
    unknown = sorted(set(codes) - set(agencies))
    if unknown:
        raise ReportingError(
            f"Đơn vị không tồn tại: {', '.join(unknown)}.",
            f"Unknown agencies: {', '.join(unknown)}.",
            "agencies",
        )
    return agencies


def _snapshot(tpl: dict[str, Any], year: int) -> dict[str, Any]:
    """The template as the campaign keeps it: titles for ``year`` and the sections."""
    return {
        "title_vi": tpl["title_vi"].format(year=year),
        "title_en": tpl.get("title_en", tpl["title_vi"]).format(year=year),
        "summary_vi": tpl.get("summary_vi", tpl["title_vi"]).format(year=year),
        "sections": tpl["sections"],
    }


def create_campaign(
    session: Session,
    doer: Doer,
    *,
    year: int,
    cycle: str = "annual",
    deadline: date | None = None,
    agency_codes: list[str] | None = None,
    template_key: str = DEFAULT_TEMPLATE,
    period_label: str = "",
    title: str = "",
) -> Campaign:
    """Tạo đợt báo cáo: snapshot the template and open one submission per agency."""
    if not may_create(session, doer):
        raise refuse("Bạn không có quyền tạo đợt báo cáo.", "You may not create campaigns.")
    templates = report_templates()
    _check_campaign(year, cycle, template_key, templates)
    deadline = deadline or default_deadline(year)
    now = clock.now()
    codes = agency_codes if agency_codes is not None else default_agency_codes(session, today())
    agencies = _agency_ids(session, codes)
    snapshot = _snapshot(templates[template_key], year)
    campaign = Campaign(
        title=(title.strip() or snapshot["title_vi"])[:500],
        year=year,
        cycle=cycle,
        period_label=period_label.strip()[:100] or (f"Năm {year}" if cycle == "annual" else ""),
        deadline=deadline,
        template_key=template_key,
        template_json=json.dumps(snapshot, ensure_ascii=False),
        recipient_code=policy().recipient_code,
        status="open",
        signer_name=policy().signer_name,
        created_at=now,
        created_by=doer.actor.label,
    )
    session.add(campaign)
    session.flush()
    for code in sorted(set(codes)):
        session.add(
            Submission(
                campaign_id=campaign.id,
                agency_id=agencies[code],
                status=NOT_STARTED,
                content_json="{}",
                updated_at=now,
            )
        )
    session.flush()
    audit.record(
        session,
        doer.actor,
        "rp.campaign.create",
        "rp_campaign",
        campaign.id,
        year=year,
        cycle=cycle,
        deadline=deadline.isoformat(),
        agencies=len(set(codes)),
    )
    return campaign


def set_document(
    session: Session,
    doer: Doer,
    campaign: Campaign,
    *,
    number: str,
    doc_date: date | None,
    signer: str,
) -> None:
    """Set the consolidated report's number (kept as typed, leading zeros too), date, signer."""
    if not is_reviewer(session, doer, campaign):
        raise refuse("Bạn không có quyền tổng hợp báo cáo.", "You may not consolidate.")
    number = number.strip()
    if number and not re.fullmatch(r"[0-9]{1,10}", number):
        raise ReportingError(
            "Số văn bản chỉ gồm chữ số (ví dụ 0124).", "Number: digits only (e.g. 0124).", "number"
        )
    campaign.doc_number = number
    campaign.doc_date = doc_date
    campaign.signer_name = signer.strip()[:200]
    audit.record(
        session, doer.actor, "rp.campaign.document", "rp_campaign", campaign.id, number=number
    )


def board_state(sub: Submission, campaign: Campaign, on: date) -> str:
    """The state shown on the status board: unsent past the deadline shows ``late``."""
    if sub.status in EDITABLE and on > campaign.deadline:
        return LATE
    return sub.status


def board(session: Session, campaign: Campaign, on: date) -> list[dict[str, Any]]:
    """One row per agency: agency, stored status, board state, late flag, dates."""
    rows = session.execute(
        select(Submission, Agency)
        .join(Agency, Agency.id == Submission.agency_id)
        .where(Submission.campaign_id == campaign.id)
        .order_by(Agency.short_name)
    ).all()
    return [
        {
            "sub": sub,
            "agency": agency,
            "state": board_state(sub, campaign, on),
            "late": sub.late or board_state(sub, campaign, on) == LATE,
        }
        for sub, agency in rows
    ]


def counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    """Board states counted."""
    out = dict.fromkeys(STATES, 0)
    for r in rows:
        out[r["state"]] += 1
    return out


def table_sections(campaign: Campaign) -> list[dict[str, Any]]:
    """The campaign's table sections."""
    return [s for s in sections(campaign) if s["kind"] in TABLE_KINDS]
