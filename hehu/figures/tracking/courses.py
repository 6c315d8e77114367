"""Girls' protection courses: sessions and attendance by place, month and organisation, against targets."""

from __future__ import annotations

import pandas as pd

from hehu.figures.metrics import (
    Period,
    Records,
    rate_of,
    roll,
)
from hehu.figures.tracking.common import (
    months_of,
    org_names,
    place_names,
    places_under,
    village_denominator,
)

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
    children = village_denominator(records, "children")
    places = records.places.set_index("code")
    counted_places = set(places.index[places["children"].fillna(0) > 0])
    counted = courses[courses["place_code"].isin(counted_places)]
    frame = pd.DataFrame(
        {
            "sessions": roll(records, courses, "place_code"),
            "attendance": roll(records, courses, "place_code", value="attendance"),
            "girls": roll(
                records,
                with_girls.assign(girls=with_girls["girls"].astype("int64")),
                "place_code",
                value="girls",
            ),
            "attendance_with_girls": roll(records, with_girls, "place_code", value="attendance"),
            "children": children,
            "attendance_counted": roll(records, counted, "place_code", value="attendance"),
        }
    )
    frame["girls_share"] = rate_of(frame["girls"], frame["attendance_with_girls"])
    frame["reach_per_1000"] = rate_of(frame["attendance_counted"], frame["children"]) * 1000
    for metric, column in (("course_sessions", "sessions"), ("course_attendance", "attendance")):
        targets = period_targets(records, metric, period)
        frame[f"target_{column}"] = targets["value"].reindex(frame.index).astype("float64")
        frame[f"target_{column}_source"] = targets["source"].reindex(frame.index)
    return frame


def courses_by_month(records: Records, period: Period, place: str, org: str = "") -> pd.DataFrame:
    """Per month under a place: sessions, attendance, girls, girls' share, and running totals."""
    courses = courses_in(records, period, org)
    courses = courses[courses["place_code"].isin(places_under(records, place))]
    months = months_of(period, courses["date"])
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
    out["girls_share"] = rate_of(out["girls"], out["attendance_with_girls"])
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
    out["girls_share"] = rate_of(out["girls"], out["attendance_with_girls"])
    out = out.drop(columns="attendance_with_girls").reset_index()
    out.insert(1, "org_name", out["org_id"].map(org_names(records)))
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
    _names, out["town_name"] = place_names(records, out["code"])
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
