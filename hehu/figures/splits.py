"""Page tables that split a family of place figures by something of their own: the cases page's
table by station, the pairings page's tables by organisation and support type and by month.

A deputy who opens a town's page and then each of its villages' can subtract, and a table's
total row repeats the place's figures: disclosed table by table, they give hidden counts back.
So each split holds every place's rows in one frame ('code@key': a place at a station, an
organisation or a month; 'code@': the place at all of them, its place figure), shared between
kernels like the place figures, and is disclosed once, over every period a page offers, with
the hierarchy and with the place figures its total rows repeat (`hidden_cells`' elsewhere). A
page reads its table's marks from there (`split_marks`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hehu.disclosure import (
    SHOWN_AS_COMPLEMENT,
    SHOWN_ELSEWHERE,
    Rules,
    every_count_hidden,
    hidden_cells,
    sees_exact_counts,
    shown_frame,
)
from hehu.figures.cache import period_from_key, period_key, shared_figures
from hehu.figures.metrics import Period, Records
from hehu.figures.places import (
    choosable_periods,
    family_column,
    period_links,
    periods_apart,
    place_hidden_cells,
    place_tree,
    shared_station_cases,
)
from hehu.figures.tracking import (
    CHILD_CATEGORIES,
    cases_with_state,
    lapse_days_setting,
    own_row_code,
)
from hehu.figures.tracking.pairings import of_category, pairing_items
from hehu.records import vocab
from hehu.records.gazetteer import root_codes

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Split:
    """A page table splitting the figures of a place-figure family by a key of its own."""

    name: str  # of its shared frames
    family: str  # the place-figure family whose figures the rows at every key add up to
    figures: tuple[str, ...]  # the family's figures it splits (columns 'figure:category')
    categories: tuple[str, ...]  # the family's categories ("" first: every category)
    # (records, period) -> a row per thing counted: place_code, key, a bool column per figure
    # (counted as it) and 'in:CATEGORY' per category (of it)
    items: Callable[[Records, Period], pd.DataFrame]
    over_time: Mapping[str, str]  # per figure, see disclosure.Rules
    additive: tuple[tuple[str, tuple[str, ...]], ...] = ()  # figures that add up in a row
    categories_add_up: bool = False  # a figure of every category is the sum of the categories'

    @property
    def columns(self) -> tuple[str, ...]:
        """The frame's columns: 'figure:category'."""
        return tuple(f"{f}:{c}" for c in self.categories for f in self.figures)


def split_row(place: str, key: str = "") -> str:
    """The row of a place's figures at a key ('code@key'), or at every key ('code@')."""
    return f"{place}@{key}"


def split_frame(records: Records, split: Split, key: str) -> pd.DataFrame:
    """Every place's figures at each key in a period (its page key): a row per place and key,
    one per place at every key, and a parent's own records at a key where there are some."""
    period = period_from_key(key)

    def compute(r: Records) -> pd.DataFrame:
        items = split.items(r, period)
        items = items.assign(key=items["key"].astype(str))  # str even when there are none
        up = items.merge(r.ancestors, left_on="place_code", right_on="code")
        up = pd.concat([up.assign(row=up["ancestor"] + "@" + up["key"]),
                        up.assign(row=up["ancestor"] + "@")])  # fmt: skip
        figures = list(split.figures)
        columns = {}
        for category in split.categories:
            of = up[up[f"in:{category}"]] if category else up
            sums = of[figures].astype("int64").groupby(of["row"]).sum()
            for figure in figures:
                columns[f"{figure}:{category}"] = sums[figure]
        rows = sorted(set(up["row"]))
        frame = pd.DataFrame(columns, index=rows, columns=list(split.columns))
        frame = frame.fillna(0).astype("int64")
        # a parent's own records at a key: the parent there minus its children there
        place, at_key = (pd.Index([row.split("@")[i] for row in frame.index]) for i in (0, 1))
        parent = r.places.set_index("code")["parent_code"].reindex(place).fillna("").to_numpy()
        at = at_key != ""
        child = at & (parent != "")
        kids = frame[child].groupby((parent + "@" + at_key)[child]).sum()
        parents = frame.index[at & place.isin(list(place_tree(r)))]
        own = frame.loc[parents] - kids.reindex(parents).fillna(0)
        own = own[(own != 0).any(axis=1)]
        own.index = [split_row(own_row_code(p.split("@")[0]), p.split("@")[1]) for p in own.index]
        return pd.concat([frame, own]).astype("int64") if len(own) else frame

    return shared_figures(records, split.name, period_key(period), compute)


def split_rules(records: Records, split: Split, rows: pd.Index) -> Rules:
    """The equations of a split's frame: a place at a key is the sum of the places under it
    (and its own records) there, a place at every key the sum of its keys, and the figures'
    own sums within a row."""
    tree, places = place_tree(records), {}
    for row in rows:
        place, key = row.split("@")
        if key and not place.endswith(own_row_code("")):
            places.setdefault(place, []).append(key)
    equations = {}
    for place, keys in places.items():
        equations[split_row(place)] = [split_row(place, key) for key in keys]
        for key in keys if place in tree else ():
            equations[split_row(place, key)] = [split_row(kid, key) for kid in tree[place]]
    categories = split.categories
    additive = [
        (f"{total}:{c}", tuple(f"{p}:{c}" for p in parts))
        for c in categories
        for total, parts in split.additive
    ]
    if split.categories_add_up:
        additive += [(f"{f}:", tuple(f"{f}:{c}" for c in categories[1:])) for f in split.figures]
    return Rules(
        counts=split.columns,
        tree=equations,
        additive=tuple(additive),
        over_time={f"{f}:{c}": split.over_time[f] for f in split.figures for c in categories},
    )


def split_hidden_cells(records: Records, split: Split, keys: list[str]) -> list[pd.DataFrame]:
    """Which of a split's figures are hidden from aggregate-only roles in each of `keys`
    (protected together): a place at every key is its place figure, as hidden among every
    place's (`place_hidden_cells`, `hidden_cells`' elsewhere). Shared like them."""
    cache_key = ("split_hidden_cells", split.name, tuple(keys))
    if cache_key in records._cache:
        return records._cache[cache_key]

    def compute(r: Records) -> pd.DataFrame:
        frames = [split_frame(r, split, k) for k in keys]
        rows = frames[0].index
        for frame in frames[1:]:
            rows = rows.union(frame.index, sort=False)
        rules = split_rules(r, split, rows)
        totals = [row for row in rows if row.endswith("@")]
        places = [row[:-1] for row in totals]
        place_of = pd.Index([row.split("@")[0] for row in rows])
        keyed = ~rows.str.endswith("@") & (place_of + "@").isin(totals)
        there = []
        for frame, mask in zip(frames, place_hidden_cells(r, keys), strict=True):
            marks = pd.DataFrame(0, index=rows, columns=list(rules.counts), dtype="int8")
            values = frame.reindex(rows).fillna(0)
            for column in rules.counts:
                figure, category = column.split(":")
                seen = mask.loc[places, family_column(split.family, figure, category)].to_numpy()
                marks.loc[totals, column] = np.where(seen != 0, seen, SHOWN_ELSEWHERE)
                # a place's only key with any in the column is its place figure too
                counted = keyed & (values[column].to_numpy() != 0)
                one = pd.Series(counted).groupby(place_of).transform("sum").to_numpy() == 1
                only = rows[counted & one]
                marks.loc[only, column] = marks.loc[
                    place_of[counted & one] + "@", column
                ].to_numpy()
            there.append(marks)
        try:
            masks = hidden_cells(frames, rules, period_links(keys), there)
        except RuntimeError as exc:
            # The solver could not protect every count within its rounds (the pairings by
            # organisation of a province of 100 counties): every count of the table hidden
            # keeps the promise and the page, where an error would leave neither.
            _log.warning("%s: every count hidden (%s)", split.name, exc)
            masks = [every_count_hidden(frame.reindex(rows).fillna(0), rules) for frame in frames]
        labels = [f"{p}|{row}" for p, mask in enumerate(masks) for row in mask.index]
        return pd.concat(masks, ignore_index=True).astype("int8").set_axis(labels)

    stacked = shared_figures(records, f"{split.name}_hidden", ";".join(keys), compute)
    records._cache[cache_key] = masks = periods_apart(stacked, len(keys))
    return masks


def split_marks(
    records: Records,
    split: Split,
    period_key: str,
    place: str,
    category: str,
    keys: list[str | None],
    columns: Mapping[str, str],
) -> pd.DataFrame:
    """How a page's table of a place split by key (a row per key, None: the total row; a
    column per table column {column: figure}) is disclosed among every place's and key's
    (`split_hidden_cells`), for `hidden_cells`' elsewhere: a town's table against its
    villages' is the hierarchy, its total row the place's figures."""
    out = pd.DataFrame(SHOWN_ELSEWHERE, index=range(len(keys)), columns=list(columns))
    offered = choosable_periods(records)
    if period_key not in offered:  # every count hidden: see places.disclosed_place_figures
        return pd.DataFrame(SHOWN_AS_COMPLEMENT, index=out.index, columns=out.columns, dtype="int8")
    mask = split_hidden_cells(records, split, offered)[offered.index(period_key)]
    for i, key in enumerate(keys):
        row = split_row(place, "" if key is None else str(key))
        for column, figure in columns.items():
            mark = mask.at[row, f"{figure}:{category}"] if row in mask.index else 0
            out.at[i, column] = mark if mark else SHOWN_ELSEWHERE
    return out.astype("int8")


# --------------------------------------------------------------------------- the splits


def _station_items(records: Records, period: Period) -> pd.DataFrame:
    cases = cases_with_state(records, period.as_of)
    cases = cases[period.contains(cases["received_date"])]
    status = cases["status_as_of"]
    items = {
        "place_code": cases["place_code"],
        "key": cases["org_id"].astype(str),
        "received": np.ones(len(cases), dtype=bool),
        **{f"status_{s}": status == s for s in ("resolved", "referred")},
        "open": status == "open",
    }
    items |= {f"in:{c}": cases["category"] == c for c in vocab.CASE_CATEGORIES}
    return pd.DataFrame(items, index=cases.index)


# The cases page's table by station: cases received under a place by each station or studio
# (its org id), as the case family counts them
STATIONS = Split(
    "place_station_cases",
    "case",
    ("received", "status_resolved", "status_referred", "open"),
    ("", *vocab.CASE_CATEGORIES),
    _station_items,
    over_time={
        "received": "dated",
        "status_resolved": "dated",
        "status_referred": "dated",
        "open": "derived",
    },  # fmt: skip
    additive=(("received", ("status_resolved", "status_referred", "open")),),
    categories_add_up=True,
)
# The table by station's columns: {page column: the case family's figure}
STATION_COLUMNS = {"received": "received", "resolved": "status_resolved"}
STATION_COLUMNS |= {"referred": "status_referred", "open": "open"}


def disclosed_station_cases(records: Records, period_key: str, role: str) -> pd.Series:
    """Cases each station or studio received in a period as a role may see them (no total is
    shown beside them). A station's count is the top place's row of it in the cases page's
    table by station, so it is disclosed as there (`STATIONS`); a station whose cases lie
    under two top places is hidden with either of its rows."""
    cache_key = ("disclosed_station_cases", period_key, role)
    if cache_key not in records._cache:
        frame = shared_station_cases(records, period_key)
        rules = Rules(counts=("cases_received",))
        offered = choosable_periods(records)
        if sees_exact_counts(role) or period_key not in offered:  # see disclosed_place_figures
            hidden = every_count_hidden(frame, rules)
        else:
            mask = split_hidden_cells(records, STATIONS, offered)[offered.index(period_key)]
            orgs = frame.index.astype(str)
            marks = np.zeros(len(frame), dtype="int8")
            for top in root_codes(records.places):
                rows = [split_row(top, org) for org in orgs]
                seen = mask["received:"].reindex(rows).fillna(0).to_numpy(dtype="int8")
                marks = np.maximum(marks, seen)  # a complement over a small cell
            hidden = pd.DataFrame({"cases_received": marks}, index=frame.index)
        records._cache[cache_key] = shown_frame(frame, hidden, rules, role)["cases_received"]
    return records._cache[cache_key]


def pairing_org_key(org_id, support_type: str) -> str:
    """The key of an organisation's pairings of a support type: 'org|type'."""
    return f"{org_id}|{support_type}"


def _pairing_items(records: Records, period: Period) -> pd.DataFrame:
    items = pairing_items(records, period, lapse_days_setting())
    out = items[["place_code", "lapsed", "started", "ended"]].copy()
    for category in CHILD_CATEGORIES:
        out[f"in:{category}"] = out.index.isin(of_category(records, items, category).index)
    return out


def _pairing_org_items(records: Records, period: Period) -> pd.DataFrame:
    items = pairing_items(records, period, lapse_days_setting())
    out = _pairing_items(records, period)
    out["key"] = [
        pairing_org_key(o, t) for o, t in zip(items["org_id"], items["support_type"], strict=True)
    ]
    return out


def _pairing_month_items(records: Records, period: Period) -> pd.DataFrame:
    items = pairing_items(records, period, lapse_days_setting())
    out = _pairing_items(records, period)
    started = out[out["started"]].assign(ended=False)
    ended = out[out["ended"]].assign(started=False)
    started["key"] = items.loc[started.index, "start_date"].dt.to_period("M").astype(str)
    ended["key"] = items.loc[ended.index, "end_date"].dt.to_period("M").astype(str)
    return pd.concat([started, ended], ignore_index=True)


# The pairings page's table by organisation and support type (lapsed on the period's last day,
# started and ended in it) and its table by month (started and ended): a child may be of both
# categories, so the categories do not add up
PAIRINGS_BY_ORG = Split(
    "place_pairings_by_org",
    "pairing",
    ("lapsed", "started", "ended"),
    ("", *CHILD_CATEGORIES),
    _pairing_org_items,
    over_time={"lapsed": "state", "started": "dated", "ended": "dated"},
)
PAIRINGS_BY_MONTH = Split(
    "place_pairings_by_month",
    "pairing",
    ("started", "ended"),
    ("", *CHILD_CATEGORIES),
    _pairing_month_items,
    over_time={"started": "dated", "ended": "dated"},
)
SPLITS = (STATIONS, PAIRINGS_BY_ORG, PAIRINGS_BY_MONTH)
