"""Stored text read again under today's rules (hehu/records/stored_text.py, `hehu stored-text`):
a summary saved before the rule knew 138——1234——5678, or text imported before control
characters were dropped, is found column by column, never shown, and cleaned in one write of the
store; what cannot be rewritten (an identifier, the append-only audit log) is reported. On
SQLite, and on PostgreSQL with --hehu-db=postgresql."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from hehu_fixtures import V1
from test_import_support import write_book

from hehu.cli.main import main
from hehu.importing import import_file
from hehu.records import pseudonym, schema, vocab
from hehu.records.stored_text import check_stored_text, clean_stored_text

pytest_plugins = ["test_import_support"]  # fixtures: home (a private pseudonymisation key)


@pytest.fixture(autouse=True)
def key(home) -> bytes:
    """The key this machine's imports made pseudonyms with: the test's own, never the user's."""
    return pseudonym.load_key(create=True)


SUMMARY = "家长电话138——1234——5678，已走访"  # the Chinese input method's dash, twice
RESPONSE = "经核实 320826 - 19900101 - 1231 已入学"
TEXT_WITH_CONTROL = "常态化走访\x0b（自 Word 粘贴）"
CODE = "H-138——1234——5678"  # a household's number holding a mobile number
ORG_CODE = "13912345678"  # an organisation's code that is a mobile number
OWN = "H-13855583195c5793"


def stored_before_the_rule_grew(store) -> None:
    """What an older Hehu let in, written as it was written then: past today's checks."""
    with store.engine.begin() as conn:
        conn.execute(schema.inspection.update().values(summary=SUMMARY))
        rec = schema.recommendation
        conn.execute(rec.update().where(rec.c.rec_id == "rec1").values(text=TEXT_WITH_CONTROL))
        conn.execute(rec.update().where(rec.c.rec_id == "rec2").values(response=RESPONSE))
        conn.execute(schema.household.insert().values(household_id=CODE, place_code=V1))
        conn.execute(
            schema.person.update()
            .where(schema.person.c.person_id == "p1")
            .values(household_id=CODE)
        )
        org = schema.org
        federation = conn.execute(sa.select(org).where(org.c.org_id == "fed")).mappings().one()
        conn.execute(org.insert().values({**federation, "org_id": ORG_CODE, "name": "乙站"}))
        conn.execute(org.update().where(org.c.org_id == "st_t").values(host_org_id=ORG_CODE))
        conn.execute(schema.inspection.update().values(orgs=vocab.join_keys(["st_t", ORG_CODE])))
        conn.execute(rec.update().where(rec.c.rec_id == "rec3").values(responsible_org=ORG_CODE))
        # Hehu's own: one pseudonym in 1,600 holds a phone-shaped run, and is no number.
        conn.execute(schema.household.insert().values(household_id=OWN, place_code=V1))
    store.audit("export", "导出 138——1234——5678.xlsx")


def counts(findings) -> dict:
    return {(f.table, f.column): (f.numbers, f.controls, f.action) for f in findings}


def stored(store, table: str, column: str, key: str, value: str):
    t = schema.metadata.tables[table]
    with store.engine.connect() as conn:
        return conn.execute(sa.select(t.c[column]).where(t.c[key] == value)).scalar_one()


def test_text_stored_before_the_rule_grew_is_found_then_cleaned(small_store, home, key):
    assert check_stored_text(small_store) == []
    stored_before_the_rule_grew(small_store)
    expected = {
        ("inspection", "orgs"): (1, 0, "rekey"),
        ("inspection", "summary"): (1, 0, "clean"),
        ("org", "org_id"): (1, 0, "rekey"),
        ("org", "host_org_id"): (1, 0, "rekey"),
        ("household", "household_id"): (1, 0, "rekey"),
        ("person", "household_id"): (1, 0, "rekey"),
        ("recommendation", "text"): (0, 1, "clean"),
        ("recommendation", "responsible_org"): (1, 0, "rekey"),
        ("recommendation", "response"): (1, 0, "clean"),
        ("audit_log", "what"): (1, 0, "reported"),
    }
    assert counts(check_stored_text(small_store)) == expected
    version = small_store.data_version()
    households = small_store.count("household")

    assert counts(clean_stored_text(small_store, actor="cli:tester", key=key)) == expected
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
    # A code holding a number is the pseudonym the import gives that code, and what pointed at
    # it points at the pseudonym: a register naming the old code still finds the record.
    household = pseudonym.code_pseudonym("H", CODE, key)
    station = pseudonym.code_pseudonym("O", ORG_CODE, key)
    assert stored(small_store, "person", "household_id", "person_id", "p1") == household
    assert stored(small_store, "org", "host_org_id", "org_id", "st_t") == station
    assert stored(small_store, "recommendation", "responsible_org", "rec_id", "rec3") == station
    assert stored(small_store, "inspection", "orgs", "inspection_id", "i1") == vocab.join_keys(
        ["st_t", station]
    )
    assert stored(small_store, "org", "name", "org_id", station) == "乙站"
    assert stored(small_store, "household", "place_code", "household_id", household) == V1
    assert small_store.count("household") == households
    assert small_store.get_meta(pseudonym.KEY_CHECK_META) == pseudonym.key_check(key)
    # Only the audit log, append-only, is found again.
    assert counts(check_stored_text(small_store)) == {("audit_log", "what"): (1, 0, "reported")}
    people = [
        ["对象编号", "家庭编号", "性别", "出生年份", "村居"],
        ["c9", CODE, "女", 2013, "一村"],
    ]
    report = import_file(small_store, write_book(home / "名册.xlsx", {"对象": people}))
    assert report.rejected == 0, report.errors
    assert stored(small_store, "person", "household_id", "person_id", "c9") == household
    assert small_store.count("household") == households


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


def test_cleaning_again_or_with_nothing_found_writes_nothing(small_store, key):
    version = small_store.data_version()
    assert clean_stored_text(small_store, key=key) == []
    assert small_store.data_version() == version
    stored_before_the_rule_grew(small_store)
    clean_stored_text(small_store, key=key)
    version = small_store.data_version()
    entries = len(small_store.read("audit_log"))
    assert [f.action for f in clean_stored_text(small_store, key=key)] == ["reported"]
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
    assert (
        "household.household_id：1 条含身份证号或手机号，0 条含不可见字符，是编号或指向编号，可改为导入时所用的编号"
        in out
    )
    assert "--clean" in out
    for shown in (out, err):
        assert "1234" not in shown and "19900101" not in shown
    assert main(["stored-text", "--db", url, "--clean"]) == 0  # the audit log alone is left
    out, err = capsys.readouterr()
    assert "inspection.summary：1 条含身份证号或手机号，0 条含不可见字符，已清理" in out
    assert "已改为导入时所用的编号" in out and not err
    assert main(["stored-text", "--db", url, "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert {(f["table"], f["column"]) for f in found} == {("audit_log", "what")}


def test_a_code_whose_pseudonym_another_record_holds_is_left_for_a_person(small_store, capsys, key):
    """The same household imported again since, under the pseudonym of its code: merging two
    records is a person's decision. Nothing is moved or lost, and the command keeps failing."""
    taken = pseudonym.code_pseudonym("H", CODE, key)
    stored_before_the_rule_grew(small_store)
    with small_store.engine.begin() as conn:
        conn.execute(schema.household.insert().values(household_id=taken, place_code=V1))
    households = small_store.count("household")
    url = small_store.engine.url.render_as_string(hide_password=False)
    assert main(["stored-text", "--db", url, "--clean"]) == 1
    out, err = capsys.readouterr()
    assert "另一条记录" in err and "1234" not in out + err
    assert "household.household_id：1 条含身份证号或手机号，0 条含不可见字符，未能全部改写" in out
    assert small_store.count("household") == households
    assert stored(small_store, "person", "household_id", "person_id", "p1") == CODE
    assert counts(check_stored_text(small_store)) == {
        ("household", "household_id"): (1, 0, "rekey"),
        ("person", "household_id"): (1, 0, "rekey"),
        ("audit_log", "what"): (1, 0, "reported"),
    }


def test_without_the_import_key_codes_stay_and_the_store_is_not_stamped(small_store, home, capsys):
    """--clean on a machine that never imported: a new key would give other pseudonyms than
    the clerk's, and the store stamped with it would refuse the clerk's next import."""
    (home / pseudonym.KEY_FILE_NAME).unlink()
    stored_before_the_rule_grew(small_store)
    url = small_store.engine.url.render_as_string(hide_password=False)
    assert main(["stored-text", "--db", url, "--clean"]) == 1
    out, err = capsys.readouterr()
    assert "本机没有导入登记表时使用的假名化密钥" in err
    assert "inspection.summary：1 条含身份证号或手机号，0 条含不可见字符，已清理" in out
    assert stored(small_store, "person", "household_id", "person_id", "p1") == CODE
    assert not (home / pseudonym.KEY_FILE_NAME).exists()
    assert small_store.get_meta(pseudonym.KEY_CHECK_META) is None


def test_a_code_with_a_control_character_becomes_the_code_the_import_reads(small_store, home, key):
    """The import drops control characters before it reads a code: "h9" and a vertical tab
    is read "h9", and a number with one is the pseudonym of the number without it."""
    with small_store.engine.begin() as conn:
        for code in ("h9\x0b", CODE + "\x07"):
            conn.execute(schema.household.insert().values(household_id=code, place_code=V1))
    clean_stored_text(small_store, key=key)
    households = set(small_store.read("household")["household_id"])
    assert {"h9", pseudonym.code_pseudonym("H", CODE, key)} <= households
    people = [
        ["对象编号", "家庭编号", "性别", "出生年份", "村居"],
        ["c9", "h9", "女", 2013, "一村"],
    ]
    report = import_file(small_store, write_book(home / "名册.xlsx", {"对象": people}))
    assert report.rejected == 0, report.errors
    assert set(small_store.read("household")["household_id"]) == households  # none made anew


def test_a_units_clerk_still_signs_in_to_the_unit_once_its_code_is_rewritten(small_store, key):
    from hehu.accounts import add_user, verify

    stored_before_the_rule_grew(small_store)
    add_user(small_store, "gaj", "a long enough password 3", role="unit", unit=ORG_CODE)
    clean_stored_text(small_store, key=key)
    user = verify(small_store, "gaj", "a long enough password 3")
    assert user.unit == pseudonym.code_pseudonym("O", ORG_CODE, key)
