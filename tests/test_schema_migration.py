"""A database a county already holds, made by the schema before version 7, opens with every
record kept and the version-7 fields and tables ready (host bodies, screening agencies, laws and
channels of events, disputes resolved, protection measures, referrals)."""

from __future__ import annotations

import datetime as dt
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
    engine = sa.create_engine(url)
    ddl = (DATA / f"schema_v6.{engine.dialect.name}.sql").read_text(encoding="utf-8")
    old = sa.MetaData()
    with engine.begin() as conn:
        for statement in ddl.split(";"):
            body = "\n".join(
                line for line in statement.splitlines() if not line.startswith("--")
            ).strip()
            if body:
                conn.exec_driver_sql(body)
        make_audit_log_append_only(conn)
        old.reflect(conn)
        assert "protection_measure" not in old.tables
        assert "laws" not in old.tables["event"].c
        for table, rows in V6_ROWS.items():
            conn.execute(old.tables[table].insert(), rows)
    engine.dispose()


def _check_migrated(url: str) -> None:
    _version_6_database(url)
    store = open_store(url)
    assert store.schema_version() == SCHEMA_VERSION >= 7
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


def pd_isna(value) -> bool:
    return value is None or value != value


def test_a_version_6_sqlite_database_opens_with_its_records_and_the_new_fields(tmp_path):
    _check_migrated(f"sqlite:///{tmp_path / 'v6.sqlite'}")


@pytest.mark.postgres
def test_a_version_6_postgresql_database_opens_with_its_records_and_the_new_fields(pg_url):
    _check_migrated(pg_url)
