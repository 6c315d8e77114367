"""A page of a place reads only its county's records (`gazetteer.record_scope`), and a city's
briefing reads the shared figures: every figure of every place in a county is the same from the
county's records as from all of them, and every briefing is the same as from all records.

The province is bench/generate.py's, with two counties in one city, and a few records that cross
a county's border by hand: a case placed in county 2 received by county 1's studio, a child of
county 1 paired and visited by county 2's federation, protection measures and referrals (the
generator has none), a recommendation, a target and an event addressed to the city.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pandas as pd
import pytest
from hehu_fixtures import bench_generator

from hehu.figures.cache import (
    PageRecords,
    frame_from_bytes,
    frame_to_bytes,
    period_from_key,
    row_places,
)
from hehu.figures.gaps import gaps_by_place
from hehu.figures.metrics import load_records, metrics_by_place
from hehu.figures.places import place_figures
from hehu.figures.tracking import own_row_code
from hehu.figures.warm import warm_figures
from hehu.oversight.briefing import build_briefing
from hehu.records.gazetteer import codes_under, record_scope
from hehu.records.schema import RECORD_TABLES
from hehu.records.store import open_store

PERIODS = ("2022", "2021", "all", "2021-07-01:2022-06-30")
# What a city's briefing may read besides the shared figures: small kinds, its own scope's
# (targets, inspections with their recommendations, the units they are assigned to and their
# answers and ratings, and the findings it carries forward).
SMALL_KINDS = {
    "place", "org", "claim", "target", "recommendation", "inspection", "finding",
    "recommendation_unit", "recommendation_update",
}  # fmt: skip


def _crossing_records(frames: dict[str, pd.DataFrame]) -> dict[str, list[dict]]:
    """Records across the two counties' border, and addressed to the city."""
    places = frames["place"]
    c1, c2 = places.loc[places["level"] == "county", "code"]
    city = places.loc[places["level"] == "city", "code"].iloc[0]
    villages = places[places["level"] == "village"]
    v1 = villages.loc[villages["code"].str[:6] == c1[:6], "code"].iloc[0]
    v2 = villages.loc[villages["code"].str[:6] == c2[:6], "code"].iloc[0]
    people = frames["person"]
    child = people.loc[
        people["place_code"].str[:6].eq(c1[:6])
        & people["categories"].str.contains("left_behind_child"),
        "person_id",
    ].iloc[0]
    home = frames["household"]
    home1 = home.loc[home["place_code"].str[:6] == c1[:6], "household_id"].iloc[0]
    cases = frames["case"]
    case1 = cases.loc[cases["place_code"].str[:6] == c1[:6], "case_id"].iloc[0]
    inspection = frames["inspection"]["inspection_id"].iloc[-1]
    day = dt.date(2022, 3, 8)
    measures = [
        {"measure_id": f"M{i}", "date": dt.date(2022, 2, 1 + i), "place_code": where,
         "org_id": f"fed_{c1}", "measure": measure, "outcome": outcome,
         "outcome_date": None if outcome == "pending" else dt.date(2022, 4, 1)}
        for i, (where, measure, outcome) in enumerate([
            (v1, "dv_warning", "issued"), (v2, "protection_order", "issued"),
            (v1, "protection_order", "pending"), (v2, "mandatory_report", "handled"),
            (v1, "mandatory_report", "pending"), (c1, "dv_warning", "issued"),
        ])
    ]  # fmt: skip
    return {
        "case": [{"case_id": "X-1", "received_date": day, "org_id": f"studio1_{c1}",
                  "place_code": v2, "category": "domestic_violence", "status": "open"}],
        "pairing": [{"pairing_id": "X-P1", "org_id": f"fed_{c2}", "person_id": child,
                     "support_type": "study", "start_date": dt.date(2021, 6, 1)}],
        "contact": [{"pairing_id": "X-P1", "date": dt.date(2022, 1, 5), "mode": "phone"}],
        "visit": [{"visit_id": "X-V1", "date": day, "household_id": home1,
                   "org_id": f"fed_{c2}", "reasons": "", "follow_up_due": dt.date(2022, 4, 1)}],
        "protection_measure": measures,
        "referral": [
            {"referral_id": "R1", "case_id": "X-1", "date": day, "from_org_id": f"fed_{c1}",
             "to_org_id": f"studio1_{c2}"},
            {"referral_id": "R2", "case_id": case1, "date": day, "from_org_id": f"fed_{c1}",
             "to_org_id": f"studio1_{c2}"},
        ],
        "event": [{"event_id": "X-E1", "date": day, "place_code": city, "org_id": f"fed_{c1}",
                   "campaign": "womens_rights_week", "format": "lecture", "audience": 40}],
        "target": [{"metric": "cases_received", "place_code": city, "year": 2022,
                    "value": 5000.0, "source": "合成目标"}],
        "recommendation": [{"rec_id": "X-R1", "inspection_id": inspection, "place_code": city,
                            "text": "市级意见建议", "due_date": dt.date(2022, 6, 30),
                            "status": "open", "response": ""}],
        "finding": [{"finding_id": "X-F1", "inspection_id": inspection, "place_code": v1,
                     "text": "合成发现"}],
    }  # fmt: skip


@pytest.fixture(scope="module")
def province(hehu_db, request, tmp_path_factory) -> str:
    """Two generated counties in one city, with the crossing records; its URL."""
    if hehu_db == "postgresql":
        import psycopg
        from sqlalchemy.engine import make_url

        server = request.getfixturevalue("pg_server")
        name = f"scope_{uuid.uuid4().hex[:8]}"
        at = make_url(server)

        def admin(sql: str) -> None:
            with psycopg.connect(host=at.host, port=at.port, user=at.username,
                                 dbname="postgres", autocommit=True) as conn:  # fmt: skip
                conn.execute(sql)

        admin(f'CREATE DATABASE "{name}"')
        url = f"{server}/{name}"
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('scope') / 'province.sqlite'}"
    generate = bench_generator()
    frames = generate.build_province(2, seed=5)
    generate.write_store(frames, url, counties=2, seed=5)
    store = open_store(url, create=False)
    store.write(_crossing_records(frames))
    store.engine.dispose()
    yield url
    if hehu_db == "postgresql":
        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _levels(places: pd.DataFrame, level: str) -> list[str]:
    return list(places.loc[places["level"] == level, "code"])


def test_the_scope_of_a_place_is_its_county_and_the_places_above(province):
    places = open_store(province, create=False).read("place")
    (top,), (city,) = _levels(places, "province"), _levels(places, "city")
    c1, c2 = _levels(places, "county")
    town = places.loc[places["parent_code"] == c1, "code"].iloc[0]
    village = places.loc[places["parent_code"] == town, "code"].iloc[0]
    county = sorted(codes_under(places, c1) | {city, top})
    assert record_scope(places, c1) == record_scope(places, town) == county
    assert record_scope(places, village) == county
    assert c2 not in county and not set(codes_under(places, c2)) & set(county)
    assert record_scope(places, city) == sorted(codes_under(places, city) | {top})
    assert record_scope(places, top) is None  # the top: every record
    # a gazetteer whose top is the county (Lianshui): every record, as before
    alone = places[places["code"].isin(codes_under(places, c1))].copy()
    alone.loc[alone["code"] == c1, "parent_code"] = None
    assert record_scope(alone, village) is None


@pytest.mark.parametrize("county_at", [0, 1])
def test_a_countys_records_give_every_figure_of_its_places_exactly(province, county_at):
    store = open_store(province, create=False)
    county = _levels(store.read("place"), "county")[county_at]
    places = store.read("place")
    scope = record_scope(places, county)
    under = sorted(codes_under(places, county))
    everything = load_records(store)
    whole = {k: _figures(everything, k) for k in PERIODS}
    scoped_records = load_records(store, scope)
    for kind in RECORD_TABLES:  # nothing of the other county was read
        frame = scoped_records[kind]
        if "place_code" in frame and kind not in ("org", "claim"):
            assert frame["place_code"].isin(scope).all() or kind == "case", kind
    assert len(scoped_records["visit"]) < len(everything["visit"])
    for key in PERIODS:
        for name, frame in _figures(scoped_records, key).items():
            pd.testing.assert_frame_equal(frame.loc[under], whole[key][name].loc[under], obj=name)
    if county_at == 1:  # the case placed here, received by county 1's studio, is read
        assert "X-1" in set(scoped_records["case"]["case_id"])


def _figures(records, key: str) -> dict[str, pd.DataFrame]:
    """Every metric, gap and tracking figure of every place (computed, not from the cache)."""
    period = period_from_key(key)
    return {
        "metrics": metrics_by_place(records, period),
        "gaps": gaps_by_place(records, period),
        "place_figures": place_figures(records, period),
    }


def _assert_same_briefing(got, expected) -> None:
    pd.testing.assert_series_equal(got.figures, expected.figures)
    for part in ("key_villages", "stations", "events_by_campaign", "must_visit_by_group"):
        pd.testing.assert_frame_equal(
            getattr(got, part).reset_index(drop=True),
            getattr(expected, part).reset_index(drop=True),
            obj=part,
        )
    pd.testing.assert_frame_equal(
        got.recommendations.reset_index(drop=True),
        expected.recommendations.reset_index(drop=True),
    )
    pd.testing.assert_frame_equal(got.findings, expected.findings, obj="findings")
    assert (got.since is None) == (expected.since is None)
    if got.since is not None:
        assert got.since.period == expected.since.period
        assert got.since.changes == expected.since.changes
        if got.since.figures is not None:
            pd.testing.assert_series_equal(got.since.figures, expected.since.figures)
    for part in ("targets", "open_cases_by_age", "cases_by_category"):
        assert getattr(got, part) == getattr(expected, part), part
    assert got.towns_without_campaign_event == expected.towns_without_campaign_event
    assert got.questions == expected.questions


@pytest.mark.parametrize("role", ["deputy", "staff"])
def test_briefings_of_a_county_and_its_city_are_those_of_every_record(province, role):
    store = open_store(province, create=False)
    warm_figures(store)
    places = store.read("place")
    (city,) = _levels(places, "city")
    c1, c2 = _levels(places, "county")
    town = places.loc[places["parent_code"] == c2, "code"].iloc[0]
    everything = load_records(store)
    for code in (c1, town, city):
        page = PageRecords(store, code)
        for key in ("2022", "all"):
            got = build_briefing(page, code, period_from_key(key), role)
            _assert_same_briefing(got, build_briefing(everything, code, period_from_key(key), role))
        read = set(page.frames._frames)
        if code == city:  # the shared figures, its targets and recommendations: nothing else
            assert read <= SMALL_KINDS, read
        assert page._whole is None  # no figure computed here: all from the shared cache
    top = PageRecords(store, "")
    build_briefing(top, top.root, period_from_key("2022"), role)
    assert set(top.frames._frames) <= SMALL_KINDS


def test_the_figure_cache_reads_the_rows_of_some_places_only():
    frame = pd.DataFrame(
        {
            "n": [1, 0, 7, 2],
            "rate": [0.5, float("nan"), 1.0, 0.0],
            "gap": [True, False, True, True],
        },
        index=pd.Index(["0|3208", "0|3208#own", "1|3209", "1|3208"], name="code"),
    )
    assert row_places(frame.index).to_pylist() == ["3208", "3208", "3209", "3208"]
    payload = frame_to_bytes(frame)
    got = frame_from_bytes(payload, ["3208", "9999"])
    pd.testing.assert_frame_equal(got, frame.iloc[[0, 1, 3]], check_index_type=False)
    assert frame_from_bytes(payload, []).empty
    pd.testing.assert_frame_equal(frame_from_bytes(payload), frame, check_index_type=False)


def test_a_county_page_holds_the_shared_figures_of_its_scope_only(province):
    store = open_store(province, create=False)
    warm_figures(store)
    places = store.read("place")
    c1, c2 = _levels(places, "county")
    page = PageRecords(store, c1)
    build_briefing(page, c1, period_from_key("2022"), "deputy")  # and 2021, since last time
    held: dict[str, list[pd.DataFrame]] = {}
    for key, frame in page._cache.items():
        if key[0] == "shared":
            held.setdefault(key[1].split("/")[0], []).append(frame)
    assert len(held["place_figures"]) == 2 and len(held["place_hidden"]) == 1
    scope = set(page.scope)
    for name in ("place_figures", "place_hidden", "campaign_events"):
        for frame in held[name]:
            assert set(row_places(frame.index).to_pylist()) == scope, name
    assert f"0|{own_row_code(c1)}" in held["place_hidden"][0].index  # parents' own rows too
    assert c2 not in scope and c2 in set(places["code"])


def test_a_county_page_with_no_shared_figures_computes_them_from_every_record(province):
    store = open_store(province, create=False)
    store.write(
        {
            "target": [
                {
                    "metric": "course_sessions",
                    "place_code": _levels(store.read("place"), "city")[0],
                    "year": 2021,
                    "value": 1.0,
                    "source": "新",
                }
            ]
        }
    )
    c1 = _levels(store.read("place"), "county")[0]
    page = PageRecords(store, c1)
    got = build_briefing(page, c1, period_from_key("2022"), "deputy")
    assert page._whole is not None and page._whole.fully_loaded  # computed from every record
    assert not set(page.frames._frames) - SMALL_KINDS  # the page itself read no visit
    _assert_same_briefing(
        got, build_briefing(load_records(store), c1, period_from_key("2022"), "deputy")
    )
    later = PageRecords(store, _levels(store.read("place"), "city")[0])
    build_briefing(later, later.place, period_from_key("2022"), "deputy")
    assert later._whole is None  # kept for everyone: the next page read them


def test_the_briefing_page_reads_the_county_of_the_place_picked(province, monkeypatch):
    from widgets.pages.briefing import build_briefing_page

    monkeypatch.setenv("HEHU_ROLE", "deputy")
    store = open_store(province, create=False)
    warm_figures(store)
    places = store.read("place")
    c1, c2 = _levels(places, "county")
    page = build_briefing_page(province, {"place": c1})
    assert page.state.records.scope == record_scope(places, c1)
    offered = {code for _, code in page.view.place_picker.options}
    town1, town2 = (places.loc[places["parent_code"] == c, "code"].iloc[0] for c in (c1, c2))
    assert {c1, c2, town1} <= offered and town2 not in offered  # its county's, and counties
    page.state.place = c2  # the picker: another county's records, its briefing redrawn
    assert page.state.records.scope == record_scope(places, c2)
    offered = {code for _, code in page.view.place_picker.options}
    assert {c1, c2, town2} <= offered and town1 not in offered
    assert page.view.place_picker.value == c2
    shown = re.sub(r"<[^>]+>", " ", page.view.body.value)
    assert places.set_index("code").at[c2, "name"] in shown
