"""Household visits and risk screening: the six must-visit groups, follow-ups, high risk."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hehu.figures.metrics import (
    Period,
    Records,
    high_risk_without_follow_up,
    rate_of,
    roll,
    take_at,
    with_place,
)
from hehu.figures.tracking.common import DUE_SOON_DAYS, place_names, places_under
from hehu.records import vocab

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


def visits_in_period(records: Records, period: Period) -> pd.DataFrame:
    """Visits in the period, with their household's place (once a period)."""

    def build() -> pd.DataFrame:
        visits = records["visit"]
        return with_place(
            visits[period.contains(visits["date"])], records.household_place, "household_id"
        )

    return records.cached(("visits_in", period), build)


def must_visit_figures(records: Records, period: Period, group: str = "") -> pd.DataFrame:
    """Per place: must-visit households, those visited in the period, not visited, coverage."""
    households = must_visit_households(records, group)
    visited_ids = set(visits_in_period(records, period)["household_id"])
    total = roll(records, households, "place_code")
    visited = roll(records, households[households["household_id"].isin(visited_ids)], "place_code")
    return pd.DataFrame(
        {
            "households": total,
            "visited": visited,
            "not_visited": total - visited,
            "coverage": rate_of(visited, total),
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
    visits_in = visits_in_period(records, period)
    visits = records["visit"]
    last = visits[visits["date"] <= period.as_of].groupby("household_id")["date"].max()
    households["visits"] = (
        households["household_id"].map(visits_in.groupby("household_id").size()).fillna(0)
    ).astype("int64")
    households["visited"] = households["visits"] > 0
    households["last_visit"] = last.reindex(households["household_id"]).to_numpy()
    households["place_name"], households["town_name"] = place_names(
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
    visits, screenings = records["visit"], records["screening"]
    visit_home, screening_home = _household_numbers(records)
    parts, homes, rows = [], [], []
    for source, frame, id_column, home in (
        ("visit", visits, "visit_id", visit_home),
        ("screening", screenings, "screening_id", screening_home),
    ):
        keep = (frame["follow_up_due"].notna() & (frame["date"] <= as_of)).to_numpy(dtype=bool)
        part = frame.loc[keep]
        parts.append(part.assign(source=source, record_id=part[id_column]))
        homes.append(home[keep])
        rows.append(records._row_pos(source, "household_id", "household", "household_id")[keep])
    asked = pd.concat(parts, ignore_index=True)[
        ["source", "record_id", "household_id", "date", "follow_up_due"]
    ]
    # The same visit cannot follow itself up, so a visit needs a strictly later one; a screening
    # is followed up by a visit the same day (the source's 排查 then 走访).
    asked["followed_on"] = _first_visit_from(
        records, visit_home, np.concatenate(homes), asked, as_of, asked["source"] == "visit"
    )
    due = asked["follow_up_due"]
    soon = as_of + pd.Timedelta(days=DUE_SOON_DAYS)
    asked["status"] = np.select(
        [asked["followed_on"].notna(), due < as_of, due <= soon],
        ["done", "overdue", "due_soon"],
        default="later",
    )
    asked["days_overdue"] = np.where(asked["status"] == "overdue", (as_of - due).dt.days, 0)
    # Places by the household table's rows, not a map over every household id (a province has
    # a million): a household not in the table has no place.
    rows = np.concatenate(rows)
    asked["place_code"] = take_at(records["household"]["place_code"], rows, asked.index)
    asked["place_name"], asked["town_name"] = place_names(records, asked["place_code"])
    return asked.sort_values(["follow_up_due", "record_id"]).reset_index(drop=True)


def _household_numbers(records: Records) -> tuple[np.ndarray, np.ndarray]:
    """One number per visit's and per screening's household, the same for the same household:
    its row in the household table when every household is there, else by the ids written."""
    visit_row = records._row_pos("visit", "household_id", "household", "household_id")
    screening_row = records._row_pos("screening", "household_id", "household", "household_id")
    if (visit_row >= 0).all() and (screening_row >= 0).all():
        return visit_row, screening_row
    ids = pd.concat(
        [records["visit"]["household_id"], records["screening"]["household_id"]],
        ignore_index=True,
    )
    numbers, _ = pd.factorize(ids, use_na_sentinel=False)
    return numbers[: len(visit_row)], numbers[len(visit_row) :]


def _first_visit_from(records, visit_home, asked_home, asked, as_of, strictly) -> pd.Series:
    """The household's first visit on or after (or `strictly` after) each asked row's day, up
    to `as_of`; missing where there is none. Days are compared, not times (the store keeps
    dates as whole days). Visits sorted once by household and day, then looked up: no join of
    every follow-up to every visit of its household."""
    dates = records["visit"]["date"].to_numpy()
    if not np.issubdtype(dates.dtype, np.datetime64):
        dates = pd.to_datetime(dates).to_numpy()
    visited = ~np.isnat(dates) & (dates <= np.datetime64(as_of))
    day = dates.astype("datetime64[D]").astype("int64")
    offset = np.int64(1 << 31)  # days before 1970 stay positive inside the key
    key = (visit_home[visited].astype("int64") << 32) + day[visited] + offset
    order = np.argsort(key, kind="stable")
    key, when = key[order], dates[visited][order]
    asked_day = asked["date"].to_numpy().astype("datetime64[D]").astype("int64")
    wanted = (asked_home.astype("int64") << 32) + asked_day + offset + strictly.to_numpy(int)
    at = np.searchsorted(key, wanted, side="left")
    inside = at < len(key)
    found = inside.copy()
    found[inside] = (key[at[inside]] >> 32) == asked_home[inside]
    out = np.full(len(asked), np.datetime64("NaT"), dtype=dates.dtype)
    out[found] = when[at[found]]
    return pd.Series(out, index=asked.index)


def follow_up_figures(records: Records, period: Period, group: str = "") -> pd.DataFrame:
    """Per place: follow-ups still open on the period's last day, due within 7 days, overdue."""
    rows = follow_up_rows(records, period, group)
    open_rows = rows[rows["status"] != "done"]
    return pd.DataFrame(
        {
            "outstanding": roll(records, open_rows, "place_code"),
            "due_soon": roll(records, open_rows[open_rows["status"] == "due_soon"], "place_code"),
            "overdue": roll(records, open_rows[open_rows["status"] == "overdue"], "place_code"),
        }
    )


def _screenings_in(records: Records, period: Period, group: str = "") -> pd.DataFrame:
    def build() -> pd.DataFrame:
        screenings = with_place(records["screening"], records.household_place, "household_id")
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
            "screened": roll(records, screenings, "place_code", distinct="household_id"),
            "high_risk": roll(records, high, "place_code", distinct="household_id"),
            "high_risk_unfollowed": roll(
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
    out["place_name"], out["town_name"] = place_names(records, out["place_code"])
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
