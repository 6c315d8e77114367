"""A deputy's reading of the cases page's tables (and the pairings page's), for the attack
tests: every place's page (and category filter) as a deputy sees it, the equations she knows,
and a solver by bounds.

A cell is (table, category filter, place, row, column): the page's table (`TABLES`, or the
pairings page's `PAIRING_TABLES`), the category picked on the page ("" is all), the place
picked, the table's row (a category, a station's org id, an organisation and support type, a
month, or TOTAL) and its column. `pinned_cells` solves what is shown with the
equations as a reader would ("<5" is 1 to 4, "*" any count from 0, a number as shown, a cell
of a row the page does not show 0), carrying bounds from equation to equation until nothing
narrows, and returns the hidden cells pinned to one value."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable

from hehu.disclosure import HIDDEN_SMALL, SMALL_MAX, is_hidden
from hehu.figures.metrics import load_records
from hehu.records import vocab
from hehu.records.store import open_store
from widgets.pages.cases import CasesState, CasesView
from widgets.pages.pairings import PairingsState, PairingsView

TABLES = {  # the page's table: (its widget, the column naming a row, the counts, total = parts)
    "category": (
        "category_table",
        "category",
        ("open", "resolved", "referred", "total"),
        ("total", ("open", "resolved", "referred")),
    ),
    "station": (
        "station_table",
        "org_id",
        ("received", "resolved", "referred", "open"),
        ("received", ("resolved", "referred", "open")),
    ),
    # 办理时长: cases closed by the period's end per category (no total row)
    "time": ("time_table", "category", ("closed",), None),
}
# the pairings page's tables as a deputy sees them (no pairings running: aggregate-only roles
# get lapsed, started and ended by organisation, started and ended by month)
PAIRING_TABLES = {
    "org": ("org_table", ("org_id", "support_type"), ("lapsed", "started", "ended"), None),
    "flow": ("flow_table", "month", ("started", "ended"), None),
}
# a page: its state and view, its records, their date and category ('' for none) columns, tables
PAGES = {
    "cases": (CasesState, CasesView, "case", "received_date", "category", TABLES),
    "pairings": (PairingsState, PairingsView, "pairing", "start_date", "", PAIRING_TABLES),
}
SPECS = TABLES | PAIRING_TABLES
TOTAL = "合计"
CATEGORIES = ("", *vocab.CASE_CATEGORIES)


def read_pages(
    url: str,
    period_key: str,
    categories: Iterable[str] = ("",),
    only: Iterable[str] = (),
    page: str = "cases",
    extra=None,
) -> tuple:
    """{(place, category): {table: (true values, shown values)}} of every place with a case
    received under it in the period (of those `only`, if given), as a deputy's cases page
    shows them with each category of `categories` picked; and the places' parents. With
    `page` "pairings", the pairings page's tables of every place with a pairing under it (of
    any time); `extra(view)` adds what else the page shows ({name: value}) under "extra"."""
    state_class, view_class, kind, dated, categorised, tables = PAGES[page]
    store = open_store(url, create=False)
    records = load_records(store)
    state = state_class(records, "zh", role="deputy")
    state.period_key = period_key
    view = view_class(state, store)
    places = records["place"]
    parent = dict(zip(places["code"], places["parent_code"], strict=True))
    level = dict(zip(places["code"], places["level"], strict=True))
    cases = records[kind]
    if "place_code" not in cases:  # a pairing's place is its child's
        cases = cases.assign(place_code=cases["person_id"].map(records.person_place))
    # every pairing counts: one started before the period may end or lapse in it
    in_period = state.period.contains(cases[dated])
    cases = cases[in_period] if categorised else cases.assign(category="")
    # none recorded at a town or the county: each is exactly the sum of the places under it
    assert only or not cases["place_code"].map(level).isin(["county", "town", "subdistrict"]).any()
    # the places with a case of each category under them ("": of any); the page of a place
    # with none of the category picked shows zeros only (a zero is always shown): not read,
    # its cells are 0
    under: dict[str, set[str]] = {}
    for code, category in zip(cases["place_code"], cases["category"], strict=True):
        while isinstance(code, str) and code:
            under.setdefault(code, set()).update(("", category))
            code = parent[code]
    out = {}
    for code in sorted(set(only) & set(under) if only else under):
        for category in [c for c in categories if c in under[code]]:
            if (state.place, state.category) == (code, category):
                view.refresh()
            with state.hold_trait_notifications():  # the pickers: the page redraws once
                state.place, state.category = code, category
            out[code, category] = {
                name: (getattr(view, widget).raw, getattr(view, widget).shown)
                for name, (widget, *_) in tables.items()
            }
            if extra is not None:
                out[code, category]["extra"] = extra(view)
    return out, parent


def cells(table: str, pages: dict) -> tuple[dict, dict]:
    """{(table, category, place, row, column): true value} and {same: shown value} of one
    table of every page read."""
    _, key, counts, _ = SPECS[table]
    keys = (key,) if isinstance(key, str) else key
    true, shown = {}, {}
    for (place, category), tables in pages.items():
        raw, seen = tables[table]
        for i in range(len(raw)):
            total = "is_total" in raw and bool(raw["is_total"].iat[i])
            row = TOTAL if total else "|".join(str(raw[k].iat[i]) for k in keys)
            for column in counts:
                true[table, category, place, row, column] = int(raw[column].iat[i])
                shown[table, category, place, row, column] = seen[column].iat[i]
    return true, shown


def relations(table: str, pages: dict, parent: dict, true: dict) -> list[list]:
    """What a deputy knows of one table adds up, each [total, part, part…] of cells (absent:
    0, as a page not read): its total row, its total column, a place the sum of the places
    under it, and with categories picked, all the sum of each category's page."""
    _, _, counts, additive = SPECS[table]
    rows = defaultdict(set)
    for _, category, place, row, _ in (c for c in true if c[0] == table):
        rows[category, place].add(row)
    read = {(category, place) for place, category in pages}
    out = []
    for category, place in read:
        cell = lambda r, c, p=place, g=category: (table, g, p, r, c)  # noqa: E731
        if TOTAL in rows[category, place]:  # its total row is the sum of its rows
            body = sorted(rows[category, place] - {TOTAL})
            out += [[cell(TOTAL, c)] + [cell(r, c) for r in body] for c in counts]
        if additive:
            total, parts = additive
            out += [[cell(r, total)] + [cell(r, p) for p in parts] for r in rows[category, place]]
        kids = [k for g, k in read if g == category and parent[k] == place]
        if kids:  # the place is the sum of the places under it
            every = set().union(*(rows[category, k] for k in kids), rows[category, place])
            out += [
                [cell(r, c)] + [(table, category, k, r, c) for k in kids]
                for r in every
                for c in counts
            ]
    if len({g for g, _ in read}) > 1:  # all is the sum of each category's page
        for place in {p for g, p in read if g == ""}:
            every = set().union(*(rows[g, place] for g in CATEGORIES))
            out += [
                [(table, "", place, r, c)] + [(table, g, place, r, c) for g in CATEGORIES[1:]]
                for r in every
                for c in counts
            ]
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
