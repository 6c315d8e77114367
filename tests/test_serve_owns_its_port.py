"""`hehu serve` owns its port and answers only to this machine's names.

Tried as an attacker and a careless user would: start it on a port another program holds; kill a
staff server with SIGKILL and start a deputy one on the same port (the old server must not
answer); send a request whose Host or Origin is a foreign site (DNS rebinding) to a server with no
token.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import psutil
import pytest
from conftest import free_port
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

from hehu.records.gazetteer import load_gazetteer
from hehu.records.store import open_store
from hehu.serve.process import claim_port, pid_file, port_is_free, record_server

START_TIMEOUT = 90


def in_thread(coroutine):
    """Run a coroutine to its end in a thread of its own (a browser test may own this one's loop)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@pytest.fixture
def gazetteer_db(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'places.sqlite'}"
    load_gazetteer(open_store(url))
    return url


def serve(db: str, port: int, role: str, home, log, *extra: str, **env) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "hehu.cli.main", "serve", "--db", db, "--port", str(port),
         "--role", role, "--no-preheat", "--warm-every", "0", *extra],
        stdout=log, stderr=subprocess.STDOUT,
        env={**os.environ, "HEHU_HOME": str(home), **env},
    )  # fmt: skip


def command_line(process: psutil.Process) -> str:
    """A process's command line; empty for one that has ended (a culled kernel is a zombie until reaped)."""
    try:
        return " ".join(process.cmdline())
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return ""


def kernels_of(server: subprocess.Popen) -> list[psutil.Process]:
    """The live kernels of the Voila a `hehu serve` started."""
    voila = [p for p in psutil.Process(server.pid).children() if "voila" in command_line(p)]
    return [k for k in voila[0].children(recursive=True) if "ipykernel" in command_line(k)]


def get(url: str, host: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, ""


def wait_until_answering(port: int, proc: subprocess.Popen, log_path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        assert proc.poll() is None, log_path.read_text(errors="replace")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/voila/tree", timeout=2)
            return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"no answer on {port}:\n{log_path.read_text(errors='replace')}")


def test_a_port_another_program_holds_is_refused_in_one_line(gazetteer_db, tmp_path):
    port = free_port()
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        proc = subprocess.run(
            [sys.executable, "-m", "hehu.cli.main", "serve", "--db", gazetteer_db,
             "--port", str(port)],
            capture_output=True, text=True, timeout=60,
            env={**os.environ, "HEHU_HOME": str(tmp_path / "home")},
        )  # fmt: skip
        assert proc.returncode == 2
        assert f"端口 {port} 已被其他程序占用" in proc.stderr
        assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
        # nothing moved to the next port either
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port + 1)) != 0


def test_a_port_our_last_server_still_holds_a_moment_after_it_died_is_waited_for(
    tmp_path, monkeypatch
):
    """After SIGKILL a server's Voila is gone a few milliseconds before its port is free (CI
    once refused the next server in that moment). Here the recorded process hands its listening
    socket to a child that keeps it 1.5 s after the recorded one has ended."""
    monkeypatch.setenv("HEHU_HOME", str(tmp_path / "home"))
    port = free_port()
    holder = (
        "import socket, subprocess, sys, time\n"
        "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
        f"s.bind(('127.0.0.1', {port})); s.listen()\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(1.5)'],"
        " pass_fds=[s.fileno()])\n"
        "print('ready', flush=True); sys.stdin.read()\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", holder], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "ready"
    record_server(port, proc.pid)
    proc.stdin.close()
    proc.wait()  # the recorded process is gone; its child holds the port
    assert not port_is_free("127.0.0.1", port)
    started = time.monotonic()
    claim_port("127.0.0.1", port)
    assert 0.5 < time.monotonic() - started < 10
    assert port_is_free("127.0.0.1", port) and not pid_file(port).exists()


def test_after_a_sigkill_the_old_server_never_answers_the_new_ones_address(
    gazetteer_db, tmp_path, monkeypatch
):
    port, home = free_port(), tmp_path / "home"
    monkeypatch.setenv("HEHU_HOME", str(home))  # where pid_file looks
    first_log = tmp_path / "staff.log"
    staff = serve(gazetteer_db, port, "staff", home, first_log.open("wb"))
    wait_until_answering(port, staff, first_log)
    status, _page = get(f"http://127.0.0.1:{port}/voila/render/audit.ipynb")
    assert status == 200
    voila = psutil.Process(int(re.search(r'"pid": (\d+)', pid_file(port).read_text())[1]))
    tree = [voila, *voila.children(recursive=True)]
    assert any("ipykernel" in command_line(p) for p in tree)  # a kernel was started

    staff.send_signal(signal.SIGKILL)  # no chance to clean up
    staff.wait()
    second_log = tmp_path / "deputy.log"
    deputy = serve(gazetteer_db, port, "deputy", home, second_log.open("wb"))
    try:
        wait_until_answering(port, deputy, second_log)
        # every process of the killed server is gone: Voila and its kernels
        _gone, alive = psutil.wait_procs(tree, timeout=20)
        assert alive == []
        status, _page = get(f"http://127.0.0.1:{port}/voila/render/audit.ipynb")
        assert status == 200
        # the page was served by the new server's Voila, whose kernels are the deputy's
        listening = {
            c.pid
            for c in psutil.net_connections("tcp")
            if c.laddr and c.laddr.port == port and c.status == psutil.CONN_LISTEN
        }
        new_voila = [p for p in psutil.Process(deputy.pid).children() if "voila" in command_line(p)]
        assert listening == {new_voila[0].pid}
        kernels = new_voila[0].children(recursive=True)
        assert kernels and {k.environ().get("HEHU_ROLE") for k in kernels} == {"deputy"}
    finally:
        deputy.send_signal(signal.SIGTERM)
        deputy.wait(timeout=30)
    assert not pid_file(port).exists()


def test_a_foreign_host_or_origin_is_refused_without_a_token(voila_server, gazetteer_db):
    site = voila_server({"HEHU_DB": gazetteer_db, "HEHU_ROLE": "staff"})
    port = site.rsplit(":", 1)[1]
    assert get(f"{site}/voila/tree")[0] == 200
    assert get(f"{site}/voila/tree", host=f"localhost:{port}")[0] == 200
    # a DNS-rebinding page: its own name now resolves to 127.0.0.1
    assert get(f"{site}/voila/tree", host=f"evil.example:{port}")[0] == 403
    assert get(f"{site}/voila/render/audit.ipynb", host="evil.example")[0] == 403

    status, page = get(f"{site}/voila/render/audit.ipynb")
    kernel = re.search(r'"kernelId": "([0-9a-f-]+)"', page)[1]

    async def open_channels(origin: str, host: str) -> str:
        request = HTTPRequest(
            f"ws://127.0.0.1:{port}/api/kernels/{kernel}/channels",
            headers={"Origin": origin, "Host": host},
        )
        try:
            connection = await websocket_connect(request)
        except Exception as exc:  # noqa: BLE001 - the refusal is what is looked at
            return str(exc)
        connection.close()
        return "open"

    assert in_thread(open_channels(f"http://127.0.0.1:{port}", f"127.0.0.1:{port}")) == "open"
    assert "403" in in_thread(open_channels("http://evil.example", f"127.0.0.1:{port}"))
    assert "403" in in_thread(open_channels(f"http://evil.example:{port}", f"evil.example:{port}"))


def test_a_page_no_browser_opened_gives_its_kernel_back_within_minutes(gazetteer_db, tmp_path):
    port, log_path = free_port(), tmp_path / "serve.log"
    server = serve(
        gazetteer_db, port, "deputy", tmp_path / "home", log_path.open("wb"),
        "--cull-idle", "30", HEHU_NEVER_OPENED_SECONDS="5",
    )  # fmt: skip
    try:
        wait_until_answering(port, server, log_path)
        # a script, a link preview, a crawler: the page is fetched, no browser runs it
        for _ in range(3):
            assert get(f"http://127.0.0.1:{port}/voila/render/audit.ipynb")[0] == 200
        assert len(kernels_of(server)) == 3
        deadline = time.monotonic() + 60  # 5 s unopened, checked every 10 s
        while kernels_of(server) and time.monotonic() < deadline:
            time.sleep(1)
        assert kernels_of(server) == [], log_path.read_text(errors="replace")[-2000:]
        assert "no browser opened its page" in log_path.read_text(errors="replace")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Report a redirect (to the login page) instead of following it."""

    def redirect_request(self, *args, **kwargs):
        return None


def test_with_a_token_neither_a_page_nor_a_light_briefing_is_served_without_it(
    gazetteer_db, tmp_path
):
    port, log_path, token = free_port(), tmp_path / "serve.log", "a-token-4f1c9e"
    server = serve(
        gazetteer_db, port, "deputy", tmp_path / "home", log_path.open("wb"), "--token", token
    )
    try:
        wait_until_answering(port, server, log_path)
        opener = urllib.request.build_opener(_NoRedirect)
        for path in ("hehu/overview", "hehu/briefing/320826000000", "voila/render/briefing.ipynb"):
            with pytest.raises(urllib.error.HTTPError) as refused:
                opener.open(f"http://127.0.0.1:{port}/{path}", timeout=60)
            assert refused.value.code in (302, 403), path  # to the login page, or refused
            assert "涟水县" not in refused.value.read().decode("utf-8", "replace")
        status, page = get(f"http://127.0.0.1:{port}/hehu/overview?token={token}")
        assert status == 200 and "涟水县" in page
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
