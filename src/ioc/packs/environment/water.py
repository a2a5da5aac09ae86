"""Surface-water service: stations, VN_WQI derivation, and the lab-results XLSX template.

Two kinds of station (``Entity.attributes["kind"]``):

* ``lab`` — periodic samples analysed in a laboratory. All results of one sample share its
  sampling time; VN_WQI is computed per sampling time from the values stamped at exactly
  that time and stored at that time.
* ``automatic`` — continuous sensors. VN_WQI is computed per local day from the daily
  means (day rollups) and stored at local midnight.

The index is the derived series ``vn_wqi`` of the station, written after ingestion by the
derive engine (kind ``environment.wqi``), like VN_AQI.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Literal, Unpack

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import audit, ownership
from ioc.core.indicators import IndicatorSpec, load_catalog
from ioc.core.models import Entity, Indicator, Observation, Series
from ioc.core.registry import Registry
from ioc.core.series import (
    DAY,
    QUALITY_BAD,
    QUALITY_GOOD,
    SeriesResolver,
    WriteResult,
    day_bucket,
    read_rollups,
    write_observations,
)
from ioc.engines.actions_kit import BatchOutcome, Refused, SiteFields
from ioc.engines.derive import enqueue_touched
from ioc.engines.ingestion.parse import PayloadError, RawRow
from ioc.engines.ingestion.service import ingest
from ioc.engines.ingestion.validate import RowError
from ioc.packs.environment import service, wqi
from ioc.packs.environment.service import StationError

WATER_STATION = "WaterQualityStation"
WQI_INDICATOR = "vn_wqi"
DERIVE_KIND = "environment.wqi"
StationKind = Literal["automatic", "lab"]
STATION_KINDS: tuple[str, ...] = ("automatic", "lab")

#: Indicator code → parameter name of :mod:`wqi` (the code without ``w_``), for the
#: parameters the index uses and the temperature DO needs.
WQI_CODES: Mapping[str, str] = {f"w_{p}": p for p in (*wqi.PARAMETERS, wqi.TEMPERATURE)}


@dataclass
class _Config:
    policy: wqi.WqiPolicy


_config = _Config(policy=wqi.WqiPolicy())


def configure(policy: wqi.WqiPolicy) -> None:
    """Apply the VN_WQI settings; called once at start-up."""
    _config.policy = policy


def policy() -> wqi.WqiPolicy:
    """The configured VN_WQI policy."""
    return _config.policy


# ------------------------------------------------------------------ stations


def upsert_water_station(
    session: Session,
    actor: audit.Actor,
    *,
    waterbody: str,
    kind: StationKind,
    **site: Unpack[SiteFields],
) -> Entity:
    """Create or update a surface-water monitoring point (Điểm quan trắc nước mặt).

    ``waterbody`` names the river, stream or lake (e.g. "Sông Sêrêpốk"); ``kind`` is
    ``automatic`` (continuous sensors, daily index) or ``lab`` (samples, index per sample).
    """
    if kind not in STATION_KINDS:
        raise StationError("kind: loại trạm phải là automatic hoặc lab")
    waterbody = waterbody.strip()
    if not waterbody:
        raise StationError("waterbody: thiếu tên sông, suối, hồ")
    return service.upsert_station(
        session,
        actor,
        attributes={"waterbody": waterbody, "kind": kind},
        entity_type=WATER_STATION,
        **site,
    )


def water_station(session: Session, code: str) -> Entity | None:
    """One water station by code."""
    return session.execute(
        select(Entity).where(Entity.type == WATER_STATION, Entity.code == code)
    ).scalar_one_or_none()


# ------------------------------------------------------------------ derivation


def on_observations_written(session: Session, result: WriteResult) -> None:
    """Listener: queue VN_WQI recomputation for the stations and spans a batch touched."""
    enqueue_touched(session, result, DERIVE_KIND, WQI_CODES)


def recompute_wqi(session: Session, station_code: str, lo: int, hi: int) -> None:
    """Derive-engine handler for ``environment.wqi`` work."""
    compute_wqi_for(session, station_code, lo, hi)


def _parameter_series(session: Session, station_code: str) -> dict[str, int]:
    """``{parameter name: series id}`` of the station's VN_WQI inputs."""
    rows = session.execute(
        select(Series.id, Indicator.code)
        .join(Indicator, Indicator.id == Series.indicator_id)
        .where(
            Series.subject_kind == "entity",
            Series.subject_code == station_code,
            Indicator.code.in_(list(WQI_CODES)),
        )
    ).all()
    return {WQI_CODES[code]: sid for sid, code in rows}


def compute_wqi_for(session: Session, station_code: str, lo: int, hi: int) -> int:
    """Compute and store VN_WQI of one water station for data stamped in ``[lo, hi]``.

    Lab stations: one index per sampling time in ``[lo, hi]`` (values with quality "bad" are
    left out; a "suspect" input makes the index suspect). Automatic stations: one index per
    local day touching ``[lo, hi]``, from the daily means. Returns how many indices were stored.
    An index stored earlier at a time that no longer qualifies is marked "bad" (so rollups and
    charts drop it). Unknown stations and stations of another type are ignored (0).
    """
    entity = water_station(session, station_code)
    if entity is None:
        return 0
    sids = _parameter_series(session, station_code)
    offset = service.local_offset()
    samples: dict[int, dict[str, float]] = defaultdict(dict)
    qualities: dict[int, int] = defaultdict(int)
    if (entity.attributes or {}).get("kind") == "automatic":
        span_lo = day_bucket(lo, offset)
        span_hi = day_bucket(hi, offset) + DAY - 1
        by_sid = read_rollups(session.connection(), "day", sids.values(), span_lo, span_hi + 1)
        for name, sid in sids.items():
            for bucket in by_sid[sid]:
                if bucket.n:
                    samples[bucket.start][name] = bucket.mean
    else:
        span_lo, span_hi = lo, hi
        if sids:
            name_of = {sid: name for name, sid in sids.items()}
            rows = session.execute(
                select(
                    Observation.series_id, Observation.ts, Observation.value, Observation.quality
                ).where(
                    Observation.series_id.in_(list(name_of)),
                    Observation.ts >= lo,
                    Observation.ts <= hi,
                    Observation.quality < QUALITY_BAD,
                )
            ).all()
            for sid, ts, value, quality in rows:
                samples[ts][name_of[sid]] = value
                qualities[ts] = max(qualities[ts], quality)

    obs: list[tuple[int, int, float, int]] = []
    indicator = session.execute(
        select(Indicator).where(Indicator.code == WQI_INDICATOR)
    ).scalar_one()
    info = SeriesResolver(session).get(indicator, "entity", station_code)
    for ts in sorted(samples):
        result = wqi.vn_wqi(samples[ts], _config.policy)
        if result is not None:
            obs.append((info.id, ts, float(result.wqi), qualities.get(ts, QUALITY_GOOD)))
    produced = {ts for _, ts, _, _ in obs}
    stale = session.execute(
        select(Observation.ts, Observation.value).where(
            Observation.series_id == info.id,
            Observation.ts >= span_lo,
            Observation.ts <= span_hi,
            Observation.quality < QUALITY_BAD,
        )
    ).all()
    writes = obs + [(info.id, ts, value, QUALITY_BAD) for ts, value in stale if ts not in produced]
    if writes:
        write_observations(session, writes, {info.id: info.label_end}, offset, notify=False)
    return len(obs)


# ------------------------------------------------------------------ lab results (XLSX)

RESULTS_SHEET = "Ket_qua"
GUIDE_SHEET = "Huong_dan"
STATION_COLUMN = "station"
TIME_COLUMN = "time"

_ROLE_VI: Mapping[str, str] = {
    "w_temp": "dùng để tính DO% (bắt buộc nếu có DO)",
    "w_tss": "không dùng trong VN_WQI",
    "w_turbidity": "không dùng trong VN_WQI",
}


def water_indicators() -> list[IndicatorSpec]:
    """The pack's measured water indicators (``w_*``), in catalog order."""
    return [
        spec
        for spec in load_catalog("ioc.packs.environment", "environment")
        if spec.code.startswith("w_") and not spec.derived
    ]


def _group_label(code: str) -> str:
    role = _ROLE_VI.get(code)
    if role is not None:
        return role
    name = code[2:]
    for group, params in wqi.GROUPS.items():
        if name in params:
            return wqi.GROUP_NAMES_VI[group]
    return ""


_EXAMPLE: Mapping[str, float] = {
    "w_ph": 7.2,
    "w_temp": 25,
    "w_do": 6.5,
    "w_bod5": 5,
    "w_cod": 12,
    "w_nh4": 0.2,
    "w_po4": 0.15,
    "w_coliform": 3000,
}


def xlsx_template() -> bytes:
    """An empty lab-results workbook: sheet ``Ket_qua`` (one row per sample) and ``Huong_dan``.

    ``Ket_qua`` row 1 holds the column codes ``station``, ``time``, then one column per water
    indicator (``w_ph``, ``w_temp``, ``w_do`` …); leave a cell empty when not measured.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from ioc.engines.exports import safe_cell, safe_row

    specs = water_indicators()
    codes = [STATION_COLUMN, TIME_COLUMN, *(s.code for s in specs)]
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = RESULTS_SHEET
    sheet.append(safe_row(codes))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "C2"
    sheet.column_dimensions["A"].width = 16
    sheet.column_dimensions["B"].width = 28

    guide = workbook.create_sheet(GUIDE_SHEET)
    lines = [
        "HƯỚNG DẪN NHẬP KẾT QUẢ QUAN TRẮC NƯỚC MẶT",
        "",
        f"1. Nhập mỗi mẫu trên một dòng của trang {RESULTS_SHEET}; "
        "không sửa dòng tiêu đề (dòng 1).",
        "2. Cột station: mã điểm quan trắc đã khai báo trong hệ thống.",
        "3. Cột time: thời điểm lấy mẫu theo ISO 8601 có múi giờ, ví dụ "
        "2026-03-10T09:00:00+07:00 (ô kiểu ngày giờ của Excel được hiểu là giờ Việt Nam).",
        "4. Các cột còn lại: kết quả phân tích theo đơn vị trong bảng dưới; dấu thập phân là "
        "dấu chấm hoặc dấu phẩy (7,2). Để trống ô nếu không phân tích thông số đó.",
        "5. VN_WQI (QĐ 1460/QĐ-TCMT) được tính cho mỗi mẫu khi có ít nhất 3 trong 5 nhóm "
        "thông số và ít nhất 3 thông số nhóm IV; DO chỉ được tính khi có nhiệt độ nước.",
        "6. Dòng có ô sai vẫn được nhận các ô đúng; báo cáo lỗi ghi rõ số dòng và tên cột.",
        "",
    ]
    for line in lines:
        guide.append([safe_cell(line)])
    guide["A1"].font = Font(bold=True)
    header = ["Cột (mã)", "Thông số", "Đơn vị", "Nhóm VN_WQI / ghi chú"]
    guide.append(safe_row(header))
    for cell in guide[guide.max_row]:
        cell.font = Font(bold=True)
    for spec in specs:
        guide.append(safe_row([spec.code, spec.name_vi, spec.unit, _group_label(spec.code)]))
    guide.append([])
    guide.append(["Ví dụ một dòng của trang " + RESULTS_SHEET + ":"])
    guide.append(safe_row(codes))
    guide.append(
        safe_row(["DL-NM-01", "2026-03-10T09:00:00+07:00", *(_EXAMPLE.get(s.code) for s in specs)])
    )
    guide.column_dimensions["A"].width = 16
    guide.column_dimensions["B"].width = 36
    guide.column_dimensions["C"].width = 12
    guide.column_dimensions["D"].width = 44

    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@dataclass(frozen=True)
class CellError(Refused):
    """One refused cell (or row): sheet row number, column header, code and messages."""

    row: int
    column: str
    code: str
    message: str
    message_en: str


@dataclass
class ImportReport(BatchOutcome[CellError]):
    """Outcome of a wide XLSX import: sample rows read, values sent, stored, refused cells
    (its JSON form: ``rows``, ``received``, ``stored``, ``errors``)."""

    rows: int = 0
    received: int = 0
    stored: int = 0


def _cell_text(cell: object) -> str:
    return "" if cell is None else str(cell).strip()


def _read_sheet(source: Path | str | bytes) -> list[tuple[Any, ...]]:
    from openpyxl import load_workbook

    from ioc.engines.ingestion.tabular import MAX_ROWS, TableError, check_xlsx_size

    if isinstance(source, bytes):
        try:
            check_xlsx_size(source)  # a zip bomb is refused before openpyxl parses it
        except TableError as exc:
            raise PayloadError(str(exc)) from exc
    try:
        handle: Any = io.BytesIO(source) if isinstance(source, bytes) else Path(source)
        workbook = load_workbook(handle, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a corrupt file
        raise PayloadError(f"Không đọc được tệp XLSX / unreadable XLSX: {exc}") from exc
    try:
        names = workbook.sheetnames
        sheet = workbook[RESULTS_SHEET] if RESULTS_SHEET in names else workbook.worksheets[0]
        rows: list[tuple[Any, ...]] = []
        for r in sheet.iter_rows(values_only=True):
            if len(rows) > MAX_ROWS:  # blank rows count: a file of empty rows stops here
                raise PayloadError(
                    f"Tệp có hơn {MAX_ROWS} dòng / more than {MAX_ROWS} rows (blank included)"
                )
            rows.append(tuple(r))
        return rows
    finally:
        workbook.close()


def import_wide_xlsx(
    session: Session,
    path_or_bytes: Path | str | bytes,
    *,
    registry: Registry,
    offset: int,
    actor: audit.Actor | None,
    scope: ownership.WriteScope | None = None,
) -> ImportReport:
    """Import lab results in the template's wide layout (sheet ``Ket_qua`` or the first one).

    Each non-empty parameter cell becomes one observation (indicator = column code, entity =
    ``station``, time = ``time``) stored through the ingestion engine in partial mode: valid
    cells are kept, and every refused cell is reported with its sheet row and column header.
    A time cell typed as an Excel date (no time zone) is read as local time (``offset``).
    Raises :class:`PayloadError` when the file or its header cannot be read. The caller commits.
    """
    table = _read_sheet(path_or_bytes)
    if not table:
        raise PayloadError("Trang tính trống / empty sheet")
    header = [_cell_text(h) for h in table[0]]
    keys = [h.lower() for h in header]
    missing = [c for c in (STATION_COLUMN, TIME_COLUMN) if c not in keys]
    if missing:
        raise PayloadError(f"Thiếu cột bắt buộc / missing columns: {', '.join(missing)}")
    report = ImportReport()
    station_col, time_col = keys.index(STATION_COLUMN), keys.index(TIME_COLUMN)
    params = _parameter_columns(header, keys, (station_col, time_col), report)
    raw_rows, origin = _cells_to_rows(table, keys, params, station_col, time_col, offset, report)
    report.received = len(raw_rows)
    if not raw_rows:
        return report
    if scope is not None:
        # Raises NotYourData: a file naming another agency's station stores nothing.
        ownership.check_entities(
            session, scope, {str(r.data["entity"]) for r in raw_rows if "entity" in r.data}
        )
    result = ingest(session, raw_rows, registry=registry, offset=offset, actor=actor, source="file")
    report.stored = result.stored
    _report_refused_cells(result.errors, origin, header, station_col, time_col, report)
    report.errors.sort(key=lambda e: e.row)  # stable: header errors first, then by row
    return report


def _parameter_columns(
    header: list[str], keys: list[str], fixed: tuple[int, int], report: ImportReport
) -> list[tuple[int, str]]:
    """``(column, indicator code)`` of the parameter columns; any other named column (not the
    station or time column ``fixed``) is reported on row 1 and ignored."""
    known = {s.code for s in water_indicators()}
    params: list[tuple[int, str]] = []
    for col, key in enumerate(keys):
        if col in fixed or not key:
            continue
        if key in known:
            params.append((col, key))
        else:
            report.errors.append(
                CellError(
                    1,
                    header[col],
                    "unknown_column",
                    "cột không phải mã thông số nước (w_…); cột bị bỏ qua",
                    "column is not a water indicator code (w_…); column ignored",
                )
            )
    return params


def _cells_to_rows(
    table: list[tuple[Any, ...]],
    keys: list[str],
    params: list[tuple[int, str]],
    station_col: int,
    time_col: int,
    offset: int,
    report: ImportReport,
) -> tuple[list[RawRow], dict[int, tuple[int, int]]]:
    """One ingestion row per non-empty parameter cell, and for each its origin: ingestion row
    number → (sheet row, column). Counts the sheet's rows; a row without results is reported."""
    local = timezone(timedelta(seconds=offset))
    raw_rows: list[RawRow] = []
    origin: dict[int, tuple[int, int]] = {}
    for sheet_row, record in enumerate(table[1:], start=2):
        cells = list(record) + [None] * (len(keys) - len(record))
        if all(_cell_text(c) == "" for c in cells):
            continue
        report.rows += 1
        station_code = _cell_text(cells[station_col])
        when: object = cells[time_col]
        if isinstance(when, datetime) and when.tzinfo is None:
            when = when.replace(tzinfo=local)
        elif isinstance(when, str):
            when = when.strip()
        values = [(col, code, cells[col]) for col, code in params if _cell_text(cells[col])]
        if not values:
            report.errors.append(
                CellError(
                    sheet_row,
                    "*",
                    "no_values",
                    "dòng không có kết quả nào",
                    "row has no results",
                )
            )
            continue
        for col, code, value in values:
            number = len(raw_rows) + 1
            data: dict[str, Any] = {"indicator": code, "time": when, "value": value}
            if station_code:
                data["entity"] = station_code
            raw_rows.append(RawRow(number, data))
            origin[number] = (sheet_row, col)
    return raw_rows, origin


def _report_refused_cells(
    errors: Sequence[RowError],
    origin: dict[int, tuple[int, int]],
    header: list[str],
    station_col: int,
    time_col: int,
    report: ImportReport,
) -> None:
    """Report each cell the ingestion refused by its sheet row and column header."""
    seen: set[tuple[int, str, str]] = set()
    for error in errors:
        sheet_row, col = origin[error.row]
        if error.field == "entity":
            column = header[station_col]
        elif error.field == "time":
            column = header[time_col]
        elif error.field == "*":
            column = "*"
        else:
            column = header[col]
        once = (sheet_row, column, error.code)
        if once in seen:  # a bad station or time is reported once per row, not once per cell
            continue
        seen.add(once)
        report.errors.append(
            CellError(sheet_row, column, error.code, error.message, error.message_en)
        )
