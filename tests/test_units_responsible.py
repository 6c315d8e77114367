"""A recommendation is assigned (交办) outside the cycle only to a responsible organisation that
is a unit (承办单位: vocab.unit_org_ids, the one rule the cycle's units_frame also asks): one
naming an association stays unassigned, for staff to assign on the cycle's page, since no unit
user could ever answer it. So for each way a recommendation is written outside the cycle: an
import, the inspection form, the demo, the migration to schema 10; and the migration to 11 takes
back such an assignment a store already holds, unless the organisation answered it."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hehu_fixtures import T
from test_import_support import write_book
from test_schema_migration import V9_ROWS, _old_database

from hehu.cli.main import main
from hehu.errors import HehuError
from hehu.figures.metrics import load_records
from hehu.oversight import cycle
from hehu.oversight.cycle import Actor
from hehu.oversight.inspections import record_inspection
from hehu.records import vocab
from hehu.records.demo import build_demo
from hehu.records.gazetteer import load_gazetteer
from hehu.records.schema import SCHEMA_VERSION, first_unit, meta
from hehu.records.store import open_store

pytest_plugins = ["test_import_support"]  # fixtures: home

POLICE, LAWYERS = "涟水县公安局", "涟水县律师协会"
STAFF = Actor("李干事", "staff")
AT = dt.datetime(2022, 5, 18, 2)


def test_the_one_rule_of_which_organisations_are_units():
    orgs = [("p", "agency"), ("f", "federation"), ("a", "association"), ("s", "station")]
    assert vocab.unit_org_ids(orgs) == {"p", "f"}
    units = vocab.unit_org_ids(orgs)
    rec = {"rec_id": "R", "responsible_org": "a", "due_date": None}
    assert first_unit(rec, (), units=units, at=AT, by="") is None
    assert (
        first_unit({**rec, "responsible_org": "p"}, (), units=units, at=AT, by="")["org_id"] == "p"
    )
    frame = pd.DataFrame(
        [(i, i, k, "county") for i, k in orgs], columns=["org_id", "name", "kind", "level"]
    )
    assert set(cycle.units_frame(frame)["org_id"]) == units  # the cycle's units: the same


# --------------------------------------------------------------------------- import


@pytest.fixture
def db(tmp_path, home):
    url = f"sqlite:///{tmp_path / 'units.sqlite'}"
    store = open_store(url)
    load_gazetteer(store)
    yield url, store
    store.engine.dispose()


ORGS = [["组织名称", "类型", "层级", "所在地"],
        [POLICE, "部门", "县级", "涟水县"], [LAWYERS, "协会", "县级", "涟水县"]]  # fmt: skip
INSPECTION = [["视察编号", "日期", "委员会", "视察地点", "摘要"],
              ["INS-2022-05-18", "2022-05-18", "县人大常委会教科文卫委", "涟水县", "视察"]]  # fmt: skip
RECS = [["建议编号", "视察", "地点", "内容", "责任单位", "办理期限"],
        ["R1", "INS-2022-05-18", "涟水县", "建立强制报告台账", POLICE, "2022-12-31"],
        ["R2", "INS-2022-05-18", "涟水县", "提供法律援助", LAWYERS, "2022-12-31"]]  # fmt: skip


def org_id(store, name: str) -> str:
    orgs = store.read("org")
    return orgs.loc[orgs["name"] == name, "org_id"].item()


def assigned(store) -> list[tuple[str, str]]:
    rows = store.read("recommendation_unit").sort_values(["rec_id", "org_id"])
    return list(zip(rows["rec_id"], rows["org_id"], strict=True))


@pytest.mark.parametrize("orgs_first", [False, True], ids=["same-book", "orgs-stored"])
def test_an_imported_recommendation_is_assigned_only_to_a_unit(db, tmp_path, orgs_first):
    url, store = db
    sheets = {"组织": ORGS, "视察": INSPECTION, "意见建议": RECS}
    if orgs_first:  # the organisations stored by an earlier import
        assert main(["import", str(write_book(tmp_path / "组织.xlsx", {"组织": ORGS})),
                     "--db", url]) == 0  # fmt: skip
        del sheets["组织"]
    assert main(["import", str(write_book(tmp_path / "建议.xlsx", sheets)), "--db", url]) == 0
    police, lawyers = org_id(store, POLICE), org_id(store, LAWYERS)
    assert assigned(store) == [("R1", police)]  # R2's association is no unit
    recs = store.read("recommendation").set_index("rec_id")
    assert recs.loc["R2", "responsible_org"] == lawyers  # its 责任单位 kept, for staff to see
    # staff assign it on the cycle's page to a unit, never to the association
    with pytest.raises(HehuError):
        cycle.assign(store, "R2", {lawyers: "2022-12-31"}, actor=STAFF)
    cycle.assign(store, "R2", {police: "2022-12-31"}, actor=STAFF)
    assert assigned(store) == [("R1", police), ("R2", police)]


# --------------------------------------------------------------------------- inspection form


def test_a_recommendation_recorded_with_its_inspection_is_assigned_only_to_a_unit(small_store):
    record_inspection(
        small_store,
        load_records(small_store),
        date=dt.date(2022, 6, 1),
        committee="县人大常委会教科文卫委",
        places=[T],
        recommendations=[
            {"text": "开展法律援助", "responsible_org": "assoc", "due_date": dt.date(2022, 9, 1)},
            {"text": "常态化走访", "responsible_org": "fed", "due_date": dt.date(2022, 9, 1)},
            {"text": "建立值班制度", "responsible_org": "st_t", "due_date": dt.date(2022, 9, 1)},
        ],
        actor="deputy",
    )
    recs = small_store.read("recommendation")
    new = recs[recs["rec_id"].str.startswith("REC-2022-06-01-")].set_index("responsible_org")
    units = small_store.read("recommendation_unit")
    units = units[units["rec_id"].isin(new["rec_id"])]
    assert units[["rec_id", "org_id"]].values.tolist() == [[new.loc["fed", "rec_id"], "fed"]]


# --------------------------------------------------------------------------- demo


def test_the_demo_assigns_both_its_recommendations_to_the_county_federation(db):
    records = build_demo(db[1].read("place"))
    kinds = {o["org_id"]: o["kind"] for o in records["org"]}
    assert [kinds[r["responsible_org"]] for r in records["recommendation"]] == ["federation"] * 2
    assert [(u["rec_id"], u["org_id"]) for u in records["recommendation_unit"]] == [
        ("REC-2022-05-18-1", "fed_county"),
        ("REC-2022-05-18-2", "fed_county"),
    ]


# --------------------------------------------------------------------------- migrations


def test_the_migration_to_10_assigns_only_recommendations_of_a_unit(tmp_path):
    url = f"sqlite:///{tmp_path / 'v9.sqlite'}"
    rec = V9_ROWS["recommendation"][0]
    rows = {
        **V9_ROWS,
        "recommendation": [
            *V9_ROWS["recommendation"],
            {**rec, "rec_id": "R3", "responsible_org": "studio", "status": "open"},
            {**rec, "rec_id": "R4", "responsible_org": "fed", "status": "open"},
        ],
    }
    _old_database(url, 9, rows)
    store = open_store(url)
    # R1's procuratorate (agency) and R4's federation are units; R3's studio is none
    assert assigned(store) == [("R1", "procuratorate"), ("R4", "fed")]
    store.engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def v10_url(request, tmp_path):
    """A store as a version-10 one could hold it (11 changed no table): recommendations assigned
    to a unit (R1), to an association never answered (R2) and to one that answered (R3)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'v10.sqlite'}"
    else:
        url = request.getfixturevalue("pg_url")
    store = open_store(url)
    org = {"level": "county", "place_code": V9_ROWS["place"][0]["code"]}
    rec = {"inspection_id": "I1", "place_code": V9_ROWS["place"][1]["code"], "text": "建议",
           "due_date": dt.date(2022, 8, 31), "status": "open", "response": ""}  # fmt: skip
    store.write({
        "place": V9_ROWS["place"],
        "org": [{**org, "org_id": "police", "name": "公安局", "kind": "agency"},
                {**org, "org_id": "lawyers", "name": "律师协会", "kind": "association"}],
        "inspection": V9_ROWS["inspection"],
        "recommendation": [{**rec, "rec_id": r, "responsible_org": o}
                           for r, o in (("R1", "police"), ("R2", "lawyers"), ("R3", "lawyers"))],
        "recommendation_unit": [{"rec_id": r, "org_id": o, "due_date": dt.date(2022, 8, 31),
                                 "assigned_at": AT, "assigned_by": ""}
                                for r, o in (("R1", "police"), ("R2", "lawyers"), ("R3", "lawyers"))],
        "recommendation_update": [{"update_id": "U1", "rec_id": "R3", "at": AT, "actor": "律协",
                                   "kind": "answer", "org_id": "lawyers",
                                   "status": "in_progress", "response": "办理中"}],
    })  # fmt: skip
    with store.engine.begin() as conn:
        conn.execute(meta.update().where(meta.c.key == "schema_version").values(value="10"))
    store.engine.dispose()
    return url


def test_the_migration_to_11_takes_back_an_unanswered_assignment_to_an_association(v10_url):
    store = open_store(v10_url)
    assert store.schema_version() == SCHEMA_VERSION
    assert assigned(store) == [("R1", "police"), ("R3", "lawyers")]
    # R2 waits for staff to assign it, and can be closed once its unit answered
    cycle.assign(store, "R2", {"police": "2022-12-31"}, actor=STAFF)
    police = Actor("公安王", "unit", "police")
    cycle.answer(store, "R2", actor=police, status="done", response="已办")
    cycle.close(store, "R2", actor=STAFF)
    assert store.read("recommendation").set_index("rec_id").loc["R2", "status"] == "done"
    assert assigned(store) == [("R1", "police"), ("R2", "police"), ("R3", "lawyers")]
    store.engine.dispose()
