"""The audit log: imports, exports and briefings are recorded; staff read them; deputies cannot."""

from __future__ import annotations

import subprocess
import sys

from hehu.records.store import open_store
from widgets.pages.audit import build_audit_page


def test_an_import_writes_an_audit_row_and_staff_read_it(demo_db_copy, tmp_path, monkeypatch):
    csv = tmp_path / "courses.csv"
    csv.write_text(
        "课程编号,日期,地点,组织编号,主题,人次,女生\nK-A1,2022年5月18日,高沟镇,fed_county,自护,40,20\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("HEHU_HOME", str(tmp_path / "home"))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "hehu.cli.main",
            "import",
            str(csv),
            "--kind",
            "course",
            "--db",
            demo_db_copy,
            "--actor",
            "王老师",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    log = open_store(demo_db_copy, create=False).read("audit_log")
    imports = log[(log["action"] == "import") & (log["actor"] == "王老师")]
    assert len(imports) == 1 and "courses.csv" in imports.iloc[0]["what"]

    monkeypatch.setenv("HEHU_ROLE", "staff")
    page = build_audit_page(demo_db_copy, params={})
    assert "王老师" in page.view.table.value
    page.state.action = "export"
    assert "王老师" not in page.view.table.value
    # nothing on the page can change an entry: its only control is the filter
    assert [type(c).__name__ for c in page.view.children[0].children] == ["Dropdown"]


def test_deputies_cannot_read_the_audit_log(demo_url, monkeypatch):
    monkeypatch.setenv("HEHU_ROLE", "deputy")
    page = build_audit_page(demo_url, params={})
    assert "仅供妇联工作人员和管理员查看" in page.children[1].value
    assert not hasattr(page, "view")
