"""What the tracking tables share: the places under a place, a place's rows (its children,
its own records, its total), names, months and denominators."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from hehu.figures.metrics import (
    Period,
    Records,
    roll,
)
from hehu.records import vocab
from hehu.records.gazetteer import codes_under

LAPSE_DAYS_ENV = "HEHU_LAPSE_DAYS"
DUE_SOON_DAYS = 7
CHILD_CATEGORIES = ("left_behind_child", "child_in_difficulty")
# The campaigns a town is expected to hold something for (the source's four named campaigns).
NAMED_CAMPAIGNS = ("womens_rights_week", "family_day", "anti_drug_day", "shouhu_huakai")
FOLLOW_UP_STATUSES = ("done", "overdue", "due_soon", "later")


# --------------------------------------------------------------------------- places


def lapse_days_setting() -> int:
    """Days without contact after which a pairing counts as lapsed: $HEHU_LAPSE_DAYS or 90."""
    try:
        days = int(os.environ.get(LAPSE_DAYS_ENV, vocab.LAPSE_DAYS_DEFAULT))
    except ValueError:
        return vocab.LAPSE_DAYS_DEFAULT
    return days if days > 0 else vocab.LAPSE_DAYS_DEFAULT


def places_under(records: Records, code: str) -> set[str]:
    """A place and every place under it."""
    return codes_under(records.places, records.check_place(code))


def child_codes(records: Records, code: str) -> list[str]:
    """The places directly under a place, in gazetteer order."""
    places = records.places
    return sorted(places.loc[places["parent_code"] == code, "code"])


def township_of(records: Records) -> pd.Series:
    """Place code -> the code of the township (town or subdistrict) it lies in, where there is one."""
    places = records.places.set_index("code")
    anc = records.ancestors
    towns = anc[anc["ancestor"].map(places["level"]).isin(vocab.TOWNSHIP_LEVELS)]
    return towns.drop_duplicates("code").set_index("code")["ancestor"]


def place_names(records: Records, codes: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The name of each place and of its township (empty where it has none)."""
    names = records.places.set_index("code")["name"]
    town = codes.map(township_of(records))
    return codes.map(names), town.map(names).fillna("")


def own_row_code(code: str) -> str:
    """The index label of the row for records placed at a place itself, not under a child."""
    return f"{code}#own"


def breakdown(
    records: Records,
    code: str,
    figures: pd.DataFrame,
    *,
    rates: dict[str, tuple[str, str, float]] | None = None,
) -> pd.DataFrame:
    """Rows of a per-place figure frame for a place's children, then the place itself as the total.

    Records can sit at the place itself (an event held at the town, not in a village): they get
    their own row, so every count of the `is_total` row is exactly the sum of the rows above it.
    `rates` {column: (numerator, denominator, factor)} recomputes rate columns for that row.
    """
    records.check_place(code)
    children = child_codes(records, code)
    places = records.places.set_index("code")
    out = figures.reindex([*children, code]).copy()
    out.insert(0, "name", places["name"].reindex(out.index).to_numpy())
    out.insert(1, "level", places["level"].reindex(out.index).to_numpy())
    out.insert(
        2, "key_village", places["key_village"].reindex(out.index).fillna(False).astype(bool)
    )
    out["is_own"] = False
    if children:
        rates = rates or {}
        counts = [
            c
            for c in figures.columns
            if c not in rates and pd.api.types.is_integer_dtype(figures[c])
        ]
        own = figures.loc[code, counts] - figures.loc[children, counts].sum()
        if (own != 0).any():
            row = pd.Series(np.nan, index=out.columns, dtype=object)
            row[counts] = own
            for column, (numerator, denominator, factor) in rates.items():
                row[column] = (
                    own[numerator] / own[denominator] * factor if own[denominator] else np.nan
                )
            row["name"], row["level"] = places.at[code, "name"], places.at[code, "level"]
            row["key_village"], row["is_own"] = False, True
            out.loc[own_row_code(code)] = row
            out = out.reindex([*children, own_row_code(code), code])
            out[counts] = out[counts].astype("int64")
    out["is_total"] = out.index == code
    out.index.name = "code"
    return out


def village_denominator(records: Records, column: str) -> pd.Series:
    """A population column of the villages rolled up; NaN where no village under has a value.

    Only village-level places are summed: a town's own figure, if a register gave one, would
    count its villages' children twice.
    """
    places = records.places
    known = places[places["level"].isin(vocab.VILLAGE_LEVELS) & places[column].notna()]
    known = known.assign(_value=known[column].astype("int64"))
    total = roll(records, known, "code", value="_value")
    counted = roll(records, known, "code")
    return total.where(counted > 0).astype("float64")


def has_any(categories: pd.Series, wanted) -> pd.Series:
    """Which categories lists hold any of `wanted`."""
    wanted = set(wanted)
    return categories.map(lambda c: bool(set(vocab.split_keys(c)) & wanted)).astype(bool)


def months_of(period: Period, dates: pd.Series) -> pd.PeriodIndex:
    """The months a monthly series covers: the period, or the data's span where it is open."""
    dates = dates.dropna()
    start = period.start if period.start is not None else (dates.min() if len(dates) else None)
    end = period.end if period.end is not None else (dates.max() if len(dates) else None)
    if start is None or end is None or start > end:
        return pd.PeriodIndex([], freq="M", name="month")
    return pd.period_range(start, end, freq="M", name="month")


def org_names(records: Records) -> pd.Series:
    """Organisation id -> name."""
    return records["org"].set_index("org_id")["name"]
