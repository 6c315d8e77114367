"""Metrics: every indicator of DESIGN.md for every place and any period, as pandas frames.

All metrics are computed per place of record (a village, a town, the county), then rolled up the
hierarchy with one `ancestors` table, so a town's figure is always the sum of what lies under it
and counts of distinct things (households, children) are never double-counted.

Speed (a province is millions of rows): ids are strings, and looking strings up is what costs, so
every join a metric needs (visit -> household -> place...) is turned into integer row positions
once per snapshot and cached on the `Records`; figures are then counted with numpy over positions.

Memory: the store reads text as Arrow strings. A pandas `Index` over them (`get_indexer`, `map`
with a Series) would turn every id back into a Python object and keep them in the index's hash
table for as long as the snapshot lives, so positions are found with Arrow's `index_in`
(`positions`) instead, and no index over a big id column is built here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from hehu.clock import local_today
from hehu.errors import BadDate, UnknownPlace
from hehu.records import vocab
from hehu.records.gazetteer import ancestors_frame, codes_under, root_code, stored_source
from hehu.records.schema import RECORD_TABLES
from hehu.records.store import Store


@dataclass
class Records:
    """A snapshot of every record kind as frames, read once per data version."""

    frames: dict[str, pd.DataFrame]
    is_demo: bool = False
    data_version: int = 0
    # where the gazetteer's places come from, by language ({} if it names no source)
    place_source: dict[str, str] = field(default_factory=dict)
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

    @cached_property
    def _tree(self) -> tuple[np.ndarray, np.ndarray]:
        """`ancestors` as positions in `place_index`: (place, ancestor) position pairs."""
        anc = self.ancestors
        code = self.place_pos(anc["code"])
        up = self.place_pos(anc["ancestor"])
        keep = (code >= 0) & (up >= 0)  # an ancestor outside the gazetteer has no row to count in
        return code[keep], up[keep]

    def place_pos(self, codes) -> np.ndarray:
        """Position in `place_index` of each of `codes` (-1 for a code not in the gazetteer)."""
        return positions(codes, self.places["code"])

    def _place_pos(self, kind: str, column: str = "place_code") -> np.ndarray:
        """Position in `place_index` of each record's place (-1 if none), cached per snapshot."""
        key = ("place_pos", kind, column)
        if key not in self._cache:
            self._cache[key] = self.place_pos(self.frames[kind][column])
        return self._cache[key]

    def _row_pos(self, kind: str, column: str, target: str, target_key: str) -> np.ndarray:
        """Row of `target` whose `target_key` each record's `column` names (-1 if none), cached."""
        key = ("row_pos", kind, column, target)
        if key not in self._cache:
            self._cache[key] = positions(self.frames[kind][column], self.frames[target][target_key])
        return self._cache[key]

    def _flags(self, kind: str, column: str, test) -> np.ndarray:
        """`test` of each record's `column`, evaluated once per distinct value, cached."""
        key = ("flags", kind, column, test)
        if key not in self._cache:
            self._cache[key] = _map_distinct(self.frames[kind][column], test)
        return self._cache[key]

    def cached(self, key: tuple, build):
        """What `build()` gives, computed once per snapshot under `key` (figures, positions…)."""
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    def under(self, code: str) -> frozenset[str]:
        """`gazetteer.codes_under`: the codes of a place and every place under it, once per
        snapshot (a briefing asks for them four times)."""
        return self.cached(("codes_under", code), lambda: frozenset(codes_under(self.places, code)))

    def check_place(self, code: str) -> str:
        """The code if it is in the gazetteer; UnknownPlace otherwise."""
        if code not in set(self.places["code"].tolist()):  # not Arrow's: a Python object a row
            raise UnknownPlace(code)
        return code


def positions(keys, among) -> np.ndarray:
    """Position in `among` of each of `keys`, -1 where it is not there: what
    `pd.Index(among).get_indexer(keys)` gives for unique `among` (for a key listed twice, the
    first), a missing key matching a missing value as it does there.

    On Arrow strings (what the store reads) Arrow finds them: no Python object per key and no
    index engine kept; anything else goes through `get_indexer`, as it always did.
    """
    found = _arrow_strings(keys), _arrow_strings(among)
    if found[0] is None or found[1] is None:
        index = pd.Index(among)
        if index.is_unique:
            return index.get_indexer(keys)
        first = ~index.duplicated(keep="first")
        pos = index[first].get_indexer(keys)
        return np.where(pos >= 0, np.flatnonzero(first)[pos], -1)
    where = pc.index_in(found[0], value_set=_one_array(found[1]))
    positions = where.fill_null(-1).to_numpy().astype(np.intp, copy=False)
    del where
    release_arrow_memory()  # the lookup's hash table: a million ids' worth of it
    return positions


def isin_values(values: pd.Series, among: pd.Series) -> np.ndarray:
    """`values.isin(among)` as a bool array; on Arrow strings without pandas' Python loop over
    `among` (its `isin` makes a Python object of every value it looks for)."""
    found = _arrow_strings(values), _arrow_strings(among)
    if found[0] is None or found[1] is None:
        return values.isin(among).to_numpy()
    hit = pc.is_in(found[0], value_set=_one_array(found[1]))
    return hit.to_numpy(zero_copy_only=False).astype(bool, copy=False)


def _one_array(chunked: pa.ChunkedArray) -> pa.Array:
    """A chunked array as one array, copied only if it has several chunks."""
    return chunked.chunk(0) if chunked.num_chunks == 1 else chunked.combine_chunks()


def release_arrow_memory() -> None:
    """Give the memory Arrow has freed (lookups' hash tables, read chunks) back to the system.

    Arrow's allocator keeps freed pages for reuse; a kernel that computed the metrics once
    would otherwise hold a few hundred MB more than its data for as long as it lives.
    """
    pa.default_memory_pool().release_unused()


def _arrow_strings(values) -> pa.ChunkedArray | None:
    """The Arrow array behind a column of Arrow-backed text, else None."""
    array = getattr(values, "array", values)
    if isinstance(array, pd.arrays.ArrowStringArray):
        return array._pa_array  # large_string
    return None


_CACHE: dict[tuple, Records] = {}


def load_records(store: Store, places: list[str] | None = None) -> Records:
    """Read every record kind from the store; cached until the next write changes the data.

    With `places` (a scope: `gazetteer.record_scope`), only the records of those places: every
    figure of a place whose whole subtree is in the scope is then the one all records give.
    """
    version = store.data_version()
    key = (store.url, version, None if places is None else tuple(places))
    if key not in _CACHE:
        frames = {kind: store.read(kind, places=places) for kind in RECORD_TABLES}
        _CACHE.clear()  # keep one snapshot: the newest
        _CACHE[key] = Records(
            frames,
            is_demo=store.is_demo(),
            data_version=version,
            place_source=stored_source(store),
        )
        release_arrow_memory()
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
        return self.end if self.end is not None else pd.Timestamp(local_today())

    def previous(self) -> Period | None:
        """The period of the same length just before this one ("since last time"); None for a
        period with an open end (all time, or up to today), which has no length.

        A period of whole calendar months (a month, a quarter, a year: what reports compare) is
        followed by the same number of whole months, so the previous of 2024 is 2023 and of
        March 2024 is February 2024 (29 days), of February 2024 January 2024. Any other period
        is followed by as many days, ending the day before it starts.
        """
        if self.start is None or self.end is None:
            return None
        end = self.start - pd.Timedelta(days=1)
        next_day = self.end + pd.Timedelta(days=1)
        if self.start.day == 1 and next_day.day == 1:
            months = (next_day.year - self.start.year) * 12 + next_day.month - self.start.month
            return Period(self.start - pd.DateOffset(months=months), end)
        return Period(end - (self.end - self.start), end)

    def contains(self, dates: pd.Series) -> pd.Series:
        """Which dates fall inside the period."""
        mask = dates.notna()
        if self.start is not None:
            mask &= dates >= self.start
        if self.end is not None:
            mask &= dates <= self.end
        return mask

    def label(self, lang: str = "zh") -> str:
        """The period as text: 2021-01-01 至 2022-11-10, 2021-01-01 to 2022-11-10, 至今 / to date."""
        if self.start is None and self.end is None:
            return "全部时间" if lang != "en" else "all time"
        start = "最早记录" if lang != "en" else "the first record"
        end = "今" if lang != "en" else "date"
        start = start if self.start is None else self.start.strftime("%Y-%m-%d")
        end = end if self.end is None else self.end.strftime("%Y-%m-%d")
        return f"{start} 至 {end}" if lang != "en" else f"{start} to {end}"


def _map_distinct(values: pd.Series, test) -> np.ndarray:
    """`values.map(test)` as a bool array, calling `test` once per distinct value, not per row."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    results = [bool(test(u)) for u in uniques]
    if (codes < 0).any():  # missing values: code -1 takes the last entry
        results.append(bool(test(np.nan)))
    return np.array(results, dtype=bool)[codes] if len(codes) else np.zeros(0, dtype=bool)


def _roll_up(records: Records, per_place: np.ndarray, name=None) -> pd.Series:
    """Figures per place of record -> figures per place with everything under it added."""
    code, up = records._tree
    total = np.bincount(up, weights=per_place[code], minlength=len(records.place_index))
    return pd.Series(np.rint(total).astype("int64"), index=records.place_index, name=name)


def _count(records: Records, pos: np.ndarray, weights: np.ndarray | None = None, name=None):
    """Roll up rows given as place positions: count them, or sum integer `weights`."""
    ok = pos >= 0
    per_place = np.bincount(
        pos[ok],
        weights=None if weights is None else weights[ok],
        minlength=len(records.place_index),
    )
    return _roll_up(records, per_place.astype("float64"), name)


def _count_distinct(records: Records, pos: np.ndarray, items: np.ndarray, name=None) -> pd.Series:
    """Roll up how many distinct items (non-negative integer codes) lie under each place."""
    ok = (pos >= 0) & (items >= 0)
    pos, items = pos[ok], items[ok]
    n = len(records.place_index)
    if not len(items):
        return pd.Series(0, index=records.place_index, dtype="int64", name=name)
    home = np.full(int(items.max()) + 1, -1, dtype="int64")
    home[items] = pos
    if (home[items] == pos).all():
        # each item at one place (a household has one home): count each item once, at it
        return _count(records, home[home >= 0], name=name)
    # an item at several places: pair it with every ancestor of each, then count pairs once
    pairs = np.unique(items.astype("int64") * n + pos)
    item, place = np.divmod(pairs, n)
    code, up = records._tree
    order = np.argsort(code, kind="stable")
    code, up = code[order], up[order]
    first = np.searchsorted(code, place)
    reach = np.searchsorted(code, place, side="right") - first
    offset = np.arange(reach.sum()) - np.repeat(np.cumsum(reach) - reach, reach)
    ancestor = up[np.repeat(first, reach) + offset]
    unique = np.unique(np.repeat(item, reach) * n + ancestor)
    per_place = np.bincount(unique % n, minlength=n).astype("int64")
    return pd.Series(per_place, index=records.place_index, name=name)


def roll(
    records: Records, frame: pd.DataFrame, place_col: str, *, value=None, distinct=None
) -> pd.Series:
    """Roll records up the hierarchy: count rows, sum `value` or count distinct `distinct`."""
    if frame.empty:
        return pd.Series(0, index=records.place_index, dtype="int64")
    pos = records.place_pos(frame[place_col])
    if distinct is not None:
        items, _ = pd.factorize(frame[distinct], use_na_sentinel=True)
        return _count_distinct(records, pos, items, name=distinct)
    if value is None:
        return _count(records, pos)
    values = frame[value]
    if pd.api.types.is_integer_dtype(values) or pd.api.types.is_bool_dtype(values):
        # float64 sums of integers are exact below 2**53
        weights = values.astype("float64").fillna(0).to_numpy()
        return _count(records, pos, weights, name=value)
    return _roll_merge(records, frame, place_col, value)


def _roll_merge(records: Records, frame: pd.DataFrame, place_col: str, value: str) -> pd.Series:
    """Sum a non-integer `value` the pandas way (its rounding of float sums is the reference)."""
    merged = frame.merge(records.ancestors, left_on=place_col, right_on="code", how="inner")
    out = merged.groupby("ancestor")[value].sum()
    return out.reindex(records.place_index, fill_value=0).astype("int64")


def _reached_units(records: Records, reached: np.ndarray, unit_mask: np.ndarray) -> pd.Series:
    """Per place: how many units under it hold a reached place (positions; -1 ignored)."""
    n = len(records.place_index)
    hit = np.zeros(n, dtype=bool)
    hit[reached[reached >= 0]] = True
    code, up = records._tree
    unit_hit = np.zeros(n, dtype=bool)
    unit_hit[up[hit[code]]] = True
    return _roll_up(records, (unit_hit & unit_mask).astype("float64"))


def _units_reached(records: Records, reached_places: pd.Series, unit_mask: pd.Series) -> pd.Series:
    """Per place: how many units under it (towns, key villages…) hold a reached place."""
    reached = records.place_pos(pd.Series(reached_places).dropna().unique())
    mask = np.zeros(len(records.place_index), dtype=bool)
    units = records.place_pos(records.places.loc[unit_mask.to_numpy(), "code"])
    mask[units[units >= 0]] = True
    return _reached_units(records, reached, mask)


def with_place(frame: pd.DataFrame, mapping: pd.Series, key: str) -> pd.DataFrame:
    """The frame with a `place_code` column: `frame[key].map(mapping)`, found with Arrow when
    the ids are Arrow strings (no index engine over every id of `mapping` is built)."""
    out = frame.copy()
    if _arrow_strings(out[key]) is None or _arrow_strings(mapping.index) is None:
        out["place_code"] = out[key].map(mapping)
    else:
        pos = positions(out[key], mapping.index)
        out["place_code"] = take_at(mapping, pos, out.index).rename(None)
    return out


def take_at(values: pd.Series, pos: np.ndarray, index: pd.Index) -> pd.Series:
    """values at positions `pos` (missing where -1), on `index`, keeping values' dtype."""
    return pd.Series(values.array.take(pos, allow_fill=True), index=index, name=values.name)


def rate_of(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """numerator / denominator, NaN where the denominator is 0."""
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

    # Households and people: where each lives, who is a left-behind child, who must be visited.
    home = records._place_pos("household")
    must_visit = records._flags("household", "categories", is_must_visit)
    lives = records._place_pos("person")
    left_behind = records._flags("person", "categories", is_left_behind_child)

    visits = records["visit"]
    visit_home = records._row_pos("visit", "household_id", "household", "household_id")
    visit_in = period.contains(visits["date"]).to_numpy()
    visit_in_home = visit_home[visit_in]
    visit_place = _through(home, visit_in_home)
    level = places["level"].to_numpy()
    key_village = places["key_village"].astype(bool).to_numpy()
    out["towns"] = _reached_units(records, visit_place, level == "town")
    out["subdistricts"] = _reached_units(records, visit_place, level == "subdistrict")
    out["key_villages"] = _reached_units(records, visit_place, key_village)

    orgs = records["org"]
    out["stations"] = roll(records, orgs[orgs["kind"].isin(vocab.STATION_KINDS)], "place_code")

    cases = records["case"]
    case_in = period.contains(cases["received_date"]).to_numpy()
    done = (
        cases["status"].isin(vocab.CASE_DONE_STATUSES) & (cases["closed_date"] <= as_of)
    ).to_numpy()
    case_place = records._place_pos("case")
    out["cases_received"] = _count(records, case_place[case_in])
    out["cases_resolved"] = _count(records, case_place[case_in & done])
    out["resolution_rate"] = rate_of(out["cases_resolved"], out["cases_received"])

    _measure_metrics(records, period, out)

    events = records["event"]
    event_in = period.contains(events["date"]).to_numpy()
    event_place = records._place_pos("event")
    lecture = (events["format"] == "lecture").to_numpy()
    audience = events["audience"].astype("float64").fillna(0).to_numpy()
    out["legal_events"] = _count(records, event_place[event_in])
    out["legal_lectures"] = _count(records, event_place[event_in & lecture])
    out["legal_audience"] = _count(records, event_place[event_in], audience[event_in])

    courses = records["course"]
    course_in = period.contains(courses["date"]).to_numpy()
    course_place = records._place_pos("course")[course_in]
    attendance = courses["attendance"].astype("float64").fillna(0).to_numpy()[course_in]
    out["course_sessions"] = _count(records, course_place)
    out["course_attendance"] = _count(records, course_place, attendance)
    out["key_villages_with_course"] = _reached_units(records, course_place, key_village)

    out["left_behind_children"] = _count(records, lives[left_behind])

    pairings = records["pairing"]
    partner = records._row_pos("pairing", "person_id", "person", "person_id")
    overlaps = np.ones(len(pairings), dtype=bool)
    if period.end is not None:
        overlaps &= (pairings["start_date"] <= period.end).to_numpy()
    if period.start is not None:
        overlaps &= (
            pairings["end_date"].isna() | (pairings["end_date"] >= period.start)
        ).to_numpy()
    lb_paired = overlaps & _through(left_behind, partner, False)
    out["left_behind_children_paired"] = _count_distinct(
        records, _through(lives, partner[lb_paired]), partner[lb_paired]
    )

    running, _, days_since = running_pairings(records, as_of)
    running_place = _through(lives, partner[running])
    out["pairings_active"] = _count(records, running_place)
    out["pairings_lapsed"] = _count(records, running_place[days_since > lapse_days])

    out["households_must_visit"] = _count(records, home[must_visit])
    out["households_visited"] = _count_distinct(records, visit_place, visit_in_home)
    must_visited = _through(must_visit, visit_in_home, False)
    out["must_visit_coverage"] = rate_of(
        _count_distinct(records, visit_place[must_visited], visit_in_home[must_visited]),
        out["households_must_visit"],
    )

    screenings = records["screening"]
    screened_home = records._row_pos("screening", "household_id", "household", "household_id")
    screening_in = period.contains(screenings["date"]).to_numpy()
    out["households_screened"] = _count_distinct(
        records, _through(home, screened_home[screening_in]), screened_home[screening_in]
    )
    unfollowed = screening_in & _unfollowed_high_risk(records, as_of)
    out["high_risk_without_follow_up"] = _count_distinct(
        records, _through(home, screened_home[unfollowed]), screened_home[unfollowed]
    )

    recs = records["recommendation"].merge(
        records["inspection"][["inspection_id", "date"]], on="inspection_id", how="left"
    )
    recs = recs[recs["date"] <= as_of] if len(recs) else recs
    open_recs = recs[recs["status"].isin(vocab.REC_OPEN_STATUSES)]
    out["recommendations_open"] = roll(records, open_recs, "place_code")
    out["recommendations_overdue"] = roll(records, recs[overdue(recs, as_of)], "place_code")

    frame = pd.DataFrame(out)[list(vocab.METRICS)]
    records._cache[key] = frame
    release_arrow_memory()
    return frame


def overdue(recs: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    """Which recommendations are overdue on a day: still open after their due date (the one
    rule of the metric, the briefing and the inspections page)."""
    due = recs["due_date"]
    return recs["status"].isin(vocab.REC_OPEN_STATUSES) & due.notna() & (due < as_of)


def measures_as_of(measures: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    """Each protection measure's outcome on a day: its outcome once decided by then (on its
    outcome date, or on its own date when none is given), else pending."""
    decided_on = measures["outcome_date"].fillna(measures["date"])
    return measures["outcome"].where(decided_on <= as_of, "pending")


# Protection measures: metric -> (the measure, the outcome it must have by the period's end, or
# None: any). With cases referred between bodies, the section pages and briefings show.
MEASURE_METRICS: dict[str, tuple[str, str | None]] = {
    "dv_warnings_issued": ("dv_warning", "issued"),
    "protection_orders_applied": ("protection_order", None),
    "protection_orders_issued": ("protection_order", "issued"),
    "mandatory_reports_received": ("mandatory_report", None),
    "mandatory_reports_handled": ("mandatory_report", "handled"),
}
PROTECTION_METRICS = (*MEASURE_METRICS, "cases_referred")


def _measure_metrics(records: Records, period: Period, out: dict[str, pd.Series]) -> None:
    """Protection measures dated in the period (a 告诫书 issued, a 保护令 applied for, a 强制报告
    received) and their outcome by the period's last day, as cases are; cases referred."""
    measures = records["protection_measure"]
    measure_in = period.contains(measures["date"]).to_numpy()
    outcome = measures_as_of(measures, period.as_of).to_numpy()
    kind = measures["measure"].to_numpy()
    place = records._place_pos("protection_measure")

    def count(mask: np.ndarray) -> pd.Series:
        return _count(records, place[measure_in & mask])

    for metric, (measure, must_be) in MEASURE_METRICS.items():
        out[metric] = count((kind == measure) & ((outcome == must_be) if must_be else True))
    # A case passed to one body or several ("1+N") is one case referred, at the case's place.
    referrals = records["referral"]
    referral_in = period.contains(referrals["date"]).to_numpy()
    case_row = records._row_pos("referral", "case_id", "case", "case_id")[referral_in]
    case_place = _through(records._place_pos("case"), case_row)
    out["cases_referred"] = _count_distinct(records, case_place, case_row)


def _through(values: np.ndarray, pos: np.ndarray, missing=-1) -> np.ndarray:
    """values[pos], with `missing` where pos is -1 (a record pointing at nothing)."""
    if not len(values):
        return np.full(len(pos), missing, dtype=values.dtype)
    return np.where(pos >= 0, values[pos], missing)


def is_left_behind_child(categories: str) -> bool:
    """Whether a person's categories make them a left-behind child."""
    return "left_behind_child" in vocab.split_keys(categories)


def is_must_visit(categories: str) -> bool:
    """Whether a household's categories put it in one of the six must-visit groups."""
    return bool(set(vocab.split_keys(categories)) & vocab.MUST_VISIT_CATEGORIES)


def running_pairings(records: Records, as_of: pd.Timestamp):
    """Which pairings run on a day (bool per pairing) and, for those, the last contact up to
    that day (NaT if none) and the days since it (or since the start)."""
    pairings = records["pairing"]
    start = pairings["start_date"]
    running = (
        (start <= as_of) & (pairings["end_date"].isna() | (pairings["end_date"] >= as_of))
    ).to_numpy()
    contacts = records["contact"]
    dates = contacts["date"]
    if np.issubdtype(dates.dtype, np.datetime64):
        # the latest contact of each pairing: a max over integer dates (NaT is the smallest
        # int64, so a pairing without contact stays NaT)
        unit = np.datetime_data(dates.dtype)[0]
        to_pairing = records._row_pos("contact", "pairing_id", "pairing", "pairing_id")
        day = dates.to_numpy().view("int64")
        keep = (day <= np.datetime64(as_of, unit).astype("int64")) & (to_pairing >= 0)
        keep &= ~np.isnat(dates.to_numpy())
        latest = np.full(len(pairings), np.iinfo("int64").min, dtype="int64")
        np.maximum.at(latest, to_pairing[keep], day[keep])
        last = latest.view(f"datetime64[{unit}]")[running]
    else:  # an empty contact table the store did not type: the plain pandas way
        found = contacts[dates <= as_of].groupby("pairing_id")["date"].max()
        last = found.reindex(pairings["pairing_id"][running]).to_numpy()
    since = pd.Series(last).fillna(pd.Series(start.to_numpy()[running]))
    days = (as_of - since).dt.days.to_numpy(dtype="int64")
    return running, last, days


def active_pairings(records: Records, as_of: pd.Timestamp) -> pd.DataFrame:
    """Pairings running on a day, with their place and days since the last contact (or start)."""
    return records.cached(("active_pairings", as_of), lambda: _active_pairings(records, as_of))


def _active_pairings(records: Records, as_of: pd.Timestamp) -> pd.DataFrame:
    running, last, days = running_pairings(records, as_of)
    out = records["pairing"][running].copy()
    # each pairing's child's place, through row positions: mapping through `person_place`
    # would build (and keep) an index of every person id
    partner = records._row_pos("pairing", "person_id", "person", "person_id")[running]
    out["place_code"] = take_at(records["person"]["place_code"], partner, out.index)
    out["last_contact"] = last
    out["days_since_contact"] = days
    return out


def _unfollowed_high_risk(records: Records, as_of: pd.Timestamp) -> np.ndarray:
    """Per screening: high risk, and no visit to its household from its day to `as_of`."""
    screenings = records["screening"]
    high = (screenings["risk_level"] == "high").to_numpy()
    screened_home = records._row_pos("screening", "household_id", "household", "household_id")
    visits = records["visit"]
    unit = np.datetime_data(visits["date"].dtype)[0] if len(visits) else None
    if (
        (screened_home[high] < 0).any()
        or unit is None
        or screenings["date"].dtype != visits["date"].dtype
    ):
        # a household id missing from the household table (or untyped frames): match as text
        unfollowed = high_risk_without_follow_up(records, screenings, as_of)
        return screenings.index.isin(unfollowed.index)
    # followed up if the household's latest visit up to `as_of` is on or after the screening day
    visit_home = records._row_pos("visit", "household_id", "household", "household_id")
    day = visits["date"].to_numpy().view("int64")
    upto = (day <= np.datetime64(as_of, unit).astype("int64")) & (visit_home >= 0)
    upto &= ~np.isnat(visits["date"].to_numpy())
    latest = np.full(len(records["household"]), np.iinfo("int64").min, dtype="int64")
    np.maximum.at(latest, visit_home[upto], day[upto])
    screened = screenings["date"].to_numpy()
    followed = (
        _through(latest, screened_home, np.iinfo("int64").min) >= screened.view("int64")
    ) & ~np.isnat(screened)
    return high & ~followed


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
