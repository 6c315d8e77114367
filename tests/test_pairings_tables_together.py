"""The pairings page's tables (结对帮扶) as a deputy reads them, every place's: the table by
organisation and support type (lapsed, started, ended) and the table of pairings started and
ended by month, a town's against its villages' (a town's pairings are its villages': none is
recorded at a town), against each other (both total rows count the pairings started and ended
under the place in the period) and against the place figures (the table by organisation's
lapsed total is the place's lapsed pairings, `pairing.lapsed:` of the place figures, the
coverage table's and the briefing's 逾期未联系结对, `pairings_lapsed` in vocab.METRICS).

Each is read as the page shows it (the place picker, as a deputy, 2022 and all time), solved
with every equation a deputy knows (`cases_attack.pinned_cells`): no hidden count may come out
pinned to one value. On the demo (SQLite or PostgreSQL).

Each table is disclosed with every place's (`hehu.figures.splits`: PAIRINGS_BY_ORG,
PAIRINGS_BY_MONTH), its total row as the place figures (pairings lapsed, started and ended are
figures of the pairing family). Before that, each table was disclosed on its own for each place
(small cells only): on the demo a deputy pinned 418 hidden cells of 2022 (of the table by
organisation 214, of the table by month 181, and 23 of the place figures' lapsed pairings, the
coverage table's "*" read off the table by organisation's total) and 715 of all time (354, 308
and 53); this test was a strict xfail on that code."""

from __future__ import annotations

import pytest
from cases_attack import TOTAL, cells, pinned_cells, read_pages, relations

from hehu.disclosure import is_hidden

pytestmark = pytest.mark.attack


def place_lapsed(view) -> dict:
    """The place's lapsed pairings as the coverage table shows them (the place figure)."""
    raw, shown = view.coverage_table.raw, view.coverage_table.shown
    (row,) = raw.index[raw["is_total"].astype(bool)]  # the place's own figures
    return {"lapsed": (int(raw.at[row, "lapsed"]), shown.at[row, "lapsed"])}


def pinned(url: str, period_key: str) -> list:
    """The hidden cells of the pairings page's tables a deputy pins, every place's page read."""
    pages, parent = read_pages(url, period_key, page="pairings", extra=place_lapsed)
    true, shown, known = {}, {}, []
    for name in ("org", "flow"):
        t, s = cells(name, pages)
        true |= t
        shown |= s
        known += relations(name, pages, parent, t)
    for (place, category), tables in pages.items():

        def at(table, row, column, place=place, category=category):
            return (table, category, place, row, column)

        raw, seen = tables["extra"]["lapsed"]
        true[at("figure", TOTAL, "lapsed")], shown[at("figure", TOTAL, "lapsed")] = raw, seen
        known.append([at("figure", TOTAL, "lapsed"), at("org", TOTAL, "lapsed")])
        known += [[at("org", TOTAL, c), at("flow", TOTAL, c)] for c in ("started", "ended")]
    assert any(is_hidden(v) for v in shown.values())  # something to find
    return pinned_cells(true, shown, known)


@pytest.mark.parametrize("period_key", ["2022", "all"])
def test_the_pairings_tables_give_back_no_hidden_count(demo_url, period_key):
    found = pinned(demo_url, period_key)
    assert not found, f"{len(found)} hidden cells pinned, e.g. {found[:5]}"
