"""Findings carried forward (issue 14, item 4): the open findings of a place and of the places
above it appear in its next briefing, pack, light briefing and Word file, each with the
inspection it came from; an addressed finding, another town's or a later inspection's does not.
"""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pytest
from hehu_fixtures import V1, V2, C, K, S, T

from hehu.figures.metrics import Period, load_records
from hehu.oversight import cycle
from hehu.oversight.briefing import build_briefing
from hehu.oversight.inspections import findings_for_place, record_inspection
from hehu.render.html import briefing_html
from hehu.render.packs import briefing_pack_html
from hehu.render.word import briefing_docx

Y2022 = Period.year(2022)
STAFF = cycle.Actor("王干事", "staff")
SCRIPT = "<script>alert('呵护')</script>村小没有心理辅导室"
TOWN_OTHER = "村小留守儿童名册两年未更新"
SUBDISTRICT = "社区调解室无人值守"
COUNTY = "全县强制报告制度宣传不足"
LATER = "次年视察发现的问题"
ADDRESSED = "结对帮扶台账缺失"


@pytest.fixture
def inspected(small_store):
    """The small county with four inspections: the town's (2022-06-01, three findings), the
    subdistrict's (2022-07-01), the county's (2022-08-01) and the town's again in 2023."""
    store = small_store

    def inspect(day, committee, place, findings):
        return record_inspection(
            store, load_records(store), date=day, committee=committee, places=[place],
            findings=findings, actor="test",
        )  # fmt: skip

    inspect(dt.date(2022, 6, 1), "教科文卫委", T, [SCRIPT, TOWN_OTHER, ADDRESSED])
    inspect(dt.date(2022, 7, 1), "社会建设委", S, [SUBDISTRICT])
    inspect(dt.date(2022, 8, 1), "常委会", C, [COUNTY])
    inspect(dt.date(2023, 2, 1), "教科文卫委", T, [LATER])
    # the town's third finding is marked addressed at 10:30 UTC on 2022-09-15
    _address(store, ADDRESSED, dt.datetime(2022, 9, 15, 10, 30))
    return store


def _address(store, text: str, at_utc: dt.datetime) -> None:
    findings = store.read("finding")
    (finding_id,) = findings.loc[findings["text"] == text, "finding_id"]
    cycle.update_finding(store, finding_id, actor=STAFF, addressed=True, now=at_utc)


ALL = (SCRIPT, TOWN_OTHER, SUBDISTRICT, COUNTY, LATER, ADDRESSED)


def _texts(frame: pd.DataFrame) -> set[str]:
    return set(frame["text"])


def test_a_place_carries_its_own_findings_and_those_above_it(inspected):
    records = load_records(inspected)
    as_of = Y2022.as_of
    expected = {
        T: {SCRIPT, TOWN_OTHER, COUNTY},
        V1: {SCRIPT, TOWN_OTHER, COUNTY},  # a village of the town
        V2: {SCRIPT, TOWN_OTHER, COUNTY},
        S: {SUBDISTRICT, COUNTY},  # another township: not the town's
        K: {SUBDISTRICT, COUNTY},
        C: {COUNTY},  # the places under the county are their own briefings' business
    }
    for code, texts in expected.items():
        found = findings_for_place(records, code, as_of=as_of)
        assert _texts(found) == texts, code
    found = findings_for_place(records, V1, as_of=as_of)
    assert dict(zip(found["text"], found["relation"], strict=True)) == {
        SCRIPT: "above", TOWN_OTHER: "above", COUNTY: "above"
    }  # fmt: skip
    town = findings_for_place(records, T, as_of=as_of)
    # newest inspection first, each inspection's findings in their order
    assert list(town["text"]) == [COUNTY, SCRIPT, TOWN_OTHER]
    assert list(town["committee"]) == ["常委会", "教科文卫委", "教科文卫委"]
    assert list(town["place_name"]) == ["示例县", "甲镇", "甲镇"]


def test_a_later_inspection_and_an_addressed_finding_do_not_show(inspected):
    records = load_records(inspected)
    # the 2023 inspection is after the end of 2022; its finding is there in 2023
    assert LATER not in _texts(findings_for_place(records, T, as_of=Y2022.as_of))
    assert LATER in _texts(findings_for_place(records, T, as_of=Period.year(2023).as_of))
    # addressed on 2022-09-15: open at the end of August, gone from then on
    august = findings_for_place(records, T, as_of=pd.Timestamp("2022-08-31"))
    assert ADDRESSED in _texts(august)
    assert ADDRESSED not in _texts(findings_for_place(records, T, as_of=pd.Timestamp("2022-09-15")))
    assert ADDRESSED not in _texts(findings_for_place(records, T))  # today


def test_the_day_a_finding_is_addressed_is_the_countys(inspected):
    """Stored in UTC, judged on the county's clock: 20:00 UTC on 31 December is already the
    first of January in Beijing, so the finding was still open at the end of that year."""
    _address(inspected, TOWN_OTHER, dt.datetime(2022, 12, 31, 20, 0))
    records = load_records(inspected)
    assert TOWN_OTHER in _texts(findings_for_place(records, T, as_of=Y2022.as_of))
    assert TOWN_OTHER not in _texts(
        findings_for_place(records, T, as_of=pd.Timestamp("2023-01-01"))
    )


@pytest.mark.parametrize("role", ["deputy", "staff"])
def test_briefing_html_lists_them_escaped(inspected, role):
    records = load_records(inspected)
    for code, shown in ((T, {SCRIPT, TOWN_OTHER, COUNTY}), (V1, {SCRIPT, TOWN_OTHER, COUNTY}),
                        (S, {SUBDISTRICT, COUNTY})):  # fmt: skip
        html = briefing_html(build_briefing(records, code, Y2022, role), "zh")
        table = html.split('data-hehu="findings"')[1].split("</table>")[0]
        for text in ALL:
            escaped = text.replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#x27;")
            assert (escaped in table) == (text in shown), (code, text)
        assert "<script>" not in html
        if code != S:
            assert "2022-06-01 教科文卫委" in table and "甲镇" in table
    english = briefing_html(build_briefing(records, V1, Y2022, role), "en")
    assert "Inspection findings still open" in english and "2022-08-01 常委会" in english


def test_a_briefing_without_open_findings_says_so(small_store):
    html = briefing_html(build_briefing(load_records(small_store), T, Y2022, "deputy"), "zh")
    assert "视察发现的问题（尚未解决）" in html
    assert 'data-hehu="findings"' not in html  # an empty table is a dash


def test_pack_carries_each_place_its_findings(inspected):
    records = load_records(inspected)
    pack = briefing_pack_html(records, [V1, K], Y2022, "zh")
    village = pack.split(f'id="place-{V1}"')[1].split("</section>")[0]
    community = pack.split(f'id="place-{K}"')[1].split("</section>")[0]
    assert TOWN_OTHER in village and COUNTY in village and SUBDISTRICT not in village
    assert SUBDISTRICT in community and COUNTY in community and TOWN_OTHER not in community
    assert "<script>" not in pack and "&lt;script&gt;" in pack
    assert ADDRESSED not in pack and LATER not in pack


def test_word_briefing_carries_them(inspected):
    import docx

    records = load_records(inspected)
    for code, shown in ((V1, {SCRIPT, TOWN_OTHER, COUNTY}), (S, {SUBDISTRICT, COUNTY})):
        data = briefing_docx(build_briefing(records, code, Y2022, "presenter"), records, "zh")
        document = docx.Document(io.BytesIO(data))
        texts = [p.text for p in document.paragraphs]
        start = texts.index("视察发现的问题（尚未解决）")
        end = texts.index("视察意见建议")
        listed = texts[start + 1 : end]
        assert len(listed) == len(shown)
        for text in ALL:
            assert any(line.startswith(text) for line in listed) == (text in shown), (code, text)
        if code == V1:  # the finding, then its inspection and place; the script as written
            assert f"{SCRIPT} —— 2022-06-01 教科文卫委 · 甲镇" in listed
    data = briefing_docx(build_briefing(records, T, Y2022, "presenter"), records, "en")
    texts = [p.text for p in docx.Document(io.BytesIO(data)).paragraphs]
    assert f"{SCRIPT} —— 2022-06-01 教科文卫委 · 甲镇" in texts


def test_light_briefing_carries_them(inspected):
    from hehu.serve.light import light_page

    page = light_page(inspected, V1, "2022", "zh", "deputy").html()
    assert TOWN_OTHER in page and COUNTY in page and SUBDISTRICT not in page
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    # and the comparison with 2021, as the pack shows it
    assert 'data-hehu="since-period"' in page and "与上期比较：2021-01-01 至 2021-12-31" in page
