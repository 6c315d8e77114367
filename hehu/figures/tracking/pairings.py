"""Pairings (结对帮扶): children registered and paired, lapsed pairings, by organisation and month."""

from __future__ import annotations

import pandas as pd

from hehu.figures.metrics import (
    Period,
    Records,
    active_pairings,
    rate_of,
    roll,
    with_place,
)
from hehu.figures.tracking.common import (
    CHILD_CATEGORIES,
    has_any,
    lapse_days_setting,
    months_of,
    org_names,
    place_names,
    places_under,
    village_denominator,
)

# --------------------------------------------------------------------------- pairings


def children_registered(records: Records, category: str = "") -> pd.DataFrame:
    """Registered children of a category (left-behind or in difficulty; '' for either)."""
    wanted = (category,) if category else CHILD_CATEGORIES
    persons = records["person"]
    return persons[has_any(persons["categories"], wanted)]


def _pairings(records: Records, category: str = "") -> pd.DataFrame:
    """Pairings with their place; only those of children in a category when one is given."""
    pairings = with_place(records["pairing"], records.person_place, "person_id")
    if category:
        pairings = pairings[
            pairings["person_id"].isin(children_registered(records, category)["person_id"])
        ]
    return pairings


def _overlapping(pairings: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Pairings that ran on at least one day of the period."""
    mask = pd.Series(True, index=pairings.index)
    if period.end is not None:
        mask &= pairings["start_date"] <= period.end
    if period.start is not None:
        mask &= pairings["end_date"].isna() | (pairings["end_date"] >= period.start)
    return pairings[mask]


def active_of(records: Records, as_of: pd.Timestamp, category: str = "") -> pd.DataFrame:
    """Pairings running on a day, of children in a category (all when '')."""
    active = active_pairings(records, as_of)
    if category:
        active = active[
            active["person_id"].isin(children_registered(records, category)["person_id"])
        ]
    return active


def pairing_coverage(records: Records, period: Period, category: str = "") -> pd.DataFrame:
    """Per place: children registered, with an active pairing on the period's last day, unpaired.

    `paired_in_period` counts children with a pairing running on any day of the period (the
    metric left_behind_children_paired); `population` is the villages' own count of left-behind
    children, where the gazetteer has one, to set the register against.
    """
    kids = children_registered(records, category)
    active_ids = set(active_of(records, period.as_of)["person_id"])
    in_period_ids = set(_overlapping(_pairings(records), period)["person_id"])
    registered = roll(records, kids, "place_code")
    paired = roll(records, kids[kids["person_id"].isin(active_ids)], "place_code")
    frame = pd.DataFrame(
        {
            "registered": registered,
            "paired": paired,
            "unpaired": registered - paired,
            "coverage": rate_of(paired, registered),
            "paired_in_period": roll(
                records, kids[kids["person_id"].isin(in_period_ids)], "place_code"
            ),
        }
    )
    if category == "left_behind_child":
        frame["population"] = village_denominator(records, "left_behind_children")
    return frame


def unpaired_rows(records: Records, period: Period, place: str, category: str = "") -> pd.DataFrame:
    """Registered children under a place with no pairing running on the period's last day."""
    as_of = period.as_of
    kids = children_registered(records, category)
    kids = kids[kids["place_code"].isin(places_under(records, place))]
    active_ids = set(active_of(records, as_of)["person_id"])
    out = kids[~kids["person_id"].isin(active_ids)].copy()
    # A child whose pairing ended is the case to chase first: show when and with whom.
    pairings = records["pairing"]
    ended = pairings[pairings["end_date"].notna() & (pairings["end_date"] < as_of)]
    last = ended.sort_values("end_date").drop_duplicates("person_id", keep="last")
    last = last.set_index("person_id")
    # reindex, not map: pandas 3 cannot map onto datetimes when no key matches
    out["last_pairing_end"] = last["end_date"].reindex(out["person_id"]).to_numpy()
    out["last_org"] = out["person_id"].map(last["org_id"].map(org_names(records)))
    out["age"] = as_of.year - out["birth_year"]
    out["place_name"], out["town_name"] = place_names(records, out["place_code"])
    columns = [
        "person_id",
        "household_id",
        "place_code",
        "place_name",
        "town_name",
        "sex",
        "age",
        "categories",
        "last_pairing_end",
        "last_org",
    ]
    return out[columns].sort_values(["town_name", "place_name", "person_id"]).reset_index(drop=True)


def pairing_figures(
    records: Records, period: Period, lapse_days: int, category: str = ""
) -> pd.DataFrame:
    """Per place: pairings running on the period's last day, those lapsed (no contact > N days),
    and pairings started and ended in the period (`pairing_items`)."""
    items = of_category(records, pairing_items(records, period, lapse_days), category)
    counts = ("active", "lapsed", "started", "ended")
    return pd.DataFrame({c: roll(records, items[items[c]], "place_code") for c in counts})


def pairing_items(records: Records, period: Period, lapse_days: int) -> pd.DataFrame:
    """Every pairing with its place, organisation and support type and what it counts as in a
    period: running on its last day (active), active with no contact for more than
    `lapse_days` days (lapsed), started and ended in it (all time is the sum of the years).
    The one definition of the pairings page's tables and of the place figures they repeat."""

    def build() -> pd.DataFrame:
        pairings = _pairings(records)
        active = active_of(records, period.as_of)
        lapsed = active["pairing_id"][active["days_since_contact"] > lapse_days]
        return pd.DataFrame(
            {
                "pairing_id": pairings["pairing_id"],
                "person_id": pairings["person_id"],
                "place_code": pairings["place_code"],
                "org_id": pairings["org_id"],
                "support_type": pairings["support_type"],
                "start_date": pairings["start_date"],
                "end_date": pairings["end_date"],
                "active": pairings["pairing_id"].isin(active["pairing_id"]),
                "lapsed": pairings["pairing_id"].isin(lapsed),
                "started": period.contains(pairings["start_date"]),
                "ended": period.contains(pairings["end_date"]),
            }
        )

    return records.cached(("pairing_items", period, lapse_days), build)


def of_category(records: Records, items: pd.DataFrame, category: str = "") -> pd.DataFrame:
    """The pairings of `items` of children in a category (all when '')."""
    if not category:
        return items
    return items[items["person_id"].isin(children_registered(records, category)["person_id"])]


def lapsed_rows(
    records: Records, period: Period, place: str, lapse_days: int, category: str = ""
) -> pd.DataFrame:
    """Running pairings under a place with no contact for more than `lapse_days` days."""
    active = active_of(records, period.as_of, category)
    out = active[
        (active["days_since_contact"] > lapse_days)
        & active["place_code"].isin(places_under(records, place))
    ].copy()
    out["org_name"] = out["org_id"].map(org_names(records))
    out["place_name"], out["town_name"] = place_names(records, out["place_code"])
    columns = [
        "pairing_id",
        "person_id",
        "org_name",
        "support_type",
        "place_name",
        "town_name",
        "start_date",
        "last_contact",
        "days_since_contact",
    ]
    return out[columns].sort_values("days_since_contact", ascending=False).reset_index(drop=True)


def pairings_by_org(
    records: Records, period: Period, place: str, lapse_days: int, category: str = ""
) -> pd.DataFrame:
    """Pairings under a place by organisation and support type: active, lapsed, started, ended."""
    items = of_category(records, pairing_items(records, period, lapse_days), category)
    items = items[items["place_code"].isin(places_under(records, place))]
    parts = ["active", "lapsed", "started", "ended"]
    counts = items.groupby(["org_id", "support_type"])[parts].sum()
    counts = counts[(counts > 0).any(axis=1)]
    if counts.empty:
        return pd.DataFrame(columns=["org_id", "org_name", "support_type", *parts])
    out = counts.astype("int64").reset_index()
    out.insert(1, "org_name", out["org_id"].map(org_names(records)))
    return out.sort_values(["org_name", "support_type"]).reset_index(drop=True)


def pairing_flow(records: Records, period: Period, place: str, category: str = "") -> pd.DataFrame:
    """Per month: pairings started, ended (`pairing_items`), and running at the month's end (or
    the period's end)."""
    items = of_category(records, pairing_items(records, period, lapse_days_setting()), category)
    items = items[items["place_code"].isin(places_under(records, place))]
    months = months_of(period, pd.concat([items["start_date"], items["end_date"]]))
    started = items.loc[items["started"], "start_date"].dt.to_period("M").value_counts()
    ended = items.loc[items["ended"], "end_date"].dt.to_period("M").value_counts()
    rows = []
    for month in months:
        month_end = min(month.end_time.normalize(), period.as_of)
        rows.append(
            {
                "month": str(month),
                "started": int(started.get(month, 0)),
                "ended": int(ended.get(month, 0)),
                "running": int(
                    (
                        (items["start_date"] <= month_end)
                        & (items["end_date"].isna() | (items["end_date"] >= month_end))
                    ).sum()
                ),
            }
        )
    return pd.DataFrame(rows, columns=["month", "started", "ended", "running"])
