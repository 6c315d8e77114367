"""Every command that writes or audits names its actor in the audit log as the OS user who ran
it, `cli:<login name>` (hehu.accounts.cli_actor, the one place it is decided), never a bare
"cli", "system" or "admin" that says nobody; `cli` alone only where the system has no login
name. An explicit --actor still wins."""

from __future__ import annotations

import getpass
import io
import sys

import pytest
from hehu_fixtures import C
from test_import_support import org_rows, write_book

from hehu.accounts import cli_actor
from hehu.cli.main import main
from hehu.records.store import open_store

LOGIN = "wangfang"


@pytest.fixture(autouse=True)
def login(monkeypatch, tmp_path):
    monkeypatch.setattr(getpass, "getuser", lambda: LOGIN)
    monkeypatch.setenv("HEHU_HOME", str(tmp_path / "home"))
    for name in ("HEHU_USER", "JUPYTERHUB_USER"):  # a server's variables say nothing here
        monkeypatch.delenv(name, raising=False)


def new_actors(store, run) -> list[tuple[str, str]]:
    """(action, actor) of each audit entry a command adds."""
    before = len(store.read("audit_log"))
    assert run() == 0
    audit = store.read("audit_log").iloc[before:]
    assert len(audit), "the command wrote no audit entry"
    return list(zip(audit["action"], audit["actor"], strict=True))


def test_the_cli_actor_is_the_login_name(monkeypatch):
    assert cli_actor() == f"cli:{LOGIN}"

    def no_login():
        raise OSError("no login name")

    monkeypatch.setattr(getpass, "getuser", no_login)
    assert cli_actor() == "cli"


def test_commands_that_make_documents_audit_them_under_the_login_name(small_store, tmp_path):
    url, actor = small_store.url, f"cli:{LOGIN}"
    for args in (
        ["briefing", "--place", C, "--year", "2022", "--out", str(tmp_path / "b.html")],
        ["law-check", "--place", C, "--year", "2022", "--out", str(tmp_path / "l.docx")],
        ["inspection-report", "i1", "--out", str(tmp_path / "i.docx")],
    ):
        actors = new_actors(small_store, lambda a=args: main([*a, "--db", url]))
        assert {who for _what, who in actors} == {actor}, (args[0], actors)


def test_commands_that_write_records_audit_them_under_the_login_name(tmp_path, monkeypatch):
    url, actor = f"sqlite:///{tmp_path / 'w.sqlite'}", f"cli:{LOGIN}"
    assert main(["init", "--db", url]) == 0
    store = open_store(url)
    assert store.read("audit_log")["actor"].tolist() == [actor]  # the gazetteer
    book = write_book(tmp_path / "组织.xlsx", {"组织": org_rows()})
    assert new_actors(store, lambda: main(["import", str(book), "--db", url])) == [
        ("import", actor)
    ]
    # an explicit --actor still names someone else
    assert new_actors(
        store, lambda: main(["import", str(book), "--db", url, "--actor", "李干事"])
    ) == [("import", "李干事")]
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"a-long-passphrase-42\n")))
    add = ["user", "add", "zhao", "--role", "staff", "--password-stdin", "--db", url]
    assert {who for _w, who in new_actors(store, lambda: main(add))} == {actor}
    assert {who for _w, who in new_actors(store, lambda: main(["user", "disable", "zhao",
                                                               "--db", url]))} == {actor}  # fmt: skip
    assert {who for _w, who in new_actors(store, lambda: main(["demo", "--db", url]))} == {actor}
    store.engine.dispose()
