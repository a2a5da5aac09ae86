"""What every page of the pack shares: the period form and its errors, drill-down links from
a figure to its dossiers, score colours, the 12-month trend chart."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final
from urllib.parse import urlencode

from fastapi import Request

from ioc.core import clock, i18n
from ioc.packs.public_services import listing, scores
from ioc.packs.public_services.config import policy
from ioc.packs.public_services.indices import INDICATORS, Scorecard

__all__ = [
    "KEY_INDICATORS",
    "WARN_LIST",
    "as_float",
    "context_base",
    "drill_in",
    "drill_url",
    "period_form",
    "period_or_error",
    "safe_stem",
    "score_class",
    "to_json",
    "today",
    "trend_json",
]

KEY_INDICATORS: Final = ("2.1", "3.3", "4.1", "4.2", "4.3", "5.4")
WARN_LIST: Final = 20


def to_json(value: Any) -> str:
    """JSON safe inside a ``<script type="application/json">`` block."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def as_float(value: Decimal | None) -> float | None:
    """A score or rate for JSON and spreadsheets."""
    return None if value is None else float(value)


def score_class(value: Decimal | None) -> str:
    """CSS class of a score or rate: good ≥ 90, fair ≥ 75, poor below, none without value."""
    if value is None:
        return "ps-none"
    if value >= 90:
        return "ps-good"
    if value >= 75:
        return "ps-fair"
    return "ps-poor"


def today() -> date:
    """Today, local."""
    return clock.now().astimezone(clock.local_zone()).date()


def period_or_error(request: Request) -> tuple[scores.Period, scores.PeriodError | None]:
    """The period the query asks for, or the default one and the error."""
    try:
        return scores.parse_period(request.query_params, today()), None
    except scores.PeriodError as exc:
        return scores.parse_period({}, today()), exc


def period_form(period: scores.Period) -> dict[str, str]:
    """The period form's fields (today's month, quarter, year where the period has none)."""
    day = today()
    p = period.params()
    return {
        "period": period.kind,
        "month": p.get("month") or f"{day:%Y-%m}",
        "quarter": p.get("quarter") or f"{day.year}-Q{(day.month - 1) // 3 + 1}",
        "year": p.get("year") or str(day.year),
        "from": p.get("from") or f"{day.year}-01",
        "to": p.get("to") or f"{day:%Y-%m}",
    }


def drill_url(indicator: str, part: str, period: scores.Period, **scope: str | None) -> str:
    """Link from an indicator figure to its dossiers."""
    params = {k: v for k, v in scope.items() if v}
    params.update(period.params())
    params.update({"indicator": indicator, "part": part})
    return "/public-services/dossiers?" + urlencode(params)


def drill_in(
    indicator: str,
    part: str,
    period: scores.Period,
    scope: dict[str, str | None],
    dim: str,
    code: str,
) -> str:
    """Drill-down link of one row of a ranking (the scope narrowed to that unit)."""
    return drill_url(indicator, part, period, **{**scope, dim: code})


def context_base(
    period: scores.Period, error: scores.PeriodError | None, lang: str
) -> dict[str, Any]:
    """The context every scored page starts from."""
    return {
        "period": period,
        "period_label": period.label(lang),
        "period_query": urlencode(period.params()),
        "form": period_form(period),
        "error": error,
        "indicator_defs": INDICATORS,
        "key_indicators": KEY_INDICATORS,
        "score_class": score_class,
        "drill_url": drill_url,
        "drill_in": drill_in,
        "scope_params": {},
        "drillable": set(listing.DRILL),
        "points": policy().points,
    }


def trend_json(trend: list[tuple[int, Scorecard]], lang: str) -> str:
    """The 12-month trend chart of 2.1, 3.3, 4.2 and the score."""

    def iso(m: int) -> str:
        return f"{m // 100:04d}-{m % 100:02d}-01T00:00:00+07:00"

    t = i18n.translate
    series = [
        {
            "name": t("ps.ind.2.1.short", lang),
            "data": [[iso(m), as_float(c.value("2.1"))] for m, c in trend],
        },
        {
            "name": t("ps.ind.3.3.short", lang),
            "data": [[iso(m), as_float(c.value("3.3"))] for m, c in trend],
        },
        {
            "name": t("ps.ind.4.2.short", lang),
            "data": [[iso(m), as_float(c.value("4.2"))] for m, c in trend],
        },
        {
            "name": t("ps.score_100", lang),
            "data": [[iso(m), as_float(c.score_100)] for m, c in trend],
        },
    ]
    return to_json(
        {"series": series, "yName": "%", "yMin": 0, "yMax": 100, "dataZoom": False, "decimals": 2}
    )


def safe_stem(stem: str) -> str:
    """A file name stem of letters, digits, ``-_.`` only."""
    keep = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in i18n.fold(stem))
    return keep[:120] or "ho-so"


def local_time(value: datetime | None) -> datetime | None:
    """A stored time in local time (for templates)."""
    return None if value is None else i18n.to_local(value)
