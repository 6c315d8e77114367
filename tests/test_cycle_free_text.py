"""No personal number in the free text of the oversight cycle (hehu/oversight/free_text.py):
an inspection's summary, findings and recommendations, a unit's answer and reason, a deputy's
rating comment, a reopening's or a closing's comment holding an ID-card or mobile number (the
import's rule, hehu.records.pseudonym.personal_numbers) is refused in Chinese, the number never
echoed, and nothing is written: no row, no history entry, no audit entry. The pages show the
refusal and keep nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import html_of
from hehu_fixtures import C, T

from hehu import i18n
from hehu.errors import HehuError
from hehu.figures.metrics import load_records
from hehu.oversight import cycle, free_text
from hehu.oversight.cycle import Actor
from hehu.oversight.inspection_report import inspection_document
from hehu.oversight.inspections import record_inspection
from hehu.render.inspection_word import assignment_docx, inspection_docx
from widgets.pages.cycle import CycleState, CycleView
from widgets.pages.inspections import InspectionsView

STAFF = Actor("李干事", "staff")
POLICE = Actor("公安王", "unit", "police")
DEPUTY = Actor("张代表", "deputy")
DUE, LATER = dt.date(2027, 3, 1), dt.date(2027, 6, 30)

ID_DIGIT = "320826198506123015"  # check digit 5, born 1985-06-12
ID_X = "32082620100305442X"  # check character X
ID_X_LOWER = "32082620100305442x"
MOBILE = "13812345678"
FULL_WIDTH_ID = "３２０８２６１９８５０６１２３０１５"
FULL_WIDTH_MOBILE = "１３８ １２３４ ５６７８"

PERSONAL_TEXTS = [
    f"经核实，当事人身份证号{ID_DIGIT}，已落实救助",
    f"身份证 {ID_X} 的儿童已入学",
    f"身份证{ID_X_LOWER}",
    f"请联系家长{MOBILE}了解情况",
    "家长电话+86 138-1234-5678",
    f"身份证{FULL_WIDTH_ID}",
    f"联系电话{FULL_WIDTH_MOBILE}",
]
NAMES = [
    "id",
    "id_x",
    "id_x_lower",
    "mobile",
    "mobile_grouped",
    "full_width_id",
    "full_width_mobile",
]
PLAIN = "已建立强制报告台账，案号（2022）苏0826民初1234号，经费123456元"


@pytest.fixture
def store(small_store):
    """The hand-made county with a county police bureau, rec1 assigned to it."""
    small_store.write(
        {"org": [{"org_id": "police", "name": "县公安局", "kind": "agency", "level": "county",
                  "place_code": C}]}
    )  # fmt: skip
    cycle.assign(small_store, "rec1", {"police": DUE}, actor=STAFF)
    return small_store


def written(store) -> tuple:
    """Everything the cycle writes: recommendations, units, history, audit log, findings."""
    tables = ("recommendation", "recommendation_unit", "recommendation_update", "audit_log",
              "inspection", "finding")  # fmt: skip
    return tuple(store.read(t).astype(str).to_csv() for t in tables)


def refused(store, write) -> str:
    before = written(store)
    with pytest.raises(HehuError) as caught:
        write()
    assert written(store) == before, "a refused text must leave nothing written"
    message = caught.value.message()
    assert "身份证号或手机号" in message and "未保存" in message, message
    assert "nothing saved" in caught.value.message("en")
    for number in (ID_DIGIT, ID_X, MOBILE):
        assert number not in message and number not in caught.value.message("en")
    return message


def test_the_rule_is_the_imports():
    for text in PERSONAL_TEXTS:
        assert free_text.problem("response", text), text
    assert free_text.problem("response", PLAIN) is None
    assert free_text.problem("response", None) is None


@pytest.mark.parametrize("text", PERSONAL_TEXTS, ids=NAMES)
def test_an_answer_or_its_reason_with_a_number_is_refused(store, text):
    message = refused(
        store, lambda: cycle.answer(store, "rec1", actor=POLICE, status="in_progress",
                                    response=text)
    )  # fmt: skip
    assert message.startswith("办理情况")
    message = refused(
        store, lambda: cycle.answer(store, "rec1", actor=POLICE, status="cannot",
                                    response="职能不符", reason=text)
    )  # fmt: skip
    assert message.startswith("理由")


def test_rating_reopening_and_closing_comments_with_a_number_are_refused(store):
    cycle.answer(store, "rec1", actor=POLICE, status="done", response=PLAIN)
    for text in (PERSONAL_TEXTS[0], PERSONAL_TEXTS[1], PERSONAL_TEXTS[3], PERSONAL_TEXTS[5]):
        refused(
            store, lambda t=text: cycle.rate(store, "rec1", "police", actor=DEPUTY,
                                             rating="satisfied", comment=t)
        )  # fmt: skip
        refused(
            store, lambda t=text: cycle.rate(store, "rec1", "police", actor=DEPUTY,
                                             rating="unsatisfied", comment=t, new_due_date=LATER)
        )  # fmt: skip
        refused(
            store, lambda t=text: cycle.reopen(store, "rec1", "police", actor=STAFF,
                                               new_due_date=LATER, comment=t)
        )  # fmt: skip
        refused(
            store, lambda t=text: cycle.close(store, "rec1", actor=STAFF, status="cannot",
                                              comment=t)
        )  # fmt: skip
    # the same writes with plain text go through
    cycle.rate(store, "rec1", "police", actor=DEPUTY, rating="satisfied", comment=PLAIN)
    cycle.close(store, "rec1", actor=STAFF, status="done", comment=PLAIN)
    assert store.read("recommendation").set_index("rec_id").loc["rec1", "status"] == "done"


def inspection(store, **change):
    values = {
        "date": dt.date(2022, 6, 1), "committee": "教科文卫委", "deputies": "王代表、李代表",
        "places": [T], "summary": "走访了镇妇联", "findings": ["台账不全"],
        "recommendations": [{"text": "建立台账", "responsible_org": "police", "due_date": DUE}],
        **change,
    }  # fmt: skip
    return lambda: record_inspection(store, load_records(store), **values, actor="李干事")


@pytest.mark.parametrize("text", PERSONAL_TEXTS[::2], ids=NAMES[::2])
def test_an_inspection_with_a_number_in_any_text_saves_nothing(store, text):
    rec = {"text": text, "responsible_org": "police", "due_date": DUE}
    assert refused(store, inspection(store, summary=text)).startswith("视察情况")
    assert refused(store, inspection(store, deputies=f"王代表{text}")).startswith("参加人员")
    assert "第 2 条发现" in refused(store, inspection(store, findings=["台账不全", text]))
    assert "第 1 条意见建议" in refused(store, inspection(store, recommendations=[rec]))
    inspection(store)()  # and without the number it is saved


def test_invisible_characters_are_not_kept_and_the_documents_print(store):
    """A vertical tab or a NUL pasted from Word or a PDF was kept; then every Word document
    printing it (the inspection report, the 交办单, the briefings below) failed with a traceback."""
    pasted = "走访了\x0b镇妇联\x00，\u200b台账不全"
    inspection_id = inspection(store, summary=pasted, findings=[pasted],
                               recommendations=[{"text": pasted, "responsible_org": "police",
                                                 "due_date": DUE}])()  # fmt: skip
    cycle.answer(store, "rec1", actor=POLICE, status="done", response=f"已办结\x0c{pasted}")
    cycle.rate(store, "rec1", "police", actor=DEPUTY, rating="satisfied", comment=pasted)
    for table, column in (("inspection", "summary"), ("finding", "text"),
                          ("recommendation", "text"), ("recommendation_update", "comment")):  # fmt: skip
        values = store.read(table)[column].dropna().astype(str)
        assert values.str.contains("走访了镇妇联，台账不全").any(), (table, values.tolist())
        assert not values.str.contains("[\x00-\x08\x0b\x0c\u200b]").any(), (table, column)
    records = load_records(store)
    document = inspection_document(records, inspection_id, "staff")
    assert inspection_docx(document, records)[:2] == b"PK"
    assert document.units()
    for org_id, _ in document.units():
        assert assignment_docx(document, org_id, records)[:2] == b"PK"


def test_a_pasted_document_is_refused_in_one_line(store):
    """No length limit held a 200,000-character answer (an import caps a cell at 32,767)."""
    long = "情况说明" * 2_501  # 10,004 characters
    before = written(store)
    with pytest.raises(HehuError, match="办理情况过长（10,004 字，上限 10,000 字），未保存"):
        cycle.answer(store, "rec1", actor=POLICE, status="in_progress", response=long)
    with pytest.raises(HehuError, match="视察情况过长"):
        inspection(store, summary=long)()
    assert written(store) == before


def test_the_answers_page_shows_the_refusal_and_saves_nothing(store):
    view = CycleView(CycleState(store, POLICE), "zh")
    assert i18n.t("no_personal_text") in html_of(view)
    view.pick.value = "rec1"
    view.answer_text.value = PERSONAL_TEXTS[3]
    before = written(store)
    view.submit_answer.click()
    assert "身份证号或手机号" in view.message.value and "未保存" in view.message.value
    assert 'data-hehu="saved"' not in view.message.value
    assert MOBILE not in view.message.value
    assert written(store) == before


def test_the_inspections_page_shows_the_refusal_and_saves_nothing(store):
    view = InspectionsView(store, load_records(store), "zh", role="staff")
    assert i18n.t("no_personal_text") in html_of(view.form)
    form = view.form
    form.places.value = (T,)
    form.summary.value = "走访了镇妇联"
    form.findings.value = f"台账不全\n家长{ID_X}反映情况"
    before = written(store)
    assert form.submit() is None
    assert "第 2 条发现含身份证号或手机号" in form.message.value
    assert ID_X not in form.message.value and 'data-hehu="saved"' not in form.message.value
    assert written(store) == before
