"""The store on SQLite and on a real PostgreSQL server: round trips, rules, one transaction, migration."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa
from hehu_fixtures import V1, C, copy_sqlite, small_records

from hehu.errors import InvalidRecord, StoreUnavailable
from hehu.records import schema as store_module
from hehu.records.gazetteer import load_gazetteer
from hehu.records.schema import SCHEMA_VERSION
from hehu.records.store import open_store


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite'}"
    return request.getfixturevalue("pg_url")


def test_round_trip_every_kind(db_url):
    store = open_store(db_url)
    records = small_records()
    store.write(records)
    for kind, rows in records.items():
        frame = store.read(kind)
        assert len(frame) == len(rows), kind
    cases = store.read("case").set_index("case_id")
    assert cases.at["c1", "closed_date"] == pd.Timestamp("2022-02-20")
    assert pd.isna(cases.at["c2", "closed_date"])
    places = store.read("place").set_index("code")
    assert bool(places.at[V1, "key_village"]) is True
    assert places.at[V1, "coord_quality"] == "approximate"
    assert store.schema_version() == SCHEMA_VERSION


def test_writing_the_same_records_twice_changes_nothing(db_url):
    store = open_store(db_url)
    store.write(small_records())
    before = {kind: store.count(kind) for kind in small_records()}
    store.write(small_records())
    assert {kind: store.count(kind) for kind in small_records()} == before
    # a natural key updates in place
    store.write({"course": [{**small_records()["course"][0], "attendance": 77}]})
    assert store.read("course").set_index("course_id").at["k1", "attendance"] == 77


def test_a_new_key_written_twice_in_one_write_is_updated_not_refused(db_url):
    # A write of rows none of which is stored takes a plain INSERT: the same new key twice in
    # one write must still end as one record holding the later row, as an update would.
    store = open_store(db_url)
    records = small_records()
    course = records["course"][0]
    records["course"] = [course, {**course, "attendance": 77}]
    store.write(records)
    assert store.read("course").set_index("course_id").at[course["course_id"], "attendance"] == 77
    assert store.count("course") == 1


@pytest.mark.parametrize(
    ("kind", "change", "reason"),
    [
        ("case", {"place_code": "000000000000"}, "不存在"),
        ("case", {"status": "lost"}, "取值不在允许范围内"),
        ("case", {"closed_date": dt.date(2020, 1, 1)}, "取值不在允许范围内"),
        ("course", {"girls": 999}, "取值不在允许范围内"),
        ("household", {"categories": "left_behind_child;martian"}, "未知类别"),
        ("visit", {"date": "2022-02-30"}, "日期无效"),
    ],
)
def test_broken_rules_write_nothing(db_url, kind, change, reason):
    store = open_store(db_url)
    records = small_records()
    records[kind] = [{**records[kind][0], **change}, *records[kind][1:]]
    with pytest.raises(InvalidRecord, match=reason):
        store.write(records)
    # one transaction: not even the places that came first were kept
    assert store.count("place") == 0


def test_sqlite_is_in_wal_mode_with_foreign_keys(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'w.sqlite'}")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


def test_a_copy_of_a_database_in_use_holds_what_was_committed(tmp_path):
    """Tests copy the shared demo while pages may be writing their figure cache to it: what a
    connection still open committed lies in the -wal file, which a copy of the file misses
    (shutil.copy loses this record)."""
    source = open_store(f"sqlite:///{tmp_path / 'source.sqlite'}")
    load_gazetteer(source)
    source.write({"place": small_records()["place"]})
    copy_sqlite(tmp_path / "source.sqlite", tmp_path / "copy.sqlite")
    copy = open_store(f"sqlite:///{tmp_path / 'copy.sqlite'}", create=False)
    assert copy.count("place") == source.count("place") > 0
    assert (tmp_path / "copy.sqlite").stat().st_mode & 0o077 == 0
    source.engine.dispose()


def test_an_older_database_is_migrated_and_keeps_its_records(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    store = open_store(url)
    store.write(small_records())
    # Make it a version-1 database: the tables later versions added did not exist then.
    v1_tables = {"meta", "place", "org", "household", "person", "pairing", "contact", "course", "visit", "screening",
                 "case_record", "event", "deliberation", "target", "claim", "inspection", "recommendation"}  # fmt: skip
    with store.engine.begin() as conn:
        for name in reversed(store_module.metadata.sorted_tables):
            if name.name not in v1_tables:
                conn.execute(sa.text(f'DROP TABLE "{name.name}"'))
        conn.execute(sa.text("UPDATE meta SET value = '1' WHERE key = 'schema_version'"))
    store.engine.dispose()
    reopened = open_store(url)
    assert reopened.schema_version() == SCHEMA_VERSION
    assert sa.inspect(reopened.engine).has_table("audit_log")
    assert reopened.count("case") == 3


def test_a_newer_database_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.sqlite'}"
    store = open_store(url)
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE meta SET value = '999' WHERE key = 'schema_version'"))
    with pytest.raises(StoreUnavailable, match="高于本程序支持"):
        open_store(url)


def test_gazetteer_loads_with_counts_and_coordinate_quality(db_url):
    store = open_store(db_url)
    assert load_gazetteer(store) == 388
    places = store.read("place")
    assert places["level"].value_counts().to_dict() == {
        "village": 294,
        "community": 77,
        "town": 12,
        "subdistrict": 4,
        "county": 1,
    }
    assert places["coord_quality"].value_counts().to_dict() == {
        "none": 371,
        "schematic": 15,
        "sourced": 2,
    }
    assert places.set_index("code").at["320826101000", "name"] == "高沟镇"


def test_writes_are_audited(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'a.sqlite'}")
    store.write(
        {"place": small_records()["place"][:1]},
        audit={"action": "import", "what": "test", "places": C},
    )
    log = store.read("audit_log")
    assert log[["action", "what", "places"]].to_dict("records") == [
        {"action": "import", "what": "test", "places": C}
    ]


def test_the_audit_log_is_append_only(db_url):
    store = open_store(db_url)
    store.audit("export", "test export", places=C)
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_log SET actor = 'someone else'"))
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), store.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_log"))
    assert store.read("audit_log")["actor"].tolist() == ["system"]


def test_no_insert_may_overwrite_an_audit_entry(db_url):
    store = open_store(db_url)
    store.audit("export", "the real entry", places=C)
    entry = store.read("audit_log").iloc[0]
    overwrite = (
        "INSERT OR REPLACE INTO audit_log (id, at, actor, action, what, places) "
        "VALUES (:id, :at, 'forger', 'export', 'nothing happened', '')"
        if store.engine.dialect.name == "sqlite"
        else "INSERT INTO audit_log (id, at, actor, action, what, places) "
        "VALUES (:id, :at, 'forger', 'export', 'nothing happened', '') "
        "ON CONFLICT (id) DO UPDATE SET what = EXCLUDED.what, actor = EXCLUDED.actor"
    )
    plain = (
        "INSERT INTO audit_log (id, at, actor, action, what, places) "
        "VALUES (:id, :at, 'forger', 'export', 'nothing happened', '')"
    )
    for sql in (overwrite, plain):
        with pytest.raises(sa.exc.DBAPIError), store.engine.begin() as conn:
            conn.execute(sa.text(sql), {"id": int(entry["id"]), "at": entry["at"]})
    log = store.read("audit_log")
    assert log["what"].tolist() == ["the real entry"] and log["actor"].tolist() == ["system"]
    store.audit("export", "a later entry")  # new entries still go in
    assert len(store.read("audit_log")) == 2


def test_a_version_5_database_gets_the_overwrite_trigger(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    store = open_store(url)
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER audit_log_no_overwrite")
        conn.exec_driver_sql("UPDATE meta SET value = '5' WHERE key = 'schema_version'")
    store.engine.dispose()
    reopened = open_store(url)
    assert reopened.schema_version() == SCHEMA_VERSION  # through every step since 5
    with reopened.engine.connect() as conn:
        names = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        assert "audit_log_no_overwrite" in set(names.scalars())


def test_keys_the_database_reads_as_one_are_one_record_whatever_python_thinks(db_url):
    # 2022 and "2022" differ in Python but are one year to the database: still an update of one
    # record (no plain INSERT of "new" rows that the database then finds twice), and rows of one
    # key with their columns in another order keep the last row's values.
    store = open_store(db_url)
    store.write(small_records())
    target = {"metric": "course_sessions", "place_code": V1, "year": 2022, "value": 1.0,
              "source": "测试"}  # fmt: skip
    store.write({"target": [target, {**target, "year": "2022", "value": 2.0}]})
    assert store.read("target")["value"].tolist() == [2.0]
    rows = [{**target, "year": 2021, "value": v} for v in (31.0, 32.0, 33.0)]
    rows[1] = dict(reversed(list(rows[1].items())))
    store.write({"target": rows})
    assert store.read("target").set_index("year").at[2021, "value"] == 33.0
