"""Load test: N concurrent Voila sessions in Chromium read briefings and record inspections on PostgreSQL.

Starts a throwaway PostgreSQL 15 server, loads the gazetteer and the demo, starts `hehu serve`
on it and drives N browser contexts of one headless Chromium at once. Each session, K times,
opens a township's briefing and records one inspection with one finding through the
inspections page's own widgets, with a marker unique to the session and round. At the end
PostgreSQL is asked whether every marker arrived exactly once.

    .venv/bin/python bench/load_test.py --sessions 20 --rounds 2
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_pages import free_port  # noqa: E402  one port finder for the benchmarks

REPO = Path(__file__).resolve().parents[1]
PG_BIN = Path(os.environ.get("HEHU_PG_BIN", "/usr/lib/postgresql/15/bin"))
CHROMIUM = os.environ.get("HEHU_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# --from-site: each tab has the light overview open before the burst (see session()).
FROM_SITE = False
# `taskset -c 0` with --split-cores: PostgreSQL and `hehu serve` (so every kernel) on CPU 0 alone.
SERVER_PREFIX: list[str] = []
sys.path.insert(0, str(REPO))
# The inspections form's labels, as the page has them (Chinese: the default language).
from hehu.serve.warmer import WARM_FAILED, WARMED  # noqa: E402
from widgets.pages.inspections import TEXT as FORM  # noqa: E402

PLACES_LABEL, COMMITTEE_LABEL = FORM["places"][0], FORM["committee"][0]
SUMMARY_LABEL, FINDINGS_LABEL, SAVE_BUTTON = (
    FORM["summary"][0],
    FORM["findings"][0],
    FORM["save"][0],
)
SAVED_TEXT = FORM["saved"][0].split(" ")[0]  # 已保存视察记录
COMMITTEE = "县人大常委会教科文卫委"
BRIEFING_TITLE = '[data-hehu="briefing-place"]'
WAIT_PAGE = '[data-hehu="wait"]'  # hehu/serve/admission.py


def tail(path: Path, lines: int = 30) -> str:
    """Return the last lines of a log file."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as exc:
        return f"(no log: {exc})"


class Postgres:
    """A throwaway PostgreSQL server in a temporary directory, as tests/conftest.py starts it."""

    def __init__(self):
        self.base = Path(tempfile.mkdtemp(prefix="hehu-load-pg-"))
        self.data = self.base / "data"
        self.port = free_port()
        self.as_postgres: list[str] = []
        self.started = False

    def run(self, *args: str) -> None:
        """Run a server binary (as the postgres user when we are root)."""
        # cwd=base: postgres cannot necessarily read the caller's working directory.
        proc = subprocess.run(
            [*SERVER_PREFIX, *self.as_postgres, *args],
            cwd=self.base,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if proc.returncode != 0:
            raise RuntimeError(
                f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
                f"\nserver log:\n{tail(self.base / 'log')}"
            )

    def start(self) -> str:
        """Initialise and start the server; return its base SQLAlchemy URL."""
        if os.geteuid() == 0:
            # initdb refuses to run as root: the server runs as postgres, in a directory it owns.
            shutil.chown(self.base, user="postgres", group="postgres")
            self.as_postgres = ["runuser", "-u", "postgres", "--"]
        self.run(str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "hehu",
                 "-E", "UTF8", "--no-locale", "--no-sync")  # fmt: skip
        # The same settings as the tests; max_connections up: 20 kernels each hold a pool.
        options = (
            f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=300"
        )
        self.run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options,
                 "-l", str(self.base / "log"), "-w", "-t", "60", "start")  # fmt: skip
        self.started = True
        return f"postgresql+psycopg://hehu@127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Stop the server (fast mode) and remove its directory."""
        try:
            if self.started:
                self.run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)


def create_database(server: str, name: str) -> str:
    """Create a database on the server; return its URL."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(server)
    with psycopg.connect(
        host=url.host, port=url.port, user=url.username, dbname="postgres", autocommit=True
    ) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{server}/{name}"


def load_database(db_url: str) -> list[tuple[str, str]]:
    """Load the gazetteer and the demo; return the townships' (code, name)."""
    from hehu.records.demo import load_demo
    from hehu.records.gazetteer import load_gazetteer
    from hehu.records.store import open_store

    store = open_store(db_url)
    load_gazetteer(store)
    load_demo(store)
    with store.engine.connect() as conn:
        import sqlalchemy as sa

        rows = conn.execute(
            sa.text(
                "SELECT code, name FROM place WHERE level IN ('town', 'subdistrict') ORDER BY code"
            )
        ).all()
    store.engine.dispose()
    return [(code, name) for code, name in rows]


class Serve:
    """`hehu serve` (which starts Voila) in its own process group, stopped with SIGTERM."""

    def __init__(self, db_url: str, home: Path, cull_idle: int, options: list[str]):
        self.port = free_port()
        self.log = home / "serve.log"
        env = dict(os.environ, HEHU_HOME=str(home))
        cmd = [*SERVER_PREFIX, sys.executable, "-m", "hehu.cli.main", "serve", "--db", db_url,
               f"--port={self.port}", f"--cull-idle={cull_idle}", *options]  # fmt: skip
        with self.log.open("wb") as out:
            # Own session: `hehu serve` does not pass SIGTERM on to Voila, so signal the group.
            self.proc = subprocess.Popen(
                cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip
        self.url = f"http://127.0.0.1:{self.port}"

    def wait(self, timeout: float = 120.0) -> None:
        """Wait until Voila answers /voila/tree."""
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"hehu serve exited with {self.proc.returncode}:\n{tail(self.log)}"
                )
            try:
                with urllib.request.urlopen(f"{self.url}/voila/tree", timeout=2):
                    return
            except urllib.error.HTTPError:
                return  # it answered
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"Voila did not answer within {timeout:.0f} s:\n{tail(self.log)}"
                )
            time.sleep(0.3)

    def wait_for_pool(self, pages: tuple[str, ...], timeout: float = 300.0) -> None:
        """Wait until the preheated pools of ``pages`` are full, as before deputies arrive."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            log = self.log.read_text(errors="replace")
            if all(f"Kernel pool of {page} is filled" in log for page in pages):
                return
            time.sleep(1)
        raise RuntimeError(f"the pools of {pages} did not fill in {timeout:.0f} s")

    def wait_for_warm(self, timeout: float = 900.0) -> str:
        """Wait until the warmer has made the figures and light pages (its log line), as a
        server started before the deputies arrive; that line, with its seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.log.read_text(errors="replace").splitlines():
                if WARMED in line:
                    return line.strip()
                if WARM_FAILED in line:
                    raise RuntimeError(f"the warmer failed:\n{tail(self.log)}")
            if self.proc.poll() is not None:
                raise RuntimeError(f"hehu serve exited:\n{tail(self.log)}")
            time.sleep(1)
        raise RuntimeError(f"the warmer did not finish in {timeout:.0f} s")

    def kernels(self) -> int:
        """How many ipykernel processes the server runs now."""
        import psutil

        count = 0
        for proc in psutil.Process(self.proc.pid).children(recursive=True):
            with contextlib.suppress(psutil.Error):  # it may have just ended
                count += "ipykernel" in " ".join(proc.cmdline())
        return count

    def cpus(self) -> dict[str, set[int]]:
        """The CPUs each kind of the server's processes may run on (kernel, voila, ...)."""
        import psutil

        seen: dict[str, set[int]] = {}
        for proc in [psutil.Process(self.proc.pid), *psutil.Process(self.proc.pid).children(True)]:
            with contextlib.suppress(psutil.Error):
                kind = "kernel" if "ipykernel" in " ".join(proc.cmdline()) else proc.name()
                seen.setdefault(kind, set()).update(proc.cpu_affinity())
        return seen

    def stop(self) -> None:
        """SIGTERM the process group (Voila shuts its kernels down on SIGTERM)."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def field(page, label: str, control: str):
    """The input of the ipywidget whose description is `label`."""
    box = page.locator(".widget-inline-hbox").filter(
        has=page.locator("label.widget-label", has_text=label)
    )
    return box.locator(control).first


async def record_inspection(page, site, marker, place_name, timeout_ms, results, where):
    """Open the inspections page, fill one inspection with one finding, save; (open s, save s)."""
    started = time.perf_counter()
    await page.goto(f"{site}/voila/render/inspections.ipynb", timeout=timeout_ms)
    save = page.get_by_role("button", name=SAVE_BUTTON)
    await save.wait_for(timeout=timeout_ms)
    opened = time.perf_counter() - started
    where[0] = "fill"
    await field(page, COMMITTEE_LABEL, "input").fill(COMMITTEE)
    places = field(page, PLACES_LABEL, "select")
    # ipywidgets writes option labels with no-break spaces and indentation: match by text.
    index = await places.evaluate(
        "(s, name) => [...s.options].findIndex(o => o.text.replace(/\\u00a0/g, ' ').trim() === name)",
        place_name,
    )
    if index < 0:
        raise RuntimeError(f"place {place_name} not among the form's places")
    await places.select_option(index=index)
    await field(page, SUMMARY_LABEL, "textarea").fill(f"视察 {marker}")
    await field(page, FINDINGS_LABEL, "textarea").fill(f"发现 {marker}")
    started = time.perf_counter()
    await save.click()
    # From here the save may have reached the kernel: its marker must be in PostgreSQL once.
    results["submitted"].append(marker)
    where[0] = "save"
    saved = page.locator('[data-hehu="saved"]', has_text=SAVED_TEXT)
    problem = page.locator('[data-hehu="validation"], [data-hehu="error"]')
    await saved.or_(problem).first.wait_for(timeout=timeout_ms)
    if await problem.count():
        raise RuntimeError(f"the page refused the save: {await problem.first.inner_text()}")
    return opened, time.perf_counter() - started


async def open_briefing(page, site, code, timeout_ms, results) -> float:
    """Open a township's briefing; seconds until its title shows, through any wait page (which
    retries by itself). Also records the seconds until something showed: the wait page or the
    briefing, whichever came first."""
    started = time.perf_counter()
    await page.goto(f"{site}/voila/render/briefing.ipynb?place={code}", timeout=timeout_ms)
    title, wait = page.locator(BRIEFING_TITLE), page.locator(WAIT_PAGE)
    await title.or_(wait).first.wait_for(timeout=timeout_ms)
    results["first_shown"].append(time.perf_counter() - started)
    if await wait.count():
        results["waited"].append(code)
    await title.first.wait_for(timeout=timeout_ms)
    return time.perf_counter() - started


async def session(browser, site, number, rounds, run_id, townships, timeout_ms, results, start):
    """One deputy's browser context: K rounds of briefing then inspection."""
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = await context.new_page()
    if FROM_SITE:
        # A deputy who already reads the light overview, then taps a place: the tab has the
        # site open, so the burst measures the navigation, not a tab's first process.
        await page.goto(f"{site}/hehu/overview", timeout=timeout_ms)
    await start.wait()
    try:
        for round_ in range(rounds):
            code, name = townships[(number * rounds + round_) % len(townships)]
            step = ["briefing"]  # a list: record_inspection says which part it reached
            try:
                results["briefing"].append(
                    await open_briefing(page, site, code, timeout_ms, results)
                )
                step[0] = "inspections-open"
                marker = f"{run_id}-s{number:02d}-r{round_}"
                opened, saved = await record_inspection(
                    page, site, marker, name, timeout_ms, results, step
                )
                results["inspections_open"].append(opened)
                results["save"].append(saved)
                results["confirmed"].append(marker)
            except PlaywrightTimeout as exc:
                results["errors"].append(
                    (number, round_, step[0], "timeout", str(exc).splitlines()[0])
                )
            except Exception as exc:  # a broken session is counted, not allowed to stop the others
                results["errors"].append(
                    (number, round_, step[0], type(exc).__name__, str(exc)[:200])
                )
    finally:
        # The user closes the tab: the page asks Voila to shut its kernel down.
        await page.close(run_before_unload=True)
        await context.close()


async def light_burst(site, sessions, townships, timeout_s) -> list[float]:
    """The control, side by side: N fresh browser contexts at once open a township's light
    briefing (plain HTML, no kernel); seconds until its title shows in each."""
    from playwright.async_api import async_playwright

    shown: list[float] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        pages = []
        for _ in range(sessions):
            context = await browser.new_context(
                viewport={"width": 1280, "height": 900}, locale="zh-CN"
            )
            page = await context.new_page()
            if FROM_SITE:
                await page.goto(f"{site}/hehu/overview", timeout=timeout_s * 1000)
            pages.append(page)
        await asyncio.sleep(1)

        async def one(n: int, page) -> None:
            started = time.perf_counter()
            code = townships[n % len(townships)][0]
            await page.goto(f"{site}/hehu/briefing/{code}", timeout=timeout_s * 1000)
            await page.locator(BRIEFING_TITLE).first.wait_for(timeout=timeout_s * 1000)
            shown.append(time.perf_counter() - started)

        # A tab that times out is left out of the figures, not allowed to stop the others.
        done = await asyncio.gather(
            *(one(n, page) for n, page in enumerate(pages)), return_exceptions=True
        )
        failed = [d for d in done if isinstance(d, BaseException)]
        if failed:
            print(f"control: {len(failed)} tabs failed, e.g. {failed[0]!r}"[:300], file=sys.stderr)
        await browser.close()
    return shown


async def drive(site, sessions, rounds, run_id, townships, timeout_s) -> dict:
    """Run all sessions at once in one Chromium; return the timings, markers and errors."""
    from playwright.async_api import async_playwright

    results = {
        k: []
        for k in (
            "briefing", "first_shown", "waited", "inspections_open", "save", "submitted",
            "confirmed", "errors",
        )
    }  # fmt: skip
    async with async_playwright() as pw:
        # Playwright cannot download its own browser here, so drive the system one.
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        start = asyncio.Event()  # contexts are made first so the sessions begin together
        tasks = [
            asyncio.create_task(
                session(
                    browser,
                    site,
                    n,
                    rounds,
                    run_id,
                    townships,
                    int(timeout_s * 1000),
                    results,
                    start,
                )
            )
            for n in range(sessions)
        ]
        await asyncio.sleep(1)
        began = time.perf_counter()
        start.set()
        await asyncio.gather(*tasks)
        results["wall"] = time.perf_counter() - began
        await browser.close()
    return results


def kill_chromium() -> int:
    """SIGKILL every Chromium process this benchmark started, as when phones drop their tabs
    at once: no page closes, no shutdown request, the websockets just end; how many."""
    import psutil

    killed = 0
    for proc in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if "chrom" in proc.name():
                proc.kill()
                killed += 1
    return killed


async def open_then_kill(site, sessions, townships, timeout_s) -> dict:
    """N browser contexts each open a briefing (through any wait page); then the browser is
    killed. Returns how many opened and were killed."""
    from playwright.async_api import async_playwright

    results = {"briefing": [], "first_shown": [], "waited": []}
    pw = await async_playwright().start()
    browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

    async def one(n: int) -> None:
        context = await browser.new_context(locale="zh-CN")
        page = await context.new_page()
        code = townships[n % len(townships)][0]
        with contextlib.suppress(Exception):
            results["briefing"].append(
                await open_briefing(page, site, code, int(timeout_s * 1000), results)
            )

    await asyncio.gather(*(one(n) for n in range(sessions)))
    await asyncio.sleep(3)  # every page's websocket connected
    results["killed"] = kill_chromium()
    with contextlib.suppress(Exception):
        await pw.stop()
    return results


async def idle_page(site, idle_seconds: float, timeout_s: float) -> dict:
    """Open the overview, leave it untouched for `idle_seconds`, then change its metric: does
    the page still answer (its kernel kept, as an open page on a long inspection)?"""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = await (await browser.new_context(locale="zh-CN")).new_page()
        await page.goto(f"{site}/voila/render/overview.ipynb", timeout=timeout_s * 1000)
        card = page.locator('[data-hehu="county-value"] .v')
        await card.first.wait_for(timeout=timeout_s * 1000)
        before = await card.first.inner_text()
        await asyncio.sleep(idle_seconds)
        started = time.perf_counter()
        select = page.locator(".hehu-controls .widget-dropdown").filter(has_text="指标")
        await select.locator("select").first.select_option(label="女童保护课程场次")
        answered = False
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and not answered:
            answered = (await card.first.inner_text()) != before
            await asyncio.sleep(0.2)
        await browser.close()
    return {"idle": idle_seconds, "answered": answered, "seconds": time.perf_counter() - started}


def count_markers(db_url: str, run_id: str) -> dict[str, dict[str, int]]:
    """How many inspections and findings in PostgreSQL carry each marker of this run."""
    import sqlalchemy as sa

    engine = sa.create_engine(db_url)
    counts: dict[str, dict[str, int]] = {"inspection": {}, "finding": {}}
    with engine.connect() as conn:
        for table, column, prefix in (
            ("inspection", "summary", "视察 "),
            ("finding", "text", "发现 "),
        ):
            rows = conn.execute(
                sa.text(
                    f"SELECT {column}, count(*) FROM {table} WHERE {column} LIKE :p GROUP BY 1"
                ),
                {"p": f"{prefix}{run_id}-%"},
            ).all()
            counts[table] = {text.removeprefix(prefix): n for text, n in rows}
    engine.dispose()
    return counts


def quantiles(values: list[float]) -> tuple[str, str, str]:
    """p50, p95 and max in seconds, formatted ('–' when there are none)."""
    if not values:
        return ("–", "–", "–")
    ordered = sorted(values)
    # Nearest-rank p95: with 40 samples that is the 38th, a value actually measured.
    p95 = ordered[max(0, -(-95 * len(ordered) // 100) - 1)]
    return (f"{statistics.median(ordered):.1f}", f"{p95:.1f}", f"{ordered[-1]:.1f}")


def report(args, results, counts, load_before, load_after, kernels: dict) -> str:
    """The results as markdown, ready for bench/README.md."""
    attempted = results["submitted"]
    lines = [
        f"- date: {dt.datetime.now():%Y-%m-%d %H:%M}; machine: {os.cpu_count()} CPUs, "
        f"`{platform.node()}` {platform.machine()}; load average before "
        f"{' '.join(f'{x:.1f}' for x in load_before)}, after {' '.join(f'{x:.1f}' for x in load_after)}",
        f"- `bench/load_test.py --sessions {args.sessions} --rounds {args.rounds} "
        f"--timeout {args.timeout:.0f} --cull-idle {args.cull_idle}"
        + " --nice-browsers" * args.nice_browsers
        + " --split-cores" * args.split_cores
        + f"`: {args.sessions} browser "
        f"contexts of one headless Chromium, all at once, against `hehu serve --role {args.role} "
        f"{' '.join(args.serve_option)} --cull-idle {args.cull_idle}` on PostgreSQL 15; "
        f"saves go through the inspections page's own widgets; wall time {results['wall']:.0f} s",
        "",
        "| step | done | p50 s | p95 s | max s |",
        "|---|---:|---:|---:|---:|",
    ]
    expected = args.sessions * args.rounds
    for key, label in (
        ("first_shown", "a briefing shows something (the wait page or the briefing)"),
        ("briefing", "open a briefing (until the place's title shows)"),
        ("inspections_open", "open the inspections page (until the save button shows)"),
        ("save", "save an inspection (click until the page confirms)"),
    ):
        lines.append(
            f"| {label} | {len(results[key])} of {expected} | "
            + " | ".join(quantiles(results[key]))
            + " |"
        )
    lines.append("")
    lines.append(
        f"- briefings that showed the wait page first: {len(results['waited'])}; shown within "
        f"5 s: {sum(1 for x in results['first_shown'] if x <= 5)} of {len(results['first_shown'])}"
    )
    for table in ("inspection", "finding"):
        found = counts[table]
        once = sum(1 for m in attempted if found.get(m) == 1)
        twice = sum(1 for m in attempted if found.get(m, 0) > 1)
        lost_confirmed = sum(1 for m in results["confirmed"] if found.get(m, 0) == 0)
        lines.append(
            f"- {table}s: {once} of {len(attempted)} markers submitted (save clicked) are in PostgreSQL exactly "
            f"once ({len(results['confirmed'])} confirmed by the page; confirmed but missing: "
            f"{lost_confirmed}; duplicated: {twice}; stray: {len(set(found) - set(attempted))})"
        )
    lost = len(attempted) - sum(1 for m in attempted if counts["inspection"].get(m) == 1)
    verdict = (
        "nothing lost" if lost == 0 and len(attempted) == expected else "NOT everything arrived"
    )
    lines.append(f"- **{verdict}: {len(attempted) - lost} of {expected}**")
    kinds: dict[str, int] = {}
    for _n, _r, step, kind, _msg in results["errors"]:
        kinds[f"{step} {kind}"] = kinds.get(f"{step} {kind}", 0) + 1
    lines.append(
        f"- errors/timeouts: {len(results['errors'])}"
        + (" (" + ", ".join(f"{k}: {v}" for k, v in sorted(kinds.items())) + ")" if kinds else "")
    )
    gone = (
        f"no page kernel left {kernels['until_none']:.0f} s after the browser closed"
        if kernels["until_none"] is not None
        else f"{kernels['left']} still running {kernels['waited']:.0f} s after the browser closed"
    )
    lines.append(
        f"- kernels: {kernels['started']} started, {kernels['shut_down']} shut down, "
        f"{kernels['culled']} of them by the culler; {kernels['refused']} shutdown requests refused "
        f"(403); at most {kernels['peak']} running at once (the pool's included); "
        f"{kernels['at_close']} page kernels running when the browser closed, {gone}"
    )
    return "\n".join(lines)


def http_report(site, sessions, townships, timeout_s: float) -> str:
    """N plain HTTP clients ask for a briefing at the same moment, as the server sees 20 phones
    (no browser on this machine taking the cores): how soon each gets an answer (the wait page
    or the page), whether any hangs, and how long until each has its page, retrying after the
    wait page when it says, as the page does by itself (its Retry-After)."""

    start = threading.Barrier(sessions)
    first, complete, waits, hangs = [], [], [0], [0]

    def one(n: int) -> None:
        url = f"{site}/voila/render/briefing.ipynb?place={townships[n % len(townships)][0]}"
        start.wait()
        began = time.perf_counter()
        answered = False
        while time.perf_counter() - began < timeout_s:
            try:
                with urllib.request.urlopen(url, timeout=timeout_s) as resp:
                    if not answered:
                        first.append(time.perf_counter() - began)
                    resp.read()
                    complete.append(time.perf_counter() - began)
                    return
            except urllib.error.HTTPError as exc:
                exc.read()
                if not answered:
                    first.append(time.perf_counter() - began)
                    answered = True
                waits[0] += exc.code == 503
                time.sleep(float(exc.headers.get("Retry-After") or 5))
            except OSError:
                break
        hangs[0] += 1

    threads = [threading.Thread(target=one, args=(n,)) for n in range(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    f, c = quantiles(first), quantiles(complete)
    within = sum(1 for x in first if x <= 5)
    return (
        f"- {sessions} HTTP clients ask for a briefing at once (no browser): first answer (the "
        f"wait page or the page) p50/p95/max {'/'.join(f)} s, **{within} of {sessions} within "
        f"5 s**; {waits[0]} wait pages served; the page itself p50/p95/max {'/'.join(c)} s "
        f"({len(complete)} of {sessions}); {hangs[0]} never answered in {timeout_s:.0f} s"
    )


def closed_report(serve, args, results, db_url, run_id, pooled, load_before, peak) -> str:
    """After the sessions closed their pages: how long until no page kernel is left, what
    arrived in PostgreSQL; the report."""
    load_after = os.getloadavg()
    closed = time.monotonic()
    at_close = serve.kernels() - pooled
    # Closed pages shut their kernels down at once; a page that could not is culled.
    waited_max = args.cull_idle + 120 if args.cull_idle > 0 else 60
    while serve.kernels() - pooled > 0 and time.monotonic() < closed + waited_max:
        time.sleep(1)
    waited = time.monotonic() - closed
    left = max(0, serve.kernels() - pooled)
    counts = count_markers(db_url, run_id)
    for error in results["errors"]:
        print("error:", *error, file=sys.stderr)
    if results["errors"]:
        print(f"\nend of Voila's log:\n{tail(serve.log, 20)}", file=sys.stderr)
    log = serve.log.read_text(errors="replace")
    kernels = {
        "started": log.count("Kernel started:"),
        "shut_down": log.count("Kernel shutdown:"),
        "culled": len(re.findall(r"Culling '\w+' kernel", log)),
        # One refusal logs two lines (the reason, then the access line): count the latter.
        "refused": len(
            re.findall(r"^403 POST /voila/api/shutdown/\S+ \(.*\) [\d.]+ms$", log, re.M)
        ),
        "peak": max(peak[0], at_close + pooled),
        "at_close": at_close,
        "left": left,
        "waited": waited,
        "until_none": waited if left == 0 else None,
    }
    return report(args, results, counts, load_before, load_after, kernels)


def killed_report(serve, args, townships, pooled: int) -> str:
    """Open N briefings, kill the browser, and watch the page kernels go; one report line."""
    before = serve.kernels()
    opened = asyncio.run(open_then_kill(serve.url, args.sessions, townships, args.timeout))
    killed_at, at_kill = time.monotonic(), serve.kernels() - pooled
    until_none = None
    while time.monotonic() < killed_at + 360:
        if serve.kernels() - pooled <= 0:
            until_none = time.monotonic() - killed_at
            break
        time.sleep(2)
    left = max(0, serve.kernels() - pooled)
    first = quantiles(opened["first_shown"])
    gone = (
        f"**no page kernel left {until_none:.0f} s later**"
        if until_none is not None
        else f"**{left} page kernels still running 360 s later**"
    )
    return (
        f"- {args.sessions} browsers open a briefing each ({len(opened['briefing'])} opened, "
        f"{len(opened['waited'])} through the wait page; something shown p50/p95/max "
        f"{'/'.join(first)} s); {opened['killed']} Chromium processes SIGKILLed at once with "
        f"{at_kill} page kernels running ({before} kernels before, {pooled} of the pool): {gone}"
    )


def main() -> int:
    """Parse the arguments, run the load test, print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20, help="concurrent browser sessions")
    parser.add_argument("--rounds", type=int, default=3, help="briefing + inspection per session")
    parser.add_argument(
        "--timeout", type=float, default=180.0, help="seconds allowed per page step"
    )
    parser.add_argument(
        "--cull-idle", type=int, default=180, help="hehu serve --cull-idle (seconds)"
    )
    parser.add_argument("--role", default="staff", help="hehu serve --role (staff records)")
    parser.add_argument(
        "--serve-option", action="append", default=[], metavar="OPTION",
        help="more options for hehu serve, e.g. --serve-option=--no-preheat, "
        "--serve-option=--max-kernels=8",
    )  # fmt: skip
    parser.add_argument(
        "--http", action="store_true",
        help="then N plain HTTP clients ask for a briefing at once (the server's side alone)",
    )  # fmt: skip
    parser.add_argument(
        "--kill", action="store_true",
        help="then N more browsers open a briefing each and are killed at once: how long until "
        "no page kernel is left",
    )  # fmt: skip
    parser.add_argument(
        "--idle-seconds", type=float, default=0,
        help="then one open overview is left untouched this long and must still answer",
    )  # fmt: skip
    parser.add_argument(
        "--nice-browsers", action="store_true",
        help="run Chromium at the lowest CPU priority (nice 19): deputies' phones bring their "
        "own processors, so on the server's own cores the server comes first",
    )  # fmt: skip
    parser.add_argument(
        "--split-cores", action="store_true",
        help="PostgreSQL and hehu serve (and its kernels) on CPU 0 only, this script and its "
        "browsers on CPU 1 only: deputies' phones are other machines; each side gets a core",
    )  # fmt: skip
    parser.add_argument(
        "--control", action="store_true",
        help="first, side by side: N fresh tabs at once open a light briefing (no kernel); "
        "the time until it shows is what the browsers alone take",
    )  # fmt: skip
    parser.add_argument(
        "--from-site", action="store_true",
        help="each tab opens the light overview before the burst, as a deputy who taps a place "
        "from it: the burst measures the navigation, not a new tab's first process",
    )  # fmt: skip
    args = parser.parse_args()
    global FROM_SITE
    FROM_SITE = args.from_site
    if args.split_cores:
        SERVER_PREFIX[:] = ["taskset", "-c", "0"]
        os.sched_setaffinity(0, {1})  # inherited by Playwright's driver and Chromium
    preheat = "--no-preheat" not in args.serve_option
    pool_size = next(
        (int(o.split("=")[1]) for o in args.serve_option if o.startswith("--pool-size=")), 2
    )
    # Kernels of the preheated pool (overview and briefing) are there by design.
    pooled = 2 * pool_size if preheat else 0

    run_id = f"LT{uuid.uuid4().hex[:8]}"
    home = Path(tempfile.mkdtemp(prefix="hehu-load-home-"))
    if args.nice_browsers:
        global CHROMIUM
        wrapper = home / "chromium-nice"
        wrapper.write_text(f'#!/bin/sh\nexec nice -n 19 {CHROMIUM} "$@"\n')
        wrapper.chmod(0o755)
        CHROMIUM = str(wrapper)
    pg = Postgres()
    serve = None
    try:
        server = pg.start()
        db_url = create_database(server, "hehu_load")
        townships = load_database(db_url)
        print(f"PostgreSQL on {server}; {len(townships)} townships; run {run_id}", file=sys.stderr)
        serve = Serve(db_url, home, args.cull_idle, ["--role", args.role, *args.serve_option])
        serve.wait()
        if preheat:
            serve.wait_for_pool(("overview.ipynb", "briefing.ipynb"))
        # Until 2026-12-03 the burst began while `hehu warm` still ran on the server's cores.
        print(serve.wait_for_warm(), file=sys.stderr)
        if args.split_cores:
            print(f"server CPUs: {serve.cpus()}; ours: {os.sched_getaffinity(0)}", file=sys.stderr)
        load_before = os.getloadavg()
        peak = [0]
        done = threading.Event()

        def sample() -> None:  # the most kernels running at once, looked at every second
            while not done.wait(1.0):
                peak[0] = max(peak[0], serve.kernels())

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        if args.control:
            light = asyncio.run(light_burst(serve.url, args.sessions, townships, args.timeout))
            print(
                f"- control: {len(light)} tabs at once open a light briefing (no kernel)"
                + (" from the light overview" if args.from_site else "")
                + ": shown p50/p95/max {} / {} / {} s".format(*quantiles(light))
            )
        if args.rounds:
            try:
                results = asyncio.run(
                    drive(serve.url, args.sessions, args.rounds, run_id, townships, args.timeout)
                )
            finally:
                done.set()
                sampler.join()
            print(closed_report(serve, args, results, db_url, run_id, pooled, load_before, peak))
        if args.http:
            print(http_report(serve.url, args.sessions, townships, args.timeout))
        if args.kill:
            print(killed_report(serve, args, townships, pooled))
        if args.idle_seconds:
            idle = asyncio.run(idle_page(serve.url, args.idle_seconds, args.timeout))
            print(
                f"- an open overview left untouched {idle['idle']:.0f} s "
                f"(--cull-idle {args.cull_idle}): "
                + (f"answered a change of metric in {idle['seconds']:.1f} s" if idle["answered"]
                   else "**did not answer**")
            )  # fmt: skip
        done.set()
    finally:
        if serve is not None:
            serve.stop()
            # Kept for a look after the run (the home folder goes).
            shutil.copy(serve.log, Path(tempfile.gettempdir()) / "hehu-load-test-serve.log")
        pg.stop()
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
