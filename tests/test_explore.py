"""The notebook API (hehu.explore, widgets.explore): exact figures on the demo, refusals in
Chinese, exports escaped and audited, pages and maps built for a notebook."""

from __future__ import annotations

import json

import ipywidgets as w
import pytest
from openpyxl import load_workbook

from hehu.errors import HehuError, UnknownPlace
from hehu.explore import TRACKING_TABLES, open_workbench, period_of
from hehu.figures.metrics import Period, place_metrics
from hehu.i18n import audit_text
from hehu.records.store import open_store
from widgets import explore as hx

GAOGOU = "320826101000"


@pytest.fixture
def staff(monkeypatch):
    monkeypatch.setenv("HEHU_ROLE", "staff")


@pytest.fixture
def wb(staff, demo_url):
    return open_workbench(demo_url)


@pytest.mark.parametrize("role", ["deputy", "presenter"])
def test_aggregate_only_roles_are_refused_the_notebook_interface(role, monkeypatch, demo_url):
    monkeypatch.setenv("HEHU_ROLE", role)
    with pytest.raises(HehuError) as refused:
        open_workbench(demo_url)
    assert refused.value.zh == f"笔记本数据接口仅供妇联工作人员和管理员使用（本服务的角色：{role}）"


def test_an_unset_role_is_a_deputy_and_refused(monkeypatch, demo_url):
    monkeypatch.delenv("HEHU_ROLE", raising=False)
    with pytest.raises(HehuError, match="仅供妇联工作人员"):
        open_workbench(demo_url)


def test_a_missing_database_file_is_not_created(staff, tmp_path):
    with pytest.raises(HehuError, match="文件不存在"):
        open_workbench(str(tmp_path / "none.sqlite"))
    assert not (tmp_path / "none.sqlite").exists()


def test_a_place_by_code_name_or_pinyin(wb):
    assert wb.place(GAOGOU) == GAOGOU
    assert wb.place("高沟镇") == GAOGOU
    assert wb.place("gg") == GAOGOU
    assert wb.place(" gaogou ") == GAOGOU


def test_an_ambiguous_or_unknown_place_says_which(wb):
    with pytest.raises(HehuError) as ambiguous:
        wb.place("ls")
    assert (
        ambiguous.value.zh
        == "“ls”对应多个地点：涟水县（320826000000）、陆舍村（320826102211），请写全称或代码"
    )
    with pytest.raises(UnknownPlace):
        wb.place("不存在的镇")


def test_no_period_is_all_time_as_on_the_command_line(wb, demo_url, capsys):
    from hehu.cli.main import main

    assert main(["metrics", "--db", demo_url, "--json"]) == 0
    command_line = json.loads(capsys.readouterr().out)
    assert wb.metrics() == command_line
    assert command_line["course_sessions"] == 400  # 200 in each of 2021 and 2022
    assert len(wb.records("course")) == len(wb.records("course", period="all")) == 400


def test_odd_arguments_are_one_chinese_line(wb, tmp_path):
    with pytest.raises(HehuError, match="没有这个级别：towns"):
        wb.metrics_table(level="towns")
    with pytest.raises(HehuError, match="无法写入"):
        wb.to_excel(wb.records("org"), tmp_path / "no" / "such" / "组织.xlsx", what="组织")
    with pytest.raises(HehuError, match="DataFrame"):
        wb.to_excel([1, 2], tmp_path / "x.xlsx", what="x")
    updates = wb.records("recommendation_update", place="高沟镇")  # through its recommendation
    assert "place_code" in updates


def test_periods_as_the_pages_write_them():
    assert period_of("2022") == Period.year(2022)
    assert period_of("2022-03-01:2022-05-31") == Period.of("2022-03-01", "2022-05-31")
    assert period_of("all") == Period()
    with pytest.raises(HehuError) as bad:
        period_of("去年")
    assert bad.value.zh == "期间格式不正确：去年（应为 2022、2022-03-01:2022-05-31 或 all）"


def test_metrics_are_the_command_lines(wb, demo_records):
    assert wb.metrics(place="高沟镇", period="2022") == place_metrics(
        demo_records, GAOGOU, Period.year(2022)
    )
    assert wb.metrics(period="2022")["course_sessions"] == 200  # the source's figure
    assert wb.metrics(period="2022")["course_attendance"] == 18000


def test_records_of_a_place_and_period(wb):
    courses = wb.records("course", place="高沟镇", period="2022")
    assert len(courses) == wb.metrics(place="高沟镇", period="2022")["course_sessions"]
    assert courses["date"].dt.year.eq(2022).all()
    under = set(wb.places(under="高沟镇")["code"])
    assert set(courses["place_code"]) <= under
    # records of a household or person carry its place
    visits = wb.records("visit", place="高沟镇", period="2022")
    assert set(visits["place_code"]) <= under
    assert (
        visits["household_id"].nunique()
        == wb.metrics(place="高沟镇", period="2022")["households_visited"]
    )
    contacts = wb.records("contact", place="高沟镇")
    assert len(contacts) and set(contacts["place_code"]) <= under


def test_records_overlapping_a_period(wb):
    spring = wb.records("pairing", period="2022-03-01:2022-05-31")
    starts, ends = spring["start_date"], spring["end_date"]
    assert (starts <= "2022-05-31").all()
    assert (ends.isna() | (ends >= "2022-03-01")).all()
    assert 0 < len(spring) < len(wb.records("pairing"))


def test_records_with_chinese_labels(wb):
    cases = wb.records("case", period="2022", labels="zh")
    assert list(cases.columns[:3]) == ["事项编号", "受理日期", "受理单位"]
    keys = wb.records("case", period="2022")
    assert set(keys["status"]) == {"open", "resolved", "referred"}
    assert set(cases["状态"]) == {"办理中", "已化解", "已转介"}
    english = wb.records("case", period="2022", labels="en")
    assert english["status"].tolist() == keys["status"].tolist()  # the keys are the English labels
    assert english["category"].tolist() != keys["category"].tolist()
    households = wb.records("household", labels="zh")
    assert households["类别"].str.contains("、|留守|困", regex=True).any()


def test_an_unknown_kind_or_table_is_named(wb):
    with pytest.raises(HehuError, match="没有这类记录：people"):
        wb.records("people")
    with pytest.raises(HehuError, match="没有这张跟踪表：orphans"):
        wb.tracking("orphans")


@pytest.mark.parametrize("table", TRACKING_TABLES)
def test_every_tracking_table_answers(wb, table):
    frame = wb.tracking(table, place="高沟镇", period="2022")
    assert frame is not None and len(frame.columns)


def test_the_must_visit_table_gives_the_coverage_metric(wb):
    must = wb.tracking("must_visit", period="2022")
    figures = wb.metrics(period="2022")
    assert len(must) == figures["households_must_visit"]
    assert round(float(must["visited"].mean()), 4) == figures["must_visit_coverage"]


def test_metrics_table_sums_to_the_county(wb):
    towns = wb.metrics_table(period="2022", level="town")
    subdistricts = wb.metrics_table(period="2022", level="subdistrict")
    assert len(towns) == 12 and len(subdistricts) == 4
    county = wb.metrics(period="2022")
    assert (
        int(towns["cases_received"].sum() + subdistricts["cases_received"].sum())
        == county["cases_received"]
    )
    labelled = wb.metrics_table(period="2022", level="town", labels="zh")
    assert list(labelled.columns[:3]) == ["区划代码", "名称", "级别"]
    assert set(labelled["级别"]) == {"镇"}
    assert labelled["接访维权事项"].tolist() == towns["cases_received"].tolist()


def test_an_export_is_escaped_and_audited(staff, demo_db_copy, tmp_path):
    wb = open_workbench(demo_db_copy)
    version = wb.store.data_version()
    frame = wb.records("course", period="2022").head(3).assign(topic=["=1+1", "@SUM(A1)", "正常"])
    path = wb.to_excel(frame, tmp_path / "课程.xlsx", what="春季课程")
    sheet = load_workbook(path).active
    cells = {c.value: c for row in sheet.iter_rows() for c in row}
    for formula in ("=1+1", "@SUM(A1)"):  # text with the quote prefix, never a formula
        assert (cells[formula].data_type, cells[formula].quotePrefix) == ("s", True)
    assert all(c.data_type != "f" for c in cells.values())
    entries = open_store(demo_db_copy).read("audit_log")
    last = entries.iloc[-1]
    assert (last["action"], last["actor"]) == ("export", "staff")
    assert audit_text(last["what"]) == "导出“春季课程 → 课程.xlsx”（3 行）"
    assert wb.store.data_version() == version  # an export changes no record
    with pytest.raises(HehuError, match=r"\.xlsx"):
        wb.to_excel(frame, tmp_path / "课程.csv", what="x")


def test_a_map_of_any_metric(wb):
    fmap = hx.figure_map(wb, "cases_received", period="2022")
    html = fmap.get_root().render()
    assert "高沟镇" in html and "leaflet" in html.lower()
    with pytest.raises(HehuError, match="没有这个指标"):
        hx.figure_map(wb, "happiness")


def _texts(widget) -> str:
    own = [widget.value] if isinstance(widget, w.HTML) else []
    return " ".join(own + [_texts(c) for c in getattr(widget, "children", ())])


@pytest.mark.parametrize("name", hx.PAGES)
def test_every_page_builds_for_a_notebook(wb, name):
    page = hx.page(wb, name, place="高沟镇", period="2022")
    assert isinstance(page, w.VBox)
    text = _texts(page)
    assert 'data-hehu="error"' not in text
    assert "hehu-title" in text


def test_a_page_in_a_notebook_has_the_servers_role(monkeypatch, demo_url):
    monkeypatch.setenv("HEHU_ROLE", "staff")
    wb = open_workbench(demo_url)
    assert "妇联工作人员" in _texts(hx.page(wb, "briefing", place="高沟镇"))
    with pytest.raises(HehuError, match="没有这个页面"):
        hx.page(wb, "secrets")


def test_the_readmes_ten_lines_run(monkeypatch, demo_db_copy, tmp_path):
    """The API as the README shows it, run as written on a copy of the demo."""
    import re
    from pathlib import Path

    import pandas as pd

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Exploring the records", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)[1]
    assert len(code.strip().splitlines()) == 10
    monkeypatch.setenv("HEHU_ROLE", "staff")
    monkeypatch.setenv("HEHU_DB", demo_db_copy)
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {"frame": pd.DataFrame({"课程": ["=1+1"]})})  # noqa: S102
    assert (tmp_path / "结果.xlsx").exists()
