"""Helpers of the reporting tests (a uniquely named module)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ioc.core import audit, auth
from ioc.core.models import Agency
from ioc.packs.reporting.service import Doer

PASSWORD = "mật-khẩu-đủ-dài-123"
SXD = "so-xay-dung"
SYT = "so-y-te"
SKHCN = "so-khoa-hoc-cong-nghe"


def agency_id(session: Session, code: str) -> int:
    """Id of the agency ``code``."""
    return session.execute(select(Agency.id).where(Agency.code == code)).scalar_one()


def make_staff(
    factory: sessionmaker[Session], username: str, code: str | None, role: str = "agency_staff"
) -> None:
    """Create a user of agency ``code``."""
    with factory() as session, session.begin():
        auth.create_user(
            session,
            audit.Actor.system("test"),
            username=username,
            password=PASSWORD,
            full_name=f"Cán bộ {username}",
            role=role,
            agency_code=code,
        )


def doer(session: Session, code: str | None, role: str = "agency_staff") -> Doer:
    """A Doer of agency ``code``."""
    aid = agency_id(session, code) if code else None
    return Doer(audit.Actor(None, f"{role}@{code}"), role, aid)


def filled(year: int = 2026) -> dict[str, Any]:
    """Content of a typical agency report."""
    return {
        "general": {"text": f"Đã ban hành kế hoạch chuyển đổi số năm {year}.\nTriển khai IOC."},
        "indicators": {
            "rows": [
                {"code": "CT01", "value": 3.0, "note": ""},
                {"code": "CT02", "value": 2.0, "note": "Kết nối trục LGSP"},
                {"code": "CT03", "value": 85.5, "note": ""},
                {"code": "CT04", "value": 120.0, "note": ""},
                {"code": "CT05", "value": None, "note": ""},
                {"code": "CT06", "value": None, "note": ""},
            ]
        },
        "tasks": {
            "rows": [
                {"task": "Xây dựng kho dữ liệu", "progress": 60.0, "status": "Đang làm", "note": ""}
            ]
        },
        "funding": {
            "rows": [
                {"code": "NS-TW", "planned": 0.0, "disbursed": 0.0},
                {"code": "NS-DP", "planned": 1500.0, "disbursed": 1200.5},
                {"code": "XHH", "planned": None, "disbursed": None},
            ]
        },
        "difficulties": {"text": "Thiếu nhân lực công nghệ thông tin."},
        "proposals": {"text": ""},
        "next_year": {"text": "Hoàn thành kết nối dữ liệu."},
    }
