"""Prototype for the store's owner: how much memory a leaner read of the records would save.

`Store.read` makes one Python string object per text cell (pandas without pyarrow stores text as
Python objects), so a place code repeated in a million visits is a million objects. This reads
the same tables in chunks and makes every repeated text (codes, ids pointing at other records,
categories) one shared object, then compares RSS and time with `load_records`, each in a fresh
process. It checks that the frames it builds equal `Store.read`'s.

    .venv/bin/python bench/lean_read.py --counties 100
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import ensure_province  # noqa: E402

DATA_DIR = Path("/tmp/hehu-bench")
MIB = 1 << 20


def lean_read(store, kind: str, canon: dict, chunk: int = 200_000):
    """One record kind as `Store.read` returns it, read in chunks with repeated texts shared."""
    import numpy as np
    import pandas as pd
    import sqlalchemy as sa

    from hehu.store import RECORD_TABLES

    table = RECORD_TABLES[kind]
    single_key = len(table.primary_key.columns) == 1
    # Dates come as text and are parsed by pandas at once, not by SQLAlchemy cell by cell.
    columns = [
        sa.type_coerce(c, sa.String).label(c.name) if isinstance(c.type, sa.Date) else c
        for c in table.columns
    ]
    parts = []
    with store.engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=chunk).execute(
            sa.select(*columns)
        )
        for rows in result.partitions():
            data = {}
            for c, values in zip(table.columns, zip(*rows, strict=True), strict=True):
                values = np.array(values, dtype=object)
                if isinstance(c.type, sa.String | sa.Text) and not (c.primary_key and single_key):
                    codes, uniques = pd.factorize(values)
                    shared = [canon.setdefault(u, u) for u in uniques] + [None]
                    values = np.array(shared, dtype=object)[codes]
                data[c.name] = values
            parts.append(pd.DataFrame(data))
    names = [c.name for c in table.columns]
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=names)
    for c in table.columns:
        if isinstance(c.type, sa.Date):
            frame[c.name] = pd.to_datetime(frame[c.name], format="%Y-%m-%d").astype("datetime64[s]")
        elif isinstance(c.type, sa.String | sa.Text):
            frame[c.name] = frame[c.name].astype("str")
        elif isinstance(c.type, sa.Boolean):
            frame[c.name] = frame[c.name].astype(bool)
        elif isinstance(c.type, sa.Float):
            frame[c.name] = frame[c.name].astype("float64")
        else:
            frame[c.name] = pd.to_numeric(frame[c.name])
    return frame


def measure(url: str, how: str) -> dict:
    """In this process: read every kind one way; seconds, RSS after, peak RSS."""
    import psutil

    from hehu.metrics import load_records
    from hehu.store import RECORD_TABLES, open_store

    store = open_store(url, create=False)
    start = time.perf_counter()
    if how == "lean":
        canon: dict[str, str] = {}
        frames = {kind: lean_read(store, kind, canon) for kind in RECORD_TABLES}
    else:
        frames = load_records(store).frames
    seconds = time.perf_counter() - start
    out = {
        "how": how,
        "seconds": seconds,
        "rss_mib": psutil.Process().memory_info().rss / MIB,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    if how == "lean":  # the same frames, or the figure is worthless
        import pandas as pd

        for kind in ("place", "visit", "pairing", "contact"):
            pd.testing.assert_frame_equal(frames[kind], store.read(kind), check_dtype=False)
        out["same_frames"] = True
    return out


def main(argv: list[str] | None = None) -> int:
    """Both reads, each in a fresh process, side by side."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counties", type=int, default=100)
    parser.add_argument("--one", nargs=2, help=argparse.SUPPRESS)  # internal: URL and how
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(measure(*args.one)))
        return 0
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    url, _ = ensure_province(DATA_DIR / f"province-{args.counties}.sqlite", args.counties)
    print("| read | seconds | RSS after MiB | peak MiB |")
    print("|---|---:|---:|---:|")
    for how in ("load_records", "lean"):
        proc = subprocess.run([sys.executable, __file__, "--one", url, how], check=True,
                              capture_output=True, text=True)  # fmt: skip
        r = json.loads(proc.stdout)
        print(f"| {how} | {r['seconds']:.1f} | {r['rss_mib']:.0f} | {r['peak_mib']:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
