"""Commune scorecards, computed from hand-made figures for a few communes (no database).

Board: on-time rate (higher is better, weight 2, green ≥ 90, red < 70) and overdue reports
(lower is better, weight 1, green ≤ 0, red > 3). Overall: green from 75 points, red below 50.
Points per indicator: green 100, yellow 50, red 0, averaged with the weights over the
indicators a commune has a figure for — a missing figure is left out, never counted as 0.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from ioc.core.registry import CommuneFigure
from ioc.packs.communes import config, service
from ioc.packs.communes.config import BoardConfig, BoardConfigError, Rule

DAY = date(2026, 3, 10)
AT = datetime(2026, 3, 10, 5, tzinfo=UTC)
COMMUNES = [("A", "Xã An"), ("B", "Xã Bình"), ("C", "Xã Cư"), ("D", "Xã Đông"), ("E", "Xã Ea")]
CONFIG = BoardConfig(
    rules=(Rule("on_time", 2, 90, 70), Rule("overdue", 1, 0, 3)),
    overall_green=75,
    overall_red=50,
    attention=3,
)


def figures(
    on_time: dict[str, float | None], overdue: dict[str, float | None]
) -> list[CommuneFigure]:
    return [
        CommuneFigure("on_time", "Trả lời đúng hạn", "On time", "%", "up", on_time, 1),
        CommuneFigure("overdue", "Quá hạn", "Overdue", "phản ánh", "down", overdue),
        # Not on the board: shown on the commune's page, never scored.
        CommuneFigure("aqi", "VN_AQI", "VN_AQI", "", "down", {"A": 40.0, "B": 40.0}),
    ]


TODAY = figures(
    on_time={"A": 95.0, "B": 80.0, "C": 60.0, "D": 95.0},  # E: no figure
    overdue={"A": 0.0, "B": 5.0, "C": 2.0, "D": 0.0, "E": None},
)


def test_colours_scores_and_ranks_with_missing_data() -> None:
    board = service.score_board(DAY, TODAY, CONFIG, COMMUNES, AT)
    a, b, c, d, e = (board.line(code) for code, _ in COMMUNES)
    assert a and b and c and d and e
    # A: green, green -> 100. B: yellow (80) ×2, red (5 > 3) ×1 -> (100+0)/3 = 33.3.
    # C: red (60 < 70) ×2, yellow (2) ×1 -> 50/3 = 16.7. D: like A.
    assert a.colors == {"on_time": "green", "overdue": "green"}
    assert b.colors == {"on_time": "yellow", "overdue": "red"}
    assert c.colors == {"on_time": "red", "overdue": "yellow"}
    assert (a.score, b.score, c.score, d.score) == (100.0, 33.3, 16.7, 100.0)
    assert (a.color, b.color, c.color) == ("green", "red", "red")
    # Ties share a rank; the next rank skips ("1, 1, 3, 4").
    assert (a.rank, d.rank, b.rank, c.rank) == (1, 1, 3, 4)
    # E has no figure at all: no score, no colour, no rank — and its values stay None, not 0.
    assert e.score is None and e.color == "none" and e.rank is None
    assert e.values["on_time"] is None and e.values["overdue"] is None
    assert e.colors == {"on_time": "none", "overdue": "none"}
    assert board.ranked == 4


def test_a_missing_figure_weighs_nothing() -> None:
    only_overdue = figures(on_time={"A": None}, overdue={"A": 1.0})
    board = service.score_board(DAY, only_overdue, CONFIG, [("A", "Xã An")], AT)
    line = board.line("A")
    assert line is not None
    # One yellow indicator known: 50 points, not (0×2 + 50×1)/3.
    assert line.score == 50.0 and line.color == "yellow"
    assert line.colors["on_time"] == "none"


def test_rank_per_indicator_follows_which_way_is_better() -> None:
    board = service.score_board(DAY, TODAY, CONFIG, COMMUNES, AT)
    ranks = {ln.code: ln.ranks for ln in board.lines}
    # on_time: higher is better (A and D 95 share 1st, B 80 3rd, C 60 4th, E unranked).
    assert {k: r["on_time"] for k, r in ranks.items()} == {
        "A": 1,
        "B": 3,
        "C": 4,
        "D": 1,
        "E": None,
    }
    # overdue: lower is better (A, D 0 -> 1st; C 2 -> 3rd; B 5 -> 4th).
    assert {k: r["overdue"] for k, r in ranks.items()} == {
        "A": 1,
        "B": 4,
        "C": 3,
        "D": 1,
        "E": None,
    }
    # A figure that is not on the board is ranked but has no colour.
    assert ranks["A"]["aqi"] == 1 and "aqi" not in board.line("A").colors  # type: ignore[union-attr]
    assert [c.code for c in board.board_columns] == ["on_time", "overdue"]


def test_boundaries_of_the_thresholds() -> None:
    up, down = Rule("x", 1, 90, 70), Rule("y", 1, 0, 3)
    assert [up.color(v, "up") for v in (90, 89.9, 70, 69.9, None)] == [
        "green", "yellow", "yellow", "red", "none",
    ]  # fmt: skip
    assert [down.color(v, "down") for v in (0, 0.5, 3, 3.5, None)] == [
        "green", "yellow", "yellow", "red", "none",
    ]  # fmt: skip


def test_what_got_worse_and_who_needs_attention() -> None:
    yesterday = service.score_board(
        date(2026, 3, 9),
        figures(
            on_time={"A": 95.0, "B": 95.0, "C": 60.0, "D": 95.0},
            overdue={"A": 0.0, "B": 0.0, "C": 2.0, "D": 0.0},
        ),
        CONFIG,
        COMMUNES,
        AT,
    )
    today = service.score_board(DAY, TODAY, CONFIG, COMMUNES, AT)
    found = service.changes(today, yesterday)
    # B fell from green to red overall, on-time green -> yellow and overdue green -> red.
    described = [
        (ch.code, ch.column.code if ch.column else None, ch.before, ch.after) for ch in found
    ]
    assert described == [
        ("B", None, "green", "red"),
        ("B", "overdue", "green", "red"),
        ("B", "on_time", "green", "yellow"),
    ]
    # E went from no figure to no figure, C stayed red: neither is "worse".
    needing = service.attention(today, found)
    assert [a.line.code for a in needing] == ["C", "B"]  # lowest score first; A, D all green
    c, b = needing
    assert [col.code for col in c.reds] == ["on_time"]
    assert [col.code for col in b.reds] == ["overdue"]
    assert [ch.column.code for ch in b.worse if ch.column] == ["overdue", "on_time"]


def test_sorting_keeps_missing_values_last() -> None:
    board = service.score_board(DAY, TODAY, CONFIG, COMMUNES, AT)
    assert [ln.code for ln in service.sort_lines(board, "on_time", False)] == [
        "C",
        "B",
        "A",
        "D",
        "E",
    ]
    assert [ln.code for ln in service.sort_lines(board, "on_time", True)] == [
        "A",
        "D",
        "B",
        "C",
        "E",
    ]
    assert [ln.code for ln in service.sort_lines(board, "rank", False)] == ["A", "D", "B", "C", "E"]


def test_an_indicator_no_pack_gives_is_missing_for_everyone() -> None:
    cfg = BoardConfig(rules=(*CONFIG.rules, Rule("ghost", 1, 1, 0)))
    board = service.score_board(DAY, TODAY, cfg, COMMUNES, AT)
    assert board.column("ghost") is not None
    assert all(ln.colors["ghost"] == "none" for ln in board.lines)
    assert board.line("A").score == 100.0  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"indicators": []}, "indicators"),
        ({"indicators": [{"code": "a", "green": "x", "red": 1}]}, "indicators[0].green"),
        (
            {"indicators": [{"code": "a", "green": 1, "red": 0, "weight": -1}]},
            "indicators[0].weight",
        ),
        (
            {
                "indicators": [
                    {"code": "a", "green": 1, "red": 0},
                    {"code": "a", "green": 1, "red": 0},
                ]
            },
            "indicators[1].code",
        ),
        (
            {
                "indicators": [{"code": "a", "green": 1, "red": 0}],
                "overall": {"green": 40, "red": 60},
            },
            "overall.red",
        ),
    ],
)
def test_a_bad_board_file_names_the_field(data: object, field: str) -> None:
    with pytest.raises(BoardConfigError, match=field.replace("[", r"\[").replace("]", r"\]")):
        config.parse(data)


def test_the_settings_keep_only_the_chosen_indicators() -> None:
    data = {"indicators": [{"code": c, "green": 1, "red": 0} for c in ("a", "b", "c")]}
    assert [r.code for r in config.parse(data, ["c", "a"]).rules] == ["c", "a"]
    with pytest.raises(BoardConfigError, match="IOC_CB_INDICATORS"):
        config.parse(data, ["zzz"])


def test_the_shipped_board_reads() -> None:
    shipped = config.board_config()
    assert len(shipped.rules) >= 10 and shipped.overall_red < shipped.overall_green
