"""Kernel memory: RSS of a fresh process that loads every record and computes the metrics.

A Voila kernel of the overview page does exactly this, so its RSS is what a deputy's session
costs the server. Each size runs in its own process (`--one`): memory freed by one size would
otherwise hide in the next one's figure.

`--before COMMIT` also measures, side by side in the same run, the store, metrics and gaps
code of that commit (taken from git) with pyarrow hidden from pandas: the state before the
store read through Arrow (commit ba786de is the last one before it).

    .venv/bin/python bench/bench_memory.py --counties 1 100
    .venv/bin/python bench/bench_memory.py --counties 100 --before ba786de

`--scope county` measures instead a briefing page's kernel, in a fresh process each: RSS and
seconds of building the briefing page of a county (the first of the first city) and of that
city, with the shared figures it reads warmed first, as the server's warmer leaves them
(`--role staff`, the default: the place figures; `--role deputy`: `hehu warm`, which also
works out what is hidden from deputies), itself measured in its own process (the "warm" row:
seconds, CPU seconds, peak). `--code DIR` also runs it on the code in DIR (e.g. `git archive
COMMIT | tar -x -C DIR`), side by side on the same file.

    .venv/bin/python bench/bench_memory.py --counties 100 --scope county --code /tmp/hehu-before
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
import types
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DATA_DIR = Path("/tmp/hehu-bench")
MIB = 1 << 20
# the modules an overview kernel runs, in the order their relative imports need them
OVERVIEW_MODULES = ("store", "gazetteer", "metrics", "gaps")


def use_code_of(commit: str) -> None:
    """Make `hehu.records.store`, `.gazetteer`, `.metrics` and `.gaps` the code of `commit`, and hide
    pyarrow from pandas (it was not a dependency then). Call before anything imports pandas."""
    sys.modules["pyarrow"] = None  # `import pyarrow` now fails: pandas keeps text as objects
    import hehu

    for name in OVERVIEW_MODULES:
        path = f"hehu/{name}.py"
        source = subprocess.run(["git", "show", f"{commit}:{path}"], cwd=REPO, check=True,
                                capture_output=True, text=True).stdout  # fmt: skip
        module = types.ModuleType(f"hehu.{name}")
        module.__file__ = str(REPO / path)
        module.__package__ = "hehu"
        sys.modules[module.__name__] = module  # later modules' `from .store import` find it
        exec(compile(source, f"{commit}:{path}", "exec"), module.__dict__)
        if name == "store":
            # the file was made by today's code, at a newer schema version the old code
            # would refuse; its record tables are the same, so it is read without a check
            module._ensure_schema = lambda conn: None
        setattr(hehu, name, module)


def peak_mib() -> float:
    """This process's highest RSS so far (MiB): VmHWM, which starts afresh with the program;
    `ru_maxrss` can carry the high-water mark of the process image before `exec`."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def measure(url: str, before: str | None = None) -> dict:
    """In this process: RSS (MiB) at start, after load_records, after metrics, and the peak."""
    if before:
        use_code_of(before)
    import psutil

    process = psutil.Process()
    from hehu.figures.gaps import gaps_by_place
    from hehu.figures.metrics import Period, load_records, metrics_by_place
    from hehu.records.store import open_store

    base = process.memory_info().rss / MIB
    start = time.perf_counter()
    records = load_records(open_store(url, create=False))
    load_s = time.perf_counter() - start
    loaded = process.memory_info().rss / MIB
    frames = sum(f.memory_usage(deep=True).sum() for f in records.frames.values()) / MIB
    start = time.perf_counter()
    metrics_by_place(records, Period.year(2022))
    gaps_by_place(records, Period.year(2022))  # the overview page needs both
    compute_s = time.perf_counter() - start
    computed = process.memory_info().rss / MIB
    peak = peak_mib()
    return {
        "code": f"before ({before}, no pyarrow)" if before else "now",
        "imports_mib": base,
        "load_s": load_s,
        "loaded_mib": loaded,
        "frames_mib": frames,
        "compute_s": compute_s,
        "after_metrics_mib": computed,
        "peak_mib": peak,
    }


def warm_for(url: str, role: str) -> dict:
    """The shared figures a briefing of `role` reads, as the server's warmer leaves them. For
    staff only the place figures of each period (what exists of them in the code measured):
    what is hidden from deputies (`place_hidden_cells`, `hehu warm`) is not computed. Returns
    the seconds it took, RSS after imports and at the end, and the peak (MiB)."""
    import psutil

    from hehu.figures import places as figures
    from hehu.figures.cache import PageRecords, overview_period_keys, period_from_key
    from hehu.records.store import open_store

    base = psutil.Process().memory_info().rss / MIB
    start, cpu = time.perf_counter(), time.process_time()
    store = open_store(url, create=False)
    read = None
    if role != "staff":
        try:  # where the code measured keeps it
            from hehu.figures.warm import warm_figures
        except ImportError:
            warm_figures = figures.warm_figures
        read = warm_figures(store)["records_read"]
    else:
        records = PageRecords(store)
        for key in overview_period_keys(records):
            figures.place_figures(records, period_from_key(key))
            if hasattr(figures, "campaign_events"):  # the code before had no such figures
                figures.campaign_events(records, period_from_key(key))
                figures.shared_station_cases(records, key)
        read = records.fully_loaded
    return {
        "imports_mib": base,
        "build_s": time.perf_counter() - start,
        "cpu_s": time.process_time() - cpu,
        "after_mib": psutil.Process().memory_info().rss / MIB,
        "peak_mib": peak_mib(),
        "records_read": read,
    }


def measure_briefing(url: str, place: str, role: str) -> dict:
    """In this process: RSS (MiB) after imports and after building the briefing page of
    `place` for `role` (the figure cache already warm), the seconds it took, the peak."""
    import os

    import psutil

    os.environ["HEHU_ROLE"] = role
    process = psutil.Process()
    from widgets.pages.briefing import build_briefing_page

    base = process.memory_info().rss / MIB
    start, cpu = time.perf_counter(), time.process_time()
    page = build_briefing_page(url, {"place": place})
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    lazy = page.state.records.frames  # what the page read, of each kind
    full = getattr(lazy, "_full", None)  # before: every kind at once, on first use of any
    read = full.frames if full is not None else lazy._frames
    return {
        "imports_mib": base,
        "build_s": seconds,
        "cpu_s": cpu,
        "after_mib": process.memory_info().rss / MIB,
        "peak_mib": peak_mib(),
        "rows_read": sum(len(frame) for kind, frame in read.items() if kind != "place"),
    }


def bench_briefing(
    counties: int, data_dir: Path = DATA_DIR, code: Path | None = None, role: str = "staff"
) -> list:
    """A county's and its city's briefing page, each in a fresh process, figures warmed."""
    import os

    sys.path.insert(0, str(HERE))
    from generate import ensure_province

    data_dir.mkdir(parents=True, exist_ok=True)
    url, _ = ensure_province(data_dir / f"province-{counties}.sqlite", counties)
    env = dict(os.environ)
    if code is not None:
        env["PYTHONPATH"] = str(code)
    # the figures every page offers, as the server's warmer leaves them after a change
    warm = [sys.executable, __file__, "--warm", url, role]
    proc = subprocess.run(
        warm, capture_output=True, text=True, check=True, env=env, cwd=code or REPO
    )
    row = json.loads(proc.stdout.strip().splitlines()[-1])
    out = [{"counties": counties, "code": str(code or "now"), "page": "warm", "role": role, **row}]
    places = _places(url)
    county = places.loc[places["level"] == "county", "code"].iloc[0]
    city = places.set_index("code").at[county, "parent_code"]
    for what, place in (("county", county), ("city", city)):
        cmd = [sys.executable, __file__, "--briefing", url, place, role]
        proc = subprocess.run(
            cmd, capture_output=True, text=True, check=True, env=env, cwd=code or REPO
        )
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        out.append(
            {"counties": counties, "code": str(code or "now"), "page": what, "role": role, **row}
        )
    return out


def _places(url: str):
    from hehu.records.store import open_store

    return open_store(url, create=False).read("place")


def print_briefing_table(results: list[dict]) -> None:
    """The briefing results as a Markdown table; "warm" is the figures warmed first (in a
    process of their own: every record read when something had to be computed)."""
    print("| counties | code | briefing of | role | RSS after imports MiB | build s | CPU s "
          "| RSS after MiB | peak MiB | rows read (not places) |")  # fmt: skip
    print("|---:|---|---|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        rows = (
            f"{r['rows_read']:,}"
            if "rows_read" in r
            else ("every record" if r.get("records_read") else "figures cached")
        )
        print(
            f"| {r['counties']} | {r['code']} | {r['page']} | {r['role']} | {r['imports_mib']:.0f} "
            f"| {r['build_s']:.2f} | {r.get('cpu_s', float('nan')):.2f} | {r['after_mib']:.0f} "
            f"| {r['peak_mib']:.0f} | {rows} |"
        )


def bench(counties: int, data_dir: Path = DATA_DIR, before: str | None = None) -> dict:
    """Measure one size in a fresh Python process."""
    sys.path.insert(0, str(HERE))
    from generate import (
        ensure_province,  # imports hehu.records.store: not at the top (see --before)
    )

    data_dir.mkdir(parents=True, exist_ok=True)
    url, _ = ensure_province(data_dir / f"province-{counties}.sqlite", counties)
    cmd = [sys.executable, __file__, "--one", url, *(["--before", before] if before else [])]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return {"counties": counties, **json.loads(proc.stdout)}


def print_table(results: list[dict]) -> None:
    """The results as a Markdown table."""
    print("| counties | code | RSS after imports MiB | load_records s | after load_records "
          "| frames (deep) | metrics + gaps s | after metrics + gaps | peak |")  # fmt: skip
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['counties']} | {r.get('code', 'now')} | {r['imports_mib']:.0f} "
            f"| {r['load_s']:.1f} | {r['loaded_mib']:.0f} | {r['frames_mib']:.0f} "
            f"| {r['compute_s']:.1f} | {r['after_metrics_mib']:.0f} | {r['peak_mib']:.0f} |"
        )


def main(argv: list[str] | None = None) -> int:
    """Measure each size in its own process; print a table (and JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counties", type=int, nargs="+", default=[1, 100])
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    parser.add_argument("--before", help="also measure the code of this commit, pyarrow hidden")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--scope", choices=["county"], help="measure a county's briefing page")
    parser.add_argument("--code", type=Path, help="with --scope: also the code in this folder")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: measure this URL here
    parser.add_argument(
        "--role",
        default="staff",
        choices=["staff", "deputy"],
        help="with --scope: whose briefing (deputy: `hehu warm` first, hidden cells included)",
    )
    parser.add_argument("--briefing", nargs=3, help=argparse.SUPPRESS)  # internal
    parser.add_argument("--warm", nargs=2, help=argparse.SUPPRESS)  # internal: URL, role
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(measure(args.one, args.before)))
        return 0
    if args.warm:
        print(json.dumps(warm_for(*args.warm)))
        return 0
    if args.briefing:
        print(json.dumps(measure_briefing(*args.briefing)))
        return 0
    if args.scope:
        rows = []
        for n in args.counties:
            if args.code:  # side by side: the other code first, then today's, same file
                rows += bench_briefing(n, args.data_dir, args.code.resolve(), args.role)
            rows += bench_briefing(n, args.data_dir, role=args.role)
        print_briefing_table(rows)
        if args.json:
            args.json.write_text(json.dumps(rows, indent=1))
        return 0
    results = []
    for n in args.counties:
        if args.before:  # side by side: the old code first, then today's, same file
            results.append(bench(n, args.data_dir, args.before))
        results.append(bench(n, args.data_dir))
    print_table(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
