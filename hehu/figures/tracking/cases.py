"""Rights cases (接访/调解) and legal-awareness campaigns: by place, category, station and age."""

from __future__ import annotations

import pandas as pd

from hehu.figures.metrics import (
    Period,
    Records,
    rate_of,
    roll,
)
from hehu.figures.tracking.common import (
    NAMED_CAMPAIGNS,
    child_codes,
    org_names,
    place_names,
    places_under,
)
from hehu.records import vocab

# --------------------------------------------------------------------------- cases


def cases_with_state(records: Records, as_of: pd.Timestamp) -> pd.DataFrame:
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


def _cases_under(records: Records, period: Period, place: str, category: str) -> pd.DataFrame:
    """Cases received under a place in the period (of a category), with their state then."""
    cases = cases_with_state(records, period.as_of)
    cases = cases[
        period.contains(cases["received_date"])
        & cases["place_code"].isin(places_under(records, place))
    ]
    if category:
        cases = cases[cases["category"] == category]
    cases = cases.copy()
    cases["station"] = cases["org_id"].map(org_names(records))
    return cases


def case_rows(records: Records, period: Period, place: str, category: str = "") -> pd.DataFrame:
    """Cases received under a place in the period, with their status on the period's last day."""
    cases = _cases_under(records, period, place, category)
    cases["place_name"], cases["town_name"] = place_names(records, cases["place_code"])
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
    hidden small count cannot be worked back from the other two; `resolved` is exactly
    `status_resolved` + `status_referred` (each status on the period's last day, as the cases
    page's tables split it); `over_90_days` are the open ones received more than 90 days
    before the period's last day.
    """
    cases = cases_with_state(records, period.as_of)
    if category:
        cases = cases[cases["category"] == category]
    received = cases[period.contains(cases["received_date"])]
    still_open = received[received["status_as_of"] == "open"]
    frame = pd.DataFrame(
        {
            "received": roll(records, received, "place_code"),
            "resolved": roll(records, received[received["status_as_of"] != "open"], "place_code"),
            **{
                f"status_{status}": roll(
                    records, received[received["status_as_of"] == status], "place_code"
                )
                for status in vocab.CASE_DONE_STATUSES
            },
            "open": roll(records, still_open, "place_code"),
            "over_90_days": roll(
                records,
                still_open[still_open["age_days"] > vocab.OPEN_CASE_AGE_BANDS[1][1]],
                "place_code",
            ),
        }
    )
    frame["resolution_rate"] = rate_of(frame["resolved"], frame["received"])
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
    """Per station or studio that received cases (its org_id and name): received, resolved,
    referred, open, median days; in the order of their names, never of a count (an order by
    what was received gave every count a deputy sees hidden back: tests/test_table_order.py)."""
    rows = _cases_under(records, period, place, category)
    columns = ["org_id", "station", "received", "resolved", "referred", "open", "median_days"]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    grouped = rows.groupby(["org_id", "station"])
    out = pd.DataFrame({"received": grouped.size()})
    for status in vocab.CASE_STATUSES:
        out[status] = grouped["status_as_of"].agg(lambda s, st=status: int((s == st).sum()))
    out["median_days"] = grouped["days_to_close"].median()
    out = out.reset_index()[columns]
    out = out.sort_values(["station", "org_id"])
    return out.reset_index(drop=True)


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
    cases = cases_with_state(records, period.as_of)
    cases = cases[cases["status_as_of"] == "open"]
    if category:
        cases = cases[cases["category"] == category]
    return {
        label: roll(records, cases[cases["age_days"].between(low, high)], "place_code")
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
            campaign: roll(records, events[events["campaign"] == campaign], "place_code")
            for campaign in vocab.CAMPAIGNS
        }
    )


def campaign_audience(records: Records, period: Period, year: int) -> pd.DataFrame:
    """Per place: audience (人次) of each campaign's events in a year (unrecorded counts as 0)."""
    events = _events_in_year(records, period, year)
    events = events.assign(audience=events["audience"].fillna(0).astype("int64"))
    return pd.DataFrame(
        {
            campaign: roll(
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
