"""Gaps a deputy should ask about: key villages with no course, unpaired children, overdue visits."""

from __future__ import annotations

import pandas as pd

from . import vocab
from .metrics import Period, Records, _roll, active_pairings

GAP_COLUMNS = ["no_course", "unpaired_left_behind", "overdue_follow_ups"]


def overdue_follow_ups(records: Records, as_of: pd.Timestamp) -> pd.DataFrame:
    """Visits whose follow-up was due before `as_of` with no later visit to the household."""
    visits = records["visit"]
    due = visits[visits["follow_up_due"].notna() & (visits["follow_up_due"] < as_of)]
    if due.empty:
        return due.assign(place_code=pd.Series(dtype=str))
    later = visits[["household_id", "date"]].rename(columns={"date": "later_date"})
    joined = due.merge(later, on="household_id")
    done = joined[(joined["later_date"] > joined["date"]) & (joined["later_date"] <= as_of)]
    out = due[~due["visit_id"].isin(set(done["visit_id"]))].copy()
    out["place_code"] = out["household_id"].map(records.household_place)
    return out


def unpaired_left_behind(records: Records, as_of: pd.Timestamp) -> pd.DataFrame:
    """Registered left-behind children with no pairing running on `as_of`."""
    persons = records["person"]
    # astype(bool): with no persons the mask is an empty object Series, which pandas would take
    # for a list of column labels.
    left_behind = persons[
        persons["categories"].map(lambda c: "left_behind_child" in vocab.split_keys(c)).astype(bool)
    ]
    paired = set(active_pairings(records, as_of)["person_id"])
    return left_behind[~left_behind["person_id"].isin(paired)]


def gaps_by_place(records: Records, period: Period) -> pd.DataFrame:
    """Per place: key villages under it with no course, unpaired children, overdue follow-ups."""
    as_of = period.as_of
    places = records.places
    courses = records["course"]
    held = set(courses.loc[period.contains(courses["date"]), "place_code"])
    keys = places[places["key_village"].astype(bool)]
    no_course = keys[~keys["code"].isin(held)][["code"]]
    frame = pd.DataFrame(
        {
            "no_course": _roll(records, no_course, "code"),
            "unpaired_left_behind": _roll(
                records, unpaired_left_behind(records, as_of), "place_code"
            ),
            "overdue_follow_ups": _roll(records, overdue_follow_ups(records, as_of), "place_code"),
        }
    )
    frame["has_gap"] = frame[GAP_COLUMNS].sum(axis=1) > 0
    return frame
