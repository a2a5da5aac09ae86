"""Exports: the one path every table or chart uses to become a CSV or XLSX download."""

from ioc.engines.exports.tables import Table, safe_cell, safe_row, to_csv, to_xlsx

# The media types of the downloads, named once (Content-Type of every export response).
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
CSV_MIME = "text/csv; charset=utf-8"

__all__ = [
    "CSV_MIME",
    "DOCX_MIME",
    "XLSX_MIME",
    "Table",
    "safe_cell",
    "safe_row",
    "to_csv",
    "to_xlsx",
]
