"""Named users (issue 14): only argon2id hashes are stored, wrong passwords and unknown names are
refused alike and in the same time, failures lock an account for a while, a disabled user cannot
sign in, the database itself refuses a unit user without a unit, and no password reaches the
command's output or the audit log. On SQLite, and on PostgreSQL with --hehu-db=postgresql."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import argon2
import pytest
import sqlalchemy as sa

from hehu import accounts
from hehu.errors import HehuError
from hehu.i18n import audit_text
from hehu.records.store import open_store

PASSWORD = "Correct-horse-电池-staple"
T0 = dt.datetime(2026, 3, 8, 1, 0)  # UTC
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def db_url(hehu_db, tmp_path, request) -> str:
    """An empty database on the backend of the run."""
    if hehu_db == "postgresql":
        return request.getfixturevalue("pg_url")
    return f"sqlite:///{tmp_path / 'users.sqlite'}"


@pytest.fixture
def store(db_url):
    store = open_store(db_url)
    yield store
    store.engine.dispose()


@pytest.fixture(autouse=True)
def quick_hasher(monkeypatch):
    """argon2id with small costs, so that tests hash quickly (one test checks the real ones)."""
    monkeypatch.setattr(
        accounts, "HASHER", argon2.PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )
    monkeypatch.setattr(accounts, "_dummy_hash", None)


def raw_text(store) -> str:
    """Every value of every table, as the database holds it."""
    meta = sa.MetaData()
    with store.engine.connect() as conn, warnings.catch_warnings():
        warnings.simplefilter("ignore", sa.exc.SAWarning)  # the index on lower(name)
        meta.reflect(conn)
        return "\n".join(
            repr(tuple(row))
            for table in meta.tables.values()
            for row in conn.execute(table.select())
        )


def audit_entries(store) -> list[tuple[str, str, str]]:
    with store.engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.exec_driver_sql("SELECT actor, action, what FROM audit_log ORDER BY id")
        ]


def stored_hash(store, name: str) -> str:
    with store.engine.connect() as conn:
        return conn.execute(
            sa.text("SELECT password_hash FROM app_user WHERE name = :n"), {"n": name}
        ).scalar_one()


# --------------------------------------------------------------------------- hashes


def test_only_an_argon2id_hash_is_stored(store, monkeypatch):
    monkeypatch.setattr(accounts, "HASHER", argon2.PasswordHasher())  # the real parameters
    user = accounts.add_user(store, "zhang", PASSWORD, role="staff")
    assert (user.name, user.role, user.unit, user.disabled) == ("zhang", "staff", None, False)
    assert not hasattr(user, "password_hash")
    text = raw_text(store)
    assert PASSWORD not in text and PASSWORD.encode().hex() not in text
    stored = stored_hash(store, "zhang")
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert accounts.verify(store, "zhang", PASSWORD).name == "zhang"
    # salted: the same password hashes differently for another user
    accounts.add_user(store, "li", PASSWORD, role="deputy")
    assert stored_hash(store, "li") != stored


def test_the_database_refuses_a_password_that_is_not_a_hash(store):
    accounts.add_user(store, "zhang", PASSWORD, role="staff")
    with pytest.raises(sa.exc.IntegrityError), store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE app_user SET password_hash = :p"), {"p": PASSWORD})


# --------------------------------------------------------------------------- signing in


def test_a_wrong_password_and_an_unknown_name_are_refused_alike(store):
    accounts.add_user(store, "zhang", PASSWORD, role="staff")
    with pytest.raises(HehuError) as wrong:
        accounts.verify(store, "zhang", PASSWORD + "x", now=T0)
    with pytest.raises(HehuError) as unknown:
        accounts.verify(store, "wang", PASSWORD, now=T0)
    assert wrong.value.zh == unknown.value.zh and "用户名或密码不正确" in wrong.value.zh
    assert accounts.verify(store, "ZHANG", PASSWORD, now=T0).name == "zhang"  # case-blind name
    for empty in ("", " ", "\x00"):
        with pytest.raises(HehuError):
            accounts.verify(store, "zhang", empty, now=T0)


def test_an_unknown_name_costs_one_hash_like_a_known_one(store, monkeypatch):
    """Names cannot be told apart by timing: every refusal verifies exactly one argon2 hash."""
    accounts.add_user(store, "zhang", PASSWORD, role="staff")
    calls = []

    class Counting(argon2.PasswordHasher):
        def verify(self, hash, password):
            calls.append(hash)
            return super().verify(hash, password)

    monkeypatch.setattr(accounts, "HASHER", Counting(time_cost=1, memory_cost=1024, parallelism=1))
    for name, password in (("zhang", "wrong password"), ("nobody", "wrong password"),
                           ("bad name with spaces", "x"), ("zhang", PASSWORD)):  # fmt: skip
        calls.clear()
        with contextlib.suppress(HehuError):
            accounts.verify(store, name, password, now=T0)
        assert len(calls) == 1, name
    # and in practice: within a factor of the known name's time
    monkeypatch.setattr(accounts, "HASHER", argon2.PasswordHasher())
    accounts.set_password(store, "zhang", PASSWORD)

    def seconds(name):
        start = time.perf_counter()
        with pytest.raises(HehuError):
            accounts.verify(store, name, "wrong password", now=T0)
        return time.perf_counter() - start

    accounts.unlock(store, "zhang")
    known, unknown = min(seconds("zhang") for _ in range(2)), min(seconds("x") for _ in range(2))
    assert 1 / 3 < unknown / known < 3, (known, unknown)  # skipping the hash: ~1/1000


def test_failures_lock_an_account_until_the_time_is_up(store):
    accounts.add_user(store, "zhang", PASSWORD, role="staff", now=T0)
    for n in range(accounts.MAX_FAILED_ATTEMPTS - 1):
        with pytest.raises(HehuError):
            accounts.verify(store, "zhang", f"wrong {n}", now=T0)
    assert accounts.get_user(store, "zhang").failed_attempts == accounts.MAX_FAILED_ATTEMPTS - 1
    # a success clears the count
    accounts.verify(store, "zhang", PASSWORD, now=T0)
    assert accounts.get_user(store, "zhang").failed_attempts == 0
    for n in range(accounts.MAX_FAILED_ATTEMPTS):
        with pytest.raises(HehuError):
            accounts.verify(store, "zhang", f"wrong {n}", now=T0)
    user = accounts.get_user(store, "zhang")
    assert user.locked(T0) and user.locked_until == T0 + dt.timedelta(minutes=accounts.LOCK_MINUTES)
    # locked: even the right password is refused, with the same message as a wrong one
    almost = T0 + dt.timedelta(minutes=accounts.LOCK_MINUTES) - dt.timedelta(seconds=1)
    with pytest.raises(HehuError) as locked:
        accounts.verify(store, "zhang", PASSWORD, now=almost)
    assert "用户名或密码不正确" in locked.value.zh
    after = T0 + dt.timedelta(minutes=accounts.LOCK_MINUTES, seconds=1)
    assert accounts.verify(store, "zhang", PASSWORD, now=after).name == "zhang"
    assert not accounts.get_user(store, "zhang").locked(after)
    locks = [e for e in audit_entries(store) if "user_locked" in e[2]]
    assert len(locks) == 1 and "连续 5 次登录失败" in audit_text(locks[0][2])


def test_an_admin_unlocks_an_account(store):
    accounts.add_user(store, "zhang", PASSWORD, role="staff")
    for n in range(accounts.MAX_FAILED_ATTEMPTS):
        with pytest.raises(HehuError):
            accounts.verify(store, "zhang", f"wrong {n}", now=T0)
    accounts.unlock(store, "zhang", actor="root-admin", now=T0)
    assert accounts.verify(store, "zhang", PASSWORD, now=T0).name == "zhang"
    assert ("root-admin", "account") in [e[:2] for e in audit_entries(store)]


def test_a_disabled_user_is_refused(store):
    accounts.add_user(store, "zhang", PASSWORD, role="deputy")
    accounts.disable(store, "zhang")
    with pytest.raises(HehuError) as refused:
        accounts.verify(store, "zhang", PASSWORD, now=T0)
    assert "已停用" in refused.value.zh
    with pytest.raises(HehuError) as wrong:  # said only to someone who knows the password
        accounts.verify(store, "zhang", "wrong password", now=T0)
    assert "已停用" not in wrong.value.zh
    accounts.enable(store, "zhang")
    assert accounts.verify(store, "zhang", PASSWORD, now=T0).role == "deputy"


def test_a_new_password_replaces_the_old_one(store):
    accounts.add_user(store, "zhang", PASSWORD, role="staff")
    accounts.set_password(store, "zhang", "another good password")
    with pytest.raises(HehuError):
        accounts.verify(store, "zhang", PASSWORD, now=T0)
    assert accounts.verify(store, "zhang", "another good password", now=T0).name == "zhang"


# --------------------------------------------------------------------------- rules


def test_a_unit_user_needs_a_unit_and_only_a_unit_user_has_one(store):
    with pytest.raises(HehuError, match="必须指定所属单位"):
        accounts.add_user(store, "gaj", PASSWORD, role="unit")
    with pytest.raises(HehuError, match="只有承办单位"):
        accounts.add_user(store, "zhang", PASSWORD, role="deputy", unit="公安局")
    with pytest.raises(HehuError, match="未知的角色"):
        accounts.add_user(store, "zhang", PASSWORD, role="mayor")
    user = accounts.add_user(store, "gaj", PASSWORD, role="unit", unit=" 公安局 ")
    assert user.unit == "公安局"
    # the database itself refuses it, whoever writes
    row = {"h": stored_hash(store, "gaj"), "t": T0}
    for role, unit in (("unit", None), ("unit", ""), ("staff", "公安局"), ("mayor", None)):
        with pytest.raises(sa.exc.IntegrityError), store.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO app_user (name, role, unit, password_hash, failed_attempts, "
                    "created_at, password_changed_at, disabled) "
                    "VALUES ('raw', :r, :u, :h, 0, :t, :t, false)"
                ),
                {**row, "r": role, "u": unit},
            )


def test_names_are_unique_whatever_their_case(store):
    accounts.add_user(store, "Zhang", PASSWORD, role="staff")
    with pytest.raises(HehuError, match="用户名已被使用"):
        accounts.add_user(store, "zhang", PASSWORD, role="deputy")
    with pytest.raises(HehuError, match="用户名已被使用"):
        accounts.add_user(store, "ＺＨＡＮＧ", PASSWORD, role="deputy")  # full-width letters
    assert [u.name for u in accounts.list_users(store)] == ["Zhang"]


def test_a_name_with_sql_or_html_is_stored_as_text(store):
    name = "x');DROP/**/TABLE/**/app_user;--<script>alert(1)</script>"
    accounts.add_user(store, name, PASSWORD, role="deputy")
    assert [u.name for u in accounts.list_users(store)] == [name]
    assert accounts.verify(store, name, PASSWORD, now=T0).name == name
    for bad in ("", "two words", "tab\there", "a" * 65, "nul\x00"):
        with pytest.raises(HehuError, match="用户名应为"):
            accounts.add_user(store, bad, PASSWORD, role="deputy")


def test_a_huge_password_is_refused_at_once(store):
    accounts.add_user(store, "zhang", PASSWORD, role="staff")
    huge = "密" * 1_000_000
    start = time.perf_counter()
    with pytest.raises(HehuError, match="密码过长"):
        accounts.add_user(store, "li", huge, role="staff")
    with pytest.raises(HehuError, match="密码过长"):
        accounts.set_password(store, "zhang", huge)
    with pytest.raises(HehuError, match="用户名或密码不正确"):
        accounts.verify(store, "zhang", huge, now=T0)
    assert time.perf_counter() - start < 0.5
    assert accounts.get_user(store, "zhang").failed_attempts == 0
    with pytest.raises(HehuError, match="至少"):
        accounts.add_user(store, "li", "short", role="staff")
    with pytest.raises(HehuError, match="不能与用户名相同"):
        accounts.add_user(store, "zhangsan123", "ZhangSan123", role="staff")


# --------------------------------------------------------------------------- the command line


def hehu(
    db_url: str, tmp_path: Path, *args: str, stdin: bytes = b""
) -> subprocess.CompletedProcess:
    env = dict(os.environ, HEHU_HOME=str(tmp_path / "home"))
    env.pop("HEHU_DB", None)
    return subprocess.run(
        [sys.executable, "-m", "hehu.cli", "user", *args, "--db", db_url],
        input=stdin, capture_output=True, env=env, cwd=REPO, timeout=120,
    )  # fmt: skip


def test_the_command_line_round_trip_shows_no_password(db_url, tmp_path):
    secret, second = "Cli-secret-口令-1234", "Cli-second-口令-5678"
    runs = [
        hehu(db_url, tmp_path, "add", "gaj", "--role", "unit", "--unit", "公安局",
             "--password-stdin", "--actor", "县人大办公室", stdin=secret.encode() + b"\n"),
        hehu(db_url, tmp_path, "add", "zhang", "--role", "deputy", "--password-stdin",
             stdin=secret.encode()),  # no newline at the end: still the password
        hehu(db_url, tmp_path, "passwd", "gaj", "--password-stdin", stdin=second.encode() + b"\r\n"),
        hehu(db_url, tmp_path, "disable", "zhang"),
        hehu(db_url, tmp_path, "unlock", "gaj"),
        hehu(db_url, tmp_path, "list"),
        hehu(db_url, tmp_path, "list", "--json"),
    ]  # fmt: skip
    for run in runs:
        assert run.returncode == 0, run.stderr.decode()
    listing = runs[-2].stdout.decode()
    assert '"unit": "公安局"' in runs[-1].stdout.decode()
    assert "gaj\tunit\t公安局\t正常" in listing and "zhang\tdeputy\t\t已停用" in listing
    store = open_store(db_url)
    try:
        assert accounts.verify(store, "gaj", second, now=T0).unit == "公安局"
        with pytest.raises(HehuError, match="已停用"):
            accounts.verify(store, "zhang", secret, now=T0)
        entries = audit_entries(store)
        log = "\n".join(map(repr, entries))
        assert ("县人大办公室", "account") in [e[:2] for e in entries]
        assert [audit_text(e[2]) for e in entries if e[1] == "account"][:2] == [
            "添加用户 gaj（角色 unit，单位 公安局）",
            "添加用户 zhang（角色 deputy）",
        ]
    finally:
        store.engine.dispose()
    shown = b"".join(r.stdout + r.stderr for r in runs).decode()
    for word in (secret, second):
        assert word not in shown and word not in log
    assert "$argon2" not in shown


def test_the_command_line_refuses_in_one_chinese_line(db_url, tmp_path):
    cases = [
        (("add", "gaj", "--role", "unit", "--password-stdin"), b"long enough pw\n", "必须指定所属单位"),
        (("add", "zhang", "--role", "deputy", "--password-stdin"), b"x" * 1_000_000, "密码过长"),
        (("add", "zhang", "--role", "deputy", "--password-stdin"), b"\xff\xfe bad utf-8\n", "UTF-8"),
        (("add", "zhang", "--role", "deputy"), b"", "--password-stdin"),  # no terminal
        (("passwd", "nobody", "--password-stdin"), b"long enough pw\n", "没有这个用户"),
    ]  # fmt: skip
    for args, stdin, expected in cases:
        run = hehu(db_url, tmp_path, *args, stdin=stdin)
        err = run.stderr.decode()
        assert run.returncode == 2 and expected in err, (args, err)
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_two_processes_adding_the_same_name_at_once_one_wins(db_url, tmp_path):
    open_store(db_url).engine.dispose()  # the schema exists before the race
    env = dict(os.environ, HEHU_HOME=str(tmp_path / "home"))
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "hehu.cli",
                "user",
                "add",
                name,
                "--role",
                role,
                "--password-stdin",
                "--db",
                db_url,
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=REPO,
        )  # fmt: skip
        for name, role in (("wang", "deputy"), ("Wang", "staff"))
    ]
    results = [p.communicate(b"a long enough password\n", timeout=120) for p in procs]
    codes = sorted(p.returncode for p in procs)
    assert codes == [0, 2], results
    loser = next(err.decode() for p, (_, err) in zip(procs, results, strict=True) if p.returncode)
    assert "用户名已被使用" in loser and len(loser.strip().splitlines()) == 1
    store = open_store(db_url)
    try:
        assert len(accounts.list_users(store)) == 1
        assert sum("user_add" in e[2] for e in audit_entries(store)) == 1
    finally:
        store.engine.dispose()
