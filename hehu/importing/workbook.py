"""Reading register files (.xlsx/.xlsm/.xls/.ods/.csv) into rows of cells, and checking uploads.

Files are read with python-calamine (several times faster), else openpyxl or xlrd; a CSV in
UTF-8 or GBK with its delimiter sniffed. Merged cells are filled. An upload from the import page
is checked for size and for content that matches its name before it is kept.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path

from hehu.errors import HehuError
from hehu.importing.cells import is_blank
from hehu.records.store import hehu_home

SUPPORTED_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".csv", ".txt")


@dataclass
class RawSheet:
    """A sheet as read: cell values by row, index 0 being Excel's row 1."""

    name: str
    rows: list[list]


def read_workbook(path: str | Path) -> list[RawSheet]:
    """Every sheet of an .xlsx/.xls/.ods file (python-calamine, else openpyxl/xlrd) or a CSV."""
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.exists():
        raise HehuError(f"文件不存在：{path}", f"no such file: {path}")
    if suffix in (".csv", ".txt"):
        return [RawSheet(path.stem, read_csv_rows(path.read_bytes()))]
    if suffix not in SUPPORTED_SUFFIXES:
        raise HehuError(
            f"不支持的文件类型：{path.suffix}（可导入 .xlsx、.xls、.csv）",
            f"unsupported file type: {path.suffix}",
        )
    try:
        return _read_calamine(path)
    except Exception as calamine_error:  # noqa: BLE001 - any reader failure falls back
        try:
            if suffix == ".xls":
                return _read_xlrd(path)
            return _read_openpyxl(path)
        except Exception:  # noqa: BLE001 - report the first reader's reason
            raise HehuError(
                f"无法读取文件 {path.name}：{calamine_error}",
                f"cannot read {path.name}: {calamine_error}",
            ) from calamine_error


def _read_calamine(path: Path) -> list[RawSheet]:
    from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

    sheets = []
    with CalamineWorkbook.from_path(str(path)) as book:
        for meta in book.sheets_metadata:
            if meta.typ != SheetTypeEnum.WorkSheet or meta.visible != SheetVisibleEnum.Visible:
                continue  # hidden sheets hold choice lists, not records
            sheet = book.get_sheet_by_name(meta.name)
            rows = [list(r) for r in sheet.to_python(skip_empty_area=False)]
            merged = sheet.merged_cell_ranges or []
            sheets.append(RawSheet(meta.name, _fill_merged(rows, merged)))
    return sheets


def _read_openpyxl(path: Path) -> list[RawSheet]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=False, data_only=True)
    sheets = []
    for sheet in book.worksheets:
        if sheet.sheet_state != "visible":
            continue
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        merged = [
            ((r.min_row - 1, r.min_col - 1), (r.max_row - 1, r.max_col - 1))
            for r in sheet.merged_cells.ranges
        ]
        sheets.append(RawSheet(sheet.title, _fill_merged(rows, merged)))
    return sheets


def _read_xlrd(path: Path) -> list[RawSheet]:
    import xlrd

    book = xlrd.open_workbook(str(path), formatting_info=False)
    sheets = []
    for sheet in book.sheets():
        rows = []
        for r in range(sheet.nrows):
            row = []
            for c in range(sheet.ncols):
                cell = sheet.cell(r, c)
                if cell.ctype == xlrd.XL_CELL_DATE:
                    row.append(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode))
                else:
                    row.append(cell.value)
            rows.append(row)
        sheets.append(RawSheet(sheet.name, rows))
    return sheets


def _fill_merged(rows: list[list], merged) -> list[list]:
    """Copy a merged cell's value into every cell of the merge (a village merged over its rows).

    Only rows that have something else in them are filled, so a merge running past the last
    record does not invent rows.
    """
    for (r0, c0), (r1, c1) in merged:
        if r0 >= len(rows) or c0 >= len(rows[r0]):
            continue
        value = rows[r0][c0]
        if is_blank(value):
            continue
        for r in range(r0, min(r1, len(rows) - 1) + 1):
            row = rows[r]
            if r != r0 and all(is_blank(v) for i, v in enumerate(row) if not c0 <= i <= c1):
                continue
            for c in range(c0, min(c1, len(row) - 1) + 1):
                if is_blank(row[c]):
                    row[c] = value
    return rows


def decode_text(data: bytes) -> str:
    """Text of a CSV in UTF-8 (with or without BOM) or GBK/GB18030, as Chinese Excel saves it."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise HehuError(
        "无法识别 CSV 文件的编码（应为 UTF-8 或 GBK）", "cannot decode the CSV (UTF-8 or GBK)"
    )


def read_csv_rows(data: bytes) -> list[list]:
    """The rows of a CSV file's bytes, delimiter sniffed (comma, tab, semicolon)."""
    text = decode_text(data)
    sample = text[:8192]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",\t;|").delimiter
    except csv.Error:
        delimiter = ","
    return [list(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]


# ===================================================================================== uploads


def imports_dir() -> Path:
    """Where uploads from the import page and their reports are kept: hehu_home()/imports."""
    folder = hehu_home() / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)  # uploads and quarantine files hold names and ID numbers
    return folder


MAX_UPLOAD_BYTES = int(float(os.environ.get("HEHU_MAX_UPLOAD_MB", "20")) * 1024 * 1024)
ZIP_MAGIC = b"PK\x03\x04"  # .xlsx, .xlsm and .ods are zip files
OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")  # .xls is an OLE compound file


def check_upload(file_name: str, content: bytes) -> str:
    """The upload's suffix if its size and its content agree with its name; HehuError if not."""
    name = Path(file_name).name
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise HehuError(
            f"不支持的文件类型：{suffix or name}（可导入 .xlsx、.xls、.csv）",
            f"unsupported file type: {suffix or name}",
        )
    if len(content) > MAX_UPLOAD_BYTES:
        raise HehuError(
            f"文件过大：{len(content) / 1048576:.1f} MB，上限 {MAX_UPLOAD_BYTES / 1048576:.0f} MB；请拆分后分批导入",
            f"file too large: {len(content) / 1048576:.1f} MB, limit {MAX_UPLOAD_BYTES / 1048576:.0f} MB",
        )
    if not content:
        raise HehuError("文件是空的", "the file is empty")
    # The name is only a claim: look at the bytes, so a renamed program or archive is refused.
    if suffix in (".xlsx", ".xlsm", ".ods"):
        ok = content.startswith(ZIP_MAGIC)
    elif suffix == ".xls":
        ok = content.startswith(OLE_MAGIC)
    else:
        ok = b"\x00" not in content[:65536] and not content.startswith((ZIP_MAGIC, OLE_MAGIC))
    if not ok:
        raise HehuError(
            f"文件内容与扩展名 {suffix} 不符，已拒绝：请用 Excel 另存为正确格式后再导入",
            f"the file's content does not match its {suffix} name; refused",
        )
    return suffix


def save_upload(file_name: str, content: bytes) -> Path:
    """Keep an uploaded register in the imports folder under a timestamped, harmless name."""
    name = Path(file_name).name  # never a path from the browser: only the last part, cleaned
    suffix = check_upload(file_name, content)
    stem = re.sub(r"[^\w\u4e00-\u9fff.-]+", "_", Path(name).stem)[:60] or "upload"
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    path = imports_dir() / f"{stamp}_{stem}{suffix}"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(content)
    return path
