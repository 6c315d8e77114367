"""Tracking: pairings, girls' protection courses, visits and screening, cases and legal campaigns.

Pure pandas over `Records`. Every per-place figure is rolled up the hierarchy with `metrics._roll`,
the roll-up the metrics use, so a town's figure is the sum of what lies under it and agrees with
`metrics_by_place` wherever both exist. Functions named `*_rows` return pseudonymous person-level
rows (children, households, pairings, cases): pages show those to staff only.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from . import vocab
from .gazetteer import descendants
from .metrics import (
    Period,
    Records,
    _rate,
    _roll,
    _with_place,
    active_pairings,
    high_risk_without_follow_up,
)

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
    return descendants(records.places, records.check_place(code))


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


def _place_names(records: Records, codes: pd.Series) -> tuple[pd.Series, pd.Series]:
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


def _denominator(records: Records, column: str) -> pd.Series:
    """A population column of the villages rolled up; NaN where no village under has a value.

    Only village-level places are summed: a town's own figure, if a register gave one, would
    count its villages' children twice.
    """
    places = records.places
    known = places[places["level"].isin(vocab.VILLAGE_LEVELS) & places[column].notna()]
    known = known.assign(_value=known[column].astype("int64"))
    total = _roll(records, known, "code", value="_value")
    counted = _roll(records, known, "code")
    return total.where(counted > 0).astype("float64")


def _has_any(categories: pd.Series, wanted) -> pd.Series:
    wanted = set(wanted)
    return categories.map(lambda c: bool(set(vocab.split_keys(c)) & wanted)).astype(bool)


def _months(period: Period, dates: pd.Series) -> pd.PeriodIndex:
    """The months a monthly series covers: the period, or the data's span where it is open."""
    dates = dates.dropna()
    start = period.start if period.start is not None else (dates.min() if len(dates) else None)
    end = period.end if period.end is not None else (dates.max() if len(dates) else None)
    if start is None or end is None or start > end:
        return pd.PeriodIndex([], freq="M", name="month")
    return pd.period_range(start, end, freq="M", name="month")


# --------------------------------------------------------------------------- pairings


def children_registered(records: Records, category: str = "") -> pd.DataFrame:
    """Registered children of a category (left-behind or in difficulty; '' for either)."""
    wanted = (category,) if category else CHILD_CATEGORIES
    persons = records["person"]
    return persons[_has_any(persons["categories"], wanted)]


def _pairings(records: Records, category: str = "") -> pd.DataFrame:
    """Pairings with their place; only those of children in a category when one is given."""
    pairings = _with_place(records["pairing"], records.person_place, "person_id")
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


def _active(records: Records, as_of: pd.Timestamp, category: str = "") -> pd.DataFrame:
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
    active_ids = set(_active(records, period.as_of)["person_id"])
    in_period_ids = set(_overlapping(_pairings(records), period)["person_id"])
    registered = _roll(records, kids, "place_code")
    paired = _roll(records, kids[kids["person_id"].isin(active_ids)], "place_code")
    frame = pd.DataFrame(
        {
            "registered": registered,
            "paired": paired,
            "unpaired": registered - paired,
            "coverage": _rate(paired, registered),
            "paired_in_period": _roll(
                records, kids[kids["person_id"].isin(in_period_ids)], "place_code"
            ),
        }
    )
    if category == "left_behind_child":
        frame["population"] = _denominator(records, "left_behind_children")
    return frame


def unpaired_rows(records: Records, period: Period, place: str, category: str = "") -> pd.DataFrame:
    """Registered children under a place with no pairing running on the period's last day."""
    as_of = period.as_of
    kids = children_registered(records, category)
    kids = kids[kids["place_code"].isin(places_under(records, place))]
    active_ids = set(_active(records, as_of)["person_id"])
    out = kids[~kids["person_id"].isin(active_ids)].copy()
    # A child whose pairing ended is the case to chase first: show when and with whom.
    pairings = records["pairing"]
    ended = pairings[pairings["end_date"].notna() & (pairings["end_date"] < as_of)]
    last = ended.sort_values("end_date").drop_duplicates("person_id", keep="last")
    last = last.set_index("person_id")
    # reindex, not map: pandas 3 cannot map onto datetimes when no key matches
    out["last_pairing_end"] = last["end_date"].reindex(out["person_id"]).to_numpy()
    out["last_org"] = out["person_id"].map(last["org_id"].map(_org_names(records)))
    out["age"] = as_of.year - out["birth_year"]
    out["place_name"], out["town_name"] = _place_names(records, out["place_code"])
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


def _org_names(records: Records) -> pd.Series:
    return records["org"].set_index("org_id")["name"]


def pairing_figures(
    records: Records, period: Period, lapse_days: int, category: str = ""
) -> pd.DataFrame:
    """Per place: pairings running on the period's last day and those lapsed (no contact > N days)."""
    active = _active(records, period.as_of, category)
    lapsed = active[active["days_since_contact"] > lapse_days]
    return pd.DataFrame(
        {
            "active": _roll(records, active, "place_code"),
            "lapsed": _roll(records, lapsed, "place_code"),
        }
    )


def lapsed_rows(
    records: Records, period: Period, place: str, lapse_days: int, category: str = ""
) -> pd.DataFrame:
    """Running pairings under a place with no contact for more than `lapse_days` days."""
    active = _active(records, period.as_of, category)
    out = active[
        (active["days_since_contact"] > lapse_days)
        & active["place_code"].isin(places_under(records, place))
    ].copy()
    out["org_name"] = out["org_id"].map(_org_names(records))
    out["place_name"], out["town_name"] = _place_names(records, out["place_code"])
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
    under = places_under(records, place)
    active = _active(records, period.as_of, category)
    active = active[active["place_code"].isin(under)]
    pairings = _pairings(records, category)
    pairings = pairings[pairings["place_code"].isin(under)]
    keys = ["org_id", "support_type"]
    parts = {
        "active": active,
        "lapsed": active[active["days_since_contact"] > lapse_days],
        "started": pairings[period.contains(pairings["start_date"])],
        "ended": pairings[period.contains(pairings["end_date"])],
    }
    counts = pd.concat({name: part.groupby(keys).size() for name, part in parts.items()}, axis=1)
    if counts.empty:
        return pd.DataFrame(columns=["org_id", "org_name", "support_type", *parts])
    out = counts.fillna(0).astype("int64").reset_index()
    out.insert(1, "org_name", out["org_id"].map(_org_names(records)))
    return out.sort_values(["org_name", "support_type"]).reset_index(drop=True)


def pairing_flow(records: Records, period: Period, place: str, category: str = "") -> pd.DataFrame:
    """Per month: pairings started, ended, and running at the month's end (or the period's end)."""
    pairings = _pairings(records, category)
    pairings = pairings[pairings["place_code"].isin(places_under(records, place))]
    months = _months(period, pd.concat([pairings["start_date"], pairings["end_date"]]))
    start_month = pairings["start_date"].dt.to_period("M")
    end_month = pairings["end_date"].dt.to_period("M")
    rows = []
    for month in months:
        month_end = min(month.end_time.normalize(), period.as_of)
        rows.append(
            {
                "month": str(month),
                "started": int(
                    ((start_month == month) & (pairings["start_date"] <= month_end)).sum()
                ),
                "ended": int(((end_month == month) & (pairings["end_date"] <= month_end)).sum()),
                "running": int(
                    (
                        (pairings["start_date"] <= month_end)
                        & (pairings["end_date"].isna() | (pairings["end_date"] >= month_end))
                    ).sum()
                ),
            }
        )
    return pd.DataFrame(rows, columns=["month", "started", "ended", "running"])


# --------------------------------------------------------------------------- courses


def courses_in(records: Records, period: Period, org: str = "") -> pd.DataFrame:
    """Course sessions held in the period (by one organisation when given)."""
    courses = records["course"]
    courses = courses[period.contains(courses["date"])]
    return courses[courses["org_id"] == org] if org else courses


def period_targets(records: Records, metric: str, period: Period) -> pd.DataFrame:
    """Per place with a target: the target for the period and its source.

    A target is set per calendar year, so one exists only for a period of whole years each with a
    target; they add up over several years, and the sources are listed.
    """
    columns = ["value", "source"]
    if period.start is None or period.end is None:
        return pd.DataFrame(columns=columns)
    whole_years = period.start == pd.Timestamp(period.start.year, 1, 1) and period.end == (
        pd.Timestamp(period.end.year, 12, 31)
    )
    if not whole_years:
        return pd.DataFrame(columns=columns)
    years = set(range(period.start.year, period.end.year + 1))
    targets = records["target"]
    targets = targets[(targets["metric"] == metric) & targets["year"].isin(years)]
    complete = targets.groupby("place_code")["year"].nunique() == len(years)
    targets = targets[targets["place_code"].isin(complete[complete].index)]
    grouped = targets.sort_values("year").groupby("place_code")
    return pd.DataFrame(
        {
            "value": grouped["value"].sum(),
            "source": grouped["source"].agg(lambda s: "；".join(dict.fromkeys(s))),
        }
    )


def course_figures(records: Records, period: Period, org: str = "") -> pd.DataFrame:
    """Per place: sessions, attendance (人次), girls and their share, reach per 1,000 children.

    The girls' share is over sessions that recorded girls. Reach counts only attendance at villages
    whose number of children is known and not zero, over those children: a village with no
    children registered has no reach, rather than an infinite one.
    """
    courses = courses_in(records, period, org)
    with_girls = courses[courses["girls"].notna()]
    children = _denominator(records, "children")
    places = records.places.set_index("code")
    counted_places = set(places.index[places["children"].fillna(0) > 0])
    counted = courses[courses["place_code"].isin(counted_places)]
    frame = pd.DataFrame(
        {
            "sessions": _roll(records, courses, "place_code"),
            "attendance": _roll(records, courses, "place_code", value="attendance"),
            "girls": _roll(
                records,
                with_girls.assign(girls=with_girls["girls"].astype("int64")),
                "place_code",
                value="girls",
            ),
            "attendance_with_girls": _roll(records, with_girls, "place_code", value="attendance"),
            "children": children,
            "attendance_counted": _roll(records, counted, "place_code", value="attendance"),
        }
    )
    frame["girls_share"] = _rate(frame["girls"], frame["attendance_with_girls"])
    frame["reach_per_1000"] = _rate(frame["attendance_counted"], frame["children"]) * 1000
    for metric, column in (("course_sessions", "sessions"), ("course_attendance", "attendance")):
        targets = period_targets(records, metric, period)
        frame[f"target_{column}"] = targets["value"].reindex(frame.index).astype("float64")
        frame[f"target_{column}_source"] = targets["source"].reindex(frame.index)
    return frame


def courses_by_month(records: Records, period: Period, place: str, org: str = "") -> pd.DataFrame:
    """Per month under a place: sessions, attendance, girls, girls' share, and running totals."""
    courses = courses_in(records, period, org)
    courses = courses[courses["place_code"].isin(places_under(records, place))]
    months = _months(period, courses["date"])
    month = courses["date"].dt.to_period("M")
    girls_known = courses["girls"].notna()
    grouped = pd.DataFrame(
        {
            "sessions": courses.groupby(month).size(),
            "attendance": courses.groupby(month)["attendance"].sum(),
            "girls": courses[girls_known].groupby(month[girls_known])["girls"].sum(),
            "attendance_with_girls": courses[girls_known]
            .groupby(month[girls_known])["attendance"]
            .sum(),
        }
    )
    out = grouped.reindex(months, fill_value=0).fillna(0).astype("int64")
    out["girls_share"] = _rate(out["girls"], out["attendance_with_girls"])
    out["cumulative_sessions"] = out["sessions"].cumsum()
    out["cumulative_attendance"] = out["attendance"].cumsum()
    out.index = out.index.astype(str)
    out.index.name = "month"
    return out.drop(columns="attendance_with_girls").reset_index()


def courses_by_org(records: Records, period: Period, place: str) -> pd.DataFrame:
    """Per organisation, sessions held under a place in the period, attendance and girls' share."""
    courses = courses_in(records, period)
    courses = courses[courses["place_code"].isin(places_under(records, place))]
    girls_known = courses["girls"].notna()
    grouped = courses.groupby("org_id")
    out = pd.DataFrame(
        {
            "sessions": grouped.size(),
            "attendance": grouped["attendance"].sum(),
            "girls": courses[girls_known].groupby("org_id")["girls"].sum(),
            "attendance_with_girls": courses[girls_known].groupby("org_id")["attendance"].sum(),
        }
    ).fillna(0)
    out = out.astype("int64")
    out["girls_share"] = _rate(out["girls"], out["attendance_with_girls"])
    out = out.drop(columns="attendance_with_girls").reset_index()
    out.insert(1, "org_name", out["org_id"].map(_org_names(records)))
    return out.sort_values(["sessions", "org_name"], ascending=[False, True]).reset_index(drop=True)


def key_village_courses(
    records: Records, period: Period, place: str, org: str = ""
) -> pd.DataFrame:
    """Every key village under a place: sessions in the period, the last course before its end."""
    places = records.places
    keys = places[
        places["key_village"].fillna(False).astype(bool)
        & places["code"].isin(places_under(records, place))
    ]
    courses = courses_in(records, period, org)
    sessions = courses.groupby("place_code").size()
    everything = records["course"]
    if org:
        everything = everything[everything["org_id"] == org]
    if period.end is not None:
        everything = everything[everything["date"] <= period.end]
    last = everything.groupby("place_code")["date"].max()
    out = keys[["code", "name", "lat", "lon", "coord_quality"]].copy()
    _names, out["town_name"] = _place_names(records, out["code"])
    out["sessions"] = out["code"].map(sessions).fillna(0).astype("int64")
    out["last_course"] = last.reindex(out["code"]).to_numpy()
    out["no_course"] = out["sessions"] == 0
    return out.sort_values(["no_course", "town_name", "name"], ascending=[False, True, True])


def key_villages_without_course(
    records: Records, period: Period, place: str, org: str = ""
) -> pd.DataFrame:
    """Key villages under a place where no course was held in the period."""
    status = key_village_courses(records, period, place, org)
    return status[status["no_course"]].drop(columns="no_course").reset_index(drop=True)


# --------------------------------------------------------------------------- visits and screening


def household_groups(records: Records) -> pd.Series:
    """Household id -> the must-visit groups it belongs to, ';'-joined ('' for none)."""
    return records.cached(("household_groups",), lambda: _household_groups(records))


def _household_groups(records: Records) -> pd.Series:
    households = records["household"]

    def groups(categories: str) -> str:
        keys = set(vocab.split_keys(categories))
        return ";".join(
            g for g, (_, _, cats) in vocab.MUST_VISIT_GROUPS.items() if keys & set(cats)
        )

    return pd.Series(
        households["categories"].map(groups).to_numpy(),
        index=households["household_id"],
        dtype=object,
    )


def must_visit_households(records: Records, group: str = "") -> pd.DataFrame:
    """Households in a must-visit group (any of the six when '' is given)."""
    return records.cached(
        ("must_visit_households", group), lambda: _must_visit_households(records, group)
    )


def _must_visit_households(records: Records, group: str) -> pd.DataFrame:
    households = records["household"].copy()
    households["groups"] = households["household_id"].map(household_groups(records))
    # bool arrays, not Series: with no households an empty object Series would select columns
    if group:
        wanted = households["groups"].map(lambda g: group in g.split(";"))
        return households[wanted.to_numpy(dtype=bool)]
    return households[(households["groups"] != "").to_numpy(dtype=bool)]


def _visits_in(records: Records, period: Period) -> pd.DataFrame:
    def build() -> pd.DataFrame:
        visits = records["visit"]
        return _with_place(
            visits[period.contains(visits["date"])], records.household_place, "household_id"
        )

    return records.cached(("visits_in", period), build)


def must_visit_figures(records: Records, period: Period, group: str = "") -> pd.DataFrame:
    """Per place: must-visit households, those visited in the period, not visited, coverage."""
    households = must_visit_households(records, group)
    visited_ids = set(_visits_in(records, period)["household_id"])
    total = _roll(records, households, "place_code")
    visited = _roll(records, households[households["household_id"].isin(visited_ids)], "place_code")
    return pd.DataFrame(
        {
            "households": total,
            "visited": visited,
            "not_visited": total - visited,
            "coverage": _rate(visited, total),
        }
    )


def must_visit_by_group(records: Records, period: Period, place: str) -> pd.DataFrame:
    """For each of the six must-visit groups under a place: households, visited, not visited.

    A household can belong to several groups, so the groups' rows can add up to more than the
    number of must-visit households.
    """
    rows = []
    for group in vocab.MUST_VISIT_GROUPS:
        row = must_visit_figures(records, period, group).loc[place]
        rows.append({"group": group, **row.to_dict()})
    out = pd.DataFrame(rows)
    for column in ("households", "visited", "not_visited"):
        out[column] = out[column].astype("int64")
    return out


def must_visit_rows(records: Records, period: Period, place: str, group: str = "") -> pd.DataFrame:
    """Must-visit households under a place: groups, visits in the period, the last visit."""
    households = must_visit_households(records, group)
    households = households[households["place_code"].isin(places_under(records, place))].copy()
    visits_in = _visits_in(records, period)
    visits = records["visit"]
    last = visits[visits["date"] <= period.as_of].groupby("household_id")["date"].max()
    households["visits"] = (
        households["household_id"].map(visits_in.groupby("household_id").size()).fillna(0)
    ).astype("int64")
    households["visited"] = households["visits"] > 0
    households["last_visit"] = last.reindex(households["household_id"]).to_numpy()
    households["place_name"], households["town_name"] = _place_names(
        records, households["place_code"]
    )
    columns = [
        "household_id",
        "place_code",
        "place_name",
        "town_name",
        "groups",
        "visited",
        "visits",
        "last_visit",
    ]
    return (
        households[columns]
        .sort_values(["visited", "town_name", "place_name", "household_id"])
        .reset_index(drop=True)
    )


def follow_up_rows(records: Records, period: Period, group: str = "") -> pd.DataFrame:
    """Every follow-up asked for by a visit or screening up to the period's last day, with status.

    Done: the household was visited after the visit (or on or after the screening day) and by
    the period's last day. Otherwise overdue when due before that day, due soon when due within
    the next 7 days (that day included), later beyond.
    """
    # once per period: a group only keeps its households' rows
    rows = records.cached(("follow_up_rows", period), lambda: _follow_up_rows(records, period))
    if group:
        ids = must_visit_households(records, group)["household_id"]
        rows = rows[rows["household_id"].isin(ids).to_numpy(dtype=bool)].reset_index(drop=True)
    return rows.copy()


def _follow_up_rows(records: Records, period: Period) -> pd.DataFrame:
    as_of = period.as_of
    visits = records["visit"]
    screenings = records["screening"]
    asked = pd.concat(
        [
            visits.loc[visits["follow_up_due"].notna() & (visits["date"] <= as_of)].assign(
                source="visit", record_id=lambda f: f["visit_id"]
            ),
            screenings.loc[
                screenings["follow_up_due"].notna() & (screenings["date"] <= as_of)
            ].assign(source="screening", record_id=lambda f: f["screening_id"]),
        ],
        ignore_index=True,
    )[["source", "record_id", "household_id", "date", "follow_up_due"]]
    later = visits.loc[visits["date"] <= as_of, ["household_id", "date"]].rename(
        columns={"date": "visit_date"}
    )
    joined = asked.merge(later, on="household_id", how="inner")
    # The same visit cannot follow itself up, so a visit needs a strictly later one; a screening
    # is followed up by a visit the same day (the source's 排查 then 走访).
    followed = np.where(
        joined["source"] == "visit",
        joined["visit_date"] > joined["date"],
        joined["visit_date"] >= joined["date"],
    )
    first_follow = (
        joined[followed]
        .groupby(["source", "record_id"], as_index=False)["visit_date"]
        .min()
        .rename(columns={"visit_date": "followed_on"})
    )
    # merge, not map: pandas 3 cannot map onto datetimes when no key matches
    out = asked.merge(first_follow, on=["source", "record_id"], how="left")
    due = out["follow_up_due"]
    soon = as_of + pd.Timedelta(days=DUE_SOON_DAYS)
    out["status"] = np.select(
        [out["followed_on"].notna(), due < as_of, due <= soon],
        ["done", "overdue", "due_soon"],
        default="later",
    )
    out["days_overdue"] = np.where(out["status"] == "overdue", (as_of - due).dt.days, 0)
    out["place_code"] = out["household_id"].map(records.household_place)
    out["place_name"], out["town_name"] = _place_names(records, out["place_code"])
    return out.sort_values(["follow_up_due", "record_id"]).reset_index(drop=True)


def follow_up_figures(records: Records, period: Period, group: str = "") -> pd.DataFrame:
    """Per place: follow-ups still open on the period's last day, due within 7 days, overdue."""
    rows = follow_up_rows(records, period, group)
    open_rows = rows[rows["status"] != "done"]
    return pd.DataFrame(
        {
            "outstanding": _roll(records, open_rows, "place_code"),
            "due_soon": _roll(records, open_rows[open_rows["status"] == "due_soon"], "place_code"),
            "overdue": _roll(records, open_rows[open_rows["status"] == "overdue"], "place_code"),
        }
    )


def _screenings_in(records: Records, period: Period, group: str = "") -> pd.DataFrame:
    def build() -> pd.DataFrame:
        screenings = _with_place(records["screening"], records.household_place, "household_id")
        return screenings[period.contains(screenings["date"])]

    screenings = records.cached(("screenings_in", period), build)
    if group:
        ids = must_visit_households(records, group)["household_id"]
        screenings = screenings[screenings["household_id"].isin(ids)]
    return screenings


def screening_figures(records: Records, period: Period, group: str = "") -> pd.DataFrame:
    """Per place: households screened in the period, screened high-risk, high-risk not followed up."""
    screenings = _screenings_in(records, period, group)
    high = screenings[screenings["risk_level"] == "high"]
    unfollowed = high_risk_without_follow_up(records, screenings, period.as_of)
    return pd.DataFrame(
        {
            "screened": _roll(records, screenings, "place_code", distinct="household_id"),
            "high_risk": _roll(records, high, "place_code", distinct="household_id"),
            "high_risk_unfollowed": _roll(
                records, unfollowed, "place_code", distinct="household_id"
            ),
        }
    )


def high_risk_rows(records: Records, period: Period, place: str, group: str = "") -> pd.DataFrame:
    """High-risk screenings under a place in the period with no visit since, oldest first."""
    screenings = _screenings_in(records, period, group)
    screenings = screenings[screenings["place_code"].isin(places_under(records, place))]
    out = high_risk_without_follow_up(records, screenings, period.as_of).copy()
    out["days_since"] = (period.as_of - out["date"]).dt.days
    out["place_name"], out["town_name"] = _place_names(records, out["place_code"])
    columns = [
        "screening_id",
        "household_id",
        "place_name",
        "town_name",
        "date",
        "risk_categories",
        "follow_up_due",
        "days_since",
    ]
    return out[columns].sort_values("date").reset_index(drop=True)


# --------------------------------------------------------------------------- cases


def _cases_with_state(records: Records, as_of: pd.Timestamp) -> pd.DataFrame:
    """Cases received by `as_of` with their status on that day and their times (once a day)."""
    return records.cached(("cases_with_state", as_of), lambda: _case_states(records, as_of))


def _case_states(records: Records, as_of: pd.Timestamp) -> pd.DataFrame:
    cases = records["case"]
    cases = cases[cases["received_date"] <= as_of].copy()
    closed = cases["status"].isin(vocab.CASE_DONE_STATUSES) & (cases["closed_date"] <= as_of)
    cases["status_as_of"] = cases["status"].where(closed, "open")
    cases["days_to_close"] = (cases["closed_date"] - cases["received_date"]).dt.days.where(closed)
    cases["age_days"] = (as_of - cases["received_date"]).dt.days.where(~closed)
    return cases


def case_rows(records: Records, period: Period, place: str, category: str = "") -> pd.DataFrame:
    """Cases received under a place in the period, with their status on the period's last day."""
    cases = _cases_with_state(records, period.as_of)
    cases = cases[
        period.contains(cases["received_date"])
        & cases["place_code"].isin(places_under(records, place))
    ]
    if category:
        cases = cases[cases["category"] == category]
    cases = cases.copy()
    cases["station"] = cases["org_id"].map(_org_names(records))
    cases["place_name"], cases["town_name"] = _place_names(records, cases["place_code"])
    columns = [
        "case_id",
        "received_date",
        "category",
        "status_as_of",
        "closed_date",
        "days_to_close",
        "age_days",
        "station",
        "place_name",
        "town_name",
    ]
    return cases[columns].sort_values(["received_date", "case_id"]).reset_index(drop=True)


def case_figures(records: Records, period: Period, category: str = "") -> pd.DataFrame:
    """Per place: cases received in the period, resolved or referred by its end, still open.

    `received` is exactly `resolved` + `open` (both of the cases received in the period), so a
    hidden small count cannot be worked back from the other two; `over_90_days` are the open
    ones received more than 90 days before the period's last day.
    """
    cases = _cases_with_state(records, period.as_of)
    if category:
        cases = cases[cases["category"] == category]
    received = cases[period.contains(cases["received_date"])]
    still_open = received[received["status_as_of"] == "open"]
    frame = pd.DataFrame(
        {
            "received": _roll(records, received, "place_code"),
            "resolved": _roll(records, received[received["status_as_of"] != "open"], "place_code"),
            "open": _roll(records, still_open, "place_code"),
            "over_90_days": _roll(
                records,
                still_open[still_open["age_days"] > vocab.OPEN_CASE_AGE_BANDS[1][1]],
                "place_code",
            ),
        }
    )
    frame["resolution_rate"] = _rate(frame["resolved"], frame["received"])
    return frame


def cases_by_category_status(
    records: Records, period: Period, place: str, category: str = ""
) -> pd.DataFrame:
    """Cases received under a place in the period: one row per category, one column per status."""
    rows = case_rows(records, period, place, category)
    table = pd.crosstab(rows["category"], rows["status_as_of"])
    categories = [c for c in vocab.CASE_CATEGORIES if c in table.index or c == category]
    table = table.reindex(index=categories, columns=list(vocab.CASE_STATUSES), fill_value=0)
    table["total"] = table.sum(axis=1)
    table.index.name = "category"
    table.columns.name = None
    return table.astype("int64").reset_index()


def cases_by_station(
    records: Records, period: Period, place: str, category: str = ""
) -> pd.DataFrame:
    """Per station or studio that received cases: received, resolved, referred, open, median days."""
    rows = case_rows(records, period, place, category)
    if rows.empty:
        return pd.DataFrame(
            columns=["station", "received", "resolved", "referred", "open", "median_days"]
        )
    grouped = rows.groupby("station")
    out = pd.DataFrame({"received": grouped.size()})
    for status in vocab.CASE_STATUSES:
        out[status] = grouped["status_as_of"].agg(lambda s, st=status: int((s == st).sum()))
    out["median_days"] = grouped["days_to_close"].median()
    out = out.reset_index()[["station", "received", "resolved", "referred", "open", "median_days"]]
    return out.sort_values(["received", "station"], ascending=[False, True]).reset_index(drop=True)


def resolution_times(
    records: Records, period: Period, place: str, category: str = ""
) -> pd.DataFrame:
    """Days from receipt to resolution per category, over cases closed by the period's last day."""
    rows = case_rows(records, period, place, category)
    closed = rows[rows["days_to_close"].notna()]
    grouped = closed.groupby("category")["days_to_close"]
    out = pd.DataFrame(
        {
            "closed": grouped.size(),
            "median_days": grouped.median(),
            "mean_days": grouped.mean(),
            "max_days": grouped.max(),
        }
    )
    order = [c for c in vocab.CASE_CATEGORIES if c in out.index]
    out = out.reindex(order)
    out.index.name = "category"
    return out.reset_index()


def open_case_age_figures(
    records: Records, period: Period, category: str = ""
) -> dict[str, pd.Series]:
    """Per place: cases open on the period's last day in each age band {band label: figures}."""
    cases = _cases_with_state(records, period.as_of)
    cases = cases[cases["status_as_of"] == "open"]
    if category:
        cases = cases[cases["category"] == category]
    return {
        label: _roll(records, cases[cases["age_days"].between(low, high)], "place_code")
        for low, high, label in vocab.OPEN_CASE_AGE_BANDS
    }


def open_case_age_frame(records: Records, period: Period, category: str = "") -> pd.DataFrame:
    """Per place: cases open on the period's last day in each age band (columns: the bands'
    labels) and in all (`total`)."""
    frame = pd.DataFrame(open_case_age_figures(records, period, category))
    frame["total"] = frame.sum(axis=1)
    return frame


def open_cases_by_age(
    records: Records, period: Period, place: str, category: str = ""
) -> pd.DataFrame:
    """Cases under a place open on the period's last day, by how long they have been open."""
    records.check_place(place)
    figures = open_case_age_figures(records, period, category)
    rows = [
        {"band": label, "low": low, "cases": int(figures[label].get(place, 0))}
        for low, _high, label in vocab.OPEN_CASE_AGE_BANDS
    ]
    return pd.DataFrame(rows)


def station_cases(records: Records, period: Period) -> pd.Series:
    """Cases each station or studio received in the period, by org id (0 for none)."""
    cases = records["case"]
    received = cases[period.contains(cases["received_date"])]
    orgs = records["org"]
    stations = orgs.loc[orgs["kind"].isin(vocab.STATION_KINDS), "org_id"]
    counts = received.groupby("org_id").size()
    return counts.reindex(pd.Index(stations, name="org_id"), fill_value=0).astype("int64")


# --------------------------------------------------------------------------- legal campaigns


def event_years(records: Records, period: Period) -> list[int]:
    """Calendar years the period touches, newest first (the years with events if it is open)."""
    events = records["event"]
    dates = events.loc[period.contains(events["date"]), "date"]
    start = period.start.year if period.start is not None else None
    end = period.end.year if period.end is not None else None
    if start is None or end is None:
        years = set(dates.dt.year.astype(int))
        if start is not None:
            years = {y for y in years if y >= start}
        if end is not None:
            years = {y for y in years if y <= end}
        return sorted(years, reverse=True)
    return list(range(end, start - 1, -1))


def _events_in_year(records: Records, period: Period, year: int) -> pd.DataFrame:
    events = records["event"]
    return events[period.contains(events["date"]) & (events["date"].dt.year == year)]


def campaign_figures(records: Records, period: Period, year: int) -> pd.DataFrame:
    """Per place: legal events of each campaign held under it in a year (within the period)."""
    events = _events_in_year(records, period, year)
    return pd.DataFrame(
        {
            campaign: _roll(records, events[events["campaign"] == campaign], "place_code")
            for campaign in vocab.CAMPAIGNS
        }
    )


def campaign_audience(records: Records, period: Period, year: int) -> pd.DataFrame:
    """Per place: audience (人次) of each campaign's events in a year (unrecorded counts as 0)."""
    events = _events_in_year(records, period, year)
    events = events.assign(audience=events["audience"].fillna(0).astype("int64"))
    return pd.DataFrame(
        {
            campaign: _roll(
                records, events[events["campaign"] == campaign], "place_code", value="audience"
            )
            for campaign in vocab.CAMPAIGNS
        }
    )


def places_without_campaign(
    records: Records, period: Period, place: str, year: int
) -> dict[str, list[str]]:
    """For each named campaign, the places directly under a place that held no event in a year."""
    figures = campaign_figures(records, period, year)
    under = child_codes(records, place) or [place]
    names = records.places.set_index("code")["name"]
    return {
        campaign: [names[c] for c in under if figures.at[c, campaign] == 0]
        for campaign in NAMED_CAMPAIGNS
    }


def events_by_campaign_year(records: Records, period: Period, place: str) -> pd.DataFrame:
    """Legal events under a place in the period by year and campaign: events and audience."""
    events = records["event"]
    events = events[
        period.contains(events["date"]) & events["place_code"].isin(places_under(records, place))
    ]
    out = (
        events.assign(year=events["date"].dt.year, audience=events["audience"].fillna(0))
        .groupby(["year", "campaign"])
        .agg(events=("event_id", "size"), audience=("audience", "sum"))
        .reset_index()
    )
    out["audience"] = out["audience"].astype("int64")
    out["_order"] = out["campaign"].map({c: i for i, c in enumerate(vocab.CAMPAIGNS)})
    out = out.sort_values(["year", "_order"], ascending=[False, True])
    return out.drop(columns="_order").reset_index(drop=True)
