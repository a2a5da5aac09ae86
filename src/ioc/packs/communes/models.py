"""Tables of the commune scorecards, prefixed ``cb_``: the board stored once a day.

``cb_board_days`` holds one row per stored day with the indicators as they were then (names,
units, thresholds, weights), so an old board reads the same after the configuration changes;
``cb_board_rows`` one row per commune and day: its score, colour, rank and every figure
(``values``: code -> number or null) with the colour of each board indicator.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Float, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ioc.core.db import Base
from ioc.core.models import UTCDateTime


class CbBoardDay(Base):
    """One stored board: its day, when it was computed and its indicator columns."""

    __tablename__ = "cb_board_days"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    columns: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    overall: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class CbBoardRow(Base):
    """One commune on one stored board."""

    __tablename__ = "cb_board_rows"
    __table_args__ = (
        UniqueConstraint("day", "area_code"),
        Index("ix_cb_board_rows_area_day", "area_code", "day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    area_code: Mapped[str] = mapped_column(String(16))
    score: Mapped[float | None] = mapped_column(Float)
    color: Mapped[str] = mapped_column(String(8))
    rank: Mapped[int | None] = mapped_column(Integer)
    values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    colors: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
