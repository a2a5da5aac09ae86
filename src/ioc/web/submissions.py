"""Nộp số liệu — pages of the submission engine (for every pack's submitted indicators).

* ``/submissions`` — status board of a period (who submitted, who is late); agency staff see
  their own agency, download its template and upload the filled file;
* ``/submissions/{id}`` — one submission: row/column errors, warnings to confirm, values,
  changes made;
* ``/submissions/history`` — every change of a submitted value (who, what, when);
* ``/submissions/targets`` — yearly targets (admin): edit, import from XLSX, export.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import clock, i18n
from ioc.core.auth import Permission
from ioc.core.calendar import load_calendar
from ioc.core.clock import fixed_offset_seconds
from ioc.engines.exports import Table, safe_row, to_csv, to_xlsx
from ioc.engines.submissions import board as board_mod
from ioc.engines.submissions import targets as targets_mod
from ioc.engines.submissions import upload as upload_mod
from ioc.engines.submissions.catalog import (
    AgencyInfo,
    AreaBook,
    Catalog,
    agency_by_id,
    catalog_from_registry,
    load_agency,
)
from ioc.engines.submissions.models import SubSubmission
from ioc.engines.submissions.periods import (
    Period,
    PeriodError,
    last_closed,
    parse_period,
    recent_periods,
)
from ioc.engines.submissions.progress import figure_text
from ioc.engines.submissions.templates import build_template, deadline_label, template_filename
from ioc.engines.submissions.values import history_of, read_values
from ioc.web import csrf
from ioc.web.deps import DbSession, Principal, derive_after_commit, require
from ioc.web.templating import render, request_lang

router = APIRouter(include_in_schema=False)
ZONE = ZoneInfo(i18n.DISPLAY_ZONE)

Viewer = Annotated[Principal, Depends(require(Permission.VIEW, page=True))]
Submitter = Annotated[Principal, Depends(require(Permission.INGEST, page=True))]
Admin = Annotated[Principal, Depends(require(Permission.ADMIN, page=True))]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DONE_KEYS = frozenset(
    {"csrf", "no_file", "no_obligation", "future", "forbidden", "saved", "imported", "error"}
)


def value_text(value: float | None, lang: str) -> str:
    """A figure with as many decimals as it needs (at most 2)."""
    return figure_text(value, lang)


def _translator(lang: str) -> Callable[[str], str]:
    def t(key: str) -> str:
        return i18n.translate(key, lang)

    return t


def _ctx(request: Request) -> tuple[Catalog, str, int]:
    settings = request.app.state.settings
    return (
        catalog_from_registry(request.app.state.registry),
        request_lang(request, settings.default_language),
        fixed_offset_seconds(settings.timezone),
    )


def _period(text: str | None, default: Period) -> Period:
    if not text:
        return default
    try:
        return parse_period(text)
    except PeriodError as exc:
        raise HTTPException(404, str(exc)) from exc


def _own_agency(db: Session, principal: Principal) -> AgencyInfo | None:
    return agency_by_id(db, principal.user.agency_id if principal.user else None)


def _is_admin(principal: Principal) -> bool:
    return principal.user is not None and principal.user.role == "admin"


def _sees_all(principal: Principal) -> bool:
    return principal.user is not None and principal.user.role in ("admin", "leader", "operator")


def _submit_agency(db: Session, principal: Principal, code: str | None) -> AgencyInfo:
    """The agency this caller may submit for: their own, or (admins) the one chosen."""
    own = _own_agency(db, principal)
    if _is_admin(principal) and code:
        chosen = load_agency(db, code)
        if chosen is None:
            raise HTTPException(404, "Không có đơn vị này / no such agency")
        return chosen
    if own is None or (code and code != own.code):
        raise HTTPException(403, "Chỉ nộp được số liệu của đơn vị mình / only for your own agency")
    return own


# ------------------------------------------------------------------ board


@router.get("/submissions", response_class=HTMLResponse)
def board_page(
    request: Request,
    principal: Viewer,
    db: DbSession,
    period: Annotated[str | None, Query(max_length=10)] = None,
    agency: Annotated[str | None, Query(max_length=64)] = None,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """Bảng theo dõi nộp số liệu of one period, with the caller's upload panel."""
    catalog, lang, _offset = _ctx(request)
    settings = request.app.state.settings
    now = clock.now()
    chosen = _period(period, last_closed("P1M", now))
    calendar = load_calendar(db)
    book = AreaBook.load(db)
    rows = board_mod.board(
        db,
        catalog,
        chosen,
        now,
        calendar=calendar,
        deadline_days=settings.sub_deadline_working_days,
        book=book,
    )
    own = _own_agency(db, principal)
    if not _sees_all(principal):
        rows = [r for r in rows if own is not None and r.agency == own.code]
    departments = [r for r in rows if r.obligation.agency.kind != "commune_committee"]
    communes = [r for r in rows if r.obligation.agency.kind == "commune_committee"]
    # The upload panel: agency staff for their agency; admins for the agency they pick.
    panel = None
    if principal.can(Permission.INGEST):
        target = own
        if _is_admin(principal) and agency:
            target = load_agency(db, agency)
        if target is not None:
            ob = catalog.obligation(target, chosen, book)
            mine = list(
                db.execute(
                    select(SubSubmission)
                    .where(
                        SubSubmission.agency_code == target.code,
                        SubSubmission.period == chosen.key,
                    )
                    .order_by(SubSubmission.uploaded_at.desc(), SubSubmission.id.desc())
                ).scalars()
            )
            panel = {"agency": target, "obligation": ob, "submissions": mine}
    periods = recent_periods(now)
    if chosen not in periods:
        periods.insert(0, chosen)
    return render(
        request,
        "submissions/board.html",
        {
            "period": chosen,
            "period_label": chosen.label(lang),
            "periods": [(p.key, p.label(lang)) for p in periods],
            "departments": departments,
            "communes": communes,
            "summary": board_mod.summary(rows),
            "deadline": rows[0].deadline
            if rows
            else chosen.deadline(calendar, settings.sub_deadline_working_days),
            "panel": panel,
            "is_admin": _is_admin(principal),
            "owner_agencies": [r.obligation.agency for r in departments],
            "done": done if done in DONE_KEYS else None,
            "empty_catalog": not catalog,
        },
        principal=principal,
    )


@router.get("/submissions/board.xlsx")
def board_export(
    request: Request,
    principal: Viewer,
    db: DbSession,
    period: Annotated[str | None, Query(max_length=10)] = None,
    format: Annotated[str, Query(pattern="^(xlsx|csv)$")] = "xlsx",
) -> Response:
    """The board of a period as XLSX or CSV."""
    catalog, lang, _offset = _ctx(request)
    settings = request.app.state.settings
    now = clock.now()
    chosen = _period(period, last_closed("P1M", now))
    rows = board_mod.board(
        db,
        catalog,
        chosen,
        now,
        calendar=load_calendar(db),
        deadline_days=settings.sub_deadline_working_days,
    )
    own = _own_agency(db, principal)
    if not _sees_all(principal):
        rows = [r for r in rows if own is not None and r.agency == own.code]
    t = _translator(lang)
    table = Table(
        # No "/" (a period label's) in the title: it becomes the XLSX sheet name.
        title=f"{t('sub.board.title')} {chosen.key}",
        header=[
            t("sub.col.agency_code"),
            t("sub.col.agency"),
            t("sub.col.indicators"),
            t("sub.col.deadline"),
            t("sub.col.status"),
            t("sub.col.submitted_at"),
            t("sub.col.submitted_by"),
        ],
        notes=[t("sub.export.note")],
    )
    for r in rows:
        sub = r.accepted or r.latest
        table.rows.append(
            [
                r.agency,
                r.obligation.agency.name,
                len(r.obligation.indicators),
                _local(r.deadline),
                t(f"sub.status.{r.status}"),
                _local(sub.uploaded_at) if sub else None,
                sub.uploaded_by if sub else "",
            ]
        )
    return _download(table, format, f"bang-theo-doi_{chosen.key}")


def _local(moment: datetime) -> datetime:
    # Exports write wall-clock time (Excel has no zones): show it in Asia/Ho_Chi_Minh.
    return moment.astimezone(ZONE)


def _download(table: Table, format: str, stem: str) -> Response:
    if format == "csv":
        return Response(
            to_csv(table),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{stem}.csv"'},
        )
    return Response(
        to_xlsx(table),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{stem}.xlsx"'},
    )


# ------------------------------------------------------------------ template + upload


@router.get("/submissions/template")
def template_download(
    request: Request,
    principal: Submitter,
    db: DbSession,
    period: Annotated[str, Query(max_length=10)],
    agency: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """Biểu mẫu XLSX of the caller's agency (or, for admins, the chosen one) for a period."""
    catalog, _lang, offset = _ctx(request)
    settings = request.app.state.settings
    chosen = _period(period, last_closed("P1M", clock.now()))
    target = _submit_agency(db, principal, agency)
    book = AreaBook.load(db)
    ob = catalog.obligation(target, chosen, book)
    if ob is None:
        raise HTTPException(404, "Đơn vị không có chỉ tiêu phải nộp kỳ này / nothing owed")
    deadline = chosen.deadline(load_calendar(db), settings.sub_deadline_working_days)
    data = build_template(
        db, catalog, ob, book, offset=offset, deadline_text=deadline_label(deadline, "vi")
    )
    name = template_filename(target.code, chosen)
    return Response(
        data, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


def _back(period: str, done: str, agency: str | None = None) -> RedirectResponse:
    extra = f"&agency={agency}" if agency else ""
    return RedirectResponse(f"/submissions?period={period}&done={done}{extra}", status_code=303)


@router.post("/submissions/upload")
async def upload(
    request: Request,
    principal: Submitter,
    db: DbSession,
    file: Annotated[UploadFile | None, File()] = None,
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    period: Annotated[str, Form(max_length=10)] = "",
    agency: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Tải lên tệp đã điền: validated, then accepted, held for confirmation, or rejected."""
    catalog, _lang, offset = _ctx(request)
    settings = request.app.state.settings
    try:
        chosen = parse_period(period)
    except PeriodError:
        return _back(last_closed("P1M", clock.now()).key, "error")
    if not csrf.valid(request, csrf_token):
        return _back(chosen.key, "csrf", agency or None)
    if file is None or not file.filename:
        return _back(chosen.key, "no_file", agency or None)
    data = await file.read(upload_mod.MAX_BYTES + 1)
    filename = file.filename

    def work() -> Response:
        try:
            target = _submit_agency(db, principal, agency or None)
        except HTTPException:
            return _back(chosen.key, "forbidden")
        book = AreaBook.load(db)
        ob = catalog.obligation(target, chosen, book)
        if ob is None:
            return _back(chosen.key, "no_obligation", agency or None)
        try:
            sub = upload_mod.submit(
                db,
                principal.actor,
                catalog,
                ob,
                book,
                filename=filename,
                data=data,
                offset=offset,
                jump_factor=settings.sub_jump_factor,
            )
        except upload_mod.SubmissionError:
            return _back(chosen.key, "future", agency or None)
        db.commit()
        derive_after_commit(request)
        return RedirectResponse(f"/submissions/{sub.id}", status_code=303)

    return await run_in_threadpool(work)


# ------------------------------------------------------------------ one submission


def _submission(db: Session, principal: Principal, sub_id: int) -> SubSubmission:
    sub = db.get(SubSubmission, sub_id)
    if sub is None:
        raise HTTPException(404, "Không có lần nộp này / no such submission")
    if not _sees_all(principal):
        own = _own_agency(db, principal)
        if own is None or own.code != sub.agency_code:
            raise HTTPException(403, "Không đủ quyền / permission denied")
    return sub


def _may_act(db: Session, principal: Principal, sub: SubSubmission) -> bool:
    if not principal.can(Permission.INGEST):
        return False
    if _is_admin(principal):
        return True
    own = _own_agency(db, principal)
    return own is not None and own.code == sub.agency_code


@router.get("/submissions/{sub_id:int}", response_class=HTMLResponse)
def submission_page(
    request: Request,
    sub_id: int,
    principal: Viewer,
    db: DbSession,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """Một lần nộp: status, errors by row and column, warnings, values and changes."""
    catalog, lang, offset = _ctx(request)
    sub = _submission(db, principal, sub_id)
    period = parse_period(sub.period)
    indicators = catalog.indicator_rows(db)
    book = AreaBook.load(db)
    pairs = {(r["code"], r["area"]) for r in sub.rows}
    previous = read_values(db, indicators, pairs, [period.previous()], offset)
    values = [
        {
            "row": r["row"],
            "code": r["code"],
            "name": (
                catalog.specs[r["code"]].name_vi
                if lang == "vi"
                else catalog.specs[r["code"]].name_en
            )
            if r["code"] in catalog.specs
            else r["code"],
            "unit": catalog.specs[r["code"]].unit if r["code"] in catalog.specs else "",
            "area": book.by_code[r["area"]].name if r["area"] in book.by_code else r["area"],
            "value": value_text(r["value"], lang),
            "previous": value_text(
                previous.get((r["code"], r["area"], period.previous().key)), lang
            ),
            "note": r.get("note", ""),
        }
        for r in sub.rows
    ]
    names = {i.id: i for i in indicators.values()}
    changes = [
        {
            "code": names[h.indicator_id].code if h.indicator_id in names else "",
            "indicator": _name(names[h.indicator_id], lang) if h.indicator_id in names else "",
            "area": book.by_code[h.area_code].name if h.area_code in book.by_code else h.area_code,
            "old": value_text(h.old_value, lang),
            "new": value_text(h.new_value, lang),
            "by": h.changed_by,
            "at": h.changed_at,
        }
        for h in history_of(db, submission_id=sub.id, limit=500)
    ]
    agency = load_agency(db, sub.agency_code)
    return render(
        request,
        "submissions/detail.html",
        {
            "sub": sub,
            "agency": agency,
            "period_label": period.label(lang),
            "values": values,
            "changes": changes,
            "may_act": _may_act(db, principal, sub),
            "done": done if done in ("confirmed", "cancelled", "csrf", "error") else None,
        },
        principal=principal,
    )


def _decide(
    request: Request,
    principal: Principal,
    db: Session,
    sub_id: int,
    csrf_token: str,
    action: str,
) -> Response:
    catalog, _lang, offset = _ctx(request)
    sub = _submission(db, principal, sub_id)
    if not csrf.valid(request, csrf_token):
        return RedirectResponse(f"/submissions/{sub_id}?done=csrf", status_code=303)
    if not _may_act(db, principal, sub):
        raise HTTPException(403, "Không đủ quyền / permission denied")
    try:
        if action == "confirm":
            upload_mod.confirm(db, principal.actor, sub, catalog, AreaBook.load(db), offset=offset)
        else:
            upload_mod.cancel(db, principal.actor, sub)
    except upload_mod.SubmissionError:
        db.rollback()
        return RedirectResponse(f"/submissions/{sub_id}?done=error", status_code=303)
    db.commit()
    derive_after_commit(request)
    done = "confirmed" if action == "confirm" else "cancelled"
    return RedirectResponse(f"/submissions/{sub_id}?done={done}", status_code=303)


@router.post("/submissions/{sub_id:int}/confirm")
def confirm_submission(
    request: Request,
    sub_id: int,
    principal: Submitter,
    db: DbSession,
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Xác nhận các cảnh báo và lưu số liệu."""
    return _decide(request, principal, db, sub_id, csrf_token, "confirm")


@router.post("/submissions/{sub_id:int}/cancel")
def cancel_submission(
    request: Request,
    sub_id: int,
    principal: Submitter,
    db: DbSession,
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Hủy lần nộp đang chờ xác nhận."""
    return _decide(request, principal, db, sub_id, csrf_token, "cancel")


def _name(indicator: Any, lang: str) -> str:
    """An indicator's name in ``lang`` (pages never show its code)."""
    return str(indicator.name_vi if lang == "vi" else indicator.name_en)


# ------------------------------------------------------------------ history


def _history_rows(
    db: Session,
    catalog: Catalog,
    principal: Principal,
    lang: str,
    indicator: str | None,
    area: str | None,
    limit: int,
) -> list[dict[str, Any]]:
    indicators = catalog.indicator_rows(db)
    ids = None
    if indicator:
        ids = [indicators[indicator].id] if indicator in indicators else []
    own = None if _sees_all(principal) else _own_agency(db, principal)
    if own is not None:
        # Agency staff see the history of what their agency submits.
        owned = {s.code for s in catalog.owned_by(own)}
        allowed = [indicators[c].id for c in owned if c in indicators]
        ids = allowed if ids is None else [i for i in ids if i in allowed]
    elif not _sees_all(principal):
        ids = []
    book = AreaBook.load(db)
    by_id = {i.id: i for i in indicators.values()}
    subs = {}
    out = []
    for h in history_of(db, indicator_ids=ids, area_code=area or None, limit=limit):
        ind = by_id.get(h.indicator_id)
        if h.submission_id is not None and h.submission_id not in subs:
            subs[h.submission_id] = db.get(SubSubmission, h.submission_id)
        sub = subs.get(h.submission_id) if h.submission_id is not None else None
        out.append(
            {
                "at": h.changed_at,
                "by": h.changed_by,
                "code": ind.code if ind else "",
                "name": (ind.name_vi if lang == "vi" else ind.name_en) if ind else "",
                "unit": ind.unit if ind else "",
                "area": book.by_code[h.area_code].name
                if h.area_code in book.by_code
                else h.area_code,
                "period": h.period,
                "old": h.old_value,
                "new": h.new_value,
                "submission_id": h.submission_id,
                "agency": sub.agency_code if sub else "",
            }
        )
    return out


@router.get("/submissions/history", response_class=HTMLResponse)
def history_page(
    request: Request,
    principal: Viewer,
    db: DbSession,
    indicator: Annotated[str | None, Query(max_length=64)] = None,
    area: Annotated[str | None, Query(max_length=16)] = None,
    format: Annotated[str | None, Query(pattern="^(xlsx|csv)$")] = None,
) -> Response:
    """Lịch sử thay đổi số liệu: old and new value, who, when, from which submission."""
    catalog, lang, _offset = _ctx(request)
    rows = _history_rows(db, catalog, principal, lang, indicator, area, 2000 if format else 300)
    if format:
        t = _translator(lang)
        table = Table(
            title=t("sub.history.title"),
            header=[
                t("sub.col.changed_at"),
                t("sub.col.changed_by"),
                t("sub.col.code"),
                t("sub.col.indicator"),
                t("sub.col.area"),
                t("sub.col.period"),
                t("sub.col.old"),
                t("sub.col.new"),
                t("sub.col.submission"),
            ],
        )
        for r in rows:
            table.rows.append(
                [
                    r["at"],
                    r["by"],
                    r["code"],
                    r["name"],
                    r["area"],
                    r["period"],
                    r["old"],
                    r["new"],
                    r["submission_id"],
                ]
            )
        return _download(table, format, "lich-su-so-lieu")
    for r in rows:
        r["old_text"] = value_text(r["old"], lang)
        r["new_text"] = value_text(r["new"], lang)
    return render(
        request,
        "submissions/history.html",
        {
            "rows": rows,
            "indicator": indicator or "",
            "area": area or "",
            "indicators": sorted(catalog.specs.values(), key=lambda s: s.code),
        },
        principal=principal,
    )


# ------------------------------------------------------------------ targets


def _target_rows(db: Session, catalog: Catalog, year: int, lang: str) -> list[dict[str, Any]]:
    indicators = catalog.indicator_rows(db)
    targets = targets_mod.targets_for(db, year, [i.id for i in indicators.values()])
    book = AreaBook.load(db)
    rows: list[dict[str, Any]] = []
    for spec in catalog.specs.values():
        ind = indicators.get(spec.code)
        if ind is None:
            continue
        areas = sorted({a for (iid, a) in targets if iid == ind.id} | {book.province.code})
        for area in areas:
            found = targets.get((ind.id, area))
            rows.append(
                {
                    "code": spec.code,
                    "name": spec.name_vi if lang == "vi" else spec.name_en,
                    "unit": spec.unit,
                    "direction": spec.direction,
                    "area": area,
                    "area_name": book.by_code[area].name if area in book.by_code else area,
                    "value": found.value if found else None,
                    "source": found.source_document if found else "",
                    "updated": found.updated_at if found else None,
                    "by": found.updated_by if found else "",
                }
            )
    return rows


@router.get("/submissions/targets", response_class=HTMLResponse)
def targets_page(
    request: Request,
    principal: Admin,
    db: DbSession,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """Chỉ tiêu kế hoạch năm: edit one, import a file, export."""
    catalog, lang, _offset = _ctx(request)
    year = year or clock.now().astimezone(ZONE).year
    rows = _target_rows(db, catalog, year, lang)
    return render(
        request,
        "submissions/targets.html",
        {
            "year": year,
            "rows": rows,
            "done": done if done in DONE_KEYS else None,
            "errors": [],
        },
        principal=principal,
    )


@router.get("/submissions/targets.xlsx")
def targets_export(
    request: Request,
    principal: Admin,
    db: DbSession,
    year: Annotated[int, Query(ge=2000, le=2100)],
) -> Response:
    """Targets of a year in the import layout (edit and import back)."""
    catalog, lang, _offset = _ctx(request)
    table = Table(title=f"Chi tieu ke hoach {year}", header=targets_mod.TARGET_HEADERS)
    for r in _target_rows(db, catalog, year, lang):
        table.rows.append([r["code"], r["area"], year, r["value"], r["source"], r["name"]])
    # The import reads the header as the first non-empty row: no title or notes above it.
    return Response(
        _plain_xlsx(table),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="chi-tieu-ke-hoach_{year}.xlsx"'},
    )


def _plain_xlsx(table: Table) -> bytes:
    """A sheet whose first row is the header (the import layout)."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = "Chi tieu"
    ws.append(safe_row(table.header))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        ws.append(safe_row(row))
    for letter, width in zip("ABCDEF", (24, 12, 8, 16, 40, 50), strict=True):
        ws.column_dimensions[letter].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@router.post("/submissions/targets", response_class=HTMLResponse)
def target_save(
    request: Request,
    principal: Admin,
    db: DbSession,
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    code: Annotated[str, Form(max_length=64)] = "",
    area: Annotated[str, Form(max_length=16)] = "",
    year: Annotated[int, Form(ge=2000, le=2100)] = 2026,
    value: Annotated[str, Form(max_length=40)] = "",
    source: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    """Đặt một chỉ tiêu kế hoạch."""
    catalog, lang, _offset = _ctx(request)
    if not csrf.valid(request, csrf_token):
        return RedirectResponse(f"/submissions/targets?year={year}&done=csrf", status_code=303)
    indicators = catalog.indicator_rows(db)
    number = upload_mod.parse_number(value)
    book = AreaBook.load(db)
    problems = []
    if code not in indicators:
        problems.append(i18n.translate("sub.targets.err_indicator", lang, code=code))
    if area not in book.by_code:
        problems.append(i18n.translate("sub.targets.err_area", lang, area=area))
    if number is None:
        problems.append(i18n.translate("sub.targets.err_value", lang, value=value))
    if problems:
        return render(
            request,
            "submissions/targets.html",
            {
                "year": year,
                "rows": _target_rows(db, catalog, year, lang),
                "done": None,
                "errors": problems,
            },
            principal=principal,
            status_code=400,
        )
    assert number is not None
    targets_mod.set_target(
        db,
        principal.actor,
        indicator=indicators[code],
        area_code=area,
        year=year,
        value=number,
        source_document=source.strip(),
    )
    db.commit()
    return RedirectResponse(f"/submissions/targets?year={year}&done=saved", status_code=303)


@router.post("/submissions/targets/import", response_class=HTMLResponse)
async def targets_import(
    request: Request,
    principal: Admin,
    db: DbSession,
    file: Annotated[UploadFile | None, File()] = None,
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    year: Annotated[int, Form(ge=2000, le=2100)] = 2026,
) -> Response:
    """Nhập chỉ tiêu kế hoạch từ tệp XLSX/CSV (all-or-nothing, errors by row and column)."""
    catalog, lang, _offset = _ctx(request)
    if not csrf.valid(request, csrf_token):
        return RedirectResponse(f"/submissions/targets?year={year}&done=csrf", status_code=303)
    if file is None or not file.filename:
        return RedirectResponse(f"/submissions/targets?year={year}&done=no_file", status_code=303)
    data = await file.read(upload_mod.MAX_BYTES + 1)
    filename = file.filename

    def work() -> Response:
        result = targets_mod.import_targets(
            db, principal.actor, catalog.indicator_rows(db), AreaBook.load(db), filename, data
        )
        if result.errors:
            db.rollback()
            return render(
                request,
                "submissions/targets.html",
                {
                    "year": year,
                    "rows": _target_rows(db, catalog, year, lang),
                    "done": None,
                    "errors": result.errors,
                },
                principal=principal,
                status_code=400,
            )
        db.commit()
        return RedirectResponse(f"/submissions/targets?year={year}&done=imported", status_code=303)

    return await run_in_threadpool(work)


__all__ = ["router", "value_text"]
