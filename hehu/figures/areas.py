"""Which places an overview draws: a county's towns and key villages, or a province's parts.

A county overview shows its towns, subdistricts and key villages. Above a county (a city or a
province) that would be tens of thousands of markers, so the overview of a region shows one marker
per place right below it, each carrying the figures of everything under it; picking one opens its
own overview. Nothing here is specific to one county: the levels come from the gazetteer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hehu.errors import UnknownPlace
from hehu.figures.metrics import Records, positions
from hehu.records import vocab
from hehu.records.gazetteer import county_of


def is_region(places: pd.DataFrame, code: str) -> bool:
    """Whether a place lies above county level (its overview shows the places below it)."""
    return _level(places, code) in vocab.REGION_LEVELS


def _level(places: pd.DataFrame, code: str) -> str:
    match = places.loc[places["code"] == code, "level"]
    if match.empty:
        raise UnknownPlace(code)
    return str(match.iloc[0])


def chain(places: pd.DataFrame, code: str) -> list[str]:
    """The codes from the top of the gazetteer down to `code` (for a breadcrumb)."""
    parent = places.set_index("code")["parent_code"]
    if code not in parent.index:
        raise UnknownPlace(code)
    out = [code]
    while pd.notna(parent.get(out[-1])) and parent[out[-1]] in parent.index:
        out.append(parent[out[-1]])
        if len(out) > len(parent):  # a loop in the gazetteer: stop rather than hang
            break
    return out[::-1]


def overview_county(places: pd.DataFrame, code: str) -> str:
    """The county whose towns an overview of `code` draws: itself, or the county above it."""
    return county_of(places, code)


def descendant_rows(records: Records, code: str) -> np.ndarray:
    """Row positions in the gazetteer of every place under `code` (not itself), in order.

    Walked down from `code` level by level over integer parent positions: a page that only shows
    an area needs neither the ancestors table nor any record (at 100 counties the tree alone took
    0.14 s of a 0.4 s page).
    """
    try:
        at = records.place_index.get_loc(code)
    except KeyError:
        raise UnknownPlace(code) from None
    parent = _parent_rows(records)
    inside = np.zeros(len(parent), dtype=bool)
    frontier = np.array([at])
    while len(frontier):
        children = np.isin(parent, frontier) & ~inside  # ~inside: a loop in the data ends here
        children[at] = False
        inside |= children
        frontier = np.flatnonzero(children)
    return np.flatnonzero(inside)


def _parent_rows(records: Records) -> np.ndarray:
    """Each place's parent as a row position (-1 for none), once per snapshot."""
    places = records.places
    return records.cached(
        ("areas", "parent_rows"), lambda: positions(places["parent_code"], places["code"])
    )


def descendant_codes(records: Records, code: str) -> pd.Index:
    """Codes of every place under `code` (not itself)."""
    return pd.Index(records.places["code"].to_numpy()[descendant_rows(records, code)])


def map_places(records: Records, area: str) -> pd.DataFrame:
    """The places an overview of `area` draws, with a position for each where one can be had.

    A region: the places right below it; one without coordinates is put at the middle of the
    located places under it and marked approximate. A county (or anything under one): the
    county's towns, subdistricts and key villages.
    """
    places = records.places
    if is_region(places, area):
        shown = places[places["parent_code"] == area].copy()
        for i in shown.index[(shown["lat"].isna() | shown["lon"].isna()).to_numpy()]:
            under = places.iloc[descendant_rows(records, shown.at[i, "code"])]
            under = under[under["lat"].notna() & under["lon"].notna()]
            if len(under):
                shown.at[i, "lat"] = float(under["lat"].mean())
                shown.at[i, "lon"] = float(under["lon"].mean())
                shown.at[i, "coord_quality"] = "approximate"
        return shown
    inside = places.iloc[descendant_rows(records, overview_county(places, area))]
    return inside[
        (
            inside["level"].isin(vocab.TOWNSHIP_LEVELS) | inside["key_village"].astype(bool)
        ).to_numpy()
    ]
