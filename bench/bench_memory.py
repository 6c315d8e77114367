"""Kernel memory: RSS of a fresh process that loads every record and computes the metrics.

A Voila kernel of the overview page does exactly this, so its RSS is what a deputy's session
costs the server. Each size runs in its own process (`--one`): memory freed by one size would
otherwise hide in the next one's figure.

`--before COMMIT` also measures, side by side in the same run, the store, metrics and gaps
code of that commit (taken from git) with pyarrow hidden from pandas: the state before the
store read through Arrow (commit ba786de is the last one before it).

    .venv/bin/python bench/bench_memory.py --counties 1 100
    .venv/bin/python bench/bench_memory.py --counties 100 --before ba786de
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
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: measure this URL here
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(measure(args.one, args.before)))
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
