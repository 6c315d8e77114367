"""Metrics for all places and a year: `metrics_by_place` against one DuckDB query on the same frames.

DuckDB is the practical limit: a columnar engine running one SQL statement over the very frames
`load_records` returned (registered, not copied). Both must give the same 24 figures for every
place, or the timing means nothing: every metric of every place is compared.

    .venv/bin/python bench/bench_metrics.py --counties 1 10 100
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import ensure_province  # noqa: E402

from hehu.figures.metrics import Period, Records, load_records, metrics_by_place  # noqa: E402
from hehu.records import vocab  # noqa: E402
from hehu.records.store import open_store  # noqa: E402

YEAR = 2022
DATA_DIR = Path("/tmp/hehu-bench")

# Metrics that count things, sum a value, count distinct ids, or count units (towns…) reached.
SQL = """
WITH RECURSIVE
anc(code, ancestor) AS MATERIALIZED (  -- an ancestor outside the gazetteer has no row at the end
    SELECT code, code FROM place
    UNION ALL
    SELECT anc.code, p.parent_code FROM anc JOIN place p ON p.code = anc.ancestor
    WHERE p.parent_code IS NOT NULL
),
home AS (
    SELECT household_id, place_code,
           list_has_any(string_split(categories, ';'), $must) AS must
    FROM household
),
kid AS (
    SELECT person_id, place_code,
           list_contains(string_split(categories, ';'), 'left_behind_child') AS left_behind
    FROM person
),
visit_in AS (
    SELECT v.household_id, h.place_code, h.must FROM visit v JOIN home h USING (household_id)
    WHERE v.date BETWEEN $start AND $end
),
course_in AS (SELECT * FROM course WHERE date BETWEEN $start AND $end),
last_contact AS (
    SELECT pairing_id, max(date) AS last FROM contact WHERE date <= $as_of GROUP BY pairing_id
),
active AS (
    SELECT k.place_code,
           date_diff('day', coalesce(l.last, p.start_date), $as_of) AS days_since
    FROM pairing p JOIN kid k USING (person_id) LEFT JOIN last_contact l USING (pairing_id)
    WHERE p.start_date <= $as_of AND (p.end_date IS NULL OR p.end_date >= $as_of)
),
screen_in AS (
    SELECT s.*, h.place_code FROM screening s JOIN home h USING (household_id)
    WHERE s.date BETWEEN $start AND $end
),
latest_visit AS (  -- followed up = visited on or after the screening day, up to as_of
    SELECT household_id, max(date) AS last FROM visit WHERE date <= $as_of GROUP BY household_id
),
recs AS (
    SELECT r.* FROM recommendation r JOIN inspection i USING (inspection_id)
    WHERE i.date <= $as_of AND r.status IN ('open', 'in_progress')
),
reached(metric, place_code) AS (
    SELECT 'visit', place_code FROM visit_in
    UNION SELECT 'course', place_code FROM course_in
),
units AS (
    SELECT DISTINCT r.metric, a.ancestor AS unit
    FROM (SELECT DISTINCT metric, place_code FROM reached) r JOIN anc a ON a.code = r.place_code
),
facts(metric, place_code, value) AS (
    SELECT CASE WHEN p.level = 'town' THEN 'towns' ELSE 'subdistricts' END, u.unit, NULL
        FROM units u JOIN place p ON p.code = u.unit
        WHERE u.metric = 'visit' AND p.level IN ('town', 'subdistrict')
    UNION ALL SELECT 'key_villages', u.unit, NULL FROM units u JOIN place p ON p.code = u.unit
        WHERE u.metric = 'visit' AND p.key_village
    UNION ALL SELECT 'key_villages_with_course', u.unit, NULL
        FROM units u JOIN place p ON p.code = u.unit WHERE u.metric = 'course' AND p.key_village
    UNION ALL SELECT 'stations', place_code, NULL FROM org WHERE kind IN ('station', 'studio')
    UNION ALL SELECT 'cases_received', place_code, NULL FROM case_record
        WHERE received_date BETWEEN $start AND $end
    UNION ALL SELECT 'cases_resolved', place_code, NULL FROM case_record
        WHERE received_date BETWEEN $start AND $end
          AND status IN ('resolved', 'referred') AND closed_date <= $as_of
    UNION ALL SELECT 'legal_events', place_code, coalesce(audience, 0) FROM event
        WHERE date BETWEEN $start AND $end
    UNION ALL SELECT 'legal_lectures', place_code, NULL FROM event
        WHERE date BETWEEN $start AND $end AND format = 'lecture'
    UNION ALL SELECT 'course_sessions', place_code, attendance FROM course_in
    UNION ALL SELECT 'left_behind_children', place_code, NULL FROM kid WHERE left_behind
    UNION ALL SELECT 'pairings_active', place_code, NULL FROM active
    UNION ALL SELECT 'pairings_lapsed', place_code, NULL FROM active
        WHERE days_since > $lapse
    UNION ALL SELECT 'households_must_visit', place_code, NULL FROM home WHERE must
    UNION ALL SELECT 'recommendations_open', place_code, NULL FROM recs
    UNION ALL SELECT 'recommendations_overdue', place_code, NULL FROM recs
        WHERE due_date < $as_of
),
-- facts whose metric counts distinct ids (a household visited twice counts once)
dfacts(metric, place_code, item) AS (
    SELECT 'left_behind_children_paired', k.place_code, p.person_id
        FROM pairing p JOIN kid k USING (person_id)
        WHERE k.left_behind AND p.start_date <= $end
          AND (p.end_date IS NULL OR p.end_date >= $start)
    UNION ALL SELECT 'households_visited', place_code, household_id FROM visit_in
    UNION ALL SELECT 'must_visited', place_code, household_id FROM visit_in WHERE must
    UNION ALL SELECT 'households_screened', place_code, household_id FROM screen_in
    UNION ALL SELECT 'high_risk_without_follow_up', s.place_code, s.household_id
        FROM screen_in s LEFT JOIN latest_visit l USING (household_id)
        WHERE s.risk_level = 'high' AND (l.last IS NULL OR l.last < s.date)
),
-- Figures per place of record first, then rolled up: the ancestor join sees thousands of rows,
-- not millions. Distinct ids may be summed up the tree because each one has a single place
-- (its household's or person's, joined on their primary key).
per_place AS (
    SELECT metric, place_code, count(*) AS n, sum(value) AS total FROM facts GROUP BY ALL
    UNION ALL
    SELECT metric, place_code, count(DISTINCT item), NULL FROM dfacts GROUP BY ALL
),
rolled AS (
    SELECT a.ancestor AS code, f.metric, sum(f.n) AS n, sum(f.total) AS total
    FROM per_place f JOIN anc a ON a.code = f.place_code
    GROUP BY ALL
),
wide AS (
    SELECT code,
        {columns}
    FROM rolled GROUP BY code
)
SELECT p.code, {selects}
FROM place p LEFT JOIN wide w USING (code)
"""
# metric -> (fact, aggregate) for the pivot; rates are computed from two of them
PIVOT = {
    "legal_audience": ("legal_events", "total"),
    "course_attendance": ("course_sessions", "total"),
}
RATES = {
    "resolution_rate": ("cases_resolved", "cases_received"),
    "must_visit_coverage": ("must_visited", "households_must_visit"),
}


def duckdb_sql() -> str:
    """The one query, with its pivot spelled out for every metric."""
    counted = [m for m in vocab.METRICS if m not in RATES] + ["must_visited"]
    columns = ",\n        ".join(
        f"coalesce(max(CASE WHEN metric = '{PIVOT.get(m, (m, 'n'))[0]}' "
        f"THEN {PIVOT.get(m, (m, 'n'))[1]} END), 0)::BIGINT AS {m}"
        for m in counted
    )
    selects = ", ".join(
        f"(w.{RATES[m][0]} / nullif(w.{RATES[m][1]}, 0))::DOUBLE AS {m}"
        if m in RATES
        else f"coalesce(w.{m}, 0)::BIGINT AS {m}"
        for m in vocab.METRICS
    )
    return SQL.format(columns=columns, selects=selects)


def duckdb_connect(
    records: Records, *, native: bool = False, threads: int | None = None
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with every record frame under its table name: registered (scanned
    from pandas at each query) or, `native`, copied into DuckDB's own columnar tables first."""
    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads = {threads}")
    for kind, frame in records.frames.items():
        name = "case_record" if kind == "case" else kind
        if native:
            con.register("_frame", frame)
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM _frame")
            con.unregister("_frame")
        else:
            con.register(name, frame)
    return con


def duckdb_metrics(con, period: Period, lapse_days: int = vocab.LAPSE_DAYS_DEFAULT):
    """Every metric for every place by one DuckDB query, indexed like `metrics_by_place`."""
    params = {
        "start": period.start.to_pydatetime(),
        "end": period.end.to_pydatetime(),
        "as_of": period.as_of.to_pydatetime(),
        "lapse": lapse_days,
        "must": sorted(vocab.MUST_VISIT_CATEGORIES),
    }
    return con.execute(duckdb_sql(), params).df().set_index("code")


def compare(pandas_frame: pd.DataFrame, duck: pd.DataFrame) -> list[str]:
    """Metrics on which the two disagree for any place (empty when they agree everywhere)."""
    duck = duck.reindex(pandas_frame.index)
    bad = []
    for metric in vocab.METRICS:
        a = pandas_frame[metric].to_numpy(dtype="float64")
        b = duck[metric].to_numpy(dtype="float64")
        if not np.allclose(a, b, rtol=1e-12, atol=0, equal_nan=True):
            bad.append(f"{metric} ({int((~np.isclose(a, b, equal_nan=True)).sum())} places)")
    return bad


def _timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def bench(counties: int, repeat: int = 3, data_dir: Path = DATA_DIR) -> dict:
    """Time both ways at one size, `repeat` times, alternating; returns a row of results."""
    data_dir.mkdir(parents=True, exist_ok=True)
    url, generated = ensure_province(data_dir / f"province-{counties}.sqlite", counties)
    store = open_store(url, create=False)
    load_s, loaded = _timed(lambda: load_records(store))
    year, other = Period.year(YEAR), Period.year(YEAR - 1)
    on_frames = duckdb_connect(loaded)
    native_s, native = _timed(lambda: duckdb_connect(loaded, native=True))
    native1 = duckdb_connect(loaded, native=True, threads=1)
    cold, warm, duck_frames, duck, duck1 = [], [], [], [], []
    disagree: set[str] = set()
    for _ in range(repeat):
        # A fresh snapshot over the same frames: nothing cached, as after a write.
        records = Records(loaded.frames, is_demo=loaded.is_demo)
        seconds, ours = _timed(lambda r=records: metrics_by_place(r, year))
        cold.append(seconds)
        seconds, _ = _timed(lambda r=records: metrics_by_place(r, other))
        warm.append(seconds)
        seconds, theirs = _timed(lambda: duckdb_metrics(on_frames, year))
        duck_frames.append(seconds)
        disagree |= set(compare(ours, theirs))
        seconds, theirs = _timed(lambda: duckdb_metrics(native, year))
        duck.append(seconds)
        disagree |= set(compare(ours, theirs))
        seconds, _ = _timed(lambda: duckdb_metrics(native1, year))
        duck1.append(seconds)
    disagree |= set(compare(metrics_by_place(records, other), duckdb_metrics(native, other)))
    ratios = [c / d for c, d in zip(cold, duck, strict=True)]
    rows = {kind: len(frame) for kind, frame in loaded.frames.items()}
    store.engine.dispose()
    return {
        "counties": counties,
        "places": rows["place"],
        "rows": sum(rows.values()),
        "visits": rows["visit"],
        "generate_s": generated,
        "load_s": load_s,
        "pandas_cold_s": statistics.median(cold),
        "pandas_warm_s": statistics.median(warm),
        "duckdb_frames_s": statistics.median(duck_frames),
        "duckdb_copy_in_s": native_s,
        "duckdb_s": statistics.median(duck),
        "duckdb_1thread_s": statistics.median(duck1),
        "ratio_cold": statistics.median(ratios),
        "ratio_warm": statistics.median(w / d for w, d in zip(warm, duck, strict=True)),
        "repeat": repeat,
        "agree": "all 24 metrics, every place"
        if not disagree
        else "DIFFER: " + ", ".join(sorted(disagree)),
    }


def print_table(results: list[dict]) -> None:
    """The results as a Markdown table."""
    print("| counties | places | rows | load_records s | metrics cold s | metrics warm s "
          "| DuckDB on the frames s | DuckDB own tables s (2 thr / 1 thr) | cold ÷ DuckDB "
          "| warm ÷ DuckDB | figures agree |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in results:
        print(
            f"| {r['counties']} | {r['places']:,} | {r['rows']:,} | {r['load_s']:.1f} "
            f"| {r['pandas_cold_s']:.2f} | {r['pandas_warm_s']:.2f} "
            f"| {r['duckdb_frames_s']:.2f} | {r['duckdb_s']:.2f} / {r['duckdb_1thread_s']:.2f} "
            f"| {r['ratio_cold']:.1f}× "
            f"| {r['ratio_warm']:.1f}× | {r['agree']} |"
        )


def main(argv: list[str] | None = None) -> int:
    """Run the metrics benchmark at each size; print a table (and JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counties", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    results = [bench(n, args.repeat, args.data_dir) for n in args.counties]
    print_table(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0 if all(r["agree"].startswith("all") for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
