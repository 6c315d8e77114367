"""Above a county: province and city levels, the region overview, figures shared between kernels.

A hand-made province small enough to count by hand:
  P (province) ─┬─ A (city) ─┬─ A1 (county) ── A1T (town) ─┬─ A1V (village, key)
                │            │                              └─ A1W (village)
                │            └─ A2 (county) ── A2T (town) ── A2V (village, key)
                └─ B (city) ─── B1 (county) ── B1T (town) ── B1V (village, key)
Courses: 2 in A1V, 1 in A2V, 3 in B1V, all in 2022; one station (a studio) in each county town.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa

from hehu.clock import local_today
from hehu.figures import areas
from hehu.figures.cache import (
    FIGURES_FORMAT,
    PageRecords,
    frame_from_bytes,
    frame_to_bytes,
    page_gaps,
    page_metrics,
    period_key,
    years_with_records,
)
from hehu.figures.gaps import gaps_by_place
from hehu.figures.metrics import Period, load_records, metrics_by_place
from hehu.figures.warm import warm_figures
from hehu.records import schema as store_module
from hehu.records import vocab
from hehu.records.schema import SCHEMA_VERSION
from hehu.records.store import open_store
from widgets.pages.overview import build_overview_page

P, A, B = "980000000000", "980100000000", "980200000000"
A1, A2, B1 = "980101000000", "980102000000", "980201000000"
A1T, A2T, B1T = "980101100000", "980102100000", "980201100000"
A1V, A1W, A2V, B1V = "980101100201", "980101100202", "980102100201", "980201100201"
YEAR = Period.year(2022)


def _place(code, name, level, parent, lat=None, lon=None, key=False):
    return {
        "code": code,
        "name": name,
        "short_name": name,
        "level": level,
        "parent_code": parent,
        "key_village": key,
        "lat": lat,
        "lon": lon,
        "coord_quality": "none" if lat is None else "sourced",
        "children": 50 if level == "village" else None,
        "left_behind_children": 10 if level == "village" else None,
    }


def province_records() -> dict[str, list[dict]]:
    """The province above, as records for `Store.write`."""
    places = [
        _place(P, "示例省", "province", None),
        _place(A, "甲市", "city", P),  # no position: drawn at the middle of what is under it
        _place(B, "乙市", "city", P, 30.0, 120.0),
        _place(A1, "甲一县", "county", A, 32.0, 118.0),
        _place(A2, "甲二县", "county", A, 32.0, 119.0),
        _place(B1, "乙一县", "county", B, 30.0, 120.0),
        _place(A1T, "甲一镇", "town", A1, 32.1, 118.1),
        _place(A2T, "甲二镇", "town", A2, 32.1, 119.1),
        _place(B1T, "乙一镇", "town", B1, 30.1, 120.1),
        _place(A1V, "甲一村", "village", A1T, 32.11, 118.11, key=True),
        _place(A1W, "甲一庄", "village", A1T, 32.12, 118.12),
        _place(A2V, "甲二村", "village", A2T, 32.11, 119.11, key=True),
        _place(B1V, "乙一村", "village", B1T, 30.11, 120.11, key=True),
    ]
    orgs = [
        {
            "org_id": f"studio_{t}",
            "name": f"{t}调解室",
            "kind": "studio",
            "level": "town",
            "place_code": t,
        }  # fmt: skip
        for t in (A1T, A2T, B1T)
    ]
    courses = [
        {
            "course_id": f"c{i}",
            "date": dt.date(2022, 3, 1 + i),
            "place_code": where,
            "org_id": f"studio_{A1T}",
            "attendance": 10,
        }  # fmt: skip
        for i, where in enumerate([A1V, A1V, A2V, B1V, B1V, B1V])
    ]
    return {"place": places, "org": orgs, "course": courses}


@pytest.fixture
def province_url(hehu_db, tmp_path, request) -> str:
    """A store holding the hand-made province, on the suite's database backend."""
    url = (
        request.getfixturevalue("pg_url")
        if hehu_db == "postgresql"
        else f"sqlite:///{tmp_path / 'province.sqlite'}"
    )
    store = open_store(url)
    store.write(province_records())
    store.engine.dispose()
    return url


# -- the place vocabulary and the areas an overview draws -------------------------------------


def test_the_province_levels_roll_figures_up_to_cities_and_the_province(province_url):
    metrics = metrics_by_place(load_records(open_store(province_url, create=False)), YEAR)
    sessions = metrics["course_sessions"]
    assert sessions[[P, A, B, A1, A2, B1]].tolist() == [6, 3, 3, 2, 1, 3]


def test_a_region_shows_the_places_right_below_it(province_url):
    records = load_records(open_store(province_url, create=False))
    places = records.places
    assert areas.is_region(places, P) and areas.is_region(places, A)
    assert not areas.is_region(places, A1)
    assert sorted(areas.map_places(records, P)["code"]) == [A, B]
    assert sorted(areas.map_places(records, A)["code"]) == [A1, A2]
    city_a = areas.map_places(records, P).set_index("code").loc[A]
    # city A has no position of its own: the middle of the located places under it, approximate
    located = places[places["code"].isin([A1, A2, A1T, A2T, A1V, A1W, A2V])]
    assert city_a["lat"] == pytest.approx(located["lat"].mean())
    assert city_a["lon"] == pytest.approx(located["lon"].mean())
    assert city_a["coord_quality"] == "approximate"


def test_a_county_or_a_town_shows_the_towns_and_key_villages_of_its_county(province_url):
    records = load_records(open_store(province_url, create=False))
    places = records.places
    assert sorted(areas.map_places(records, A1)["code"]) == [A1T, A1V]  # not A1W: not key
    assert sorted(areas.map_places(records, A1T)["code"]) == [A1T, A1V]
    assert areas.chain(places, A1V) == [P, A, A1, A1T, A1V]
    assert areas.overview_county(places, A1V) == A1


def test_the_region_overview_draws_one_marker_per_city_with_rolled_up_figures(province_url):
    page = build_overview_page(province_url, {})
    state, view = page.state, page.view
    assert state.area == P and state.is_region
    state.period_key = "2022"
    state.metric = "course_sessions"
    html = view.map_widget.value
    assert html.count("hehu-marker hehu-city") == 2
    assert "hehu-town" not in html and "hehu-village" not in html
    assert f"overview.ipynb?place={A}" in html and f"overview.ipynb?place={B}" in html
    table = state.table().set_index("code")
    assert table["course_sessions"].to_dict() == {A: 3, B: 3}
    assert 'data-hehu="county-value"' in view.summary.value and ">6<" in view.summary.value
    assert "示例省概览" in _texts(page)


def test_the_overview_of_a_county_in_a_province_shows_only_that_county(province_url):
    page = build_overview_page(province_url, {"place": A1})
    state, view = page.state, page.view
    assert not state.is_region
    assert sorted(state.table()["code"]) == [A1T, A1V]
    assert list(state.stations()["place_code"]) == [A1T]
    crumb = view.children[0].value
    assert 'data-hehu="breadcrumb"' in crumb
    assert f"overview.ipynb?place={P}" in crumb and f"overview.ipynb?place={A}" in crumb
    assert "甲一县" in crumb


def test_an_unknown_area_says_so_and_shows_the_top(province_url):
    page = build_overview_page(province_url, {"place": "123456789012"})
    assert page.state.area == P
    assert "未知的地点代码" in _texts(page) and "123456789012" in _texts(page)


def _texts(widget) -> str:
    """Every HTML text in a widget tree."""
    own = getattr(widget, "value", "")
    return (own if isinstance(own, str) else "") + "".join(
        _texts(c) for c in getattr(widget, "children", ())
    )


def test_a_province_level_place_needs_schema_5(tmp_path):
    """An older database gets the province and city levels when it is opened (SQLite)."""
    _downgrade_and_reopen(f"sqlite:///{tmp_path / 'old.sqlite'}")


@pytest.mark.postgres
def test_a_province_level_place_needs_schema_5_on_postgresql(pg_url):
    _downgrade_and_reopen(pg_url)


def _downgrade_and_reopen(url: str) -> None:
    store = open_store(url)
    store.write({"place": [_place(B1, "乙一县", "county", None, 30.0, 120.0)]})
    old = "level IN ('county', 'town', 'subdistrict', 'village', 'community')"
    new = "level IN ({})".format(", ".join(f"'{k}'" for k in vocab.LEVELS))
    with store.engine.begin() as conn:  # make it a version-4 database
        if conn.dialect.name == "sqlite":
            sql = conn.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE name = 'place'"
            ).scalar_one()
            assert new in sql
            version = conn.exec_driver_sql("PRAGMA schema_version").scalar_one()
            conn.exec_driver_sql("PRAGMA writable_schema = ON")
            conn.exec_driver_sql(
                "UPDATE sqlite_master SET sql = ? WHERE name = 'place'", (sql.replace(new, old),)
            )
            conn.exec_driver_sql(f"PRAGMA schema_version = {version + 1}")
            conn.exec_driver_sql("PRAGMA writable_schema = OFF")
        else:
            name = conn.execute(
                sa.text(
                    "SELECT conname FROM pg_constraint WHERE conrelid = 'place'::regclass "
                    "AND pg_get_constraintdef(oid) LIKE '%province%'"
                )
            ).scalar_one()
            conn.execute(sa.text(f'ALTER TABLE place DROP CONSTRAINT "{name}"'))
            conn.execute(sa.text(f"ALTER TABLE place ADD CONSTRAINT ck_old_level CHECK ({old})"))
        conn.execute(sa.text("DROP TABLE figure_cache"))
        conn.execute(sa.text("UPDATE meta SET value = '4' WHERE key = 'schema_version'"))
    store.engine.dispose()
    engine = sa.create_engine(url)
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:  # the old check refuses it
        conn.execute(store_module.place.insert().values(**_place(P, "示例省", "province", None)))
    engine.dispose()
    reopened = open_store(url)
    assert reopened.schema_version() == SCHEMA_VERSION
    reopened.write({"place": [_place(P, "示例省", "province", None)]})
    assert reopened.count("place") == 2
    assert sa.inspect(reopened.engine).has_table("figure_cache")
    if reopened.engine.dialect.name == "sqlite":
        with reopened.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
    reopened.engine.dispose()


# -- figures shared between kernels -------------------------------------------------------------


def test_figures_survive_the_round_trip_exactly():
    frame = pd.DataFrame(
        {"n": [1, 0, 7], "rate": [0.5, float("nan"), 1.0], "gap": [True, False, True]},
        index=pd.Index(["320826000000", "320826001000", "甲"], name="code"),
    )
    back = frame_from_bytes(frame_to_bytes(frame))
    pd.testing.assert_frame_equal(back, frame, check_index_type=False)
    with pytest.raises(TypeError):
        frame_to_bytes(pd.DataFrame({"name": ["x"]}, index=["a"]))


def test_open_ended_periods_are_keyed_by_the_day_they_are_judged_on():
    today = local_today().strftime("%Y-%m-%d")
    assert period_key(Period()) == f":@{today}"
    assert period_key(YEAR) == "2022-01-01:2022-12-31@2022-12-31"


def test_a_second_page_reads_the_figures_without_reading_the_records(province_url):
    store = open_store(province_url, create=False)
    first = PageRecords(store)
    expected = metrics_by_place(load_records(store), YEAR)
    pd.testing.assert_frame_equal(page_metrics(first, YEAR), expected, check_index_type=False)
    assert first.fully_loaded  # it had to compute them

    second = PageRecords(store)
    metrics = page_metrics(second, YEAR)
    gaps = page_gaps(second, YEAR)  # not cached yet: computed, the records read
    assert second.fully_loaded
    pd.testing.assert_frame_equal(metrics, expected, check_index_type=False, check_dtype=False)
    pd.testing.assert_frame_equal(
        gaps, gaps_by_place(load_records(store), YEAR), check_index_type=False, check_dtype=False
    )
    third = PageRecords(store)
    page_metrics(third, YEAR), page_gaps(third, YEAR)
    assert years_with_records(third) == [2022]
    years_with_records(PageRecords(store))
    fourth = PageRecords(store)
    page_metrics(fourth, YEAR), page_gaps(fourth, YEAR), years_with_records(fourth)
    assert not fourth.fully_loaded  # everything from the shared cache


def test_a_write_makes_the_shared_figures_stale(province_url):
    store = open_store(province_url, create=False)
    assert page_metrics(PageRecords(store), YEAR).at[P, "course_sessions"] == 6
    store.write(
        {
            "course": [
                {
                    "course_id": "c-new",
                    "date": dt.date(2022, 5, 1),
                    "place_code": B1V,
                    "org_id": f"studio_{A1T}",
                    "attendance": 5,
                }
            ]
        }  # fmt: skip
    )
    after = PageRecords(store)
    assert page_metrics(after, YEAR).at[P, "course_sessions"] == 7
    assert after.fully_loaded  # recomputed, not read from the cache


def test_an_older_data_version_never_overwrites_newer_figures(province_url):
    store = open_store(province_url, create=False)
    version = store.data_version()
    store.keep_figures("metrics", "k", 5, b"new")
    store.keep_figures("metrics", "k", 4, b"old")
    assert store.cached_figures("metrics", "k", 5) == b"new"
    assert store.cached_figures("metrics", "k", 4) is None
    store.keep_figures("metrics", "k", 6, b"newer")
    assert store.cached_figures("metrics", "k", 6) == b"newer"
    assert store.data_version() == version  # keeping figures is not a write


def test_figures_of_many_periods_together_are_kept(province_url):
    # The hidden cells of every period a page offers are kept under the periods joined, 40
    # characters for the demo: PostgreSQL refused a key longer than its column (32), so the
    # warmer and every page computed them again (190 s for the demo's light pages, not 20).
    store = open_store(province_url, create=False)
    joined = ";".join(["2022", "2021", "2020", "2021-01-01:2022-11-10", "all"])
    other = joined.replace("all", "2019")  # the same first 32 characters
    name = f"place_hidden/{FIGURES_FORMAT}"
    store.keep_figures(name, joined, 1, b"five periods")
    store.keep_figures(name, other, 1, b"other periods")
    assert store.cached_figures(name, joined, 1) == b"five periods"
    assert store.cached_figures(name, other, 1) == b"other periods"
    store.forget_figures(name, "%", keep=joined)
    assert store.cached_figures(name, joined, 1) == b"five periods"
    assert store.cached_figures(name, other, 1) is None
    longer = f"place_pairings_by_month_hidden/{FIGURES_FORMAT}0"  # past 32, which it was
    store.keep_figures(longer, joined, 1, b"longer name")
    assert store.cached_figures(longer, joined, 1) == b"longer name"
    with pytest.raises(ValueError, match="longer than its column"):  # a name is never cut
        store.keep_figures("n" * 65, joined, 1, b"")


def test_warming_leaves_every_overview_period_ready_for_the_next_page(province_url):
    from hehu.cli.main import main

    store = open_store(province_url, create=False)
    first = warm_figures(store)
    assert first["periods"] == ["2022", "all"]  # no stored report: no report period
    assert first["records_read"]
    again = warm_figures(store)
    assert not again["records_read"]  # all from the shared cache
    page = build_overview_page(province_url, {})
    for key in ("2022", "all"):
        page.state.period_key = key
    assert not page.state.records.fully_loaded  # the page never read a visit or a course
    assert main(["warm", "--db", province_url, "--json"]) == 0


def test_the_cache_keeps_no_stale_figures(province_url):
    store = open_store(province_url, create=False)
    name = f"metrics/{FIGURES_FORMAT}"  # as shared_figures files the metrics
    store.keep_figures(name, ":@2026-01-01", store.data_version(), b"yesterday")
    page_metrics(PageRecords(store), Period())  # all time, judged today
    with store.engine.connect() as conn:
        periods = set(conn.execute(sa.select(store_module.figure_cache.c.period)).scalars())
    assert periods == {period_key(Period())}
    store.write({"course": [{"course_id": "c-x", "date": dt.date(2022, 6, 1), "place_code": B1V,
                             "org_id": f"studio_{A1T}", "attendance": 5}]})  # fmt: skip
    page_metrics(PageRecords(store), YEAR)
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(store_module.figure_cache.c.period, store_module.figure_cache.c.data_version)
        ).all()
    assert rows == [(period_key(YEAR), store.data_version())]  # the older version's row is gone


def test_descendants_walked_down_equal_the_ancestors_table(province_url):
    import numpy as np

    records = load_records(open_store(province_url, create=False))
    below, above = records._tree
    for at, code in enumerate(records.places["code"]):
        tree = np.unique(below[above == at])
        assert list(areas.descendant_rows(records, code)) == [r for r in tree if r != at], code
    assert sorted(areas.descendant_codes(records, A)) == sorted([A1, A2, A1T, A2T, A1V, A1W, A2V])


def test_a_stored_report_offers_its_period_and_another_countys_demo_has_none(province_url):
    from hehu.records.demo import report_claims
    from widgets.kit.pickers import period_options

    store = open_store(province_url, create=False)
    assert report_claims(store.read("place")) == []  # the Lianshui report is not about it
    store.write(
        {"claim": [
            {"claim_id": "r1", "document": "示例省2022年工作报告", "metric": "course_sessions",
             "place_code": P, "period_start": dt.date(2021, 7, 1),
             "period_end": dt.date(2022, 6, 30), "value": 6},
            {"claim_id": "r2", "document": "示例省2022年工作报告", "metric": "course_sessions",
             "place_code": P, "period_start": dt.date(2022, 1, 1),
             "period_end": dt.date(2022, 12, 31), "value": 6},
        ]}
    )  # fmt: skip
    options = period_options(PageRecords(store), "zh")
    assert [k for _, k in options] == ["2022", "2021-07-01:2022-06-30", "all"]
    assert options[1][0] == "报告期间 2021-07-01 至 2022-06-30"


def test_a_place_name_cannot_run_script_in_the_map(province_url):
    """Names come from imported spreadsheets; folium puts tooltips and popups in JS literals."""
    evil = "<img src=x onerror=alert(1)>`${parent.alert(2)}`"
    store = open_store(province_url, create=False)
    store.write(
        {"place": [{**_place(A, evil, "city", P)}, {**_place(A1T, evil, "town", A1, 32.1, 118.1)}]}
    )
    for area in (P, A1):
        html = build_overview_page(province_url, {"place": area}).view.map_widget.value
        # the iframe's srcdoc escapes once more: undo that to see what the map's script holds
        srcdoc = html.replace("&quot;", '"').replace("&amp;", "&")
        assert "<img src=x onerror" not in srcdoc
        assert "${parent" not in srcdoc and "`${" not in srcdoc
        assert "&lt;img src=x onerror=alert(1)&gt;&#96;&#36;{parent.alert(2)}&#96;" in srcdoc


@pytest.mark.postgres
def test_kernels_keeping_figures_at_once_never_fail_on_postgresql(pg_url):
    """After a write, the warmer and the first pages store figures side by side (found in review:
    a table-wide cleanup in the same transaction deadlocked)."""
    from concurrent.futures import ThreadPoolExecutor

    store = open_store(pg_url)
    store.write(province_records())
    for round_ in range(15):
        store.write({"course": [{"course_id": f"r{round_}", "date": dt.date(2022, 1, 2),
                                 "place_code": B1V, "org_id": f"studio_{A1T}",
                                 "attendance": 1}]})  # fmt: skip
        version = store.data_version()
        with ThreadPoolExecutor(3) as pool:
            done = list(
                pool.map(lambda p, v=version: store.keep_figures("metrics", p, v, b"x"), "abc")
            )
        assert done == [None, None, None]
        assert all(store.cached_figures("metrics", p, version) == b"x" for p in "abc")


def test_the_cache_is_optional_when_the_database_refuses(province_url):
    store = open_store(province_url, create=False)
    with store.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE figure_cache"))
    store.keep_figures("metrics", "k", 1, b"x")  # logged, not raised
    assert store.cached_figures("metrics", "k", 1) is None
    assert page_metrics(PageRecords(store), YEAR).at[P, "course_sessions"] == 6


def test_a_write_while_a_page_is_open_never_mixes_two_versions(province_url):
    """Found in review: a place added after the page opened made the next uncached figures crash
    (metrics) or come out wrong and be shared with everyone (gaps)."""
    store = open_store(province_url, create=False)
    page = PageRecords(store)  # the gazetteer read now
    new_key = "980201100202"
    store.write({"place": [_place(new_key, "乙一新村", "village", B1T, 30.12, 120.12, key=True)]})
    metrics, gaps = page_metrics(page, YEAR), page_gaps(page, YEAR)
    fresh = load_records(store)
    pd.testing.assert_frame_equal(metrics, metrics_by_place(fresh, YEAR), check_index_type=False)
    pd.testing.assert_frame_equal(
        gaps, gaps_by_place(fresh, YEAR), check_index_type=False, check_dtype=False
    )
    assert gaps.at[P, "no_course"] == 1  # the new key village has had no course
    assert page.data_version == store.data_version()  # filed under the version computed from


def test_the_overview_of_a_town_is_its_countys(province_url):
    """Found in review: `?place=<town>` labelled the town's figure as the whole county's."""
    page = build_overview_page(province_url, {"place": A1T})
    assert page.state.area == A1
    assert sorted(page.state.table()["code"]) == [A1T, A1V]
