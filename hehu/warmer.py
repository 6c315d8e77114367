"""The figure warmer: when the records change, compute the overview's figures before anyone asks.

A write (an import, a recorded inspection) makes the shared figures stale; without this, the
next person to open an overview would wait while their kernel reads every record. The warmer
checks the data version every few seconds and runs `hehu warm` in a separate process when it has
changed, so the server's own memory stays small. `hehu serve` runs it in a thread; behind
JupyterHub it runs as a hub-managed service (`python -m hehu.warmer`).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import threading

from .errors import HehuError
from .store import open_store


def warm_once(db_url: str, timeout: float = 3600) -> bool:
    """Run `hehu warm` on the database in its own process; whether it succeeded."""
    done = subprocess.run(
        [sys.executable, "-m", "hehu.cli", "warm", "--db", db_url],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "HEHU_DB": db_url},
    )
    if done.returncode != 0:
        print(f"hehu warm 失败 / failed: {done.stderr.strip()[-500:]}", file=sys.stderr, flush=True)
    return done.returncode == 0


def run_warmer(db_url: str, every: float, stop: threading.Event) -> None:
    """Warm the figures now and after every change of the data version, until `stop` is set."""
    warmed = None
    while not stop.is_set():
        try:
            version = open_store(db_url, create=False).data_version()
            if version != warmed and warm_once(db_url):
                warmed = version
        except (HehuError, OSError, subprocess.SubprocessError) as exc:
            # A database that is briefly unreachable must not stop the server: try again later.
            print(f"hehu warmer: {exc}", file=sys.stderr, flush=True)
        stop.wait(every)


def start_warmer(db_url: str, every: float) -> threading.Event:
    """Run the warmer in a daemon thread; set the returned event to stop it."""
    stop = threading.Event()
    threading.Thread(
        target=run_warmer, args=(db_url, every, stop), name="hehu-warmer", daemon=True
    ).start()
    return stop


def main(argv: list[str] | None = None) -> int:
    """Run the warmer in the foreground (a JupyterHub service, or by hand)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--db", default=os.environ.get("HEHU_DB"), required="HEHU_DB" not in os.environ
    )
    parser.add_argument("--every", type=float, default=30.0, help="seconds between checks")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):  # JupyterHub stops its services with SIGINT
        run_warmer(args.db, args.every, threading.Event())
    return 0


if __name__ == "__main__":
    sys.exit(main())
