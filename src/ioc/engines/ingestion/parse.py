"""Parse ingestion payloads (JSON, CSV, XLSX) into raw rows with their row numbers."""

from __future__ import annotations

import csv
import gc
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import repeat
from pathlib import Path
from typing import Any, NamedTuple

import orjson

COLUMNS = ("indicator", "entity", "area", "time", "value", "quality", "unit")


class PayloadError(ValueError):
    """The payload as a whole cannot be read (not JSON, wrong shape, no header …)."""


class RawRow(NamedTuple):
    """One input row before validation; ``number`` is what the error message names.

    A named tuple: a 10,000-row batch makes 10,000 of them, and a tuple is built several times
    faster than a frozen dataclass instance."""

    number: int
    data: dict[str, Any]


_new_tuple = tuple.__new__  # RawRow(n, d) is tuple.__new__(RawRow, (n, d))


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a batch is decoded, validated and written.

    A 10,000-row batch allocates tens of thousands of dicts and tuples that hold no reference
    cycles (reference counting frees them); each allocation threshold crossed would otherwise
    start a collection that walks every live row again. The collector is switched back on by
    whoever switched it off, so concurrent batches never leave it disabled."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def load_json(body: bytes) -> Any:
    """Decode a JSON body; numbers outside the double range (``1e309``) and the ``NaN`` /
    ``Infinity`` tokens some senders write are read as non-finite floats, so that validation
    refuses that one row (like NaN in a CSV) instead of the whole batch being lost."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        first = exc
    try:
        # The standard library reads 1e309 as inf and accepts NaN/Infinity: slower, used only
        # for bodies orjson refuses.
        return json.loads(body)
    except (ValueError, RecursionError):
        raise PayloadError(f"JSON không hợp lệ / invalid JSON: {first}") from first


def parse_json(body: bytes) -> list[RawRow]:
    """``{"observations": [{...}, ...]}`` → rows numbered from 1 (the list index + 1)."""
    with gc_paused():
        doc = load_json(body)
        if not isinstance(doc, dict) or not isinstance(doc.get("observations"), list):
            raise PayloadError(
                'Thiếu danh sách "observations" / body must be {"observations": [ ... ]}'
            )
        items = doc["observations"]
        # tuple.__new__ straight from C: the named tuple's own __new__ is a Python function,
        # which costs more than the rest of turning the decoded list into rows.
        numbered = zip(range(1, len(items) + 1), items, strict=True)
        return list(map(_new_tuple, repeat(RawRow), numbered))


def parse_csv(text: str) -> list[RawRow]:
    """CSV with a header row (``indicator,entity,area,time,value,quality,unit``; order free).

    Row numbers are file line numbers, header = 1, so "row 5" is line 5 in a spreadsheet.
    """
    if text.startswith("\ufeff"):  # Excel writes a BOM in UTF-8 CSV
        text = text[1:]
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration as exc:
        raise PayloadError("Tệp CSV trống / empty CSV") from exc
    _check_header(header)
    rows: list[RawRow] = []
    for number, record in enumerate(reader, start=2):
        if not any(cell.strip() for cell in record):
            continue
        data: dict[str, Any] = {
            key: (record[i].strip() if i < len(record) else "") for i, key in enumerate(header)
        }
        if len(record) > len(header):
            data["__extra__"] = len(record) - len(header)
        rows.append(RawRow(number, {k: v for k, v in data.items() if v != ""}))
    return rows


def parse_xlsx(path: Path) -> Iterator[RawRow]:
    """Rows of the first sheet of an XLSX file, header in row 1 (streamed, read-only mode)."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a corrupt file
        raise PayloadError(f"Không đọc được tệp XLSX / unreadable XLSX: {exc}") from exc
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        try:
            header = [str(h).strip().lower() if h is not None else "" for h in next(rows)]
        except StopIteration as exc:
            raise PayloadError("Trang tính trống / empty sheet") from exc
        _check_header(header)
        for number, record in enumerate(rows, start=2):
            if all(cell is None or str(cell).strip() == "" for cell in record):
                continue
            data: dict[str, Any] = {}
            for key, cell in zip(header, record, strict=False):
                if key and cell is not None and str(cell).strip() != "":
                    data[key] = cell.strip() if isinstance(cell, str) else cell
            yield RawRow(number, data)
    finally:
        workbook.close()


def _check_header(header: list[str]) -> None:
    unknown = [h for h in header if h and h not in COLUMNS]
    missing = [c for c in ("indicator", "time", "value") if c not in header]
    if missing:
        raise PayloadError(
            f"Thiếu cột bắt buộc / missing columns: {', '.join(missing)} "
            f"(cần / expected: {', '.join(COLUMNS)})"
        )
    if unknown:
        raise PayloadError(f"Cột không hợp lệ / unknown columns: {', '.join(unknown)}")
    if "entity" not in header and "area" not in header:
        raise PayloadError("Cần cột entity hoặc area / needs an entity or area column")
