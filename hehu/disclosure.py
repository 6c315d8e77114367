"""Disclosure: the one place that decides what a role may see of a figure.

The people in these records are children and victims of violence. To deputies and presenters
(aggregate-only roles) a count of people or households from 1 to 4 shows as "<5", and further
cells are hidden ("*") wherever a shown figure would give a hidden one back. Every figure that
leaves the domain for those roles (cards, tables, charts, map popups, sentences, Word, packs,
exports) is decided here; no other module writes the markers or decides what is small.

The model: a table of figures for every period the role can choose (each year, each report
period, all time), with its equations (a total row over its parts, the place hierarchy, a total
column over its parts) and its rates (numerator / denominator). A cell small in any period is
hidden in every period, so no two periods can be subtracted to give it back; then, until
nothing changes, every equation with exactly one hidden cell, or whose hidden cells are pinned
to one value by their bounds ("<5" is 1 to 4), gets a second hidden cell; then all equations
together (bounds carried from one to the next, as a reader solving them would) until none is
pinned. Rates whose
numerator or denominator is hidden are hidden. Staff see exact values.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hehu.errors import HehuError
from hehu.records import vocab
from hehu.suppression import Equations, close

ROLES = tuple(vocab.ROLES)  # the list of roles is kept in vocab.ROLES
AGGREGATE_ONLY_ROLES = ("deputy", "presenter", "unit")
DEFAULT_ROLE = "deputy"  # least privilege unless the server says otherwise

SMALL_MAX = 4  # counts of people from 1 to SMALL_MAX are small cells
HIDDEN_SMALL = "<5"
HIDDEN_COMPLEMENT = "*"  # hidden so that a shown figure cannot give a small one back
MARKERS = (HIDDEN_SMALL, HIDDEN_COMPLEMENT)
SHOWN_AS_MARKER, SHOWN_AS_COMPLEMENT = 1, 2  # what a hidden cell reads in a mask
SHOWN_ELSEWHERE = -1  # in `elsewhere` marks: the figure is shown in another table


# --------------------------------------------------------------------------- roles


def current_role() -> str:
    """The role this server runs as: $HEHU_ROLE set by `hehu serve --role`, never by a page or URL."""
    role = os.environ.get("HEHU_ROLE", DEFAULT_ROLE)
    return role if role in ROLES else DEFAULT_ROLE


# Set by `hehu serve` when people sign in (hehu/serve/sessions.py): then HEHU_ROLE, HEHU_UNIT
# and HEHU_USER are the signed-in user's, put in a page's kernel by the server, and a kernel
# without a user writes nothing.
USERS_MODE_VARIABLE = "HEHU_USERS"


def current_unit() -> str | None:
    """The unit (承办单位) of the signed-in user: $HEHU_UNIT, set by the server; None if none."""
    return os.environ.get("HEHU_UNIT") or None


def current_actor() -> str:
    """Who makes a write, for the audit log: the signed-in user's name ($HEHU_USER, set by the
    server from the session), the hub user behind JupyterHub, else the server's role (one
    person's laptop, `hehu serve --role`). With users signed in, a kernel that was never given
    one refuses to write rather than write in nobody's name."""
    user = os.environ.get("HEHU_USER") or os.environ.get("JUPYTERHUB_USER")
    if user:
        return user
    if os.environ.get(USERS_MODE_VARIABLE) == "1":
        raise HehuError(
            "未登录，不能保存：请重新登录后再试", "not signed in, nothing saved: sign in again"
        )
    return current_role()


def sees_person_rows(role: str | None = None) -> bool:
    """Whether a role may see pseudonymous person-level rows (and exact small counts)."""
    return (role or current_role()) not in AGGREGATE_ONLY_ROLES


def sees_exact_counts(role: str | None = None) -> bool:
    """Whether a role sees every count as it is (staff and admin)."""
    return sees_person_rows(role)


def is_hidden(value) -> bool:
    """Whether a shown value is a disclosure marker rather than a figure."""
    return isinstance(value, str) and value in MARKERS


def legend(lang: str = "zh") -> str:
    """The one sentence that explains the markers, for pages, packs and exports."""
    if lang == "en":
        return (
            f"Aggregates only: “{HIDDEN_SMALL}” is a count of 1 to {SMALL_MAX} people or "
            f"households; “{HIDDEN_COMPLEMENT}” is hidden so that a small count cannot be "
            "worked back from a total, another period or a rate."
        )
    return (
        f"仅显示汇总数据：“{HIDDEN_SMALL}”表示 1 至 {SMALL_MAX} 人（户）；"
        f"“{HIDDEN_COMPLEMENT}”为防止由合计、其他期间或比率反推而隐去的数值。"
    )


# --------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class Rules:
    """What a table of figures counts and which of its cells add up.

    counts: columns counting people or households (hidden when small).
    total_row: the label of a row that is the sum of all the other rows.
    tree: {parent row: [child rows]}: each parent is the sum of its children (the place
        hierarchy, with a place's own records as one more child row).
    additive: (total column, part columns): in every row the total is the sum of the parts.
    rates: {column: its source columns}: a rate (numerator, denominator), or a figure made
        of a few cases (their median days), hidden with any of its sources.
    over_time: {count column: how it behaves from period to period}: "stock" (the same in
        every period, e.g. children registered: hidden in one, hidden in all; the default),
        "dated" (things dated in the period: all time is the sum of the years), "state" (a
        state on the period's last day: the same in periods that end on the same day), or
        "derived" (made of other columns of its row, whose equations protect it).
    """

    counts: tuple[str, ...]
    total_row: object = None
    tree: Mapping[object, Sequence[object]] = field(default_factory=dict)
    additive: tuple[tuple[str, tuple[str, ...]], ...] = ()
    rates: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    over_time: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Periods:
    """How the periods a role can choose relate (positions in the list of frames).

    same_day: groups of periods judged on the same last day. sums: (all time, the years that
    make it up). Without them every count is taken as a stock: hidden in all or in none.
    """

    same_day: tuple[tuple[int, ...], ...] = ()
    sums: tuple[tuple[int, tuple[int, ...]], ...] = ()


def hidden_cells(
    frames: Sequence[pd.DataFrame],
    rules: Rules,
    periods: Periods | None = None,
    elsewhere: Sequence[pd.DataFrame] | None = None,
) -> list[pd.DataFrame]:
    """Which cells to hide in each period: a frame per frame, over all frames' rows, of 0
    (shown), SHOWN_AS_MARKER ("<5" where small, else "*") or SHOWN_AS_COMPLEMENT ("*").

    `frames` are the same table for every period the role can choose, always in the same
    order (the pattern must not depend on which period is on show); rows or columns missing
    from one period count as 0 there. `elsewhere` (a frame per frame, on some of its cells)
    says which cells are figures another table discloses (the place figures a total row
    repeats): hidden there (its mark), they are hidden here and protected, reading as there;
    shown there (SHOWN_ELSEWHERE), they cannot be hidden to protect another cell, and if
    that was the only way, every count of the table is hidden.
    """
    if not frames:
        raise ValueError("no period to disclose")
    index = frames[0].index
    columns = frames[0].columns
    for frame in frames[1:]:
        index = index.union(frame.index, sort=False)
        columns = columns.union(frame.columns, sort=False)
    counts = [c for c in rules.counts if c in columns]
    masks = [pd.DataFrame(0, index=index, columns=columns, dtype="int8") for _ in frames]
    if counts and len(index):
        values = np.stack([_numbers(f, index, counts) for f in frames])  # period, row, col
        small = (values >= 1) & (values <= SMALL_MAX)
        equations = _system(len(frames), index, counts, rules, periods or Periods())
        variable = _variables(len(frames), len(index), counts, rules, periods or Periods())
        flat = values.reshape(-1)
        # a row at the top (the county, a table's total) is hidden for all the equations
        # together only when no cell below it will do: it is the figure most read
        children = {child for kids in rules.tree.values() for child in kids}
        top = ~index.isin(list(children))
        top = np.broadcast_to(top[None, :, None], values.shape).reshape(-1)
        there = np.zeros(len(flat), dtype="int8")
        if elsewhere is not None:
            there = np.stack([_numbers(m, index, counts) for m in elsewhere]).astype("int8")
            there = there.reshape(-1)
        hidden_there = there > 0
        fixed = there == SHOWN_ELSEWHERE
        shut, wide = close(
            flat, small.reshape(-1), variable, equations, top, SMALL_MAX, hidden_there, fixed
        )
        marks = np.where(shut[variable] & (flat != 0), SHOWN_AS_MARKER, 0).astype("int8")
        marks[wide | ((there == SHOWN_AS_COMPLEMENT) & (flat != 0))] = SHOWN_AS_COMPLEMENT
        if (marks[there == SHOWN_ELSEWHERE] != 0).any():  # a complement the page shows anyway
            return [every_count_hidden(mask, rules) for mask in masks]
        marks = marks.reshape(len(frames), len(index), len(counts))
        for mask, period_marks in zip(masks, marks, strict=True):
            mask[counts] = period_marks
    for mask in masks:
        for rate, sources in rules.rates.items():
            if rate in mask.columns:
                parts = [c for c in sources if c in mask.columns]
                hid = mask[parts].ne(0).any(axis=1) if parts else False
                mask[rate] = np.where(hid, SHOWN_AS_COMPLEMENT, 0).astype("int8")
    return masks


def false_equations(
    frames: Sequence[pd.DataFrame], rules: Rules, periods: Periods | None = None
) -> list[list[tuple[int, object, str]]]:
    """The equations `hidden_cells` would read in the rules that the frames' values break, each
    as its cells (period, row, column), the total first; a cell taken as one unknown with
    another of a different value (a stock in two periods, a state on one day) is one too.

    The solver uses only the equations that hold (`suppression`), so a rule stated wrong is
    silently of no use to it: a reader who knows the true rule might pin what it protects.
    """
    index = frames[0].index
    for frame in frames[1:]:
        index = index.union(frame.index, sort=False)
    counts = [c for c in rules.counts if any(c in f.columns for f in frames)]
    periods = periods or Periods()
    values = np.stack([_numbers(f, index, counts) for f in frames]).reshape(-1)
    cells = len(index) * len(counts)

    def cell(position: int) -> tuple[int, object, str]:
        period, rest = divmod(int(position), cells)
        row, column = divmod(rest, len(counts))
        return period, index[row], counts[column]

    out = []
    system = _system(len(frames), index, counts, rules, periods)
    for e in np.flatnonzero(~system.holds(values)):
        out.append([cell(p) for p in system.of(e)])
    variable = _variables(len(frames), len(index), counts, rules, periods)
    first = {}
    for position, unknown in enumerate(variable.tolist()):
        seen = first.setdefault(unknown, position)
        if values[seen] != values[position]:
            out.append([cell(seen), cell(position)])
    return out


def _variables(
    n_periods: int, n_rows: int, counts: list[str], rules: Rules, periods: Periods
) -> np.ndarray:
    """For each (period, row, count column) position, the unknown it is: a stock is one unknown
    in every period, a state one per last day, anything else one per period."""
    day_of = np.arange(n_periods)
    for group in periods.same_day:
        day_of[list(group)] = min(group)
    cells = n_rows * len(counts)
    out = np.empty((n_periods, n_rows, len(counts)), dtype=np.int64)
    for j, column in enumerate(counts):
        kind = rules.over_time.get(column, "stock")
        for p in range(n_periods):
            owner = 0 if kind == "stock" else day_of[p] if kind == "state" else p
            out[p, :, j] = owner * cells + np.arange(n_rows) * len(counts) + j
    return out.reshape(-1)


def _sums_over_time(n_rows: int, counts: list[str], rules: Rules, periods: Periods) -> list:
    """Equations all time = the sum of the years, for every cell of a dated column: blocks of
    equations as `_equations` gives them, over the positions of every period."""
    cells = n_rows * len(counts)
    out = []
    for j, column in enumerate(counts):
        if rules.over_time.get(column, "stock") != "dated":
            continue
        for total, parts in periods.sums:
            cell = np.arange(n_rows, dtype=np.int64)[:, None] * len(counts) + j
            out.append(cell + np.array([total, *parts], dtype=np.int64) * cells)
    return out


def every_count_hidden(frame: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """The mask of a period no page offers, for aggregate-only roles: every count, and every
    rate or figure made of one, hidden as a complement ("*").

    Cells are protected across the periods a role can choose. A period outside them (any
    start and end typed on the command line, in a claims file or in a pasted report) could be
    subtracted from another such period to give a hidden cell back (January 2021 to November
    2022 minus January to November 2022 is 2021, hidden), so none of its counts is shown.
    """
    hidden = pd.DataFrame(0, index=frame.index, columns=frame.columns, dtype="int8")
    counts = [column for column in rules.counts if column in frame.columns]
    hidden[counts] = SHOWN_AS_COMPLEMENT
    for column, sources in rules.rates.items():
        if column in frame.columns and set(sources) & set(counts):
            hidden[column] = SHOWN_AS_COMPLEMENT
    return hidden


def shown_frame(
    frame: pd.DataFrame, hidden: pd.DataFrame, rules: Rules, role: str | None = None
) -> pd.DataFrame:
    """The frame as a role may see it: hidden counts as "<5" (small here) or "*" (a complement)."""
    out = frame.astype(object).copy()
    if sees_exact_counts(role) or frame.empty:
        return out
    hidden = hidden.reindex(index=frame.index, columns=frame.columns, fill_value=0)
    for column in frame.columns:
        marks = hidden[column].to_numpy(dtype="int8")
        mask = marks != 0
        if not mask.any():
            continue
        small = _small(frame[column]) if column in rules.counts else np.zeros(len(frame), bool)
        small = small & (marks == SHOWN_AS_MARKER)
        out.loc[mask & small, column] = HIDDEN_SMALL
        out.loc[mask & ~small, column] = HIDDEN_COMPLEMENT
    return out


def disclose(
    frames: Mapping[str, pd.DataFrame],
    showing: str,
    rules: Rules,
    role: str | None = None,
    periods: Periods | None = None,
    elsewhere: Mapping[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """The table of period `showing` as a role may see it, protected across all `frames`
    (every period the role can choose, in an order that does not depend on `showing`), and
    with the figures another table discloses as they are there (`elsewhere`, by period: see
    `hidden_cells`)."""
    frame = frames[showing]
    if sees_exact_counts(role):
        return frame.astype(object).copy()
    there = [elsewhere[k] for k in frames] if elsewhere is not None else None
    masks = hidden_cells(list(frames.values()), rules, periods, there)
    return shown_frame(frame, masks[list(frames).index(showing)], rules, role)


def disclose_counts(
    values: Mapping[str, Mapping], showing: str, total: str | None = None, role=None
) -> dict:
    """A group of counts {label: value} per period, with an optional shown total, as a role
    may see those of period `showing`."""
    frames = {
        key: pd.DataFrame({"n": pd.Series(dict(group), dtype=object)})
        for key, group in values.items()
    }
    labels = list(frames[showing].index)
    for key in frames:
        frames[key] = frames[key].reindex(labels, fill_value=0)
    rules = Rules(counts=("n",), total_row=total)
    return disclose(frames, showing, rules, role)["n"].to_dict()


def mark_of(shown) -> int:
    """How a figure reads as disclosed, as `hidden_cells`' `elsewhere` takes it: its mask's
    mark when hidden, SHOWN_ELSEWHERE when shown."""
    if shown == HIDDEN_SMALL:
        return SHOWN_AS_MARKER
    return SHOWN_AS_COMPLEMENT if shown == HIDDEN_COMPLEMENT else SHOWN_ELSEWHERE


def disclose_count(value, role: str | None = None):
    """One count of people shown on its own (no total beside it): "<5" when 1 to 4."""
    if sees_exact_counts(role) or is_hidden(value) or not _is_number(value):
        return value
    return HIDDEN_SMALL if 1 <= float(value) <= SMALL_MAX else value


# --------------------------------------------------------------------------- since last time

UP, DOWN, SAME = "up", "down", "same"


@dataclass(frozen=True)
class Change:
    """A figure against the previous period of the same length, as shown.

    delta: current minus previous (a rate's in percentage points, to one decimal); None when
    it is withheld (`hidden`) or a value is missing. direction: UP, DOWN, SAME, or None when
    what is shown does not tell it.
    """

    delta: float | None
    direction: str | None
    hidden: bool = False


def shown_change(previous, current, kind: str = "count") -> Change:
    """The change from `previous` to `current`, both values AS SHOWN to the role (numbers, or
    the markers): never the exact values behind a marker.

    Why this cannot give a hidden count back: the change is worked out from the two shown
    values and nothing else, so it tells no more than a deputy who reads both (the two periods
    are disclosed together: `hidden_cells` over every period a page offers, and a period no
    page offers has every count hidden). When either is hidden the number is withheld: it
    would be the hidden count plus or minus a shown one (shown 12, change +9: the hidden
    previous is 3). The direction is still shown when the shown values alone decide it, from
    the range each marker stands for ("<5" is 1 to 4, "*" any number from 0): a shown 12 is
    above any "<5", a shown 0 below it. Where the ranges overlap ("<5" against "<5", a number
    against "*") the direction is withheld too: "up" or "same" there would narrow the hidden
    count. Staff see exact values as shown values, so their change is exact. Rates compare in
    percentage points.
    """
    if _missing(previous) or _missing(current):
        return Change(None, None)
    if not is_hidden(previous) and not is_hidden(current):
        delta = float(current) - float(previous)
        if kind == "rate":
            delta = round(delta * 100, 1)
        elif delta == int(delta):
            delta = int(delta)
        return Change(delta, UP if delta > 0 else DOWN if delta < 0 else SAME)
    (p_lo, p_hi), (c_lo, c_hi) = _shown_range(previous), _shown_range(current)
    direction = UP if c_lo > p_hi else DOWN if c_hi < p_lo else None
    return Change(None, direction, hidden=True)


def shown_changes(previous: Mapping, current: Mapping, kinds: Mapping[str, str]) -> dict:
    """`shown_change` of each figure of `kinds` ({figure: "count", "rate" or "number"}) between
    two rows of shown values."""
    return {
        figure: shown_change(previous.get(figure), current.get(figure), kind)
        for figure, kind in kinds.items()
    }


def _missing(value) -> bool:
    """No value at all (a rate of nothing, a figure not computed): not a marker, not a number."""
    return not is_hidden(value) and not _is_number(value)


def _shown_range(value) -> tuple[float, float]:
    """The values a shown value can stand for."""
    if value == HIDDEN_SMALL:
        return 1.0, float(SMALL_MAX)
    if value == HIDDEN_COMPLEMENT:
        # A complement is never 0 in a period a page offers, but every count of a period no
        # page offers is "*", zeros included: any number from 0.
        return 0.0, math.inf
    return float(value), float(value)


# --------------------------------------------------------------------------- words


UNITS = {
    # unit: (zh, en singular, en plural)
    "people": ("人", "person", "people"),
    "children": ("名", "child", "children"),
    "households": ("户", "household", "households"),
    "pairings": ("个结对", "pairing", "pairings"),
    "cases": ("件", "case", "cases"),
    "visits": ("次", "visit", "visits"),
}


def count_phrase(shown, unit: str, lang: str = "zh") -> str:
    """A count in a sentence as shown: "25 户", "不足5户", "若干户" (hidden to protect another)."""
    zh, one, many = UNITS[unit]
    if shown == HIDDEN_SMALL:
        return f"不足{SMALL_MAX + 1}{zh}" if lang != "en" else f"fewer than {SMALL_MAX + 1} {many}"
    if shown == HIDDEN_COMPLEMENT:
        return f"若干{zh}" if lang != "en" else f"some {many}"
    number = int(shown)
    if lang == "en":
        return f"{number:,} {one if number == 1 else many}"
    return f"{number:,}{zh}"


def shows_some(shown) -> bool:
    """Whether a shown count says something is there: a number above zero, or "<5" (1 to 4).
    A count hidden to protect another says nothing, and so is never outlined or asked about:
    that would tell it is not zero."""
    number = shown_number(shown)
    return shown == HIDDEN_SMALL if number is None else number > 0


def shown_number(shown) -> float | None:
    """A shown value as a number, None when it is hidden or missing."""
    if is_hidden(shown) or not _is_number(shown):
        return None
    return float(shown)


# --------------------------------------------------------------------------- the closure


def _numbers(frame: pd.DataFrame, index: pd.Index, columns: list[str]) -> np.ndarray:
    """The count columns of a period's frame as floats on the shown frame's rows (0 if absent)."""
    part = frame.reindex(index=index, columns=columns)
    return part.apply(pd.to_numeric, errors="coerce").fillna(0).to_numpy(dtype="float64")


def _small(values: pd.Series) -> np.ndarray:
    numbers = pd.to_numeric(values, errors="coerce")
    return ((numbers >= 1) & (numbers <= SMALL_MAX)).fillna(False).to_numpy(dtype=bool)


def _is_number(value) -> bool:
    if isinstance(value, bool) or value is None:
        return False
    try:
        return not math.isnan(float(value))
    except (TypeError, ValueError):
        return False


def _equations(index: pd.Index, counts: list[str], rules: Rules) -> list[np.ndarray]:
    """The equations of one period as blocks: each row of a block is an equation, the flat cell
    ids [total, part, part…] of a row-major (row, count) grid, in the order they are looked at."""
    where = {label: i for i, label in enumerate(index)}
    width = len(counts)
    col = {c: j for j, c in enumerate(counts)}
    groups: list[tuple[object, list[object]]] = []
    if rules.total_row is not None and rules.total_row in where:
        groups.append((rules.total_row, [r for r in index if r != rules.total_row]))
    for parent, children in rules.tree.items():
        kids = [c for c in children if c in where]
        if parent in where and kids:
            groups.append((parent, kids))
    blocks = []
    for total, parts in groups:  # one equation per column: the total's row, then its parts'
        rows = np.array([where[total]] + [where[p] for p in parts], dtype=np.int64)
        blocks.append(np.arange(width, dtype=np.int64)[:, None] + rows * width)
    for total_col, part_cols in rules.additive:
        if total_col not in col or not any(p in col for p in part_cols):
            continue
        if not all(p in col for p in part_cols):
            continue  # a part we do not hold: the equation cannot be written, nor used
        columns = np.array([col[total_col]] + [col[p] for p in part_cols], dtype=np.int64)
        blocks.append(np.arange(len(index), dtype=np.int64)[:, None] * width + columns)
    return blocks


def _system(
    n_periods: int, index: pd.Index, counts: list[str], rules: Rules, periods: Periods
) -> Equations:
    """Every equation of a table over all its periods, in the order they are looked at: each
    period's own (`_equations`, on that period's positions), then the sums over time."""
    within = _equations(index, counts, rules)
    cells = len(index) * len(counts)
    blocks = [(block, p * cells) for p in range(n_periods) for block in within]
    blocks += [(block, 0) for block in _sums_over_time(len(index), counts, rules, periods)]
    dtype = np.int32 if n_periods * cells < np.iinfo(np.int32).max else np.int64
    repeats = any(
        block.shape[1] > 1 and (np.diff(np.sort(block, axis=1), axis=1) == 0).any()
        for block in [*within, *(b for b, shift in blocks if not shift)]
    )
    out = np.empty(sum(block.size for block, _ in blocks), dtype=dtype)
    sizes, at = [], 0
    for block, shift in blocks:
        out[at : at + block.size] = (block + shift).reshape(-1)
        at += block.size
        sizes.append(np.full(block.shape[0], block.shape[1], dtype=np.int64))
    starts = np.zeros(sum(len(s) for s in sizes) + 1, dtype=np.int64)
    if sizes:
        np.cumsum(np.concatenate(sizes), out=starts[1:])
    return Equations(starts, out, repeats)
