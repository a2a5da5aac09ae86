"""Constants and helpers of the documents tests (a uniquely named module: ``conftest`` is
ambiguous when several test folders run together)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core.models import Agency

PASSWORD = "mật-khẩu-đủ-dài-123"
SXD = "so-xay-dung"
SKHCN = "so-khoa-hoc-cong-nghe"
BMT = "ubnd-24133"


def agency_id(session: Session, code: str) -> int:
    """Id of the agency ``code``."""
    return session.execute(select(Agency.id).where(Agency.code == code)).scalar_one()
