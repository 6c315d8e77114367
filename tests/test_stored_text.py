"""Stored text read again under today's rules (hehu/records/stored_text.py, `hehu stored-text`):
a summary saved before the rule knew 138——1234——5678, or text imported before control
characters were dropped, is found column by column, never shown, and cleaned in one write of the
store; what cannot be rewritten (an identifier, the append-only audit log) is reported. On
SQLite, and on PostgreSQL with --hehu-db=postgresql."""

from __future__ import annotations

import json

import sqlalchemy as sa
from hehu_fixtures import V1

from hehu.cli.main import main
from hehu.records import schema
from hehu.records.stored_text import check_stored_text, clean_stored_text

SUMMARY = "家长电话138——1234——5678，已走访"  # the Chinese input method's dash, twice
RESPONSE = "经核实 320826 - 19900101 - 1231 已入学"
TEXT_WITH_CONTROL = "常态化走访\x0b（自 Word 粘贴）"
CODE = "H-138——1234——5678"  # a household's number holding a mobile number
OWN = "H-13855583195c5793"


def stored_before_the_rule_grew(store) -> None:
    """What an older Hehu let in, written as it was written then: past today's checks."""
    with store.engine.begin() as conn:
        conn.execute(schema.inspection.update().values(summary=SUMMARY))
        rec = schema.recommendation
        conn.execute(rec.update().where(rec.c.rec_id == "rec1").values(text=TEXT_WITH_CONTROL))
        conn.execute(rec.update().where(rec.c.rec_id == "rec2").values(response=RESPONSE))
        conn.execute(schema.household.insert().values(household_id=CODE, place_code=V1))
        # Hehu's own: one pseudonym in 1,600 holds a phone-shaped run, and is no number.
        conn.execute(schema.household.insert().values(household_id=OWN, place_code=V1))
    store.audit("export", "导出 138——1234——5678.xlsx")


def counts(findings) -> dict:
    return {(f.table, f.column): (f.numbers, f.controls, f.action) for f in findings}


def stored(store, table: str, column: str, key: str, value: str):
    t = schema.metadata.tables[table]
    with store.engine.connect() as conn:
        return conn.execute(sa.select(t.c[column]).where(t.c[key] == value)).scalar_one()


def test_text_stored_before_the_rule_grew_is_found_then_cleaned(small_store):
    assert check_stored_text(small_store) == []
    stored_before_the_rule_grew(small_store)
    expected = {
        ("inspection", "summary"): (1, 0, "clean"),
        ("recommendation", "text"): (0, 1, "clean"),
        ("recommendation", "response"): (1, 0, "clean"),
        ("household", "household_id"): (1, 0, "reimport"),
        ("audit_log", "what"): (1, 0, "reported"),
    }
    assert counts(check_stored_text(small_store)) == expected
    version = small_store.data_version()

    assert counts(clean_stored_text(small_store, actor="cli:tester")) == expected
    assert (
        stored(small_store, "inspection", "summary", "inspection_id", "i1") == "家长电话…，已走访"
    )
    assert (
        stored(small_store, "recommendation", "text", "rec_id", "rec1")
        == "常态化走访（自 Word 粘贴）"
    )
    assert stored(small_store, "recommendation", "response", "rec_id", "rec2") == "经核实 … 已入学"
    assert small_store.data_version() == version + 1  # pages and caches are made again
    audit = small_store.read("audit_log")
    entry = audit[audit["action"] == "clean_text"].iloc[-1]
    assert entry["actor"] == "cli:tester" and "inspection.summary" in entry["what"]
    assert "1234" not in entry["what"]
    # What it cannot rewrite stays, and is all that is found again.
    assert counts(check_stored_text(small_store)) == {
        k: v for k, v in expected.items() if v[2] != "clean"
    }
    assert stored(small_store, "household", "household_id", "household_id", CODE) == CODE


def test_accounts_references_and_the_audit_log_are_never_rewritten(small_store):
    """A login name may be a phone number, and is what the user signs in with; a list of place
    codes is a reference; the audit log is append-only. None is cleaned, and only the
    references keep the command failing."""
    from hehu.accounts import add_user

    add_user(small_store, "13812345678", "a long enough password 1", role="deputy")
    add_user(small_store, "13912345678", "a long enough password 2", role="deputy")
    with small_store.engine.begin() as conn:
        conn.execute(schema.inspection.update().values(places="138——1234——5678"))
    assert counts(clean_stored_text(small_store)) == {
        ("inspection", "places"): (1, 0, "reimport"),
        ("audit_log", "what"): (2, 0, "reported"),  # the two accounts' creation
    }
    users = set(small_store.read("app_user")["name"])
    assert {"13812345678", "13912345678"} <= users  # they still sign in
    url = small_store.engine.url.render_as_string(hide_password=False)
    with small_store.engine.begin() as conn:
        conn.execute(schema.inspection.update().values(places=""))
    assert main(["stored-text", "--db", url]) == 0  # the audit log alone: reported, not failing


def test_cleaning_again_or_with_nothing_found_writes_nothing(small_store):
    version = small_store.data_version()
    assert clean_stored_text(small_store) == []
    assert small_store.data_version() == version
    stored_before_the_rule_grew(small_store)
    clean_stored_text(small_store)
    version = small_store.data_version()
    entries = len(small_store.read("audit_log"))
    assert sorted(f.action for f in clean_stored_text(small_store)) == ["reimport", "reported"]
    assert small_store.data_version() == version
    assert len(small_store.read("audit_log")) == entries


def test_the_command_counts_without_showing_a_number_then_cleans(small_store, capsys):
    url = small_store.engine.url.render_as_string(hide_password=False)
    assert main(["stored-text", "--db", url]) == 0
    assert "没有" in capsys.readouterr().out
    stored_before_the_rule_grew(small_store)
    assert main(["stored-text", "--db", url]) == 1
    out, err = capsys.readouterr()
    assert "inspection.summary：1 条含身份证号或手机号，0 条含不可见字符，可清理" in out
    assert "--clean" in out and "不能自动清理" in out and "重新导入" in err
    for shown in (out, err):
        assert "1234" not in shown and "19900101" not in shown
    assert main(["stored-text", "--db", url, "--clean"]) == 1  # the identifier is still there
    out, _ = capsys.readouterr()
    assert "inspection.summary：1 条含身份证号或手机号，0 条含不可见字符，已清理" in out
    assert main(["stored-text", "--db", url, "--json"]) == 1
    found = json.loads(capsys.readouterr().out)
    assert {(f["table"], f["column"]) for f in found} == {
        ("household", "household_id"),
        ("audit_log", "what"),
    }
