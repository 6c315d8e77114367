"""Every figure of every place in one frame per period, and what a role may see of it.

The overview, the map, the briefing (page, Word, pack), its questions and the forum all read
their counts from here, so one place's figure is disclosed once, with the same cells hidden on
every page, in every period a role can choose and at every level of the hierarchy: a county's
figure minus its towns', or one period minus another, never gives a hidden count back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hehu.disclosure import (
    Change,
    Periods,
    Rules,
    every_count_hidden,
    hidden_cells,
    mark_of,
    sees_exact_counts,
    shown_changes,
    shown_frame,
    shown_number,
    shows_some,
)
from hehu.figures.cache import (
    overview_period_keys,
    page_gaps,
    page_metrics,
    period_choice_key,
    period_from_key,
    period_key,
    shared_columns,
    shared_figures,
)
from hehu.figures.metrics import Period, Records, roll
from hehu.figures.tracking import (
    CHILD_CATEGORIES,
    case_figures,
    follow_up_figures,
    lapse_days_setting,
    must_visit_figures,
    open_case_age_frame,
    own_row_code,
    pairing_coverage,
    pairing_figures,
    screening_figures,
    station_cases,
)
from hehu.records import vocab
from hehu.records.gazetteer import in_codes

MUST_VISIT_VISITED = "must_visit_visited"  # the numerator of must_visit_coverage
MUST_VISIT_NOT_VISITED = "must_visit_not_visited"
GAP_COUNTS = ("unpaired_left_behind", "overdue_follow_ups")
# The gaps a deputy asks about, each a figure of its own kind: key villages with no course
# (places), unpaired left-behind children (people), overdue follow-up visits (visits).
GAP_FIGURES = ("no_course", *GAP_COUNTS)


OPEN_CASE_BANDS = tuple(label for _, _, label in vocab.OPEN_CASE_AGE_BANDS)
CASE_COUNTS = ("received", "resolved", "status_resolved", "status_referred", "open", "over_90_days")


@dataclass(frozen=True)
class Family:
    """Per-place figures of one kind for each of its categories (one definition each, in
    hehu.figures.tracking), and how their columns add up."""

    name: str
    categories: tuple[str, ...]  # "" is every category
    compute: Callable[[Records, Period, str], pd.DataFrame]
    counts: tuple[str, ...]
    additive: tuple[tuple[str, tuple[str, ...]], ...] = ()
    rates: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    categories_add_up: tuple[str, ...] = ()  # counts whose "" column sums the categories'
    over_time: Mapping[str, str] = field(default_factory=dict)  # see disclosure.Rules


def _pairings(records: Records, period: Period, category: str) -> pd.DataFrame:
    # The lapse threshold is the server's: a threshold a page could change would let two
    # thresholds be subtracted.
    return pairing_coverage(records, period, category).join(
        pairing_figures(records, period, lapse_days_setting(), category)
    )


FAMILIES = (
    Family(
        "pairing",
        ("", *CHILD_CATEGORIES),
        _pairings,
        # started and ended: the pairings page's tables by organisation and by month repeat
        # them (hehu.figures.splits)
        counts=(
            "registered",
            "paired",
            "unpaired",
            "paired_in_period",
            "active",
            "lapsed",
            "started",
            "ended",
        ),
        # A child has one pairing, mostly: where the pairings running are the children paired,
        # a reader takes one for the other (高沟镇's 14 pairings shown on the briefing and 55
        # unpaired on the pairings page gave its 69 children registered, hidden on both).
        additive=(("registered", ("paired", "unpaired")), ("active", ("paired",))),
        rates={"coverage": ("paired", "registered")},
        over_time={
            "registered": "stock",
            "paired": "state",
            "unpaired": "state",
            "paired_in_period": "dated",
            "active": "state",
            "lapsed": "state",
            "started": "dated",
            "ended": "dated",
        },
    ),
    Family(
        "case",
        ("", *vocab.CASE_CATEGORIES),
        case_figures,
        # status_resolved and status_referred: the cases page's tables split `resolved` so,
        # and a town's table against its villages' is this hierarchy
        counts=CASE_COUNTS,
        additive=(
            ("received", ("resolved", "open")),
            ("resolved", ("status_resolved", "status_referred")),
        ),
        rates={"resolution_rate": ("resolved", "received")},
        categories_add_up=CASE_COUNTS,
        over_time={
            "received": "dated",
            "resolved": "dated",
            "status_resolved": "dated",
            "status_referred": "dated",
            "open": "derived",
            "over_90_days": "derived",
        },
    ),
    Family(
        "open_case",
        ("", *vocab.CASE_CATEGORIES),
        open_case_age_frame,
        counts=(*OPEN_CASE_BANDS, "total"),
        additive=(("total", OPEN_CASE_BANDS),),
        categories_add_up=(*OPEN_CASE_BANDS, "total"),
        over_time=dict.fromkeys((*OPEN_CASE_BANDS, "total"), "state"),
    ),
    Family(
        "must_visit",
        ("", *vocab.MUST_VISIT_GROUPS),
        must_visit_figures,
        counts=("households", "visited", "not_visited"),
        additive=(("households", ("visited", "not_visited")),),
        rates={"coverage": ("visited", "households")},
        over_time={"households": "stock", "visited": "dated", "not_visited": "derived"},
    ),
    Family(
        "follow_up",
        ("", *vocab.MUST_VISIT_GROUPS),
        follow_up_figures,
        counts=("outstanding", "due_soon", "overdue"),
        over_time=dict.fromkeys(("outstanding", "due_soon", "overdue"), "state"),
    ),
    Family(
        "screening",
        ("", *vocab.MUST_VISIT_GROUPS),
        screening_figures,
        counts=("screened", "high_risk", "high_risk_unfollowed"),
        over_time=dict.fromkeys(("screened", "high_risk", "high_risk_unfollowed"), "dated"),
    ),
)

# Figures that two definitions give alike (a metric and a page's family): one must not be
# shown where the other is hidden.
SAME_FIGURES = (
    ("cases_received", "case.received:"),
    ("cases_resolved", "case.resolved:"),
    ("households_must_visit", "must_visit.households:"),
    (MUST_VISIT_VISITED, "must_visit.visited:"),
    ("left_behind_children", "pairing.registered:left_behind_child"),
    ("left_behind_children_paired", "pairing.paired_in_period:left_behind_child"),
    ("unpaired_left_behind", "pairing.unpaired:left_behind_child"),
    ("pairings_active", "pairing.active:"),
    ("pairings_lapsed", "pairing.lapsed:"),
    ("households_screened", "screening.screened:"),
    ("high_risk_without_follow_up", "screening.high_risk_unfollowed:"),
    ("overdue_follow_ups", "follow_up.overdue:"),
)


def family_column(family: str, figure: str, category: str = "") -> str:
    """The column of a family's figure for a category: 'family.figure:category'."""
    return f"{family}.{figure}:{category}"


def place_figures(
    records: Records, period: Period, columns: list[str] | None = None
) -> pd.DataFrame:
    """Every place's figures for a period: the metrics, the gaps, open cases by age, and every
    family of the tracking pages for each of its categories. One row per place; with
    `columns`, those only (`cache.shared_columns`)."""

    def compute(r: Records) -> pd.DataFrame:
        metrics = page_metrics(r, period)
        columns = {c: metrics[c] for c in metrics.columns}
        columns[MUST_VISIT_VISITED] = pd.Series(
            np.rint((metrics["must_visit_coverage"] * metrics["households_must_visit"]).fillna(0)),
            index=metrics.index,
        ).astype("int64")
        columns[MUST_VISIT_NOT_VISITED] = (
            metrics["households_must_visit"] - columns[MUST_VISIT_VISITED]
        )
        gaps = page_gaps(r, period)
        for column in GAP_FIGURES:
            columns[column] = gaps[column].astype("int64")
        for family in FAMILIES:
            for category in family.categories:
                frame = family.compute(r, period, category)
                for figure in (*family.counts, *family.rates):
                    columns[family_column(family.name, figure, category)] = frame[figure]
        return pd.DataFrame(columns)

    if columns is not None:
        return shared_columns(records, "place_figures", period_key(period), compute, columns)
    return shared_figures(records, "place_figures", period_key(period), compute, by_place=True)


def count_columns(frame: pd.DataFrame) -> tuple[str, ...]:
    """The columns of a place-figure frame that count people or households."""
    people = {m for m, (_, _, kind) in vocab.METRICS.items() if kind == "count"}
    people |= {MUST_VISIT_VISITED, MUST_VISIT_NOT_VISITED, *GAP_COUNTS}
    for family in FAMILIES:
        people |= {
            family_column(family.name, figure, category)
            for figure in family.counts
            for category in family.categories
        }
    return tuple(c for c in frame.columns if c in people)


def figure_rules(records: Records) -> Rules:
    """The equations of the place-figure frame: the hierarchy (with own rows), the columns
    that add up, the figures two definitions give alike, and the rates."""
    additive = [
        ("households_must_visit", (MUST_VISIT_VISITED, MUST_VISIT_NOT_VISITED)),
        ("left_behind_children", ("left_behind_children_paired", "unpaired_left_behind")),
        *((a, (b,)) for a, b in SAME_FIGURES),
    ]
    rates = {
        "resolution_rate": ("cases_resolved", "cases_received"),
        "must_visit_coverage": (MUST_VISIT_VISITED, "households_must_visit"),
    }
    for family in FAMILIES:
        for category in family.categories:
            col = lambda figure, c=category, f=family.name: family_column(f, figure, c)  # noqa: E731
            for total, parts in family.additive:
                additive.append((col(total), tuple(col(p) for p in parts)))
            for rate, (numerator, denominator) in family.rates.items():
                rates[col(rate)] = (col(numerator), col(denominator))
        for figure in family.categories_add_up:
            additive.append(
                (
                    family_column(family.name, figure),
                    tuple(family_column(family.name, figure, c) for c in family.categories[1:]),
                )
            )
    return Rules(
        counts=(),  # set from the frame by `rules_for`
        tree=place_tree(records),
        additive=tuple(additive),
        rates=rates,
    )


# How the metrics and gaps behave from period to period (see disclosure.Rules.over_time):
# things dated in the period add up over the years; states are judged on the last day.
OVER_TIME = {
    "cases_received": "dated",
    "cases_resolved": "dated",
    "left_behind_children": "stock",
    "left_behind_children_paired": "dated",
    "pairings_active": "state",
    "pairings_lapsed": "state",
    "households_must_visit": "stock",
    "households_visited": "dated",
    "households_screened": "dated",
    "high_risk_without_follow_up": "dated",
    # measures and referrals dated in the period (their outcome judged on its last day, as
    # cases resolved are)
    "dv_warnings_issued": "dated",
    "protection_orders_applied": "dated",
    "protection_orders_issued": "dated",
    "mandatory_reports_received": "dated",
    "mandatory_reports_handled": "dated",
    "cases_referred": "dated",
    MUST_VISIT_VISITED: "dated",
    MUST_VISIT_NOT_VISITED: "derived",
    "unpaired_left_behind": "state",
    "overdue_follow_ups": "state",
}


def rules_for(records: Records, frame: pd.DataFrame) -> Rules:
    """`figure_rules` with the frame's count columns and how each behaves over time."""
    rules = figure_rules(records)
    over_time = dict(OVER_TIME)
    for family in FAMILIES:
        for figure, kind in family.over_time.items():
            for category in family.categories:
                over_time[family_column(family.name, figure, category)] = kind
    return Rules(
        counts=count_columns(frame),
        tree=rules.tree,
        additive=rules.additive,
        rates=rules.rates,
        over_time=over_time,
    )


def place_tree(records: Records) -> dict[str, list[str]]:
    """{place: its children and its own row}: every place is the sum of these."""

    def build() -> dict[str, list[str]]:
        places = records.places
        tree: dict[str, list[str]] = {}
        codes, parents = places["code"].tolist(), places["parent_code"].tolist()
        for code, parent in zip(codes, parents, strict=True):
            if isinstance(parent, str) and parent:
                tree.setdefault(parent, []).append(code)
        return {p: [*kids, own_row_code(p)] for p, kids in tree.items()}

    return records.cached(("place_tree",), build)


def with_own_rows(records: Records, frame: pd.DataFrame, counts: tuple[str, ...]) -> pd.DataFrame:
    """The frame with a row per parent for the records placed at it, not under a child."""
    tree = place_tree(records)
    parents = [p for p in tree if p in frame.index]
    if not parents:
        return frame
    values = frame[list(counts)].to_numpy(dtype="float64")
    where = {c: i for i, c in enumerate(frame.index)}
    own = np.zeros((len(parents), len(counts)))
    for i, parent in enumerate(parents):
        kids = [where[k] for k in tree[parent][:-1] if k in where]
        own[i] = values[where[parent]] - values[kids].sum(axis=0)
    rows = pd.DataFrame(np.rint(own), index=[own_row_code(p) for p in parents], columns=counts)
    return pd.concat([frame, rows.astype("int64")])


def disclosed_place_figures(records: Records, period_key: str, role: str) -> pd.DataFrame:
    """Every place's figures of a period as a role may see them (object values: numbers, or
    the disclosure markers), protected across every period the role can choose."""
    cache_key = ("disclosed_place_figures", period_key, role)
    if cache_key in records._cache:
        return records._cache[cache_key]
    shown = _disclosed(records, period_key, role, _prepared(records, period_key))
    records._cache[cache_key] = shown
    return shown


def disclosed_place_rows(
    records: Records, period_key: str, role: str, codes: list[str], columns=None
) -> pd.DataFrame:
    """`disclosed_place_figures` of the places `codes` only (and of `columns` only), the same
    cells (each cell is disclosed by itself once what is hidden is known): a briefing shows a
    place and its key villages, and every place of a province as shown values is hundreds of
    MB in a kernel."""
    cached = records._cache.get(("disclosed_place_figures", period_key, role))
    if cached is not None:
        return cached.loc[codes] if columns is None else cached.loc[codes, columns]
    if columns is not None and not (
        sees_exact_counts(role) or period_key in choosable_periods(records)
    ):  # every count hidden: which rates that hides depends on every column
        return disclosed_place_rows(records, period_key, role, codes).loc[:, columns]
    frame = place_figures(records, period_from_key(period_key), columns).loc[codes]
    return _disclosed(records, period_key, role, frame)


def _disclosed(records: Records, period_key: str, role: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Rows of a period's place figures (`_prepared`) as a role may see them."""
    if sees_exact_counts(role):
        return frame.astype(object)
    rules = rules_for(records, frame)
    offered = choosable_periods(records)
    if period_key in offered:
        hidden = place_hidden_cells(records, offered)[offered.index(period_key)]
        if not in_codes(frame.index, hidden.index).all():  # a page of a scope holds its rows only
            raise KeyError("what is hidden of these places was not read with their figures")
    else:
        hidden = every_count_hidden(frame, rules)
    return shown_frame(frame, hidden, rules, role)


def place_hidden_cells(records: Records, keys: list[str]) -> list[pd.DataFrame]:
    """Which place figures are hidden from aggregate-only roles in each of `keys` (protected
    together): computed once per data version and shared between kernels like the figures."""
    cache_key = ("place_hidden_cells", tuple(keys))
    if cache_key in records._cache:
        return records._cache[cache_key]

    def compute(r: Records) -> pd.DataFrame:
        frames = [_prepared(r, k) for k in keys]
        masks = hidden_cells(frames, rules_for(r, frames[0]), period_links(keys))
        # one frame for the cache: the periods' masks one under the other
        labels = [f"{p}|{code}" for p, mask in enumerate(masks) for code in mask.index]
        return pd.concat(masks, ignore_index=True).astype("int8").set_axis(labels)

    stacked = shared_figures(records, "place_hidden", ";".join(keys), compute, by_place=True)
    records._cache[cache_key] = masks = periods_apart(stacked, len(keys))
    return masks


def periods_apart(stacked: pd.DataFrame, n: int) -> list[pd.DataFrame]:
    """Each period's mask from `place_hidden_cells`' stacked frame: n blocks of the same rows
    one under the other, labelled 'period|code'. Row slices, not copies: a briefing reads a
    few rows of them, and the labels of a province are 100,000 and more."""
    rows = len(stacked) // n
    labels = stacked.index
    codes = pd.Index([label.split("|", 1)[1] for label in labels[:rows]], dtype=labels.dtype)
    for p in range(n):
        if len(stacked) != n * rows or not labels[p * rows : (p + 1) * rows].equals(
            f"{p}|" + codes
        ):
            raise ValueError("the stored hidden cells are not laid out period by period")
    return [stacked.iloc[p * rows : (p + 1) * rows].set_axis(codes) for p in range(n)]


def period_links(keys: list[str]) -> Periods:
    """How the periods of `keys` relate: those judged on the same day, and all time as the sum
    of the years (every year with records is offered, so they make up all time)."""
    periods = [period_from_key(k) for k in keys]
    days: dict = {}
    for position, period in enumerate(periods):
        days.setdefault(period.as_of, []).append(position)
    years = [i for i, k in enumerate(keys) if k.isdigit()]
    sums = tuple((i, tuple(years)) for i, k in enumerate(keys) if k == "all" and years)
    return Periods(same_day=tuple(tuple(g) for g in days.values() if len(g) > 1), sums=sums)


def _prepared(records: Records, period_key: str) -> pd.DataFrame:
    """A period's place figures with the columns and own rows the equations need."""
    frame = place_figures(records, period_from_key(period_key))
    return with_own_rows(records, frame, count_columns(frame))


def period_family(records: Records, period_key: str) -> list[str]:
    """The periods disclosed together: every period a page offers, and this one if it is
    not among them (its counts are then all hidden from aggregate-only roles, see
    `disclosure.every_count_hidden`; the others' cells do not depend on it)."""
    keys = choosable_periods(records)
    return keys if period_key in keys else [*keys, period_key]


def choosable_periods(records: Records) -> list[str]:
    """The period keys a page offers (each year, each report period, all time)."""
    return overview_period_keys(records)


@dataclass(frozen=True)
class SinceLastTime:
    """A place's figures against the previous period of the same length (`Period.previous`).

    figures: the previous period's figures as the role may see them, None when no comparison
    is made (see `since_last_time`); changes: {figure: disclosure.Change}.
    """

    period: Period
    figures: pd.Series | None
    changes: dict[str, Change] = field(default_factory=dict)


def figure_kind(column: str) -> str:
    """How a figure compares with another period: "rate" (in percentage points), else as a
    number ("count" and "number" alike)."""
    return vocab.METRICS.get(column, ("", "", "number"))[2]


def since_last_time(
    records: Records, code: str, period: Period, role: str, current: pd.Series, figures
) -> SinceLastTime | None:
    """`figures` of place `code` (`current`: this period's, as the role sees them) against the
    previous period of the same length; None for a period with no length (all time).

    The previous period is disclosed exactly as a page showing it would (`disclosed_place_rows`),
    and each change is worked out from the two shown values only (`disclosure.shown_change`).
    Aggregate-only roles compare only with a period the pages offer: every count of any other
    period is hidden from them (`disclosure.every_count_hidden`), so the comparison would show
    nothing of them, at the cost of computing a period no page needs (a province's figures).
    """
    previous = period.previous()
    if previous is None:
        return None
    key = period_choice_key(previous)
    if not sees_exact_counts(role) and key not in choosable_periods(records):
        return SinceLastTime(previous, None)
    # the figures compared only: the previous period's other 200 columns are never read
    columns = list(dict.fromkeys(figures))
    shown = disclosed_place_rows(records, key, role, [code], columns).loc[code]
    kinds = {figure: figure_kind(figure) for figure in figures}
    return SinceLastTime(previous, shown, shown_changes(shown, current, kinds))


def place_figure_marks(
    records: Records,
    period_key: str,
    role: str,
    place: str,
    family: str,
    categories: list[str | None],
    columns: Mapping[str, str],
) -> pd.DataFrame:
    """How the figures of a place that a table of its own repeats are disclosed among every
    place's (`disclosure.mark_of`), for `hidden_cells`' `elsewhere`: a row per table row, the
    family's category it counts (None: no place figure), a column per table column {column:
    figure}. A cases table's total row is the place's cases received: hidden among the places,
    it must not be read at the foot of the table (nor worked out from its rows)."""
    named = {
        (column, category): family_column(family, figure, category)
        for category in categories
        if category is not None
        for column, figure in columns.items()
    }  # the place's row and these columns only: a province's figures are hundreds of MB
    shown = disclosed_place_rows(records, period_key, role, [place], sorted(set(named.values())))
    out = pd.DataFrame(0, index=range(len(categories)), columns=list(columns), dtype="int8")
    for row, category in enumerate(categories):
        if category is not None:
            for column in columns:
                out.at[row, column] = mark_of(shown.at[place, named[column, category]])
    return out


def shared_station_cases(records: Records, key: str) -> pd.DataFrame:
    """`station_cases` of a period (its page key) as a frame (cases_received by org id), shared
    between kernels like the place figures: a city's briefing lists its stations without
    reading a case."""
    period = period_from_key(key)
    return shared_figures(
        records,
        "station_cases",
        period_key(period),
        lambda r: station_cases(r, period).to_frame("cases_received"),
    )


def campaign_events(records: Records, period: Period) -> pd.DataFrame:
    """Per place (everything under it added): legal events of each campaign in the period and
    their audience, columns 'events:CAMPAIGN' and 'audience:CAMPAIGN'; shared between kernels."""

    def compute(r: Records) -> pd.DataFrame:
        events = r["event"]
        events = events[period.contains(events["date"])]
        audience = events["audience"].astype("float64").fillna(0).astype("int64")
        events = events.assign(audience=audience)
        columns = {}
        for campaign in vocab.CAMPAIGNS:
            of = events[events["campaign"] == campaign]
            columns[f"events:{campaign}"] = roll(r, of, "place_code")
            columns[f"audience:{campaign}"] = roll(r, of, "place_code", value="audience")
        return pd.DataFrame(columns, index=r.place_index).fillna(0).astype("int64")

    return shared_figures(records, "campaign_events", period_key(period), compute, by_place=True)


def has_gap(figures: pd.Series, key_village: bool) -> bool:
    """Whether a place's shown figures point at a gap: a key village with no course, or
    unpaired children or overdue follow-ups that show something (`disclosure.shows_some`). Judged on what is
    shown only, so a ring on a map tells nothing its popup does not."""
    if key_village and shown_number(figures["no_course"]):
        return True
    return any(shows_some(figures[column]) for column in GAP_COUNTS)
