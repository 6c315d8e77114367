"""The cases page's tables against each other, against the briefing and across the category
filter: what `tests/test_cases_town_minus_villages.py` does for each table on its own, for
the figures that are one count in two places.

- 办理时长 (resolution times): a category's cases closed by the period's end are its cases
  resolved and referred on, the two status columns of the table by category and status; the
  table is disclosed for every place too, so a town's closed cases are its villages'.
- The briefing's stations (本期接访): what a station received in the period is the top place's
  row of that station in the cases page's table by station (the demo county's, and a generated
  province's, whose cases page a deputy can open at the top too).
- The category filter: each table with one category picked, against the table of all (all is
  the sum of the categories), a town's against its villages'.

Each is read as a deputy sees it (2022, every place with a case received under it), solved
with every equation a deputy knows (`cases_attack.pinned_cells`): no hidden count may come out
pinned to one value. On the demo (SQLite or PostgreSQL)."""

from __future__ import annotations

import pytest
from cases_attack import CATEGORIES, TOTAL, cells, pinned_cells, read_pages, relations

from hehu.disclosure import is_hidden
from hehu.figures.metrics import load_records
from hehu.figures.places import period_from_key
from hehu.figures.tracking import station_cases
from hehu.oversight.briefing import build_briefing
from hehu.records.gazetteer import root_codes
from hehu.records.store import open_store

pytestmark = pytest.mark.attack

PERIOD = "2022"


@pytest.fixture(scope="module")
def filtered(demo_url):
    """Every place's page with each category picked, and with none."""
    return read_pages(demo_url, PERIOD, CATEGORIES)


@pytest.fixture(scope="module")
def pages(filtered):
    """Every place's page with no category picked."""
    pages, parent = filtered
    return {key: tables for key, tables in pages.items() if key[1] == ""}, parent


def tables_together(names, pages, parent) -> tuple[dict, dict, list]:
    """The cells of the tables `names` of every page read, and what a deputy knows of them:
    each table's own equations, and where two tables hold one count (closed = resolved +
    referred; a table's total row is the place's received, resolved, referred and open)."""
    true, shown, known = {}, {}, []
    for name in names:
        t, s = cells(name, pages)
        true |= t
        shown |= s
        known += relations(name, pages, parent, t)
    for place, category in pages:

        def at(table, row, column, category=category, place=place):
            return (table, category, place, row, column)

        rows = {c[3] for c in true if c[:3] == ("category", category, place)}
        rows |= {c[3] for c in true if c[:3] == ("time", category, place)}
        if {"category", "time"} <= set(names):
            known += [
                [
                    at("time", r, "closed"),
                    at("category", r, "resolved"),
                    at("category", r, "referred"),
                ]
                for r in rows - {TOTAL}
            ]
        if {"category", "station"} <= set(names):
            known += [
                [at("station", TOTAL, c), at("category", TOTAL, "total" if c == "received" else c)]
                for c in ("received", "resolved", "referred", "open")
            ]
    return true, shown, known


def assert_nothing_pinned(true, shown, known) -> None:
    assert any(is_hidden(v) for v in shown.values())  # something to find
    pinned = pinned_cells(true, shown, known)
    assert not pinned, f"{len(pinned)} hidden cells pinned, e.g. {pinned[:5]}"


def test_resolution_times_give_back_no_hidden_count(pages):
    """办理时长 with the table by category and status, every place's."""
    pages, parent = pages
    assert_nothing_pinned(*tables_together(("category", "time"), pages, parent))


def briefing_stations(url: str, top: str, period_key: str, true: dict, shown: dict) -> list:
    """The top place's briefing's stations (their cells added to `true` and `shown`) and what
    a deputy knows of them: each is the top place's row of the station in the table by
    station."""
    records = load_records(open_store(url, create=False))
    period = period_from_key(period_key)
    briefing = build_briefing(records, top, period, "deputy")
    received = station_cases(records, period)
    known = []
    for org, seen in zip(
        briefing.stations["org_id"], briefing.stations["cases_received"], strict=True
    ):
        cell = ("briefing", "", top, str(org), "received")
        true[cell], shown[cell] = int(received[org]), seen
        known.append([cell, ("station", "", top, str(org), "received")])
    return known


def test_the_briefings_stations_give_back_no_hidden_count(demo_url, pages):
    """The county's briefing lists every station with the cases it received."""
    pages, parent = pages
    true, shown, known = tables_together(("station", "category"), pages, parent)
    (county,) = [p for p, _ in pages if not isinstance(parent[p], str) or not parent[p]]
    known += briefing_stations(demo_url, county, PERIOD, true, shown)
    assert_nothing_pinned(true, shown, known)


@pytest.fixture(scope="module")
def province(province3_url) -> tuple[str, str]:
    """The generated province of three counties, and its top place."""
    places = load_records(open_store(province3_url, create=False))["place"]
    (top,) = root_codes(places)
    return province3_url, top


@pytest.mark.parametrize("period_key", ["2022", "all"])
def test_a_provinces_briefing_stations_give_back_no_hidden_count(province, period_key):
    """The province's briefing against its cases page's table by station. Before the
    briefing took a station's count from the table by station's disclosure (it was disclosed
    on its own, small cells only), the province's 2022 pages gave back 50 hidden cells and
    all time's 48 (the demo's none: all its stations' counts were hidden in both)."""
    url, top = province
    pages, parent = read_pages(url, period_key, only=[top])
    true, shown, known = tables_together(("station",), pages, parent)
    known += briefing_stations(url, top, period_key, true, shown)
    assert_nothing_pinned(true, shown, known)


def test_the_category_filter_gives_back_no_hidden_count(filtered):
    """Every table with each category picked and with none, every place's."""
    pages, parent = filtered
    assert_nothing_pinned(*tables_together(("category", "station", "time"), pages, parent))
