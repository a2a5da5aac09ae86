"""Exports: the one path every table or chart uses to become a CSV or XLSX download."""

from ioc.engines.exports.tables import Table, safe_cell, safe_row, to_csv, to_xlsx

__all__ = ["Table", "safe_cell", "safe_row", "to_csv", "to_xlsx"]
