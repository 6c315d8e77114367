"""Metrics: every indicator of DESIGN.md for every place and any period, as pandas frames.

All metrics are computed per place of record (a village, a town, the county), then rolled up the
hierarchy with one `ancestors` table, so a town's figure is always the sum of what lies under it
and counts of distinct things (households, children) are never double-counted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from . import vocab
from .errors import BadDate, UnknownPlace
from .gazetteer import ancestors_frame, root_code
from .store import RECORD_TABLES, Store


@dataclass
class Records:
    """A snapshot of every record kind as frames, read once per data version."""

    frames: dict[str, pd.DataFrame]
    is_demo: bool = False
    data_version: int = 0
    _cache: dict = field(default_factory=dict, repr=False)

    def __getitem__(self, kind: str) -> pd.DataFrame:
        return self.frames[kind]

    @property
    def places(self) -> pd.DataFrame:
        """The gazetteer."""
        return self.frames["place"]

    @cached_property
    def ancestors(self) -> pd.DataFrame:
        """(code, ancestor) pairs for rolling figures up the hierarchy."""
        return ancestors_frame(self.places)

    @cached_property
    def root(self) -> str:
        """The county's code."""
        return root_code(self.places)

    @cached_property
    def place_index(self) -> pd.Index:
        """Every place code, in gazetteer order."""
        return pd.Index(self.places["code"], name="code")

    @cached_property
    def household_place(self) -> pd.Series:
        """Household id -> place code."""
        return self.frames["household"].set_index("household_id")["place_code"]

    @cached_property
    def person_place(self) -> pd.Series:
        """Person id -> place code."""
        return self.frames["person"].set_index("person_id")["place_code"]

    def check_place(self, code: str) -> str:
        """The code if it is in the gazetteer; UnknownPlace otherwise."""
        if code not in set(self.places["code"]):
            raise UnknownPlace(code)
        return code


_CACHE: dict[tuple[str, int], Records] = {}


def load_records(store: Store) -> Records:
    """Read every record kind from the store; cached until the next write changes the data."""
    version = store.data_version()
    key = (store.url, version)
    if key not in _CACHE:
        frames = {kind: store.read(kind) for kind in RECORD_TABLES}
        _CACHE.clear()  # keep one snapshot: the newest
        _CACHE[key] = Records(frames, is_demo=store.is_demo(), data_version=version)
    return _CACHE[key]


def parse_date(text: str | dt.date | None) -> pd.Timestamp | None:
    """A date from YYYY-MM-DD text (or a date); None stays None; BadDate otherwise."""
    if text is None or text == "":
        return None
    if isinstance(text, dt.date):
        return pd.Timestamp(text)
    try:
        return pd.Timestamp(dt.date.fromisoformat(str(text).strip()))
    except ValueError as exc:
        raise BadDate(str(text)) from exc


@dataclass(frozen=True)
class Period:
    """An inclusive date range; open ends are None. `as_of` is the day states are judged on."""

    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None

    @classmethod
    def of(cls, start=None, end=None) -> Period:
        """A period from text or dates; BadDate if unreadable or reversed."""
        period = cls(parse_date(start), parse_date(end))
        if period.start is not None and period.end is not None and period.start > period.end:
            raise BadDate(f"{start} 晚于 {end}")
        return period

    @classmethod
    def year(cls, year: int) -> Period:
        """The calendar year."""
        return cls(pd.Timestamp(year, 1, 1), pd.Timestamp(year, 12, 31))

    @property
    def as_of(self) -> pd.Timestamp:
        """The period's last day, or today for an open-ended period."""
        return self.end if self.end is not None else pd.Timestamp(dt.date.today())

    def contains(self, dates: pd.Series) -> pd.Series:
        """Which dates fall inside the period."""
        mask = dates.notna()
        if self.start is not None:
            mask &= dates >= self.start
        if self.end is not None:
            mask &= dates <= self.end
        return mask

    def label(self) -> str:
        """The period as text, e.g. 2021-01-01 至 2022-11-10."""
        fmt = lambda d: "…" if d is None else d.strftime("%Y-%m-%d")  # noqa: E731
        return f"{fmt(self.start)} 至 {fmt(self.end)}"


def _roll(
    records: Records, frame: pd.DataFrame, place_col: str, *, value=None, distinct=None
) -> pd.Series:
    """Roll records up the hierarchy: count rows, sum `value` or count distinct `distinct`."""
    if frame.empty:
        return pd.Series(0, index=records.place_index, dtype="int64")
    merged = frame.merge(records.ancestors, left_on=place_col, right_on="code", how="inner")
    grouped = merged.groupby("ancestor")
    if distinct is not None:
        out = grouped[distinct].nunique()
    elif value is not None:
        out = grouped[value].sum()
    else:
        out = grouped.size()
    return out.reindex(records.place_index, fill_value=0).astype("int64")


def _units_reached(records: Records, reached_places: pd.Series, unit_mask: pd.Series) -> pd.Series:
    """Per place: how many units under it (towns, key villages…) hold a reached place."""
    places = records.places
    units = set(places.loc[unit_mask.to_numpy(), "code"])
    hits = records.ancestors[records.ancestors["code"].isin(set(reached_places))]
    reached_units = pd.DataFrame({"unit": sorted(set(hits["ancestor"]) & units)})
    return _roll(records, reached_units, "unit")


def _with_place(frame: pd.DataFrame, mapping: pd.Series, key: str) -> pd.DataFrame:
    out = frame.copy()
    out["place_code"] = out[key].map(mapping)
    return out


def _rate(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    return (numerator / denominator.replace(0, np.nan)).astype("float64")


def metrics_by_place(
    records: Records, period: Period | None = None, *, lapse_days: int = vocab.LAPSE_DAYS_DEFAULT
) -> pd.DataFrame:
    """Every metric for every place in a period: one row per place code, one column per metric."""
    period = period or Period()
    key = ("metrics", period, lapse_days)
    if key in records._cache:
        return records._cache[key]
    as_of = period.as_of
    places = records.places
    out: dict[str, pd.Series] = {}

    visits = records["visit"]
    visits_in = _with_place(
        visits[period.contains(visits["date"])], records.household_place, "household_id"
    )
    visited_places = visits_in["place_code"]
    level = places["level"]
    out["towns"] = _units_reached(records, visited_places, level == "town")
    out["subdistricts"] = _units_reached(records, visited_places, level == "subdistrict")
    out["key_villages"] = _units_reached(
        records, visited_places, places["key_village"].astype(bool)
    )

    orgs = records["org"]
    out["stations"] = _roll(records, orgs[orgs["kind"].isin(vocab.STATION_KINDS)], "place_code")

    cases = records["case"]
    cases_in = cases[period.contains(cases["received_date"])]
    done = cases_in["status"].isin(vocab.CASE_DONE_STATUSES) & (cases_in["closed_date"] <= as_of)
    out["cases_received"] = _roll(records, cases_in, "place_code")
    out["cases_resolved"] = _roll(records, cases_in[done], "place_code")
    out["resolution_rate"] = _rate(out["cases_resolved"], out["cases_received"])

    events = records["event"]
    events_in = events[period.contains(events["date"])]
    out["legal_events"] = _roll(records, events_in, "place_code")
    out["legal_lectures"] = _roll(
        records, events_in[events_in["format"] == "lecture"], "place_code"
    )
    out["legal_audience"] = _roll(
        records,
        events_in.assign(audience=events_in["audience"].fillna(0)),
        "place_code",
        value="audience",
    )

    courses = records["course"]
    courses_in = courses[period.contains(courses["date"])]
    out["course_sessions"] = _roll(records, courses_in, "place_code")
    out["course_attendance"] = _roll(records, courses_in, "place_code", value="attendance")
    out["key_villages_with_course"] = _units_reached(
        records, courses_in["place_code"], places["key_village"].astype(bool)
    )

    persons = records["person"]
    left_behind = persons[
        persons["categories"].map(lambda c: "left_behind_child" in vocab.split_keys(c))
    ]
    out["left_behind_children"] = _roll(records, left_behind, "place_code")

    pairings = _with_place(records["pairing"], records.person_place, "person_id")
    overlaps = pd.Series(True, index=pairings.index)
    if period.end is not None:
        overlaps &= pairings["start_date"] <= period.end
    if period.start is not None:
        overlaps &= pairings["end_date"].isna() | (pairings["end_date"] >= period.start)
    lb_paired = pairings[overlaps & pairings["person_id"].isin(set(left_behind["person_id"]))]
    out["left_behind_children_paired"] = _roll(
        records, lb_paired, "place_code", distinct="person_id"
    )

    active = active_pairings(records, as_of)
    out["pairings_active"] = _roll(records, active, "place_code")
    out["pairings_lapsed"] = _roll(
        records, active[active["days_since_contact"] > lapse_days], "place_code"
    )

    households = records["household"]
    must_visit = households[households["categories"].map(is_must_visit)]
    out["households_must_visit"] = _roll(records, must_visit, "place_code")
    out["households_visited"] = _roll(records, visits_in, "place_code", distinct="household_id")
    must_visited = visits_in[visits_in["household_id"].isin(set(must_visit["household_id"]))]
    out["must_visit_coverage"] = _rate(
        _roll(records, must_visited, "place_code", distinct="household_id"),
        out["households_must_visit"],
    )

    screenings = _with_place(records["screening"], records.household_place, "household_id")
    screenings_in = screenings[period.contains(screenings["date"])]
    out["households_screened"] = _roll(
        records, screenings_in, "place_code", distinct="household_id"
    )
    unfollowed = high_risk_without_follow_up(records, screenings_in, as_of)
    out["high_risk_without_follow_up"] = _roll(
        records, unfollowed, "place_code", distinct="household_id"
    )

    recs = records["recommendation"].merge(
        records["inspection"][["inspection_id", "date"]], on="inspection_id", how="left"
    )
    recs = recs[recs["date"] <= as_of] if len(recs) else recs
    open_recs = recs[recs["status"].isin(vocab.REC_OPEN_STATUSES)]
    out["recommendations_open"] = _roll(records, open_recs, "place_code")
    out["recommendations_overdue"] = _roll(
        records,
        open_recs[open_recs["due_date"].notna() & (open_recs["due_date"] < as_of)],
        "place_code",
    )

    frame = pd.DataFrame(out)[list(vocab.METRICS)]
    records._cache[key] = frame
    return frame


def is_must_visit(categories: str) -> bool:
    """Whether a household's categories put it in one of the six must-visit groups."""
    return bool(set(vocab.split_keys(categories)) & vocab.MUST_VISIT_CATEGORIES)


def active_pairings(records: Records, as_of: pd.Timestamp) -> pd.DataFrame:
    """Pairings running on a day, with their place and days since the last contact (or start)."""
    pairings = _with_place(records["pairing"], records.person_place, "person_id")
    running = pairings[
        (pairings["start_date"] <= as_of)
        & (pairings["end_date"].isna() | (pairings["end_date"] >= as_of))
    ].copy()
    contacts = records["contact"]
    last = contacts[contacts["date"] <= as_of].groupby("pairing_id")["date"].max()
    # reindex, not map: pandas 3 cannot map onto datetimes when no key matches
    running["last_contact"] = last.reindex(running["pairing_id"]).to_numpy()
    since = running["last_contact"].fillna(running["start_date"])
    running["days_since_contact"] = (as_of - since).dt.days
    return running


def high_risk_without_follow_up(
    records: Records, screenings: pd.DataFrame, as_of: pd.Timestamp
) -> pd.DataFrame:
    """High-risk screenings with no visit to the household from the screening day to `as_of`."""
    high = screenings[screenings["risk_level"] == "high"]
    if high.empty:
        return high
    visits = records["visit"][["household_id", "date"]].rename(columns={"date": "visit_date"})
    joined = high.merge(visits, on="household_id", how="left")
    followed = (joined["visit_date"] >= joined["date"]) & (joined["visit_date"] <= as_of)
    followed_ids = set(joined.loc[followed, "screening_id"])
    return high[~high["screening_id"].isin(followed_ids)]


def place_metrics(records: Records, code: str | None = None, period: Period | None = None) -> dict:
    """Every metric for one place (the county by default) as {metric: value}."""
    code = records.check_place(code or records.root)
    row = metrics_by_place(records, period).loc[code]
    return {metric: _plain(row[metric], vocab.METRICS[metric][2]) for metric in vocab.METRICS}


def _plain(value, kind: str):
    if pd.isna(value):
        return None
    if kind == "rate":
        return round(float(value), 4)
    return int(value)
