"""Exports from the pages: a table as .xlsx bytes (formula-like text escaped), and its audit entry.

Escaping is `importing.templates.set_safe_value`, the one every export of the workbench goes
through; this module only adds an in-memory workbook (a page offers it as a download, with no
file on the server) and an audit-log entry that, unlike `Store.write`, leaves the data version
alone so an export does not invalidate every page's cached records.
"""

from __future__ import annotations

import io

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from hehu.importing.templates import safe_cell, set_safe_value, sheet_title
from hehu.records.store import Store

__all__ = ["frame_to_xlsx_bytes", "log_export", "safe_cell"]

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def frame_to_xlsx_bytes(frame: pd.DataFrame, sheet: str = "数据", note: str = "") -> bytes:
    """A frame as an .xlsx workbook in memory: bold header, text like =1+1 kept as text."""
    book = Workbook()
    ws = book.active
    ws.title = sheet_title(sheet)
    first = 1
    if note:  # where the figures come from (page, place, period, role) travels with the file
        set_safe_value(ws.cell(row=1, column=1), note)
        first = 3
    for col, header in enumerate(frame.columns, start=1):
        cell = ws.cell(row=first, column=col)
        set_safe_value(cell, str(header))
        cell.font = Font(bold=True)
        ws.column_dimensions[get_column_letter(col)].width = max(10, 2 * len(str(header)) + 2)
    for row_number, row in enumerate(frame.itertuples(index=False), start=first + 1):
        for col, value in enumerate(row, start=1):
            set_safe_value(ws.cell(row=row_number, column=col), value)
    ws.freeze_panes = ws.cell(row=first + 1, column=1)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def log_export(store: Store, what: str, *, actor: str = "page", places: str = "") -> None:
    """Write one export to the audit log (its own transaction; the data version is unchanged)."""
    store.audit("export", what, places=places, actor=actor)
