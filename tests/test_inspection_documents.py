"""The documents of the cycle (issue 14, item 6): an inspection's 视察报告 / 审议意见 and a 交办单
per unit, on the hand-made county: the figures are the briefing's (disclosed for the role), the
report's claims are checked, findings and recommendations carry their units and deadlines."""

from __future__ import annotations

import datetime as dt
import io

import docx
import pandas as pd
import pytest
from hehu_fixtures import V1, C, T

from hehu.cli.main import main
from hehu.disclosure import is_hidden
from hehu.errors import HehuError
from hehu.figures.metrics import Period, load_records, place_metrics
from hehu.i18n import audit_text
from hehu.oversight.briefing import HEADLINE_METRICS, build_briefing
from hehu.oversight.inspection_report import inspection_document
from hehu.records import vocab
from hehu.render.formatting import format_value
from hehu.render.inspection_word import assignment_docx, inspection_docx

YEAR = Period.year(2022)
NOW = dt.datetime(2022, 6, 1, 8, 0)


@pytest.fixture
def store(small_store):
    """The hand-made county, its inspection with two findings (one addressed), a claim of the
    county's report, and recommendation rec1 assigned to two units with their own deadlines."""
    small_store.write(
        {
            "org": [
                {"org_id": "police", "name": "县公安局", "kind": "agency", "level": "county",
                 "place_code": C},
            ],
            "finding": [
                {"finding_id": "i1-F1", "inspection_id": "i1", "place_code": T,
                 "text": "部分村未开设女童保护课程"},
                {"finding_id": "i1-F2", "inspection_id": "i1", "place_code": V1,
                 "text": "走访台账不全", "addressed_at": NOW},
            ],
            "claim": [
                {"claim_id": "k1", "document": "县妇联2022年工作报告", "metric": "cases_received",
                 "place_code": C, "period_start": dt.date(2022, 1, 1),
                 "period_end": dt.date(2022, 12, 31), "value": 2, "tolerance": 0},
                {"claim_id": "k2", "document": "县妇联2022年工作报告", "metric": "legal_events",
                 "place_code": T, "period_start": dt.date(2022, 1, 1),
                 "period_end": dt.date(2022, 12, 31), "value": 9, "tolerance": 0},
                # a year the inspection's year does not touch: not weighed
                {"claim_id": "k3", "document": "县妇联2020年工作报告", "metric": "legal_events",
                 "place_code": C, "period_start": dt.date(2020, 1, 1),
                 "period_end": dt.date(2020, 12, 31), "value": 1, "tolerance": 0},
            ],
            "recommendation_unit": [
                {"rec_id": "rec1", "org_id": "fed", "due_date": dt.date(2022, 9, 30),
                 "assigned_at": NOW, "assigned_by": "张委员"},
                {"rec_id": "rec1", "org_id": "police", "due_date": dt.date(2022, 10, 31),
                 "assigned_at": NOW, "assigned_by": "张委员"},
            ],
        }
    )  # fmt: skip
    return small_store


def _text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def _table_rows(data: bytes, index: int) -> list[list[str]]:
    table = docx.Document(io.BytesIO(data)).tables[index]
    return [[c.text for c in row.cells] for row in table.rows]


def test_the_document_gathers_the_inspection_for_staff(store):
    records = load_records(store)
    d = inspection_document(records, "i1", "staff")
    assert d.places == [(T, "甲镇")]
    assert d.org_names == ["甲镇维权站"]
    assert d.period == YEAR
    exact = place_metrics(records, T, YEAR)
    assert {m: d.figures.at[T, m] for m in HEADLINE_METRICS} == pytest.approx(
        {m: exact[m] for m in HEADLINE_METRICS}, rel=1e-3, nan_ok=True
    )
    # the county's claim of 2 cases in 2022 (c1 and c2) holds; the town's 9 events do not (e1 and e2: 2)
    assert [(r.claim.claim_id, r.computed, r.status) for r in d.claims] == [
        ("k1", 2, "matched"),
        ("k2", 2, "not_supported"),
    ]
    assert d.findings[["finding_id", "place_name", "addressed"]].values.tolist() == [
        ["i1-F1", "甲镇", False],
        ["i1-F2", "一村", True],
    ]
    units = dict(zip(d.recommendations["rec_id"], d.recommendations["units"], strict=True))
    assert units["rec1"] == [
        ("fed", "县妇联", pd.Timestamp(2022, 9, 30)),
        ("police", "县公安局", pd.Timestamp(2022, 10, 31)),
    ]
    # assigned to nobody in recommendation_unit: its responsible organisation and due date
    assert [(o, n) for o, n, _due in units["rec2"]] == [("fed", "县妇联")]
    assert d.units() == [("fed", "县妇联"), ("police", "县公安局")]
    assert d.recommendations_of("police")["rec_id"].tolist() == ["rec1"]
    assert d.recommendations_of("fed")["rec_id"].tolist() == ["rec1", "rec2", "rec3"]


@pytest.mark.parametrize("role", ["deputy", "presenter", "staff"])
def test_the_report_prints_the_briefing_s_figures_as_the_role_sees_them(store, role):
    """The report says what the place's briefing says, cell for cell: a deputy finds no count
    in the report that the briefing hides."""
    records = load_records(store)
    d = inspection_document(records, "i1", role)
    briefing = build_briefing(records, T, YEAR, role)
    rows = _table_rows(inspection_docx(d, records), 0)
    assert rows[0] == ["指标", "甲镇"]
    printed = {label: value for label, value in rows[1:]}
    hidden = 0
    for m in HEADLINE_METRICS:
        shown = briefing.figures.get(m)
        assert printed[vocab.METRICS[m][0]] == str(format_value(shown, m)), m
        hidden += is_hidden(shown)
    assert (hidden > 0) == (role != "staff")  # the hand-made town's counts are small


def test_the_report_and_the_opinion_in_official_words(store):
    records = load_records(store)
    d = inspection_document(records, "i1", "deputy")
    report = _text(inspection_docx(d, records, "report"))
    assert "关于甲镇妇女儿童权益保护工作视察情况的报告（草稿）" in report
    assert "县人大常委会：" in report
    assert "2022年5月18日，教科文卫委组织人大代表对甲镇妇女儿童权益保护工作进行了视察" in report
    assert "实地察看了甲镇维权站" in report
    assert "部分村未开设女童保护课程（甲镇）" in report
    assert "走访台账不全（一村）（已整改）" in report
    assert "承办单位：县妇联（办理时限2022年9月30日）、县公安局（办理时限2022年10月31日）" in report
    assert "数字来源：县妇联2022年工作报告" in report
    assert "县妇联2020年工作报告" not in report
    # the county's 2 cases are a small count: the check says so rather than confirm it
    claims = _table_rows(inspection_docx(d, records, "report"), 1)
    assert claims[1:] == [
        [
            "示例县 接访维权事项",
            "2022-01-01–2022-12-31",
            "2",
            "<5",
            "不向本角色公开（涉及少数人员，或可推算出少数人员），无法核对",
        ],
        ["甲镇 普法活动场次", "2022-01-01–2022-12-31", "9", "2", "记录不支持"],
    ]
    assert "“<5”表示" in report  # the legend of a deputy's figures
    opinion = _text(inspection_docx(d, records, "opinion"))
    assert "关于甲镇妇女儿童权益保护工作的审议意见（草稿）" in opinion
    assert "县人民政府：" in opinion
    english = _text(inspection_docx(d, records, "report", "en"))
    assert "Report of the inspection of the protection of women and children in 甲镇" in english
    assert (
        "Units responsible: 县妇联 (Deadline 2022-09-30), 县公安局 (Deadline 2022-10-31)" in english
    )
    with pytest.raises(ValueError):
        inspection_docx(d, records, "memo")


def test_each_unit_s_sheet_lists_only_its_recommendations_with_its_deadline(store):
    records = load_records(store)
    d = inspection_document(records, "i1", "deputy")
    police = assignment_docx(d, "police", records)
    assert _table_rows(police, 0) == [
        ["序号", "意见建议", "办理时限"],
        ["1", "常态化走访", "2022年10月31日"],
    ]
    text = _text(police)
    assert "教科文卫委交办单" in text and "承办单位：县公安局" in text
    assert "不能办结并说明理由" in text and "满意度测评" in text
    federation = _table_rows(assignment_docx(d, "fed", records), 0)
    assert [row[1:] for row in federation[1:]] == [
        ["常态化走访", "2022年9月30日"],
        ["开课", "2023年3月1日"],
        ["已办", "2022年6月1日"],
    ]
    nothing = _text(assignment_docx(d, "studio", records))
    assert "该单位没有交办的意见建议" in nothing and "承办单位：调解室" in nothing


def test_an_unknown_inspection_is_refused_in_chinese(store):
    with pytest.raises(HehuError, match="未找到视察记录：i9"):
        inspection_document(load_records(store), "i9", "staff")


def test_the_command_writes_the_report_and_the_sheets_and_audits_it(store, tmp_path, capsys):
    out = tmp_path / "报告.docx"
    code = main(
        ["inspection-report", "i1", "--db", store.url, "--kind", "opinion",
         "--out", str(out), "--sheets", str(tmp_path / "sheets")]
    )  # fmt: skip
    assert code == 0
    assert "审议意见（草稿）" in _text(out.read_bytes())
    sheets = sorted(p.name for p in (tmp_path / "sheets").iterdir())
    assert sheets == ["交办单-i1-fed.docx", "交办单-i1-police.docx"]
    assert capsys.readouterr().out.split() == [
        str(out),
        *(str(tmp_path / "sheets" / name) for name in sheets),
    ]
    audit = store.read("audit_log")
    entry = audit[audit["action"] == "inspection_report"].iloc[-1]
    assert entry["places"] == T
    assert audit_text(entry["what"]) == "生成视察文书 i1（opinion，交办单 2 份，角色 deputy）"


def test_the_command_refuses_an_unknown_inspection_in_one_chinese_line(store, tmp_path, capsys):
    assert (
        main(["inspection-report", "i9", "--db", store.url, "--out", str(tmp_path / "x.docx")]) == 2
    )
    err = capsys.readouterr().err
    assert "未找到视察记录：i9" in err and "Traceback" not in err
    assert not (tmp_path / "x.docx").exists()


def test_the_inspections_page_offers_the_documents_as_downloads(store, monkeypatch):
    import base64
    import re

    from widgets.pages.inspections import build_inspections_page

    monkeypatch.setenv("HEHU_ROLE", "deputy")
    monkeypatch.setenv("HEHU_USER", "张代表")
    documents = build_inspections_page(store.url, params={}).view.documents
    assert documents.inspection.value == "i1"
    documents.kind.value = "opinion"
    names = documents.make_documents()
    assert names == [
        "审议意见（草稿）-i1.docx", "交办单-i1-fed.docx", "交办单-i1-police.docx",
    ]  # fmt: skip
    links = re.findall(
        r'download="([^"]+)" href="data:[^;]+;base64,([^"]+)"', documents.links.value
    )
    assert [name for name, _data in links] == names
    opinion = _text(base64.b64decode(links[0][1]))
    assert "审议意见（草稿）" in opinion and "“<5”表示" in opinion  # a deputy's disclosure
    entry = store.read("audit_log").iloc[-1]
    assert (entry["action"], entry["actor"]) == ("inspection_report", "张代表")
