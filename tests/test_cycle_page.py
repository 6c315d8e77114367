"""The answers page (交办答复), driven in Python as its users would: committee staff assign a
recommendation to a unit, the unit answers, a deputy rates 不满意 and it reopens, the unit
answers again, 满意, staff close it. Each sees only the forms their role may use; a unit sees
only its own recommendations; the audit log and the history name each person."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hehu_fixtures import C, T

from hehu.clock import time_text
from hehu.oversight.cycle import Actor
from widgets.pages.cycle import CycleState, CycleView, build_cycle_page

STAFF = Actor("李干事", "staff")
POLICE = Actor("公安王", "unit", "police")
DEPUTY = Actor("张代表", "deputy")
PRESENTER = Actor("演示", "presenter")
LATER = dt.date(2027, 3, 1)
LATER_STILL = dt.date(2027, 6, 30)


@pytest.fixture
def store(small_store):
    """The hand-made county with a county police bureau, a unit responsible."""
    small_store.write(
        {
            "org": [
                {
                    "org_id": "police",
                    "name": "县公安局",
                    "kind": "agency",
                    "level": "county",
                    "place_code": C,
                }
            ]
        }
    )
    return small_store


def view_of(store, actor: Actor) -> CycleView:
    return CycleView(CycleState(store, actor), "zh")


def forms(view: CycleView) -> set[str]:
    return {
        c for child in view.children for c in child._dom_classes if c.startswith("hehu-") and
        c.endswith("-form")
    }  # fmt: skip


def rows(view: CycleView) -> list[tuple]:
    table = view.state.recommendations()
    return list(
        table[["rec_id", "org_id", "state", "answer_status", "rating"]]
        .astype(object)
        .where(table[["rec_id", "org_id", "state", "answer_status", "rating"]].notna(), None)
        .itertuples(index=False, name=None)
    )


def saved(view: CycleView) -> bool:
    return 'data-hehu="saved"' in view.message.value


def test_the_whole_cycle_on_the_page(store):
    staff = view_of(store, STAFF)
    assert forms(staff) == {"hehu-assign-form", "hehu-close-form", "hehu-finding-form"}
    staff.pick.value = "rec1"
    staff.units.value = ("police",)
    staff.assign_due.value = LATER
    staff.submit_assign.click()
    assert saved(staff), staff.message.value

    police = view_of(store, POLICE)
    assert forms(police) == {"hehu-answer-form"}
    # the unit sees rec1 only: rec2 and rec3 are the federation's (or nobody's)
    assert rows(police) == [("rec1", "police", "open", None, None)]
    assert [o for _label, o in police.pick.options] == ["rec1"]
    police.answer_text.value = ""
    police.submit_answer.click()
    assert "请填写办理情况" in police.message.value  # nothing saved without what was done
    police.answer_status.value = "done"
    police.answer_text.value = "已对重点村开展常态化走访"
    police.submit_answer.click()
    assert saved(police), police.message.value
    assert rows(police) == [("rec1", "police", "answered", "done", None)]

    deputy = view_of(store, DEPUTY)
    assert forms(deputy) == {
        "hehu-rate-form", "hehu-assign-form", "hehu-close-form", "hehu-finding-form",
    }  # fmt: skip
    deputy.pick.value = "rec1"
    assert deputy.pick_unit.value == "police"
    deputy.rating.value = "unsatisfied"
    deputy.comment.value = "走访台账不全"
    deputy.submit_rating.click()
    assert "新的办理期限" in deputy.message.value or "期限" in deputy.message.value
    deputy.new_due.value = LATER_STILL
    deputy.submit_rating.click()
    assert saved(deputy), deputy.message.value
    assert ("rec1", "police", "open", "done", "unsatisfied") in rows(deputy)  # reopened

    police.refresh.click()
    police.answer_status.value = "done"
    police.answer_text.value = "已补齐走访台账"
    police.submit_answer.click()
    assert saved(police), police.message.value

    deputy.refresh.click()
    deputy.pick.value = "rec1"
    deputy.rating.value = "satisfied"
    deputy.comment.value = ""
    deputy.new_due.value = None
    deputy.submit_rating.click()
    assert saved(deputy), deputy.message.value
    assert ("rec1", "police", "answered", "done", "satisfied") in rows(deputy)

    staff.refresh.click()
    assert staff.open_only.value  # the page's default: open recommendations only
    staff.pick.value = "rec1"
    staff.close_status.value = "done"
    staff.submit_close.click()
    assert saved(staff), staff.message.value
    # closed, it is no longer open, yet the page stays on it and shows the close in its history
    # (it used to jump to the first open recommendation and show that one's history)
    assert staff.pick.value == "rec1"
    assert "办结" in staff.history.value and "满意" in staff.history.value
    assert store.read("recommendation").set_index("rec_id").at["rec1", "status"] == "done"

    history = store.read("recommendation_update")
    mine = history[history["rec_id"] == "rec1"].sort_values("at", kind="stable")
    assert list(zip(mine["kind"], mine["actor"], strict=True)) == [
        ("assign", "李干事"),
        ("answer", "公安王"),
        ("rate", "张代表"),
        ("reopen", "张代表"),
        ("answer", "公安王"),
        ("rate", "张代表"),
        ("close", "李干事"),
    ]
    assert {"李干事", "公安王", "张代表"} <= set(store.read("audit_log")["actor"])
    # each entry's time on the county's clock, named, as the inspections page shows it (it was
    # the stored UTC with no zone: 02:00 here, 10:00 北京时间 there)
    for at in mine["at"]:
        assert time_text(at, "zh") in staff.history.value
    assert f"{mine['at'].iloc[0]:%Y-%m-%d %H:%M}<" not in staff.history.value
    # the unit's line of the summary: 2 answers, 1 on time, 1 不满意, 1 满意, 满意率 50%
    summary = staff.summary.value
    assert "县公安局" in summary and "50%" in summary
    police.refresh.click()
    assert "县妇联" not in police.summary.value  # a unit reads its own line only


def test_a_unit_cannot_act_on_another_unit_s_recommendation(store):
    staff = view_of(store, STAFF)
    staff.pick.value = "rec2"
    staff.units.value = ("fed",)
    staff.assign_due.value = LATER
    staff.submit_assign.click()
    assert saved(staff), staff.message.value
    police = view_of(store, POLICE)
    assert rows(police) == []
    police.state.rec_id = "rec2"  # as if the page were tampered with
    police.answer_text.value = "越权答复"
    police._answer()
    assert "没有交办给本单位的意见建议" in police.message.value or "未交办" in police.message.value
    answers = store.read("recommendation_update")
    assert "越权答复" not in set(answers["response"])


def test_a_presenter_reads_and_cannot_write(store):
    presenter = view_of(store, PRESENTER)
    assert forms(presenter) == set()
    assert "当前角色仅可查看" in "".join(
        c.value for c in presenter.children if isinstance(getattr(c, "value", None), str)
    )


def test_the_page_takes_its_user_from_the_server_s_environment(store, monkeypatch):
    monkeypatch.setenv("HEHU_ROLE", "unit")
    monkeypatch.setenv("HEHU_UNIT", "police")
    monkeypatch.setenv("HEHU_USER", "公安王")
    page = build_cycle_page(store.url, {"role": "staff", "unit": "fed"})  # the URL changes nothing
    assert page.state.actor == POLICE
    assert forms(page.view) == {"hehu-answer-form"}


def test_a_unit_user_without_a_unit_gets_a_chinese_error_page(store, monkeypatch):
    monkeypatch.setenv("HEHU_ROLE", "unit")
    monkeypatch.delenv("HEHU_UNIT", raising=False)
    monkeypatch.setenv("HEHU_USER", "无单位")
    page = build_cycle_page(store.url, {})
    assert "承办单位用户没有所属单位" in page.children[-1].value


def test_the_forum_shows_how_each_unit_answered_once_something_was_assigned(store):
    from hehu.oversight import cycle
    from widgets.pages.forum import build_forum_page

    def units_table(page) -> str:
        return "".join(
            c.value
            for c in page.view.children
            if 'data-hehu="forum-units"' in str(getattr(c, "value", ""))
        )

    assert units_table(build_forum_page(store.url, {})) == ""  # nothing assigned yet
    cycle.assign(store, "rec1", {"police": LATER}, actor=STAFF)
    cycle.answer(store, "rec1", actor=POLICE, status="in_progress", response="已部署走访")
    cycle.rate(store, "rec1", "police", actor=DEPUTY, rating="basically", comment="")
    table = units_table(build_forum_page(store.url, {}))
    assert "县公安局" in table and "基本满意" in table and "满意率" in table
    assert "100%" in table  # 基本满意 counts as satisfied: 1 of 1


def test_a_deputy_links_a_finding_to_its_recommendation_and_marks_it_addressed(store):
    from hehu.figures.metrics import Period, load_records
    from hehu.oversight.briefing import build_briefing

    store.write(
        {"finding": [{"finding_id": "i1-F1", "inspection_id": "i1", "place_code": T,
                      "text": "走访台账不全"}]}
    )  # fmt: skip
    briefing = build_briefing(load_records(store), T, Period.year(2022), "deputy")
    assert briefing.findings["text"].tolist() == ["走访台账不全"]  # carried forward
    deputy = view_of(store, DEPUTY)
    assert deputy.finding.value == "i1-F1"
    assert [o for _label, o in deputy.finding_rec.options] == ["", "rec1", "rec2", "rec3"]
    deputy.finding_rec.value = "rec1"
    deputy.addressed.value = True
    deputy.submit_finding.click()
    assert saved(deputy), deputy.message.value
    row = store.read("finding").set_index("finding_id").loc["i1-F1"]
    assert row["rec_id"] == "rec1" and not pd.isna(row["addressed_at"])
    assert "已解决" in deputy.finding.options[0][0]
    briefing = build_briefing(load_records(store), T, Period.year(2026), "deputy")
    assert briefing.findings.empty  # addressed: no longer carried forward
    assert "张代表" in set(store.read("audit_log")["actor"])
    police = view_of(store, POLICE)
    assert "hehu-finding-form" not in forms(police)  # a unit does not mark findings
