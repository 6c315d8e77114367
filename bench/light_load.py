"""Load test of the light briefing: N deputies at once open township briefings with no kernel.

Makes a demo database, starts `hehu serve --role deputy` on it (its warmer makes the light pages
after the start), then N threads at once each fetch, K times, a random township's light briefing
(/hehu/briefing/CODE, gzip) and a small static file served by the same server, side by side, so
that the ratio of the two is measured in one run on one machine. Then one Chromium page at
390 px opens a light briefing and counts the bytes it transferred. With `--after-write`, one
record is written after that burst and the same deputies at once open a briefing right away,
before the warmer has made the pages again (as after an inspection recorded on site): how long
they wait, and how many are given the kept page marked as being made again.

    .venv/bin/python bench/light_load.py --sessions 20 --rounds 10 [--after-write]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_pages import free_port  # noqa: E402  one port finder for the benchmarks

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
CHROMIUM = os.environ.get("HEHU_CHROMIUM", "/usr/bin/chromium")
STATIC = "voila/templates/hehu/static/theme-light.css"  # a 16 KB file Voila serves from disk


def fetch(url: str, seen: list | None = None) -> tuple[float, int, int]:
    """Seconds to the last byte, status and bytes on the wire (gzip accepted); the page itself
    is added to `seen` when given."""
    start = time.perf_counter()
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=120) as answer:
        body = answer.read()
        took = time.perf_counter() - start
        if seen is not None:
            gzipped = answer.headers.get("Content-Encoding") == "gzip"
            seen.append(gzip.decompress(body) if gzipped else body)
        return took, answer.status, len(body)


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> int:
    """Run the load test and print a Markdown report for bench/README.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20, help="deputies at once")
    parser.add_argument("--rounds", type=int, default=10, help="briefings each")
    parser.add_argument("--after-write", action="store_true", help="then a burst after a write")
    args = parser.parse_args()

    from hehu.figures.cache import PageRecords
    from hehu.records.demo import load_demo
    from hehu.records.gazetteer import load_gazetteer
    from hehu.records.store import open_store
    from hehu.serve.light import NAME_PREFIX

    work = Path(tempfile.mkdtemp(prefix="hehu-light-"))
    db = f"sqlite:///{work / 'demo.sqlite'}"
    store = open_store(db)
    load_gazetteer(store)
    load_demo(store)
    records = PageRecords(store)
    places = records.places
    townships = list(places.loc[places["parent_code"] == records.root, "code"])

    port = free_port()
    log = (work / "serve.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "hehu.cli.main", "serve", "--db", db, "--port", str(port),
         "--role", "deputy", "--warm-every", "2", "--no-preheat"],
        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "HEHU_HOME": str(work / "home")},
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:  # up, and the warmer has made every township's page
            try:
                fetch(f"{base}/{STATIC}")
                with store.engine.connect() as conn:
                    made = conn.exec_driver_sql(
                        f"SELECT count(*) FROM figure_cache WHERE name LIKE '{NAME_PREFIX}%'"
                    ).scalar_one()
                if made >= 2 * (len(townships) + 2):
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the server or its warmer did not get ready in 300 s")
            time.sleep(1)

        light, static, sizes, errors, wall = burst(base, townships, args.sessions, args.rounds)
        after = after_write(store, base, townships, args.sessions) if args.after_write else None
        phone_bytes = phone_transfer(f"{base}/hehu/briefing/{townships[0]}")
    finally:
        server.terminate()
        server.wait(timeout=60)

    p95_light, p95_static = quantile(light, 0.95), quantile(static, 0.95)
    print(f"## Light briefing under load ({time.strftime('%Y-%m-%d')})\n")
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, SQLite; {args.sessions} deputies at once, {args.rounds} "
        f"township briefings each ({len(light)} requests), every one followed by the static file.\n"
    )
    print("| | p50 | p95 | max |\n|---|---|---|---|")
    for name, values in (("light briefing", light), ("static file", static)):
        print(
            f"| {name} | {statistics.median(values):.3f} s | {quantile(values, 0.95):.3f} s "
            f"| {max(values):.3f} s |"
        )
    print(
        f"\np95 light / p95 static: {p95_light / p95_static:.1f}×; wall time {wall:.1f} s; "
        f"errors {len(errors)}; bytes per briefing (gzip) {min(sizes):,}–{max(sizes):,}; "
        f"a light briefing at 390 px transferred {phone_bytes:,} bytes in all."
    )
    if after is not None:
        times, marked, failed = after
        print(
            f"\nRight after a write, {args.sessions} deputies at once, one briefing each: p50 "
            f"{statistics.median(times):.2f} s, p95 {quantile(times, 0.95):.2f} s, max "
            f"{max(times):.2f} s; {marked} of {len(times)} given the kept page marked as being "
            f"made again; errors {len(failed)}."
        )
        errors += failed
    if errors:
        print("errors:", errors[:5])
    return 1 if errors else 0


def burst(base: str, townships: list[str], sessions: int, rounds: int, seen: list | None = None):
    """`sessions` deputies at once, each `rounds` times a township's light briefing then the
    static file: (briefing seconds, static seconds, briefing bytes, errors, wall seconds)."""
    light: list[float] = []
    static: list[float] = []
    sizes: list[int] = []
    errors: list[str] = []
    lock = threading.Lock()
    gate = threading.Barrier(sessions)

    def deputy(number: int) -> None:
        rng = random.Random(number)
        gate.wait()  # all at once
        for _ in range(rounds):
            try:
                code = rng.choice(townships)
                seconds, status, size = fetch(f"{base}/hehu/briefing/{code}", seen)
                seconds_static, status_static, _ = fetch(f"{base}/{STATIC}")
                with lock:
                    light.append(seconds)
                    static.append(seconds_static)
                    sizes.append(size)
                    if (status, status_static) != (200, 200):
                        errors.append(f"{status} {status_static}")
            except OSError as exc:
                with lock:
                    errors.append(repr(exc))

    threads = [threading.Thread(target=deputy, args=(n,)) for n in range(sessions)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return light, static, sizes, errors, time.perf_counter() - started


def after_write(store, base: str, townships: list[str], sessions: int):
    """Write one course, then a burst of one briefing each at once, before the warmer has made
    the pages again: (seconds, how many pages were the kept one marked, errors)."""
    course = store.read("course").iloc[0]
    record = {"course_id": "bench-after-write", "date": dt.date(2022, 6, 1),
              "place_code": course["place_code"], "org_id": course["org_id"], "attendance": 30}  # fmt: skip
    store.write({"course": [record]})
    seen: list[bytes] = []
    times, _, _, errors, _ = burst(base, townships, sessions, 1, seen)
    marked = sum(b'data-hehu="light-stale"' in page for page in seen)
    return times, marked, errors


def phone_transfer(url: str) -> int:
    """Bytes a phone-sized Chromium page transfers to show a light briefing (every response)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 390, "height": 844})
        responses = []
        page.on("response", lambda response: responses.append(response))
        page.goto(url)
        page.wait_for_load_state("load")
        total = 0
        for response in responses:
            sizes = response.request.sizes()
            total += sizes["responseBodySize"] + sizes["responseHeadersSize"]
        browser.close()
    return total


if __name__ == "__main__":
    sys.exit(main())
