"""Grouping the cells of an ingestion batch column by column (validation's fast path): the
distinct cell sets of the rows and, per row, which one it has; and whether a batch repeats a
(series, time) key. Pure functions over columns, no database."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray


def distinct_keys(sids: NDArray[np.int64], times: NDArray[np.int64]) -> bool:
    """Whether no two rows share (series id, time): one sorted integer key per row, cheaper
    than a dict of tuples for a batch without duplicates; False when the key would not fit."""
    lo = int(times.min())
    span = int(times.max()) - lo + 1
    if int(sids.min()) < 0 or int(sids.max()) >= MAX_CODE // span:
        return False
    key = np.sort(sids * span + (times - lo))
    return not bool((key[1:] == key[:-1]).any())


# Cell types whose equality never crosses types (unlike 1 == 1.0 == True): grouping such a
# column on its own groups rows exactly as grouping whole cell tuples would.
PLAIN_CELL_TYPES = frozenset({str, int, type(None)})
TEXT_CELL_TYPES = frozenset({str, type(None)})
MAX_CODE = 1 << 62  # mixed-radix cell codes stay below this (int64)


def group_cells(
    columns: list[list[Any]], n: int
) -> tuple[list[tuple[Any, ...]], NDArray[np.int64]]:
    """The distinct cell tuples of the rows (one value per column, in first-seen order) and
    the index of each row's tuple among them. Raises TypeError for an unhashable cell.

    Each column is grouped on its own (a string's hash is cached, a tuple's is not), then the
    per-column indexes are combined into one integer per row; a batch whose columns mix
    numbers of several types, or whose codes would not fit, is grouped by whole tuples."""
    if not columns:
        return [()], np.zeros(n, dtype=np.int64)
    radix = 1
    code = np.zeros(n, dtype=np.int64)
    firsts: list[list[Any]] = []
    for values in columns:
        first = list(dict.fromkeys(values))
        # Only a number can equal a number of another type: a column whose distinct values are
        # all text (or empty) holds nothing else, and needs no look at every cell.
        if not set(map(type, first)) <= TEXT_CELL_TYPES and not (
            set(map(type, values)) <= PLAIN_CELL_TYPES
        ):
            return group_tuples(columns, n)
        radix *= len(first)
        if radix >= MAX_CODE:
            return group_tuples(columns, n)
        firsts.append(first)
        if len(first) > 1:
            where = dict(zip(first, range(len(first)), strict=True))
            code *= len(first)
            code += np.fromiter(map(where.__getitem__, values), dtype=np.int64, count=n)
    # The distinct codes in first-seen order, then each row's position among them.
    order = list(dict.fromkeys(code.tolist()))
    if radix <= 8 * n + 64:
        position = np.zeros(radix, dtype=np.int64)
        position[order] = np.arange(len(order), dtype=np.int64)
        row_cell = position[code]
    else:
        at = dict(zip(order, range(len(order)), strict=True))
        row_cell = np.fromiter(map(at.__getitem__, code.tolist()), dtype=np.int64, count=n)
    distinct: list[tuple[Any, ...]] = []
    for c in order:
        digits: list[Any] = []
        for first in reversed(firsts):
            c, d = divmod(c, len(first))
            digits.append(first[d])
        distinct.append(tuple(reversed(digits)))
    return distinct, row_cell


def group_tuples(
    columns: list[list[Any]], n: int
) -> tuple[list[tuple[Any, ...]], NDArray[np.int64]]:
    """:func:`group_cells` by whole cell tuples (any hashable cells). The cells' types are
    part of the key: 1, 1.0 and True are equal but name different codes ("1", "1.0", "True")."""
    width = len(columns)
    keys = list(zip(*columns, *(map(type, c) for c in columns), strict=True))
    distinct = list(dict.fromkeys(keys))
    at = dict(zip(distinct, range(len(distinct)), strict=True))
    row_cell = np.fromiter(map(at.__getitem__, keys), dtype=np.int64, count=n)
    return [key[:width] for key in distinct], row_cell
