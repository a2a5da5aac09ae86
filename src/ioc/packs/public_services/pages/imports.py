"""``/public-services/import``: dossiers from an XLSX/CSV file (iGate export), through the same
action as the API."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from ioc.core import ownership
from ioc.engines.exports import CSV_MIME, Table, to_csv
from ioc.engines.ingestion.tabular import TableError, read_table
from ioc.packs.public_services.ingest import (
    TEMPLATE_HEADERS,
    IngestReport,
    ingest_batch,
    rows_from_table,
)
from ioc.web import csrf
from ioc.web.deps import IngestorPage, Principal, write_scope
from ioc.web.templating import render

__all__ = ["router"]

from ioc.web.pagekit import IngestorCall, attachment

router = APIRouter(include_in_schema=False)

MAX_UPLOAD_BYTES: Final = 20 * 1024 * 1024


def _import_view(
    request: Request,
    principal: Principal,
    *,
    report: IngestReport | None = None,
    flash: tuple[str, str] | None = None,
    file_error: str | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        "public_services/import.html",
        {"report": report, "flash": flash, "file_error": file_error, "columns": TEMPLATE_HEADERS},
        principal=principal,
        status_code=status,
    )


@router.get("/public-services/import", response_class=HTMLResponse)
def import_page(request: Request, principal: IngestorPage) -> Response:
    """Nhập hồ sơ từ tệp XLSX/CSV (iGate export)."""
    return _import_view(request, principal)


@router.get("/public-services/import/template.csv")
def import_template(principal: IngestorPage) -> Response:
    """Tệp mẫu CSV với các cột tiếng Việt."""
    table = Table(title="mau", header=[title for _name, title in TEMPLATE_HEADERS])
    return attachment(to_csv(table), CSV_MIME, "mau-nhap-ho-so.csv")


@router.post("/public-services/import", response_class=HTMLResponse)
async def import_upload(
    call: IngestorCall,
    file: Annotated[UploadFile, File()],
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    atomic: Annotated[bool, Form()] = False,
) -> Response:
    """Nhập tệp: valid rows stored (or none with ``atomic``), each refused row named by its
    spreadsheet row, dossier id and column."""
    request, db, principal = call
    if not csrf.valid(request, csrf_token):
        return _import_view(request, principal, flash=("error", "error.csrf"), status=400)
    content = await file.read(MAX_UPLOAD_BYTES + 1)
    if len(content) > MAX_UPLOAD_BYTES:
        return _import_view(request, principal, flash=("error", "ps.import.too_big"), status=413)
    filename = file.filename or ""

    def work() -> IngestReport | str | ownership.NotYourData:
        try:
            table = read_table(filename, content)
        except TableError as exc:
            return str(exc)
        mapping = rows_from_table(table.columns)
        rows = [{mapping[k]: v for k, v in r.values.items()} for r in table.rows]
        try:
            report = ingest_batch(
                db,
                principal.actor,
                dossiers=rows,
                atomic=atomic,
                row_numbers=[r.number for r in table.rows],
                source=f"import:{filename[:80]}",
                scope=write_scope(db, principal),
            )
        except ownership.NotYourData as exc:
            db.rollback()
            ownership.record_denied(db, principal.actor, "public-services.import", exc)
            db.commit()
            return exc
        db.commit()
        return report

    result = await run_in_threadpool(work)
    if isinstance(result, ownership.NotYourData):
        return _import_view(request, principal, file_error=result.text, status=403)
    if isinstance(result, str):
        return _import_view(request, principal, file_error=result, status=400)
    return _import_view(request, principal, report=result, status=200 if result.ok else 422)
