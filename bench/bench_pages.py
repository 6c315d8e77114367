"""Overview page time to interactive in Chromium, against an empty notebook on the same Voila.

Both notebooks are served by one Voila, loaded in turns, each in a fresh browser context, so
the ratio cancels what the machine (and whoever else is using it) adds. "Interactive" is: the
overview's places table shown and its map drawn (Leaflet markers inside the map's iframe); the
empty notebook's single widget shown. Also the overview map's HTML size, built in this process.

    .venv/bin/python bench/bench_pages.py --counties 1 100
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import ensure_province  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = Path("/tmp/hehu-bench")
CHROMIUM = os.environ.get("HEHU_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]  # fmt: skip
EMPTY_NOTEBOOK = {
    "cells": [
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "empty",
            "metadata": {},
            "outputs": [],
            "source": [
                "import ipywidgets as w\n",
                "\n",
                "w.HTML('<div data-bench=\"ready\">ready</div>')",
            ],  # fmt: skip
        }
    ],
    "metadata": {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}
    },
    "nbformat": 4,
    "nbformat_minor": 5,
}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Voila:
    """A Voila serving the overview and an empty notebook from one folder (a context manager)."""

    def __init__(self, db_url: str, extra_args=(), role: str = "deputy", env: dict | None = None):
        self.db_url, self.extra_args, self.role = db_url, list(extra_args), role
        self.env = env or {}

    def __enter__(self) -> Voila:
        self.folder = Path(tempfile.mkdtemp(prefix="hehu-bench-voila-"))
        shutil.copy(REPO / "notebooks" / "overview.ipynb", self.folder / "overview.ipynb")
        (self.folder / "empty.ipynb").write_text(json.dumps(EMPTY_NOTEBOOK))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = self.folder / "voila.log"
        cmd = [sys.executable, "-m", "voila", str(self.folder), "--no-browser",
               f"--port={self.port}", "--Voila.ip=127.0.0.1", *self.extra_args]  # fmt: skip
        env = {**os.environ, "HEHU_DB": self.db_url, "HEHU_ROLE": self.role, **self.env}
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)  # fmt: skip
        deadline = time.monotonic() + 120
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"Voila exited:\n{self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/voila/tree", timeout=2):
                    return self
            except urllib.error.HTTPError:
                return self
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("Voila did not start within 120 s") from None
                time.sleep(0.2)

    def __exit__(self, *exc) -> None:
        # SIGTERM, not SIGINT: Voila ignores SIGINT when started from a script
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def time_to_interactive(browser, url: str, notebook: str, timeout_s: float) -> float:
    """Seconds from asking for the page to its content being shown, in a fresh context."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    try:
        page = context.new_page()
        start = time.perf_counter()
        page.goto(f"{url}/voila/render/{notebook}.ipynb", wait_until="commit",
                  timeout=timeout_s * 1000)  # fmt: skip
        if notebook == "empty":
            page.locator('[data-bench="ready"]').wait_for(timeout=timeout_s * 1000)
        else:
            page.locator('[data-hehu="places-table"]').wait_for(timeout=timeout_s * 1000)
            markers = page.frame_locator("iframe.hehu-map").locator(".hehu-marker")
            markers.first.wait_for(timeout=timeout_s * 1000)
        return time.perf_counter() - start
    finally:
        context.close()


def forget_figures(db_url: str) -> None:
    """Empty the shared figure cache, so that the next overview load computes the figures."""
    import sqlalchemy as sa

    from hehu.records.schema import figure_cache
    from hehu.records.store import open_store

    store = open_store(db_url, create=False)
    with store.engine.begin() as conn:
        conn.execute(sa.delete(figure_cache))
    store.engine.dispose()


def map_size(db_url: str) -> dict:
    """The overview map as the page builds it (the top place's, and a county's when the top is a
    province): bytes of its HTML, markers, seconds to build."""
    code = f"""
import json, time
from hehu.figures.metrics import load_records
from hehu.records.store import open_store
from widgets.kit.maps import map_html
from widgets.kit.county_map import OverviewState
records = load_records(open_store({db_url!r}, create=False))
out = {{}}
counties = records.places.loc[records.places["level"] == "county", "code"]
for what, area in (("map", records.root), ("county_map", counties.iloc[0])):
    if what == "county_map" and area == records.root:
        break
    state = OverviewState(records, "zh", role="deputy", area=area)
    state.period_key = "2022"
    state.metrics(), state.gaps()  # the figures are the cache's business: time the map itself
    start = time.perf_counter()
    html = map_html(state.build_map())
    out[what + "_build_s"] = time.perf_counter() - start
    out[what + "_bytes"] = len(html.encode())
    out[what + "_markers"] = html.count("L.circleMarker") + html.count("L.marker")
print(json.dumps(out))
"""
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def without_rfc3987(folder: Path) -> dict:
    """Environment in which `import rfc3987_syntax` fails, as if it were uninstalled.

    jsonschema imports it (if present) and compiles a grammar: about 2 s in every kernel that
    imports voila.utils, which the pages do to read the query string (TOOLCHAIN.md).
    """
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "rfc3987_syntax.py").write_text('raise ImportError("hidden by bench_pages")\n')
    return {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH")]))
    }


def bench(
    counties: int,
    rounds: int,
    data_dir: Path = DATA_DIR,
    extra_args=(),
    timeout_s: float = 300.0,
    hide_rfc3987: bool = False,
) -> dict:
    """Time both pages `rounds` times in turns after one warm-up load each; a row of results."""
    from playwright.sync_api import sync_playwright

    data_dir.mkdir(parents=True, exist_ok=True)
    if counties == 0:  # the demo county (hehu init + hehu demo), not a synthetic one
        db_url = demo_db(data_dir)
    else:
        db_url, _ = ensure_province(data_dir / f"province-{counties}.sqlite", counties)
    times: dict[str, list[float]] = {"empty": [], "overview": []}
    first: dict[str, float] = {}
    env = without_rfc3987(data_dir / "no-rfc3987") if hide_rfc3987 else {}
    forget_figures(db_url)  # the first overview load computes them, as after a write
    with Voila(db_url, extra_args, env=env) as voila, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for notebook in times:  # warm-up: the first kernel reads every module from disk
                first[notebook] = time_to_interactive(browser, voila.url, notebook, timeout_s)
            for _ in range(rounds):
                for notebook in times:
                    times[notebook].append(
                        time_to_interactive(browser, voila.url, notebook, timeout_s)
                    )
        finally:
            browser.close()
    empty, overview = statistics.median(times["empty"]), statistics.median(times["overview"])
    return {
        "counties": counties,
        "variant": "rfc3987-syntax hidden" if hide_rfc3987 else "as installed",
        "rounds": rounds,
        "empty_s": empty,
        "overview_s": overview,
        "ratio": statistics.median(
            o / e for o, e in zip(times["overview"], times["empty"], strict=True)
        ),
        "first_overview_s": first["overview"],
        "empty_all": times["empty"],
        "overview_all": times["overview"],
        **map_size(db_url),
    }


def demo_db(data_dir: Path) -> str:
    """The demo database made by the `hehu` command, as a user would (reused when present)."""
    path = data_dir / "demo.sqlite"
    if not path.exists():
        for step in ("init", "demo"):
            subprocess.run([sys.executable, "-m", "hehu.cli.main", step, "--db", str(path)], check=True,
                           capture_output=True)  # fmt: skip
    return f"sqlite:///{path}"


def print_table(results: list[dict]) -> None:
    """The results as a Markdown table."""
    print("| data | environment | loads each | empty notebook s | overview s | overview ÷ empty "
          "| first overview s (figures computed) | map HTML | markers | map build s "
          "| a county's map |")  # fmt: skip
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in results:
        data = "demo county" if r["counties"] == 0 else f"{r['counties']} counties"
        county = (
            f"{r['county_map_bytes'] / 1024:,.0f} KiB, {r['county_map_markers']:,} markers"
            if "county_map_bytes" in r
            else "(the map above)"
        )
        print(
            f"| {data} | {r['variant']} | {r['rounds']} | {r['empty_s']:.2f} | {r['overview_s']:.2f} "
            f"| {r['ratio']:.2f}× | {r['first_overview_s']:.2f} | {r['map_bytes'] / 1024:,.0f} KiB "
            f"| {r['map_markers']:,} | {r['map_build_s']:.2f} | {county} |"
        )


def main(argv: list[str] | None = None) -> int:
    """Run the page benchmark at each size (0 = the demo county); print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counties", type=int, nargs="+", default=[0, 100],
                        help="0 is the demo county made by `hehu demo`")  # fmt: skip
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--hide-rfc3987", action="store_true",
                        help="also run the demo county with rfc3987-syntax hidden")  # fmt: skip
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    results = [bench(n, args.rounds, args.data_dir) for n in args.counties]
    if args.hide_rfc3987:
        results.append(bench(0, args.rounds, args.data_dir, hide_rfc3987=True))
    print_table(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
