"""`Store.read` on SQLite and on a real PostgreSQL server: exact frames, chunk by chunk.

The read goes through Arrow a chunk of rows at a time; these tests pin what callers rely on
(column order, dtypes, dates, missing values, Chinese text) and check every kind against the
reference, pandas' own SQL reader (`_read_with_pandas`, how the store read before).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hehu_fixtures import small_records

from hehu.figures.metrics import isin_values, load_records, metrics_by_place, positions
from hehu.records import schema as store_module
from hehu.records.schema import RECORD_TABLES
from hehu.records.store import _read_with_pandas, open_store

C, V = "990000000000", "990000000001"
PLACES = [
    {
        "code": C,
        "name": "合成县",
        "short_name": "合成",
        "level": "county",
        "parent_code": None,
        "key_village": False,
        "lat": 33.5,
        "lon": 119.25,
        "coord_quality": "approximate",
        "coord_basis": None,
        "children": 1200,
        "left_behind_children": None,
    },
    {
        "code": V,
        "name": "幸福村（“试点”）",
        "short_name": "幸福村",
        "level": "village",
        "parent_code": C,
        "key_village": True,
        "lat": None,
        "lon": None,
        "coord_quality": "none",
        "coord_basis": "村委会；估计",
        "children": None,
        "left_behind_children": None,
    },
]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def store(db_url):
    store = open_store(db_url)
    yield store
    store.engine.dispose()


def _write_pairings(store, n: int) -> None:
    """n pairings (and their people) in the village; every third has ended."""
    store.write(
        {
            "place": PLACES,
            "org": [
                {
                    "org_id": "fed",
                    "name": "县妇联",
                    "kind": "federation",
                    "level": "county",
                    "place_code": C,
                },  # fmt: skip
            ],
            "household": [{"household_id": "h1", "place_code": V, "categories": ""}],
            "person": [
                {
                    "person_id": f"p{i:03d}",
                    "household_id": "h1",
                    "place_code": V,
                    "sex": "F",
                    "birth_year": 2010,
                    "categories": "left_behind_child",
                }  # fmt: skip
                for i in range(n)
            ],
            "pairing": [
                {
                    "pairing_id": f"j{i:03d}",
                    "org_id": "fed",
                    "person_id": f"p{i:03d}",
                    "support_type": "study",
                    "start_date": dt.date(2021, 1, 1) + dt.timedelta(days=i),
                    "end_date": dt.date(2022, 12, 31) if i % 3 == 0 else None,
                }
                for i in range(n)
            ],
        }
    )


def _same_as_pandas(store, kind: str, frame: pd.DataFrame) -> None:
    """The frame equals pandas' own reading of the table, values and dtypes."""
    table = RECORD_TABLES.get(kind, store_module.metadata.tables.get(kind))
    with store.engine.connect() as conn:
        expected = _read_with_pandas(conn, table)
    pd.testing.assert_frame_equal(frame, expected, check_exact=True)
    assert [str(t) for t in frame.dtypes] == [str(t) for t in expected.dtypes]


def test_every_type_reads_exactly(store):
    _write_pairings(store, 2)
    places = store.read("place")
    assert list(places.columns) == [c.name for c in store_module.place.columns]
    assert places["code"].tolist() == [C, V]
    assert places["name"].tolist() == ["合成县", "幸福村（“试点”）"]
    assert places["name"].dtype == "str"  # pandas' text dtype, Arrow strings underneath
    assert isinstance(places["name"].array, pd.arrays.ArrowStringArray)
    assert places["parent_code"].isna().tolist() == [True, False]
    assert places["coord_basis"].iloc[1] == "村委会；估计"
    assert places["key_village"].dtype == bool
    assert places["key_village"].tolist() == [False, True]
    assert places["lat"].dtype == "float64"
    assert places.at[0, "lat"] == 33.5 and np.isnan(places.at[1, "lat"])
    # an integer column with a missing value is float64 with NaN (pandas' rule)
    assert places["children"].dtype == "float64"
    assert places.at[0, "children"] == 1200.0 and np.isnan(places.at[1, "children"])
    # an integer column with no value at all is objects (None), as pandas reads it
    assert places["left_behind_children"].dtype == object
    assert places["left_behind_children"].tolist() == [None, None]

    pairings = store.read("pairing")
    assert pairings["start_date"].dtype == "datetime64[s]"
    assert pairings["end_date"].dtype == "datetime64[s]"
    assert pairings["start_date"].tolist() == [
        pd.Timestamp("2021-01-01"),
        pd.Timestamp("2021-01-02"),
    ]
    assert pairings["end_date"].iloc[0] == pd.Timestamp("2022-12-31")
    assert pd.isna(pairings["end_date"].iloc[1])
    persons = store.read("person")
    assert persons["birth_year"].dtype == "int64"
    assert persons["birth_year"].tolist() == [2010, 2010]
    for kind in ("place", "pairing", "person", "org", "household"):
        _same_as_pandas(store, kind, store.read(kind))


def test_empty_tables_keep_their_types(store):
    claims = store.read("claim")
    assert len(claims) == 0
    assert list(claims.columns) == [c.name for c in store_module.claim.columns]
    assert claims.dtypes.astype(str).to_dict() == {
        "claim_id": "str",
        "document": "str",
        "metric": "str",
        "place_code": "str",
        "period_start": "datetime64[s]",
        "period_end": "datetime64[s]",
        "value": "float64",
        "tolerance": "float64",
    }
    places = store.read("place")
    assert places["key_village"].dtype == bool
    assert places["children"].dtype == "int64"
    assert store.read("recommendation_update")["at"].dtype == "datetime64[s]"
    for kind in RECORD_TABLES:
        _same_as_pandas(store, kind, store.read(kind))


def test_a_table_bigger_than_a_chunk(store):
    _write_pairings(store, 25)
    whole = store.read("pairing")
    assert len(whole) == 25
    for rows in (1, 4, 25, 26):
        pd.testing.assert_frame_equal(store.read("pairing", chunk_rows=rows), whole)
    by_id = whole.set_index("pairing_id")
    assert by_id.at["j024", "start_date"] == pd.Timestamp("2021-01-25")
    assert by_id.at["j024", "end_date"] == pd.Timestamp("2022-12-31")  # 24 % 3 == 0
    assert pd.isna(by_id.at["j023", "end_date"])
    assert whole["end_date"].notna().sum() == 9
    _same_as_pandas(store, "pairing", store.read("pairing", chunk_rows=4))


def test_timestamps_keep_microseconds(store):
    store.write(small_records())
    at = dt.datetime(2022, 7, 1, 9, 30, 15, 123456)
    store.write(
        {
            "recommendation_update": [
                {
                    "update_id": "u1",
                    "rec_id": "rec1",
                    "at": at,
                    "actor": "张代表",
                    "status": "in_progress",
                    "response": "正在整改",
                },
            ]
        },
        audit={"action": "edit", "what": "整改进度"},
    )
    updates = store.read("recommendation_update", chunk_rows=1)
    assert updates["at"].dtype == "datetime64[us]"
    assert updates.set_index("update_id").at["u1", "at"] == pd.Timestamp(at)
    assert updates.set_index("update_id").at["u1", "actor"] == "张代表"
    audit = store.read("audit_log")
    assert audit["at"].dtype == "datetime64[us]" and audit["at"].notna().all()
    assert audit["what"].tolist() == ["整改进度"]
    _same_as_pandas(store, "audit_log", audit)


def test_every_kind_of_the_small_county_reads_as_pandas_would(store):
    records = small_records()
    store.write(records)
    for kind, rows in records.items():
        frame = store.read(kind, chunk_rows=2)
        assert len(frame) == len(rows), kind
        _same_as_pandas(store, kind, frame)
    _same_as_pandas(store, "audit_log", store.read("audit_log"))
    _same_as_pandas(store, "meta", store.read("meta"))


def test_a_date_not_written_as_iso_text_falls_back_to_pandas(tmp_path):
    """SQLite lets any text into a DATE column; SQLAlchemy reads 2021-W01-1 (an ISO week
    date) as a date, Arrow does not: such a table is read through pandas, as before."""
    store = open_store(f"sqlite:///{tmp_path / 'odd.sqlite'}")
    _write_pairings(store, 5)
    with store.engine.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE pairing SET start_date = '2021-W01-1' WHERE pairing_id = 'j004'"
        )
    pairings = store.read("pairing", chunk_rows=2)
    assert pairings["start_date"].dtype == "datetime64[s]"
    assert pairings.set_index("pairing_id").at["j004", "start_date"] == pd.Timestamp("2021-01-04")
    _same_as_pandas(store, "pairing", pairings)


def test_positions_and_isin_agree_with_pandas():
    among = pd.Series(["a", "b", None, "c"], dtype="str")
    keys = pd.Series(["c", "x", None, "a", "a"], dtype="str")
    expected = pd.Index(among).get_indexer(keys)
    assert positions(keys, among).tolist() == expected.tolist() == [3, -1, 2, 0, 0]
    assert positions(keys.astype(object), among.astype(object)).tolist() == expected.tolist()
    assert positions(keys, among.iloc[:0]).tolist() == [-1] * 5
    assert positions(keys.iloc[:0], among).tolist() == []
    # a key listed twice: its first row, on both paths
    twice = pd.Series(["a", "b", "a"], dtype="str")
    assert positions(keys, twice).tolist() == [-1, -1, -1, 0, 0]
    assert positions(keys.astype(object), twice.astype(object)).tolist() == [-1, -1, -1, 0, 0]
    assert (
        isin_values(keys, among).tolist()
        == keys.isin(among).tolist()
        == [True, False, True, True, True]
    )
    assert isin_values(keys, among.iloc[:1]).tolist() == [False, False, False, True, True]


def test_the_overview_builds_no_index_over_ids(store):
    """metrics and gaps look ids up with Arrow: no pandas index over every household or
    person id (each id a Python object, kept as long as the snapshot) is left behind."""
    from hehu.figures.gaps import gaps_by_place
    from hehu.figures.metrics import Period

    store.write(small_records())
    records = load_records(store)
    metrics_by_place(records, Period.year(2022))
    gaps_by_place(records, Period.year(2022))
    assert "household_place" not in vars(records) and "person_place" not in vars(records)
    assert not [k for k, v in records._cache.items() if isinstance(v, pd.Index)]


def _overdue_by_join(records, as_of):
    """Visits whose follow-up is overdue, as written before: every due visit joined to every
    visit of its household."""
    visits = records["visit"]
    due = visits[visits["follow_up_due"].notna() & (visits["follow_up_due"] < as_of)]
    later = visits[["household_id", "date"]].rename(columns={"date": "later_date"})
    joined = due.merge(later, on="household_id")
    done = joined[(joined["later_date"] > joined["date"]) & (joined["later_date"] <= as_of)]
    out = due[~due["visit_id"].isin(set(done["visit_id"]))].copy()
    out["place_code"] = out["household_id"].map(records.household_place)
    return out


@pytest.mark.parametrize("stray", [False, True])
def test_overdue_follow_ups_equal_the_join(stray):
    """The first later visit per household (by the household table's rows, or by ids when a
    household is not in the table) gives the same overdue visits as joining every due visit
    to every visit."""
    from hehu.figures.metrics import Period, Records
    from hehu.figures.tracking import follow_up_rows

    D = pd.Timestamp
    households = pd.DataFrame(
        {"household_id": ["h1", "h2", "h3"], "place_code": [V, C, V], "categories": ""}
    ).astype({"household_id": "str", "place_code": "str", "categories": "str"})
    visits = pd.DataFrame(
        {
            "visit_id": ["v1", "v2", "v3", "v4", "v5", "v6"],
            "date": [
                D("2022-01-10"),
                D("2022-03-01"),
                D("2022-02-01"),
                D("2022-02-01"),
                D("2022-09-01"),
                D("2022-04-01"),
            ],  # fmt: skip
            "household_id": ["h1", "h1", "h2", "h3", "h3", "hX" if stray else "h2"],
            "org_id": "fed",
            "reasons": "",
            "follow_up_due": [
                D("2022-02-01"),
                pd.NaT,
                D("2022-03-01"),
                D("2022-05-01"),
                pd.NaT,
                D("2022-05-01"),
            ],  # fmt: skip
        }
    ).astype({"visit_id": "str", "household_id": "str", "org_id": "str", "reasons": "str"})
    visits["date"] = visits["date"].astype("datetime64[s]")
    visits["follow_up_due"] = visits["follow_up_due"].astype("datetime64[s]")
    screenings = pd.DataFrame(
        {
            "screening_id": pd.Series(dtype="str"),
            "date": pd.Series(dtype="datetime64[s]"),
            "household_id": pd.Series(dtype="str"),
            "follow_up_due": pd.Series(dtype="datetime64[s]"),
        }
    )

    places = pd.DataFrame(
        {
            "code": [C, V],
            "name": ["县", "村"],
            "parent_code": [None, C],
            "level": ["county", "village"],
        }
    )

    def overdue(as_of):
        records = Records(
            {"visit": visits, "household": households, "screening": screenings, "place": places}
        )
        rows = follow_up_rows(records, Period.of("2022-01-01", as_of))
        rows = rows[rows["status"] == "overdue"]
        found = rows.sort_values("record_id")[["record_id", "place_code"]].to_numpy().tolist()
        return [[v, p if isinstance(p, str) else None] for v, p in found]

    for as_of in (D("2022-06-30"), D("2022-12-31"), D("2022-02-15")):
        expected = _overdue_by_join(Records({"visit": visits, "household": households}), as_of)
        assert overdue(as_of) == [
            [v, p if isinstance(p, str) else None]
            for v, p in expected[["visit_id", "place_code"]].to_numpy().tolist()
        ]
    # on 2022-06-30: v1 was followed by v2; v3 (h2) by v6 unless v6 is a stray household's;
    # v4 (h3) only after the day; v6 itself has no later visit and a stray has no place
    assert overdue(D("2022-06-30")) == (
        [["v3", C], ["v4", V], ["v6", None]] if stray else [["v4", V], ["v6", C]]
    )
