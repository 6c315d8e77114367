"""A page's kernel lives as long as the page: `hehu serve` in Chromium, kernels watched by id.

Closing a page (or leaving it) shuts its kernel down at once through Voila's shutdown request,
which needs the page's ``_xsrf`` cookie (hehu/voila_xsrf.py). A page that vanished without
saying so (a crash, a phone dropping the tab) leaves a disconnected kernel, which the culler
shuts down after ``--cull-idle`` seconds; an open page keeps its kernel however long it sits
unused, and the preheated kernels waiting in the pool are never culled.

Every wait polls towards a generous deadline: the suite runs on a loaded two-core machine.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import psutil
import pytest
from conftest import free_port, tail
from hehu_fixtures import copy_sqlite
from playwright.sync_api import expect

from hehu import accounts
from hehu.records.store import open_store

pytestmark = pytest.mark.browser

LOAD_TIMEOUT = 90_000  # ms, a page's first paint on a loaded machine
GONE_DEADLINE = 60.0  # s, for a kernel to go after its page closed
CULL_IDLE = 15  # s, the test servers' --cull-idle (the culler looks every 5 s)
CULL_DEADLINE = CULL_IDLE + 120.0  # s, for the culler to shut a disconnected kernel down
BRIEFING_PLACE = '[data-hehu="briefing-place"]'


class Server(str):
    """The base URL of a running `hehu serve`, with its process and log."""

    proc: subprocess.Popen
    log: Path
    token: str | None
    db: str  # the database's URL, where a test set one

    def get(self, path: str):
        """GET a path of the server (with its token, if any); the open response."""
        headers = {"Authorization": f"token {self.token}"} if self.token else {}
        return urllib.request.urlopen(
            urllib.request.Request(self + path, headers=headers), timeout=10
        )


@contextmanager
def hehu_serve(db: str, tmp_path: Path, *options: str) -> Iterator[Server]:
    """Run `hehu serve --db DB OPTIONS` on a free port; yield its URL once Voila answers."""
    port = free_port()
    log_path = tmp_path / f"serve-{port}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "hehu.cli.main",
                "serve",
                "--db",
                db,
                "--port",
                str(port),
                *options,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "HEHU_HOME": str(tmp_path / "home")},
            start_new_session=True,
        )
    server = Server(f"http://127.0.0.1:{port}")
    server.proc, server.log = proc, log_path
    server.token = options[options.index("--token") + 1] if "--token" in options else None
    try:
        wait_for(lambda: answers(f"{server}/voila/tree"), 90, "Voila to answer", server)
        yield server
    finally:
        proc.send_signal(signal.SIGTERM)  # hehu serve passes it on to Voila
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@contextmanager
def serve_with_users(
    tmp: Path, demo_db_file: Path, people: dict[str, tuple[str, str | None, str]], *options: str
) -> Iterator[Server]:
    """`hehu serve --users` on a copy of the demo with these accounts {name: (role, unit,
    password)}; `.db` is the copy's URL. After it stops, no password may be in its log."""
    db = tmp / "demo.sqlite"
    copy_sqlite(demo_db_file, db)
    url = f"sqlite:///{db}"
    store = open_store(url, create=False)
    for name, (role, unit, password) in people.items():
        accounts.add_user(store, name, password, role=role, unit=unit)
    store.engine.dispose()
    with hehu_serve(url, tmp, "--users", "--warm-every", "0", *options) as running:
        running.db = url
        yield running
    log = running.log.read_text(errors="replace")
    leaked = [name for name, (_r, _u, password) in people.items() if password in log]
    assert not leaked, f"the passwords of {leaked} are in the server's log"


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def wait_for(check: Callable[[], bool], seconds: float, what: str, server: Server) -> None:
    """Poll ``check`` until it holds; fail with the server's log after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not check():
        if server.proc.poll() is not None:
            pytest.fail(f"hehu serve exited with {server.proc.returncode}:\n{tail(server.log)}")
        if time.monotonic() > deadline:
            pytest.fail(f"waited {seconds:.0f} s for {what}:\n{tail(server.log)}")
        time.sleep(0.5)


def kernel_model(server: Server, kernel_id: str) -> dict | None:
    """Voila's model of the kernel (``connections``, ``execution_state``…), None once it is gone."""
    try:
        with server.get(f"/api/kernels/{kernel_id}") as resp:
            return json.load(resp)
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise


def kernel_processes(server: Server, kernel_id: str | None = None) -> list[psutil.Process]:
    """The server's ipykernel processes (of one kernel, by its connection file, when given)."""
    found = []
    for proc in psutil.Process(server.proc.pid).children(recursive=True):
        try:
            cmdline = " ".join(proc.cmdline())
        except psutil.Error:
            continue
        if "ipykernel" in cmdline and (kernel_id is None or f"kernel-{kernel_id}.json" in cmdline):
            found.append(proc)
    return found


def idle_seconds(server: Server, kernel_id: str) -> float:
    """Seconds since the kernel's last activity, as Voila's culler reckons them."""
    model = kernel_model(server, kernel_id)
    assert model is not None, f"kernel {kernel_id} is gone"
    last = datetime.fromisoformat(model["last_activity"].replace("Z", "+00:00"))
    return (datetime.now(UTC) - last).total_seconds()


def kernel_gone(server: Server, kernel_id: str) -> bool:
    return kernel_model(server, kernel_id) is None and not kernel_processes(server, kernel_id)


def kernel_alive(server: Server, kernel_id: str) -> bool:
    return kernel_model(server, kernel_id) is not None and bool(kernel_processes(server, kernel_id))


def open_page(context, server: Server, path: str, ready: str) -> tuple[object, str]:
    """Open a page, wait for ``ready`` and for its kernel to be connected; return (page, kernel id)."""
    page = context.new_page()
    if server.token:
        path += ("&" if "?" in path else "?") + f"token={server.token}"
    page.goto(f"{server}/voila/render/{path}")
    try:
        page.locator(ready).first.wait_for(timeout=LOAD_TIMEOUT)
    except Exception:
        print(tail(server.log))
        raise
    kernel_id = page.evaluate(
        "JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId"
    )
    wait_for(
        lambda: (kernel_model(server, kernel_id) or {}).get("connections", 0) > 0,
        60,
        f"the page's websocket to kernel {kernel_id}",
        server,
    )
    return page, kernel_id


def shutdown_403s(server: Server) -> list[str]:
    return re.findall(r"^.*403 POST /voila/api/shutdown/.*$", server.log.read_text(), re.M)


@pytest.mark.parametrize("token", [None, "s3cret-token"], ids=["localhost", "token"])
def test_closing_or_leaving_a_page_shuts_its_kernel_down(demo_db_copy, browser, tmp_path, token):
    # No culler and no pool: only the page's own shutdown request can end its kernel.
    options = ["--cull-idle", "0", "--no-preheat", *(["--token", token] if token else [])]
    with hehu_serve(demo_db_copy, tmp_path, *options) as server:
        context = browser.new_context(locale="zh-CN")
        try:
            code = "320826101000"  # 高沟镇
            page, closed = open_page(
                context, server, f"briefing.ipynb?place={code}", BRIEFING_PLACE
            )
            page.close(run_before_unload=True)  # the tab is closed
            wait_for(
                lambda: kernel_gone(server, closed),
                GONE_DEADLINE,
                "a closed page's kernel to go",
                server,
            )

            page, left = open_page(context, server, f"briefing.ipynb?place={code}", BRIEFING_PLACE)
            page.goto(f"{server}/voila/tree")  # the user goes elsewhere
            wait_for(
                lambda: kernel_gone(server, left),
                GONE_DEADLINE,
                "a left page's kernel to go",
                server,
            )
        finally:
            context.close()
        assert kernel_processes(server) == []
        assert shutdown_403s(server) == []


def test_culler_ends_orphans_spares_open_pages_and_the_pool(demo_db_copy, browser, tmp_path):
    # As deployed: preheated overview and briefing, and a short culling timeout.
    with hehu_serve(demo_db_copy, tmp_path, "--cull-idle", str(CULL_IDLE)) as server:
        kept_context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        lost_context = browser.new_context(locale="zh-CN")
        try:
            kept, kept_id = open_page(
                kept_context, server, "overview.ipynb", '[data-hehu="county-value"]'
            )
            lost, lost_id = open_page(
                lost_context, server, "briefing.ipynb?place=320826002000", BRIEFING_PLACE
            )
            # Gone without a word, as when a browser crashes: no shutdown request, the
            # websocket just closes.
            lost.close(run_before_unload=False)
            lost_context.close()
            wait_for(lambda: kernel_gone(server, lost_id), CULL_DEADLINE, "the culler", server)
            assert re.search(rf"Culling '\w+' kernel '\w+' \({lost_id}\)", server.log.read_text())

            # The open page has sat unused for longer than the timeout, past more than one look
            # of the culler (every 5 s): it keeps its kernel, and the kernel still answers.
            wait_for(
                lambda: idle_seconds(server, kept_id) > CULL_IDLE + 6,
                CULL_DEADLINE,
                "the open page's kernel to sit idle past the timeout",
                server,
            )
            assert kernel_alive(server, kept_id)
            card = kept.locator('[data-hehu="county-value"] .v')
            before = card.inner_text()
            select = kept.locator(".hehu-controls .widget-dropdown").filter(has_text="指标")
            select.locator("select").first.select_option(label="女童保护课程场次")
            expect(card).not_to_have_text(before, timeout=60_000)

            # The pool's kernels have waited far longer than the timeout: none was culled, and
            # a new page still comes from the pool with the place it asked for.
            again, again_id = open_page(
                kept_context, server, "briefing.ipynb?place=320826101000", BRIEFING_PLACE
            )
            expect(again.locator(BRIEFING_PLACE)).to_have_text("高沟镇")
            assert re.search(rf"Using pre-heated kernel: {again_id} ", server.log.read_text())
            open_page(kept_context, server, "overview.ipynb", '[data-hehu="county-value"]')
        finally:
            kept_context.close()
        assert shutdown_403s(server) == []


def test_kernels_listen_on_no_port_and_one_that_died_is_never_handed_to_a_page(
    demo_db_copy, browser, tmp_path
):
    # A kernel's channels on TCP ports can be reached by any process on the machine, and a
    # kernel dies at start when another process takes a port Jupyter picked for it (between
    # picking and binding): kernels talk over Unix sockets.
    # The pool's kernels die as they wait (the kernel could not start, the OOM killer, a kill):
    # Jupyter starts each again, empty, without the page it had run. A deputy opening the
    # briefing then gets a page that works, not one that hangs on a kernel with nothing in it.
    with hehu_serve(demo_db_copy, tmp_path, "--warm-every", "0", "--pool-size", "1") as server:
        wait_for(
            lambda: server.log.read_text().count("is filled with") >= 2,
            120,
            "both pools to fill",
            server,
        )
        pooled = kernel_processes(server)
        assert len(pooled) == 2
        for process in pooled:
            connection_file = process.cmdline()[process.cmdline().index("-f") + 1]
            assert json.loads(Path(connection_file).read_text())["transport"] == "ipc"
        for process in pooled:
            process.kill()
        # Jupyter's restarter notices within seconds, and starts each kernel again, empty
        wait_for(
            lambda: server.log.read_text().count("restarting kernel") >= 2,
            60,
            "the restarter",
            server,
        )
        context = browser.new_context(locale="zh-CN")
        try:
            page, kernel_id = open_page(
                context, server, "briefing.ipynb?place=320826101000", BRIEFING_PLACE
            )
            expect(page.locator(BRIEFING_PLACE)).to_have_text("高沟镇")
            open_page(context, server, "overview.ipynb", '[data-hehu="county-value"]')
        finally:
            context.close()
        log = server.log.read_text()
        assert re.search(r"preheated kernel \S+ of briefing\.ipynb is dead", log), tail(server.log)


def test_a_page_told_to_wait_opens_by_itself_when_a_kernel_is_given_back(
    demo_db_copy, browser, tmp_path, artifacts_dir
):
    # One page kernel on this server: a second deputy gets the wait page, not a page that hangs.
    options = ("--no-preheat", "--warm-every", "0", "--max-kernels", "1")
    with hehu_serve(demo_db_copy, tmp_path, *options) as server:
        first_context = browser.new_context(locale="zh-CN")
        second_context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
        try:
            first, first_id = open_page(
                first_context, server, "overview.ipynb", '[data-hehu="county-value"]'
            )
            second = second_context.new_page()
            started = time.monotonic()
            second.goto(f"{server}/voila/render/briefing.ipynb?place=320826101000")
            expect(second.locator('[data-hehu="wait"]')).to_be_visible(timeout=5_000)
            assert time.monotonic() - started < 5
            expect(second.locator('[data-hehu="wait-reason"]')).to_contain_text("上限")
            second.screenshot(path=str(artifacts_dir / "wait_page_390.png"), full_page=True)
            # the first deputy closes the page: its kernel goes at once, and the waiting page
            # retries by itself (its meta refresh) and opens
            first.close(run_before_unload=True)
            wait_for(
                lambda: kernel_gone(server, first_id), GONE_DEADLINE, "the first kernel", server
            )
            expect(second.locator(BRIEFING_PLACE)).to_have_text("高沟镇", timeout=LOAD_TIMEOUT)
        finally:
            first_context.close()
            second_context.close()
        assert "admission: briefing.ipynb refused (kernels limit)" in server.log.read_text()


def icons_shown(page) -> list[int]:
    """[widgets showing ipywidgets' broken-link icon, widgets marked disconnected]; the second
    must not be 0 for the first to mean anything."""
    counts = page.evaluate(
        """() => {
        const marked = [...document.querySelectorAll('.jupyter-widgets-disconnected')];
        const shown = marked.filter(e => getComputedStyle(e, '::before').display !== 'none');
        return [shown.length, marked.length];
    }"""
    )
    assert counts[1] > 0, "no widget was marked disconnected: nothing checked"
    return counts


@contextmanager
def briefing_with_notice(db: str, browser, tmp_path: Path, **context_options):
    """高沟镇's briefing open in `hehu serve` (no culler, no pool): (server, page, its kernel id,
    the page's notice that it stopped working)."""
    with hehu_serve(db, tmp_path, "--cull-idle", "0", "--no-preheat") as server:
        context = browser.new_context(locale="zh-CN", **context_options)
        try:
            page, kernel_id = open_page(
                context, server, "briefing.ipynb?place=320826101000", BRIEFING_PLACE
            )
            yield server, page, kernel_id, page.locator('[data-hehu="kernel-stopped"]')
        finally:
            context.close()


def test_a_page_whose_kernel_died_says_so_and_reloads(
    demo_db_copy, browser, tmp_path, artifacts_dir
):
    # The page's own kernel ends while the deputy reads it (the OOM killer, a crash). Jupyter
    # starts it again, empty: the page's widgets would answer nothing, and nothing would say so.
    with briefing_with_notice(
        demo_db_copy, browser, tmp_path, viewport={"width": 390, "height": 844}
    ) as (server, page, kernel_id, notice):
        expect(notice).to_have_count(0)
        processes = kernel_processes(server, kernel_id)
        assert processes, f"no process of kernel {kernel_id}"
        for process in processes:
            process.kill()
        expect(notice).to_be_visible(timeout=60_000)
        expect(notice).to_contain_text("本页的计算进程已中断")
        expect(notice).to_have_attribute("data-kind", "stopped")
        # ipywidgets marks each widget whose kernel is gone with a broken-link icon; the notice
        # says it once, in words, and hides them.
        assert icons_shown(page) == [0, page.locator(".jupyter-widgets-disconnected").count()]
        page.screenshot(path=str(artifacts_dir / "kernel-stopped-notice.png"))
        with page.expect_navigation(timeout=LOAD_TIMEOUT):  # the button reloads the page
            notice.get_by_role("button", name="刷新页面 Reload").click()
        page.locator(BRIEFING_PLACE).first.wait_for(timeout=LOAD_TIMEOUT)
        expect(page.locator(BRIEFING_PLACE)).to_have_text("高沟镇")
        reloaded = page.evaluate(
            "JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId"
        )
        assert reloaded != kernel_id  # a new kernel, not the emptied one
        expect(notice).to_have_count(0)


def test_a_page_that_cannot_connect_again_says_so(demo_db_copy, browser, tmp_path):
    # The page's connection drops and no new one opens: the server stopped (an update, a crash)
    # or is out of reach, or the culler shut the kernel down while a phone was out of coverage.
    # After JupyterLab's own retries (LOST_AFTER, 15 s) the page says so instead of sitting
    # there with controls that do nothing; the notice can be closed to read the page.
    with briefing_with_notice(demo_db_copy, browser, tmp_path) as (server, page, _, notice):
        expect(notice).to_have_count(0)
        server.proc.send_signal(signal.SIGTERM)
        expect(notice).to_be_visible(timeout=90_000)
        expect(notice).to_contain_text("与服务器的连接已中断")
        expect(notice).to_have_attribute("data-kind", "lost")
        expect(notice.get_by_role("button", name="刷新页面 Reload")).to_be_visible()
        notice.get_by_role("button", name="关闭 Close").click()
        expect(notice).to_have_count(0)
        expect(page.locator(BRIEFING_PLACE)).to_have_text("高沟镇")  # still readable


def test_a_short_drop_says_nothing_and_a_new_connection_takes_the_notice_away(
    demo_db_copy, browser, tmp_path
):
    # A phone switching from Wi-Fi to 4G: a connection fails, the next opens. The page says
    # nothing for that; it says "lost" only when none opens for 15 s, and takes it back when one
    # opens. Driven with the page's own WebSocket: one to a port nothing listens on fails
    # (/api/kernels/…/channels, as the page's are), one to the page's kernel opens.
    with briefing_with_notice(demo_db_copy, browser, tmp_path) as (server, page, kernel_id, notice):
        connect = """([url, seconds]) => new Promise((done) => {
            const socket = new WebSocket(url);
            socket.onopen = () => done('open');
            socket.onclose = () => done('closed');
            setTimeout(() => done('timeout'), seconds * 1000);
        })"""
        nowhere = f"ws://127.0.0.1:{free_port()}/api/kernels/{kernel_id}/channels"
        kernel = f"{server.replace('http', 'ws')}/api/kernels/{kernel_id}/channels"
        assert page.evaluate(connect, [nowhere, 10]) == "closed"
        page.wait_for_timeout(2_000)
        expect(notice).to_have_count(0)  # one failed connection is no reason to alarm anyone
        assert page.evaluate(connect, [kernel, 30]) == "open"
        page.wait_for_timeout(17_000)  # past the 15 s a lost connection is given
        expect(notice).to_have_count(0)
        assert page.evaluate(connect, [nowhere, 10]) == "closed"
        expect(notice).to_be_visible(timeout=30_000)
        expect(notice).to_have_attribute("data-kind", "lost")
        assert page.evaluate(connect, [kernel, 30]) == "open"
        expect(notice).to_have_count(0)
