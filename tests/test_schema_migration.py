"""A database a county already holds, made by an older schema, opens with every record kept:
version 6 with the version-7 fields and tables ready (host bodies, screening agencies, laws and
channels of events, disputes resolved, protection measures, referrals); version 7 with the
version-8 table of named users ready, its rules kept by the database itself. Whatever version
made it, a migrated database takes every key of every vocabulary a CHECK is built from, as a new
one does (its checks rebuilt from the schema), and still refuses any other value."""

from __future__ import annotations

import datetime as dt
import re
import warnings
from pathlib import Path

import pytest
import sqlalchemy as sa

from hehu.errors import InvalidRecord
from hehu.records.schema import SCHEMA_VERSION, make_audit_log_append_only
from hehu.records.store import open_store

DATA = Path(__file__).parent / "data"
COUNTY, TOWN = "320826000000", "320826100000"

# Rows a version-6 database holds, in the columns it had.
V6_ROWS = {
    "meta": [{"key": "schema_version", "value": "6"}],
    "place": [
        {"code": COUNTY, "name": "涟水县", "short_name": "涟水", "level": "county",
         "parent_code": None, "key_village": False, "coord_quality": "none"},
        {"code": TOWN, "name": "高沟镇", "short_name": "高沟", "level": "town",
         "parent_code": COUNTY, "key_village": False, "coord_quality": "none"},
    ],
    "org": [
        {"org_id": "fed", "name": "县妇联", "kind": "federation", "level": "county",
         "place_code": COUNTY},
        {"org_id": "studio", "name": "小雨滴工作室", "kind": "studio", "level": "county",
         "place_code": COUNTY},
    ],
    "household": [{"household_id": "H1", "place_code": TOWN, "categories": "single_parent"}],
    "screening": [{"screening_id": "S1", "date": dt.date(2022, 3, 1), "household_id": "H1",
                   "risk_categories": "", "risk_level": "low"}],
    "event": [{"event_id": "E1", "date": dt.date(2022, 3, 8), "place_code": TOWN,
               "org_id": "fed", "campaign": "womens_rights_week", "format": "lecture",
               "audience": 120}],
    "deliberation": [{"deliberation_id": "D1", "date": dt.date(2022, 4, 1),
                      "place_code": TOWN, "brand": "巾帼花", "topic": "家风", "participants": 12}],
}  # fmt: skip


def _version_6_database(url: str) -> None:
    """Create the version-6 schema from its saved DDL and fill it with V6_ROWS."""
    _old_database(url, 6, V6_ROWS)


def _old_database(url: str, version: int, rows: dict[str, list[dict]], saved: str = "") -> None:
    """Create the schema of an old version from its saved DDL and fill it with rows (saved:
    "_first" for version 7 as it was first released, before the protection metrics)."""
    engine = sa.create_engine(url)
    name = f"schema_v{version}{saved}.{engine.dialect.name}.sql"
    ddl = (DATA / name).read_text(encoding="utf-8")
    old = sa.MetaData()
    with engine.begin() as conn:
        for statement in ddl.split(";"):
            body = "\n".join(
                line for line in statement.splitlines() if not line.startswith("--")
            ).strip()
            if body:
                conn.exec_driver_sql(body)
        make_audit_log_append_only(conn)
        with warnings.catch_warnings():  # the case-blind index on app_user's names
            warnings.simplefilter("ignore", sa.exc.SAWarning)
            old.reflect(conn)
        assert ("app_user" in old.tables) == (version >= 8)
        assert "recommendation_unit" not in old.tables
        if version == 6:
            assert "protection_measure" not in old.tables
            assert "laws" not in old.tables["event"].c
        for table, table_rows in rows.items():
            conn.execute(old.tables[table].insert(), table_rows)
    engine.dispose()


def _check_migrated(url: str) -> None:
    _version_6_database(url)
    before = _all_rows(url)
    store = open_store(url)
    assert store.schema_version() == SCHEMA_VERSION
    # every record kept as it was in the columns it had, only the version changed in meta
    after = _all_rows(url, like=before.pop("_columns"))
    assert after.pop("meta") == [("schema_version", str(SCHEMA_VERSION))]
    assert before.pop("meta") == [("schema_version", "6")]
    assert after == before
    # every record kept, the new fields empty or at their default
    event = store.read("event").iloc[0]
    assert (event["event_id"], event["audience"], event["laws"], event["channel"]) == (
        "E1", 120, "", "on_site"
    )  # fmt: skip
    assert pd_isna(event["column_name"])
    assert pd_isna(store.read("screening").iloc[0]["org_id"])
    assert pd_isna(store.read("deliberation").iloc[0]["disputes_resolved"])
    assert store.count("org") == 2
    # the version-7 fields and tables take records
    store.write(
        {
            "org": [{"org_id": "procuratorate", "name": "县检察院", "kind": "agency",
                     "level": "county", "place_code": COUNTY, "host_org_id": None}],
            "event": [{"event_id": "E2", "date": dt.date(2022, 5, 15), "place_code": TOWN,
                       "org_id": "fed", "campaign": "family_day", "format": "online",
                       "audience": 300, "laws": "civil_code;anti_dv", "channel": "wechat",
                       "column_name": "法驻幸福家"}],
            "case": [{"case_id": "C1", "received_date": dt.date(2022, 5, 1), "org_id": "studio",
                      "place_code": TOWN, "category": "domestic_violence",
                      "status": "referred", "closed_date": dt.date(2022, 5, 3)}],
            "protection_measure": [{"measure_id": "M1", "date": dt.date(2022, 5, 2),
                                    "place_code": TOWN, "org_id": "procuratorate",
                                    "measure": "mandatory_report", "outcome": "handled",
                                    "outcome_date": dt.date(2022, 5, 9)}],
            "referral": [{"referral_id": "R1", "case_id": "C1", "date": dt.date(2022, 5, 3),
                          "from_org_id": "studio", "to_org_id": "procuratorate"}],
        }
    )  # fmt: skip
    assert store.read("event").set_index("event_id").loc["E2", "column_name"] == "法驻幸福家"
    # the new columns carry the constraints a new database gives them
    for bad in (
        {"event": [{**V6_ROWS["event"][0], "event_id": "E3", "channel": "tv"}]},
        {"screening": [{**V6_ROWS["screening"][0], "screening_id": "S2", "org_id": "ghost"}]},
        {"org": [{**V6_ROWS["org"][1], "org_id": "studio2", "host_org_id": "ghost"}]},
    ):
        with pytest.raises(InvalidRecord):
            store.write(bad)
    assert store.count("protection_measure") == 1 and store.count("referral") == 1
    store.engine.dispose()
    # opening again migrates nothing twice
    assert open_store(url).schema_version() == SCHEMA_VERSION


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_a_dry_run_leaves_an_older_or_empty_database_as_it_was(backend, tmp_path, capsys, request):
    """A dry run changes nothing: it migrated an older database (which the server, still on
    the older program, then refused to open) and made the tables of an empty one."""
    from hehu.cli.main import main

    url = (
        f"sqlite:///{tmp_path / 'v6.sqlite'}"
        if backend == "sqlite"
        else request.getfixturevalue("pg_url")
    )
    _version_6_database(url)
    before = _all_rows(url)
    register = tmp_path / "组织.csv"
    register.write_text("组织名称,类型,层级,所在地\n新妇联,妇联,镇级,高沟镇\n", encoding="utf-8")
    assert main(["import", str(register), "--db", url, "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "数据库版本 6 低于本程序的" in err and "试导入不改动数据库，请先运行 hehu init" in err
    assert _all_rows(url) == before
    if backend == "sqlite":  # an empty database file, as a careless clerk may point at
        empty = tmp_path / "empty.sqlite"
        sa.create_engine(f"sqlite:///{empty}").connect().close()
        assert main(["import", str(register), "--db", f"sqlite:///{empty}", "--dry-run"]) == 2
        assert "数据库是空的" in capsys.readouterr().err
        assert sa.inspect(sa.create_engine(f"sqlite:///{empty}")).get_table_names() == []
    # the import itself migrates, as opening does
    assert main(["import", str(register), "--db", url]) == 0
    assert open_store(url).schema_version() == SCHEMA_VERSION


def pd_isna(value) -> bool:
    return value is None or value != value


def test_a_version_6_sqlite_database_opens_with_its_records_and_the_new_fields(tmp_path):
    _check_migrated(f"sqlite:///{tmp_path / 'v6.sqlite'}")


@pytest.mark.postgres
def test_a_version_6_postgresql_database_opens_with_its_records_and_the_new_fields(pg_url):
    _check_migrated(pg_url)


# Rows a version-7 database holds: the version-6 ones, the version-7 fields and tables, and
# entries of its audit log.
V7_ROWS = {
    **V6_ROWS,
    "meta": [{"key": "schema_version", "value": "7"}, {"key": "data_version", "value": "3"}],
    "org": [*V6_ROWS["org"],
            {"org_id": "procuratorate", "name": "县检察院", "kind": "agency", "level": "county",
             "place_code": COUNTY, "host_org_id": None},
            {"org_id": "studio2", "name": "华姐家事调解工作室", "kind": "studio",
             "level": "county", "place_code": COUNTY, "host_org_id": "procuratorate"}],
    "event": [{**V6_ROWS["event"][0], "laws": "civil_code;anti_dv", "channel": "wechat",
               "column_name": "法驻幸福家"}],
    "case_record": [{"case_id": "C1", "received_date": dt.date(2022, 5, 1), "org_id": "studio",
                     "place_code": TOWN, "category": "domestic_violence", "status": "referred",
                     "closed_date": dt.date(2022, 5, 3)}],
    "protection_measure": [{"measure_id": "M1", "date": dt.date(2022, 5, 2), "place_code": TOWN,
                            "org_id": "procuratorate", "measure": "mandatory_report",
                            "outcome": "handled", "outcome_date": dt.date(2022, 5, 9)}],
    "referral": [{"referral_id": "R1", "case_id": "C1", "date": dt.date(2022, 5, 3),
                  "from_org_id": "studio", "to_org_id": "procuratorate"}],
    "audit_log": [{"at": dt.datetime(2022, 5, 18, 9), "actor": "staff", "action": "import",
                   "what": "导入 登记表.xlsx", "places": ""}],
}  # fmt: skip


def _all_rows(url: str, like: dict | None = None) -> dict[str, list[tuple]]:
    """Every row of every table a version-7 database has, sorted, as plain tuples; with like
    (an earlier answer's columns), only the tables and columns it has."""
    engine = sa.create_engine(url)
    old = sa.MetaData()
    with engine.connect() as conn:
        names = [n for n in sa.inspect(conn).get_table_names() if n != "app_user"]
        with warnings.catch_warnings():  # the case-blind index on app_user's names
            warnings.simplefilter("ignore", sa.exc.SAWarning)
            old.reflect(conn, only=[n for n in names if like is None or n in like])
        rows = {
            name: sorted(
                map(tuple, conn.execute(sa.select(*(table.c[c] for c in like[name]))))
                if like
                else map(tuple, conn.execute(sa.select(table))),
                key=repr,
            )
            for name, table in old.tables.items()
        }
        if like is None:
            rows["_columns"] = {name: list(table.c.keys()) for name, table in old.tables.items()}
    engine.dispose()
    return rows


def _check_migrated_from_7(url: str, saved: str = "") -> None:
    from hehu import accounts

    _old_database(url, 7, V7_ROWS, saved)
    before = _all_rows(url)
    assert sum(map(len, before.values())) > 15
    store = open_store(url)
    assert store.schema_version() == SCHEMA_VERSION
    store.engine.dispose()
    after = _all_rows(url, like=before.pop("_columns"))
    # every record kept as it was, and only the version number changed in meta
    meta = lambda rows: [r for r in rows if r[0] != "schema_version"]  # noqa: E731
    assert meta(after.pop("meta")) == meta(before.pop("meta"))
    assert after == before
    # the users' table is there, with the rules a new database gives it
    store = open_store(url)
    user = accounts.add_user(store, "gaa", "correct horse", role="unit", unit="县检察院")
    assert (user.role, user.unit, user.failed_attempts) == ("unit", "procuratorate", 0)
    assert accounts.verify(store, "GAA", "correct horse").name == "gaa"
    now, stored_hash = dt.datetime(2022, 5, 18, 9), user_hash(store)
    for bad in (
        {"role": "unit", "unit": None},  # a unit user without a unit
        {"role": "deputy", "unit": "公安局"},  # a unit on another role
        {"role": "mayor", "unit": None},
    ):
        with pytest.raises(sa.exc.IntegrityError), store.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO app_user (name, role, unit, password_hash, failed_attempts, "
                    "created_at, password_changed_at, disabled) VALUES (:n, :r, :u, :h, 0, :t, :t, "
                    ":d)"
                ),
                {"n": "x", "r": bad["role"], "u": bad["unit"], "h": stored_hash,
                 "t": now, "d": False},
            )  # fmt: skip
    store.engine.dispose()
    assert open_store(url).schema_version() == SCHEMA_VERSION


def user_hash(store) -> str:
    with store.engine.connect() as conn:
        return conn.exec_driver_sql("SELECT password_hash FROM app_user").scalar_one()


@pytest.mark.parametrize("saved", ["", "_first"])
def test_a_version_7_sqlite_database_opens_with_every_record_and_the_users_table(tmp_path, saved):
    _check_migrated_from_7(f"sqlite:///{tmp_path / 'v7.sqlite'}", saved)


@pytest.mark.postgres
@pytest.mark.parametrize("saved", ["", "_first"])
def test_a_version_7_postgresql_database_opens_with_every_record_and_the_users_table(pg_url, saved):
    _check_migrated_from_7(pg_url, saved)


# Every CHECK built from a vocabulary, found in the schema itself: (table, column, vocabulary).
def _vocabulary_checks() -> list[tuple[str, str, dict]]:
    from hehu.records import schema, vocab

    vocabularies = [v for v in vars(vocab).values() if isinstance(v, dict) and v]
    found = []
    for table in schema.metadata.sorted_tables:
        for check in table.constraints:
            if not isinstance(check, sa.CheckConstraint):
                continue
            match = re.fullmatch(r"(\w+) IN \((.*)\)", str(check.sqltext))
            if match:
                keys = re.findall(r"'([^']*)'", match[2])
                vocabulary = next(v for v in vocabularies if list(v) == keys)
                found.append((table.name, match[1], vocabulary))
    return found


# A row of each table with a vocabulary check, and the rows it needs first (the places, the
# household and the organisation "fed" are in every old database of this file).
D = dt.date(2022, 6, 1)
VOCAB_ROWS = {
    "place": {"code": "320826100001", "name": "村", "short_name": "村", "level": "village",
              "parent_code": TOWN, "coord_quality": "none"},
    "org": {"org_id": "o9", "name": "单位", "kind": "agency", "level": "county",
            "place_code": COUNTY},
    "person": {"person_id": "P9", "household_id": "H1", "place_code": TOWN, "sex": "F"},
    "pairing": {"pairing_id": "PA9", "org_id": "fed", "person_id": "P9",
                "support_type": "legal", "start_date": D},
    "contact": {"pairing_id": "PA9", "date": D, "mode": "phone"},
    "screening": {"screening_id": "S9", "date": D, "household_id": "H1", "risk_level": "low"},
    "case_record": {"case_id": "C9", "received_date": D, "org_id": "fed", "place_code": TOWN,
                    "category": "other", "status": "open"},
    "event": {"event_id": "E9", "date": D, "place_code": TOWN, "org_id": "fed",
              "campaign": "other", "format": "lecture"},
    "protection_measure": {"measure_id": "M9", "date": D, "place_code": TOWN, "org_id": "fed",
                           "measure": "dv_warning", "outcome": "pending"},
    "target": {"metric": "towns", "place_code": TOWN, "year": 2022, "value": 1, "source": "x"},
    "claim": {"claim_id": "CL9", "document": "报告", "metric": "towns", "place_code": TOWN,
              "period_start": D, "period_end": D, "value": 1},
    "inspection": {"inspection_id": "I9", "date": D, "committee": "委员会"},
    "recommendation": {"rec_id": "R9", "inspection_id": "I9", "place_code": TOWN,
                       "text": "建议", "status": "open"},
    "recommendation_update": {"update_id": "U9", "rec_id": "R9", "at": dt.datetime(2022, 6, 1),
                              "status": "open"},
    "app_user": {"name": "u9", "role": "staff", "password_hash": "$argon2id$x",
                 "created_at": dt.datetime(2022, 6, 1),
                 "password_changed_at": dt.datetime(2022, 6, 1)},
}  # fmt: skip
NEEDS = {
    "pairing": ["person"],
    "contact": ["person", "pairing"],
    "recommendation": ["inspection"],
    "recommendation_update": ["inspection", "recommendation"],
}


def _vocab_row(table: str, column: str, value: str) -> dict:
    row = {**VOCAB_ROWS[table], column: value}
    if (table, column) == ("case_record", "status") and value != "open":
        row["closed_date"] = D  # a case not open is closed
    if (table, column) == ("app_user", "role") and value == "unit":
        row["unit"] = "公安局"  # a unit user names their unit
    return row


def _check_every_vocabulary_value(url: str) -> None:
    """The database at url takes every key of every vocabulary a check is built from, as a new
    database does, and still refuses a value outside it."""
    from hehu.records import schema

    checks = _vocabulary_checks()
    assert {(t, c) for t, c, _ in checks} >= {("org", "kind"), ("target", "metric"),
                                              ("claim", "metric"), ("app_user", "role")}  # fmt: skip
    engine = sa.create_engine(url)
    refused, accepted = [], []
    try:
        for table_name, column, vocabulary in checks:
            table = schema.metadata.tables[table_name]
            length = getattr(table.c[column].type, "length", None) or 8
            outside = "?" * min(length, 8)
            assert outside not in vocabulary
            for value in [*vocabulary, outside]:
                with engine.connect() as conn:
                    if conn.dialect.name == "sqlite":
                        conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                    for need in NEEDS.get(table_name, []):
                        conn.execute(schema.metadata.tables[need].insert(), VOCAB_ROWS[need])
                    try:
                        conn.execute(table.insert(), _vocab_row(table_name, column, value))
                        accepted.append((table_name, column, value))
                    except sa.exc.IntegrityError:
                        refused.append((table_name, column, value))
                    finally:
                        conn.rollback()
    finally:
        engine.dispose()
    assert [r for r in refused if "?" not in r[2]] == []  # every key of its vocabulary taken
    assert [r for r in accepted if "?" in r[2]] == []  # and nothing else


@pytest.mark.parametrize("db", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_a_new_database_takes_every_vocabulary_value(tmp_path, request, db):
    url = (
        f"sqlite:///{tmp_path / 'new.sqlite'}"
        if db == "sqlite"
        else request.getfixturevalue("pg_url")
    )
    store = open_store(url)
    store.write({kind: V6_ROWS[kind] for kind in ("place", "org", "household")})
    store.engine.dispose()
    _check_checks_current(url)
    _check_every_vocabulary_value(url)


def _migrated(url: str, old: str) -> None:
    """An old database opened (so migrated) by this version: 6, 7, 7_first (version 7 before
    the protection metrics), or 8_stale (version 6 brought to 8 by the steps 7 and 8 alone, as
    hehu did before its checks were brought up to date)."""
    from hehu.records import schema

    version, _, saved = old.partition("_")
    if old == "8_stale":
        _old_database(url, 6, V6_ROWS)
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            schema._migrate_6_to_7(conn)
            schema._migrate_7_to_8(conn)
            conn.exec_driver_sql("UPDATE meta SET value = '8' WHERE key = 'schema_version'")
        engine.dispose()
    else:
        rows = {"6": V6_ROWS, "7": V7_ROWS, "9": V9_ROWS}[version]
        _old_database(url, int(version), rows, saved and "_first")
    before = _all_rows(url)
    store = open_store(url)
    assert store.schema_version() == SCHEMA_VERSION
    store.engine.dispose()
    after = _all_rows(url, like=before.pop("_columns"))
    assert [r for r in after.pop("meta") if r[0] != "schema_version"] == [
        r for r in before.pop("meta") if r[0] != "schema_version"
    ]
    assert after == before
    _check_checks_current(url)


def _check_checks_current(url: str) -> None:
    """Nothing left to change in the checks, and the audit log still append-only."""
    from hehu.records import schema
    from hehu.records.checks import match_checks

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        assert match_checks(conn, schema.metadata) == []
        conn.rollback()
    with pytest.raises(sa.exc.DatabaseError), engine.begin() as conn:
        conn.execute(schema.audit_log.insert(), {"id": 1, "at": dt.datetime(2022, 1, 1),
                                                "actor": "a", "action": "x", "what": "w"})  # fmt: skip
        conn.execute(sa.text("UPDATE audit_log SET actor = 'b'"))
    engine.dispose()


# Rows a version-9 database holds: the version-7 ones, an inspection with its findings and
# recommendations (one with a responsible organisation and a due date, one without), the
# history of one of them, and a named user.
V9_ROWS = {
    **V7_ROWS,
    "meta": [{"key": "schema_version", "value": "9"}, {"key": "data_version", "value": "5"}],
    "inspection": [{"inspection_id": "I1", "date": dt.date(2022, 5, 18), "committee": "教科文卫委",
                    "deputies": "", "places": TOWN, "orgs": "", "summary": ""}],
    "recommendation": [
        {"rec_id": "R1", "inspection_id": "I1", "place_code": TOWN, "text": "建立强制报告台账",
         "responsible_org": "procuratorate", "due_date": dt.date(2022, 8, 31),
         "status": "in_progress", "response": "已部署"},
        {"rec_id": "R2", "inspection_id": "I1", "place_code": TOWN, "text": "加强宣传",
         "responsible_org": None, "due_date": None, "status": "open", "response": ""},
    ],
    "finding": [{"finding_id": "F1", "inspection_id": "I1", "place_code": TOWN,
                 "text": "台账不全"}],
    "recommendation_update": [{"update_id": "U1", "rec_id": "R1",
                               "at": dt.datetime(2022, 6, 1, 8), "actor": "deputy",
                               "status": "in_progress", "response": "已部署"}],
    "app_user": [{"name": "gaa", "role": "unit", "unit": "公安局",
                  "password_hash": "$argon2id$v=19$x", "failed_attempts": 0,
                  "created_at": dt.datetime(2022, 5, 1), "disabled": False,
                  "password_changed_at": dt.datetime(2022, 5, 1)}],
}  # fmt: skip


def _check_migrated_from_9(url: str) -> None:
    """Every record kept; the recommendation with a responsible organisation is assigned to
    it with its due date (as at its inspection's date); the history's entries are of kind
    'status'; the new tables and fields take the cycle's records."""
    from hehu.records import schema

    _old_database(url, 9, V9_ROWS)
    before = _all_rows(url)
    store = open_store(url)
    assert store.schema_version() == SCHEMA_VERSION
    store.engine.dispose()
    after = _all_rows(url, like=before.pop("_columns"))
    assert [r for r in after.pop("meta") if r[0] != "schema_version"] == [
        r for r in before.pop("meta") if r[0] != "schema_version"
    ]
    assert after == before
    store = open_store(url)
    recs = store.read("recommendation").set_index("rec_id")
    assert recs.loc["R1", "responsible_org"] == "procuratorate"
    assert recs.loc["R1", "due_date"] == dt.datetime(2022, 8, 31)
    units = store.read("recommendation_unit")
    assert units[
        ["rec_id", "org_id", "due_date", "assigned_at", "assigned_by"]
    ].values.tolist() == [
        ["R1", "procuratorate", dt.datetime(2022, 8, 31), dt.datetime(2022, 5, 18), ""]
    ]
    update = store.read("recommendation_update").iloc[0]
    assert (update["kind"], update["actor"], update["status"]) == (
        "status",
        "deputy",
        "in_progress",
    )
    assert pd_isna(update["org_id"]) and pd_isna(update["rating"]) and pd_isna(update["due_date"])
    finding = store.read("finding").iloc[0]
    assert pd_isna(finding["rec_id"]) and pd_isna(finding["addressed_at"])
    # the new fields take the cycle's records, with the rules of a new database
    store.write(
        {
            "recommendation_unit": [{"rec_id": "R2", "org_id": "fed", "due_date": D,
                                     "assigned_at": dt.datetime(2022, 6, 1), "assigned_by": "w"}],
            "recommendation_update": [{"update_id": "U2", "rec_id": "R1",
                                       "at": dt.datetime(2022, 6, 2), "actor": "gaa",
                                       "kind": "answer", "org_id": "procuratorate",
                                       "status": "cannot", "response": "", "comment": "无权限"},
                                      {"update_id": "U3", "rec_id": "R1",
                                       "at": dt.datetime(2022, 6, 3), "actor": "lw",
                                       "kind": "rate", "org_id": "procuratorate",
                                       "status": "open", "rating": "unsatisfied",
                                       "due_date": D}],
            "finding": [{**V9_ROWS["finding"][0], "rec_id": "R1",
                         "addressed_at": dt.datetime(2022, 9, 1)}],
        }
    )  # fmt: skip
    for bad in (
        {"recommendation_update": [{"update_id": "U4", "rec_id": "R1", "at": D, "status": "open",
                                    "kind": "vote"}]},
        {"recommendation_update": [{"update_id": "U4", "rec_id": "R1", "at": D, "status": "open",
                                    "kind": "rate", "rating": "great"}]},
        {"recommendation_update": [{"update_id": "U4", "rec_id": "R1", "at": D, "status": "open",
                                    "org_id": "ghost"}]},
        {"recommendation_unit": [{"rec_id": "R1", "org_id": "ghost", "assigned_at": D}]},
        {"finding": [{**V9_ROWS["finding"][0], "rec_id": "ghost"}]},
    ):  # fmt: skip
        with pytest.raises(InvalidRecord):
            store.write(bad)
    # a recommendation deleted leaves its finding, unlinked, and takes its assignments along
    with store.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
        conn.execute(schema.recommendation_update.delete())
        conn.execute(schema.recommendation.delete().where(schema.recommendation.c.rec_id == "R1"))
    assert pd_isna(store.read("finding").iloc[0]["rec_id"])
    assert store.read("recommendation_unit")["rec_id"].tolist() == ["R2"]
    # the figure cache takes a name as long as a new database takes (32 characters before 12)
    long_name = "place_pairings_by_month_hidden/10"
    store.keep_figures(long_name, "2022", 1, b"kept")
    assert store.cached_figures(long_name, "2022", 1) == b"kept"
    store.engine.dispose()
    _check_checks_current(url)
    assert open_store(url).schema_version() == SCHEMA_VERSION


def test_a_version_9_sqlite_database_opens_with_its_recommendations_assigned(tmp_path):
    _check_migrated_from_9(f"sqlite:///{tmp_path / 'v9.sqlite'}")


@pytest.mark.postgres
def test_a_version_9_postgresql_database_opens_with_its_recommendations_assigned(pg_url):
    _check_migrated_from_9(pg_url)


OLD_DATABASES = ["6", "7", "7_first", "8_stale", "9"]


@pytest.mark.parametrize("old", OLD_DATABASES)
def test_a_migrated_sqlite_database_takes_every_vocabulary_value(tmp_path, old):
    url = f"sqlite:///{tmp_path / f'v{old}.sqlite'}"
    _migrated(url, old)
    _check_every_vocabulary_value(url)


@pytest.mark.postgres
@pytest.mark.parametrize("old", OLD_DATABASES)
def test_a_migrated_postgresql_database_takes_every_vocabulary_value(pg_url, old):
    _migrated(pg_url, old)
    _check_every_vocabulary_value(pg_url)
