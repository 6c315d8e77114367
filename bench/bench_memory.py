"""Kernel memory: RSS of a fresh process that loads every record and computes the metrics.

A Voila kernel of the overview page does exactly this, so its RSS is what a deputy's session
costs the server. Each size runs in its own process (`--one`): memory freed by one size would
otherwise hide in the next one's figure.

    .venv/bin/python bench/bench_memory.py --counties 1 100
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import ensure_province  # noqa: E402

DATA_DIR = Path("/tmp/hehu-bench")
MIB = 1 << 20


def measure(url: str) -> dict:
    """In this process: RSS (MiB) at start, after load_records, after metrics, and the peak."""
    process = psutil.Process()
    from hehu.gaps import gaps_by_place
    from hehu.metrics import Period, load_records, metrics_by_place
    from hehu.store import open_store

    base = process.memory_info().rss / MIB
    records = load_records(open_store(url, create=False))
    loaded = process.memory_info().rss / MIB
    frames = sum(f.memory_usage(deep=True).sum() for f in records.frames.values()) / MIB
    metrics_by_place(records, Period.year(2022))
    gaps_by_place(records, Period.year(2022))  # the overview page needs both
    computed = process.memory_info().rss / MIB
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {
        "imports_mib": base,
        "loaded_mib": loaded,
        "frames_mib": frames,
        "after_metrics_mib": computed,
        "peak_mib": peak,
    }


def bench(counties: int, data_dir: Path = DATA_DIR) -> dict:
    """Measure one size in a fresh Python process."""
    data_dir.mkdir(parents=True, exist_ok=True)
    url, _ = ensure_province(data_dir / f"province-{counties}.sqlite", counties)
    proc = subprocess.run(
        [sys.executable, __file__, "--one", url], capture_output=True, text=True, check=True
    )
    return {"counties": counties, **json.loads(proc.stdout)}


def print_table(results: list[dict]) -> None:
    """The results as a Markdown table."""
    print("| counties | RSS after imports MiB | after load_records | frames (deep) "
          "| after metrics + gaps | peak |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['counties']} | {r['imports_mib']:.0f} | {r['loaded_mib']:.0f} "
            f"| {r['frames_mib']:.0f} | {r['after_metrics_mib']:.0f} | {r['peak_mib']:.0f} |"
        )


def main(argv: list[str] | None = None) -> int:
    """Measure each size in its own process; print a table (and JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counties", type=int, nargs="+", default=[1, 100])
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: measure this URL here
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(measure(args.one)))
        return 0
    results = [bench(n, args.data_dir) for n in args.counties]
    print_table(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
