"""metrics_by_place before and after the performance change, side by side in one process.

The code before is taken from git (`hehu/metrics.py` and `hehu/gazetteer.py` at a commit; the
default is the last one before the change) and run on the same frames; both results are
compared, every figure of every place.

    .venv/bin/python bench/before_after.py --counties 1 10 100
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import types
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import ensure_province  # noqa: E402

from hehu.figures.metrics import Period, Records, load_records, metrics_by_place  # noqa: E402
from hehu.records.store import open_store  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = Path("/tmp/hehu-bench")


def old_module(commit: str, path: str, name: str) -> types.ModuleType:
    """A module of hehu as it was at `commit`, importable beside today's."""
    source = subprocess.run(["git", "show", f"{commit}:{path}"], cwd=REPO, check=True,
                            capture_output=True, text=True).stdout  # fmt: skip
    module = types.ModuleType(name)
    module.__file__ = str(REPO / path)
    module.__package__ = "hehu"  # its relative imports resolve to today's package
    sys.modules[name] = module  # dataclasses look their module up there
    exec(compile(source, f"{commit}:{path}", "exec"), module.__dict__)
    return module


def main(argv: list[str] | None = None) -> int:
    """Time the old and the new metrics_by_place on each size; check they agree."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counties", type=int, nargs="+", default=[10, 100])
    parser.add_argument("--commit", default="bde04aa")
    args = parser.parse_args(argv)
    old_metrics = old_module(args.commit, "hehu/metrics.py", "hehu_metrics_before")
    old_gazetteer = old_module(args.commit, "hehu/gazetteer.py", "hehu_gazetteer_before")
    print(f"| counties | before ({args.commit}) s | after s | before ÷ after | same figures |")
    print("|---:|---:|---:|---:|---|")
    for counties in args.counties:
        url, _ = ensure_province(DATA_DIR / f"province-{counties}.sqlite", counties)
        loaded = load_records(open_store(url, create=False))
        year = Period.year(2022)
        before_records = Records(loaded.frames)
        start = time.perf_counter()
        # the old Records computed its ancestors with the old loop: time that too
        before_records.__dict__["ancestors"] = old_gazetteer.ancestors_frame(loaded.places)
        before = old_metrics.metrics_by_place(before_records, year)
        before_s = time.perf_counter() - start
        after_records = Records(loaded.frames)
        start = time.perf_counter()
        after = metrics_by_place(after_records, year)
        after_s = time.perf_counter() - start
        try:
            pd.testing.assert_frame_equal(before, after, check_exact=True)
            same = "yes"
        except AssertionError as exc:
            same = f"NO: {str(exc).splitlines()[0]}"
        print(
            f"| {counties} | {before_s:.2f} | {after_s:.2f} | {before_s / after_s:.0f}× | {same} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
