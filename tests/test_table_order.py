"""No table a deputy reads is listed in an order that depends on the figures in it.

A table listed largest first tells its hidden counts apart by their places: the cases page's
table by station, listed by cases received, gave a deputy every hidden count back (each drop
in the listing is at least one case, the stations' names sort the ties, and the shown total
leaves one case to place; 25 of 25 stations in 2022). Sorting by a column with the page's
picker is safe only because hidden values go last in the listed order (`FrameTable.ordered`),
so the listed order itself must say nothing.

An order that depends on nothing but the rows' labels (places, categories, months, names)
lists the rows two periods share the same way in both; an order by a figure does not, as the
figures change from year to year. Every table of the tracking pages that hides a figure from a
deputy, as she opens them for the county and a town in 2021, 2022 and all time (the demo), is
read so. (A table hiding nothing may be listed by its figures: courses and events by number.)
"""

from __future__ import annotations

from itertools import combinations

from hehu.disclosure import is_hidden
from widgets.kit.tables import NUMERIC_KINDS, FrameTable
from widgets.pages.cases import build_cases_page
from widgets.pages.courses import build_courses_page
from widgets.pages.pairings import build_pairings_page
from widgets.pages.visits import build_visits_page

PAGES = {
    "cases": build_cases_page,
    "visits": build_visits_page,
    "pairings": build_pairings_page,
    "courses": build_courses_page,
}
PLACES = ("320826000000", "320826101000")  # the county, 高沟镇
PERIODS = ("2021", "2022", "all")


def tables_of(widget):
    """Every FrameTable in a page's widget tree."""
    if isinstance(widget, FrameTable):
        yield widget
    for child in getattr(widget, "children", ()) or ():
        yield from tables_of(child)


def listing(table: FrameTable) -> list[tuple]:
    """The table's rows in listed order, each named by its labels (its columns that are not
    figures); a label listed twice is left out (its rows cannot be told apart by name)."""
    labels = [c.key for c in table.columns if c.kind not in NUMERIC_KINDS]
    rows = table.ordered().index
    names = [tuple(str(table.raw.at[i, k]) for k in labels) for i in rows]
    return [n for n in names if names.count(n) == 1]


def reordered(first: list[tuple], second: list[tuple]) -> bool:
    """Whether two listings put the rows they share in different orders."""
    shared = set(first) & set(second)
    return [n for n in first if n in shared] != [n for n in second if n in shared]


def listings(demo_url, place: str, build) -> dict[str, dict[str, list[tuple]]]:
    """{table key: {period: listing}} of one page at one place as a deputy opens it, for the
    tables that hide a figure from her in one of the periods."""
    found: dict[str, dict[str, list[tuple]]] = {}
    hiding: set[str] = set()
    for period in PERIODS:
        for table in tables_of(build(demo_url, {"place": place, "period": period})):
            if not table.shown.empty:
                found.setdefault(table.key, {})[period] = listing(table)
                if table.shown.map(is_hidden).to_numpy().any():
                    hiding.add(table.key)
    return {key: by_period for key, by_period in found.items() if key in hiding}


def test_a_listing_never_follows_the_figures(demo_url, monkeypatch):
    monkeypatch.setenv("HEHU_ROLE", "deputy")
    compared, reordered_tables = 0, []
    for name, build in PAGES.items():
        for place in PLACES:
            for key, by_period in listings(demo_url, place, build).items():
                for a, b in combinations(by_period, 2):
                    compared += len(set(by_period[a]) & set(by_period[b])) > 1
                    if reordered(by_period[a], by_period[b]):
                        reordered_tables.append((name, place, key, a, b))
    assert compared >= 60
    assert reordered_tables == [], "\n".join(map(str, reordered_tables))


def test_the_check_finds_a_table_listed_by_its_figures(demo_url, monkeypatch):
    # the check itself: the station table listed by cases received, as it was
    monkeypatch.setenv("HEHU_ROLE", "deputy")
    by_period = {}
    for period in PERIODS:
        page = build_cases_page(demo_url, {"place": PLACES[0], "period": period})
        (table,) = [t for t in tables_of(page) if t.key == "case-stations"]
        order = table.raw.sort_values(["is_total", "received"], ascending=[True, False]).index
        table.show(table.raw.loc[order], table.shown.loc[order], table.note)
        by_period[period] = listing(table)
    assert reordered(by_period["2021"], by_period["2022"])
