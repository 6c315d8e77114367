"""Which places an overview draws: a county's towns and key villages, or a province's parts.

A county overview shows its towns, subdistricts and key villages. Above a county (a city or a
province) that would be tens of thousands of markers, so the overview of a region shows one marker
per place right below it, each carrying the figures of everything under it; picking one opens its
own overview. Nothing here is specific to one county: the levels come from the gazetteer.
"""

from __future__ import annotations

import pandas as pd

from . import vocab
from .errors import UnknownPlace


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
    for up in reversed(chain(places, code)):
        if _level(places, up) == "county":
            return up
    return chain(places, code)[0]  # a gazetteer with no county level: its top


def descendants(ancestors: pd.DataFrame, code: str) -> pd.Index:
    """Codes of every place under `code` (not itself), from an ancestors table."""
    under = ancestors.loc[(ancestors["ancestor"] == code) & (ancestors["code"] != code), "code"]
    return pd.Index(under.unique())


def map_places(places: pd.DataFrame, ancestors: pd.DataFrame, area: str) -> pd.DataFrame:
    """The places an overview of `area` draws, with a position for each where one can be had.

    A region: the places right below it; one without coordinates is put at the middle of the
    located places under it and marked approximate. A county (or anything under one): the
    county's towns, subdistricts and key villages.
    """
    if is_region(places, area):
        shown = places[places["parent_code"] == area].copy()
        missing = shown["lat"].isna() | shown["lon"].isna()
        if missing.any():
            located = places[places["lat"].notna() & places["lon"].notna()].set_index("code")
            for i in shown.index[missing]:
                under = descendants(ancestors, shown.at[i, "code"]).intersection(located.index)
                if len(under):
                    shown.at[i, "lat"] = float(located.loc[under, "lat"].mean())
                    shown.at[i, "lon"] = float(located.loc[under, "lon"].mean())
                    shown.at[i, "coord_quality"] = "approximate"
        return shown
    county = overview_county(places, area)
    under = descendants(ancestors, county)
    inside = places[places["code"].isin(under)]
    return inside[inside["level"].isin(vocab.TOWNSHIP_LEVELS) | inside["key_village"].astype(bool)]
