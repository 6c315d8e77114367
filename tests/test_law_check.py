"""Law-enforcement inspection (执法检查): the checklist, an inspection against it on the hand-made
county, its Word draft (figures equal to the metrics, disclosed for the role) and `hehu law-check`."""

from __future__ import annotations

import io
import json
from pathlib import Path

import docx
import pytest
from docx.enum.text import WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from hehu_fixtures import V1, C, T

from hehu.cli.main import main
from hehu.disclosure import HIDDEN_SMALL, is_hidden
from hehu.errors import HehuError
from hehu.figures.metrics import Period, load_records, place_metrics
from hehu.i18n import audit_text, metric_label
from hehu.oversight import law_check
from hehu.oversight.law_check import (
    BODIES,
    BadChecklist,
    Duty,
    evaluate_checklist,
    load_checklist,
    parse_checklist,
)
from hehu.records import vocab
from hehu.records.schema import RECORD_TABLES
from hehu.render.formatting import format_value
from hehu.render.law_check_word import evidence_line, law_check_docx

YEAR = Period.year(2022)
HALF_MM = Mm(0.5)
CHECKLIST = Path(__file__).resolve().parents[1] / "hehu" / "oversight" / "law_checklist.toml"


# ----------------------------------------------------------------------------- the checklist


def test_the_checklist_loads_and_every_reference_exists():
    checklist = load_checklist()
    assert {law.name for law in checklist.laws} == {
        "妇女权益保障法",
        "反家庭暴力法",
        "未成年人保护法",
    }
    assert 15 <= len(checklist.duties) <= 25
    assert len({d.id for d in checklist.duties}) == len(checklist.duties)
    for duty in checklist.duties:
        assert duty.law in {law.name for law in checklist.laws}
        assert set(duty.metrics) <= set(vocab.METRICS), duty.id
        assert set(duty.kinds) <= set(RECORD_TABLES), duty.id
        assert duty.body and set(duty.body) <= set(BODIES), duty.id
        assert duty.duty and duty.duty_en and duty.question and duty.question_en
        assert duty.article or not duty.article_checked  # a checked duty cites its article
        assert duty.citation
    for law in {d.law for d in checklist.duties}:  # every law has duties with figures
        assert any(d.metrics for d in checklist.duties if d.law == law)


def _broken(old: str, new: str) -> str:
    text = CHECKLIST.read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new, 1)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'metrics = ["recommendations_open", "recommendations_overdue"]',
            'metrics = ["recommendations_open", "open_recs"]',
            "执法检查清单有误：第 1 条职责（wrp-coordination）：未知的指标“open_recs”",
        ),
        (
            'body = ["县妇儿工委"]',
            'body = ["妇儿委"]',
            "执法检查清单有误：第 1 条职责（wrp-coordination）：未知的责任单位“妇儿委”",
        ),
        (
            'kinds = ["inspection", "recommendation"]',
            'kinds = ["inspections"]',
            "执法检查清单有误：第 1 条职责（wrp-coordination）：未知的记录种类“inspections”",
        ),
        (
            'id = "wrp-publicity"\nlaw = "妇女权益保障法"',
            'id = "wrp-publicity"\nlaw = "妇女法"',
            "执法检查清单有误：第 2 条职责（wrp-publicity）：未知的法律“妇女法”",
        ),
        (
            'id = "wrp-publicity"',
            'id = "wrp-coordination"',
            "执法检查清单有误：第 2 条职责（wrp-coordination）：编号重复",
        ),
        (
            'article = "第三条"',
            'article = ""',
            "执法检查清单有误：第 1 条职责（wrp-coordination）："
            "标为已核对（article_checked = true）却没有条款序号",
        ),
    ],
)
def test_a_broken_checklist_is_refused_with_one_line_naming_the_entry(old, new, message):
    with pytest.raises(BadChecklist) as caught:
        parse_checklist(_broken(old, new))
    assert caught.value.zh == message
    assert "\n" not in caught.value.zh


def test_a_checklist_file_that_is_not_toml_is_refused(tmp_path):
    path = tmp_path / "清单.toml"
    path.write_text("[[duty]\nid = ", encoding="utf-8")
    with pytest.raises(BadChecklist) as caught:
        load_checklist(path)
    assert caught.value.zh.startswith("执法检查清单有误：清单.toml：无法读取（")


# ----------------------------------------------------------------------------- an inspection


@pytest.fixture
def records(small_store):
    return load_records(small_store)


@pytest.mark.parametrize("code", [C, T, V1])
def test_staff_see_every_evidence_figure_equal_to_the_metrics(records, code):
    check = evaluate_checklist(records, code, YEAR, "staff")
    exact = place_metrics(records, code, YEAR)
    assert len(check.duties) == len(load_checklist().duties)
    for d in check.duties:
        assert d.evidence == {m: exact[m] for m in d.duty.metrics}, d.duty.id


def test_the_hand_made_county_in_2022(records):
    check = evaluate_checklist(records, C, YEAR, "staff")
    evidence = {m: v for d in check.duties for m, v in d.evidence.items()}
    # worked out by hand from tests/hehu_fixtures.py: cases c1 and c2 were received in 2022,
    # c1 is resolved; courses k1 (50) and k2 (30); events e1 (200) and e2 (40); children
    # p1, p2, p3 are left-behind and all paired in 2022 (r1, r2, r3); h2 is high risk, not visited
    assert evidence["cases_received"] == 2
    assert evidence["cases_resolved"] == 1
    assert evidence["resolution_rate"] == 0.5
    assert evidence["course_sessions"] == 2
    assert evidence["course_attendance"] == 80
    assert evidence["legal_events"] == 2
    assert evidence["legal_audience"] == 240
    assert evidence["left_behind_children"] == 3
    assert evidence["left_behind_children_paired"] == 3
    assert evidence["high_risk_without_follow_up"] == 1
    statuses = {d.duty.id: d.status for d in check.duties}
    assert statuses["wrp-federation-help"] == "recorded"
    # the police's measures are evidence now: none in the hand-made county, so none recorded
    assert evidence["dv_warnings_issued"] == 0
    assert statuses["adv-police-warning"] == "no_records"
    assert statuses["adv-shelter"] == "to_verify"  # no figure evidences it


def test_a_deputy_sees_small_counts_as_the_disclosure_module_shows_them(records):
    staff = evaluate_checklist(records, C, YEAR, "staff")
    deputy = evaluate_checklist(records, C, YEAR, "deputy")
    exact = place_metrics(records, C, YEAR)
    for s, d in zip(staff.duties, deputy.duties, strict=True):
        for metric, value in d.evidence.items():
            if not is_hidden(value):
                assert value == exact[metric]  # what is shown is the metric itself
            assert s.evidence[metric] == exact[metric]
    shown = {m: v for d in deputy.duties for m, v in d.evidence.items()}
    assert shown["cases_received"] == HIDDEN_SMALL  # 2 children of the county's cases
    assert is_hidden(shown["left_behind_children"])  # 3, or a complement of another
    assert shown["course_attendance"] == 80  # attendances are not people counted once


def test_a_place_with_no_records_in_the_period_has_duties_with_none(records):
    check = evaluate_checklist(records, C, Period.year(2019), "staff")
    statuses = {d.duty.id: d.status for d in check.duties}
    assert statuses["adv-mediation"] == "no_records"  # no case received in 2019
    assert statuses["mpl-school-sex-education"] == "no_records"
    assert statuses["wrp-federation-help"] == "recorded"  # the stations are there all the same
    assert [d.duty.id for d in check.with_status("no_records")]


def test_marks_are_kept_and_unknown_duties_refused(records):
    marks = {"adv-police-warning": {"findings": "告诫书未送达村委", "documents": ["告诫书 3 份"]}}
    check = evaluate_checklist(records, C, YEAR, "deputy", marks)
    d = next(d for d in check.duties if d.duty.id == "adv-police-warning")
    assert d.findings == "告诫书未送达村委"
    assert d.documents_seen == ("告诫书 3 份",)
    with pytest.raises(HehuError) as caught:
        evaluate_checklist(records, C, YEAR, "deputy", {"no-such-duty": {}})
    assert caught.value.zh == "检查记录中有清单里没有的职责编号：no-such-duty"


# ----------------------------------------------------------------------------- the Word draft


def _text(document) -> str:
    cells = [c.text for table in document.tables for row in table.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


@pytest.mark.parametrize("role", ["staff", "deputy"])
def test_the_word_draft_carries_the_figures_as_the_role_sees_them(records, role):
    check = evaluate_checklist(records, C, YEAR, role)
    document = docx.Document(io.BytesIO(law_check_docx(check, records)))
    text = _text(document)
    assert "关于示例县贯彻实施" in text and "执法检查报告（草稿）" in text
    assert "县人大常委会：" in text  # 主送
    exact = place_metrics(records, C, YEAR)
    for d in check.duties:
        assert evidence_line(d) in text
        for metric, value in d.evidence.items():
            expected = value if role == "deputy" else exact[metric]
            assert f"{metric_label(metric)}：{format_value(expected, metric)}" in text
    if role == "deputy":
        assert f"接访维权事项：{HIDDEN_SMALL}" in text
        assert f"排查家庭：{HIDDEN_SMALL}" in text
        assert "接访维权事项：2" not in text
    else:
        assert "接访维权事项：2；化解或转介事项：1；化解率：50%" in text
        assert "登记留守儿童：3" in text
        assert HIDDEN_SMALL not in text
    assert "记录中无相关数据的职责" in text and "需查阅材料核实的职责" in text
    assert "《中华人民共和国反家庭暴力法》第十六条" in text
    assert "条款序号待核实" in text  # duties whose article a person still checks


def test_the_word_draft_in_english_names_the_laws_in_english(records):
    check = evaluate_checklist(records, C, YEAR, "deputy")
    text = _text(docx.Document(io.BytesIO(law_check_docx(check, records, "en"))))
    assert "Anti-Domestic Violence Law" in text
    assert "Anti-Domestic Violence Law, Article 16" in text
    assert "cases received: " + HIDDEN_SMALL in text


def _run_property(paragraph, run, tag: str, attribute: str) -> str | None:
    """A run's property as Word resolves it: the run's own, else its style's, else the base's."""
    chain = [run._r.rPr]
    style = paragraph.style
    while style is not None:
        chain.append(style.element.rPr)
        style = style.base_style
    for rpr in chain:
        element = None if rpr is None else rpr.find(qn(tag))
        if element is not None and element.get(qn(attribute)) is not None:
            return element.get(qn(attribute))
    return None


def _east_asian_font(paragraph, run) -> str | None:
    return _run_property(paragraph, run, "w:rFonts", "w:eastAsia")


def _size(paragraph, run):
    half_points = _run_property(paragraph, run, "w:sz", "w:val")
    return None if half_points is None else Pt(int(half_points) / 2)


def test_the_word_draft_is_a4_in_the_official_fonts(records):
    check = evaluate_checklist(records, C, YEAR, "deputy")
    document = docx.Document(io.BytesIO(law_check_docx(check, records)))
    for section in document.sections:
        assert abs(section.page_width - Mm(210)) <= HALF_MM
        assert abs(section.page_height - Mm(297)) <= HALF_MM
        for side, mm in (("top", 37), ("bottom", 35), ("left", 28), ("right", 26)):
            assert abs(getattr(section, f"{side}_margin") - Mm(mm)) <= HALF_MM, side
    title = next(p for p in document.paragraphs if p.text.startswith("关于示例县"))
    assert all(_east_asian_font(title, r) == "方正小标宋简体" for r in title.runs)
    assert all(_size(title, r) == Pt(22) for r in title.runs)
    body = next(p for p in document.paragraphs if p.text.startswith("记录数据："))
    assert all(_east_asian_font(body, r) == "仿宋_GB2312" for r in body.runs)
    assert all(_size(body, r) == Pt(16) for r in body.runs)
    assert body.style.paragraph_format.line_spacing_rule == WD_LINE_SPACING.EXACTLY
    for level, font in ((2, "黑体"), (3, "楷体_GB2312")):
        headings = [p for p in document.paragraphs if p.style.name == f"Heading {level}"]
        assert headings
        for heading in headings:
            assert all(_east_asian_font(heading, r) == font for r in heading.runs)
    assert document.tables
    for table in document.tables:
        assert sum(c.width for c in table.columns) <= Mm(156) + HALF_MM
    footer = "".join(t.text or "" for t in document.sections[0].footer._element.iter(qn("w:t")))
    assert footer.startswith("— ") and footer.endswith(" —")


# ----------------------------------------------------------------------------- the command


def test_the_command_writes_the_draft_and_audits_it(small_store, tmp_path, capsys):
    out = tmp_path / "执法检查.docx"
    marks = tmp_path / "marks.json"
    marks.write_text(
        json.dumps({"adv-shelter": {"findings": "尚未设立", "documents": []}}, ensure_ascii=False),
        encoding="utf-8",
    )
    code = main(
        ["law-check", "--db", small_store.url, "--place", C, "--start", "2022-01-01",
         "--end", "2022-12-31", "--marks", str(marks), "--out", str(out)]
    )  # fmt: skip
    assert code == 0
    text = _text(docx.Document(str(out)))
    assert f"接访维权事项：{HIDDEN_SMALL}" in text  # the default role is a deputy's
    assert "检查发现：尚未设立" in text
    log = small_store.read("audit_log")
    entry = log[log["action"] == "law_check"]
    assert len(entry) == 1 and entry["places"].iloc[0] == C
    assert (
        audit_text(entry["what"].iloc[0]) == "生成执法检查报告草稿（docx，期间 2022，角色 deputy）"
    )


def test_the_command_prints_json_for_staff(small_store, capsys):
    code = main(
        ["law-check", "--db", small_store.url, "--place", C, "--year", "2022",
         "--role", "staff", "--json"]
    )  # fmt: skip
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert result["place"] == C and result["role"] == "staff"
    federation = next(d for d in result["duties"] if d["id"] == "wrp-federation-help")
    assert federation["evidence"]["cases_received"] == 2
    assert federation["status"] == "有记录"


def test_an_unknown_place_exits_2_with_one_chinese_line(small_store, tmp_path, capsys):
    out = tmp_path / "x.docx"
    code = main(
        ["law-check", "--db", small_store.url, "--place", "999999999999", "--year", "2022",
         "--out", str(out)]
    )  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err == "错误：未知的地点代码：999999999999"
    assert not out.exists()


@pytest.mark.parametrize(
    ("text", "number"),
    [("三", 3), ("十", 10), ("十六", 16), ("二十八", 28), ("七十七", 77), ("一百零六", 106),
     ("两百", 200), ("二百", 200), ("两百零三", 203)],
)  # fmt: skip
def test_article_numbers_read_in_english(text, number):
    # One reader of Chinese numerals (cells.chinese_numeral): law_check keeps no copy of it.
    assert not hasattr(law_check, "chinese_number")
    duty = Duty("x", "妇女权益保障法", f"第{text}条", "", True, "", "", (), (), (), (), "", "")
    assert duty.citation_in("en") == f"Article {number}"


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        (["--year", "99999"], "--year 有误"),
        (["--year", "0"], "--year 有误"),  # not silently all time
        (["--year", "2022", "--marks", "MARKS"], "检查记录文件"),
        (
            ["--year", "2022", "--out", "/nonexistent-dir/x.docx"],
            "无法写入 /nonexistent-dir/x.docx：目录",
        ),
    ],
)
def test_bad_arguments_exit_2_with_one_chinese_line(small_store, tmp_path, capsys, extra, says):
    marks = tmp_path / "marks.json"
    marks.write_text(json.dumps({"wrp-publicity": {"documents": 5}}), encoding="utf-8")
    extra = [str(marks) if a == "MARKS" else a for a in extra]
    if "--out" not in extra:  # were it written after all, never into the working directory
        extra += ["--out", str(tmp_path / "x.docx")]
    code = main(["law-check", "--db", small_store.url, "--place", C, *extra])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("错误：") and says in err and len(err.splitlines()) == 1, err


@pytest.mark.parametrize("command", ["law-check", "briefing"])
@pytest.mark.parametrize("year", ["0", "99999"])
def test_every_command_with_a_year_refuses_one_out_of_range(
    small_store, tmp_path, capsys, command, year
):
    # one reading of --year (hehu.cli.period_from_args): 0 was silently all time in `briefing`
    out = tmp_path / "x.out"
    code = main([command, "--db", small_store.url, "--place", C, "--year", year, "--out", str(out)])
    assert code == 2 and not out.exists()
    err = capsys.readouterr().err.strip()
    assert err.startswith("错误：--year 有误") and len(err.splitlines()) == 1, err
