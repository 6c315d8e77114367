"""Run every benchmark and print one report; `--write` puts it into bench/README.md.

Each benchmark runs in its own process (memory freed by one must not flatter the next) and
hands back JSON. Nothing here is part of the test suite.

    .venv/bin/python bench/run.py            # all sizes: about 15 minutes on 2 cores
    .venv/bin/python bench/run.py --quick    # 1 and 10 counties, the demo page: about 2 minutes
    .venv/bin/python bench/run.py --write    # and record the results in bench/README.md
    .venv/bin/python bench/run.py --all      # also the preheat soak, the read before/after
                                             # and metrics before/after (20 more minutes)
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib.metadata
import io
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import before_after  # noqa: E402
import bench_memory  # noqa: E402
import bench_metrics  # noqa: E402
import bench_pages  # noqa: E402
import lean_read  # noqa: E402
import soak_preheat  # noqa: E402

README = HERE / "README.md"
BEGIN, END = "<!-- results: written by bench/run.py --write -->", "<!-- end of results -->"


def machine() -> str:
    """What the figures were measured on, and how busy it was."""
    meminfo = Path("/proc/meminfo").read_text().split("\n")[0].split()
    ram_gib = int(meminfo[1]) / 1024 / 1024
    versions = []
    for package in ("pandas", "numpy", "SQLAlchemy", "duckdb", "voila", "playwright", "folium"):
        with contextlib.suppress(Exception):
            versions.append(f"{package} {importlib.metadata.version(package)}")
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    uname = subprocess.run(["uname", "-a"], capture_output=True, text=True).stdout.strip()
    return (
        f"- machine (`uname -a`): `{uname}`\n"
        f"- {os.cpu_count()} CPUs, {ram_gib:.1f} GiB RAM; load average at start {load}\n"
        f"- Python {platform.python_version()}; {', '.join(versions)}\n"
        f"- date: {dt.datetime.now().strftime('%Y-%m-%d %H:%M')}"
    )


def run_text(module, args: list[str]) -> str:
    """Run a benchmark that prints its own table; that table."""
    cmd = [sys.executable, module.__file__, *args]
    print("$", " ".join([Path(module.__file__).name, *args]), flush=True)
    out = subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
    return "\n".join(line for line in out.splitlines() if line.startswith("|")) + "\n"


def run(module, args: list[str]) -> list[dict]:
    """Run a benchmark module's main in a fresh process; its JSON results."""
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        cmd = [sys.executable, module.__file__, *args, "--json", out.name]
        print("$", " ".join(Path(c).name if c.endswith(".py") else c for c in cmd[1:]), flush=True)
        subprocess.run(cmd, check=False)
        return json.loads(Path(out.name).read_text() or "[]")


def table(printer, results: list[dict]) -> str:
    """A benchmark's table as text."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        printer(results)
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks, print the report, optionally write it into the README."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 and 10 counties only")
    parser.add_argument("--write", action="store_true", help="record the results in README.md")
    parser.add_argument("--all", action="store_true", help="also soak, lean read, before/after")
    args = parser.parse_args(argv)
    sizes = ["1", "10"] if args.quick else ["1", "10", "100"]
    header = machine()
    metrics = run(bench_metrics, ["--counties", *sizes, "--repeat", "3"])
    memory = run(bench_memory, ["--counties", sizes[0], sizes[-1]])
    pages = run(
        bench_pages,
        ["--counties", "0", *([] if args.quick else ["100"]), "--rounds", "5", "--hide-rfc3987"],
    )
    report = "\n".join(
        [
            header,
            "",
            "### Metrics for all places and the year 2022 (`bench/bench_metrics.py`)",
            "",
            table(bench_metrics.print_table, metrics),
            "### Kernel memory (`bench/bench_memory.py`)",
            "",
            table(bench_memory.print_table, memory),
            "### Overview page in Chromium (`bench/bench_pages.py`)",
            "",
            table(bench_pages.print_table, pages),
        ]
    )
    if args.all:
        report += "\n".join(
            [
                "",
                "### Preheated kernels, soak (`bench/soak_preheat.py --loads 35`)",
                "",
                run_text(soak_preheat, ["--loads", "35"]),
                "### The read before and after, 100 counties (`bench/lean_read.py`)",
                "",
                run_text(lean_read, ["--counties", sizes[-1]]),
                "### metrics_by_place before and after (`bench/before_after.py`)",
                "",
                run_text(before_after, ["--counties", *sizes]),
            ]
        )
    print("\n" + report)
    if args.write:
        text = README.read_text()
        start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
        README.write_text(text[:start] + "\n" + report + "\n" + text[end:])
        print(f"written to {README}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
