"""Protection measures of police, procuratorate and court, and referrals between bodies ("1+N"):
their import templates and row errors, their metrics on the hand-made county (counted by hand
below), their disclosure to deputies, the cases page, the briefing and the law checklist."""

from __future__ import annotations

import datetime as dt
import io
import re

import docx
import ipywidgets as w
import openpyxl
import pytest
from hehu_fixtures import V1, V2, V3, C, K, S, T
from test_import_support import snapshot, write_book

from hehu.cli.main import main
from hehu.disclosure import HIDDEN_SMALL, is_hidden
from hehu.figures.cache import period_choice_key
from hehu.figures.metrics import (
    PROTECTION_METRICS,
    Period,
    load_records,
    metrics_by_place,
    place_metrics,
)
from hehu.figures.places import disclosed_place_figures
from hehu.figures.tracking import measures_by_agency, referrals_between
from hehu.i18n import metric_label
from hehu.importing import import_file
from hehu.importing.templates import template_file_name, write_template
from hehu.oversight.briefing import build_briefing
from hehu.oversight.law_check import evaluate_checklist, load_checklist
from hehu.records import vocab
from hehu.records.gazetteer import load_gazetteer
from hehu.render.html import briefing_html
from hehu.render.word import briefing_docx
from widgets.pages.cases import build_cases_page

pytest_plugins = ["test_import_support"]  # fixtures: home, db_url, store

D = dt.date
YEAR = Period.year(2022)
MEASURE_METRICS = list(PROTECTION_METRICS)  # the five measures and cases referred


# ----------------------------------------------------------------------------- the records

# Added to the hand-made county of hehu_fixtures.py (C ── T ── V1, V2, V3; C ── S ── K). Its
# cases: c1 at V1 (received 2022-02-01, station st_t), c2 at K (2022-11-01, studio), c3 at V2
# (2021-05-01, studio).
ORGS = [
    {"org_id": "police", "name": "县公安局", "kind": "agency", "level": "county", "place_code": C},
    {"org_id": "court", "name": "县人民法院", "kind": "agency", "level": "county", "place_code": C},
]


def _measure(mid, day, place, org, measure, outcome, decided=None):
    return {
        "measure_id": mid,
        "date": day,
        "place_code": place,
        "org_id": org,
        "measure": measure,
        "outcome": outcome,
        "outcome_date": decided,
    }


MEASURES = [
    _measure("m1", D(2022, 3, 1), V1, "police", "dv_warning", "issued"),
    _measure("m2", D(2022, 6, 1), K, "police", "dv_warning", "issued"),
    _measure("m3", D(2021, 6, 1), V1, "police", "dv_warning", "issued"),  # outside 2022
    _measure("m4", D(2022, 4, 1), V2, "court", "protection_order", "issued", D(2022, 4, 2)),
    _measure("m5", D(2022, 5, 1), V1, "court", "protection_order", "refused", D(2022, 5, 3)),
    # applied for in 2022, issued in 2023: applied in 2022, still pending on 2022-12-31
    _measure("m6", D(2022, 12, 30), K, "court", "protection_order", "issued", D(2023, 1, 2)),
    _measure("m7", D(2022, 2, 1), V3, "police", "mandatory_report", "handled", D(2022, 2, 10)),
    _measure("m8", D(2022, 9, 1), V1, "police", "mandatory_report", "pending"),
]
REFERRALS = [
    # c1 went to the police and the court ("1+N"): one case referred
    {"referral_id": "f1", "case_id": "c1", "date": D(2022, 2, 5), "from_org_id": "st_t",
     "to_org_id": "police"},
    {"referral_id": "f2", "case_id": "c1", "date": D(2022, 2, 6), "from_org_id": "st_t",
     "to_org_id": "court"},
    {"referral_id": "f3", "case_id": "c2", "date": D(2022, 11, 2), "from_org_id": "studio",
     "to_org_id": "police"},
    {"referral_id": "f4", "case_id": "c3", "date": D(2021, 5, 9), "from_org_id": "studio",
     "to_org_id": "court"},  # outside 2022
]  # fmt: skip

# Worked out by hand from the lists above.
COUNTY_2022 = {
    "dv_warnings_issued": 2,  # m1, m2
    "protection_orders_applied": 3,  # m4, m5, m6
    "protection_orders_issued": 1,  # m4 (m6 is issued only in 2023)
    "mandatory_reports_received": 2,  # m7, m8
    "mandatory_reports_handled": 1,  # m7
    "cases_referred": 2,  # c1 (twice), c2
}
TOWN_2022 = {  # T: V1, V2, V3
    "dv_warnings_issued": 1,
    "protection_orders_applied": 2,
    "protection_orders_issued": 1,
    "mandatory_reports_received": 2,
    "mandatory_reports_handled": 1,
    "cases_referred": 1,
}
SUBDISTRICT_2022 = {  # S: K
    "dv_warnings_issued": 1,
    "protection_orders_applied": 1,
    "protection_orders_issued": 0,
    "mandatory_reports_received": 0,
    "mandatory_reports_handled": 0,
    "cases_referred": 1,
}


@pytest.fixture
def county(small_store):
    small_store.write({"org": ORGS, "protection_measure": MEASURES, "referral": REFERRALS})
    return small_store


@pytest.fixture
def records(county):
    return load_records(county)


def _pick(figures: dict) -> dict:
    return {m: figures[m] for m in MEASURE_METRICS}


# ----------------------------------------------------------------------------- metrics


def test_every_new_metric_counts_people_and_has_labels_in_both_languages():
    for metric in MEASURE_METRICS:
        zh, en, kind = vocab.METRICS[metric]
        assert kind == "count"  # small ones are hidden from deputies
        assert metric_label(metric, "zh") == zh and metric_label(metric, "en") == en
        assert not re.search(r"[\u4e00-\u9fff]", en)
    for table in (vocab.MEASURES, vocab.MEASURE_OUTCOMES):
        assert all(zh and en and not re.search(r"[\u4e00-\u9fff]", en) for zh, en in table.values())


def test_metrics_by_place_and_period(records):
    assert _pick(place_metrics(records, C, YEAR)) == COUNTY_2022
    assert _pick(place_metrics(records, T, YEAR)) == TOWN_2022
    assert _pick(place_metrics(records, S, YEAR)) == SUBDISTRICT_2022
    frame = metrics_by_place(records, YEAR)
    assert frame.at[V1, "dv_warnings_issued"] == 1 and frame.at[V1, "cases_referred"] == 1
    assert frame.at[V2, "protection_orders_issued"] == 1
    # 2021: m3 and the referral of c3
    assert _pick(place_metrics(records, C, Period.year(2021))) == {
        **dict.fromkeys(MEASURE_METRICS, 0),
        "dv_warnings_issued": 1,
        "cases_referred": 1,
    }
    # all time, judged today: m6 has been issued since
    assert _pick(place_metrics(records, C, Period())) == {
        "dv_warnings_issued": 3,
        "protection_orders_applied": 3,
        "protection_orders_issued": 2,
        "mandatory_reports_received": 2,
        "mandatory_reports_handled": 1,
        "cases_referred": 3,
    }


def test_breakdowns_by_agency_and_route(records):
    by_agency = measures_by_agency(records, YEAR, C)
    rows = {(r["agency"], r["measure"]): r for r in by_agency.to_dict("records")}
    assert rows[("县公安局", "dv_warning")]["issued"] == 2
    court = rows[("县人民法院", "protection_order")]
    assert (court["pending"], court["issued"], court["refused"], court["total"]) == (1, 1, 1, 3)
    police = rows[("县公安局", "mandatory_report")]
    assert (police["pending"], police["handled"], police["total"]) == (1, 1, 2)
    routes = referrals_between(records, YEAR, C)
    assert routes.to_dict("records") == [
        {"from_org": "甲镇维权站", "to_org": "县人民法院", "referrals": 1},
        {"from_org": "甲镇维权站", "to_org": "县公安局", "referrals": 1},
        {"from_org": "调解室", "to_org": "县公安局", "referrals": 1},
    ]


# ----------------------------------------------------------------------------- disclosure


def test_a_deputy_sees_the_small_counts_hidden_and_staff_see_them(records):
    key = period_choice_key(YEAR)
    staff = disclosed_place_figures(records, key, "staff").loc[C]
    deputy = disclosed_place_figures(records, key, "deputy").loc[C]
    presenter = disclosed_place_figures(records, key, "presenter").loc[C]
    assert {m: staff[m] for m in MEASURE_METRICS} == COUNTY_2022
    for metric in MEASURE_METRICS:
        assert deputy[metric] == HIDDEN_SMALL, metric  # every one is 1 to 4 here
        assert presenter[metric] == HIDDEN_SMALL, metric


# ----------------------------------------------------------------------------- the checklist


def test_the_checklist_evidence_is_the_metrics(records):
    duties = {d.id: d for d in load_checklist().duties}
    assert list(duties["adv-police-warning"].metrics) == ["dv_warnings_issued"]
    for duty_id in ("wrp-harassment-protection-order", "adv-protection-order"):
        assert set(duties[duty_id].metrics) == {
            "protection_orders_applied",
            "protection_orders_issued",
        }
    for duty_id in ("adv-mandatory-report", "mpl-mandatory-report"):
        assert set(duties[duty_id].metrics) == {
            "mandatory_reports_received",
            "mandatory_reports_handled",
        }
    assert "cases_referred" in duties["adv-complaints"].metrics

    check = evaluate_checklist(records, C, YEAR, "staff")
    exact = place_metrics(records, C, YEAR)
    evidence = {}
    for d in check.duties:
        assert d.evidence == {m: exact[m] for m in d.duty.metrics}, d.duty.id
        evidence.update(d.evidence)
    assert {m: evidence[m] for m in MEASURE_METRICS} == COUNTY_2022
    statuses = {d.duty.id: d.status for d in check.duties}
    assert statuses["adv-police-warning"] == "recorded"
    assert statuses["adv-protection-order"] == "recorded"
    assert statuses["mpl-mandatory-report"] == "recorded"

    deputy = evaluate_checklist(records, C, YEAR, "deputy")
    shown = {m: v for d in deputy.duties for m, v in d.evidence.items()}
    assert all(shown[m] == HIDDEN_SMALL for m in MEASURE_METRICS)
    town = evaluate_checklist(records, T, YEAR, "staff")
    assert {m: v for d in town.duties for m, v in d.evidence.items() if m in MEASURE_METRICS} == (
        TOWN_2022
    )


# ----------------------------------------------------------------------------- the briefing


def test_the_briefing_carries_the_figures_as_the_role_sees_them(records):
    staff = build_briefing(records, C, YEAR, "staff")
    assert {m: staff.metrics[m] for m in MEASURE_METRICS} == COUNTY_2022
    html = briefing_html(staff)
    assert "执法与司法保护措施" in html
    assert "家庭暴力告诫书 2，人身安全保护令申请 3，人身安全保护令签发 1" in html
    assert "转介部门办理事项 2" in html
    english = briefing_html(staff, "en")
    assert "domestic-violence warning letters issued 2" in english
    assert "cases referred between bodies 2" in english

    deputy = build_briefing(records, C, YEAR, "deputy")
    html = briefing_html(deputy)
    assert "家庭暴力告诫书 &lt;5" in html and "家庭暴力告诫书 2" not in html
    document = docx.Document(io.BytesIO(briefing_docx(deputy, records)))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "执法与司法保护措施" in text and "人身安全保护令签发 <5" in text
    document = docx.Document(io.BytesIO(briefing_docx(staff, records)))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "强制报告受理 2，强制报告处置 1" in text


# ----------------------------------------------------------------------------- the cases page


def _html_of(box: w.Widget) -> str:
    out = []
    if isinstance(box, w.HTML | w.Label):
        out.append(box.value)
    for child in getattr(box, "children", ()):
        out.append(_html_of(child))
    return "\n".join(out)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _card(view, key: str) -> str:
    match = re.search(
        rf'data-card="{key}".*?<div class="v">(.*?)</div>', view.measure_cards.value, re.S
    )
    assert match, key
    return match.group(1)


def test_the_cases_page_shows_the_measures_and_referrals_to_staff(county, monkeypatch):
    monkeypatch.setenv("HEHU_ROLE", "staff")
    page = build_cases_page(county.url, {"period": "2022"})
    view = page.view
    assert {m: int(_card(view, m)) for m in MEASURE_METRICS} == COUNTY_2022
    html = _text(_html_of(page))
    assert "执法与司法保护措施" in html and "1+N 转介" in html
    assert "县人民法院 人身安全保护令 1 1 1 0 3" in html
    assert "甲镇维权站 县公安局 1" in html and "调解室 县公安局 1" in html
    places = view.measure_place_table.raw.set_index("label")
    assert places.at["甲镇", "protection_orders_applied"] == 2
    assert places.at["乙街道", "cases_referred"] == 1
    page.state.place = T
    assert int(_card(view, "protection_orders_applied")) == 2
    assert "调解室 县公安局" not in _text(_html_of(view.referral_table))
    english = _text(_html_of(build_cases_page(county.url, {"period": "2022", "lang": "en"})))
    assert "Protection measures of police, procuratorate and court" in english
    assert "personal safety protection order" in english and "1+N referrals" in english


def test_the_cases_page_hides_small_counts_and_the_breakdowns_from_deputies(county, monkeypatch):
    monkeypatch.setenv("HEHU_ROLE", "deputy")
    page = build_cases_page(county.url, {"period": "2022"})
    view = page.view
    assert all(_card(view, m) == "&lt;5" for m in MEASURE_METRICS)
    assert view.measure_table not in view.children and view.referral_table not in view.children
    shown = view.measure_place_table.shown
    assert all(is_hidden(v) or v == 0 for v in shown[MEASURE_METRICS].to_numpy().ravel())
    html = _text(_html_of(page))
    assert "仅向妇联工作人员显示" in html and "县人民法院 人身安全保护令" not in html


# ----------------------------------------------------------------------------- import


MEASURE_ROWS = [
    ["措施编号", "日期", "村居", "办理单位", "措施类型", "结果", "结果日期"],
    ["M-1", "2022-03-01", "高沟镇花园村", "涟水县公安局", "家庭暴力告诫书", "已签发", None],
    ["M-2", "2022年3月2日", "高沟镇花园村", "涟水县人民法院", "保护令", "签发", "2022-03-03"],
    ["M-3", "2022-03-05", "高沟镇花园村", "涟水县公安局", "强制报告", "办理中", None],
    # bad rows: a result before the date, a 告诫书 "handled", a pending one with a result date,
    # an unknown measure, an unknown agency
    ["M-4", "2022-03-05", "高沟镇花园村", "涟水县人民法院", "人身安全保护令", "驳回", "2022-03-01"],
    ["M-5", "2022-03-05", "高沟镇花园村", "涟水县公安局", "告诫书", "已处置", None],
    ["M-6", "2022-03-05", "高沟镇花园村", "涟水县公安局", "强制报告", "办理中", "2022-03-06"],
    ["M-7", "2022-03-05", "高沟镇花园村", "涟水县公安局", "罚款", "已签发", None],
    ["M-8", "2022-03-05", "高沟镇花园村", "县交通局", "告诫书", "已签发", None],
]
REFERRAL_ROWS = [
    ["事项编号", "转介日期", "转出单位", "接收单位"],
    ["C-1", "2022-05-20", None, "涟水县公安局"],
    ["C-1", "2022-05-21", "县妇联", "涟水县人民法院"],
    # bad rows: an unknown case, before the case was received, to the body it came from
    ["C-9", "2022-05-20", None, "涟水县公安局"],
    ["C-1", "2022-05-10", None, "涟水县人民法院"],
    ["C-1", "2022-05-22", None, "县妇联"],
]
ORG_ROWS = [
    ["组织名称", "类型", "层级", "所在地"],
    ["县妇联", "妇联", "县级", "涟水县"],
    ["涟水县公安局", "部门", "县级", "涟水县"],
    ["涟水县人民法院", "部门", "县级", "涟水县"],
]
CASE_ROWS = [
    ["事项编号", "受理日期", "受理单位", "村居", "类别", "状态", "办结日期"],
    ["C-1", "2022-05-18", "县妇联", "高沟镇花园村", "家庭暴力", "已转介", "2022-05-30"],
]


def _fill(template, rows):
    """A written template with rows under its header (columns matched by header)."""
    book = openpyxl.load_workbook(template)
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    for r, row in enumerate(rows[1:], start=2):
        for name, value in zip(rows[0], row, strict=True):
            sheet.cell(row=r, column=header.index(name) + 1, value=value)
    book.save(template)
    return template


@pytest.fixture
def with_orgs_and_case(store, tmp_path):
    load_gazetteer(store)
    report = import_file(
        store, write_book(tmp_path / "base.xlsx", {"组织": ORG_ROWS, "维权事项": CASE_ROWS})
    )
    assert report.rejected == 0, report.errors
    return store


def test_templates_of_the_new_kinds(tmp_path, capsys):
    for kind, headers in (
        ("protection_measure", ["措施编号", "日期", "镇街", "村居", "办理单位", "措施类型"]),
        ("referral", ["转介编号", "事项编号", "转介日期", "转出单位", "接收单位"]),
    ):
        path = write_template(kind, tmp_path / template_file_name(kind))
        book = openpyxl.load_workbook(path)
        header = [c.value for c in book.worksheets[0][1]]
        assert header[: len(headers)] == headers
        notes = " ".join(str(c.value) for row in book["说明"].iter_rows() for c in row if c.value)
        if kind == "protection_measure":
            assert "家庭暴力告诫书、人身安全保护令、强制报告" in notes
            assert "办理中、已签发、已驳回、已处置" in notes
    assert template_file_name("protection_measure") == "呵护导入模板_保护措施.xlsx"
    assert main(["template", "保护措施", "-o", str(tmp_path / "m.xlsx")]) == 0
    assert main(["template", "转介", "-o", str(tmp_path / "r.xlsx")]) == 0
    assert (tmp_path / "m.xlsx").exists() and (tmp_path / "r.xlsx").exists()


def test_importing_filled_templates_keeps_good_rows_and_says_why_bad_ones_were_refused(
    with_orgs_and_case, tmp_path
):
    store = with_orgs_and_case
    measures = _fill(write_template("protection_measure", tmp_path / "m.xlsx", store), MEASURE_ROWS)
    report = import_file(store, measures, report_dir=tmp_path / "reports")
    assert (report.accepted, report.rejected) == (3, 5)
    reasons = {(e.row, e.column): e.reason for e in report.errors}
    assert reasons[(5, "结果日期")] == "结果日期早于日期"
    assert reasons[(6, "结果")] == "家庭暴力告诫书的结果只能是已签发"
    assert reasons[(7, "结果日期")] == "结果为办理中时不应填写结果日期"
    assert reasons[(8, "措施类型")].startswith("“罚款”不是允许的值")
    assert (9, "办理单位") in reasons
    stored = store.read("protection_measure").set_index("measure_id")
    assert sorted(stored.index) == ["M-1", "M-2", "M-3"]
    assert stored.at["M-2", "measure"] == "protection_order"
    assert stored.at["M-2", "outcome"] == "issued"

    referrals = _fill(write_template("referral", tmp_path / "r.xlsx", store), REFERRAL_ROWS)
    report = import_file(store, referrals, report_dir=tmp_path / "reports")
    assert (report.accepted, report.rejected) == (2, 3)
    reasons = {e.row: (e.column, e.reason) for e in report.errors}
    assert reasons[4] == ("事项编号", "找不到事项编号“C-9”，请先导入该维权事项（或在同一文件中）")
    assert reasons[5] == ("转介日期", "转介日期早于该事项的受理日期（2022-05-18）")
    assert reasons[6] == ("接收单位", "接收单位不能与转出单位相同")
    stored = store.read("referral")
    fed = store.read("org").set_index("name").at["县妇联", "org_id"]
    assert set(stored["from_org_id"]) == {fed}  # the case's receiving body, when not given
    records = load_records(store)
    county = place_metrics(records, None, YEAR)
    assert _pick(county) == {
        "dv_warnings_issued": 1,
        "protection_orders_applied": 1,
        "protection_orders_issued": 1,
        "mandatory_reports_received": 1,
        "mandatory_reports_handled": 0,
        "cases_referred": 1,
    }


def test_a_strict_import_with_a_bad_row_writes_nothing(with_orgs_and_case, tmp_path):
    store = with_orgs_and_case
    before = snapshot(store)
    path = write_book(tmp_path / "措施.xlsx", {"保护措施": MEASURE_ROWS, "转介": REFERRAL_ROWS})
    report = import_file(store, path, strict=True, report_dir=tmp_path / "reports")
    assert report.strict_refused and report.rejected == 8
    after = snapshot(store)
    assert {k: v for k, v in after.items() if k != "audit_log"} == {
        k: v for k, v in before.items() if k != "audit_log"
    }
    assert store.count("protection_measure") == 0 and store.count("referral") == 0
    # the same file, not strict: the sheets are recognised by their headers and names
    report = import_file(store, path, report_dir=tmp_path / "reports")
    assert [s.kind for s in report.sheets] == ["protection_measure", "referral"]
    assert store.count("protection_measure") == 3 and store.count("referral") == 2
