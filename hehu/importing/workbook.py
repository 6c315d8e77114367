"""Reading register files (.xlsx/.xlsm/.xls/.ods/.csv) into rows of cells, and checking uploads.

Files are read with python-calamine (several times faster), else openpyxl or xlrd; a CSV in
UTF-8 or GBK with its delimiter sniffed. Merged cells are filled. An upload from the import page
is checked for size and for content that matches its name before it is kept.

Before any reader sees a file, `check_spreadsheet` measures what it would unpack to: a reader
allocates the whole rectangle from A1 to the farthest cell, and a 2 KB .xlsx with one cell at
XFD1048576 asks python-calamine for 17 billion cells (the process aborts). A zip (.xlsx, .xlsm,
.ods) is refused when it unpacks to more than MAX_UNPACKED_BYTES, when a part is compressed more
than MAX_ZIP_RATIO times, when it declares more than MAX_CELLS shared strings or its merges
cover more, and, in every format (CSV too), when a sheet's rectangle is over MAX_COLUMNS columns
or the sheets' rectangles together over MAX_CELLS cells (`FileCells`, the one rule). The
farthest cell is found from the cells' own positions (the r="…" of each cell, streamed), not
from a sheet's <dimension>; a cell without a position is refused. An .ods is parsed with expat
to add up its repeated rows and columns; the records of an .xls are walked for the farthest
cell of each sheet. Every file is refused above MAX_FILE_BYTES.
Each limit can be changed by an environment variable (HEHU_MAX_FILE_MB, HEHU_MAX_UNPACKED_MB,
HEHU_MAX_ZIP_RATIO, HEHU_MAX_CELLS, HEHU_MAX_COLUMNS).
"""

from __future__ import annotations

import contextlib
import copy
import csv
import io
import itertools
import os
import re
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

from hehu.errors import HehuError, first_line
from hehu.importing.cells import CONTROL_CHARS, is_blank, strip_controls
from hehu.importing.positions import column_letters, column_number, positions_above
from hehu.records.pseudonym import without_personal_numbers

SUPPORTED_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".csv", ".txt")


@dataclass
class RawSheet:
    """A sheet as read: cell values by row, index 0 being Excel's row 1.

    `cleaned` lists the (row, column) indexes of the cells whose invisible control characters
    were dropped (`cells.CONTROL_CHARS`), so the import can say where. `hidden`: a sheet hidden
    in the workbook (choice lists, mostly), read so that the import can say it was not imported.
    """

    name: str
    rows: list[list]
    cleaned: list[tuple[int, int]] = field(default_factory=list)
    hidden: bool = False

    def __post_init__(self):
        self.name = name_said(self.name)


def name_said(title) -> str:
    """A sheet's or a file's name as every message and file name says it: without control
    characters, then without a personal number (课程13912349999; in that order, so none is left
    joined across one)."""
    return without_personal_numbers(strip_controls(str(title)))


def read_workbook(path: str | Path, name: str | None = None) -> list[RawSheet]:
    """Every sheet of an .xlsx/.xls/.ods file (python-calamine, else openpyxl/xlrd) or a CSV,
    control characters dropped from its text (see `RawSheet.cleaned`); `name` is the file's
    name as its user knows it (an upload is kept under another), said in every message."""
    name = name or Path(path).name
    return [_without_controls(sheet, name) for sheet in _read_any(path, name)]


def _without_controls(sheet: RawSheet, name: str) -> RawSheet:
    """Drop control characters from every text cell (one search over the whole sheet first);
    refuse the file if a cell holds more than MAX_CELL_CHARS characters."""
    texts = [v for row in sheet.rows for v in row if type(v) is str]
    if texts and max(map(len, texts)) > MAX_CELL_CHARS:
        r, c, value = next(
            (r, c, v)
            for r, row in enumerate(sheet.rows)
            for c, v in enumerate(row)
            if type(v) is str and len(v) > MAX_CELL_CHARS
        )
        raise _refuse(
            name,
            f"工作表“{sheet.name}”的 {column_letters(c + 1)}{r + 1} 格有 {len(value):,} 个字，"
            f"超过一格的上限 {MAX_CELL_CHARS:,} 个字",
            f"cell {column_letters(c + 1)}{r + 1} of sheet {sheet.name} holds {len(value):,} "
            f"characters, limit {MAX_CELL_CHARS:,}",
            "请把过长的内容移出表格后再导入",
        )
    text = "\n".join(texts)
    if not CONTROL_CHARS.search(text):
        return sheet
    for r, row in enumerate(sheet.rows):
        for c, value in enumerate(row):
            if type(value) is str and CONTROL_CHARS.search(value):
                row[c] = strip_controls(value)
                sheet.cleaned.append((r, c))
    return sheet


def _read_any(path: str | Path, name: str) -> list[RawSheet]:
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.exists():
        raise HehuError(f"文件不存在：{path}", f"no such file: {path}")
    if suffix in SUPPORTED_SUFFIXES:
        check_file_size(name, path.stat().st_size)
    if suffix in (".csv", ".txt"):
        return [RawSheet(Path(name).stem, read_csv_rows(path.read_bytes(), name))]
    if suffix not in SUPPORTED_SUFFIXES:
        raise HehuError(
            f"不支持的文件类型：{path.suffix}（可导入 .xlsx、.xls、.csv）",
            f"unsupported file type: {path.suffix}",
        )
    check_spreadsheet(path, name)  # before a reader allocates what the file claims
    try:
        return _read_calamine(path)
    except HehuError:
        raise  # the file is refused, not unreadable: another reader would do no better
    except Exception as calamine_error:  # noqa: BLE001 - any reader failure falls back
        try:
            if suffix == ".xls":
                return _read_xlrd(path)
            return _read_openpyxl(path, name)
        except HehuError:
            raise  # refused by the second reader's own check
        except Exception:  # noqa: BLE001 - report the first reader's reason
            # The reader's own words (English, perhaps quoting a cell) only after the Chinese.
            said = without_personal_numbers(first_line(calamine_error))
            raise HehuError(
                f"无法读取文件 {name}：文件已损坏，或不是 {suffix} 格式；{_RESAVE_HINT}"
                f"（读取程序的说明：{said}）",
                f"cannot read {name}: {said}",
            ) from calamine_error


def _read_calamine(path: Path) -> list[RawSheet]:
    from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

    sheets = []
    with CalamineWorkbook.from_path(str(path)) as book:
        for meta in book.sheets_metadata:
            if meta.typ != SheetTypeEnum.WorkSheet:
                continue
            sheet = book.get_sheet_by_name(meta.name)
            rows = sheet.to_python(skip_empty_area=False)  # fresh lists of this sheet's rows
            if rows and type(rows[0]) is not list:  # an older python-calamine's tuples
                rows = [list(r) for r in rows]
            merged = sheet.merged_cell_ranges or []
            hidden = meta.visible != SheetVisibleEnum.Visible
            filled = _fill_merged(rows, merged, name_said(meta.name))
            sheets.append(RawSheet(meta.name, filled, hidden=hidden))
    return sheets


def _read_openpyxl(path: Path, name: str) -> list[RawSheet]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=False, data_only=True)
    sheets = []
    cells = FileCells(name)
    for sheet in book.worksheets:
        # The cells openpyxl read, wherever their positions put them (r="&#88;FD1048576" is
        # XFD1048576 to it, though the scan before reading saw no position there): its rows
        # make the whole rectangle from A1.
        cells.reach(sheet.max_row, sheet.max_column, f"工作表“{name_said(sheet.title)}”")
        cells.next_sheet(sheet.max_row, sheet.max_column)
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        merged = [
            ((r.min_row - 1, r.min_col - 1), (r.max_row - 1, r.max_col - 1))
            for r in sheet.merged_cells.ranges
        ]
        filled = _fill_merged(rows, merged, name_said(sheet.title))
        sheets.append(RawSheet(sheet.title, filled, hidden=sheet.sheet_state != "visible"))
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


def _fill_merged(rows: list[list], merged, sheet: str = "") -> list[list]:
    """Copy a merged cell's value into every cell of the merge (a village merged over its rows).

    Only rows that have something else in them are filled, so a merge running past the last
    record does not invent rows. Merges never overlap in a real sheet, so together they cover
    no more cells than the sheet has; a file whose merges do (50,000 merges over the same
    cells, a 50 KB file that took minutes) is refused before any is filled. Each row's count of
    non-blank cells is kept, so a merge costs its own cells, not the width of every row.
    """
    width = max(map(len, rows), default=0)
    covered = 0
    for (r0, c0), (r1, c1) in merged:
        if r0 < len(rows) and c0 < width:
            covered += (min(r1, len(rows) - 1) - r0 + 1) * (min(c1, width - 1) - c0 + 1)
    if covered > len(rows) * width:
        raise HehuError(
            f"工作表“{sheet}”的合并单元格互相重叠，无法读取；请取消合并后再导入",
            f"the merged cells of sheet {sheet} overlap; unmerge them and import again",
        )
    counts: dict[int, int] = {}  # row -> its non-blank cells, counted when first needed

    def count(r: int) -> int:
        if r not in counts:
            counts[r] = sum(not is_blank(v) for v in rows[r])
        return counts[r]

    for (r0, c0), (r1, c1) in merged:
        if r0 >= len(rows) or c0 >= len(rows[r0]):
            continue
        value = rows[r0][c0]
        if is_blank(value):
            continue
        for r in range(r0, min(r1, len(rows) - 1) + 1):
            row = rows[r]
            inside = range(c0, min(c1, len(row) - 1) + 1)
            if r != r0 and count(r) == sum(not is_blank(row[c]) for c in inside):
                continue  # nothing else in the row: past the last record
            for c in inside:
                if is_blank(row[c]):
                    row[c] = value
                    counts[r] = count(r) + 1
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


def read_csv_rows(data: bytes, name: str = "CSV") -> list[list]:
    """The rows of a CSV file's bytes, delimiter sniffed (comma, tab, semicolon), held to the
    limits of a sheet (`FileCells`)."""
    text = decode_text(data)
    sample = text[:8192]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",\t;|").delimiter
    except csv.Error:
        delimiter = ","
    # A line of more delimiters than columns allowed, before the reader makes a list of them
    # (10 MB of commas is ten million cells); a delimiter inside quotes counts too.
    each = re.escape(delimiter)
    if line := re.search(rf"(?m)^(?:[^\n{each}]*{each}){{{MAX_COLUMNS}}}", text):
        end = text.find("\n", line.start())
        columns = text.count(delimiter, line.start(), len(text) if end < 0 else end) + 1
        FileCells(name).reach(text.count("\n", 0, line.start()) + 1, columns)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        rows = [list(r) for r in reader]
    except csv.Error as exc:  # a giant cell, or a quote never closed that swallows the rest
        limit = csv.field_size_limit()
        raise HehuError(
            f"CSV 文件第 {reader.line_num} 行无法读取：有一格超过 {limit} 个字符，或引号未配对；"
            "请用 Excel 打开检查后另存为 .xlsx 再导入",
            f"CSV line {reader.line_num} cannot be read: a cell over {limit} characters "
            f"or an unclosed quote ({exc})",
        ) from None
    FileCells(name).reach(len(rows), max(map(len, rows), default=0))
    return rows


# ===================================================================================== limits


def _limit(name: str, default: float) -> float:
    """A limit from the environment variable `name` (a number), else `default`."""
    try:
        return float(os.environ.get(name) or default)
    except ValueError:
        return default


MB = 1024 * 1024
MAX_FILE_BYTES = int(_limit("HEHU_MAX_FILE_MB", 200) * MB)  # any register file, on disk
MAX_UNPACKED_BYTES = int(_limit("HEHU_MAX_UNPACKED_MB", 500) * MB)  # a zip's parts, unpacked
MAX_ZIP_RATIO = _limit("HEHU_MAX_ZIP_RATIO", 100)  # of a part over RATIO_FLOOR unpacked
RATIO_FLOOR = MB  # small parts may compress well without harm
MAX_CELLS = int(_limit("HEHU_MAX_CELLS", 5_000_000))  # from A1 to a sheet's farthest cell
MAX_COLUMNS = int(_limit("HEHU_MAX_COLUMNS", 500))
MAX_ZIP_PARTS = 10_000
MAX_CELL_CHARS = 32_767  # what one cell of Excel can hold; any reader's text cell, CSV too
MAX_TAG_BYTES = 16 * MB  # no tag or text of a real sheet comes near (a cell holds 32,767 chars)
_CHUNK = 4 * MB
_SPLIT_HINT = "请删除多余的行列或拆分成几个文件后再导入"
_RESAVE_HINT = "请用 Excel 打开后另存为 .xlsx 再导入"


def _mb(size: float) -> str:
    return f"{size / MB:.0f} MB" if size >= 10 * MB else f"{size / MB:.1f} MB"


class FileCells:
    """The cells a reader makes of one file: each sheet's rectangle from A1 to its farthest
    cell, added up over the file's sheets, held to MAX_COLUMNS columns a sheet and MAX_CELLS
    cells in all (several sheets each under the limit are read together). Every format's
    check reports each sheet's reach here as it grows (`reach`), then ends it (`next_sheet`)."""

    def __init__(self, name: str):
        self.name = name
        self.before = 0  # the cells of the sheets already ended
        self.sheets = 0

    def reach(self, rows: int, columns: int, sheet: str = "工作表") -> None:
        """Refuse when the sheet being read, so far `rows` by `columns`, goes over a limit."""
        if columns > MAX_COLUMNS:
            raise _refuse(
                self.name,
                f"{sheet}用到第 {column_letters(columns)} 列（{columns} 列），超过上限 {MAX_COLUMNS} 列",
                f"a sheet reaches column {columns}, limit {MAX_COLUMNS}",
            )
        cells = rows * columns
        if cells > MAX_CELLS:
            raise _refuse(
                self.name,
                f"{sheet}从 A1 到 {column_letters(columns)}{rows} 共 {cells:,} 格，"
                f"超过上限 {MAX_CELLS:,} 格",
                f"a sheet spans {cells:,} cells, limit {MAX_CELLS:,}",
            )
        if self.before + cells > MAX_CELLS:
            raise _refuse(
                self.name,
                f"前 {self.sheets + 1} 个工作表从 A1 到各自最远的单元格共 {self.before + cells:,} 格，"
                f"超过上限 {MAX_CELLS:,} 格",
                f"its sheets span {self.before + cells:,} cells together, limit {MAX_CELLS:,}",
            )

    def next_sheet(self, rows: int, columns: int) -> None:
        """The sheet read ends at `rows` by `columns`: its cells count towards the file's."""
        if rows and columns:
            self.before += rows * columns
            self.sheets += 1


def check_file_size(name: str, size: int) -> None:
    """Refuse a register file over MAX_FILE_BYTES."""
    if size > MAX_FILE_BYTES:
        raise HehuError(
            f"文件 {name} 过大：{_mb(size)}，上限 {_mb(MAX_FILE_BYTES)}；{_SPLIT_HINT}",
            f"{name} is too large: {_mb(size)}, limit {_mb(MAX_FILE_BYTES)}",
        )


def check_spreadsheet(source: str | Path | bytes, name: str) -> None:
    """Refuse a spreadsheet that would unpack to more than the limits (see the module's doc).

    `source` is a path or the file's bytes (an upload); `name` is the file name said in the
    message. A CSV needs no check beyond its size.
    """
    suffix = Path(name).suffix.lower()
    if suffix == ".xls":
        _check_xls(source if isinstance(source, bytes) else Path(source).read_bytes(), name)
        return
    if suffix not in (".xlsx", ".xlsm", ".ods"):
        return
    try:
        book = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise HehuError(
            f"无法读取文件 {name}：文件已损坏（{exc}）；{_RESAVE_HINT}",
            f"{name} is damaged and cannot be opened ({exc})",
        ) from None
    with book:
        _check_zip(book, name, ods=suffix == ".ods")


def _refuse(name: str, zh: str, en: str, hint: str = _SPLIT_HINT) -> HehuError:
    return HehuError(f"文件 {name} 已拒绝：{zh}；{hint}", f"{name} refused: {en}")


def _check_zip(book: zipfile.ZipFile, name: str, *, ods: bool) -> None:
    parts = book.infolist()
    if len(parts) > MAX_ZIP_PARTS:
        raise _refuse(name, f"压缩包内有 {len(parts)} 个部件", f"{len(parts)} parts in the zip")
    declared = sum(p.file_size for p in parts)
    if declared > MAX_UNPACKED_BYTES:
        raise _refuse(
            name,
            f"解压后有 {_mb(declared)}，超过上限 {_mb(MAX_UNPACKED_BYTES)}",
            f"unpacks to {_mb(declared)}, limit {_mb(MAX_UNPACKED_BYTES)}",
        )
    unpacked = 0
    cells = FileCells(name)
    for part in parts:
        if part.is_dir():
            continue
        scan: _XlsxScan | _OdsScan | None = None
        if ods:
            scan = _OdsScan(name, part.filename, cells) if part.filename == "content.xml" else None
        else:  # every part: relationships may name a sheet anything ("./worksheets/s.dat")
            scan = _XlsxScan(name, part.filename, cells)
        size = 0
        for chunk in _unpack(book, part, name, MAX_UNPACKED_BYTES - unpacked):
            size += len(chunk)
            if size > RATIO_FLOOR and size > MAX_ZIP_RATIO * max(part.compress_size, 1):
                ratio = size / max(part.compress_size, 1)
                raise _refuse(
                    name,
                    f"部件 {part.filename} 的压缩比超过 {ratio:.0f} 倍（上限 {MAX_ZIP_RATIO:.0f} 倍），"
                    "疑似压缩炸弹",
                    f"part {part.filename} is compressed over {ratio:.0f} times "
                    f"(limit {MAX_ZIP_RATIO:.0f})",
                )
            if scan is not None:
                scan.feed(chunk)
        unpacked += size
        if scan is not None:
            scan.close()


# BIFF records of an .xls that place a cell: (row, column) are their first two 16-bit words;
# MULRK and MULBLANK place a run of cells ending at the column in their last word.
_XLS_CELLS = frozenset({0x0006, 0x00D6, 0x00FD, 0x0201, 0x0203, 0x0204, 0x0205, 0x027E})
_XLS_RUNS = frozenset({0x00BD, 0x00BE})
_XLS_BOF, _XLS_EOF = 0x0809, 0x000A


def _check_xls(data: bytes, name: str) -> None:
    """Refuse an .xls whose sheets reach more than MAX_CELLS from A1 (a cell at row 65,536,
    column 256 is 16.7 million cells, a dozen such sheets are more than a reader can hold).

    The records of the Workbook stream are walked (xlrd's compound-document reader finds it),
    one after another and from where each BOUNDSHEET says its sheet starts (a reader goes
    there, even inside another record: a sheet hidden in an unknown record's body passed); a
    file that cannot be walked is left to the readers, which say what is wrong with it.
    """
    from xlrd import compdoc

    try:
        doc = compdoc.CompDoc(data, logfile=io.StringIO())
        mem, base, size = doc.locate_named_stream("Workbook")
        if mem is None:
            mem, base, size = doc.locate_named_stream("Book")
    except Exception:  # noqa: BLE001 - not for this check to say
        return
    if mem is None:
        return
    end = base + size
    said = []  # where each BOUNDSHEET says its sheet starts
    position = base
    while position + 4 <= end:
        kind, length = _XLS_HEAD(mem, position)
        if kind == _XLS_BOUNDSHEET and length >= 4:
            said.append(base + struct.unpack_from("<I", mem, position + 4)[0])
        position += 4 + length
    # Every record in order (the globals first, as sheet 0), then each sheet where it is said
    # to start, up to its own EOF.
    in_order = enumerate(_xls_extents(mem, base, end))
    where_said = ((n, next(_xls_extents(mem, at, end), (0, 0))) for n, at in enumerate(said, 1))
    farthest: dict[int, tuple[int, int]] = {}  # a sheet walked both ways counts once
    for number, (rows, columns) in itertools.chain(in_order, where_said):
        seen_rows, seen_columns = farthest.get(number, (0, 0))
        farthest[number] = (max(rows, seen_rows), max(columns, seen_columns))
    cells = FileCells(name)
    for number, (rows, columns) in farthest.items():
        cells.reach(rows, columns, f"第 {number} 个工作表")
        cells.next_sheet(rows, columns)


_XLS_HEAD = struct.Struct("<HH").unpack_from
_XLS_BOUNDSHEET = 0x0085


def _xls_extents(mem: bytes, position: int, end: int) -> Iterator[tuple[int, int]]:
    """(rows, columns) from A1 to the farthest cell of each sheet whose records are walked
    from `position` on (every sheet's BOF to its EOF)."""
    rows = columns = 0
    while position + 4 <= end:
        kind, length = _XLS_HEAD(mem, position)
        body = position + 4
        if kind in _XLS_CELLS and length >= 4:
            row, column = _XLS_HEAD(mem, body)
            rows, columns = max(rows, row + 1), max(columns, column + 1)
        elif kind in _XLS_RUNS and length >= 6:
            row, _ = _XLS_HEAD(mem, body)
            (last,) = struct.unpack_from("<H", mem, body + length - 2)
            rows, columns = max(rows, row + 1), max(columns, last + 1)
        elif kind == _XLS_BOF:
            rows = columns = 0
        elif kind == _XLS_EOF:
            yield rows, columns
        position = body + length


def _unpack(book: zipfile.ZipFile, part: zipfile.ZipInfo, name: str, room: int) -> Iterator[bytes]:
    """A part's bytes as unpacked, chunk by chunk, whatever size its header claims.

    A header may understate the size: the part is read with the claim lifted and the bytes
    actually unpacked are counted, and refused past `room`.
    """
    probe = copy.copy(part)
    probe.file_size = 1 << 62  # read to the end of the compressed data, not to the claim
    seen = 0
    try:
        with book.open(probe) as stream:
            while chunk := stream.read(_CHUNK):
                seen += len(chunk)
                if seen > room:
                    raise _refuse(
                        name,
                        f"解压后超过上限 {_mb(MAX_UNPACKED_BYTES)}",
                        f"unpacks to more than {_mb(MAX_UNPACKED_BYTES)}",
                    )
                yield chunk
    except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError, ValueError) as exc:
        raise HehuError(
            f"无法读取文件 {name}：文件已损坏（{part.filename}：{exc}）；{_RESAVE_HINT}",
            f"{name} is damaged ({part.filename}: {exc})",
        ) from None
    except Exception as exc:  # noqa: BLE001 - zlib.error and the like: a damaged part
        if isinstance(exc, HehuError):
            raise
        raise HehuError(
            f"无法读取文件 {name}：文件已损坏（{part.filename}）；{_RESAVE_HINT}",
            f"{name} is damaged ({part.filename}: {exc})",
        ) from None


# A cell's position: r="B12" (any quotes and spaces; a $ or leading zeros as a reader allows).
# The name is matched without the space before it, so the regexes search for a literal "r".
_ATTR = r"""r\s*=\s*["']\$?"""
_CELL_REF = re.compile(_ATTR.encode() + rb"""([A-Za-z]+)\$?0*([0-9]+)["']""")
# A merge: <mergeCell ref="A3:T1000"/> (any prefix, quotes and $)
_MERGE_REF = re.compile(
    rb"""mergeCell\s[^>]*?\bref\s*=\s*["']\$?([A-Za-z]+)\$?0*([0-9]+):\$?([A-Za-z]+)\$?0*([0-9]+)"""
)
# A cell tag that does not begin with its position (one pass each; rare, then checked exactly)
_ODD_CELL_TAGS = (re.compile(rb"<c(?! r=)[\s/>]"), re.compile(rb":c(?! r=)[\s/>]"))
_CELL_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c(?:\s[^>]*)?/?>")
_HAS_R = re.compile(rb"\sr\s*=")
# The shared strings' tag, whole (a chunk ends after a ">"), and the counts it declares.
_SST_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?sst[\s/>][^>]*")
_COUNT = re.compile(rb"""\b(?:uniqueCount|count)\s*=\s*["']0*([0-9]{1,30})["']""")
EXACT_AFTER = 2000  # regexes remade on one part before every position is read instead


class _XlsxScan:
    """The farthest cell of one XML part of an .xlsx, from the positions of its cells, streamed.

    The last positions of each chunk set the maximum (rows come in order); one regex matching
    only positions beyond it then runs over the chunk at C speed, and is remade on each of the
    rare positions it finds. Shared strings are held to MAX_CELLS by their declared count, and
    merged cells to MAX_CELLS by the cells they cover (openpyxl, read when python-calamine
    cannot, fills every merge cell by cell before anything can count them).
    """

    def __init__(self, name: str, part: str, cells: FileCells):
        self.name, self.part, self.cells = name, part, cells
        self.rows = self.columns = 0
        self.merged = 0
        self.tail = b""
        self.beyond: re.Pattern | None = None
        self.remade = 0

    def feed(self, chunk: bytes) -> None:
        data = self.tail + chunk
        cut = data.rfind(b">") + 1  # a position never holds ">": none is cut in two
        if cut == 0 and len(data) > MAX_TAG_BYTES:
            raise _refuse(
                self.name, f"{self.part} 中有超长的标记", f"an overlong tag in {self.part}"
            )
        data, self.tail = data[:cut], data[cut:]
        if b"sst" in data:  # shared strings, declared wherever their tag is (after padding too)
            self._declared(data)
        if b"mergeCell" in data:
            self._merges(data)
        self._positions_have_cells(data)
        if self.remade > EXACT_AFTER:  # positions out of order on purpose: read them all
            self._reach_all(data)
            return
        self._reach_all(data[-4096:])  # rows come in order: the last are the farthest
        position = 0
        while match := self._beyond().search(data, position):
            self._reach_all(match[0])
            position = match.end()

    def _reach_all(self, data: bytes) -> None:
        for letters, row in _CELL_REF.findall(data):
            self._reach(int(row), column_number(letters))

    def close(self) -> None:
        self.feed(b">")
        self.cells.next_sheet(self.rows, self.columns)

    def _merges(self, data: bytes) -> None:
        for m in _MERGE_REF.finditer(data):
            first, last = sorted((column_number(m[1]), column_number(m[3])))
            top, bottom = sorted((int(m[2]), int(m[4])))
            self.merged += (last - first + 1) * (bottom - top + 1)
        if self.merged > MAX_CELLS:
            raise _refuse(
                self.name,
                f"{self.part} 的合并单元格共覆盖 {self.merged:,} 格，超过上限 {MAX_CELLS:,} 格"
                "（合并单元格互相重叠）",
                f"the merged cells of {self.part} cover {self.merged:,} cells, limit {MAX_CELLS:,}",
            )

    def _declared(self, data: bytes) -> None:
        """Shared strings: a reader makes room for as many as the part declares."""
        for tag in _SST_TAG.finditer(data):
            for m in _COUNT.finditer(tag[0]):
                if int(m[1]) <= MAX_CELLS:
                    continue
                raise _refuse(
                    self.name,
                    f"声明了 {int(m[1]):,} 个共享字符串，超过上限 {MAX_CELLS:,}",
                    f"{int(m[1]):,} shared strings declared, limit {MAX_CELLS:,}",
                )

    def _positions_have_cells(self, data: bytes) -> None:
        """Refuse a cell whose position is only implied by its place (no r="…").

        Every program people use writes the position; a reader would place such cells one
        after another, so a row of them could reach any column unseen. Cheap when every
        cell tag starts with r=, as every common writer has it.
        """
        if not any(odd.search(data) for odd in _ODD_CELL_TAGS):
            return
        for m in _CELL_TAG.finditer(data):
            if not _HAS_R.search(m[0]):
                raise _refuse(
                    self.name,
                    f"{self.part} 中有未标明位置的单元格",
                    f"a cell without a position in {self.part}",
                    _RESAVE_HINT,
                )

    def _reach(self, row: int, column: int) -> None:
        if row <= self.rows and column <= self.columns:
            return
        self.rows, self.columns = max(self.rows, row), max(self.columns, column)
        self.beyond = None
        self.cells.reach(self.rows, self.columns)

    def _beyond(self) -> re.Pattern:
        """A regex of the positions beyond the farthest row or column seen so far."""
        if self.beyond is None:
            self.remade += 1
            rows = positions_above(str(self.rows))
            letters = (
                positions_above(column_letters(self.columns), letters=True)
                if self.columns
                else "[A-Za-z]+"
            )
            pattern = _ATTR + rf"""(?:(?:{letters})\$?0*[0-9]+|[A-Za-z]+\$?0*(?:{rows}))["']"""
            self.beyond = re.compile(pattern.encode())
        return self.beyond


class _OdsScan:
    """The farthest cell with something in it of an .ods content.xml, repeats added up (expat)."""

    def __init__(self, name: str, part: str, cells: FileCells):
        self.name, self.part, self.cells = name, part, cells
        self.parser = expat.ParserCreate()
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.parser.buffer_text = True
        self.row = self.column = 0  # next position
        self.row_repeat = 1
        self.cell: tuple[int, bool] | None = None  # (repeat, has content)
        self.row_reach = self.column_reach = 0  # within the table

    def feed(self, chunk: bytes) -> None:
        try:
            self.parser.Parse(chunk, False)
        except expat.ExpatError as exc:
            raise HehuError(
                f"无法读取文件 {self.name}：文件已损坏（{self.part}：{exc}）；{_RESAVE_HINT}",
                f"{self.name} is damaged ({self.part}: {exc})",
            ) from None

    def close(self) -> None:
        with contextlib.suppress(expat.ExpatError):  # the reader says what is wrong with it
            self.parser.Parse(b"", True)

    @staticmethod
    def _repeat(attrs: dict, key: str) -> int:
        for name, value in attrs.items():
            if name.endswith(key):
                try:
                    return max(int(value), 1)
                except ValueError:
                    return 1
        return 1

    def _start(self, tag: str, attrs: dict) -> None:
        local = tag.rsplit(":", 1)[-1]
        if tag == "table:table":  # a sheet, as the reader names it: not <x:table/> of any prefix
            self.cells.next_sheet(self.row_reach, self.column_reach)
            self.row = self.row_reach = self.column_reach = 0
        elif local == "table-row":
            self.column, self.row_repeat = 0, self._repeat(attrs, "number-rows-repeated")
            self.row_filled = False
        elif local in ("table-cell", "covered-table-cell"):
            valued = any(n.endswith(":value-type") for n in attrs)
            self.cell = (self._repeat(attrs, "number-columns-repeated"), valued)
        elif self.cell is not None and local == "p":
            self.cell = (self.cell[0], True)

    def _end(self, tag: str) -> None:
        local = tag.rsplit(":", 1)[-1]
        if local in ("table-cell", "covered-table-cell") and self.cell is not None:
            repeat, valued = self.cell
            self.column += repeat
            if valued:
                self.column_reach = max(self.column_reach, self.column)
                self.row_filled = True
            self.cell = None
        elif local == "table-row":
            self.row += self.row_repeat
            if self.row_filled:
                self.row_reach = self.row
                self.cells.reach(self.row_reach, self.column_reach)
