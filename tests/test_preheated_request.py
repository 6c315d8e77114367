"""A preheated kernel waits for its request on Voila's websocket (widgets.kit.common
`preheated_request`): a server slow to shake hands, a connection dropped before the message, a
server not yet listening must not leave the page on its default place. Voila's own wait gave up
after 5 s of connecting, or on the first dropped connection; with 20 deputies at once on a busy
server, two briefings never showed the place asked for (bench/load_test.py --split-cores).

A real websocket server on a free port plays Voila's side, in a thread of its own.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import free_port
from websockets.asyncio.server import serve

from hehu.errors import HehuError
from widgets.kit.common import preheated_request

REPO = Path(__file__).resolve().parents[1]
KERNEL = "0f0e0d0c-aaaa-bbbb-cccc-123456789abc"
MESSAGE = {"QUERY_STRING": "place=320826101000&lang=zh", "HEHU_TEST_SENT": "1"}


@contextmanager
def voila_side(*, drop_first: int = 0, handshake_delay: float = 0.0, listen_after: float = 0.0):
    """A websocket server at ws://127.0.0.1:PORT/voila/query that answers /KERNEL with MESSAGE
    (after dropping the first `drop_first` connections unanswered, taking `handshake_delay`
    seconds before each handshake, listening only `listen_after` seconds from now); yields the
    URL and the paths it was asked for."""
    port, asked, ready = free_port(), [], threading.Event()
    stop: asyncio.Future | None = None
    loop = asyncio.new_event_loop()

    async def answer(connection) -> None:
        asked.append(connection.request.path)
        if len(asked) <= drop_first:
            await connection.close()
            return
        await connection.send(json.dumps(MESSAGE))
        await connection.wait_closed()

    async def slow_handshake(_connection, _request):
        await asyncio.sleep(handshake_delay)

    async def run() -> None:
        nonlocal stop
        stop = loop.create_future()
        ready.set()
        await asyncio.sleep(listen_after)
        async with serve(answer, "127.0.0.1", port, process_request=slow_handshake):
            await stop

    thread = threading.Thread(target=loop.run_until_complete, args=(run(),), daemon=True)
    thread.start()
    ready.wait(5)
    try:
        yield f"ws://127.0.0.1:{port}/voila/query", asked
    finally:
        loop.call_soon_threadsafe(stop.set_result, None)
        thread.join(10)


@pytest.fixture
def kernel_env(monkeypatch) -> Iterator[None]:
    monkeypatch.setenv("VOILA_KERNEL_ID", KERNEL)
    for key in MESSAGE:
        monkeypatch.delenv(key, raising=False)
    yield


def test_a_handshake_slower_than_voila_s_five_seconds_still_brings_the_request(kernel_env):
    """In a fresh interpreter, as a kernel is: nothing this test process imported helps."""
    code = (
        "from widgets.kit.common import preheated_request as p; import sys; print(p(sys.argv[1]))"
    )
    with voila_side(handshake_delay=6.5) as (url, asked):
        done = subprocess.run(
            [sys.executable, "-c", code, url], capture_output=True, text=True, timeout=120,
            cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == MESSAGE["QUERY_STRING"]
    assert asked == [f"/voila/query/{KERNEL}"]


def test_a_dropped_connection_is_made_again_and_the_request_s_variables_are_set(kernel_env):
    with voila_side(drop_first=2) as (url, asked):
        assert preheated_request(url) == MESSAGE["QUERY_STRING"]
    assert len(asked) == 3
    assert os.environ["HEHU_TEST_SENT"] == "1"  # every variable of the message, as Voila's


def test_a_server_not_yet_listening_is_waited_for(kernel_env):
    with voila_side(listen_after=2.0) as (url, _asked):
        assert preheated_request(url) == MESSAGE["QUERY_STRING"]


def test_nobody_answering_is_a_chinese_error_not_the_default_place(kernel_env):
    url = f"ws://127.0.0.1:{free_port()}/voila/query"  # nothing listens there
    started = time.monotonic()
    with pytest.raises(HehuError, match="页面没有收到所请求的地点") as refused:
        preheated_request(url, give_up_after=1.5)
    assert 1.5 <= time.monotonic() - started < 15
    assert "reload" in refused.value.message("en")
