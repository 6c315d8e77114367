"""The read of the store before and after it went through Arrow, side by side: seconds and RSS.

Until commit ba786de `Store.read` was `pd.read_sql_table`, without pyarrow: SQLAlchemy made a
`datetime.date` of every date cell and pandas kept every text cell as its own Python string
(2.0 GiB at 100 counties). `Store.read` now fetches rows a chunk at a time through a plain
DB-API cursor, turns each chunk into Arrow arrays (dates parsed by Arrow, text kept as Arrow
strings) and drops the chunk's Python objects before the next. This reads every record kind
both ways, each in a fresh process, and checks in the second that the frames it reads equal
pandas' own reader's on the same store.

    .venv/bin/python bench/lean_read.py --counties 100
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_memory import peak_mib, use_code_of  # noqa: E402

DATA_DIR = Path("/tmp/hehu-bench")
MIB = 1 << 20
BEFORE = "ba786de"


def measure(url: str, how: str) -> dict:
    """In this process: read every kind one way; seconds, RSS after, peak RSS."""
    if how == "before":
        use_code_of(BEFORE)
    import psutil

    from hehu.records.schema import RECORD_TABLES
    from hehu.records.store import open_store

    store = open_store(url, create=False)
    start = time.perf_counter()
    frames = {kind: store.read(kind) for kind in RECORD_TABLES}
    seconds = time.perf_counter() - start
    out = {
        "how": how,
        "seconds": seconds,
        "rss_mib": psutil.Process().memory_info().rss / MIB,
        "peak_mib": peak_mib(),
    }
    if how == "now":  # the same frames as pandas' reader, or the figure is worthless
        import pandas as pd

        from hehu.records.store import _read_with_pandas

        for kind in ("place", "visit", "pairing", "contact"):
            with store.engine.connect() as conn:
                expected = _read_with_pandas(conn, RECORD_TABLES[kind])
            pd.testing.assert_frame_equal(frames[kind], expected, check_exact=True)
        out["same_frames"] = True
    return out


def main(argv: list[str] | None = None) -> int:
    """Both reads, each in a fresh process, side by side."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counties", type=int, default=100)
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    parser.add_argument("--one", nargs=2, help=argparse.SUPPRESS)  # internal: URL and how
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(measure(*args.one)))
        return 0
    from generate import ensure_province  # imports hehu.records.store: not at the top

    args.data_dir.mkdir(parents=True, exist_ok=True)
    url, _ = ensure_province(args.data_dir / f"province-{args.counties}.sqlite", args.counties)
    print("| read | seconds | RSS after MiB | peak MiB |")
    print("|---|---:|---:|---:|")
    names = {"before": f"`pd.read_sql_table` ({BEFORE}, no pyarrow)", "now": "`Store.read` now"}
    for how in ("before", "now"):
        proc = subprocess.run([sys.executable, __file__, "--one", url, how], check=True,
                              capture_output=True, text=True)  # fmt: skip
        r = json.loads(proc.stdout)
        print(f"| {names[how]} | {r['seconds']:.1f} | {r['rss_mib']:.0f} | {r['peak_mib']:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
