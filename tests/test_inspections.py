"""Inspections and recommendations: one transaction a save, follow-up with history, the place's
open and overdue recommendations, concurrent writers in several OS processes, and the page."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import re

import ipywidgets as w
import pandas as pd
import pytest
import sqlalchemy as sa
from hehu_fixtures import V1, C, S, T, small_records

from hehu.clock import local_today
from hehu.errors import HehuError, InvalidRecord
from hehu.figures.metrics import load_records
from hehu.oversight import cycle
from hehu.oversight.inspections import (
    findings_of,
    inspections_frame,
    recommendation_history,
    recommendations_for_place,
    record_inspection,
    validate_inspection,
)
from hehu.records.schema import SCHEMA_VERSION
from hehu.records.store import open_store

D = dt.date


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def audit_rows(store) -> pd.DataFrame:
    with store.engine.connect() as conn:
        return pd.read_sql_table("audit_log", conn)


def save_example(store, **changes) -> str:
    values = {
        "date": D(2022, 6, 1),
        "committee": "县人大常委会教科文卫委",
        "deputies": "工委委员、人大代表",
        "places": [T],
        "orgs": ["st_t"],
        "summary": "视察甲镇维权站",
        "findings": ["值班表未上墙", {"text": "一村无调解员", "place_code": V1}],
        "recommendations": [
            {"text": "建立值班制度", "responsible_org": "st_t", "due_date": D(2022, 7, 1)},
            {"text": "为一村配备调解员", "place_code": V1, "due_date": "2022-09-01"},
        ],
    }
    values.update(changes)
    return record_inspection(store, load_records(store), **values, actor="deputy")


# --------------------------------------------------------------------------- recording


def test_an_inspection_is_saved_whole_with_findings_and_recommendations(small_store):
    before = small_store.data_version()
    inspection_id = save_example(small_store)
    assert small_store.data_version() == before + 1  # one write, one transaction
    assert re.fullmatch(r"INS-2022-06-01-[0-9a-f]{12}", inspection_id)
    records = load_records(small_store)
    row = records["inspection"].set_index("inspection_id").loc[inspection_id]
    assert row["places"] == T and row["orgs"] == "st_t" and row["committee"].startswith("县人大")
    findings = findings_of(records, inspection_id)
    assert findings["text"].tolist() == ["值班表未上墙", "一村无调解员"]
    assert findings["place_code"].tolist() == [T, V1]  # no place given: the first place
    recs = records["recommendation"]
    recs = recs[recs["inspection_id"] == inspection_id].sort_values("rec_id")
    assert recs["place_code"].tolist() == [T, V1]
    assert recs["status"].tolist() == ["open", "open"]
    assert recs["due_date"].tolist() == [pd.Timestamp(2022, 7, 1), pd.Timestamp(2022, 9, 1)]
    audit = audit_rows(small_store)
    assert audit["actor"].tolist() == ["deputy"] and inspection_id in audit["what"].iloc[0]
    listed = inspections_frame(records).set_index("inspection_id").loc[inspection_id]
    assert (listed["findings"], listed["recommendations"], listed["place_names"]) == (2, 2, "甲镇")


def test_validation_names_every_problem_in_chinese_and_nothing_is_written(small_store):
    records = load_records(small_store)
    problems = validate_inspection(
        records,
        date=D(2022, 6, 1),
        committee=" ",
        places=[],
        orgs=[],
        recommendations=[
            {"text": ""},
            {"text": "x", "due_date": D(2022, 5, 1), "responsible_org": "nobody"},
        ],
    )
    zh = [p[0] for p in problems]
    assert zh == [
        "请填写组织视察的委员会",
        "请至少选择一个视察地点或组织",
        "第 1 条意见建议未填写内容",
        "第 2 条意见建议的责任单位未知",
        "第 2 条意见建议的办理期限早于视察日期",
    ]
    future = validate_inspection(
        records, date=local_today() + dt.timedelta(days=1), committee="c", places=[T]
    )
    assert [p[0] for p in future] == ["视察日期不能晚于今天"]
    assert [p[0] for p in validate_inspection(records, date=None, committee="c", places=["x"])] == [
        "请填写视察日期",
        "未知的地点代码：x",
    ]
    before = (small_store.count("inspection"), small_store.count("recommendation"))
    with pytest.raises(InvalidRecord, match="请填写组织视察的委员会"):
        save_example(small_store, committee="")
    assert (small_store.count("inspection"), small_store.count("recommendation")) == before


def test_open_and_overdue_recommendations_of_a_place_above_and_below(small_store):
    records = load_records(small_store)
    # at V1: rec1 on its town (due 2022-09-30, open: overdue), rec2 on V1 itself
    at_v1 = recommendations_for_place(records, V1, as_of=D(2022, 12, 31))
    assert at_v1[["rec_id", "relation", "overdue"]].values.tolist() == [
        ["rec1", "above", True],
        ["rec2", "self", False],
    ]
    at_town = recommendations_for_place(records, T, as_of=D(2022, 12, 31))
    assert at_town[["rec_id", "relation"]].values.tolist() == [["rec1", "self"], ["rec2", "below"]]
    # rec3 is on the county but done: only listed when asked for everything
    assert recommendations_for_place(records, S, as_of=D(2022, 12, 31)).empty
    everything = recommendations_for_place(records, S, as_of=D(2022, 12, 31), open_only=False)
    assert everything[["rec_id", "relation", "overdue"]].values.tolist() == [
        ["rec3", "above", False]
    ]
    assert recommendations_for_place(records, V1, as_of=D(2022, 5, 1)).empty  # before it
    assert recommendations_for_place(records, C, as_of=D(2022, 12, 31))["rec_id"].tolist() == [
        "rec1",
        "rec2",
    ]


def test_the_demo_recommendations_show_on_a_town_after_their_due_date(demo_records):
    recs = recommendations_for_place(demo_records, "320826101000", as_of=D(2023, 1, 1))
    assert set(recs["rec_id"]) == {"REC-2022-05-18-1", "REC-2022-05-18-2"}
    assert recs["overdue"].all() and set(recs["relation"]) == {"above"}


def test_a_schema_2_database_gains_the_new_tables(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    store = open_store(url)
    with store.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE recommendation_update"))
        conn.execute(sa.text("DROP TABLE finding"))
        conn.execute(sa.text("UPDATE meta SET value = '2' WHERE key = 'schema_version'"))
    store.engine.dispose()
    reopened = open_store(url)
    assert reopened.schema_version() == SCHEMA_VERSION
    assert reopened.count("finding") == 0 and reopened.count("recommendation_update") == 0


# --------------------------------------------------------------------------- concurrency

WRITERS = 3
INSPECTIONS_EACH = 5
UNIT = cycle.Actor("妇联答复人", "unit", "fed")


def _assign_rec1(store) -> None:
    """rec1 assigned to the federation, which the writers then answer for."""
    cycle.assign(store, "rec1", {"fed": D(2022, 9, 30)}, actor=cycle.Actor("李干事", "staff"))


def _writer(url: str, n: int, start) -> None:
    """One 'Voila session': records inspections and answers the same recommendation."""
    store = open_store(url, create=False)
    start.wait(60)  # every process writes at the same moment
    for i in range(n):
        records = load_records(store)
        record_inspection(
            store,
            records,
            date=D(2022, 6, 1),
            committee=f"委员会 {i}",
            places=[T],
            findings=[f"发现 {i}"],
            recommendations=[{"text": f"建议 {i}-a"}, {"text": f"建议 {i}-b"}],
        )
        # the unit answers its recommendation again and again (hehu.oversight.cycle)
        cycle.answer(store, "rec1", actor=UNIT, status="in_progress", response=f"答复 {i}")
    store.engine.dispose()


def test_several_processes_write_at_once_and_no_write_is_lost(small_store):
    url = small_store.url
    _assign_rec1(small_store)
    before = {k: small_store.count(k) for k in ("inspection", "recommendation", "finding")}
    version = small_store.data_version()
    context = multiprocessing.get_context("spawn")  # fresh interpreters, like Voila kernels
    start = context.Event()
    workers = [
        context.Process(target=_writer, args=(url, INSPECTIONS_EACH, start)) for _ in range(WRITERS)
    ]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(120)
    assert [w.exitcode for w in workers] == [0] * WRITERS
    total = WRITERS * INSPECTIONS_EACH
    store = open_store(url, create=False)
    assert store.count("inspection") == before["inspection"] + total
    assert store.count("finding") == before["finding"] + total
    assert store.count("recommendation") == before["recommendation"] + 2 * total
    # every answer kept, and the assignment before them
    assert store.count("recommendation_update") == total + 1
    assert len(audit_rows(store)) == 2 * total + 1
    assert store.data_version() == version + 2 * total  # every write counted once
    ids = load_records(store)["inspection"]["inspection_id"]
    assert ids.is_unique


@pytest.mark.postgres
def test_concurrent_writers_on_postgresql(pg_url):
    store = open_store(pg_url)
    store.write(small_records())
    _assign_rec1(store)
    store.engine.dispose()
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    workers = [context.Process(target=_writer, args=(pg_url, 3, start)) for _ in range(2)]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(120)
    assert [w.exitcode for w in workers] == [0, 0]
    store = open_store(pg_url, create=False)
    try:
        assert store.count("inspection") == 1 + 6 and store.count("finding") == 6
        assert store.count("recommendation_update") == 6 + 1
        history = recommendation_history(load_records(store), "rec1")
        answers = history[history["kind"] == "answer"]
        assert sorted(answers["response"]) == sorted([f"答复 {i}" for i in range(3)] * 2)
    finally:
        store.engine.dispose()


# --------------------------------------------------------------------------- the page


def build_inspections_page(*args, **kwargs):
    # Imported here, not at the top: the writer processes above import this module, and
    # they should start as light as a kernel that only writes.
    from widgets.pages.inspections import build_inspections_page as build

    return build(*args, **kwargs)


def test_the_page_records_an_inspection_and_shows_chinese_validation(small_store, monkeypatch):
    monkeypatch.setenv("HEHU_ROLE", "deputy")
    page = build_inspections_page(small_store.url, params={})
    form = page.view.form
    before = small_store.count("inspection")
    form.committee.value = ""
    form.rec_rows[0].text.value = "x"
    form.rec_rows[0].due.value = D(2000, 1, 1)
    form.save.click()
    message = text(form.message.value)
    assert "请先改正以下问题" in message and "请填写组织视察的委员会" in message
    assert "请至少选择一个视察地点或组织" in message and "办理期限早于视察日期" in message
    assert small_store.count("inspection") == before

    form.date.value = D(2022, 6, 1)
    form.committee.value = "县人大常委会教科文卫委"
    form.places.value = (T,)
    assert form.rec_rows[0].place.value == T  # the row follows the first place chosen
    form.orgs.value = ("st_t",)
    form.summary.value = "视察甲镇维权站"
    form.findings.value = "值班表未上墙\n\n一村无调解员\n"
    form.rec_rows[0].due.value = D(2022, 7, 1)
    form.rec_rows[0].text.value = "建立值班制度"
    second = form.add_recommendation()
    second.text.value = "为一村配备调解员"
    second.place.value = V1
    second.org.value = "fed"
    form.add_recommendation()  # left blank: not a recommendation
    form.save.click()
    assert "已保存视察记录" in text(form.message.value)
    assert small_store.count("inspection") == before + 1
    records = load_records(small_store)
    new = records["recommendation"][records["recommendation"]["text"] == "为一村配备调解员"]
    assert new[["place_code", "responsible_org"]].values.tolist() == [[V1, "fed"]]
    assert "一村无调解员" in text(page.view.inspections.value)
    assert form.places.value == () and len(form.rec_rows) == 1  # ready for the next one


def test_the_page_shows_each_recommendation_s_cycle_and_leaves_acting_to_the_answers_page(
    small_store, monkeypatch
):
    monkeypatch.setenv("HEHU_ROLE", "staff")
    _assign_rec1(small_store)
    cycle.answer(small_store, "rec1", actor=UNIT, status="done", response="已建立走访台账")
    cycle.rate(
        small_store, "rec1", "fed", actor=cycle.Actor("张代表", "deputy"), rating="satisfied"
    )
    follow_up = build_inspections_page(small_store.url, params={"place": V1}).view.follow_up
    assert follow_up.place.value == V1
    table = follow_up.table.value
    assert 'data-rec="rec1"' in table and 'data-overdue="1"' in table and "逾期" in text(table)
    assert "县妇联：已答复：已办结 · 满意" in text(table)
    assert "交办答复页" in text(follow_up.children[4].value)
    assert 'href="cycle.ipynb"' in follow_up.children[4].value
    assert "县妇联" in text(follow_up.units.value) and "满意率" in text(follow_up.units.value)
    follow_up.pick.value = "rec1"
    history = text(follow_up.history.value)
    assert "李干事 · 交办" in history and "妇联答复人 · 答复 · 已办结：已建立走访台账" in history
    assert "张代表 · 满意度测评 · 满意" in history
    # nothing on this page changes a recommendation: the cycle is the answers page's
    assert not [c for c in follow_up.children if isinstance(c, w.Button)]


def test_two_sessions_see_each_others_writes_after_refresh(small_store, monkeypatch):
    monkeypatch.setenv("HEHU_ROLE", "deputy")
    first = build_inspections_page(small_store.url, params={}).view
    second = build_inspections_page(small_store.url, params={}).view
    for view, committee in ((first, "甲委员会"), (second, "乙委员会")):
        view.form.date.value = D(2022, 6, 1)
        view.form.committee.value = committee
        view.form.places.value = (T,)
        view.form.save.click()
    assert "甲委员会" not in first.inspections.value or "乙委员会" not in first.inspections.value
    first.follow_up.refresh.click()
    assert "甲委员会" in first.inspections.value and "乙委员会" in first.inspections.value


def test_a_unit_gets_no_inspections_and_records_none(small_store, monkeypatch):
    """A unit's clerk saw every unit's recommendations, answers and names here, could record an
    inspection and make every unit's 交办单 (an audit, 2026-12-03)."""
    save_example(small_store)
    monkeypatch.setenv("HEHU_ROLE", "unit")
    monkeypatch.setenv("HEHU_UNIT", "agency_police")
    page = build_inspections_page(small_store.url, params={})
    shown = text(" ".join(c.value for c in page.children if hasattr(c, "value")))
    assert "承办单位请在“交办答复”页" in shown and not hasattr(page, "view")
    assert not any(isinstance(c, w.Button) for c in _descendants(page))
    before = small_store.count("inspection")
    for role, unit in (("unit", "agency_police"), ("presenter", "")):
        monkeypatch.setenv("HEHU_ROLE", role)
        monkeypatch.setenv("HEHU_UNIT", unit)
        with pytest.raises(HehuError, match="不能记录视察"):
            save_example(small_store)
    assert small_store.count("inspection") == before


def _descendants(widget):
    for child in getattr(widget, "children", ()):
        yield child
        yield from _descendants(child)


def test_a_presenter_reads_but_does_not_write(small_store, monkeypatch):
    monkeypatch.setenv("HEHU_ROLE", "presenter")
    page = build_inspections_page(small_store.url, params={"lang": "en"})
    view = page.view
    assert view.form.layout.display == "none"
    notices = " ".join(c.value for c in view.children if hasattr(c, "value"))
    assert "can read but not record" in text(notices)
