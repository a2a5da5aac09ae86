"""The board's configuration: which indicators, their weights and colour thresholds.

Read from the pack's ``board.yaml`` (or the file ``IOC_CB_BOARD_FILE`` names), then narrowed to
the codes of ``IOC_CB_INDICATORS`` when that is set. A bad file is refused with the field named.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from ioc.core import yaml_text

GREEN, YELLOW, RED, NONE = "green", "yellow", "red", "none"
COLORS = (GREEN, YELLOW, RED)
# How bad a colour is (a missing figure is no colour at all).
SEVERITY = {GREEN: 0, YELLOW: 1, RED: 2}


class BoardConfigError(ValueError):
    """A board configuration that cannot be used; the message names the field."""


@dataclass(frozen=True)
class Rule:
    """One indicator on the board: its weight and the thresholds of green and red."""

    code: str
    weight: float
    green: float
    red: float

    def color(self, value: float | None, better: str) -> str:
        """``green`` / ``yellow`` / ``red`` of ``value``, or ``none`` without a value."""
        if value is None:
            return NONE
        if better == "down":
            if value <= self.green:
                return GREEN
            return RED if value > self.red else YELLOW
        if value >= self.green:
            return GREEN
        return RED if value < self.red else YELLOW


@dataclass(frozen=True)
class BoardConfig:
    """The indicators of the board, in display order, and the overall thresholds."""

    rules: tuple[Rule, ...]
    overall_green: float = 75.0
    overall_red: float = 50.0
    points: dict[str, float] = field(default_factory=lambda: {GREEN: 100.0, YELLOW: 50.0, RED: 0.0})
    attention: int = 10

    def rule(self, code: str) -> Rule | None:
        """The rule of indicator ``code``, if it is on the board."""
        return next((r for r in self.rules if r.code == code), None)

    def overall_color(self, score: float | None) -> str:
        """The commune's colour from its score."""
        if score is None:
            return NONE
        if score >= self.overall_green:
            return GREEN
        return RED if score < self.overall_red else YELLOW


def _number(raw: Any, where: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        raise BoardConfigError(f"{where}: cần một số / must be a number (got {raw!r})")
    return float(raw)


def parse(data: Any, only: list[str] | None = None) -> BoardConfig:
    """A :class:`BoardConfig` from the YAML mapping ``data``; ``only`` keeps those codes."""
    if not isinstance(data, dict):
        raise BoardConfigError("board: cần một bảng khóa/giá trị / must be a mapping")
    items = data.get("indicators")
    if not isinstance(items, list) or not items:
        raise BoardConfigError("indicators: cần danh sách chỉ tiêu / must be a non-empty list")
    rules: list[Rule] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        where = f"indicators[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("code"), str):
            raise BoardConfigError(f"{where}.code: thiếu mã chỉ tiêu / missing code")
        code = item["code"].strip()
        if code in seen:
            raise BoardConfigError(f"{where}.code: {code} lặp lại / repeated")
        seen.add(code)
        weight = _number(item.get("weight", 1), f"{where}.weight")
        if weight < 0:
            raise BoardConfigError(f"{where}.weight: không được âm / must not be negative")
        rules.append(
            Rule(
                code,
                weight,
                _number(item.get("green"), f"{where}.green"),
                _number(item.get("red"), f"{where}.red"),
            )
        )
    if only:
        wanted = [c.strip() for c in only if c.strip()]
        unknown = [c for c in wanted if c not in seen]
        if unknown:
            raise BoardConfigError(
                f"IOC_CB_INDICATORS: {', '.join(unknown)} không có trong bảng / not on the board"
            )
        by_code = {r.code: r for r in rules}
        rules = [by_code[c] for c in wanted]
    overall = data.get("overall") or {}
    green = _number(overall.get("green", 75), "overall.green")
    red = _number(overall.get("red", 50), "overall.red")
    if red > green:
        raise BoardConfigError("overall.red: phải nhỏ hơn overall.green / must not exceed green")
    points_raw = data.get("points") or {}
    points = {c: _number(points_raw.get(c, d), f"points.{c}") for c, d in zip(
        COLORS, (100, 50, 0), strict=True
    )}  # fmt: skip
    attention = data.get("attention", 10)
    if not isinstance(attention, int) or isinstance(attention, bool) or attention < 0:
        raise BoardConfigError("attention: cần số nguyên không âm / must be a whole number ≥ 0")
    return BoardConfig(tuple(rules), green, red, points, attention)


_config: BoardConfig | None = None
_deadline_days = 5
_keep_days = 400


def configure(settings: Any) -> None:
    """Load the board from the settings (``IOC_CB_BOARD_FILE``, ``IOC_CB_INDICATORS``)."""
    global _config, _deadline_days, _keep_days
    path = str(getattr(settings, "cb_board_file", "") or "")
    if path:
        text = Path(path).read_text(encoding="utf-8")
    else:
        text = resources.files("ioc.packs.communes").joinpath("board.yaml").read_text("utf-8")
    only = [c for c in str(getattr(settings, "cb_indicators", "") or "").split(",") if c.strip()]
    _config = parse(yaml_text.load(text), only or None)
    _deadline_days = int(getattr(settings, "sub_deadline_working_days", 5))
    _keep_days = int(getattr(settings, "cb_keep_days", 400))


def board_config() -> BoardConfig:
    """The board in force (the pack's own file until :func:`configure` ran)."""
    global _config
    if _config is None:
        text = resources.files("ioc.packs.communes").joinpath("board.yaml").read_text("utf-8")
        _config = parse(yaml_text.load(text))
    return _config


def set_board_config(new: BoardConfig | None) -> None:
    """Replace the board in force (tests, bench); ``None`` goes back to the pack's file."""
    global _config
    _config = new


def deadline_days() -> int:
    """Working days after a month's end that a commune has to submit its figures."""
    return _deadline_days


def keep_days() -> int:
    """How many days of stored boards are kept."""
    return _keep_days
