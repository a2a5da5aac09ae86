"""The commune scorecards: figures from every pack → a board of colours, scores and ranks →
stored once a day → read back for the board, a commune's page, comparisons and exports.

* :func:`collect` asks every pack's ``commune_figures`` hook (a pack that fails is skipped and
  its indicators show as missing);
* :func:`score_board` is pure: colours per indicator (``config.Rule.color``), the weighted score
  (green 100, yellow 50, red 0 over the indicators with a figure), the overall colour and the
  rank among the communes (ties share a rank; a commune without any figure is not ranked);
* :func:`store` / :func:`load` keep one board per day (``cb_board_days`` / ``cb_board_rows``);
* :func:`changes` lists what got worse between two boards, :func:`attention` the communes that
  need attention with the reason, :func:`history` a commune's colours and values over days.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from ioc.core import clock
from ioc.core.communes import communes as current_communes
from ioc.core.registry import CommuneFigure, Registry, TileTrend
from ioc.engines.actions_kit import same_named
from ioc.packs.communes.config import NONE, SEVERITY, BoardConfig, board_config, keep_days
from ioc.packs.communes.models import CbBoardDay, CbBoardRow

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Column:
    """One indicator of a board: what it is and, when it is on the board, its rule."""

    code: str
    name_vi: str
    name_en: str
    unit: str
    better: str
    decimals: int = 0
    period_vi: str = ""
    period_en: str = ""
    href: str = ""
    on_board: bool = False
    weight: float = 0.0
    green: float | None = None
    red: float | None = None

    def name(self, lang: str) -> str:
        """Name in ``lang``."""
        return self.name_en if lang == "en" and self.name_en else self.name_vi

    def period(self, lang: str) -> str:
        """What the value covers, in ``lang``."""
        return self.period_en if lang == "en" and self.period_en else self.period_vi

    def as_dict(self) -> dict[str, Any]:
        """JSON form (stored with the day's board)."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass
class Line:
    """One commune on a board."""

    code: str
    name: str
    score: float | None
    color: str
    rank: int | None
    values: dict[str, float | None]
    colors: dict[str, str]
    ranks: dict[str, int | None] = field(default_factory=dict)

    def reds(self, columns: Sequence[Column]) -> list[Column]:
        """The board indicators this commune is red on, heaviest first."""
        red = [c for c in columns if c.on_board and self.colors.get(c.code) == "red"]
        return sorted(red, key=lambda c: -c.weight)


def _config_limits(config: BoardConfig) -> dict[str, Any]:
    """A computed board's colour limits and attention count, as ``config`` sets them."""
    return {**same_named(config, "overall_green overall_red"), "attention_count": config.attention}


@dataclass
class Board:
    """The board of one day."""

    day: date
    computed_at: datetime
    columns: list[Column]
    lines: list[Line]
    overall_green: float
    overall_red: float
    attention_count: int = 10
    stored: bool = True

    @property
    def board_columns(self) -> list[Column]:
        """The indicators on the board (the heat-map columns), in order."""
        return [c for c in self.columns if c.on_board]

    def line(self, code: str) -> Line | None:
        """The commune ``code``'s line."""
        return next((ln for ln in self.lines if ln.code == code), None)

    def column(self, code: str) -> Column | None:
        """The column ``code``."""
        return next((c for c in self.columns if c.code == code), None)

    @property
    def ranked(self) -> int:
        """How many communes have a rank (a score)."""
        return sum(1 for ln in self.lines if ln.rank is not None)


# ------------------------------------------------------------------------------ computing


def competition_ranks(values: dict[str, float | None], higher_first: bool) -> dict[str, int | None]:
    """Standard competition ranks ("1224") of the known values; ``None`` for the unknown."""
    known = [(k, v) for k, v in values.items() if v is not None]
    known.sort(key=lambda kv: -kv[1] if higher_first else kv[1])
    out: dict[str, int | None] = dict.fromkeys(values)
    previous: float | None = None
    rank = 0
    for i, (k, v) in enumerate(known, start=1):
        if previous is None or v != previous:
            rank = i
            previous = v
        out[k] = rank
    return out


def columns_of(figures: Iterable[CommuneFigure], config: BoardConfig) -> list[Column]:
    """Columns of the figures: board indicators first (in the board's order, even when no pack
    gives them: then every commune misses them), then the other figures by code."""
    by_code = {f.code: f for f in figures}
    out: list[Column] = []
    for rule in config.rules:
        f = by_code.get(rule.code)
        out.append(
            Column(
                code=rule.code,
                name_vi=f.name_vi if f else rule.code,
                name_en=f.name_en if f else rule.code,
                unit=f.unit if f else "",
                better=f.better if f else "up",
                decimals=f.decimals if f else 0,
                period_vi=f.period_vi if f else "",
                period_en=f.period_en if f else "",
                href=f.href if f else "",
                on_board=True,
                weight=rule.weight,
                green=rule.green,
                red=rule.red,
            )
        )
    for code in sorted(set(by_code) - {r.code for r in config.rules}):
        f = by_code[code]
        out.append(
            Column(
                f.code, f.name_vi, f.name_en, f.unit, f.better, f.decimals,
                f.period_vi, f.period_en, f.href,
            )
        )  # fmt: skip
    return out


def score_board(
    day: date,
    figures: Sequence[CommuneFigure],
    config: BoardConfig,
    communes: Sequence[tuple[str, str]],
    computed_at: datetime | None = None,
) -> Board:
    """The board of ``day`` for ``communes`` (code, name) from the packs' ``figures``."""
    columns = columns_of(figures, config)
    by_code = {f.code: f for f in figures}
    lines: list[Line] = []
    for code, name in communes:
        values: dict[str, float | None] = {}
        for col in columns:
            f = by_code.get(col.code)
            raw = f.values.get(code) if f else None
            values[col.code] = None if raw is None else float(raw)
        colors: dict[str, str] = {}
        weight = points = 0.0
        for col in columns:
            if not col.on_board:
                continue
            rule = config.rule(col.code)
            assert rule is not None
            color = rule.color(values[col.code], col.better)
            colors[col.code] = color
            if color != NONE and rule.weight > 0:
                weight += rule.weight
                points += rule.weight * config.points[color]
        score = round(points / weight, 1) if weight else None
        lines.append(Line(code, name, score, config.overall_color(score), None, values, colors))
    board = Board(
        day=day,
        computed_at=computed_at or clock.now(),
        columns=columns,
        lines=lines,
        **_config_limits(config),
        stored=False,
    )
    rank_lines(board)
    return board


def rank_lines(board: Board) -> None:
    """Fill each line's overall rank (by score) and its rank on every indicator."""
    overall = competition_ranks({ln.code: ln.score for ln in board.lines}, higher_first=True)
    per_column = {
        col.code: competition_ranks(
            {ln.code: ln.values.get(col.code) for ln in board.lines},
            higher_first=col.better != "down",
        )
        for col in board.columns
    }
    for ln in board.lines:
        ln.rank = overall[ln.code]
        ln.ranks = {code: ranks[ln.code] for code, ranks in per_column.items()}


def collect(session: Session, registry: Registry, day: date) -> list[CommuneFigure]:
    """Every pack's commune figures for ``day``; a pack whose hook fails is left out (logged)
    so one broken service cannot blank the board."""
    out: list[CommuneFigure] = []
    for pack in registry.packs:
        if pack.commune_figures is None:
            continue
        try:
            with session.begin_nested():
                out.extend(pack.commune_figures(session, day))
        except Exception:
            log.exception("commune_figures_failed", pack=pack.name)
    return out


def commune_list(session: Session) -> list[tuple[str, str]]:
    """(code, name) of the current communes/wards, by name."""
    return [(c.code, c.name) for c in current_communes(session)]


def compute(session: Session, registry: Registry, day: date) -> Board:
    """The board of ``day`` computed now from the packs (not stored)."""
    figures = collect(session, registry, day)
    return score_board(day, figures, board_config(), commune_list(session))


# ------------------------------------------------------------------------------- storing


def store(session: Session, board: Board) -> None:
    """Save ``board`` as its day's board, replacing one stored before for that day."""
    session.execute(delete(CbBoardRow).where(CbBoardRow.day == board.day))
    session.execute(delete(CbBoardDay).where(CbBoardDay.day == board.day))
    session.add(
        CbBoardDay(
            day=board.day,
            computed_at=board.computed_at,
            columns=[c.as_dict() for c in board.columns],
            overall={
                "green": board.overall_green,
                "red": board.overall_red,
                "attention": board.attention_count,
            },
        )
    )
    if board.lines:
        session.execute(
            insert(CbBoardRow),
            [
                {
                    "day": board.day,
                    "area_code": ln.code,
                    "score": ln.score,
                    "color": ln.color,
                    "rank": ln.rank,
                    "values": ln.values,
                    "colors": ln.colors,
                }
                for ln in board.lines
            ],
        )
    session.flush()
    board.stored = True


def _names(session: Session) -> dict[str, str]:
    return dict(commune_list(session))


def load(session: Session, day: date, names: dict[str, str] | None = None) -> Board | None:
    """The board stored for ``day``, or None."""
    head = session.execute(select(CbBoardDay).where(CbBoardDay.day == day)).scalar_one_or_none()
    if head is None:
        return None
    names = names if names is not None else _names(session)
    known = set(Column.__dataclass_fields__)
    columns = [Column(**{k: v for k, v in c.items() if k in known}) for c in head.columns]
    rows = session.execute(
        select(
            CbBoardRow.area_code,
            CbBoardRow.score,
            CbBoardRow.color,
            CbBoardRow.rank,
            CbBoardRow.values,
            CbBoardRow.colors,
        ).where(CbBoardRow.day == day)
    ).all()
    lines = [
        Line(code, names.get(code, code), score, color, rank, dict(values), dict(colors))
        for code, score, color, rank, values, colors in rows
    ]
    lines.sort(key=lambda ln: ln.name)
    overall = head.overall or {}
    board = Board(
        day=day,
        computed_at=head.computed_at,
        columns=columns,
        lines=lines,
        overall_green=float(overall.get("green", 75)),
        overall_red=float(overall.get("red", 50)),
        attention_count=int(overall.get("attention", 10)),
    )
    rank_lines(board)
    return board


def board_for(
    session: Session, registry: Registry, day: date, names: dict[str, str] | None = None
) -> Board:
    """The stored board of ``day``; for today without a stored one, computed now (the daily
    job stores it); for a past day without one, an empty board."""
    found = load(session, day, names)
    if found is not None:
        return found
    if day >= today():
        return compute(session, registry, day)
    config = board_config()
    return Board(day, clock.now(), [], [], **_config_limits(config), stored=False)


def stored_days(session: Session, limit: int = 400) -> list[date]:
    """Days with a stored board, newest first."""
    stmt = select(CbBoardDay.day).order_by(CbBoardDay.day.desc()).limit(limit)
    return list(session.execute(stmt).scalars())


def today(now: datetime | None = None) -> date:
    """The local date (Asia/Ho_Chi_Minh)."""
    return (now or clock.now()).astimezone(clock.local_zone()).date()


def snapshot(session: Session, registry: Registry, now: datetime | None = None) -> Board:
    """Compute today's board, store it and drop boards older than ``IOC_CB_KEEP_DAYS``."""
    day = today(now)
    board = compute(session, registry, day)
    store(session, board)
    oldest = day - timedelta(days=keep_days())
    session.execute(delete(CbBoardRow).where(CbBoardRow.day < oldest))
    session.execute(delete(CbBoardDay).where(CbBoardDay.day < oldest))
    return board


# ------------------------------------------------------------------------------ reading


@dataclass(frozen=True)
class Change:
    """A commune that got worse on one indicator (``column`` None: its overall colour)."""

    code: str
    name: str
    column: Column | None
    before: str
    after: str
    value_before: float | None
    value_after: float | None

    @property
    def jump(self) -> int:
        """How many colours it fell (1 or 2)."""
        return SEVERITY.get(self.after, 0) - SEVERITY.get(self.before, 0)


def changes(board: Board, earlier: Board | None) -> list[Change]:
    """What got worse from ``earlier`` to ``board``: overall colours first, then indicator
    colours, the biggest falls first. A figure that went missing is not "worse"."""
    if earlier is None:
        return []
    out: list[Change] = []
    for ln in board.lines:
        old = earlier.line(ln.code)
        if old is None:
            continue
        if (
            ln.color in SEVERITY
            and old.color in SEVERITY
            and SEVERITY[ln.color] > SEVERITY[old.color]
        ):
            out.append(Change(ln.code, ln.name, None, old.color, ln.color, old.score, ln.score))
        for col in board.board_columns:
            now_c, was_c = ln.colors.get(col.code, NONE), old.colors.get(col.code, NONE)
            if now_c in SEVERITY and was_c in SEVERITY and SEVERITY[now_c] > SEVERITY[was_c]:
                out.append(
                    Change(
                        ln.code, ln.name, col, was_c, now_c,
                        old.values.get(col.code), ln.values.get(col.code),
                    )
                )  # fmt: skip
    out.sort(key=lambda c: (c.column is not None, -c.jump, c.name))
    return out


@dataclass(frozen=True)
class Attention:
    """A commune that needs attention, and why."""

    line: Line
    reds: list[Column]
    yellows: list[Column]
    worse: list[Change]
    missing: list[Column]


def attention(
    board: Board, found: Sequence[Change] = (), count: int | None = None
) -> list[Attention]:
    """The ``count`` communes that need attention most: the lowest scores (then the most red
    indicators, then those that got worse), each with its red and yellow indicators and what
    got worse; communes all green are never listed."""
    count = board.attention_count if count is None else count
    worse: dict[str, list[Change]] = {}
    for ch in found:
        worse.setdefault(ch.code, []).append(ch)
    cols = board.board_columns
    candidates = []
    for ln in board.lines:
        if ln.score is None:
            continue
        reds = ln.reds(cols)
        yellows = [c for c in cols if ln.colors.get(c.code) == "yellow"]
        if not reds and not yellows and ln.code not in worse:
            continue
        missing = [c for c in cols if ln.colors.get(c.code, NONE) == NONE]
        candidates.append(Attention(ln, reds, yellows, worse.get(ln.code, []), missing))
    candidates.sort(key=lambda a: (a.line.score, -len(a.reds), -len(a.worse), a.line.name))
    return candidates[:count]


@dataclass(frozen=True)
class DayState:
    """A commune on one stored day: colour, score, rank and figures."""

    day: date
    color: str
    score: float | None
    rank: int | None
    values: dict[str, Any]
    colors: dict[str, Any]


def history(session: Session, code: str, last: date, days: int = 90) -> list[DayState | None]:
    """The commune's state on each of the ``days`` days ending with ``last`` (oldest first;
    None for a day without a stored board)."""
    first = last - timedelta(days=days - 1)
    rows = session.execute(
        select(
            CbBoardRow.day,
            CbBoardRow.color,
            CbBoardRow.score,
            CbBoardRow.rank,
            CbBoardRow.values,
            CbBoardRow.colors,
        ).where(CbBoardRow.area_code == code, CbBoardRow.day >= first, CbBoardRow.day <= last)
    ).all()
    by_day = {r[0]: DayState(*r) for r in rows}
    return [by_day.get(first + timedelta(days=i)) for i in range(days)]


def sort_lines(board: Board, key: str, descending: bool) -> list[Line]:
    """The board's lines sorted by ``key`` (``rank``, ``name``, ``score`` or an indicator code);
    lines without a value always come last."""
    if key == "name":
        return sorted(board.lines, key=lambda ln: ln.name, reverse=descending)

    def value(ln: Line) -> float | None:
        if key in ("rank", "score"):
            return ln.score
        return ln.values.get(key)

    known = [ln for ln in board.lines if value(ln) is not None]
    unknown = [ln for ln in board.lines if value(ln) is None]
    if key == "rank":  # best first by default
        sign = 1.0 if descending else -1.0
        known.sort(key=lambda ln: (sign * (value(ln) or 0.0), ln.name))
    else:
        sign = -1.0 if descending else 1.0
        known.sort(key=lambda ln: (sign * (value(ln) or 0.0), ln.name))
    return known + sorted(unknown, key=lambda ln: ln.name)


@dataclass(frozen=True)
class FigureRow:
    """One figure on a commune's page."""

    column: Column
    value: float | None
    color: str
    rank: int | None
    ranked: int
    trend: TileTrend


def commune_rows(board: Board, line: Line, past: list[DayState | None]) -> list[FigureRow]:
    """Every figure of the commune with its level, rank and trend over the stored days."""
    out = []
    for col in board.columns:
        ranked = sum(1 for ln in board.lines if ln.values.get(col.code) is not None)
        series: list[float | None] = []
        for state in past:
            raw = state.values.get(col.code) if state is not None else None
            series.append(None if raw is None else float(raw))
        series[-1] = line.values.get(col.code)
        out.append(
            FigureRow(
                column=col,
                value=line.values.get(col.code),
                color=line.colors.get(col.code, NONE) if col.on_board else "",
                rank=line.ranks.get(col.code),
                ranked=ranked,
                trend=TileTrend(tuple(series), "day", col.better, col.decimals),
            )
        )
    return out
