"""Tables of the guides pack: who dismissed the first-login tour, and page-view counters."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ioc.core.db import Base
from ioc.core.models import UTCDateTime


class GdTourState(Base):
    """Trạng thái hướng dẫn lần đầu: one row per user who has dismissed the first-login tour."""

    __tablename__ = "gd_tour_state"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    dismissed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class GdPageView(Base):
    """Lượt xem trang: views per local day, page prefix (first path segment) and role."""

    __tablename__ = "gd_page_views"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    prefix: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
