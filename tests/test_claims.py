"""The figure check: claims on the hand-made county with known answers, the shipped claims on the
demo through `hehu check-claims`, and the claims page driven in Python."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from hehu_fixtures import V1, V3, C, K, T

from hehu.disclosure import HIDDEN_COMPLEMENT, HIDDEN_SMALL
from hehu.errors import HehuError
from hehu.figures.metrics import Period, load_records
from hehu.oversight.claims import (
    EXAMPLE_CLAIMS,
    canonical_column,
    check_claims_file,
    disclosed_behind,
    disclosed_result,
    parse_claim_period,
    parse_number,
    read_claims_table,
    records_behind,
)
from hehu.records.demo import SOURCE_FIGURES, YEARLY_COURSE_ATTENDANCE, YEARLY_COURSE_SESSIONS
from widgets.pages.claims import build_claims_page

REPO = Path(__file__).resolve().parents[1]
Y2022 = ("2022-01-01", "2022-12-31")

# (metric, place, start, end, value, tolerance) -> expected status, worked out by hand from
# hehu_fixtures.small_records():
#   cases 2022: c1 (甲镇/一村, resolved), c2 (丙社区, open); c3 is 2021 (二村)
#   courses 2022: k1 50 (一村), k2 30 (丙社区); k3 is 2021
#   visits 2022: h1 (一村) twice, h3 (二村); v3 (丙社区) is 2023
SMALL_CLAIMS = [
    # row 2..
    (("cases_received", "示例县", *Y2022, "2", "0"), "matched", 2),
    (("course_attendance", C, *Y2022, "85", "10"), "within_tolerance", 80),
    (("course_sessions", C, *Y2022, "5", "1"), "not_supported", 2),
    (("cases_received", "乙街道", "2021-01-01", "2021-12-31", "1", "0"), "no_records", None),
    (("resolution_rate", C, *Y2022, "50%", ""), "matched", 0.5),
    (("接访维权事项", "甲镇", "2022", "", "1起", ""), "matched", 1),
    (("course_attendance", C, "2022/1/1", "2022年12月31日", "84", "5%"), "within_tolerance", 80),
    (("foo_bar", C, *Y2022, "1", "0"), "invalid", None),
    (("cases_received", "不存在村", *Y2022, "1", "0"), "invalid", None),
    (("cases_received", C, "2022-13-01", "2022-12-31", "1", "0"), "invalid", None),
    (("legal_lectures", V3, *Y2022, "0", "0"), "no_records", None),
    (("towns", C, *Y2022, "1", "0"), "matched", 1),
    (("subdistricts", C, *Y2022, "1", "0"), "not_supported", 0),
    (("left_behind_children", C, *Y2022, "3", "0"), "matched", 3),
    (("cases_received", C, *Y2022, "abc", "0"), "invalid", None),
    (("cases_received", C, *Y2022, "95%", "0"), "invalid", None),
]


def small_claims_csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["document", "metric", "place", "period_start", "period_end", "value", "tolerance", "note"]
    )
    for n, (fields, _status, _computed) in enumerate(SMALL_CLAIMS):
        writer.writerow(["测试报告", *fields, f"第 {n + 2} 行原文"])
    writer.writerow([""] * 8)  # a blank spreadsheet row is not a claim
    return out.getvalue().encode("utf-8-sig")


def hehu_command() -> list[str]:
    script = Path(sys.executable).parent / "hehu"
    return [str(script)] if script.exists() else [sys.executable, "-m", "hehu.cli.main"]


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def small_records(small_store):
    return load_records(small_store)


@pytest.fixture
def small_results(small_records):
    return check_claims_file(small_records, small_claims_csv(), "claims.csv")


# --------------------------------------------------------------------------- statuses


def test_each_claim_of_the_small_county_gets_its_known_status(small_results):
    assert [r.row for r in small_results] == list(range(2, len(SMALL_CLAIMS) + 2))
    got = [(r.row, r.status, r.computed) for r in small_results]
    expected = [(n + 2, status, computed) for n, (_f, status, computed) in enumerate(SMALL_CLAIMS)]
    assert got == expected
    assert {r.status for r in small_results} == {
        "matched",
        "within_tolerance",
        "not_supported",
        "no_records",
        "invalid",
    }


def test_names_labels_and_report_style_numbers_are_understood(small_results):
    by_row = {r.row: r for r in small_results}
    assert by_row[2].place_code == C and by_row[2].place_name == "示例县"
    assert by_row[7].metric == "cases_received" and by_row[7].place_code == T
    assert (by_row[7].period_start, by_row[7].period_end) == Y2022  # "2022" alone: the year
    assert by_row[8].tolerance == pytest.approx(4.2)  # 5% of the claimed 84
    assert (by_row[8].period_start, by_row[8].period_end) == Y2022
    assert by_row[6].claimed == 0.5
    assert by_row[4].difference == -3


def test_bad_rows_are_reported_in_chinese_not_raised(small_results):
    errors = {r.row: r.error for r in small_results if r.status == "invalid"}
    assert "未知指标" in errors[9] and "foo_bar" in errors[9]
    assert "未知地点" in errors[10] and "不存在村" in errors[10]
    assert "日期格式不正确" in errors[11]
    assert "数值无法识别" in errors[16]
    assert "不是比率" in errors[17]
    assert all(r.computed is None and r.claim is None for r in small_results if r.error)


def test_an_ambiguous_or_unknown_code_is_a_row_error(small_records):
    table = read_claims_table(
        "metric,place,period,value\n"
        f"cases_received,{C[:-1]}9,2022,1\n"
        "cases_received,示例县,2021-01-01..2022-12-31,3\n".encode(),
        "x.csv",
    )
    results = check_claims_file(small_records, table.to_csv(index=False).encode(), "x.csv")
    assert results[0].status == "invalid" and "未知的地点代码" in results[0].error
    # a single 期间 cell holding both dates; all three cases of 2021-2022
    assert results[1].status == "matched" and results[1].document == "x"


def test_xlsx_with_chinese_headers_and_excel_cells(small_records, tmp_path):
    path = tmp_path / "报告数据.xlsx"
    pd.DataFrame(
        {
            "文件": ["县妇联 2022 年工作总结", "县妇联 2022 年工作总结"],
            "指标": ["课程受教育人次", "普法宣讲场次"],
            "地点代码": [int(C), "丙社区"],  # a code Excel stores as a number
            "起始日期": [dt.datetime(2022, 1, 1), dt.datetime(2021, 1, 1)],
            "截止日期": [dt.datetime(2022, 12, 31), dt.datetime(2021, 12, 31)],
            "报告数值": ["80人次", 1],
            "容差": [None, 0],
            "原文": ["受教育儿童80人次", "宣讲1场"],
            "备用": ["ignored", "ignored"],
        }
    ).to_excel(path, index=False)
    results = check_claims_file(small_records, path)
    assert [(r.status, r.computed) for r in results] == [("matched", 80), ("matched", 1)]
    assert results[0].document == "县妇联 2022 年工作总结" and results[1].place_code == K


def test_a_file_that_cannot_be_used_is_one_chinese_error(small_records, tmp_path):
    with pytest.raises(HehuError, match="缺少列"):
        read_claims_table(b"metric,value\ncases_received,1\n", "x.csv")
    with pytest.raises(HehuError, match="无法读取"):
        read_claims_table(b"not a spreadsheet", "x.xlsx")
    with pytest.raises(HehuError, match="不支持的文件类型"):
        read_claims_table(b"", "x.pdf")
    with pytest.raises(HehuError, match="找不到"):
        read_claims_table(tmp_path / "missing.csv")


def test_gbk_csv_from_excel_is_read():
    table = read_claims_table("指标,地点,期间,数值\n接访维权事项,示例县,2022,2\n".encode("gb18030"))
    assert table.loc[0, "metric"] == "接访维权事项" and table.loc[0, "row"] == 2


def test_small_parsers():
    assert parse_number("1.8万") == (18000, False)
    assert parse_number("18,000") == (18000, False)
    assert parse_number("95%") == (95, True)
    assert parse_number("90起") == (90, False)
    # one reader of numbers for claims and registers: 九十 reads as 90 in both
    assert parse_number("九十") == (90, False) and parse_number("80余名") == (80, False)
    with pytest.raises(ValueError):
        parse_number("约九十")
    assert parse_claim_period(period="2021") == Period.of("2021-01-01", "2021-12-31")
    assert parse_claim_period("2021", "2022") == Period.of("2021-01-01", "2022-12-31")
    assert parse_claim_period(period="2021-01-01 至 2022-11-10") == Period.of(
        "2021-01-01", "2022-11-10"
    )
    with pytest.raises(HehuError, match="不完整"):
        parse_claim_period("2021-01-01", "")
    with pytest.raises(HehuError):
        parse_claim_period("2022-12-01", "2022-01-01")
    assert canonical_column("指标 metric") == "metric"
    assert canonical_column("数值(value)") == "value"
    assert canonical_column("起始日期") == "period_start"


# --------------------------------------------------------------------------- records behind


def test_records_behind_a_claim_are_aggregated_and_add_up(small_results, small_records):
    cases = small_results[0]  # cases_received, county, 2022
    frame = records_behind(small_records, cases.claim)
    assert frame.to_dict("records") == [
        {"month": "2022-02", "org": "甲镇维权站", "cases": 1, "resolved": 1},
        {"month": "2022-11", "org": "调解室", "cases": 1, "resolved": 0},
    ]
    assert frame["cases"].sum() == cases.computed
    assert frame.attrs["people_columns"] == ["cases", "resolved"]
    courses = records_behind(small_records, small_results[1].claim, coarse=True)
    assert courses.to_dict("records") == [
        {"area": "乙街道", "sessions": 1, "attendance": 30},
        {"area": "甲镇", "sessions": 1, "attendance": 50},
    ]
    detail = records_behind(small_records, cases.claim, detail=True)
    assert sorted(detail["case_id"]) == ["c1", "c2"]  # the rows themselves: staff only


def test_a_deputy_sees_a_claims_figures_as_every_other_page_discloses_them(
    small_results, small_records
):
    cases = small_results[0]  # cases_received, county, 2022: 2 cases
    assert disclosed_result(small_records, cases, "staff") is cases
    shown = disclosed_result(small_records, cases, "deputy")
    # the figure is hidden, and so are the difference and the status that would tell it
    assert shown.computed == HIDDEN_SMALL and shown.difference is None
    assert shown.status == "not_disclosed"
    # behind it, place by place: the disclosed place figures, never the records' counts
    behind = disclosed_behind(small_records, cases.claim, "deputy")
    assert list(behind.columns) == ["area", "cases_received", "cases_resolved", "resolution_rate"]
    assert behind["area"].iloc[-1] == "合计"
    people = behind[["cases_received", "cases_resolved"]].to_numpy().ravel()
    assert all(v in (0, HIDDEN_SMALL, HIDDEN_COMPLEMENT) for v in people)
    # sessions and attendances are not people: their records behind stay as they are
    courses = disclosed_behind(small_records, small_results[1].claim, "deputy")
    assert courses.to_dict("records") == [
        {"area": "乙街道", "sessions": 1, "attendance": 30},
        {"area": "甲镇", "sessions": 1, "attendance": 50},
    ]


def test_a_claim_of_a_period_of_its_own_never_tells_a_deputy_whether_anything_happened(
    small_records,
):
    """A deputy typing one day (or any period no page offers) per claim must not learn which
    places had a record that day: "no records" beside "not disclosed" would give back, day by
    day, every count hidden as "<5" (the helper's audit recovered all 56 small ones of 2022)."""
    days = [
        ("2022-02-01", "2022-02-01"),
        ("2022-02-02", "2022-02-02"),
        ("2022-01-01", "2022-06-30"),
    ]
    rows = [["document", "metric", "place", "period_start", "period_end", "value", "tolerance"]]
    rows += [
        ["probe", "cases_received", place, a, b, "0", "0"] for a, b in days for place in (V1, V3)
    ]
    rows += [["probe", "resolution_rate", place, *days[0], "0", "0"] for place in (V1, V3)]
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    results = check_claims_file(small_records, out.getvalue().encode(), "probe.csv")
    # c1 was received in 一村 (V1) on 2022-02-01; nothing ever in V3: staff see the difference
    assert [r.status for r in results[:2]] == ["not_supported", "no_records"]
    for role in ("deputy", "presenter"):
        shown = [disclosed_result(small_records, r, role) for r in results]
        assert {(r.status, r.computed) for r in shown} == {
            ("period_not_offered", HIDDEN_COMPLEMENT)
        }, role
    # in a period the pages offer, "no records" is the 0 every page shows for that place
    year = check_claims_file(
        small_records,
        f"metric,place,period_start,period_end,value\ncases_received,{V3},{Y2022[0]},{Y2022[1]},0\n".encode(),
        "year.csv",
    )[0]
    assert disclosed_result(small_records, year, "deputy").status == "no_records"


# --------------------------------------------------------------------------- the shipped claims


def test_the_shipped_claims_hold_every_figure_of_the_report():
    table = read_claims_table(EXAMPLE_CLAIMS)
    pairs = {(r["metric"], parse_number(r["value"])[0]) for r in table.to_dict("records")}
    assert {(m, float(v)) for m, v in SOURCE_FIGURES.items()} <= pairs
    courses = table[table["metric"].isin(["course_sessions", "course_attendance"])]
    assert sorted(courses["period_start"]) == ["2021-01-01"] * 2 + ["2022-01-01"] * 2
    assert {parse_number(v)[0] for v in courses["value"]} == {
        YEARLY_COURSE_SESSIONS,
        YEARLY_COURSE_ATTENDANCE,
    }
    assert table["note"].ne("").all() and table["document"].nunique() == 1
    assert not re.search(r"[護數關與風險對級區]", EXAMPLE_CLAIMS.read_text("utf-8"))  # Simplified


def test_check_claims_cli_on_the_demo_matches_every_shipped_claim(demo_url):
    proc = subprocess.run(
        [*hehu_command(), "check-claims", str(EXAMPLE_CLAIMS), "--db", demo_url, "--json"],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout)
    assert len(results) == len(proc.stdout.strip().splitlines()) - 2  # one claim a line
    assert len(results) == len(SOURCE_FIGURES) + 4
    assert {r["status"] for r in results} == {"matched"}
    assert all(r["claimed"] == r["computed"] for r in results)
    assert set(results[0]) >= {"metric", "place", "period", "claimed", "computed", "status"}


def test_check_claims_cli_reports_bad_rows_and_bad_files(small_store, tmp_path):
    path = tmp_path / "claims.csv"
    path.write_bytes(small_claims_csv())
    proc = subprocess.run(
        [*hehu_command(), "check-claims", str(path), "--db", small_store.url, "--json"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1, proc.stderr  # some rows could not be read
    results = json.loads(proc.stdout)
    assert [r["status"] for r in results] == [s for _f, s, _c in SMALL_CLAIMS]
    assert "未知指标" in results[7]["error"]
    plain = subprocess.run(
        [*hehu_command(), "check-claims", str(path), "--db", small_store.url],
        capture_output=True,
        text=True,
    )
    assert "相符" in plain.stdout and "记录不支持" in plain.stdout and "合计" in plain.stdout
    missing = subprocess.run(
        [*hehu_command(), "check-claims", str(tmp_path / "none.csv"), "--db", small_store.url],
        capture_output=True,
        text=True,
    )
    assert missing.returncode == 2 and missing.stderr.startswith("错误：")
    assert "Traceback" not in missing.stderr


# --------------------------------------------------------------------------- the page


def test_claims_page_checks_the_example_on_the_demo(demo_url, monkeypatch):
    monkeypatch.setenv("HEHU_ROLE", "presenter")
    page = build_claims_page(demo_url, params={})
    view = page.view
    assert [r.status for r in view.results] == ["matched"] * (len(SOURCE_FIGURES) + 4)
    assert "相符" in text(view.summary.value) and 'data-status="matched"' in view.table.value
    assert "示例数据" in text(page.children[0].value)  # the demo banner
    # one click away: the cases behind "接访90起", town by town as every page discloses them
    behind = view.open_claim(2).value
    assert "高沟镇" in behind and "合计" in text(behind) and "90" in text(behind)
    assert "D-C-" not in behind  # no rows for a presenter


def test_claims_page_upload_drill_down_and_roles(small_store, monkeypatch):
    monkeypatch.setenv("HEHU_ROLE", "deputy")
    view = build_claims_page(small_store.url, params={}).view
    # the example names Lianshui places: in this county every row is an error, not a crash
    assert {r.status for r in view.results} == {"invalid"}
    content = small_claims_csv()
    view.upload.value = (
        {
            "name": "claims.csv",
            "type": "text/csv",
            "size": len(content),
            "content": memoryview(content),
            "last_modified": dt.datetime.now(),
        },
    )
    # a computed count of people that is hidden cannot be matched or not: its status says so
    hidden = {0, 4, 5, 13}  # cases 2, their resolution rate, cases 1, children 3
    assert [r.status for r in view.results] == [
        "not_disclosed" if n in hidden else s for n, (_f, s, _c) in enumerate(SMALL_CLAIMS)
    ]
    table = text(view.table.value)
    for word in ("不向本角色公开", "记录不支持", "无相关记录", "文件有误", "未知指标"):
        assert word in table
    # computed cases for the county (2) are a count of people: '<5' for a deputy
    first_row = re.search(r'<tr data-row="2".*?</tr>', view.table.value).group(0)
    assert "&lt;5" in first_row and "+0" not in first_row
    behind = view.open_claim(2).value
    assert "&lt;5" in behind and "c1" not in behind
    assert view.drilldown.selected_index == 0

    monkeypatch.setenv("HEHU_ROLE", "staff")
    staff_view = build_claims_page(small_store.url, params={}).view
    staff_view.check(content, "claims.csv")
    staff_behind = staff_view.open_claim(2).value
    assert "2022-02" in staff_behind and "甲镇维权站" in staff_behind
    assert "c1" in staff_behind  # pseudonymous rows for staff


def test_claims_page_shows_file_errors_in_the_page(small_store, monkeypatch):
    monkeypatch.setenv("HEHU_ROLE", "staff")
    view = build_claims_page(small_store.url, params={"lang": "en"}).view
    view.check(b"metric,value\n", "broken.csv")
    assert 'data-hehu="error"' in view.message.value and "lacks columns" in view.message.value
    view.example_button.click()
    assert "lianshui_2022_report.csv" in view.message.value
