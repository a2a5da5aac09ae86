"""CDC EARS C1, C2 and C3 outbreak/anomaly statistics (``shared/domain/outbreak-detection.md``).

Y(t) is the count (or value) of bucket t; the baseline has ``B = 7`` buckets and its sample
standard deviation S uses the denominator B − 1.

* C1: baseline t−7 … t−1, C1(t) = (Y(t) − Ȳ) / S, alarm when C1 ≥ 3.
* C2: baseline t−9 … t−3 (a two-bucket guard band), alarm when C2 ≥ 3.
* C3: C3(t) = Σ_{i=t−2..t} max(0, C2(i) − 1), alarm when C3 ≥ 2 — the textbook definition, not
  R ``surveillance`` 1.20.3's, which fires a day late (§1.2 of the facts file).

A flat baseline would divide by zero: ``min_sigma`` floors S (Burkom suggests 0.5 or 1 for
sparse counts). Buckets before the first testable one give ``None``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final

BASELINE: Final = 7
GUARD: Final = 2
THRESHOLDS: Final = {"c1": 3.0, "c2": 3.0, "c3": 2.0}
"""CDC default alarm thresholds (settings may override them per rule)."""


def _stat(values: Sequence[float], t: int, lag: int, min_sigma: float) -> float | None:
    lo = t - lag - BASELINE + 1
    if lo < 0:
        return None
    base = values[lo : t - lag + 1]
    mean = sum(base) / BASELINE
    sd = math.sqrt(sum((v - mean) ** 2 for v in base) / (BASELINE - 1))
    sd = max(sd, min_sigma)
    if sd == 0:
        return None
    return (values[t] - mean) / sd


def c1(values: Sequence[float], min_sigma: float = 0.0) -> list[float | None]:
    """C1 statistic for every bucket (``None`` until the 8th)."""
    return [_stat(values, t, 1, min_sigma) for t in range(len(values))]


def c2(values: Sequence[float], min_sigma: float = 0.0) -> list[float | None]:
    """C2 statistic for every bucket (``None`` until the 10th)."""
    return [_stat(values, t, 1 + GUARD, min_sigma) for t in range(len(values))]


def c3(values: Sequence[float], min_sigma: float = 0.0) -> list[float | None]:
    """Textbook C3 for every bucket (``None`` until the 12th)."""
    two = c2(values, min_sigma)
    out: list[float | None] = []
    for t in range(len(values)):
        window = two[t - 2 : t + 1] if t >= 2 else []
        if len(window) < 3 or any(v is None for v in window):
            out.append(None)
            continue
        out.append(sum(max(0.0, v - 1.0) for v in window if v is not None))
    return out


METHODS: Final = {"c1": c1, "c2": c2, "c3": c3}


def latest(values: Sequence[float], method: str = "c2", min_sigma: float = 0.0) -> float | None:
    """The statistic of the last bucket of ``values`` (what a rule evaluation needs)."""
    try:
        fn = METHODS[method]
    except KeyError:
        raise ValueError(f"unknown EARS method {method!r} (c1, c2, c3)") from None
    if method == "c3":
        return fn(values, min_sigma)[-1] if values else None
    # Only the last bucket is needed: compute it alone.
    lag = 1 if method == "c1" else 1 + GUARD
    return _stat(values, len(values) - 1, lag, min_sigma) if values else None


def needed(method: str) -> int:
    """How many buckets (the current one included) a method needs to give a statistic."""
    return {"c1": BASELINE + 1, "c2": BASELINE + GUARD + 1, "c3": BASELINE + GUARD + 3}[method]
