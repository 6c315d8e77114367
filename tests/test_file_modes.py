"""On a shared office PC no other account may read the records: Hehu's files are owner-only.

Run the way a clerk would on a default Debian account (umask 022, under which files come out
0644 and folders 0755): the Hehu home, the database and its WAL must still be owner-only, and a
database left readable by an earlier version is pointed out.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def hehu(*args: str, home: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "hehu.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "HEHU_HOME": str(home)},
        preexec_fn=lambda: os.umask(0o022),  # the usual default, which makes 0644 files
    )


def test_home_and_database_are_owner_only(tmp_path):
    home = tmp_path / "home"
    done = hehu("demo", home=home)  # creates the home and the database
    assert done.returncode == 0, done.stderr
    assert mode(home) == 0o700
    database = home / "hehu.sqlite"
    assert mode(database) == 0o600
    for companion in (home / "hehu.sqlite-wal", home / "hehu.sqlite-shm"):
        if companion.exists():
            assert mode(companion) == 0o600, companion
    assert "提醒" not in done.stderr  # nothing loose to warn about
    # (the pseudonymisation key is made by the first import: tests/test_import_files.py)


def test_the_wal_of_an_open_database_is_owner_only(tmp_path):
    from hehu.records.gazetteer import load_gazetteer
    from hehu.records.store import open_store

    old = os.umask(0o022)
    try:
        store = open_store(f"sqlite:///{tmp_path / 'db' / 'hehu.sqlite'}")
        load_gazetteer(store)
        with store.engine.connect():  # while a connection is open the WAL stays on disk
            wal = tmp_path / "db" / "hehu.sqlite-wal"
            assert wal.exists() and mode(wal) == 0o600
        assert mode(tmp_path / "db") == 0o700  # a folder it had to create
    finally:
        os.umask(old)


def test_a_database_readable_by_others_is_pointed_out(tmp_path):
    home = tmp_path / "home"
    assert hehu("init", home=home).returncode == 0
    database = home / "hehu.sqlite"
    database.chmod(0o644)  # as an earlier version left it
    done = hehu("metrics", "--place", "320826000000", "--start", "2022-01-01", home=home)
    assert done.returncode == 0, done.stderr
    assert f"{database} 的权限为 644" in done.stderr and f"chmod 600 {database}" in done.stderr
    assert mode(database) == 0o644  # pointed out, not changed behind the owner's back
