"""`hehu import` of recommendations assigns each to the organisation it names as responsible
(责任单位) when that organisation is a unit, with the deadline it carries, in the import's own
transaction: the answers page shows it assigned (not 待交办) and the unit can answer it. The
rule is `schema.first_unit`'s: only a recommendation with no unit yet is assigned, so a
re-import never undoes the cycle (a reopened deadline stays); one naming an association waits
for staff (tests/test_units_responsible.py). On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from test_import_support import write_book

from hehu.cli.main import main
from hehu.clock import local_today
from hehu.figures.metrics import load_records
from hehu.oversight import cycle
from hehu.oversight.cycle import Actor
from hehu.records.gazetteer import load_gazetteer
from hehu.records.store import open_store

pytest_plugins = ["test_import_support"]  # fixtures: home, store (of db_url)

POLICE_NAME = "涟水县公安局"
DUE = dt.date(2022, 12, 31)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path, home):
    """A store with the gazetteer, on SQLite and PostgreSQL (`store` opens it)."""
    url = (
        f"sqlite:///{tmp_path / 'units.sqlite'}"
        if request.param == "sqlite"
        else request.getfixturevalue("pg_url")
    )
    store = open_store(url)
    load_gazetteer(store)
    store.engine.dispose()
    return url


def register(path, recommendations: list[list]):
    """A workbook of a county agency, an inspection and its recommendations."""
    return write_book(
        path,
        {
            "组织": [
                ["组织名称", "类型", "层级", "所在地"],
                [POLICE_NAME, "部门", "县级", "涟水县"],
            ],
            "视察": [
                ["视察编号", "日期", "委员会", "视察地点", "摘要"],
                ["INS-2022-05-18", "2022-05-18", "县人大常委会教科文卫委", "涟水县", "视察"],
            ],
            "意见建议": [
                ["建议编号", "视察", "地点", "内容", "责任单位", "办理期限"],
                *recommendations,
            ],
        },
    )


RECS = [
    ["R1", "INS-2022-05-18", "涟水县", "建立强制报告台账", POLICE_NAME, "2022-12-31"],
    ["R2", "INS-2022-05-18", "涟水县", "加强宣传", None, None],
]


def units(store) -> list[tuple]:
    rows = store.read("recommendation_unit").sort_values(["rec_id", "org_id"])
    return [(r.rec_id, r.org_id, r.due_date.date(), r.assigned_by) for r in rows.itertuples()]


def police_id(store) -> str:
    orgs = store.read("org")
    return orgs.loc[orgs["name"] == POLICE_NAME, "org_id"].item()


def test_an_imported_recommendation_is_assigned_to_its_responsible_organisation(
    store, db_url, tmp_path, capsys
):
    path = register(tmp_path / "建议.xlsx", RECS)
    assert main(["import", str(path), "--db", db_url, "--dry-run"]) == 0
    assert units(store) == []  # a dry run writes nothing
    audits = len(store.read("audit_log"))
    assert main(["import", str(path), "--db", db_url, "--actor", "李干事"]) == 0
    assert "交办" in capsys.readouterr().out  # the summary says what it assigned
    police = police_id(store)
    assert units(store) == [("R1", police, DUE, "李干事")]
    # the cycle sees R1 assigned and waiting for the police's answer; R2 names nobody
    a = cycle.assignments(load_records(store))
    assert a[["rec_id", "org_id", "state"]].values.tolist() == [["R1", police, "open"]]
    assert a["due_date"].tolist() == [DUE]
    audit = store.read("audit_log").iloc[audits:]
    assert audit["action"].tolist() == ["import"]  # one transaction, one audit entry
    cycle.answer(store, "R1", actor=Actor("公安王", "unit", police), status="done", response="已建")


def test_a_reimport_never_undoes_the_cycle(store, db_url, tmp_path):
    path = register(tmp_path / "建议.xlsx", RECS)
    assert main(["import", str(path), "--db", db_url]) == 0
    police = police_id(store)
    answer = Actor("公安王", "unit", police)
    cycle.answer(store, "R1", actor=answer, status="in_progress", response="办理中")
    later = local_today() + dt.timedelta(days=60)
    cycle.reopen(store, "R1", police, actor=Actor("张代表", "deputy"), new_due_date=later)
    assert main(["import", str(path), "--db", db_url]) == 0
    assert [(u[0], u[1], u[2]) for u in units(store)] == [("R1", police, later)]


def test_a_recommendation_imported_without_its_unit_is_assigned_when_imported_again(
    store, db_url, tmp_path
):
    path = register(tmp_path / "建议.xlsx", RECS)
    assert main(["import", str(path), "--db", db_url]) == 0
    with store.engine.begin() as conn:  # as an import before this rule left it
        conn.exec_driver_sql("DELETE FROM recommendation_unit")
    assert main(["import", str(path), "--db", db_url, "--actor", "李干事"]) == 0
    assert units(store) == [("R1", police_id(store), DUE, "李干事")]
