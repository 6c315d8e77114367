"""`hehu serve` and `hehu lab` own their port: one server a port, stopped with everything it started.

Voila, left to itself, moves to the next free port when its own is taken, and outlives a
`hehu serve` killed with SIGKILL (kernels and all). Then a new `hehu serve --role deputy` would
print an address that an old staff server still answers. So:

- Voila gets `--Voila.port_retries=0` (hehu/serve/voila.py) and `hehu serve` refuses, in one
  Chinese line, to start on a port something else holds;
- Voila is asked to die with its parent (Linux PR_SET_PDEATHSIG): SIGKILL of `hehu serve`
  sends Voila SIGTERM, on which it shuts its kernels down;
- a pid file (HEHU_HOME/serve-PORT.json) names the Voila a `hehu serve` started, so that the next
  start on that port stops whatever of it is still alive (Voila and its kernels) first.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import psutil

from hehu.errors import HehuError
from hehu.records.store import hehu_home

PR_SET_PDEATHSIG = 1
PORT_RELEASE_SECONDS = 10.0  # the longest a stopped server's port is waited for


def pid_file(port: int) -> Path:
    """Where the server on ``port`` records its Voila's process."""
    return hehu_home() / f"serve-{port}.json"


def port_is_free(ip: str, port: int) -> bool:
    """Whether ``ip:port`` can be listened on now."""
    with socket.socket(socket.AF_INET6 if ":" in ip else socket.AF_INET) as probe:
        # As Tornado does (SO_REUSEADDR): a port in TIME_WAIT after a server stopped is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((ip, port))
        except OSError:
            return False
    return True


def _stop_tree(process: psutil.Process, timeout: float = 15) -> None:
    """SIGTERM a process and everything under it (kernels too), then SIGKILL what is left."""
    try:
        tree = [process, *process.children(recursive=True)]
    except psutil.NoSuchProcess:
        return
    for member in tree:
        with contextlib.suppress(psutil.NoSuchProcess):
            member.terminate()
    _gone, alive = psutil.wait_procs(tree, timeout=timeout)
    for member in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            member.kill()
    psutil.wait_procs(alive, timeout=5)


def stop_previous_server(port: int) -> bool:
    """Stop what a previous `hehu serve` on ``port`` left running; True if it was there (now
    stopped, or already gone: its port may take a moment more to be free)."""
    path = pid_file(port)
    try:
        recorded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    stopped = False
    try:
        process = psutil.Process(int(recorded["pid"]))
        # Only the very process recorded: a pid reused since by another program is left alone.
        if abs(process.create_time() - float(recorded["started"])) < 1:
            command = " ".join(process.cmdline())
            if "voila" in command:
                _stop_tree(process)
                stopped = True
            elif not command:
                # Exiting (a killed server's Voila, on its way out): Linux frees a process's
                # memory, and with it its command line, before its files, so it may still
                # hold the port. Wait for it to be gone.
                psutil.wait_procs([process], timeout=15)
                stopped = True
    except psutil.NoSuchProcess:  # gone, or a zombie: it held the port a moment ago
        stopped = True
    except (psutil.AccessDenied, KeyError, ValueError, TypeError):
        pass
    path.unlink(missing_ok=True)
    return stopped


def record_server(port: int, pid: int) -> None:
    """Write the pid file of the Voila serving ``port`` (owner-only)."""
    path = pid_file(port)
    path.parent.mkdir(parents=True, exist_ok=True)
    started = psutil.Process(pid).create_time()
    path.write_text(json.dumps({"pid": pid, "started": started, "port": port}), encoding="utf-8")
    path.chmod(0o600)


def forget_server(port: int, pid: int) -> None:
    """Remove the pid file if it still names ``pid`` (a newer server may have written its own)."""
    path = pid_file(port)
    try:
        if json.loads(path.read_text(encoding="utf-8")).get("pid") == pid:
            path.unlink()
    except (OSError, ValueError):
        pass


def die_with_parent() -> None:
    """`preexec_fn` of Voila: SIGTERM it when `hehu serve` dies, however it dies (Linux)."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:  # not Linux: the pid file still lets the next start clean up
        pass
    if os.getppid() == 1:  # the parent died before prctl took effect
        os.kill(os.getpid(), signal.SIGTERM)


def require_token_off_loopback(ip: str, token: str | None) -> None:
    """Refuse to serve on an address other machines reach without a token (one rule for both
    `hehu serve` and `hehu lab`): anyone on the same network could open the pages otherwise."""
    from hehu.serve.voila import LOOPBACK

    if ip not in LOOPBACK and not token:
        raise HehuError(
            f"在 {ip} 上提供服务必须设置访问口令（--token 或 HEHU_TOKEN），否则同一网络中的任何人都能查看",
            f"serving on {ip} needs a token (--token or HEHU_TOKEN)",
        )


def claim_port(ip: str, port: int) -> None:
    """Stop a previous `hehu serve` of this port; refuse if something else holds it."""
    # A killed server's Voila is gone a few milliseconds before its port is free (measured
    # after SIGKILL): after one of ours, the port is waited for; anything else is refused at once.
    ours = stop_previous_server(port)
    deadline = time.monotonic() + (PORT_RELEASE_SECONDS if ours else 0.0)
    while not port_is_free(ip, port):
        if time.monotonic() < deadline:
            time.sleep(0.05)
            continue
        raise HehuError(
            f"端口 {port} 已被其他程序占用：请用 --port 换一个端口，或先停止占用它的程序",
            f"port {port} is in use: choose another with --port, or stop what holds it",
        )


def run_server(command: list[str], env: dict[str, str], port: int, after_start=None) -> int:
    """Run a server process until it ends, `hehu serve` or `hehu lab`: it dies with us, its pid
    file lets the next start on this port clean up, and SIGTERM and Ctrl+C stop it cleanly."""
    proc = subprocess.Popen(command, env=env, preexec_fn=die_with_parent)
    record_server(port, proc.pid)
    if after_start is not None:
        after_start()
    # A service manager stops us with SIGTERM: pass it on so the server shuts its kernels down too.
    signal.signal(signal.SIGTERM, lambda _sig, _frame: proc.terminate())
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        proc.wait()
        return 0
    finally:
        forget_server(port, proc.pid)
