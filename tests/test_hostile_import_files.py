"""Spreadsheet bombs: small files that unpack to billions of cells are refused before any reader.

Each bomb is written here by hand with zipfile, and imported by `python -m hehu.cli import` in a
subprocess capped at 1.5 GB of address space and two minutes: a reader that tried to allocate
what the file claims would abort the process (exit -6, no exception to catch). The import must
end with exit status 2, one Chinese line on stderr naming the limit, no traceback, and the
database as it was. The same check runs on an upload from the import page.
"""

from __future__ import annotations

import os
import random
import resource
import struct
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest
from test_import_support import org_rows, snapshot, write_book

from hehu.errors import HehuError
from hehu.importing import import_file, upload, workbook
from hehu.records.store import open_store

pytest_plugins = ["test_import_support"]  # fixtures: home, db_url, store
REPO = Path(__file__).resolve().parents[1]
MEMORY_CAP = 1536 * 1024 * 1024
TIMEOUT = 120

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELS}">'
    f'<Relationship Id="rId1" Type="{DOC_RELS}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
WORKBOOK = (
    f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{DOC_RELS}">'
    '<sheets><sheet name="组织" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELS}">'
    f'<Relationship Id="rId1" Type="{DOC_RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{DOC_RELS}/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
)
EMPTY_STRINGS = (
    f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}" count="0" uniqueCount="0"/>'
)
# A real header and row, so that without the bomb cell the file would import.
HEADER = "".join(
    f'<row r="{r}">'
    + "".join(
        f'<c r="{c}{r}" t="inlineStr"><is><t>{v}</t></is></c>'
        for c, v in zip("ABCD", row, strict=True)
    )
    + "</row>"
    for r, row in (
        (1, ("组织名称", "类型", "层级", "所在地")),
        (2, ("新妇联", "妇联", "镇级", "高沟镇")),
    )
)


def sheet_xml(rows: str, dimension: str | None = None, open_tag: str = "") -> str:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{open_tag or f"<worksheet xmlns={chr(34)}{MAIN}{chr(34)}>"}'
        f"{dim}<sheetData>{HEADER}{rows}</sheetData></worksheet>"
    )


def write_xlsx(
    path: Path, sheet: str, strings: str = EMPTY_STRINGS, sheet_name: str = "sheet1.xml"
) -> Path:
    """A minimal valid .xlsx: content types, relationships, workbook, one sheet, shared strings."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as book:
        book.writestr("[Content_Types].xml", CONTENT_TYPES)
        book.writestr("_rels/.rels", ROOT_RELS)
        book.writestr("xl/workbook.xml", WORKBOOK)
        if sheet_name == "sheet1.xml":
            rels = WORKBOOK_RELS
        else:  # a path as a hostile writer may put it
            rels = WORKBOOK_RELS.replace("worksheets/sheet1.xml", f"./worksheets/{sheet_name}")
        book.writestr("xl/_rels/workbook.xml.rels", rels)
        book.writestr(f"xl/worksheets/{sheet_name}", sheet)
        book.writestr("xl/sharedStrings.xml", strings)
    return path


def corner(tmp_path, dimension=True) -> Path:
    """One cell at XFD1048576, the last cell of a sheet: 17 billion cells from A1."""
    cell = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    return write_xlsx(
        tmp_path / "corner.xlsx", sheet_xml(cell, "A1:XFD1048576" if dimension else None)
    )


def corner_named_dat(tmp_path) -> Path:
    """The corner cell in a sheet part its relationships name ./worksheets/sheet1.dat."""
    cell = '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    return write_xlsx(tmp_path / "dat.xlsx", sheet_xml(cell), sheet_name="sheet1.dat")


def corner_by_reference(tmp_path) -> Path:
    """The corner cell's position written with a character reference: r="&#88;FD1048576" (X).
    python-calamine cannot read it; openpyxl, read after it, does."""
    cell = '<row r="1048576"><c r="&#88;FD1048576"><v>1</v></c></row>'
    return write_xlsx(tmp_path / "reference.xlsx", sheet_xml(cell))


def tall(tmp_path) -> Path:
    """Eleven columns down to the last row: 11.5 million cells."""
    cell = '<row r="1048576"><c r="K1048576"><v>1</v></c></row>'
    return write_xlsx(tmp_path / "tall.xlsx", sheet_xml(cell))


def disguised(tmp_path) -> Path:
    """The corner cell written as a hostile writer may: prefix, spaces, single quotes, lower case."""
    cell = "<x:row r='1048576'><x:c  r = 'xfd1048576'><x:v>1</x:v></x:c></x:row>"
    xml = sheet_xml(cell, open_tag=f'<x:worksheet xmlns:x="{MAIN}" xmlns="{MAIN}">')
    xml = xml.replace("</worksheet>", "</x:worksheet>")
    return write_xlsx(tmp_path / "disguised.xlsx", xml)


def unplaced(tmp_path) -> Path:
    """16,384 cells without a position in the last row: a reader places them one after another."""
    cells = '<row r="1048576">' + "<c><v>1</v></c>" * 16384 + "</row>"
    return write_xlsx(tmp_path / "unplaced.xlsx", sheet_xml(cells))


def overlapping_merges(tmp_path) -> Path:
    """1,000 rows of 20 cells under 50,000 merges of the same cells: a 50 KB file, minutes of
    filling merged cells one over another."""
    cells = "".join(
        f'<row r="{r}">'
        + "".join(
            f'<c r="{c}{r}" t="inlineStr"><is><t>v</t></is></c>' for c in "ABCDEFGHIJKLMNOPQRST"
        )
        + "</row>"
        for r in range(3, 1001)
    )
    merges = "".join(f'<mergeCell ref="A{3 + i % 3}:T1000"/>' for i in range(50_000))
    xml = sheet_xml(cells).replace(
        "</sheetData>", f'</sheetData><mergeCells count="50000">{merges}</mergeCells>'
    )
    return write_xlsx(tmp_path / "merges.xlsx", xml)


def declared_strings(tmp_path) -> Path:
    """Shared strings declaring two billion entries (a reader makes room for them first)."""
    strings = (
        f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}" count="2000000000" '
        'uniqueCount="2000000000"><si><t>a</t></si></sst>'
    )
    return write_xlsx(tmp_path / "strings.xlsx", sheet_xml(""), strings)


def padded_strings(tmp_path) -> Path:
    """Four billion shared strings declared after 5 KB of comment (a check of the first 4 KB
    passed it; python-calamine then asked for 96 GB and aborted)."""
    strings = (
        f'<?xml version="1.0" encoding="UTF-8"?><!--{" " * 5000}--><sst xmlns="{MAIN}" '
        'count="4000000000" uniqueCount="4000000000"><si><t>a</t></si></sst>'
    )
    return write_xlsx(tmp_path / "padded.xlsx", sheet_xml(""), strings)


def strings_bomb(tmp_path) -> Path:
    """A shared-strings part of half a megabyte that unpacks to 400 MB of strings."""
    path = write_xlsx(tmp_path / "sst_bomb.xlsx", sheet_xml(""), "")
    with zipfile.ZipFile(path) as src:
        parts = {n: src.read(n) for n in src.namelist() if n != "xl/sharedStrings.xml"}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as book:
        for name, data in parts.items():
            book.writestr(name, data)
        with book.open("xl/sharedStrings.xml", "w", force_zip64=True) as out:
            out.write(f'<?xml version="1.0"?><sst xmlns="{MAIN}">'.encode())
            block = b"<si><t>" + b"a" * 1000 + b"</t></si>"
            for _ in range(400_000):
                out.write(block)
            out.write(b"</sst>")
    return path


def ods_bomb(tmp_path) -> Path:
    """An .ods whose one row, a value in 10,000 columns, is repeated 9,000 times: 90 million cells
    (under the reader's own limit of 100 million)."""
    ns = (
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
    )
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns}><office:body>'
        '<office:spreadsheet><table:table table:name="组织"><table:table-row>'
        '<table:table-cell office:value-type="string"><text:p>组织名称</text:p></table:table-cell>'
        '</table:table-row><table:table-row table:number-rows-repeated="9000">'
        '<table:table-cell office:value-type="float" office:value="1" '
        'table:number-columns-repeated="10000"/></table:table-row></table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    path = tmp_path / "bomb.ods"
    with zipfile.ZipFile(path, "w") as book:
        book.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        book.writestr("META-INF/manifest.xml", MANIFEST)
        book.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return path


def biff_record(kind: int, data: bytes = b"") -> bytes:
    return struct.pack("<HH", kind, len(data)) + data


def biff_workbook(
    sheets: list[tuple[str, list[tuple[int, int, object]]]], inside: int | None = None
) -> bytes:
    """A BIFF8 Workbook stream: globals (BOF, code page, one BOUNDSHEET a sheet), then sheets;
    `inside`: each sheet hidden in the body of a record of that (unknown) kind, its BOUNDSHEET
    pointing in there."""

    def bof(kind: int) -> bytes:
        return biff_record(0x0809, struct.pack("<HHHHII", 0x0600, kind, 0x0DBB, 0x07CC, 0, 6))

    head = bof(0x0005) + biff_record(0x0042, struct.pack("<H", 1200))
    bodies = []
    for _, cells in sheets:
        parts = [bof(0x0010)]
        for row, col, value in cells:
            if isinstance(value, str):
                text = struct.pack("<HHHHB", row, col, 15, len(value), 1) + value.encode(
                    "utf-16-le"
                )
                parts.append(biff_record(0x0204, text))  # LABEL
            else:
                parts.append(biff_record(0x0203, struct.pack("<HHHd", row, col, 15, value)))
        parts.append(biff_record(0x000A))
        body = b"".join(parts)
        bodies.append(body if inside is None else struct.pack("<HH", inside, len(body)) + body)
    names = [name.encode("utf-16-le") for name, _ in sheets]
    offset = len(head) + sum(12 + len(n) for n in names) + 4
    bounds = b""
    for (name, _), raw, body in zip(sheets, names, bodies, strict=True):
        start = offset + (0 if inside is None else 4)
        bounds += biff_record(0x0085, struct.pack("<IHBB", start, 0, len(name), 1) + raw)
        offset += len(body)
    return head + bounds + biff_record(0x000A) + b"".join(bodies)


def ole_file(stream: bytes) -> bytes:
    """A compound document (what an .xls is) holding one stream named Workbook."""
    sector, end, free, fat_mark, none = 512, 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    data = stream.ljust(max(4096, -(-len(stream) // sector) * sector), b"\0")
    n = len(data) // sector
    n_fat = 1
    while (n + 1 + n_fat) > 128 * n_fat:
        n_fat += 1
    fat = [i + 1 for i in range(n - 1)] + [end, end] + [fat_mark] * n_fat
    fat += [free] * (128 * n_fat - len(fat))

    def entry(name: str, kind: int, child: int, start: int, size: int) -> bytes:
        raw = (name + "\0").encode("utf-16-le") if name else b""
        return (
            raw.ljust(64, b"\0")
            + struct.pack("<HBBIII", len(raw), kind, 1 if kind else 0, none, none, child)
            + bytes(20 + 16)
            + struct.pack("<III", start, size, 0)
        )

    directory = entry("Root Entry", 5, 1, end, 0) + entry("Workbook", 2, none, 0, len(data))
    directory += entry("", 0, none, 0, 0) * 2
    difat = list(range(n + 1, n + 1 + n_fat)) + [free] * (109 - n_fat)
    header = (
        bytes.fromhex("D0CF11E0A1B11AE1")
        + bytes(16)
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + bytes(6)
        + struct.pack("<IIIIIIIII", 0, n_fat, n, 0, 4096, end, 0, end, 0)
        + struct.pack("<109I", *difat)
    )
    return header + data + directory + struct.pack(f"<{len(fat)}I", *fat)


XLS_HEADER = [(0, 0, "组织名称"), (0, 1, "类型"), (0, 2, "所在地")]
XLS_HEADER += [(1, 0, "新妇联"), (1, 1, "妇联"), (1, 2, "高沟镇")]


def xls_corners(path: Path, sheets: int, column: int, inside: int | None = None) -> Path:
    """An .xls of `sheets` sheets, each the header and a cell in its last row at `column`
    (0-based): 65,536 rows by column + 1 to a reader."""
    cells = [(f"组织{i}", [*XLS_HEADER, (65535, column, 1.0)]) for i in range(sheets)]
    path.write_bytes(ole_file(biff_workbook(cells, inside=inside)))
    return path


def xls_bomb(tmp_path) -> Path:
    """Twelve sheets, each with a cell at IV65536, the last cell of an .xls: 5 KB."""
    return xls_corners(tmp_path / "bomb.xls", 12, 255)


def xls_hidden_bomb(tmp_path) -> Path:
    """A sheet with a cell at IV65536 inside the body of an unknown record: the records walked
    one after another skip it, the reader goes to where its BOUNDSHEET says."""
    return xls_corners(tmp_path / "hidden.xls", 1, 255, inside=0x1001)


def ods_other_tables(tmp_path) -> Path:
    """36,001 rows of 400 values parted by <x:table/> of another namespace, which once started
    the count again as a new sheet: 14.4 million cells to the reader, one sheet."""
    group = (
        '<table:table-row table:number-rows-repeated="12000"><table:table-cell '
        'office:value-type="float" office:value="1" table:number-columns-repeated="400"/>'
        "</table:table-row>"
    )
    rows = '<x:table xmlns:x="urn:other"/>'.join([group] * 3)
    path = ods_bomb(tmp_path)
    with zipfile.ZipFile(path) as book:
        content = book.read("content.xml").decode()
    start = content.index('<table:table-row table:number-rows-repeated="9000">')
    end = content.index("</table:table>")
    with zipfile.ZipFile(path, "w") as book:
        book.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        book.writestr("META-INF/manifest.xml", MANIFEST)
        book.writestr("content.xml", content[:start] + rows + content[end:], zipfile.ZIP_DEFLATED)
    return path


def merges_openpyxl_reads(tmp_path) -> Path:
    """The overlapping merges in a sheet part its relationships name ./worksheets/…: python-
    calamine cannot read it, openpyxl (read next) filled the 50,000 merges cell by cell for
    minutes before anything could count them."""
    path = overlapping_merges(tmp_path)
    with zipfile.ZipFile(path) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    return write_xlsx(tmp_path / "merges_openpyxl.xlsx", sheet, sheet_name="merged.xml")


def sheets_together(tmp_path) -> Path:
    """Four sheets, each 900,000 rows by 5 columns (4.5 million cells, under the limit of a
    sheet): 18 million cells read together."""
    names = [f"组织{i}" for i in range(4)]
    cell = '<row r="900000"><c r="E900000"><v>1</v></c></row>'
    path = tmp_path / "together.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr(
            "[Content_Types].xml",
            CONTENT_TYPES.replace(
                '<Override PartName="/xl/worksheets/sheet1.xml"',
                '<Override PartName="/xl/worksheets/sheet0.xml"',
            ),
        )
        book.writestr("_rels/.rels", ROOT_RELS)
        sheets = "".join(
            f'<sheet name="{n}" sheetId="{i + 1}" r:id="rId{i + 10}"/>' for i, n in enumerate(names)
        )
        book.writestr(
            "xl/workbook.xml",
            WORKBOOK.replace(
                WORKBOOK[WORKBOOK.index("<sheets>") : WORKBOOK.index("</sheets>")],
                "<sheets>" + sheets,
            ),
        )
        rels = "".join(
            f'<Relationship Id="rId{i + 10}" Type="{DOC_RELS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(len(names))
        )
        book.writestr(
            "xl/_rels/workbook.xml.rels",
            WORKBOOK_RELS.replace("</Relationships>", rels + "</Relationships>"),
        )
        for i in range(len(names)):
            book.writestr(f"xl/worksheets/sheet{i}.xml", sheet_xml(cell))
        book.writestr("xl/sharedStrings.xml", EMPTY_STRINGS)
    return path


def xls_sheets_together(tmp_path) -> Path:
    """Three .xls sheets, each 65,536 rows by 60 columns (3.9 million cells): 11.8 million."""
    return xls_corners(tmp_path / "together.xls", 3, 59)


def wide_csv(tmp_path) -> Path:
    """A CSV of one line of three million commas: a list of three million cells to the reader."""
    path = tmp_path / "wide.csv"
    path.write_text("组织名称,类型,层级,所在地\n" + "," * 3_000_000 + "\n", encoding="utf-8")
    return path


MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
    'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
    '<manifest:file-entry manifest:full-path="/" '
    'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
)


def run_capped(args: list[str], env: dict) -> tuple[int, str, int]:
    """Run `python -m hehu.cli ARGS` under the memory cap: (exit status, stderr, peak RSS KB)."""

    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))

    proc = subprocess.Popen(
        [sys.executable, "-m", "hehu.cli", *args],
        cwd=REPO,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=cap,
    )
    err: list[bytes] = []
    reader = threading.Thread(target=lambda: err.append(proc.stderr.read()), daemon=True)
    reader.start()
    # The child's own high-water mark (VmHWM), read while it runs: ru_maxrss would carry the
    # forking pytest's size, which Linux hands down across fork and exec.
    peak_kb = [0]
    done = threading.Event()

    def watch():
        status_file = Path(f"/proc/{proc.pid}/status")
        command_file = Path(f"/proc/{proc.pid}/cmdline")
        while not done.is_set():
            try:
                if b"hehu.cli" not in command_file.read_bytes():
                    done.wait(0.005)  # not yet exec'd: still the copy of pytest
                    continue
                for line in status_file.read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peak_kb[0] = max(peak_kb[0], int(line.split()[1]))
            except (OSError, ValueError):
                pass
            done.wait(0.01)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    timer = threading.Timer(TIMEOUT, proc.kill)
    timer.start()
    try:
        _, status, _usage = os.wait4(proc.pid, 0)
    finally:
        timer.cancel()
        done.set()
    watcher.join(5)
    reader.join(10)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, b"".join(err).decode(errors="replace"), peak_kb[0]


@pytest.fixture
def private_db(db_url, home, tmp_path):
    """The fresh store with one organisation in it, readable by its owner only."""
    os.chmod(db_url.removeprefix("sqlite:///"), 0o600)
    store = open_store(db_url)
    import_file(store, write_book(tmp_path / "orgs.xlsx", {"组织": org_rows()}))
    before = snapshot(store)
    store.engine.dispose()
    return db_url, before


BOMBS = {
    "corner cell with its dimension": (corner, "工作表用到第 XFD 列（16384 列），超过上限 500 列"),
    "corner cell, no dimension": (
        lambda p: corner(p, dimension=False),
        "工作表用到第 XFD 列（16384 列），超过上限 500 列",
    ),
    "tall": (tall, "共 11,534,336 格，超过上限 5,000,000 格"),
    "disguised positions": (disguised, "超过上限 500 列"),
    "cells without a position": (unplaced, "中有未标明位置的单元格"),
    "declared shared strings": (declared_strings, "个共享字符串，超过上限 5,000,000"),
    "shared strings declared after padding": (padded_strings, "个共享字符串，超过上限 5,000,000"),
    "a sheet part named .dat": (
        corner_named_dat,
        "工作表用到第 XFD 列（16384 列），超过上限 500 列",
    ),
    "a position by character reference": (
        corner_by_reference,
        "工作表“组织”用到第 XFD 列（16384 列）",
    ),
    "xls sheet inside another record": (xls_hidden_bomb, "共 16,777,216 格，超过上限 5,000,000 格"),
    "ods parted by tables of another namespace": (ods_other_tables, "超过上限 5,000,000 格"),
    "shared-strings bomb": (strings_bomb, "疑似压缩炸弹"),
    "ods repeats": (ods_bomb, "（10000 列），超过上限 500 列"),
    "xls corner cells": (xls_bomb, "共 16,777,216 格，超过上限 5,000,000 格"),
    "overlapping merges": (overlapping_merges, "的合并单元格共覆盖 997,000,020 格"),
    "overlapping merges openpyxl reads": (merges_openpyxl_reads, "的合并单元格共覆盖"),
    "sheets under the limit, together over it": (
        sheets_together,
        "前 2 个工作表从 A1 到各自最远的单元格共 9,000,000 格，超过上限 5,000,000 格",
    ),
    "xls sheets together": (
        xls_sheets_together,
        "前 2 个工作表从 A1 到各自最远的单元格共 7,864,320 格",
    ),
    "a CSV line of three million cells": (wide_csv, "工作表用到第 FNQVQ 列（3000001 列）"),
}


@pytest.mark.parametrize("bomb", list(BOMBS))
def test_a_spreadsheet_bomb_is_refused_in_one_line(bomb, private_db, home, tmp_path):
    url, before = private_db
    make, fragment = BOMBS[bomb]
    path = make(tmp_path)
    assert path.stat().st_size < 4 * 1024 * 1024  # small files, all of them
    status, err, peak_kb = run_capped(["import", str(path), "--db", url], {"HEHU_HOME": str(home)})
    lines = [line for line in err.splitlines() if line and not line.startswith("[")]
    assert status == 2, err[-3000:]
    assert "Traceback" not in err and "panicked" not in err
    assert len(lines) == 1 and lines[0].startswith("错误："), lines
    assert fragment in lines[0] and (path.name in lines[0] or "工作表“组织”" in lines[0]), lines[0]
    assert 0 < peak_kb * 1024 < MEMORY_CAP / 2
    assert snapshot(open_store(url)) == before


def test_an_upload_bomb_is_refused_before_it_is_kept(home, tmp_path):
    path = corner(tmp_path)
    with pytest.raises(HehuError, match="超过上限 500 列") as caught:
        upload.save_upload("组织.xlsx", path.read_bytes())
    assert "\n" not in caught.value.zh
    assert not list((home / "imports").glob("*.xlsx"))


def test_the_import_page_says_the_bomb_in_one_line(db_url, home, tmp_path, monkeypatch):
    from widgets.pages.imports import ImportSession

    session = ImportSession(open_store(db_url), actor="voila:staff")
    session.set_file("组织.xlsx", corner(tmp_path).read_bytes())
    assert session.run(dry_run=True) is None
    assert session.status == "failed" and "超过上限 500 列" in session.error
    assert "\n" not in session.error


def test_a_damaged_zip_is_one_line(tmp_path):
    path = corner(tmp_path)
    data = bytearray(path.read_bytes())
    start = data.index(b"xl/worksheets/sheet1.xml") + 30
    data[start : start + 40] = bytes(40)  # the sheet's deflated bytes broken
    with pytest.raises(HehuError, match="无法读取文件") as caught:
        workbook.check_spreadsheet(bytes(data), "坏.xlsx")
    assert "\n" not in caught.value.zh


def test_a_file_no_reader_can_read_is_said_in_chinese_first(tmp_path):
    """A zip named .xlsx with no workbook in it: both readers fail in English."""
    path = tmp_path / "坏.xlsx"
    with zipfile.ZipFile(path, "w") as book:
        book.writestr("说明.txt", "联系人 13812345678")
    with pytest.raises(HehuError) as caught:
        workbook.read_workbook(path)
    zh = caught.value.zh
    assert zh.startswith("无法读取文件 坏.xlsx：文件已损坏，或不是 .xlsx 格式；请用 Excel 打开"), zh
    assert "\n" not in zh and "13812345678" not in zh


def test_a_real_register_passes_the_check(tmp_path):
    rows = [["组织名称", "类型", "层级", "所在地"]]
    rows += [[f"妇联{i}", "妇联", "村级", "高沟镇"] for i in range(3000)]
    path = write_book(tmp_path / "real.xlsx", {"组织": rows})
    workbook.check_spreadsheet(path, path.name)  # no exception
    workbook.check_spreadsheet(path.read_bytes(), path.name)


def test_a_real_xls_passes_the_check_and_reads(tmp_path):
    path = tmp_path / "组织.xls"
    path.write_bytes(ole_file(biff_workbook([("组织", XLS_HEADER)])))
    workbook.check_spreadsheet(path, path.name)
    assert workbook.read_workbook(path)[0].rows == [
        ["组织名称", "类型", "所在地"],
        ["新妇联", "妇联", "高沟镇"],
    ]


def test_a_giant_csv_cell_is_one_line(tmp_path):
    path = tmp_path / "巨.csv"
    path.write_text("组织名称,类型\n" + "x" * (1 << 20) + ",妇联\n", encoding="utf-8")
    with pytest.raises(HehuError, match="CSV 文件第 2 行无法读取") as caught:
        workbook.read_workbook(path)
    assert "\n" not in caught.value.zh


def test_a_csv_is_held_to_the_cells_of_a_sheet(tmp_path):
    """30,000 lines of 200 empty cells: 6 million cells in 6 MB, over the limit of every format."""
    path = tmp_path / "large.csv"
    path.write_text("组织名称,类型,层级,所在地\n" + ("," * 199 + "\n") * 30_000, encoding="utf-8")
    with pytest.raises(HehuError, match="从 A1 到 GR30001 共 6,000,200 格，超过上限 5,000,000 格"):
        workbook.read_workbook(path)
    path.write_text("组织名称,类型\n" + ",".join(["妇联"] * 501) + "\n", encoding="utf-8")
    with pytest.raises(HehuError, match="工作表用到第 SG 列（501 列），超过上限 500 列"):
        workbook.read_workbook(path)
    path.write_text("组织名称,类型\n" + ("妇联,协会\n" * 30_000), encoding="utf-8")
    assert len(workbook.read_workbook(path)[0].rows) == 30_001  # a real one reads


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_a_cell_longer_than_excel_holds_is_refused_in_every_format(tmp_path, suffix):
    """A megabyte in one cell (a pasted document) was stored whole from an .xlsx."""

    def book(length: int) -> Path:
        path = tmp_path / f"长{length}{suffix}"
        chance = random.Random(length)  # characters that do not compress like a bomb
        text = "".join(chr(0x4E00 + chance.randrange(20_000)) for _ in range(length))
        if suffix == ".csv":
            path.write_text(f"组织名称,类型\n{text},妇联\n", encoding="utf-8")
            return path
        cell = f'<row r="3"><c r="B3" t="inlineStr"><is><t>{text}</t></is></c></row>'
        return write_xlsx(path, sheet_xml(cell))

    if suffix == ".xlsx":  # a CSV's reader refuses a megabyte itself (test_a_giant_csv_cell…)
        with pytest.raises(
            HehuError, match="的 B3 格有 1,048,576 个字，超过一格的上限 32,767 个字"
        ):
            workbook.read_workbook(book(1 << 20))
    with pytest.raises(HehuError, match="有 32,768 个字"):
        workbook.read_workbook(book(32_768))
    assert max(len(v) for v in workbook.read_workbook(book(32_767))[0].rows[-1] if v) == 32_767


def test_an_unclosed_quote_is_one_line(tmp_path):
    path = tmp_path / "引号.csv"
    path.write_text('组织名称,类型\n"妇联,妇联\n' + "其他,协会\n" * 30000, encoding="utf-8")
    with pytest.raises(HehuError, match="引号未配对"):
        workbook.read_workbook(path)


def test_limits_come_from_the_environment(private_db, home, tmp_path):
    url, before = private_db
    path = write_xlsx(tmp_path / "窄.xlsx", sheet_xml(""))  # four columns
    env = {"HEHU_HOME": str(home), "HEHU_MAX_COLUMNS": "3"}
    status, err, _ = run_capped(["import", str(path), "--db", url], env)
    assert status == 2 and "工作表用到第 D 列（4 列），超过上限 3 列" in err, err
    env["HEHU_MAX_COLUMNS"] = "not a number"  # a bad setting keeps the default
    status, err, _ = run_capped(["import", str(path), "--db", url], env)
    assert status == 0, err
