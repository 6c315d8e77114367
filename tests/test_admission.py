"""Admission control: the limits, the likely wait, the wait page; then a real `hehu serve` that
refuses a page over its limits at once with the wait page, and admits it again when room is made.
"""

from __future__ import annotations

import concurrent.futures
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from email.message import Message

import pytest
from test_kernel_lifecycle import hehu_serve, kernel_processes, wait_for

from hehu.serve.admission import (
    FIRST_RENDER_SECONDS,
    RENDER_STUCK_SECONDS,
    RETRY_SECONDS,
    Admission,
    Decision,
    kernel_cap,
    wait_page,
)


def test_the_kernel_cap_is_what_memory_holds_after_the_reserve_and_the_pool():
    # 24 GiB: (24,576 − 1,024) // 250 = 94 kernels, less 4 in the pool
    assert kernel_cap(24 * 1024, pool_kernels=4) == 90
    assert kernel_cap(24 * 1024, pool_kernels=0, kernel_mib=500) == 47
    # a small machine still serves one page
    assert kernel_cap(1024, pool_kernels=4) == 1


def test_render_slots_are_the_cores_the_server_may_run_on_not_the_machine_s():
    """A server pinned to one core (taskset, a container's cpuset) renders one page at a time:
    two would share the core, each twice as slow (bench/load_test.py --split-cores)."""
    code = "from hehu.serve.admission import default_render_slots as d; print(d())"

    def slots(cores: set[int]) -> int:
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True,
            preexec_fn=lambda: os.sched_setaffinity(0, cores),
        )  # fmt: skip
        return int(done.stdout)

    assert slots({0}) == 1
    allowed = os.sched_getaffinity(0)
    assert slots(allowed) == len(allowed)


def test_under_both_limits_a_page_is_admitted():
    admission = Admission(max_kernels=3, render_slots=2)
    assert admission.decide(page_kernels=2, now=0.0) == Decision(True)
    admission.render_started(now=0.0)
    assert admission.decide(page_kernels=2, now=0.0).admitted


def test_at_the_kernel_cap_the_wait_is_the_next_cull_or_unknown():
    admission = Admission(max_kernels=3, render_slots=2)
    assert admission.decide(3, seconds_to_next_cull=41.2, now=0.0) == Decision(False, "kernels", 42)
    # every kernel has its page open: nobody can say when one is closed
    assert admission.decide(3, seconds_to_next_cull=None, now=0.0) == Decision(False, "kernels")


def test_with_every_render_slot_busy_the_wait_grows_with_those_already_waiting():
    admission = Admission(max_kernels=50, render_slots=2)
    admission.render_started(now=0.0)
    admission.render_started(now=0.0)
    first = admission.decide(2, now=100.0)
    assert first == Decision(False, "renders", int(FIRST_RENDER_SECONDS))
    # three more refused within one retry interval: the fourth waits a second round
    for _ in range(2):
        admission.decide(2, now=101.0)
    assert admission.decide(2, now=102.0).wait_seconds == 2 * int(FIRST_RENDER_SECONDS)
    # refusals older than the retry interval have retried already: they no longer count
    assert admission.decide(2, now=102.0 + 2 * RETRY_SECONDS).wait_seconds == FIRST_RENDER_SECONDS


def test_a_render_that_never_ends_gives_its_slot_back_after_minutes():
    """Voila once kept requests for an unknown template waiting for good: two of them shut
    every page out until the server was restarted. A stuck render now holds its slot five
    minutes at most, and its end, if it comes, changes nothing."""
    admission = Admission(max_kernels=50, render_slots=2)
    stuck = [admission.render_started(now=0.0) for _ in range(2)]
    assert not admission.decide(0, now=RENDER_STUCK_SECONDS - 1).admitted
    assert admission.decide(0, now=RENDER_STUCK_SECONDS).admitted
    admission.render_started(now=RENDER_STUCK_SECONDS)
    for token in stuck:  # long after: neither frees a slot nor counts as a render time
        admission.render_finished(token, 9999.0)
    assert admission.renders_running(now=RENDER_STUCK_SECONDS) == 1
    assert admission.render_seconds() == FIRST_RENDER_SECONDS


def test_the_likely_render_time_is_the_median_of_the_last_renders():
    admission = Admission(max_kernels=50, render_slots=1)
    for seconds in (2.0, 9.0, 3.0):
        admission.render_finished(admission.render_started(now=0.0), seconds)
    assert admission.renders_running(now=0.0) == 0
    assert admission.render_seconds() == 3.0
    admission.render_started(now=0.0)
    assert admission.decide(1, now=0.0).wait_seconds == 3


def test_the_wait_page_says_the_wait_in_chinese_retries_by_itself_and_fetches_nothing():
    page = wait_page(Decision(False, "renders", 8), "320826101000")
    assert "请稍候" in page and "预计等待约 8 秒" in page and "每 5 秒自动重试" in page
    assert '<meta http-equiv="refresh" content="5">' in page
    # the light pages open at once, relative to /voila/render/NAME.ipynb
    assert 'href="../../hehu/briefing/320826101000"' in page
    assert 'href="../../hehu/overview"' in page
    assert not re.search(r"(src|href)=\"(https?:)?//", page)
    assert "<script" not in page
    minutes = wait_page(Decision(False, "kernels", 130), None)
    assert "预计等待约 3 分钟" in minutes and "hehu/briefing" not in minutes
    unknown = wait_page(Decision(False, "kernels"), None, "en")
    assert "cannot be told" in unknown and "every 15 s" in unknown


def test_a_long_wait_asks_again_less_often_and_the_line_counts_each_page_until_it_does():
    # After about half the likely wait, from 5 to 30 s: a phone slowed by the crowd paints the
    # page before it asks again, and twenty phones do not ask every 5 s for a minute's wait.
    assert [Decision(False, "renders", w).retry_seconds for w in (1, 8, 11, 44, 300)] == [
        5, 5, 6, 22, 30,
    ]  # fmt: skip
    page = wait_page(Decision(False, "renders", 44), None)
    assert '<meta http-equiv="refresh" content="22">' in page and "每 22 秒自动重试" in page
    admission = Admission(max_kernels=50, render_slots=1)
    admission.render_started(now=0.0)
    waits = [admission.decide(1, now=100.0).wait_seconds for _ in range(10)]
    assert waits == [4 * n for n in range(1, 11)]  # each behind those refused before it
    # 12 s on, the six pages told to ask again within 12 s have asked (or left): four still
    # wait, told 14 to 20 s, so a page asking now is fifth
    assert admission.decide(1, now=112.0).wait_seconds == 4 * 5


def test_a_page_asking_again_keeps_its_place_in_the_line_not_one_more():
    """A deputy reloading the wait page by hand (or it asking again by itself) is still one
    page waiting: ten reloads do not tell the next deputy she is eleventh."""
    admission = Admission(max_kernels=50, render_slots=1)
    render = admission.render_started(now=100.0)
    assert admission.decide(1, now=100.0, waiter="a").wait_seconds == 4
    waits = [admission.decide(1, now=100 + n / 4, waiter="b").wait_seconds for n in range(10)]
    assert waits == [8] * 10  # behind "a" only, however often "b" reloads
    assert admission.decide(1, now=103.0, waiter="c").wait_seconds == 12
    # without a name each request is someone new, as before
    assert admission.decide(1, now=103.0).wait_seconds == 16
    # admitted at last, a page leaves the line
    admission.render_finished(render, 4.0)
    assert admission.decide(0, now=104.0, waiter="a").admitted
    admission.render_started(now=104.0)
    assert admission.decide(1, now=104.0, waiter="d").wait_seconds == 16


def fetch(url: str) -> tuple[int, Message, str, float]:
    """GET a URL: status, headers, body and the seconds the answer took."""
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=120) as resp:
            return resp.status, resp.headers, resp.read().decode(), time.monotonic() - started
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read().decode(), time.monotonic() - started


def small_server(db: str, tmp_path, max_kernels: int):
    """`hehu serve` that holds ``max_kernels`` page kernels, starts one page at a time, and
    gives the kernel of a page no browser opened back after 30 s."""
    options = ("--no-preheat", "--warm-every", "0", "--cull-idle", "15", "--render-slots", "1")
    return hehu_serve(db, tmp_path, *options, "--max-kernels", str(max_kernels))


@pytest.fixture(autouse=True)
def _unopened_kernels_go_quickly(monkeypatch):
    monkeypatch.setenv("HEHU_NEVER_OPENED_SECONDS", "30")


def test_a_page_over_the_kernel_cap_gets_the_wait_page_at_once_then_opens(demo_db_copy, tmp_path):
    with small_server(demo_db_copy, tmp_path, max_kernels=1) as server:
        over_the_kernel_cap(server)


def over_the_kernel_cap(small_server) -> None:
    page = f"{small_server}/voila/render/audit.ipynb"
    assert fetch(page)[0] == 200  # the one kernel: a script fetched it, no browser opened it
    status, headers, body, seconds = fetch(page + "?place=<script>alert(1)</script>&lang=zh")
    assert status == 503 and seconds < 5, body[:300]
    assert headers["Retry-After"].isdigit() and "no-store" in headers["Cache-Control"]
    assert "请稍候" in body and "已达本服务器的上限" in body
    assert "<script>alert" not in body and "hehu/briefing" not in body
    # once the culler has seen the kernel unopened (it looks every 5 s), the wait is the time
    # left until it culls it: under its 30 s and a look
    time.sleep(6)
    status, _, body, _ = fetch(page)
    wait = re.search(r"预计等待约 (\d+) 秒", body)
    assert status == 503 and wait and 1 <= int(wait[1]) <= 30 + 5, body[-400:]
    assert len(kernel_processes(small_server)) == 1  # the refused request started nothing
    wait_for(
        lambda: not kernel_processes(small_server), 90, "the unopened kernel's cull", small_server
    )
    # the server counts the kernel gone once its shutdown is done, a moment after the process
    # (CI saw one 503 there on a loaded machine): the wait page's own retry, a few seconds on
    wait_for(lambda: fetch(page)[0] == 200, 20, "the page once the kernel is gone", small_server)
    assert "admission: audit.ipynb refused (kernels limit)" in small_server.log.read_text()


def test_with_the_render_slot_busy_a_second_page_is_told_to_wait_within_seconds(
    demo_db_copy, tmp_path
):
    # the first page starts its kernel and runs the notebook (seconds); meanwhile, a second asks
    with small_server(demo_db_copy, tmp_path, max_kernels=5) as server:
        briefing = f"{server}/voila/render/briefing.ipynb"
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            first = pool.submit(fetch, briefing)
            time.sleep(0.5)
            status, headers, body, seconds = fetch(briefing + "?place=320826101000")
            assert first.result()[0] == 200
        assert "refused (renders limit)" in server.log.read_text()
    assert status == 503 and seconds < 5
    # the page's place in the line, kept by the browser and never readable by a script
    (cookie,) = [c for c in headers.get_all("Set-Cookie") if c.startswith("hehu_wait=")]
    assert re.match(r"hehu_wait=[A-Za-z0-9_-]{16};", cookie), cookie
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "很多人正同时打开页面" in body and 'href="../../hehu/briefing/320826101000"' in body


def test_a_preheated_kernel_waits_for_a_render_slot_like_any_page():
    """A Hehu page reads its request first: a pooled kernel has only its imports done, and
    letting it past the render limit let a burst render everything at once."""
    admission = Admission(max_kernels=50, render_slots=1)
    assert admission.decide(0, now=0.0).admitted
    admission.render_started(now=0.0)
    assert admission.decide(1, now=0.0) == Decision(False, "renders", int(FIRST_RENDER_SECONDS))


def test_the_pool_s_kernels_ready_starting_or_failed_are_not_page_kernels():
    import asyncio

    from hehu.serve.kernels import PageKernelManager

    async def pooled() -> int:
        loop = asyncio.get_running_loop()
        ready, starting, failed = loop.create_future(), loop.create_future(), loop.create_future()
        ready.set_result({"kernel_id": "k1"})
        failed.set_exception(RuntimeError("the kernel died"))
        failed.exception()  # retrieved: no "never retrieved" warning
        manager = PageKernelManager()
        manager._pools = {"briefing.ipynb": [starting, failed], "overview.ipynb": [ready]}
        return manager.pooled_kernel_count()

    # In a thread of its own: a session's Playwright (sync API) keeps an event loop running in
    # this one, and asyncio.run refuses to start inside it.
    with concurrent.futures.ThreadPoolExecutor(1) as thread:
        assert thread.submit(asyncio.run, pooled()).result() == 3
