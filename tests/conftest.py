"""Shared test infrastructure: a real PostgreSQL server, Chromium, and Voila servers.

Missing system tools (PostgreSQL binaries, Chromium) skip the tests that need them on a
developer machine but fail them when ``CI`` is set, so CI can never go green by skipping.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from hehu.serve.voila import voila_command, voila_environment

# Fixtures over the domain (demo database, the hand-made county) live beside this file.
pytest_plugins = ["hehu_fixtures"]

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
VOILA_START_TIMEOUT = 60.0


def missing(reason: str):
    """Fail under CI (a missing tool must not turn into a green run), skip elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is an error, not a skip)", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tail(path: Path, lines: int = 40) -> str:
    """Return the last lines of a log file, for error messages."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as exc:
        return f"(no log: {exc})"


def html_of(box) -> str:
    """Every HTML widget's value under a widget, joined (what a page shows, for assertions)."""
    import ipywidgets as w

    out = []

    def walk(node):
        if isinstance(node, w.HTML):
            out.append(node.value)
        for child in getattr(node, "children", ()):
            walk(child)

    walk(box)
    return "\n".join(out)


# --------------------------------------------------------------------------- PostgreSQL


@pytest.fixture(scope="session")
def pg_server():
    """Start a throwaway PostgreSQL server; yield its base URL ``postgresql+psycopg://hehu@127.0.0.1:PORT``."""
    if not (PG_BIN / "initdb").exists():
        missing(f"PostgreSQL server binaries not found in {PG_BIN} (apt-get install postgresql)")

    base = Path(tempfile.mkdtemp(prefix="hehu-pg-"))
    as_postgres: list[str] = []
    if os.geteuid() == 0:
        # initdb refuses to run as root: run the server as the postgres user, in a
        # directory it owns.
        if shutil.which("runuser") is None:
            missing("running as root but runuser is not available to drop to the postgres user")
        try:
            shutil.chown(base, user="postgres", group="postgres")
        except LookupError:
            missing("running as root but there is no postgres user to run the server as")
        as_postgres = ["runuser", "-u", "postgres", "--"]

    def run(*args: str) -> None:
        # cwd=base: postgres cannot necessarily read the caller's working directory.
        proc = subprocess.run(
            [*as_postgres, *args], cwd=base, capture_output=True, text=True, timeout=120
        )
        if proc.returncode != 0:
            raise RuntimeError(
                f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
                f"\nserver log:\n{tail(base / 'log')}"
            )

    data = base / "data"
    port = free_port()
    started = False
    try:
        # --no-locale: C collation, UTF8 encoding, the same on every machine.
        run(str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "hehu",
            "-E", "UTF8", "--no-locale", "--no-sync")  # fmt: skip
        # Durability is pointless for a throwaway server; turning it off speeds tests up.
        options = (
            f"-p {port} -k {base} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        run(str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(base / "log"),
            "-w", "-t", "60", "start")  # fmt: skip
        started = True
        yield f"postgresql+psycopg://hehu@127.0.0.1:{port}"
    finally:
        if started:
            run(str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server, request):
    """Create a fresh, uniquely named database; yield its SQLAlchemy URL; drop it after."""
    import psycopg
    from sqlalchemy.engine import make_url

    server = make_url(pg_server)
    # Test name in the database name helps when looking at a server during a hang.
    slug = re.sub(r"[^a-z0-9]+", "_", request.node.name.lower())[:30].strip("_")
    name = f"t_{slug}_{uuid.uuid4().hex[:8]}"

    def admin(sql: str) -> None:
        with psycopg.connect(
            host=server.host, port=server.port, user=server.username, dbname="postgres",
            autocommit=True,
        ) as conn:  # fmt: skip
            conn.execute(sql)

    admin(f'CREATE DATABASE "{name}"')
    try:
        yield f"{pg_server}/{name}"
    finally:
        # FORCE terminates connections a test (or a leaked engine pool) still holds.
        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --------------------------------------------------------------------------- Chromium


@pytest.fixture(scope="session")
def browser():
    """Launch Debian's Chromium headless through plain Playwright (sync API)."""
    if not Path(CHROMIUM).exists():
        missing(f"Chromium not found at {CHROMIUM} (apt-get install chromium fonts-wqy-microhei)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("the playwright Python package is not installed (pip install -e '.[test]')")

    pw = sync_playwright().start()
    try:
        # Playwright cannot download its own browser here, so drive the system one.
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        pw.stop()


@pytest.fixture
def page(browser):
    """Yield a fresh page (own context: 1280x900, zh-CN), closed after the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    try:
        yield context.new_page()
    finally:
        context.close()


# --------------------------------------------------------------------------- Voila


class VoilaURL(str):
    """The base URL of a running Voila (a plain ``str``), with its log file attached."""

    log: Path

    def log_tail(self, lines: int = 40) -> str:
        """Return the end of this server's log (tracebacks are hidden from the browser)."""
        return tail(self.log, lines)


@pytest.fixture(scope="session")
def voila_server(tmp_path_factory) -> Callable[..., VoilaURL]:
    """Factory ``start(env, notebook_dir=None) -> base_url`` serving notebooks/ (or a dir) with Voila."""
    started: list[subprocess.Popen] = []
    logs = tmp_path_factory.mktemp("voila-logs")

    def start(env: dict[str, str] | None = None, notebook_dir: Path | None = None) -> VoilaURL:
        """Start Voila on a free port with extra ``env``; return ``http://127.0.0.1:PORT``."""
        port = free_port()
        log = logs / f"voila-{port}.log"
        cmd = voila_command(notebook_dir or REPO / "notebooks", port, "127.0.0.1")
        with log.open("wb") as out:
            proc = subprocess.Popen(
                cmd, cwd=REPO, env=voila_environment({**os.environ, **(env or {})}), stdout=out,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )  # fmt: skip
        started.append(proc)
        url = VoilaURL(f"http://127.0.0.1:{port}")
        url.log = log

        deadline = time.monotonic() + VOILA_START_TIMEOUT
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"Voila exited with {proc.returncode}:\n{tail(log)}")
            try:
                with urllib.request.urlopen(f"{url}/voila/tree", timeout=2):
                    return url
            except urllib.error.HTTPError:
                return url  # it answered; the status is the test's business
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"Voila did not answer within {VOILA_START_TIMEOUT:.0f} s:\n{tail(log)}"
                )
            time.sleep(0.2)

    yield start

    # SIGTERM, not SIGINT: Voila ignores SIGINT when started from a script. On SIGTERM
    # it shuts its kernels down too.
    for proc in started:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in started:
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --------------------------------------------------------------------------- artifacts


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Return ``tests/artifacts/`` (gitignored), created, for screenshots and dumps."""
    path = REPO / "tests" / "artifacts"
    path.mkdir(parents=True, exist_ok=True)
    return path
