"""``/documents/import``: a document register from a CSV/XLSX file (operators and admins),
every row or none, and its template."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import Response

from ioc.core import ownership
from ioc.engines.exports import Table
from ioc.engines.ingestion.tabular import TableError
from ioc.packs.documents import ingest
from ioc.packs.documents.pages.context import check_form, download
from ioc.web.deps import DbSession, IngestorPage, Principal, write_scope
from ioc.web.templating import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _may_import(principal: Principal) -> None:
    if principal.user is None or principal.user.role not in ("admin", "operator"):
        raise HTTPException(403, "Chỉ trực ban IOC, quản trị viên / operators and admins only")


@router.get("/documents/import")
def import_page(request: Request, principal: IngestorPage) -> Response:
    """Nhập sổ văn bản từ tệp CSV/XLSX (columns in ``ingest.COLUMNS``)."""
    _may_import(principal)
    return render(
        request,
        "documents/import.html",
        {"columns": ingest.COLUMNS, "report": None, "errors": [], "file_error": None},
        principal=principal,
    )


@router.post("/documents/import")
async def import_upload(
    request: Request,
    principal: IngestorPage,
    db: DbSession,
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Import every row of the file, or none when any row is wrong (errors by row/column)."""
    _may_import(principal)
    check_form(request, csrf_token)
    context: dict[str, Any] = {
        "columns": ingest.COLUMNS,
        "report": None,
        "errors": [],
        "file_error": None,
    }
    if file is None or not file.filename:
        context["file_error"] = "Chưa chọn tệp (no file chosen)"
        return render(
            request, "documents/import.html", context, principal=principal, status_code=400
        )
    data = await file.read(50 * 1024 * 1024 + 1)
    try:
        if len(data) > 50 * 1024 * 1024:
            raise TableError("Tệp lớn hơn 50 MB (file larger than 50 MB)")
        report = ingest.import_file(
            db, principal.actor, file.filename, data, scope=write_scope(db, principal)
        )
    except ownership.NotYourData as exc:
        db.rollback()
        ownership.record_denied(db, principal.actor, "documents.import", exc)
        db.commit()
        context["file_error"] = exc.text
        return render(
            request, "documents/import.html", context, principal=principal, status_code=403
        )
    except TableError as exc:
        db.rollback()
        context["file_error"] = str(exc)
        return render(
            request, "documents/import.html", context, principal=principal, status_code=400
        )
    if not report.ok:
        db.rollback()
        context["errors"] = [e.text(file=True) for e in report.errors[:200]]
        context["error_count"] = len(report.errors)
        return render(
            request, "documents/import.html", context, principal=principal, status_code=400
        )
    db.commit()
    context["report"] = report
    return render(request, "documents/import.html", context, principal=principal)


@router.get("/documents/import/template")
def import_template(principal: IngestorPage) -> Response:
    """An empty import file with the expected headers and one example row."""
    _may_import(principal)
    example = [
        "QLVB-2026-000123",
        "đến",
        "so-xay-dung",
        "125/UBND-KT",
        "Công văn",
        "V/v triển khai nhiệm vụ phát triển đô thị thông minh",
        "UBND tỉnh",
        "05/03/2026",
        "06/03/2026 08:30",
        "",
        "10 ngày làm việc",
        "",
        "không",
        "có",
        "QLVB",
    ]
    table = Table(title="Mau_nhap_van_ban", header=ingest.template_header(), rows=[example])
    return download(table, "mau-nhap-van-ban", "xlsx")
