"""Gaps a deputy should ask about: key villages with no course, unpaired children, overdue visits."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hehu.figures.metrics import (
    Period,
    Records,
    is_left_behind_child,
    isin_values,
    release_arrow_memory,
    roll,
    running_pairings,
    take_at,
)

GAP_COLUMNS = ["no_course", "unpaired_left_behind", "overdue_follow_ups"]


def overdue_follow_ups(records: Records, as_of: pd.Timestamp) -> pd.DataFrame:
    """Visits whose follow-up was due before `as_of` with no later visit to the household."""
    visits = records["visit"]
    is_due = (visits["follow_up_due"].notna() & (visits["follow_up_due"] < as_of)).to_numpy()
    due = visits[is_due]
    if due.empty:
        return due.assign(place_code=pd.Series(dtype=str))
    # Done if the household's latest visit up to `as_of` is after the due visit's day: the
    # same as looking for any such later visit, without joining every visit to every other.
    # Households are told apart by their id as written on the visits (a missing id is one):
    # by their row in the household table when every visit's household is there (ids are
    # unique there; the positions are cached for the metrics anyway), else by the ids.
    home = records._row_pos("visit", "household_id", "household", "household_id")
    if (home >= 0).all():
        household = home
    else:
        household, _ = pd.factorize(visits["household_id"], use_na_sentinel=False)
    dates = visits["date"].to_numpy()
    if not np.issubdtype(dates.dtype, np.datetime64):
        dates = pd.to_datetime(dates).to_numpy()
    day = dates.astype("datetime64[s]").view("int64")
    visited = ~np.isnat(dates) & (dates <= np.datetime64(as_of))
    latest = np.full(household.max() + 1, np.iinfo("int64").min, dtype="int64")
    np.maximum.at(latest, household[visited], day[visited])
    done = (latest[household[is_due]] > day[is_due]) & ~np.isnat(dates[is_due])
    out = due[~done].copy()
    home = home[is_due][~done]
    out["place_code"] = take_at(records["household"]["place_code"], home, out.index)
    return out


def unpaired_left_behind(records: Records, as_of: pd.Timestamp) -> pd.DataFrame:
    """Registered left-behind children with no pairing running on `as_of`."""
    persons = records["person"]
    # a numpy mask: with no persons it is an empty bool array, never taken for column labels
    left_behind = persons[records._flags("person", "categories", is_left_behind_child)]
    running, _, _ = running_pairings(records, as_of)
    paired = records["pairing"]["person_id"][running]
    return left_behind[~isin_values(left_behind["person_id"], paired)]


def gaps_by_place(records: Records, period: Period) -> pd.DataFrame:
    """Per place: key villages under it with no course, unpaired children, overdue follow-ups."""
    as_of = period.as_of
    places = records.places
    courses = records["course"]
    held = courses.loc[period.contains(courses["date"]), "place_code"]
    keys = places[places["key_village"].astype(bool)]
    no_course = keys[~isin_values(keys["code"], held)][["code"]]
    frame = pd.DataFrame(
        {
            "no_course": roll(records, no_course, "code"),
            "unpaired_left_behind": roll(
                records, unpaired_left_behind(records, as_of), "place_code"
            ),
            "overdue_follow_ups": roll(records, overdue_follow_ups(records, as_of), "place_code"),
        }
    )
    frame["has_gap"] = frame[GAP_COLUMNS].sum(axis=1) > 0
    release_arrow_memory()
    return frame
