"""Import templates (.xlsx) for every kind of record, and safe export of frames to xlsx and csv.

Every export of the workbench goes through `export_frame` / `write_xlsx` / `write_csv`, which
escape text cells beginning with = + - @ (and tab or carriage return): a register opened in Excel
must never run a cell as a formula (CSV injection). In CSV the cell is prefixed with an apostrophe;
in xlsx the cell is stored as text with Excel's own quote prefix, so it reads unchanged.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from hehu.importing.cells import CONTROL_CHARS, MAX_WHOLE_NUMBER, strip_controls
from hehu.importing.kinds import KIND_SPECS, Field, KindSpec
from hehu.importing.resolve import place_choices
from hehu.records.gazetteer import read_gazetteer

# What makes a spreadsheet treat a cell as a formula (OWASP's list), half- and full-width.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
TEMPLATE_ROWS = 2000  # rows covered by data validation in a template
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")


def needs_escape(value) -> bool:
    """True for text that a spreadsheet would run as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def safe_cell(value):
    """A cell value safe for CSV: text starting with = + - @ gets a leading apostrophe."""
    return "'" + value if needs_escape(value) else value


def _plain(value):
    """A value openpyxl can store: no NaN/NaT, no pandas scalars."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        return value.item()  # numpy scalar
    return value


def set_safe_value(cell, value) -> None:
    """Put a value in an openpyxl cell; text that looks like a formula stays text (quote prefix).

    Control characters are dropped: no spreadsheet can hold them, and one in a stored name
    would otherwise stop the whole export.
    """
    value = _plain(value)
    if isinstance(value, str) and CONTROL_CHARS.search(value):
        value = strip_controls(value)
    cell.value = value
    if needs_escape(value):
        cell.data_type = "s"  # openpyxl would otherwise write it as a formula
        cell.quotePrefix = True
    elif isinstance(value, dt.datetime):
        cell.number_format = "yyyy-mm-dd hh:mm"
    elif isinstance(value, dt.date):
        cell.number_format = "yyyy-mm-dd"


def append_safe_row(sheet, values: Iterable) -> None:
    """Append a row to an openpyxl sheet through `set_safe_value`."""
    row = sheet.max_row + 1 if sheet.max_row > 1 or sheet.cell(1, 1).value is not None else 1
    for col, value in enumerate(values, start=1):
        set_safe_value(sheet.cell(row=row, column=col), value)


def write_xlsx(sheets: Mapping[str, pd.DataFrame], path: str | Path) -> Path:
    """Write frames as sheets of one .xlsx file, header bold, formula-like text escaped."""
    path = Path(path)
    book = Workbook()
    book.remove(book.active)
    for name, frame in sheets.items():
        sheet = book.create_sheet(sheet_title(name))
        for col, header in enumerate(frame.columns, start=1):
            set_safe_value(sheet.cell(row=1, column=col), str(header))
            sheet.cell(row=1, column=col).font = Font(bold=True)
        for row_number, row in enumerate(frame.itertuples(index=False), start=2):
            for col, value in enumerate(row, start=1):
                set_safe_value(sheet.cell(row=row_number, column=col), value)
        for col, header in enumerate(frame.columns, start=1):
            sheet.column_dimensions[get_column_letter(col)].width = max(10, 2 * len(str(header)))
        sheet.freeze_panes = "A2"
    if not book.sheetnames:
        book.create_sheet("Sheet1")
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def write_csv(frame: pd.DataFrame, path: str | Path, encoding: str = "utf-8-sig") -> Path:
    """Write a frame as CSV (UTF-8 with BOM so Excel reads Chinese), formula-like text escaped."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=encoding, newline="") as out:
        writer = csv.writer(out)
        writer.writerow([safe_cell(str(c)) for c in frame.columns])
        for row in frame.itertuples(index=False):
            writer.writerow(["" if _plain(v) is None else safe_cell(_plain(v)) for v in row])
    return path


def export_frame(frame: pd.DataFrame, path: str | Path, sheet: str = "数据") -> Path:
    """Export a frame to .xlsx or .csv (by the file's suffix), escaped against formula injection."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        return write_csv(frame, path)
    if path.suffix.lower() == ".xlsx":
        return write_xlsx({sheet: frame}, path)
    raise ValueError(f"unsupported export format: {path.suffix}")


def sheet_title(name: str) -> str:
    """An Excel-legal sheet title (31 characters, none of []:*?/\\ nor control characters)."""
    name = strip_controls(str(name))
    for ch in "[]:*?/\\":
        name = name.replace(ch, "_")
    return name[:31] or "Sheet"


# --------------------------------------------------------------------------- templates


def template_file_name(kind: str) -> str:
    """The default file name of a kind's template, e.g. 呵护导入模板_对象.xlsx."""
    return f"呵护导入模板_{KIND_SPECS[kind].zh}.xlsx"


def write_template(kind: str, path: str | Path, store=None) -> Path:
    """Write the .xlsx import template of a kind: headers, a 说明 sheet, data validation lists.

    Place names (and organisations, when a store with organisations is given) fill the choice
    lists; without a store the bundled gazetteer is used.
    """
    spec = KIND_SPECS[kind]
    path = Path(path)
    places = _template_places(store)
    orgs = _template_orgs(store)

    book = Workbook()
    data = book.active
    data.title = spec.zh
    lists = book.create_sheet("选项")
    notes = book.create_sheet("说明")
    book.move_sheet(notes, offset=-1)  # order: data, 说明, 选项

    list_columns: dict[str, str] = {}  # list name -> absolute range on 选项

    def choice_range(name: str, values: list[str]) -> str:
        """The 选项 range holding a list of choices (written once per list)."""
        if name not in list_columns:
            col = len(list_columns) + 1
            letter = get_column_letter(col)
            lists.cell(row=1, column=col, value=name).font = Font(bold=True)
            for i, value in enumerate(values, start=2):
                set_safe_value(lists.cell(row=i, column=col), value)
            list_columns[name] = f"选项!${letter}$2:${letter}${len(values) + 1}"
        return list_columns[name]

    for col, field in enumerate(spec.fields, start=1):
        _write_column(data, col, field, choice_range, places, orgs)
    data.freeze_panes = "A2"
    lists.sheet_state = "hidden"
    _write_notes(notes, kind, spec, places)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def _write_column(data, col: int, field: Field, choice_range, places, orgs) -> None:
    """One column of a template's data sheet: header cell, cell format, data validation."""
    letter = get_column_letter(col)
    cell = data.cell(row=1, column=col, value=field.zh)
    cell.font = Font(bold=True)
    cell.fill = _REQUIRED_FILL if field.required else _HEADER_FILL
    cell.alignment = Alignment(horizontal="center")
    cell.comment = Comment(field.help_text(), "呵护")
    data.column_dimensions[letter].width = max(12, 2.2 * len(field.zh) + 4)
    cells = f"{letter}2:{letter}{TEMPLATE_ROWS + 1}"
    validation = None
    choices: list[str] = []
    if field.parse in ("vocab", "metric") and field.vocab:
        choices = [entry[0] for entry in field.vocab.values()]
    elif field.parse == "bool":
        choices = ["是", "否"]
    elif field.parse == "place" and places:
        choices = places
    elif field.parse == "org" and orgs:
        choices = orgs
    if choices:
        validation = DataValidation(
            type="list", formula1=choice_range(field.zh, choices), allow_blank=True
        )
        # Places and organisations may also be written by code: warn, do not forbid.
        validation.errorStyle = "warning" if field.parse in ("place", "org") else "stop"
        validation.error = f"请从下拉列表中选择{field.zh}"
    elif field.parse == "date":
        validation = DataValidation(
            type="date",
            operator="between",
            formula1="DATE(1900,1,1)",
            formula2="DATE(2100,12,31)",
            allow_blank=True,
        )
        validation.errorStyle = "warning"  # 2022年5月18日 typed as text is accepted too
        validation.error = "请填写日期，例如 2022-05-18"
        for row in range(2, TEMPLATE_ROWS + 2):
            data.cell(row=row, column=col).number_format = "yyyy-mm-dd"
    elif field.parse in ("int", "year"):
        low, high = (1900, 2100) if field.parse == "year" else (0, MAX_WHOLE_NUMBER)
        validation = DataValidation(
            type="whole", operator="between", formula1=str(low), formula2=str(high)
        )
        validation.allow_blank = True
        validation.error = "请填写整数" if field.parse == "int" else "请填写四位年份"
    if field.parse in ("id_number", "code", "text", "name") or field.key == "code":
        # Text format: Excel would turn an 18-digit ID number into 3.2E+17 and lose digits.
        for row in range(2, TEMPLATE_ROWS + 2):
            data.cell(row=row, column=col).number_format = "@"
    if validation is not None:
        validation.showErrorMessage = True
        validation.errorTitle = "呵护"
        validation.add(cells)
        data.add_data_validation(validation)


def _write_notes(notes, kind: str, spec: KindSpec, places: list[str]) -> None:
    """A template's 说明 sheet: what the kind is, general notes, then one line per column."""
    notes.column_dimensions["A"].width = 18
    notes.column_dimensions["B"].width = 8
    notes.column_dimensions["C"].width = 60
    notes.column_dimensions["D"].width = 70
    notes.append([f"呵护 · {spec.zh}导入模板（{kind}）"])
    notes["A1"].font = Font(bold=True, size=14)
    notes.append([spec.description])
    for line in GENERAL_NOTES:
        notes.append([line])
    notes.append([])
    notes.append(["列名", "必填", "说明", "允许的值"])
    for cell in notes[notes.max_row]:
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
    for field in spec.fields:
        allowed = ""
        if field.vocab:
            allowed = "、".join(entry[0] for entry in field.vocab.values())
        elif field.parse == "bool":
            allowed = "是、否"
        synonyms = "、".join([s for s in field.synonyms if s != field.zh][:6])
        help_text = field.help_text() + (f"（也可写作：{synonyms}）" if synonyms else "")
        row = [field.zh, "是" if field.required else "", help_text, allowed]
        append_safe_row(notes, row)
        for cell in notes[notes.max_row]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    if spec.one_of:
        names = "；".join(
            "、".join(spec.field(k).zh for k in group) + " 至少填一项" for group in spec.one_of
        )
        notes.append([f"另：{names}"])
    notes.append([])
    notes.append(
        ["地点可填写统计用区划代码（12位）或名称；同名村请写“镇名+村名”，如 " + _example(places)]
    )


GENERAL_NOTES = (
    "· 第一行为表头，请勿修改列名；可在表头上方加标题行，可删去不用的非必填列。",
    "· 日期可写 2022-05-18、2022年5月18日、2022.5.18 或 2022/5/18。",
    "· 多个类别用顿号、逗号或分号分开，如：留守儿童、困境儿童。",
    "· 姓名和身份证号只用于生成假名编号，不会保存到数据库；请把身份证号列设为文本格式。",
    "· 空白单元格不会清除数据库中已有的数据；同一记录重复导入只会更新，不会重复。",
    "· 导入后会生成导入报告；有问题的行会另存为“待修正”文件，修改后可再次导入。",
)


def _example(places: list[str]) -> str:
    villages = [p for p in places if p.endswith("村")]
    return villages[0] if villages else "高沟镇尹荡村"


def _template_places(store) -> list[str]:
    frame = None
    if store is not None and store.count("place"):
        frame = store.read("place")
    if frame is None:
        frame = read_gazetteer()
    return place_choices(frame)


def _template_orgs(store) -> list[str]:
    if store is None or not store.count("org"):
        return []
    return sorted(store.read("org")["name"].astype(str).unique())
