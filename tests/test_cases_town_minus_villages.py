"""The cases page's tables of a town against its villages': a deputy opens the town, then each
of its villages, and subtracts. A town's cell is the sum of its villages' (and of the cases
recorded at the town itself: none in the demo, and the page's table by place then shows no own
row, so she knows it), so a hidden cell of one table can come out of the others' shown cells:
石湖镇's cases resolved in 2022 read "<5" over four villages each "<5", so each village has 1
and the town 4; 高沟镇's read 8 in 2021 over eight villages each "<5".

Each table is read as the page shows it (the place picker, as a deputy, 2022), with what a
deputy knows of it: its total row is the sum of its rows, its total column the sum of the
statuses, a place the sum of the places under it. Solved together by bounds ("<5" is 1 to 4,
"*" any count from 0, a number as shown) until nothing narrows: no hidden count may come out
pinned to one value. On the demo (SQLite or PostgreSQL).

Before each table was disclosed with every place's (the table by category and status from the
place figures, the table by station from every place at every station: `places.station_marks`)
this pinned 223 hidden cells of the table by category and status and 364 of the table by
station (each table was disclosed on its own, its total row only tied to the place figures)."""

from __future__ import annotations

import math
from collections import defaultdict

import pytest

from hehu.disclosure import HIDDEN_SMALL, SMALL_MAX, is_hidden
from hehu.figures.metrics import load_records
from hehu.records.store import open_store
from widgets.pages.cases import CasesState, CasesView

TABLES = {  # the page's table: (its widget, the column naming a row, the counts, total = parts)
    "category": (
        "category_table",
        "category",
        ("open", "resolved", "referred", "total"),
        ("total", ("open", "resolved", "referred")),
    ),
    "station": (
        "station_table",
        "station",
        ("received", "resolved", "referred", "open"),
        ("received", ("resolved", "referred", "open")),
    ),
}
TOTAL = "合计"


@pytest.fixture(scope="module")
def pages(demo_url):
    """{place: {table: (true values, shown values)}} of every place with a case received
    under it in 2022, as a deputy's cases page shows them; and the places' parents."""
    store = open_store(demo_url, create=False)
    records = load_records(store)
    state = CasesState(records, "zh", role="deputy")
    state.period_key = "2022"
    view = CasesView(state, store)
    places = records["place"]
    parent = dict(zip(places["code"], places["parent_code"], strict=True))
    level = dict(zip(places["code"], places["level"], strict=True))
    cases = records["case"]
    cases = cases[state.period.contains(cases["received_date"])]
    # no case recorded at a town or the county: each is exactly the sum of the places under it
    assert not cases["place_code"].map(level).isin(["county", "town", "subdistrict"]).any()
    under: set[str] = set()
    for code in cases["place_code"]:
        while isinstance(code, str) and code:
            under.add(code)
            code = parent[code]
    out = {}
    for code in sorted(under):
        if state.place == code:
            view.refresh()
        state.place = code  # the place picker: the page redraws
        out[code] = {
            name: (getattr(view, widget).raw, getattr(view, widget).shown)
            for name, (widget, *_) in TABLES.items()
        }
    return out, parent


def cells(table: str, pages: dict) -> tuple[dict, dict]:
    """{(place, row, column): true value} and {same: shown value} of one table of every page."""
    _, key, counts, _ = TABLES[table]
    true, shown = {}, {}
    for place, tables in pages.items():
        raw, seen = tables[table]
        for i in range(len(raw)):
            row = TOTAL if raw["is_total"].iat[i] else raw[key].iat[i]
            for column in counts:
                true[place, row, column] = int(raw[column].iat[i])
                shown[place, row, column] = seen[column].iat[i]
    return true, shown


def relations(table: str, pages: dict, parent: dict, true: dict) -> list[list]:
    """What a deputy knows adds up, each [total, part, part…] of cells (absent: 0)."""
    _, _, counts, (total, parts) = TABLES[table]
    rows = defaultdict(set)
    for place, row, _ in true:
        rows[place].add(row)
    out = []
    for place in pages:
        body = sorted(rows[place] - {TOTAL})
        out += [[(place, TOTAL, c)] + [(place, r, c) for r in body] for c in counts]
        out += [[(place, r, total)] + [(place, r, p) for p in parts] for r in rows[place]]
        kids = [k for k in pages if parent[k] == place]
        if kids:  # the place is the sum of the places under it
            every = set().union(*(rows[k] for k in kids), rows[place])
            out += [[(place, r, c)] + [(k, r, c) for k in kids] for r in every for c in counts]
    return out


def pinned_cells(true: dict, shown: dict, known: list[list]) -> list:
    """The hidden cells that what is shown and `known` pin to one value (bounds propagation
    over whole numbers, every relation narrowing its cells from the others', until none does)."""
    lo, hi = {}, {}
    for cell in {c for relation in known for c in relation}:
        value = shown.get(cell, 0)  # a row the page does not show is 0
        if value == HIDDEN_SMALL:
            lo[cell], hi[cell] = 1, SMALL_MAX
        elif is_hidden(value):
            lo[cell], hi[cell] = 0, math.inf
        else:
            lo[cell] = hi[cell] = int(float(value))
    at = defaultdict(list)
    for i, relation in enumerate(known):
        assert true.get(relation[0], 0) == sum(true.get(c, 0) for c in relation[1:])
        for cell in relation:
            at[cell].append(i)
    todo = set(range(len(known)))
    while todo:
        relation = known[todo.pop()]
        signed = [(-1, relation[0])] + [(1, c) for c in relation[1:]]
        for sign, cell in signed:  # sign * cell = -(the others)
            others = [(s, c) for s, c in signed if c != cell]
            low = sum(min(s * lo[c], s * hi[c]) for s, c in others)
            high = sum(max(s * lo[c], s * hi[c]) for s, c in others)
            a, b = sorted((-high * sign, -low * sign))
            new = (
                max(lo[cell], math.ceil(a)) if math.isfinite(a) else lo[cell],
                min(hi[cell], math.floor(b)) if math.isfinite(b) else hi[cell],
            )
            if new != (lo[cell], hi[cell]):
                lo[cell], hi[cell] = new
                todo.update(at[cell])
    hidden = [c for c in lo if is_hidden(shown.get(c, 0))]
    assert all(lo[c] <= true[c] <= hi[c] for c in hidden)  # the deputy reasons soundly
    return sorted((c, shown[c], true[c]) for c in hidden if lo[c] == hi[c])


@pytest.mark.parametrize("table", sorted(TABLES))
def test_no_hidden_count_of_a_cases_table_comes_out_of_the_town_minus_its_villages(pages, table):
    pages, parent = pages
    true, shown = cells(table, pages)
    assert any(is_hidden(v) for v in shown.values())  # something to find
    pinned = pinned_cells(true, shown, relations(table, pages, parent, true))
    assert not pinned, f"{len(pinned)} hidden cells pinned, e.g. {pinned[:5]}"
