"""Demo data: the 2025 campaign fully accepted and consolidated, a 2026 campaign in progress
with agencies at different states, and maturity self-assessments for 2025 and 2026."""

from __future__ import annotations

import random
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ioc.core import audit
from ioc.packs.reporting import maturity, service
from ioc.packs.reporting.models import Campaign, Submission
from ioc.packs.reporting.templates_data import criteria_sets

ACTOR = audit.Actor.system("demo")
TEXTS = (
    "Đã ban hành kế hoạch triển khai nhiệm vụ đô thị thông minh; kết nối dữ liệu chuyên ngành "
    "với Trung tâm IOC của tỉnh.",
    "Triển khai hệ thống thông tin quản lý chuyên ngành, số hóa hồ sơ và cập nhật cơ sở dữ liệu.",
    "Tổ chức tập huấn chuyển đổi số cho cán bộ, công chức; tuyên truyền về đô thị thông minh.",
)


def _content(c: Campaign, rng: random.Random, year: int) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for s in service.sections(c):
        if s["kind"] == "text":
            data[s["key"]] = {"text": rng.choice(TEXTS) + f" (năm {year})"}
        elif s.get("rows"):
            rows = []
            for r in s["rows"]:
                row: dict[str, Any] = {"code": r["code"]}
                for col in s["columns"]:
                    if col["type"] == "text":
                        row[col["key"]] = ""
                    elif r.get("unit") == "%":
                        row[col["key"]] = round(rng.uniform(55, 98), 1)
                    else:
                        row[col["key"]] = float(
                            rng.randint(1, 40) * (50 if s["kind"] == "funding" else 1)
                        )
                rows.append(row)
            data[s["key"]] = {"rows": rows}
        else:
            data[s["key"]] = {
                "rows": [
                    {
                        "task": "Số hóa dữ liệu chuyên ngành",
                        "progress": float(rng.randint(40, 100)),
                        "status": "Đang thực hiện",
                        "note": "",
                    },
                    {
                        "task": "Kết nối, chia sẻ dữ liệu với IOC",
                        "progress": float(rng.randint(30, 100)),
                        "status": "Đang thực hiện",
                        "note": "",
                    },
                ]
            }
    return data


def load_demo(
    factory: sessionmaker[Session], *, end: datetime, progress: Any = None, **_: Any
) -> int:
    """Create the demo campaigns (idempotent: nothing when a campaign exists)."""
    rng = random.Random(950)  # noqa: S311 - reproducible demo figures, not secrets
    with factory() as session, session.begin():
        if session.execute(select(func.count()).select_from(Campaign)).scalar_one():
            return 0
        admin = service.Doer(ACTOR, "admin", None)
        on = end.date()
        codes = service.default_agency_codes(session, on)
        old = service.create_campaign(
            session, admin, year=2025, agency_codes=codes, deadline=date(2025, 10, 31)
        )
        old.doc_number, old.doc_date = "0187", date(2025, 11, 20)
        new = service.create_campaign(
            session, admin, year=2026, agency_codes=codes, deadline=service.default_deadline(2026)
        )
        count = 0
        for c, year in ((old, 2025), (new, 2026)):
            subs = list(
                session.execute(
                    select(Submission).where(Submission.campaign_id == c.id).order_by(Submission.id)
                ).scalars()
            )
            for i, sub in enumerate(subs):
                data = _content(c, rng, year)
                target = (
                    "accepted"
                    if year == 2025
                    else ("accepted", "submitted", "returned", "draft", "not_started")[i % 5]
                )
                if target == "not_started":
                    continue
                service.save_draft(session, admin, sub, data)
                if target != "draft":
                    service.submit(session, admin, sub, None)
                if target == "returned":
                    service.return_submission(
                        session, admin, sub, "Đề nghị bổ sung số liệu kinh phí và minh chứng."
                    )
                if target == "accepted":
                    service.accept(session, admin, sub)
                count += 1
        cs = criteria_sets()["moc_2024"]
        for year, base in ((2025, 2.0), (2026, 2.6)):
            scores = {
                cr["code"]: (
                    float(min(5, max(0, round(base + rng.uniform(-1, 1.2))))),
                    "Minh chứng: báo cáo của các sở, ngành",
                )
                for cr in cs["criteria"]
            }
            maturity.save_assessment(session, admin, year, scores)
        return count
