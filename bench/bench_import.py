"""Benchmark: import a 100,000-row register, as a ratio to merely reading the file.

The register is a children's register (姓名, 身份证号, 性别, 出生日期, 镇街, 村居, 类别, 户主姓名,
户主身份证号), so every row is pseudonymised, has its village resolved, its household created
and is checked against the store's rules. The baseline is the fastest reader available
(python-calamine) reading the same file into Python lists, the least any import has to do.

    .venv/bin/python bench/bench_import.py [--rows 100000] [--keep DIR]

`--before COMMIT` measures that commit's `hehu/` (taken from git into /tmp) and today's side by
side, each in its own process on the same register, in turns (`--rounds`, best of each kept): on
a shared machine the load changes from minute to minute, and only ratios taken together compare.

    .venv/bin/python bench/bench_import.py --before ea2891b --rounds 2
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from openpyxl import Workbook
from python_calamine import CalamineWorkbook

REPO = Path(__file__).resolve().parents[1]
if __name__ == "__main__" and "--one" in sys.argv:  # the code measured comes first on the path
    sys.path.insert(0, sys.argv[sys.argv.index("--one") + 1])
sys.path.insert(1 if "--one" in sys.argv else 0, str(REPO))

from hehu.records.gazetteer import load_gazetteer, read_gazetteer  # noqa: E402
from hehu.records.pseudonym import id_check_char  # noqa: E402
from hehu.records.store import open_store  # noqa: E402

HEADER = [
    "序号",
    "姓名",
    "身份证号",
    "性别",
    "出生日期",
    "镇街",
    "村居",
    "类别",
    "户主姓名",
    "户主身份证号",
]
CATEGORIES = ["留守儿童", "困境儿童", "留守儿童、困境儿童", "单亲家庭", "留守儿童、残疾"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "小明花雨晨子涵梓轩一诺欣怡浩然思远佳琪俊杰"


def id_number(birth: dt.date, seq: int) -> str:
    """A valid (synthetic) ID-card number for a birth date and a sequence number."""
    first17 = f"320826{birth:%Y%m%d}{seq:03d}"
    return first17 + id_check_char(first17)


def make_register(path: Path, rows: int) -> None:
    """Write the register with openpyxl's streaming writer (a title row above the header)."""
    places = read_gazetteer()
    towns = dict(zip(places["code"], places["short_name"], strict=True))
    villages = places[places["level"].isin(["village", "community"])]
    village_rows = [
        (towns[parent] + ("镇" if parent[6] == "1" else "街道"), short)
        for parent, short in zip(villages["parent_code"], villages["short_name"], strict=True)
    ]
    book = Workbook(write_only=True)
    sheet = book.create_sheet("留守儿童")
    sheet.append(["涟水县留守儿童花名册（基准测试，合成数据）"])
    sheet.append(HEADER)
    start = dt.date(2006, 1, 1)
    for i in range(rows):
        birth = start + dt.timedelta(days=i % 4000)
        child = id_number(birth, i // 4000 * 2 + (i % 2))
        head = id_number(dt.date(1975, 1, 1) + dt.timedelta(days=i % 4000), i // 4000 * 2 + 1)
        town, village = village_rows[i % len(village_rows)]
        name = SURNAMES[i % 20] + GIVEN[(i // 20) % 16] + GIVEN[(i // 320) % 16]
        sheet.append(
            [
                i + 1,
                name,
                child,
                "男" if i % 2 else "女",
                birth,
                town,
                village,
                CATEGORIES[i % len(CATEGORIES)],
                SURNAMES[i % 20] + "大" + GIVEN[(i // 20) % 16],
                head,
            ]
        )
    book.save(path)


def read_only(path: Path) -> int:
    """The baseline: python-calamine reads every sheet into Python lists."""
    with CalamineWorkbook.from_path(str(path)) as book:
        return sum(len(book.get_sheet_by_name(n).to_python()) for n in book.sheet_names)


CPU: dict[str, float] = {}  # CPU seconds of this process in each phase `measure` times


def timed(function, *args, cpu: str = "", **kwargs):
    """(seconds, result) of one call; its CPU seconds go to CPU[cpu] when named."""
    start, start_cpu = time.perf_counter(), time.process_time()
    result = function(*args, **kwargs)
    if cpu:
        CPU[cpu] = min(CPU.get(cpu, float("inf")), time.process_time() - start_cpu)
    return time.perf_counter() - start, result


def measure(register: Path, folder: Path, rows: int) -> dict:
    """Seconds of the read (best of 3), the dry run, the import and a re-import, in this process."""
    os.environ["HEHU_HOME"] = str(folder / "home")
    from hehu.importing import import_file

    read = min(timed(read_only, register, cpu="read")[0] for _ in range(3))

    def fresh_store(name: str):
        """A new SQLite store with the gazetteer."""
        path = folder / name
        for old in folder.glob(name + "*"):
            old.unlink()
        store = open_store(f"sqlite:///{path}")
        load_gazetteer(store)
        return store

    store = fresh_store("dry.sqlite")
    dry, report = timed(
        import_file, store, register, dry_run=True, report_dir=folder / "r", cpu="dry"
    )
    assert report.rejected == 0, report.errors[:5]
    store = fresh_store("bench.sqlite")
    real, report = timed(import_file, store, register, report_dir=folder / "r", cpu="real")
    assert report.accepted == rows and report.rejected == 0
    persons, households = store.count("person"), store.count("household")
    again, report2 = timed(import_file, store, register, report_dir=folder / "r", cpu="again")
    assert report2.records_written == 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"read": read, "dry": dry, "real": real, "again": again, "peak_mb": peak,
            "persons": persons, "households": households, "cpu": CPU}  # fmt: skip


def code_of(commit: str) -> Path:
    """`hehu/` and `data/` of a commit, unpacked from git into /tmp (once)."""
    target = Path(tempfile.gettempdir()) / f"hehu-bench-import-{commit}"
    if not (target / "hehu").is_dir():
        archive = subprocess.run(["git", "archive", commit, "hehu", "data"], cwd=REPO,
                                 check=True, capture_output=True).stdout  # fmt: skip
        target.mkdir(parents=True, exist_ok=True)
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(target, filter="data")
    return target


def in_process(code: Path, register: Path, folder: Path, rows: int) -> dict:
    """`measure` in a fresh process running the `hehu/` under `code`."""
    folder.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, __file__, "--one", str(code), "--register", str(register),
           "--folder", str(folder), "--rows", str(rows)]  # fmt: skip
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def print_row(label: str, m: dict) -> None:
    """One line a run: seconds and the ratio to the read measured in the same process, then
    the same in CPU seconds (less at the mercy of other processes on a shared machine)."""
    for what, t in (("wall", m), ("cpu", m["cpu"])):
        print(f"{label} {what:>4}: read {t['read']:5.2f} s; dry run {t['dry']:5.2f} s "
              f"({t['dry'] / t['read']:4.1f}x); import {t['real']:5.2f} s ({t['real'] / t['read']:4.1f}x);"
              f" re-import {t['again']:5.2f} s ({t['again'] / t['read']:4.1f}x)")  # fmt: skip


def print_best(label: str, cpus: list[dict]) -> None:
    """Each phase's fewest CPU seconds over the rounds, as a ratio to the fewest of the read:
    on a shared virtual machine one process's CPU seconds for the same work vary by a third,
    and the best of each is the least disturbed measure of what the code itself costs."""
    best = {what: min(c[what] for c in cpus) for what in ("read", "dry", "real", "again")}
    print(f"{label} best: read {best['read']:5.2f} s; dry run {best['dry']:5.2f} s "
          f"({best['dry'] / best['read']:4.1f}x); import {best['real']:5.2f} s "
          f"({best['real'] / best['read']:4.1f}x); re-import {best['again']:5.2f} s "
          f"({best['again'] / best['read']:4.1f}x)  (CPU, best of {len(cpus)})")  # fmt: skip


def main() -> int:
    """Write the register once, then time the read, the dry run, the import and a re-import."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--keep", metavar="DIR", help="keep the register and database here")
    parser.add_argument("--before", metavar="COMMIT", help="also measure this commit's hehu/")
    parser.add_argument("--rounds", type=int, default=1, help="turns of before and now (--before)")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--register", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(Path(args.register), Path(args.folder), args.rows)))
        return 0
    folder = Path(args.keep or tempfile.mkdtemp(prefix="hehu-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    register = folder / f"register_{args.rows}.xlsx"
    if not register.exists():
        seconds, _ = timed(make_register, register, args.rows)
        print(f"wrote {register.name} ({register.stat().st_size / 1e6:.1f} MB) in {seconds:.1f} s")
    if args.before or args.rounds > 1:
        codes = {f"before ({args.before})": code_of(args.before)} if args.before else {}
        codes["now"] = REPO
        runs: dict[str, list[dict]] = {name: [] for name in codes}
        for _ in range(args.rounds):  # in turns, so a slow spell of the machine hits both
            for n, (name, code) in enumerate(codes.items()):
                runs[name].append(in_process(code, register, folder / f"code{n}", args.rows))
        print(f"rows: {args.rows:,}; {args.rounds} round(s), each ratio to the read of its own run")
        for name, measured in runs.items():
            for m in measured:
                print_row(f"{name:>18}", m)
        for name, measured in runs.items():
            print_best(f"{name:>18}", [m["cpu"] for m in measured])
        return 0
    m = measure(register, folder, args.rows)
    read, dry, real, again = m["read"], m["dry"], m["real"], m["again"]
    print(f"rows: {args.rows:,} (persons {m['persons']:,}, households {m['households']:,})")
    print(f"read only (python-calamine, best of 3): {read:7.2f} s")
    print(f"dry run (parse, resolve, validate)    : {dry:7.2f} s  ratio {dry / read:5.1f}x")
    print(f"import (dry run + one transaction)    : {real:7.2f} s  ratio {real / read:5.1f}x")
    print(f"re-import (nothing changes)           : {again:7.2f} s  ratio {again / read:5.1f}x")
    print(f"import rate: {args.rows / real:,.0f} rows/s; peak memory {m['peak_mb']:,.0f} MB")
    cpu = m["cpu"]
    print(f"CPU seconds: read {cpu['read']:.2f}, dry run {cpu['dry']:.2f} ({cpu['dry'] / cpu['read']:.1f}x), "
          f"import {cpu['real']:.2f} ({cpu['real'] / cpu['read']:.1f}x), "
          f"re-import {cpu['again']:.2f} ({cpu['again'] / cpu['read']:.1f}x)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
