"""The figure warmer: when the records change, compute the overview's figures before anyone asks.

A write (an import, a recorded inspection) makes the shared figures stale; without this, the
next person to open an overview would wait while their kernel reads every record. The warmer
checks the data version every few seconds and runs `hehu warm` in a separate process when it has
changed, so the server's own memory stays small. `hehu serve` runs it in a thread; behind
JupyterHub it runs as a hub-managed service (`python -m hehu.serve.warmer`).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import threading
import time

from hehu.clock import local_today
from hehu.errors import HehuError, shown_url
from hehu.records.store import open_store

WARMED = "hehu warm: 数据已预热 / figures warmed"
WARM_FAILED = "hehu warm 失败 / failed"


def warm_once(db_url: str, timeout: float = 3600, light_roles: tuple[str, ...] = ()) -> bool:
    """Run `hehu warm` on the database in its own process (making the light pages of
    `light_roles` too); whether it succeeded."""
    # The URL goes in the environment, never on the command line: it may hold a password, and
    # every local user can read a process's arguments.
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "hehu.cli.main", "warm"]
        + [f"--light-role={role}" for role in light_roles],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "HEHU_DB": db_url},
    )
    if done.returncode != 0:
        print(
            f"{WARM_FAILED}: {shown_url(done.stderr.strip()[-500:])}",
            file=sys.stderr,
            flush=True,
        )
    else:
        # Said in the log so that whoever runs the server knows when pages open from the cache.
        print(f"{WARMED} ({time.monotonic() - started:.0f} s)", file=sys.stderr, flush=True)
    return done.returncode == 0


def run_warmer(
    db_url: str, every: float, stop: threading.Event, light_roles: tuple[str, ...] = ()
) -> None:
    """Warm the figures now, after every change of the data version and each new day (open
    periods are judged on the day), until `stop` is set. After a failure it waits twice as long
    each time, up to an hour, rather than read every record again every few seconds."""
    warmed = None
    failures = 0
    while not stop.is_set():
        try:
            state = (open_store(db_url, create=False).data_version(), local_today())
            if state != warmed:
                if warm_once(db_url, light_roles=light_roles):
                    warmed, failures = state, 0
                else:
                    failures += 1
        except (HehuError, OSError, subprocess.SubprocessError) as exc:
            # A database that is briefly unreachable must not stop the server: try again later.
            failures += 1
            print(f"hehu warmer: {shown_url(exc)}", file=sys.stderr, flush=True)
        stop.wait(min(every * 2**failures, max(every, 3600.0)))


def start_warmer(db_url: str, every: float, light_roles: tuple[str, ...] = ()) -> threading.Event:
    """Run the warmer in a daemon thread; set the returned event to stop it."""
    stop = threading.Event()
    threading.Thread(
        target=run_warmer,
        args=(db_url, every, stop, light_roles),
        name="hehu-warmer",
        daemon=True,
    ).start()
    return stop


def main(argv: list[str] | None = None) -> int:
    """Run the warmer in the foreground (a JupyterHub service, or by hand)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--db", default=os.environ.get("HEHU_DB"), required="HEHU_DB" not in os.environ
    )
    parser.add_argument("--every", type=float, default=30.0, help="seconds between checks")
    parser.add_argument(
        "--light-role",
        action="append",
        default=[],
        choices=["deputy", "presenter", "staff", "admin"],
        help="also make the light pages for this role",
    )
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):  # JupyterHub stops its services with SIGINT
        run_warmer(args.db, args.every, threading.Event(), tuple(args.light_role))
    return 0


if __name__ == "__main__":
    sys.exit(main())
