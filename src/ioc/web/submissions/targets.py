"""Yearly targets (``/submissions/targets``, admin): edit one, import from XLSX, export in
the import layout."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from ioc.core import clock, i18n
from ioc.engines.exports import XLSX_MIME, Table, safe_row
from ioc.engines.submissions import targets as targets_mod
from ioc.engines.submissions import upload as upload_mod
from ioc.engines.submissions.catalog import (
    AreaBook,
    Catalog,
)
from ioc.web import csrf
from ioc.web.csrf import CsrfField
from ioc.web.deps import (
    Admin,
    DbSession,
)
from ioc.web.pagekit import AdminCall, Call
from ioc.web.submissions.common import (
    DONE_KEYS,
    ZONE,
    page_context,
)
from ioc.web.templating import render

router = APIRouter(include_in_schema=False)


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


def _targets_page(
    call: Call,
    catalog: Catalog,
    year: int,
    *,
    done: str | None = None,
    errors: list[str] | None = None,
) -> Response:
    """The targets of ``year`` with the ``done`` notice of the last form, or (400) the
    ``errors`` that refused it."""
    request, db, principal = call
    return render(
        request,
        "submissions/targets.html",
        {
            "year": year,
            "rows": _target_rows(db, catalog, year, call.lang),
            "done": done if done in DONE_KEYS else None,
            "errors": errors or [],
        },
        principal=principal,
        status_code=400 if errors else 200,
    )


@router.get("/submissions/targets", response_class=HTMLResponse)
def targets_page(
    call: AdminCall,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """Chỉ tiêu kế hoạch năm: edit one, import a file, export."""
    catalog, _lang, _offset = page_context(call.request)
    return _targets_page(call, catalog, year or clock.now().astimezone(ZONE).year, done=done)


@router.get("/submissions/targets.xlsx")
def targets_export(
    request: Request,
    principal: Admin,
    db: DbSession,
    year: Annotated[int, Query(ge=2000, le=2100)],
) -> Response:
    """Targets of a year in the import layout (edit and import back)."""
    catalog, lang, _offset = page_context(request)
    table = Table(title=f"Chi tieu ke hoach {year}", header=targets_mod.TARGET_HEADERS)
    for r in _target_rows(db, catalog, year, lang):
        table.rows.append([r["code"], r["area"], year, r["value"], r["source"], r["name"]])
    # The import reads the header as the first non-empty row: no title or notes above it.
    return Response(
        _plain_xlsx(table),
        media_type=XLSX_MIME,
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
    call: AdminCall,
    csrf_token: CsrfField = "",
    code: Annotated[str, Form(max_length=64)] = "",
    area: Annotated[str, Form(max_length=16)] = "",
    year: Annotated[int, Form(ge=2000, le=2100)] = 2026,
    value: Annotated[str, Form(max_length=40)] = "",
    source: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    """Đặt một chỉ tiêu kế hoạch."""
    request, db, principal = call
    catalog, lang, _offset = page_context(request)
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
        return _targets_page(call, catalog, year, errors=problems)
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
    call: AdminCall,
    file: Annotated[UploadFile | None, File()] = None,
    csrf_token: CsrfField = "",
    year: Annotated[int, Form(ge=2000, le=2100)] = 2026,
) -> Response:
    """Nhập chỉ tiêu kế hoạch từ tệp XLSX/CSV (all-or-nothing, errors by row and column)."""
    request, db, principal = call
    catalog, _lang, _offset = page_context(request)
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
            return _targets_page(call, catalog, year, errors=result.errors)
        db.commit()
        return RedirectResponse(f"/submissions/targets?year={year}&done=imported", status_code=303)

    return await run_in_threadpool(work)
