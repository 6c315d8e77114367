"""Benchmark: the least an import of the bench register must do, part by part, as ratios to
the read, all in one process: what `bench_import.py`'s 3x (import) and 2x (dry run) leave for
the rest.

The parts no import can skip: reading the file (python-calamine, the baseline), the check
against spreadsheet bombs (`workbook.check_spreadsheet`, which every import runs before the read:
it unpacks the zip once and scans every cell's position), two keyed pseudonyms a row
(the child's and the household head's, `pseudonym.pseudonym` itself), the ID check digits, and
for an import SQLite's own insert of the stored rows (the store's tables, foreign keys on, WAL,
one transaction, plain sqlite3: no Python a row but the driver's). The sum is a floor for an
import whose per-row Python costs nothing; what an import takes beyond it is that Python. The
last lines say how many seconds the goals (3x, dry run 2x) leave for it.

Run `bench_import.py --keep DIR` first (it writes the register and the stored records), then

    .venv/bin/python bench/import_floor.py DIR
"""

from __future__ import annotations

import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from python_calamine import CalamineWorkbook

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hehu.importing.workbook import check_spreadsheet  # noqa: E402
from hehu.records.gazetteer import load_gazetteer  # noqa: E402
from hehu.records.pseudonym import id_check_chars, pseudonym  # noqa: E402
from hehu.records.store import open_store  # noqa: E402

ROUNDS = 3


def best_cpu(work: Callable[[], object]) -> tuple[float, object]:
    """The fewest CPU seconds of ROUNDS calls, and the last call's result."""
    best, result = float("inf"), None
    for _ in range(ROUNDS):
        start = time.process_time()
        result = work()
        best = min(best, time.process_time() - start)
    return best, result


def read(register: Path) -> list[list]:
    """What bench_import.py's baseline does: every sheet into Python lists."""
    with CalamineWorkbook.from_path(str(register)) as book:
        return [
            row for name in book.sheet_names for row in book.get_sheet_by_name(name).to_python()
        ]


def insert_seconds(stored: Path) -> float:
    """CPU seconds of SQLite inserting the households and people of `stored` into a new store."""
    with sqlite3.connect(stored) as source:
        households = source.execute("SELECT * FROM household").fetchall()
        people = source.execute("SELECT * FROM person").fetchall()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/floor.sqlite"
        store = open_store(url)
        load_gazetteer(store)
        store.engine.dispose()
        db = sqlite3.connect(f"{tmp}/floor.sqlite", isolation_level=None)
        for pragma in ("journal_mode=WAL", "foreign_keys=ON"):  # as the store's connections
            db.execute(f"PRAGMA {pragma}")
        start = time.process_time()
        db.execute("BEGIN")
        for table, rows in (("household", households), ("person", people)):
            marks = ", ".join("?" * len(rows[0]))
            db.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
        db.execute("COMMIT")
        seconds = time.process_time() - start
        db.close()
    return seconds


def main() -> int:
    """Print each part's CPU seconds and ratio to the read, and the floors they add up to."""
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "")
    registers = sorted(folder.glob("register_*.xlsx"))
    stored = folder / "bench.sqlite"
    if not registers or not stored.exists():
        print(f"run bench/bench_import.py --keep {folder} first", file=sys.stderr)
        return 2
    register = registers[0]
    reading, rows = best_cpu(lambda: read(register))
    header = next(i for i, row in enumerate(rows) if "身份证号" in row)
    body = rows[header + 1 :]
    people = [(str(r[name]), str(r[number])) for name, number in ((1, 2), (8, 9)) for r in body]
    first17s = [str(r[number])[:17] for number in (2, 9) for r in body]
    key = os.urandom(32)
    parts = {
        "the check against spreadsheet bombs": best_cpu(
            lambda: check_spreadsheet(register, register.name)
        )[0],
        "two pseudonyms a row (HMAC-SHA256)": best_cpu(
            lambda: [pseudonym("P", n, number, key, checked=True) for n, number in people]
        )[0],
        "ID check digits of both columns": best_cpu(lambda: id_check_chars(first17s))[0],
    }
    insert = min(insert_seconds(stored) for _ in range(ROUNDS))
    print(f"{register.name}: {len(body):,} rows; CPU seconds, best of {ROUNDS}, ratio to the read")
    print(f"  {'reading (python-calamine)':40s} {reading:5.2f} s  1.00x")
    for name, seconds in [*parts.items(), ("SQLite's insert of the stored rows", insert)]:
        print(f"  {name:40s} {seconds:5.2f} s  {seconds / reading:4.2f}x")
    dry = reading + sum(parts.values())
    print(f"floor: dry run {dry / reading:.2f}x, import {(dry + insert) / reading:.2f}x")
    for goal, ratio, floor in (("a dry run", 2, dry), ("an import", 3, dry + insert)):
        left = ratio * reading - floor
        print(f"{goal} at {ratio}x leaves {left:.2f} s ({left / len(body) * 1e6:.1f} µs a row)"
              " for all other work")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
