"""Figures shared between kernels: metrics and gaps per place and period, kept in the database.

Computing them needs every record, which at province scale is millions of rows, tens of seconds and
a GiB of memory in each page's kernel. The figures themselves are small (a few numbers per place),
so the first page to need them for a data version computes and stores them (`figure_cache`), and
every other page of every user reads them back. A write bumps the data version, so stored figures
are never shown for records that have changed.

`PageRecords` goes with it: the gazetteer and organisations are read when the page opens, every
other kind only when something needs it (then all kinds at once, as one snapshot).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Collection, Iterator, Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from hehu.clock import local_today
from hehu.figures.gaps import gaps_by_place
from hehu.figures.metrics import Period, Records, load_records, metrics_by_place
from hehu.figures.tracking.common import own_row_code
from hehu.records.gazetteer import record_scope, stored_source
from hehu.records.schema import DATE_COLUMNS, RECORD_TABLES
from hehu.records.store import Store

# Kinds a page reads at once: small, and what a map and a place picker need.
EAGER_KINDS = ("place", "org", "claim")
# Record kinds whose years make a page's period choices, with their date columns.
DATED_KINDS = (
    *(
        (kind, DATE_COLUMNS[kind])
        for kind in ("course", "visit", "case", "event", "protection_measure", "referral")
    ),
    # pairings started and ended are counted by year, and all time is the sum of the years
    # (disclosure.Periods): a year with only a pairing's start or end in it is a year too
    ("pairing", "start_date"),
    ("pairing", "end_date"),
)


# What `Records` derives from the gazetteer and caches on itself.
_DERIVED = ("ancestors", "root", "place_index", "household_place", "person_place", "_tree")


class _LazyFrames(Mapping):
    """Frames of a store: the eager kinds now, the others when first used.

    A page of no place in particular reads them as one snapshot of every kind, on first use of
    any. A page of a place reads each kind when first used, only the records of the place's
    scope (`gazetteer.record_scope`), so a city's briefing that takes its figures from the
    shared cache reads its targets and recommendations and nothing else.
    """

    def __init__(
        self,
        store: Store,
        owner: PageRecords,
        frames: dict[str, pd.DataFrame],
        per_kind: bool,
        places: list[str] | None,
    ):
        self._store = store
        self._owner = owner
        self._frames = frames
        self._per_kind = per_kind
        self.places = places

    @property
    def loaded(self) -> bool:
        """Whether every kind has been read."""
        return all(kind in self._frames for kind in RECORD_TABLES)

    def full(self) -> None:
        """Read every kind not read yet (of the whole store: the records' own per-version
        snapshot is reused; of a scope: kind by kind)."""
        if self.places is not None:
            self._read([kind for kind in RECORD_TABLES if kind not in self._frames])
            return
        if self.loaded:
            return
        snapshot = load_records(self._store)
        if snapshot.data_version != self._owner.data_version:
            # A write came between the page opening and now: forget what was derived from
            # the gazetteer read then, and file figures under the snapshot's version.
            self._owner.renew(snapshot.data_version)
        self._frames = dict(snapshot.frames)

    def _read(self, kinds: list[str]) -> None:
        """Read `kinds` at the version of what was read before, or everything again at a newer one."""
        store, owner = self._store, self._owner
        for _ in range(5):
            version = store.data_version()
            frames = {kind: store.read(kind, places=self.places) for kind in kinds}
            if store.data_version() == version:
                break
        if version == owner.data_version:
            self._frames.update(frames)
            return
        # A write since the page opened: the kinds read before are of an older version.
        stale = [kind for kind in self._frames if kind not in frames]
        owner.renew(version)
        self._frames = frames
        self._read(stale)

    def __getitem__(self, kind: str) -> pd.DataFrame:
        if kind not in self._frames:
            if self._per_kind:
                self._read([kind])
            else:
                self.full()
        return self._frames[kind]

    def __iter__(self) -> Iterator[str]:
        return iter(RECORD_TABLES)

    def __len__(self) -> int:
        return len(RECORD_TABLES)


class PageRecords(Records):
    """Records of a page: read lazily, with figures from the shared cache when it has them.

    With `place` (a page of one place; "" or an unknown code: the top), each kind is read when
    first used and only the records of the place's scope (`gazetteer.record_scope`): a county's
    or town's records, a city's; figures of every place come from the shared cache, or are
    computed from every record (and kept there) when it does not have them.
    """

    def __init__(self, store: Store, place: str | None = None):
        # The version must be the one of the frames read: read it before and after them, and
        # read again if a write came in between (figures of one version, places of another,
        # would not match).
        for _ in range(5):
            version = store.data_version()
            frames = {kind: store.read(kind) for kind in EAGER_KINDS}
            if store.data_version() == version:
                break
        super().__init__(
            frames={},
            is_demo=store.is_demo(),
            data_version=version,
            place_source=stored_source(store),
        )
        self.store = store
        self.place = place
        known = place is not None and place in set(frames["place"]["code"].tolist())
        scope = record_scope(frames["place"], place) if known else None
        self.frames = _LazyFrames(store, self, frames, place is not None, scope)
        self._whole: PageRecords | None = None

    @property
    def fully_loaded(self) -> bool:
        """Whether every record kind has been read (a cache miss or a page that needs records)."""
        return self.frames.loaded

    @property
    def scope(self) -> list[str] | None:
        """The places whose records these are (None: all)."""
        return self.frames.places

    def renew(self, version: int) -> None:
        """Forget what was derived from frames of an older version: the frames are re-read."""
        for derived in _DERIVED:
            self.__dict__.pop(derived, None)
        self._cache.clear()
        self.data_version = version

    def whole(self) -> PageRecords:
        """Records of the whole store beside these (to compute figures of every place)."""
        if self.scope is None:
            return self
        if self._whole is None:
            self._whole = PageRecords(self.store)
        return self._whole

    def for_place(self, code: str) -> PageRecords:
        """Records a page of `code` can read: these if their scope is that place's, else
        new ones of its scope."""
        if self.place is None or code == self.place:
            return self
        if self.scope == _scope_of(self.places, code):
            return self
        return PageRecords(self.store, code)


def _scope_of(places: pd.DataFrame, code: str) -> list[str] | None:
    return record_scope(places, code) if code in set(places["code"].tolist()) else None


def period_key(period: Period) -> str:
    """A period as a cache key; open-ended periods carry the day they are judged on."""
    day = lambda d: "" if d is None else d.strftime("%Y-%m-%d")  # noqa: E731
    return f"{day(period.start)}:{day(period.end)}@{day(period.as_of)}"


def frame_to_bytes(frame: pd.DataFrame) -> bytes:
    """A frame of numbers indexed by text as .npz bytes (no pickle: safe to read back)."""
    arrays = {
        "__index__": frame.index.to_numpy(dtype=str),
        "__columns__": np.array(list(frame.columns), dtype=str),
    }
    for i, column in enumerate(frame.columns):
        values = frame[column].to_numpy()
        if values.dtype.kind not in "biuf":
            raise TypeError(f"figure column {column!r} is not numeric ({values.dtype})")
        arrays[f"c{i}"] = values
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def frame_from_bytes(
    payload: bytes, places: Collection[str] | None = None, columns: list[str] | None = None
) -> pd.DataFrame:
    """The frame `frame_to_bytes` stored; with `places`, only the rows of those places
    (`row_places`), in the stored order; with `columns`, only those (in that order; KeyError
    for one not stored), the others not even uncompressed.

    Each column is stored apart, so the rows are taken one column at a time: a page of a county
    holds its county's rows, never the 40,000 of a province (60 MiB a period of place figures).
    """
    with np.load(io.BytesIO(payload), allow_pickle=False) as data:
        return _frame_of(data, places, columns)


def _frame_of(data, places: Collection[str] | None, columns: list[str] | None) -> pd.DataFrame:
    """`frame_from_bytes` of the opened .npz `data`."""
    stored = [str(c) for c in data["__columns__"]]
    if columns is None:
        members = [(c, f"c{i}") for i, c in enumerate(stored)]
    elif missing := [c for c in columns if c not in stored]:
        raise KeyError(f"not stored: {missing}")
    else:
        members = [(c, f"c{stored.index(c)}") for c in columns]
    labels = data["__index__"]
    keep = None if places is None else _of_places(labels, places)
    if keep is not None:
        labels = labels[keep]
    index = pd.Index(labels.astype(object), name="code").astype("str")
    values = {c: data[m] if keep is None else data[m][keep] for c, m in members}
    return pd.DataFrame(values, index=index)


def row_places(labels) -> pa.Array:
    """The place of each row label of a frame indexed by place: the label itself ('code'), and
    also for a parent's own row ('code#own', `tracking.own_row_code`) and a row of a period's
    block in stacked frames ('2|code', `places.place_hidden_cells`)."""
    labels = pa.array(np.asarray(labels, dtype=str), pa.string())
    labels = pc.replace_substring_regex(labels, r"^[0-9]+\|", "")  # a period's block
    return pc.replace_substring(labels, own_row_code(""), "")


def _of_places(labels, places: Collection[str]) -> np.ndarray:
    """Which row labels are of `places` (`row_places`), as booleans."""
    wanted = pa.array(list(places), pa.string())
    return pc.is_in(row_places(labels), value_set=wanted).to_numpy(zero_copy_only=False)


def _rows_of(frame: pd.DataFrame, places: Collection[str]) -> pd.DataFrame:
    """The rows of `frame` (indexed by place) of `places`, as `frame_from_bytes` reads them."""
    return frame[_of_places(frame.index.to_numpy(dtype=str), places)]


# Bumped whenever what a stored figure means or how it is laid out changes: figures kept by an
# older Hehu for the same data are then computed again, never read back in the old form.
# 5: every place's hidden cells checked with all equations together; 6: cases resolved and
# referred apart among the place figures; 7: pairings started and ended among them, and the
# pairings page's tables every place's (hehu.figures.splits); 8: the gaps' overdue follow-ups
# are the visits page's (screenings' too); 9: the pairings running disclosed with the children
# paired where they are as many
FIGURES_FORMAT = 9


def shared_figures(
    records: Records, name: str, key: str, compute: Callable, by_place: bool = False
) -> pd.DataFrame:
    """Figures from the records' own cache, else the database's, else computed and stored.

    Records of a scope (a county's page) never compute them: figures of every place are
    computed from every record, once, and kept for everyone. Of figures indexed by place
    (`by_place`, see `row_places`) they hold the rows of their scope only: the figures of a
    place inside it are all a page of it shows (`gazetteer.record_scope`).
    """
    local = ("shared", f"{name}/{FIGURES_FORMAT}", key)
    if local in records._cache:
        return records._cache[local]
    if isinstance(records, PageRecords) and records.scope is not None:
        places = records.scope if by_place else None
        payload = records.store.cached_figures(local[1], key, records.data_version)
        if payload is None:
            frame = shared_figures(records.whole(), name, key, compute)
            frame = frame if places is None else _rows_of(frame, places)
        else:
            frame = frame_from_bytes(payload, places)
        records._cache[local] = frame
        return frame
    name = local[1]
    store = getattr(records, "store", None)  # plain Records (tests, the CLI) compute in place
    frame = None
    if store is not None:
        payload = store.cached_figures(name, key, records.data_version)
        if payload is not None:
            frame = frame_from_bytes(payload)
    if frame is None and isinstance(records, PageRecords) and not records.fully_loaded:
        # Compute from one snapshot of every kind, read now: reading the rest halfway through
        # a computation that began on the gazetteer read when the page opened would mix two
        # versions if a write came in between. The snapshot may be newer: look again.
        records.frames.full()
        if store is not None:
            payload = store.cached_figures(name, key, records.data_version)
            if payload is not None:
                frame = frame_from_bytes(payload)
    if frame is None:
        frame = compute(records)
        if store is not None:
            store.keep_figures(name, key, records.data_version, frame_to_bytes(frame))
            if "@" in key:  # the same period judged on another day is never read again
                store.forget_figures(name, key.split("@")[0] + "@%", keep=key)
    records._cache[local] = frame
    return frame


def shared_columns(
    records: Records, name: str, key: str, compute: Callable, columns: list[str]
) -> pd.DataFrame:
    """`shared_figures(..., by_place=True)[columns]`; a page of a scope that has not read them
    all reads only those columns from the figure cache (a briefing compares a few figures with
    the previous period's, of a frame of 200 columns)."""
    local = ("shared", f"{name}/{FIGURES_FORMAT}", key)
    if (
        local not in records._cache
        and isinstance(records, PageRecords)
        and records.scope is not None
    ):
        some = (*local, tuple(columns))
        if some not in records._cache:
            payload = records.store.cached_figures(local[1], key, records.data_version)
            if payload is None:
                return shared_figures(records, name, key, compute, by_place=True)[columns]
            records._cache[some] = frame_from_bytes(payload, records.scope, columns)
        return records._cache[some]
    return shared_figures(records, name, key, compute, by_place=True)[columns]


def page_metrics(records: Records, period: Period) -> pd.DataFrame:
    """`metrics_by_place` for a page, shared between kernels through the database."""
    return shared_figures(
        records, "metrics", period_key(period), lambda r: metrics_by_place(r, period), by_place=True
    )


def page_gaps(records: Records, period: Period) -> pd.DataFrame:
    """`gaps_by_place` for a page, shared between kernels through the database."""
    compute = lambda r: gaps_by_place(r, period)  # noqa: E731
    return shared_figures(records, "gaps", period_key(period), compute, by_place=True)


def _years(records: Records) -> pd.DataFrame:
    """Each year with dated records, and the first day in it that has one."""
    dates = pd.concat(
        [records[kind][column].dropna() for kind, column in DATED_KINDS], ignore_index=True
    )
    first = dates.groupby(dates.dt.year).min() if len(dates) else pd.Series([], dtype=object)
    return pd.DataFrame(
        {
            "year": pd.Series([int(y) for y in first.index], dtype="int64"),
            # as the number yyyymmdd: the figure cache holds numbers only
            "first": pd.Series([int(f"{d:%Y%m%d}") for d in first], dtype="int64"),
        }
    ).set_axis([str(int(y)) for y in first.index])


def years_with_records(records: Records) -> list[int]:
    """Calendar years in which courses, visits, cases, events, measures or referrals were recorded,
    or pairings started or ended."""
    return [int(y) for y in shared_figures(records, "years", "", _years)["year"]]


def default_period_key(records: Records, today: dt.date | None = None) -> str:
    """The period a page opens on: the latest year with a record dated up to today.

    A record dated in the future (a typing slip at import, which the import warns about) never
    makes its year the default: a deputy would open on a near-empty year. With no dated record
    up to today, the newest period a stored report speaks of, else all time.
    """
    today = today or local_today()
    years = shared_figures(records, "years", "", _years)
    usable = years.loc[years["first"] <= int(f"{today:%Y%m%d}"), "year"]
    if len(usable):
        return str(int(usable.max()))
    reports = report_period_keys(records)
    return reports[0] if reports else "all"


def report_period_keys(records: Records) -> list[str]:
    """'start:end' of the periods the stored claims (a work report's figures) speak of, newest
    first, leaving out calendar years (offered anyway)."""
    claims = records["claim"]
    keys: list[str] = []
    for start, end in (
        claims[["period_start", "period_end"]]
        .drop_duplicates()
        .sort_values(["period_end", "period_start"], ascending=False)
        .itertuples(index=False)
    ):
        if (start.month, start.day, end.month, end.day) == (
            1,
            1,
            12,
            31,
        ) and start.year == end.year:
            continue
        keys.append(f"{start:%Y-%m-%d}:{end:%Y-%m-%d}")
    return keys


def overview_period_keys(records: Records) -> list[str]:
    """The periods a page offers: each year with records (newest first), each period a stored
    report speaks of, all time."""
    years = [str(y) for y in sorted(years_with_records(records), reverse=True)]
    return years + report_period_keys(records) + ["all"]


def period_options(records: Records, lang: str) -> list[tuple[str, str]]:
    """(label, key) choices: each year with records, the source report's period, all time."""
    from hehu import i18n

    options = []
    # The years come from the shared figures: no records are read for them.
    for key in overview_period_keys(records):
        if key == "all":
            options.append((i18n.t("all_time", lang), key))
        elif ":" in key:  # a period a stored report speaks of
            start, end = key.split(":")
            options.append((i18n.t("source_period", lang, start=start, end=end), key))
        else:
            options.append((i18n.t("year_n", lang, year=key), key))
    return options


def period_from_key(key: str) -> Period:
    """The Period a selector key stands for ('2022', 'start:end' or 'all')."""
    if key == "all":
        return Period()
    if ":" in key:
        start, end = key.split(":", 1)
        return Period.of(start, end)
    return Period.year(int(key))


def period_choice_key(period: Period) -> str:
    """The selector key of a period ('2022', 'start:end' or 'all'): `period_from_key`'s inverse."""
    if period.start is None and period.end is None:
        return "all"
    if (
        period.start is not None
        and period.end is not None
        and period == Period.year(period.start.year)
    ):
        return str(period.start.year)
    day = lambda d: "" if d is None else d.strftime("%Y-%m-%d")  # noqa: E731
    return f"{day(period.start)}:{day(period.end)}"
