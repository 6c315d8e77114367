"""Helpers for the import tests (this module holds no tests): ID numbers, stores, workbooks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa

from hehu.records.gazetteer import load_gazetteer
from hehu.records.pseudonym import id_check_char
from hehu.records.schema import RECORD_TABLES
from hehu.records.store import open_store

# Places of the Lianshui gazetteer used in the tests.
HUAYUAN_GAOGOU = "320826101211"  # 花园村 of 高沟镇 (another 花园村 is in 东胡集镇)
HUAYUAN_DONGHUJI = "320826110204"
YINDANG_GAOGOU = "320826101231"  # 尹荡村 of 高沟镇 (another 尹荡村 is in 陈师街道)
GAOGOU = "320826101000"
DONGMEN = "320826001001"  # 东门社区 of 涟城街道
COUNTY = "320826000000"


def make_id(birth: str = "20120518", seq: str = "002", area: str = "320826") -> str:
    """A valid 18-character ID-card number (right check digit); seq's last digit odd = male."""
    first17 = area + birth + seq
    return first17 + id_check_char(first17)


def to_fullwidth(text: str) -> str:
    """ASCII digits, letters and punctuation as their full-width forms (as IMEs type them)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """A private Hehu home (pseudonymisation key, imports folder) for the test."""
    path = tmp_path / "home"
    monkeypatch.setenv("HEHU_HOME", str(path))
    return path


@pytest.fixture
def db_url(tmp_path) -> str:
    """The URL of a fresh SQLite store with the Lianshui gazetteer."""
    url = f"sqlite:///{tmp_path}/t.sqlite"
    store = open_store(url)
    load_gazetteer(store)
    store.engine.dispose()
    return url


@pytest.fixture
def store(db_url, home):
    """A fresh SQLite store with the gazetteer (and a private Hehu home)."""
    store = open_store(db_url)
    yield store
    store.engine.dispose()


def write_book(
    path: Path,
    sheets: dict[str, list[list]],
    merges: dict[str, list[str]] | None = None,
    text_columns: dict[str, list[int]] | None = None,
) -> Path:
    """Write a real .xlsx with openpyxl: sheets of rows, optional merged ranges and text cells."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
        for cells in sheet.iter_rows():
            for cell in cells:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"  # text someone typed, not a formula
        for cells in (merges or {}).get(name, []):
            sheet.merge_cells(cells)
        for col in (text_columns or {}).get(name, []):
            for cell in sheet.iter_rows(min_col=col, max_col=col):
                cell[0].number_format = "@"
    book.save(path)
    return path


def snapshot(store) -> dict[str, list[tuple]]:
    """Every record, audit entry and meta value, to compare a database before and after."""
    out = {}
    with store.engine.connect() as conn:
        for kind, table in RECORD_TABLES.items():
            out[kind] = sorted(map(tuple, conn.execute(sa.select(table))), key=repr)
        out["audit_log"] = conn.execute(sa.text("select count(*) from audit_log")).all()
        out["meta"] = sorted(map(tuple, conn.execute(sa.text("select key, value from meta"))))
    return out


def org_rows() -> list[list]:
    """An organisation sheet: the association that pairs with children and a town federation."""
    return [
        ["组织名称", "类型", "层级", "所在地"],
        ["帼彤之家维权协会", "协会", "县级", "涟水县"],
        ["高沟镇妇联", "妇联", "镇级", "高沟镇"],
    ]


D = dt.date
