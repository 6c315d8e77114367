"""The import page, built and driven without a browser: upload, dry run, import, report, roles."""

from __future__ import annotations

import datetime as dt
import re

import ipywidgets as w
import pytest
from test_import_support import make_id, snapshot, write_book

from hehu.records.store import open_store
from widgets.pages.imports import build_import_page

pytest_plugins = ["test_import_support"]  # fixtures: home, db_url, store


def walk(widget):
    """Every widget in a page."""
    yield widget
    for child in getattr(widget, "children", ()):
        yield from walk(child)


def find(page, cls, description=None):
    """The first widget of a class (and description) in a page."""
    for widget in walk(page):
        if isinstance(widget, cls) and (description is None or widget.description == description):
            return widget
    raise LookupError(f"{cls.__name__} {description or ''}")


def page_text(page) -> str:
    """All HTML of a page."""
    return "".join(x.value for x in walk(page) if isinstance(x, w.HTML))


def upload(page, path):
    """Set the FileUpload as the browser would after a file was chosen."""
    data = path.read_bytes()
    find(page, w.FileUpload).value = (
        {
            "name": path.name,
            "type": "",
            "size": len(data),
            "content": memoryview(data),
            "last_modified": dt.datetime.now(dt.UTC),
        },
    )


@pytest.fixture
def staff_env(db_url, home, monkeypatch):
    monkeypatch.setenv("HEHU_DB", db_url)
    monkeypatch.setenv("HEHU_ROLE", "staff")
    monkeypatch.setenv("QUERY_STRING", "")
    return db_url


def register(path):
    rows = [["留守儿童名册"], ["姓名", "身份证号", "村居", "类别"]]
    rows.append(["张小花", make_id("20120518", "002"), "高沟镇花园村", "留守儿童"])
    rows.append(["王小明", make_id("20110101", "013"), "花园村", "留守儿童"])  # ambiguous
    return write_book(path, {"名册": rows}, text_columns={"名册": [2]})


def test_dry_run_then_import_from_the_page(staff_env, tmp_path, home):
    page = build_import_page()
    dry, go = find(page, w.Button, "试导入（不写入）"), find(page, w.Button, "导入")
    assert dry.disabled and go.disabled  # nothing chosen yet
    assert find(page, w.FileUpload).accept == ".xlsx,.xls,.csv"
    store = open_store(staff_env)
    before = snapshot(store)

    upload(page, register(tmp_path / "名册.xlsx"))
    assert not dry.disabled and "已选择：名册.xlsx" in page_text(page)
    dry.click()
    text = page_text(page)
    assert "试导入完成" in text and 'data-figure="rejected"' in text
    assert "多处同名" in text and "<td class='num'>4</td>" in text  # row 4 as Excel numbers it
    assert "data:application/vnd.openxmlformats" in text  # report and quarantine downloads
    assert find(page, w.FloatProgress).value == 1.0
    assert snapshot(store) == before

    find(page, w.Dropdown).value = "person"
    go.click()
    assert "导入完成，全部有效记录已一次写入" in page_text(page)
    assert store.count("person") == 1
    # one person's laptop (hehu serve --role staff): the actor is the role (disclosure.current_actor)
    assert store.read("audit_log").iloc[-1]["actor"] == "staff"
    # the file as the user knows it, not the copy the server keeps under a timestamped name
    assert '"file": "名册.xlsx"' in store.read("audit_log").iloc[-1]["what"]


def test_a_csv_upload_is_named_as_its_user_knows_it(staff_env):
    """The server keeps an upload under a timestamped name: its sheet and messages are not."""
    from widgets.pages.imports import ImportSession

    session = ImportSession(open_store(staff_env), actor="staff")
    session.set_file(
        "花名册.csv", "姓名,身份证号,村居,类别\n张小花,123,高沟镇花园村,留守儿童\n".encode()
    )
    report = session.run(dry_run=True)
    assert report.source == "花名册.csv"
    assert [(e.sheet, e.column) for e in report.errors] == [("花名册", "身份证号")]
    session.set_file("宽表.csv", ",".join(["姓名"] * 600).encode())
    assert session.run(dry_run=True) is None
    assert session.error.startswith("文件 宽表.csv 已拒绝：工作表用到第 WB 列（600 列）"), (
        session.error
    )


def test_a_bad_file_shows_an_error_not_a_traceback(staff_env, tmp_path):
    page = build_import_page()
    bad = tmp_path / "x.xlsx"
    bad.write_bytes(b"not a workbook")
    upload(page, bad)
    find(page, w.Button, "试导入（不写入）").click()
    # refused on its bytes before any reader sees it: not a zip, so not an .xlsx
    assert 'data-hehu="error"' in page_text(page) and "文件内容与扩展名 .xlsx 不符" in page_text(
        page
    )
    assert find(page, w.FloatProgress).bar_style == "danger"


def test_a_corrupt_workbook_shows_an_error_not_a_traceback(staff_env, tmp_path):
    page = build_import_page()
    bad = tmp_path / "x.xlsx"
    bad.write_bytes(b"PK\x03\x04 a broken zip")
    upload(page, bad)
    find(page, w.Button, "试导入（不写入）").click()
    assert 'data-hehu="error"' in page_text(page) and "无法读取文件" in page_text(page)


def test_deputies_do_not_get_the_import_page(staff_env, monkeypatch):
    monkeypatch.setenv("HEHU_ROLE", "deputy")
    page = build_import_page()
    assert "仅供妇联工作人员" in page_text(page)
    with pytest.raises(LookupError):
        find(page, w.FileUpload)


def test_english(staff_env, monkeypatch):
    monkeypatch.setenv("QUERY_STRING", "lang=en")
    page = build_import_page()
    assert find(page, w.Button, "Dry run (writes nothing)")
    assert find(page, w.Dropdown).options[0][0] == "detect from the headers"


@pytest.mark.browser
def test_upload_and_dry_run_in_voila(voila_server, page, db_url, home, tmp_path, artifacts_dir):
    path = register(tmp_path / "名册.xlsx")
    url = voila_server({"HEHU_DB": db_url, "HEHU_ROLE": "staff", "HEHU_HOME": str(home)})
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_viewport_size({"width": 1280, "height": 1400})
    page.goto(f"{url}/voila/render/import.ipynb", timeout=90_000)
    page.wait_for_selector("text=导入登记表", timeout=90_000)
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="选择文件").click()
    chooser.value.set_files(str(path))
    page.wait_for_selector("text=已选择：名册.xlsx", timeout=30_000)
    page.get_by_role("button", name="试导入（不写入）").click()
    page.wait_for_selector("text=试导入完成", timeout=60_000)
    assert page.locator("[data-hehu=import-errors] td", has_text="多处同名").count() == 1
    assert page.locator("[data-hehu=import-files] a[download]").count() == 2
    page.screenshot(path=str(artifacts_dir / "import_dry_run.png"))
    assert open_store(db_url).count("person") == 0
    # by text: the accessible name also holds the icon's CSS glyph
    page.locator("button", has_text=re.compile(r"^导入$")).click()
    page.wait_for_selector("text=导入完成，全部有效记录已一次写入", timeout=60_000)
    assert open_store(db_url).count("person") == 1
    # a file over the limits of a sheet: refused in one line, in the page's words
    wide = tmp_path / "宽表.csv"
    wide.write_text("姓名," + ",".join(f"列{i}" for i in range(600)) + "\n", encoding="utf-8")
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="选择文件").click()
    chooser.value.set_files(str(wide))
    page.wait_for_selector("text=已选择：宽表.csv", timeout=30_000)
    page.get_by_role("button", name="试导入（不写入）").click()
    refused = page.locator(
        "[data-hehu=error]", has_text="文件 宽表.csv 已拒绝：工作表用到第 WC 列（601 列）"
    )
    refused.wait_for(timeout=60_000)
    page.screenshot(path=str(artifacts_dir / "import_refused.png"))
    assert open_store(db_url).count("person") == 1
    assert not errors, url.log_tail()
