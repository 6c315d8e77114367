"""The cases page's own tables repeat place figures: the foot of its table by category and
status is the place's cases received and open, and so is the foot of its table by station. A
deputy must find them there as the place figures disclose them among every place's, or she
subtracts: on the demo, 高沟镇's cases received in 2022 are hidden among the places ("*", the
complement of a small village) and read 10 at the foot of both tables before this was fixed.
On SQLite and PostgreSQL (the demo of either)."""

from __future__ import annotations

import pytest

from hehu.disclosure import is_hidden
from hehu.figures.metrics import load_records
from hehu.figures.places import disclosed_place_figures, family_column
from hehu.records.store import open_store
from widgets.pages.cases import CasesState, CasesView

GAOGOU = "320826101000"
FOOT = {"category": {"total": "received", "open": "open"}, "station": {"received": "received", "open": "open"}}  # fmt: skip


@pytest.fixture(scope="module")
def deputy_view(demo_url):
    store = open_store(demo_url, create=False)
    records = load_records(store)
    state = CasesState(records, "zh", role="deputy")
    state.period_key = "2022"
    return state, CasesView(state, store)


def feet(view) -> dict:
    """The last row (the total) of the tables by category and by station, as shown."""
    return {"category": view.category_table.shown.iloc[-1], "station": view.station_table.shown.iloc[-1]}  # fmt: skip


def test_the_foot_of_each_cases_table_is_the_place_figure_as_disclosed(deputy_view):
    state, view = deputy_view
    places = state.records["place"]
    for place in places[places["level"].isin(["county", "town", "subdistrict"])]["code"]:
        state.place = place
        view.refresh()
        figures = disclosed_place_figures(state.records, state.period_key, "deputy").loc[place]
        for table, foot in feet(view).items():
            for column, figure in FOOT[table].items():
                there = figures[family_column("case", figure, "")]
                assert str(foot[column]) == str(there), (place, table, column, foot[column], there)
        if place == GAOGOU:  # the case that leaked, and what stops its rows giving it back
            assert is_hidden(figures[family_column("case", "received", "")])
            body = view.category_table.shown.iloc[:-1]["total"]
            assert any(is_hidden(v) for v in body)
