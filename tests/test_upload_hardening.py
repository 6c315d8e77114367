"""Uploads: a size limit, the type checked by content, and no path from a file name used to write."""

from __future__ import annotations

import io

import openpyxl
import pytest

from hehu.errors import HehuError
from hehu.importing import upload
from hehu.importing.workbook import name_said


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
    monkeypatch.setattr(upload, "MAX_UPLOAD_BYTES", 1000)
    with pytest.raises(HehuError, match="文件过大"):
        upload.save_upload("big.csv", b"a,b\n" * 1000)


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
        upload.save_upload(name, content)


def test_a_real_workbook_is_accepted_and_saved_under_a_harmless_name(home):
    path = upload.save_upload("../../etc/村居 登记表.xlsx", xlsx_bytes())
    assert path.parent == home / "imports"
    assert ".." not in path.name and "/" not in path.name and path.suffix == ".xlsx"
    assert (path.stat().st_mode & 0o777) == 0o600


def test_gbk_csv_is_text():
    assert upload.check_upload("登记.csv", "村居,日期\n高沟镇,2022/5/18\n".encode("gbk")) == ".csv"


@pytest.mark.parametrize(
    "name", ["组织 张三 139 12345678.xlsx", "张三(139)12345678.xlsx", "张三139——12345678.xlsx"]
)
def test_an_upload_named_with_a_number_is_kept_without_it(name):
    """The kept name is cleaned of spaces, brackets and dashes: cleaned first, 139_12345678 no
    longer read as a number, and the upload, its report and its quarantine file kept it (a
    review, 2026-12-04)."""
    path = upload.save_upload(name, xlsx_bytes())
    assert "12345678" not in path.name and "张三" in path.name


def test_a_sheet_name_loses_its_control_characters_before_its_number():
    assert name_said("课程139\x7f1234\x7f5678") == "课程…"
