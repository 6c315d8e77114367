"""Uploads: a size limit, the type checked by content, and no path from a file name used to write."""

from __future__ import annotations

import io

import openpyxl
import pytest

from hehu.errors import HehuError
from hehu.importing import workbook


def xlsx_bytes() -> bytes:
    book = openpyxl.Workbook()
    book.active.append(["村居", "日期"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("HEHU_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_an_oversized_upload_is_refused(monkeypatch):
    monkeypatch.setattr(workbook, "MAX_UPLOAD_BYTES", 1000)
    with pytest.raises(HehuError, match="文件过大"):
        workbook.save_upload("big.csv", b"a,b\n" * 1000)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("register.xlsx", b"MZ\x90\x00 a renamed program"),
        ("register.xls", xlsx_bytes()),  # an xlsx named .xls
        ("register.csv", xlsx_bytes()),  # a zip named .csv
        ("register.csv", b"\x7fELF\x00\x00binary"),
    ],
)
def test_a_mislabelled_upload_is_refused(name, content):
    with pytest.raises(HehuError, match="文件内容与扩展名"):
        workbook.save_upload(name, content)


def test_a_real_workbook_is_accepted_and_saved_under_a_harmless_name(home):
    path = workbook.save_upload("../../etc/村居 登记表.xlsx", xlsx_bytes())
    assert path.parent == home / "imports"
    assert ".." not in path.name and "/" not in path.name and path.suffix == ".xlsx"
    assert (path.stat().st_mode & 0o777) == 0o600


def test_gbk_csv_is_text():
    assert (
        workbook.check_upload("登记.csv", "村居,日期\n高沟镇,2022/5/18\n".encode("gbk")) == ".csv"
    )
