"""Gaps a deputy should ask about: key villages with no course, unpaired children, overdue
follow-ups."""

from __future__ import annotations

import pandas as pd

from hehu.figures.metrics import (
    Period,
    Records,
    is_left_behind_child,
    isin_values,
    release_arrow_memory,
    roll,
    running_pairings,
)
from hehu.figures.tracking.visits import follow_up_figures

GAP_COLUMNS = ["no_course", "unpaired_left_behind", "overdue_follow_ups"]


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
            # The visits page's overdue follow-ups (visits' and screenings'): one rule, so the
            # map's gap and that page never give two counts of one thing.
            "overdue_follow_ups": follow_up_figures(records, period)["overdue"],
        }
    )
    frame["has_gap"] = frame[GAP_COLUMNS].sum(axis=1) > 0
    release_arrow_memory()
    return frame
