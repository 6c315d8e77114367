"""The oversight cycle in the domain (hehu/oversight/cycle.py), on SQLite and PostgreSQL: a
recommendation assigned to units with deadlines, answered by its units only, rated by deputies
(不满意 reopens it with a new deadline), closed by deputies or staff; every step a history row
naming its actor and an audit-log entry; two units answering at once from two processes both
keep their answer; the per-unit summary."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import re

import pandas as pd
import pytest
import sqlalchemy as sa

from hehu.errors import HehuError
from hehu.figures.metrics import load_records
from hehu.i18n import audit_text
from hehu.oversight import cycle
from hehu.oversight.cycle import Actor
from hehu.records.schema import audit_log
from hehu.records.store import open_store
from hehu.render.units import unit_summary_html

pytest_plugins = ["test_import_support"]  # fixtures: store (of db_url), home

COUNTY, TOWN = "320826000000", "320826100000"
REC, REC2 = "REC-2022-05-18-1", "REC-2022-05-18-2"

ROWS = {
    "place": [
        {"code": COUNTY, "name": "涟水县", "short_name": "涟水", "level": "county",
         "parent_code": None, "key_village": False, "coord_quality": "none"},
        {"code": TOWN, "name": "高沟镇", "short_name": "高沟", "level": "town",
         "parent_code": COUNTY, "key_village": False, "coord_quality": "none"},
    ],
    "org": [
        {"org_id": "fed_county", "name": "涟水县妇联", "kind": "federation", "level": "county",
         "place_code": COUNTY},
        {"org_id": "agency_police", "name": "涟水县公安局", "kind": "agency", "level": "county",
         "place_code": COUNTY},
        {"org_id": "agency_procuratorate", "name": "涟水县人民检察院", "kind": "agency",
         "level": "county", "place_code": COUNTY},
        {"org_id": f"gov_{TOWN}", "name": "高沟镇人民政府", "kind": "agency", "level": "town",
         "place_code": TOWN},
        {"org_id": "studio_xiaoyudi", "name": "小雨滴工作室", "kind": "studio", "level": "county",
         "place_code": COUNTY},
    ],
    "inspection": [{"inspection_id": "INS-2022-05-18", "date": dt.date(2022, 5, 18),
                    "committee": "县人大常委会教科文卫委", "places": TOWN}],
    "recommendation": [
        {"rec_id": REC, "inspection_id": "INS-2022-05-18", "place_code": TOWN,
         "text": "建立强制报告台账", "status": "open", "response": ""},
        {"rec_id": REC2, "inspection_id": "INS-2022-05-18", "place_code": TOWN,
         "text": "加强反家暴宣传", "status": "open", "response": ""},
    ],
}  # fmt: skip

DEPUTY = Actor("wang_deputy", "deputy")
DEPUTY2 = Actor("li_deputy", "deputy")
STAFF = Actor("zhao_staff", "staff")
POLICE = Actor("gaj", "unit", "agency_police")
PROCURATORATE = Actor("jcy", "unit", "涟水县人民检察院")  # a unit named by its name
TOWN_GOV = Actor("gaogou", "unit", f"gov_{TOWN}")
PRESENTER = Actor("show", "presenter")


def at(day: int, hour: int = 2) -> dt.datetime:
    """A UTC time in June 2022 (10:00 Beijing time at hour 2)."""
    return dt.datetime(2022, 6, day, hour)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    """The store of `ROWS`, on SQLite and PostgreSQL (`store` opens it: test_import_support)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'cycle.sqlite'}"
    else:
        url = request.getfixturevalue("pg_url")
    store = open_store(url)
    store.write(ROWS)
    store.engine.dispose()
    return url


def entries(store, rec_id=REC) -> list[tuple]:
    h = store.read("recommendation_update")
    h = h[h["rec_id"] == rec_id].sort_values("at", kind="stable")
    none = lambda v: None if pd.isna(v) else v  # noqa: E731
    return [
        (r.kind, r.actor, none(r.org_id), r.status, none(r.rating),
         none(r.due_date) and r.due_date.date(), r.response, none(r.comment))
        for r in h.itertuples()
    ]  # fmt: skip


def audits(store) -> list[tuple[str, str]]:
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(audit_log.c.actor, audit_log.c.what).order_by(audit_log.c.id))
        return [(actor, audit_text(what)) for actor, what in rows]


def test_the_whole_cycle_with_its_history_and_actors(store):
    cycle.assign(
        store, REC, {"agency_police": "2022-08-31", "涟水县人民检察院": dt.date(2022, 9, 30)},
        actor=DEPUTY, now=at(1),
    )  # fmt: skip
    rec = store.read("recommendation").set_index("rec_id").loc[REC]
    # the first unit is the responsible organisation, the latest deadline the recommendation's
    assert (rec["responsible_org"], rec["due_date"]) == ("agency_police", pd.Timestamp(2022, 9, 30))
    cycle.answer(store, REC, actor=POLICE, status="in_progress", response="已建台账", now=at(2))
    assert store.read("recommendation").set_index("rec_id").loc[REC, "status"] == "in_progress"
    cycle.answer(
        store, REC, actor=PROCURATORATE, status="cannot", response="职能不符",
        reason="强制报告由公安机关受理", now=at(3),
    )  # fmt: skip
    reopened = cycle.rate(
        store, REC, "agency_police", actor=DEPUTY, rating="unsatisfied", comment="台账不全",
        new_due_date="2022-10-31", now=at(4),
    )  # fmt: skip
    assert len(reopened) == 2
    units = store.read("recommendation_unit").set_index("org_id")
    assert units.loc["agency_police", "due_date"] == pd.Timestamp(2022, 10, 31)
    assert store.read("recommendation").set_index("rec_id").loc[REC, "due_date"] == pd.Timestamp(
        2022, 10, 31
    )
    # not answered since it was reopened: nothing to rate, nothing to close
    with pytest.raises(HehuError, match="尚未就意见建议"):
        cycle.rate(store, REC, "agency_police", actor=DEPUTY2, rating="satisfied", now=at(5))
    with pytest.raises(HehuError, match="涟水县公安局 尚未答复"):
        cycle.close(store, REC, actor=STAFF, now=at(5))
    cycle.answer(store, REC, actor=POLICE, status="done", response="台账已补全", now=at(6))
    cycle.rate(store, REC, "agency_police", actor=DEPUTY, rating="satisfied", now=at(7))
    with pytest.raises(HehuError, match="已测评"):
        cycle.rate(store, REC, "agency_police", actor=DEPUTY, rating="satisfied", now=at(7))
    cycle.rate(store, REC, "agency_procuratorate", actor=DEPUTY2, rating="basically",
               comment="理由充分", now=at(8))  # fmt: skip
    cycle.close(store, REC, actor=STAFF, now=at(9))
    assert entries(store) == [
        ("assign", "wang_deputy", "agency_police", "open", None, dt.date(2022, 8, 31), "", None),
        ("assign", "wang_deputy", "agency_procuratorate", "open", None, dt.date(2022, 9, 30), "",
         None),
        ("answer", "gaj", "agency_police", "in_progress", None, None, "已建台账", None),
        ("answer", "jcy", "agency_procuratorate", "cannot", None, None, "职能不符",
         "强制报告由公安机关受理"),
        ("rate", "wang_deputy", "agency_police", "in_progress", "unsatisfied", None, "", "台账不全"),
        ("reopen", "wang_deputy", "agency_police", "open", None, dt.date(2022, 10, 31), "",
         "台账不全"),
        ("answer", "gaj", "agency_police", "done", None, None, "台账已补全", None),
        ("rate", "wang_deputy", "agency_police", "done", "satisfied", None, "", None),
        ("rate", "li_deputy", "agency_procuratorate", "cannot", "basically", None, "", "理由充分"),
        ("close", "zhao_staff", None, "done", None, None, "", None),
    ]  # fmt: skip
    rec = store.read("recommendation").set_index("rec_id").loc[REC]
    assert (rec["status"], rec["response"]) == ("done", "台账已补全")
    # every change in the audit log, naming the person
    assert audits(store) == [
        ("wang_deputy", f"建议 {REC} 交办给 涟水县公安局、涟水县人民检察院"),
        ("gaj", f"涟水县公安局 答复建议 {REC}：办理中"),
        ("jcy", f"涟水县人民检察院 答复建议 {REC}：不能办结"),
        ("wang_deputy", f"测评 涟水县公安局 对建议 {REC} 的答复：不满意"),
        ("gaj", f"涟水县公安局 答复建议 {REC}：已办结"),
        ("wang_deputy", f"测评 涟水县公安局 对建议 {REC} 的答复：满意"),
        ("li_deputy", f"测评 涟水县人民检察院 对建议 {REC} 的答复：基本满意"),
        ("zhao_staff", f"建议 {REC} 办结：已办结"),
    ]
    # closed: nobody changes it any more, but deputies or staff may reopen it
    for change in (
        lambda: cycle.answer(store, REC, actor=POLICE, status="done", response="再答复"),
        lambda: cycle.rate(store, REC, "agency_police", actor=DEPUTY2, rating="satisfied"),
        lambda: cycle.close(store, REC, actor=DEPUTY),
        lambda: cycle.assign(store, REC, {f"gov_{TOWN}": "2022-12-31"}, actor=DEPUTY),
    ):
        with pytest.raises(HehuError, match="已办结"):
            change()
    cycle.reopen(store, REC, "agency_police", actor=STAFF, new_due_date="2022-12-31", now=at(10))
    assert store.read("recommendation").set_index("rec_id").loc[REC, "status"] == "in_progress"

    # the state of each assignment and the per-unit summary
    records = load_records(store)
    a = cycle.assignments(records, as_of=dt.date(2022, 11, 1)).set_index("org_id")
    assert a.loc["agency_police", ["state", "answer_status", "first_on_time"]].tolist() == [
        "open", "done", True
    ]  # fmt: skip
    assert a.loc["agency_procuratorate", ["state", "rating", "reason"]].tolist() == [
        "answered", "basically", "强制报告由公安机关受理"
    ]  # fmt: skip
    summary = cycle.unit_summary(records, role="deputy", as_of=dt.date(2022, 11, 1))
    assert summary.loc["agency_police"].tolist() == ["涟水县公安局", 1, 1, 1, 0, 1, 0, 1, 0.5]
    assert summary.loc["agency_procuratorate"].tolist() == [
        "涟水县人民检察院", 1, 1, 1, 0, 0, 1, 0, 1.0
    ]  # fmt: skip
    assert list(summary.columns) == ["unit", *cycle.SUMMARY_COLUMNS]


def test_a_reopening_s_deadline_is_not_already_past(store):
    """A reopening before any answer took 1999-01-01, then 1998-01-01: overdue at once (an audit,
    2026-12-03). Its new deadline is the day of the reopening at the earliest."""
    cycle.assign(store, REC2, {"fed_county": "2022-06-30"}, actor=STAFF, now=at(1))
    for past in ("1999-01-01", "2022-06-09"):
        with pytest.raises(HehuError, match=f"办理期限 {past} 早于 2022-06-10"):
            cycle.reopen(store, REC2, "fed_county", actor=STAFF, new_due_date=past, now=at(10))
    cycle.reopen(store, REC2, "fed_county", actor=STAFF, new_due_date="2022-06-10", now=at(10))


def test_answers_late_and_overdue_units_in_the_summary(store):
    cycle.assign(store, REC2, {f"gov_{TOWN}": "2022-06-10", "fed_county": "2022-06-10"},
                 actor=STAFF, now=at(1))  # fmt: skip
    # 2022-06-10 23:30 Beijing time is 15:30 UTC: still on time on the county's clock
    cycle.answer(store, REC2, actor=TOWN_GOV, status="done", response="已开展", now=at(10, 15))
    records = load_records(store)
    summary = cycle.unit_summary(records, role="presenter", as_of=dt.date(2022, 6, 11))
    assert summary.loc[f"gov_{TOWN}", ["answered", "answered_on_time", "overdue"]].tolist() == [
        1, 1, 0
    ]  # fmt: skip
    assert summary.loc["fed_county", ["answered", "answered_on_time", "overdue"]].tolist() == [
        0, 0, 1
    ]  # fmt: skip
    assert pd.isna(summary.loc["fed_county", "satisfaction_rate"])
    # 16:30 UTC is the next day in Beijing: late
    cycle.answer(store, REC2, actor=Actor("fed", "unit", "fed_county"), status="in_progress",
                 response="推进中", now=at(10, 17))  # fmt: skip
    summary = cycle.unit_summary(load_records(store), as_of=dt.date(2022, 6, 11))
    assert summary.loc["fed_county", ["answered", "answered_on_time", "overdue"]].tolist() == [
        1, 0, 0
    ]  # fmt: skip


def test_who_may_do_what(store):
    cycle.assign(store, REC, {"agency_police": "2022-08-31"}, actor=DEPUTY, now=at(1))
    cycle.assign(store, REC2, {"agency_procuratorate": "2022-08-31"}, actor=STAFF, now=at(1))
    before = (entries(store), entries(store, REC2), audits(store))

    # a unit cannot see or answer another unit's recommendations
    records = load_records(store)
    assert cycle.visible_recommendations(records, POLICE)["rec_id"].tolist() == [REC]
    assert cycle.visible_recommendations(records, PROCURATORATE)["rec_id"].tolist() == [REC2]
    assert cycle.visible_recommendations(records, TOWN_GOV).empty
    assert len(cycle.visible_recommendations(records, DEPUTY)) == 2
    with pytest.raises(HehuError, match="没有交办给本单位"):
        cycle.history(records, REC2, POLICE)
    assert cycle.history(records, REC, POLICE)["org_id"].tolist() == ["agency_police"]
    with pytest.raises(HehuError, match="没有交办给本单位"):
        cycle.answer(store, REC2, actor=POLICE, status="done", response="x")
    with pytest.raises(HehuError, match="没有交办给本单位"):
        cycle.answer(store, "REC-NONE", actor=POLICE, status="done", response="x")
    # only a unit answers: not a deputy, staff or administrator
    for actor in (DEPUTY, STAFF, Actor("root", "admin"), PRESENTER):
        with pytest.raises(HehuError, match="不能答复意见建议"):
            cycle.answer(store, REC, actor=actor, status="done", response="x")
    # a unit cannot assign, close, reopen or rate
    with pytest.raises(HehuError, match="承办单位不能交办"):
        cycle.assign(store, REC, {f"gov_{TOWN}": "2022-08-31"}, actor=POLICE)
    with pytest.raises(HehuError, match="承办单位不能办结"):
        cycle.close(store, REC, actor=POLICE)
    with pytest.raises(HehuError, match="承办单位不能重新交办"):
        cycle.reopen(store, REC, "agency_police", actor=POLICE, new_due_date="2022-12-31")
    with pytest.raises(HehuError, match="承办单位不能测评"):
        cycle.rate(store, REC, "agency_police", actor=POLICE, rating="satisfied")
    # staff and presenters do not rate; presenters change nothing
    with pytest.raises(HehuError, match="不能测评"):
        cycle.rate(store, REC, "agency_police", actor=STAFF, rating="satisfied")
    with pytest.raises(HehuError, match="汇报演示不能交办"):
        cycle.assign(store, REC, {f"gov_{TOWN}": "2022-08-31"}, actor=PRESENTER)
    # a unit of a wrong name, a unit on another role, no unit, an unknown role, no name
    for actor, message in (
        (Actor("x", "unit", "涟水县民政局"), "不是承办单位"),
        (Actor("x", "unit", "studio_xiaoyudi"), "不是承办单位"),  # an org, but not a unit
        (Actor("x", "unit", None), "没有所属单位"),
        (Actor("x", "deputy", "agency_police"), "只有承办单位用户"),
        (Actor("x", "mayor"), "未知的角色"),
        (Actor("", "unit", "agency_police"), "未登录"),
    ):
        with pytest.raises(HehuError, match=message):
            cycle.answer(store, REC, actor=actor, status="done", response="x")
    # what a unit's answer must say
    with pytest.raises(HehuError, match="不能办结须说明理由"):
        cycle.answer(store, REC, actor=POLICE, status="cannot", response="x")
    with pytest.raises(HehuError, match="请填写办理情况"):
        cycle.answer(store, REC, actor=POLICE, status="done", response="  ")
    with pytest.raises(HehuError, match="未知的办理状态"):
        cycle.answer(store, REC, actor=POLICE, status="open", response="x")
    # what an assignment must say
    with pytest.raises(HehuError, match="已交办给 涟水县公安局"):
        cycle.assign(store, REC, {"agency_police": "2022-09-30"}, actor=DEPUTY)
    with pytest.raises(HehuError, match="请为 高沟镇人民政府 填写办理期限"):
        cycle.assign(store, REC, {f"gov_{TOWN}": None}, actor=DEPUTY)
    with pytest.raises(HehuError, match="早于 2022-05-18"):
        cycle.assign(store, REC, {f"gov_{TOWN}": "2022-05-01"}, actor=DEPUTY)
    with pytest.raises(HehuError, match="不是承办单位"):
        cycle.assign(store, REC, {"studio_xiaoyudi": "2022-09-30"}, actor=DEPUTY)
    # nothing refused left a trace
    assert (entries(store), entries(store, REC2), audits(store)) == before
    # 不满意 needs a new deadline
    cycle.answer(store, REC, actor=POLICE, status="done", response="已办", now=at(2))
    with pytest.raises(HehuError, match="新的办理期限"):
        cycle.rate(store, REC, "agency_police", actor=DEPUTY, rating="unsatisfied")
    assert entries(store)[len(before[0]) :] == [
        ("answer", "gaj", "agency_police", "done", None, None, "已办", None)
    ]


def _answer_at_once(url: str, actor: Actor, barrier, text: str) -> None:
    store = open_store(url)
    barrier.wait(timeout=60)
    cycle.answer(store, REC, actor=actor, status="in_progress", response=text)
    store.engine.dispose()


def test_two_units_answering_at_once_from_two_processes_both_keep_their_answer(db_url):
    store = open_store(db_url)
    cycle.assign(store, REC, {"agency_police": "2022-08-31", "agency_procuratorate": "2022-08-31"},
                 actor=DEPUTY, now=at(1))  # fmt: skip
    store.engine.dispose()
    context = multiprocessing.get_context("spawn")
    for round_ in range(3):
        barrier = context.Barrier(2)
        workers = [
            context.Process(
                target=_answer_at_once, args=(db_url, actor, barrier, f"{name}{round_}")
            )
            for actor, name in ((POLICE, "公安"), (PROCURATORATE, "检察"))
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
            assert worker.exitcode == 0
    store = open_store(db_url)
    answers = [e for e in entries(store) if e[0] == "answer"]
    assert sorted((e[1], e[6]) for e in answers) == sorted(
        (who, f"{name}{r}") for r in range(3) for who, name in (("gaj", "公安"), ("jcy", "检察"))
    )
    records = load_records(store)
    a = cycle.assignments(records).set_index("org_id")
    assert a.loc["agency_police", "answer"] == "公安2"
    assert a.loc["agency_procuratorate", "answer"] == "检察2"
    assert sum("答复建议" in text for _, text in audits(store)) == 6
    store.engine.dispose()


def test_units_are_organisations_named_by_id_or_name(store):
    orgs = store.read("org")
    units = cycle.units_frame(orgs)
    # county units first, by name; then the towns'
    assert units["name"].tolist() == sorted(units["name"][:3]) + ["高沟镇人民政府"]
    assert set(units["org_id"]) == {
        "agency_police", "agency_procuratorate", "fed_county", f"gov_{TOWN}"
    }  # fmt: skip
    assert cycle.unit_id(orgs, "涟水县人民检察院") == "agency_procuratorate"
    assert cycle.unit_id(orgs, " agency_police ") == "agency_police"
    assert cycle.unit_id(orgs, "检察院") == "agency_procuratorate"
    for wrong in ("小雨滴工作室", "", "局 "):
        with pytest.raises(HehuError, match="不是承办单位"):
            cycle.unit_id(orgs, wrong)
    two = pd.concat([orgs, orgs.assign(org_id="fed_town", name="高沟镇妇联", level="town").head(1)])
    assert cycle.unit_id(two, "高沟镇妇联") == "fed_town"
    with pytest.raises(HehuError, match="不是承办单位"):
        cycle.unit_id(two, "妇联")  # two units end so: neither is meant


def test_a_unit_user_names_a_unit_stored_by_its_id(store):
    from hehu import accounts

    password = "correct horse battery"
    user = accounts.add_user(store, "jcy", password, role="unit", unit="涟水县人民检察院")
    assert user.unit == "agency_procuratorate"
    assert accounts.add_user(store, "gaj", password, role="unit", unit="agency_police").unit == (
        "agency_police"
    )
    assert accounts.add_user(store, "gaj2", password, role="unit", unit="公安局").unit == (
        "agency_police"
    )  # the one unit whose name ends so
    for wrong in ("民政局", "小雨滴工作室", "studio_xiaoyudi"):
        with pytest.raises(HehuError, match="不是承办单位") as refused:
            accounts.add_user(store, "x", password, role="unit", unit=wrong)
        assert "涟水县公安局" in refused.value.zh
    assert [u.name for u in accounts.list_users(store)] == ["gaj", "gaj2", "jcy"]
    # the signed-in user acts as the unit stored
    cycle.assign(store, REC, {"agency_procuratorate": "2022-08-31"}, actor=DEPUTY, now=at(1))
    cycle.answer(store, REC, actor=Actor.of_user(user), status="done", response="已办", now=at(2))
    assert entries(store)[-1][:3] == ("answer", "jcy", "agency_procuratorate")


def test_a_finding_linked_to_a_recommendation_and_marked_addressed(store):
    store.write(
        {"finding": [{"finding_id": "FND-1", "inspection_id": "INS-2022-05-18",
                      "place_code": TOWN, "text": "台账不全"}]}
    )  # fmt: skip
    for actor in (POLICE, PRESENTER):
        with pytest.raises(HehuError, match="不能更改视察发现的问题"):
            cycle.update_finding(store, "FND-1", actor=actor, rec_id=REC)
    with pytest.raises(HehuError, match="未找到意见建议"):
        cycle.update_finding(store, "FND-1", actor=STAFF, rec_id="REC-NONE")
    with pytest.raises(HehuError, match="未找到视察发现的问题"):
        cycle.update_finding(store, "FND-NONE", actor=STAFF, rec_id=REC)
    cycle.update_finding(store, "FND-1", actor=STAFF, rec_id=REC)
    cycle.update_finding(store, "FND-1", actor=DEPUTY, addressed=True, now=at(5))
    row = store.read("finding").iloc[0]
    assert (row["rec_id"], row["addressed_at"]) == (REC, pd.Timestamp(at(5)))
    cycle.update_finding(store, "FND-1", actor=DEPUTY, rec_id="", addressed=False)
    row = store.read("finding").iloc[0]
    assert pd.isna(row["rec_id"]) and pd.isna(row["addressed_at"])
    assert audits(store) == [
        ("zhao_staff", f"视察发现的问题 FND-1：关联建议 {REC}，未解决"),
        ("wang_deputy", f"视察发现的问题 FND-1：关联建议 {REC}，已解决"),
        ("wang_deputy", "视察发现的问题 FND-1：关联建议 无，未解决"),
    ]


def test_a_recommendation_assigned_to_no_unit_cannot_be_closed_as_done(store):
    # 已办结 says the units did it: with none assigned, nobody answered for it. 不能办结, with
    # its reason, stays open to staff (a recommendation beyond the county's power).
    with pytest.raises(HehuError, match="尚未交办给任何承办单位，不能标为已办结"):
        cycle.close(store, REC, actor=STAFF, now=at(5))
    assert store.read("recommendation").set_index("rec_id").loc[REC, "status"] == "open"
    cycle.close(store, REC, actor=STAFF, status="cannot", comment="超出县级职权", now=at(5))
    cycle.assign(store, REC2, {"agency_police": "2022-08-31"}, actor=DEPUTY, now=at(5))
    cycle.answer(store, REC2, actor=POLICE, status="done", response="已建立台账", now=at(6))
    cycle.close(store, REC2, actor=STAFF, now=at(7))
    statuses = store.read("recommendation").set_index("rec_id")["status"]
    assert statuses.to_dict() == {REC: "cannot", REC2: "done"}


def test_each_figure_of_the_unit_table_stands_under_its_own_heading(store):
    """Headings aligned as their figures are (the forum's, left over right-aligned figures, put
    each figure under the next column's heading)."""
    cycle.assign(store, REC2, {"fed_county": "2022-06-10"}, actor=STAFF, now=at(1))
    html = unit_summary_html(cycle.unit_summary(load_records(store), as_of=dt.date(2022, 6, 11)))
    heads = ["num" in a for a in re.findall(r"<th(\s[^>]*)?>", html)]
    cells = ["num" in a for a in re.findall(r"<td(\s[^>]*)?>", html.split("</tr>")[1])]
    assert len(heads) == len(cells) > 2
    assert heads == cells == [False] + [True] * (len(cells) - 1)  # the unit's name left
