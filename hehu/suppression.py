"""Cell suppression: which unknowns of a table of counts to hide so that no equation, nor all
of them together, gives a hidden count back. `hehu.disclosure` builds the table's equations and
decides what is small; this module only solves (numpy arrays: every place's figures of a
province are millions of equations).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, replace

import numpy as np

JOINT_ROUNDS_MAX = 200  # rounds of the check of all equations together (a few are needed)
TOP_SHOWN_AGAIN_MAX = 16  # top rows hidden by that check tried again one at a time


@dataclass(frozen=True)
class Equations:
    """Equations total = sum(parts) packed end to end: equation e is the positions
    cells[starts[e]:starts[e + 1]], its total first. Arrays, not a list of lists: every place's
    figures in every period are tens of millions of positions."""

    starts: np.ndarray  # int64, one more than there are equations
    cells: np.ndarray
    repeats: bool = True  # whether a position may be twice in one equation

    def __len__(self) -> int:
        return len(self.starts) - 1

    def of(self, e: int) -> np.ndarray:
        return self.cells[self.starts[e] : self.starts[e + 1]]

    def cells_of(self, which: np.ndarray) -> np.ndarray:
        """The positions of equations `which` end to end."""
        if not len(which):
            return self.cells[:0]
        if len(which) < 64:  # a few equations: slices (cheaper than the index arithmetic)
            cells, ends = self.cells, self.starts[which + 1].tolist()
            starts = self.starts[which].tolist()
            return np.concatenate([cells[a:b] for a, b in zip(starts, ends, strict=True)])
        return _rows_of(self.starts, self.cells, which)

    def holds(self, values: np.ndarray) -> np.ndarray:
        """Per equation, whether the values add up (total = sum of parts)."""
        out = np.zeros(len(self), dtype=bool)
        # In runs of about CHUNK_CELLS cells: a province's 74 million cells' values at once are
        # 600 MB, at the deputies' warm's peak.
        cuts = np.searchsorted(self.starts, np.arange(CHUNK_CELLS, self.starts[-1], CHUNK_CELLS))
        bounds = np.unique(np.concatenate([[0], cuts, [len(self)]])).tolist()
        for first, last in itertools.pairwise(bounds):
            heads = self.starts[first:last]
            part = values[self.cells[heads[0] : self.starts[last]]]
            heads = heads - heads[0]
            out[first:last] = np.add.reduceat(part, heads) == 2 * part[heads]
        return out

    def gather(self, which: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The positions of equations `which` end to end, where each starts, and its size."""
        sizes = self.starts[which + 1] - self.starts[which]
        return self.cells_of(which), np.cumsum(sizes) - sizes, sizes


def close(
    values: np.ndarray,
    small: np.ndarray,
    variable: np.ndarray,
    equations: Equations,
    top: np.ndarray | None = None,
    small_max: int = 4,
    hidden: np.ndarray | None = None,
    fixed: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Which unknowns to hide so that no equation, nor all of them together, gives a hidden
    count back; and the positions whose small marker must read as a complement (where even
    hiding everything in an equation left its small counts pinned by their bounds).

    values, small and variable are per position (period, row, column flattened); equations
    hold positions. A position whose value is 0 is never hidden: 0 is no count of anyone.
    A small count is 1 to small_max; a row at the `top` is hidden for all the equations
    together only when no cell below it will do; `hidden` positions are hidden from the start,
    as small ones are (a figure another table hides), and protected like any hidden cell;
    `fixed` positions are never hidden (a figure another table shows): small markers read as
    a complement instead where nothing else will do.
    """
    shut = np.zeros(int(variable.max()) + 1, dtype=bool)
    shut[variable[small]] = True
    if hidden is not None:
        shut[variable[hidden & (values != 0)]] = True
    state = _Closure(shut, values, small, variable, equations, small_max)
    state.top = np.zeros(len(values), dtype=bool) if top is None else top
    if hidden is not None:  # hidden by another table: never shown here (`show`)
        state.elsewhere = hidden
    if fixed is not None and fixed.any():  # an unknown with a fixed position is fixed
        pinned = np.zeros(len(shut), dtype=bool)
        pinned[variable[fixed]] = True
        state.fixed = pinned[variable]
    state.close_each(first=True)
    state.top_hidden = []  # top rows hidden from here on, for all the equations together
    # Then all the equations together (bounds carried from one to the next): a count each
    # equation leaves open can still be pinned by a place, its towns and the years at once.
    # Each leak gets one more cell hidden in an equation that pins it, then every equation is
    # closed again, until none is pinned.
    for _ in range(JOINT_ROUNDS_MAX):
        leaks = state.leaks()
        if not leaks:
            break
        changed = [state.protect_at(equation, position) for equation, position in leaks]
        if not any(changed):
            raise RuntimeError("disclosure: a pinned hidden count cannot be protected")
        state.close_each()
    else:
        raise RuntimeError("disclosure: hidden counts still pinned after every round")
    # A top row hidden for one leak may have been made needless by cells hidden for later
    # ones: shown again wherever that pins nothing; all at once, else one at a time, the last
    # hidden first, for as many as a warm of a province can afford (each is a solve).
    unknowns = list(dict.fromkeys(state.unknown_of[p] for p in reversed(state.top_hidden)))
    if unknowns and state.shown_leaks(unknowns):
        for unknown in unknowns[:TOP_SHOWN_AGAIN_MAX]:
            state.shown_leaks([unknown])
    return state.shut, state.wide


class _Closure:
    """The hiding of one table's cells, equation by equation, then all together.

    Equations are looked at one at a time from a stack (the last pushed first; at the start
    every equation, the last first), and an equation is pushed again whenever one of its
    cells is hidden or its small marker turns a complement: the cells hidden depend on that
    order, which is kept. Whether an equation pins a hidden cell is worked out with numpy for
    many equations at once, all of them at the start, then those pushed since, and kept until
    one of their cells changes.
    """

    def __init__(self, shut, value, tiny, unknown_of, equations: Equations, small_max: int):
        self.small_max = small_max
        self.shut, self.value, self.tiny = shut, value, tiny
        self.unknown_of = unknown_of
        self.eq = equations
        self.wide = np.zeros(len(value), dtype=bool)  # small positions read as a complement
        n = len(equations)
        # equations of each position (in order, as often as the position is in one)
        owner = np.repeat(np.arange(n, dtype=equations.cells.dtype), np.diff(equations.starts))
        order = np.argsort(equations.cells, kind="stable")
        self.eqs_at = owner[order]
        del owner, order
        # a position twice in an equation (never, in tables of figures): if not, each
        # position's list of equations holds each once
        self.repeats = equations.repeats
        self.eqs_start = np.zeros(len(value) + 1, dtype=np.int64)
        np.cumsum(np.bincount(equations.cells, minlength=len(value)), out=self.eqs_start[1:])
        # positions of each unknown
        order = np.argsort(unknown_of, kind="stable")
        self.positions = order.astype(equations.cells.dtype)
        del order
        self.positions_start = np.zeros(len(shut) + 1, dtype=np.int64)
        np.cumsum(np.bincount(unknown_of, minlength=len(shut)), out=self.positions_start[1:])
        self.pinned = np.zeros(n, dtype=bool)  # whether each equation pins a hidden cell
        self.stale = np.zeros(n, dtype=bool)  # a cell changed since `pinned` was worked out
        self.pending: list[np.ndarray] = []  # equations pushed since, to work out together
        self.todo: list[int] = []
        self.tries: dict[int, int] = {}  # how often each position was pinned by all together
        self.top = np.zeros(len(value), dtype=bool)  # rows at the top (`_close` sets them)
        self.fixed = np.zeros(len(value), dtype=bool)  # positions never hidden (`close`)
        self.elsewhere = np.zeros(len(value), dtype=bool)  # hidden by another table (`close`)
        self.top_hidden: list[int] | None = None
        self.bounds: _Bounds | None = None  # of the last check of all equations together
        # what it was worked out on, and its hidden classes' keys and bounds (`_Bounds.solve`)
        self.solved: tuple[np.ndarray, np.ndarray] | None = None
        self.known: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        # a class's key, the same from one check to the next: its unknown and value's rank
        distinct, rank = np.unique(value, return_inverse=True)
        self.value_rank, self.n_values = rank.reshape(-1), len(distinct)
        del distinct, rank
        self.sizes = np.diff(equations.starts)  # each equation's cells (`_work_out` in runs)
        self.few = CHUNK_CELLS // max(1, int(self.sizes.max(initial=1)))  # equations in any run
        self._work_out(np.arange(n))

    def equations_at(self, position: int) -> np.ndarray:
        return self.eqs_at[self.eqs_start[position] : self.eqs_start[position + 1]]

    def hidden(self, positions: np.ndarray) -> np.ndarray:
        return self.shut[self.unknown_of[positions]] & (self.value[positions] != 0)

    def small(self, positions: np.ndarray) -> np.ndarray:
        return self.tiny[positions] & ~self.wide[positions]

    def _work_out(self, which: np.ndarray) -> None:
        """Whether each equation of `which` pins a hidden cell, as things are now, in runs of
        about CHUNK_CELLS cells: a round of a province pushes millions of equations at once,
        and each cell takes a hundred bytes of temporary arrays."""
        if len(which) <= self.few:  # most calls: an equation or a few pushed
            self._work_out_run(which)
            return
        for part in _chunks(which, self.sizes):
            self._work_out_run(part)

    def _work_out_run(self, which: np.ndarray) -> None:
        cells, at, sizes = self.eq.gather(which)
        value = self.value[cells]
        hidden = self.shut[self.unknown_of[cells]]
        hidden &= value != 0
        small = self.tiny[cells]
        small &= ~self.wide[cells]
        lo = np.where(hidden, small, value)  # small marker from 1, any other hidden cell from 0
        hi = np.where(hidden, np.where(small, float(self.small_max), math.inf), value)
        self.pinned[which] = _pinned(lo, hi, hidden, at, sizes)
        self.stale[which] = False

    def push(self, equations: np.ndarray) -> None:
        self.todo.extend(equations.tolist())
        self.stale[equations] = True
        self.pending.append(equations)

    def hide(self, position: int) -> None:
        unknown = self.unknown_of[position]
        if self.top_hidden is not None and self.top[position]:
            self.top_hidden.append(position)
        self.shut[unknown] = True
        at = self.positions[self.positions_start[unknown] : self.positions_start[unknown + 1]]
        if len(at) == 1 and not self.repeats:
            self.push(self.equations_at(int(at[0])))
        else:
            self.push(_distinct(np.concatenate([self.equations_at(i) for i in at.tolist()])))

    def close_each(self, first: bool = False) -> None:
        """Until nothing changes: every equation that pins a hidden cell gets another.

        The first time every equation is looked at, the last first; then those pushed since,
        in the order of a set of them. The first time, an equation that pinned nothing at the
        start is passed over: untouched it still pins nothing, and touched it was pushed and
        looked at after its last change (each push is looked at before the next of these).
        """
        if first:
            base = np.flatnonzero(self.pinned).tolist()
        else:
            base, self.todo = list(set(self.todo)), []
        while base:
            self.settle(base.pop())
            while self.todo:
                self.settle(self.todo.pop())

    def settle(self, e: int) -> None:
        """Hide cells of equation e (and push those they are in) until it pins none."""
        while True:
            if self.stale[e]:  # e and every equation pushed since the last time: together
                pending, self.pending = self.pending, []
                single = len(pending) == 1 and not self.repeats
                self._work_out(pending[0] if single else _distinct(np.concatenate(pending)))
            if not self.pinned[e] or not self.protect(e):
                return

    def protect(self, e: int) -> bool:
        """Hide one more cell of equation e, or failing that read one of its small markers as a
        complement."""
        ids = self.eq.of(e)
        cells, flags = self.value[ids], self.hidden(ids)
        partner = _partner(cells.tolist(), (flags | self.fixed[ids]).tolist(), ids.tolist())
        if partner is not None:
            self.hide(partner)
            return True
        smalls = np.flatnonzero(flags & self.small(ids))
        if not len(smalls):
            return False
        position = int(ids[smalls[0]])  # the total first: a complement total leaves its parts open
        self.wide[position] = True
        self.push(self.equations_at(position))
        return True

    def protect_at(self, e: int, position: int) -> bool:
        """Protect a cell pinned by all the equations together by hiding one more shown cell,
        the smallest that may free it, below the top if any will do: of its own equations and
        of those of the hidden cells beside it (a town's all time, which bounds its year that
        the county's total then pins), one equation further each time it is pinned again; with
        none below the top, a small marker of its own equations reads as a complement before a
        top row is hidden."""
        if not self.shut[self.unknown_of[position]]:
            return False  # shown since this round's check (`show`): nothing to protect
        tries = self.tries.get(position, 0)
        self.tries[position] = tries + 1
        if not self.tiny[position] and self.given_by_shown(position) and self.show(position):
            return True  # hidden, it protected nothing: nothing could free it
        equations = self.equations_at(position)
        cells = own = _distinct(self.eq.cells_of(equations))
        for radius in range(3):
            if radius:
                beside = cells[self.hidden(cells)]
                equations = _distinct(np.concatenate([self.eqs_at_all(beside), equations]))
                cells = _distinct(self.eq.cells_of(equations))
            if radius >= min(tries, 2):
                shown = cells[~self.hidden(cells) & (self.value[cells] > 0) & ~self.fixed[cells]]
                below = shown[~self.top[shown]]
                if len(below):
                    self.hide(int(below[np.argmin(self.value[below])]))
                    return True
        # else a small marker read as a complement (the cell itself, one of its own equations,
        # one further on), before a top row is hidden
        for near in ([position], own, cells):
            smalls = np.asarray(near)[self.hidden(np.asarray(near)) & self.small(np.asarray(near))]
            if len(smalls):
                self.wide[int(smalls[0])] = True
                self.push(self.equations_at(int(smalls[0])))
                return True
        cells = cells[~self.hidden(cells) & (self.value[cells] > 0) & ~self.fixed[cells]]
        if len(cells):
            self.hide(int(cells[np.argmin(self.value[cells])]))
            return True
        if self.protect(e):
            return True
        return any(self.protect(other) for other in self.equations_at(position).tolist())

    def given_by_shown(self, position: int) -> bool:
        """Whether an equation gives this position from cells that are never hidden (0, or a
        figure another table shows): a reader knows it whatever else is hidden."""
        for e in self.equations_at(position).tolist():
            ids = self.eq.of(e)
            others = ids[ids != position]
            values = self.value[ids]
            if (
                len(others)
                and values[1:].sum() == values[0]  # it holds: a reader can use it
                and ((self.value[others] == 0) | self.fixed[others]).all()
                and not self.hidden(others).any()
            ):
                return True
        return False

    def show(self, position: int) -> bool:
        """Show a hidden count (not small) a reader can work out anyway, and keep it shown: the
        cells it was hidden for are protected again by others. False if its unknown also
        stands for other values (those are not given) or another table hides it (the same
        figure reads the same everywhere)."""
        unknown = int(self.unknown_of[position])
        at = self._positions_of(np.array([unknown]))
        if (self.value[at] != self.value[position]).any() or self.elsewhere[at].any():
            return False
        self.shut[unknown] = False
        self.fixed[at] = True
        self.push(_distinct(self.eqs_at_all(at)))
        return True

    def eqs_at_all(self, positions: np.ndarray) -> np.ndarray:
        """The equations of any of these positions (with repeats)."""
        return _rows_of(self.eqs_start, self.eqs_at, positions)

    def leaks(self) -> list[tuple[int, int]]:
        """Hidden cells all the equations together pin to one value: the bounds a reader works
        out from what is shown (a small marker is 1 to small_max, a complement from 0 up),
        each equation that holds narrowing its cells from the others' bounds, all at once,
        until nothing narrows.

        A (equation, position) per pinned position, in the order the equations hold them: the
        first equation with a hidden cell that holds it. The bounds are kept (`self.bounds`)
        for `shown_leaks`.
        """
        self.bounds = None  # the last solve's arrays go before the next's are made
        self.bounds = bounds = _Bounds.solve(self)
        self.remember(bounds)
        if bounds is None:
            return []
        pinned = bounds.pinned()
        if not pinned.any():
            return []
        # every position of a pinned class, where it is first held, in the equations' order
        _, where = np.unique(bounds.cells, return_index=True)
        where = where[pinned[bounds.klass[where]]]
        where.sort()
        owner = np.repeat(bounds.live, bounds.sizes)
        return list(zip(owner[where].tolist(), bounds.cells[where].tolist(), strict=True))

    def shown_leaks(self, unknowns: list[int]) -> bool:
        """Whether showing these hidden unknowns would let all the equations together pin a
        hidden count; if not they are shown. Worked out from the bounds of the last `leaks`
        (a solve with them hidden), narrowed again from their equations only: the same
        bounds as a solve from scratch, since knowing more only narrows."""
        if self.bounds is not None:
            bounds = self.bounds.shown(unknowns)
            if bounds is None:
                return True
            self.bounds = bounds
        self.shut[unknowns] = False
        self.remember(self.bounds)
        return False

    def remember(self, bounds: _Bounds | None) -> None:
        """Keep what the next check of all equations together starts from: the state these
        bounds were worked out on and the bounds of their hidden classes."""
        self.solved = (self.shut.copy(), self.wide.copy())
        self.known = None
        if bounds is not None:
            hidden = bounds.k_hidden
            self.known = (bounds.keys[hidden], bounds.lo[hidden], bounds.hi[hidden])

    def reached_since(self) -> np.ndarray | None:
        """The hidden positions tied to one hidden or read as a complement since the last
        check of all equations together (None: no check yet), through the equations and
        unknowns they share with other hidden positions: bounds of the rest are as they were."""
        if self.solved is None:
            return None
        shut, wide = self.solved
        unknowns = np.flatnonzero(self.shut & ~shut)
        frontier = np.concatenate([self._positions_of(unknowns), np.flatnonzero(self.wide & ~wide)])
        frontier = _distinct(frontier[self.hidden(frontier)])
        reached = np.zeros(len(self.value), dtype=bool)
        while len(frontier):
            reached[frontier] = True
            near = np.concatenate([
                self._positions_of(_distinct(self.unknown_of[frontier])),
                self.eq.cells_of(_distinct(self.eqs_at_all(frontier))),
            ])  # fmt: skip
            frontier = _distinct(near[self.hidden(near) & ~reached[near]])
        return reached

    def _positions_of(self, unknowns: np.ndarray) -> np.ndarray:
        """The positions of any of these unknowns."""
        return _rows_of(self.positions_start, self.positions, unknowns).astype(np.int64)


@dataclass
class _Bounds:
    """What a reader can work out of every hidden count from all the equations together.

    Bounds are kept per class, the positions of an unknown holding the same value (a stock
    the same in every period is one), over arrays: every place's figures of a province are
    millions of equations. Only equations that hold and have a hidden cell are used (one that
    does not is no relation a reader can use, and would only narrow bounds wrongly)."""

    live: np.ndarray  # the equations used
    sizes: np.ndarray  # their sizes
    cells: np.ndarray  # their positions end to end
    klass: np.ndarray  # the class of each
    keys: np.ndarray  # each class's key (its unknown and the rank of its value), ascending
    k_unknown: np.ndarray  # per class: its unknown, value, whether hidden, bounds
    k_value: np.ndarray
    k_hidden: np.ndarray
    lo: np.ndarray
    hi: np.ndarray

    @classmethod
    def solve(cls, state: _Closure) -> _Bounds | None:
        """The bounds of every class as the state shows them; None if no equation is used."""
        everywhere = np.arange(len(state.value))
        hidden = state.hidden(everywhere)
        small = state.small(everywhere)
        del everywhere
        cells, heads = state.eq.cells, state.eq.starts[:-1]
        if not len(cells):
            return None
        has_hidden = np.logical_or.reduceat(hidden[cells], heads)
        live = np.flatnonzero(has_hidden & state.eq.holds(state.value))
        del has_hidden
        if not len(live):
            return None
        at_cells, _, sizes = state.eq.gather(live)
        key = state.unknown_of[at_cells].astype(np.int64) * state.n_values
        key += state.value_rank[at_cells]
        keys, first, klass = _classes(key)
        del key
        k_hidden = hidden[at_cells[first]]
        k_small = np.zeros(len(first), dtype=bool)
        k_small[klass[small[at_cells]]] = True
        k_value = state.value[at_cells[first]]
        lo = np.where(k_hidden, np.where(k_small, 1.0, 0.0), k_value)
        hi = np.where(k_hidden, np.where(k_small, float(state.small_max), math.inf), k_value)
        k_unknown = state.unknown_of[at_cells[first]]
        bounds = cls(live, sizes, at_cells, klass, keys, k_unknown, k_value, k_hidden, lo, hi)
        bounds.narrow(bounds.start_from(state))
        return bounds

    def start_from(self, state: _Closure) -> np.ndarray:
        """The equations to narrow from first: every one, else (after an earlier check) those
        of the hidden classes tied to what changed since, every other hidden class starting
        from its bounds then, which are final: no equation of theirs changed."""
        everything = np.arange(len(self.live))
        reached = state.reached_since()
        if reached is None or state.known is None:
            return everything
        known_keys, known_lo, known_hi = state.known
        k_reached = np.zeros(len(self.keys), dtype=bool)
        k_reached[self.klass[reached[self.cells]]] = True
        kept = np.flatnonzero(self.k_hidden & ~k_reached)
        if len(kept):
            at = np.searchsorted(known_keys, self.keys[kept])
            if at.max() >= len(known_keys) or not np.array_equal(known_keys[at], self.keys[kept]):
                return everything  # (never: such a class was hidden then, in the same equations)
            self.lo[kept], self.hi[kept] = known_lo[at], known_hi[at]
        return np.unique(self.equation_of[k_reached[self.klass]])

    @property
    def equation_of(self) -> np.ndarray:
        """The equation (of `live`) each cell of `cells` is in."""
        return np.repeat(np.arange(len(self.live), dtype=np.int32), self.sizes)

    def pinned(self) -> np.ndarray:
        return self.k_hidden & (self.lo == self.hi)

    def narrow(self, active: np.ndarray) -> None:
        """Each equation of `active` narrows its hidden classes from the others' bounds, then
        those with a class that narrowed, until none does."""
        starts = np.cumsum(self.sizes)  # where each equation's cells start in `cells`, and end
        starts = np.append(starts - self.sizes, starts[-1:])
        equation_of = self.equation_of
        lo, hi = self.lo, self.hi
        while len(active):  # narrowing only, to whole numbers between true bounds: it ends
            new_lo, new_hi = lo.copy(), hi.copy()
            for part in _chunks(active, self.sizes):  # a province: bounded temporary arrays
                sub_sizes = self.sizes[part]
                sub_at = np.cumsum(sub_sizes) - sub_sizes
                k = self.klass[_row_positions(starts, part)]
                x_lo, x_hi = _implied(lo[k], hi[k], sub_at, sub_sizes)
                keep = self.k_hidden[k]
                np.maximum.at(new_lo, k[keep], np.ceil(x_lo[keep] - 1e-9))
                np.minimum.at(new_hi, k[keep], np.floor(x_hi[keep] + 1e-9))
                del k, x_lo, x_hi, keep
            narrowed = (new_lo != lo) | (new_hi != hi)
            lo, hi = new_lo, new_hi
            active = np.unique(equation_of[narrowed[self.klass]])
        self.lo, self.hi = lo, hi

    def shown(self, unknowns: list[int]) -> _Bounds | None:
        """These bounds with the unknowns' cells shown, narrowed again from their equations;
        None if that pins a hidden class."""
        which = np.isin(self.k_unknown, unknowns) & self.k_hidden
        k_hidden = self.k_hidden & ~which
        lo, hi = np.where(which, self.k_value, self.lo), np.where(which, self.k_value, self.hi)
        bounds = replace(self, k_hidden=k_hidden, lo=lo, hi=hi)
        bounds.narrow(np.unique(self.equation_of[which[self.klass]]))
        return None if bounds.pinned().any() else bounds


CHUNK_CELLS = 1 << 21  # cells of equations worked out at once in the check of all together


def _chunks(equations: np.ndarray, sizes: np.ndarray) -> list[np.ndarray]:
    """Runs of `equations` (ascending) of about CHUNK_CELLS cells each (`sizes`: every
    equation's size)."""
    ends = np.cumsum(sizes[equations])
    if not len(ends) or ends[-1] <= CHUNK_CELLS:
        return [equations]
    cuts = np.searchsorted(ends, np.arange(CHUNK_CELLS, ends[-1], CHUNK_CELLS), side="right")
    return [part for part in np.split(equations, np.unique(cuts)) if len(part)]


def _pinned(
    lo: np.ndarray, hi: np.ndarray, hidden: np.ndarray, at: np.ndarray, sizes: np.ndarray
) -> np.ndarray:
    """For each of a run of equations total = sum(parts), whether what is shown pins a hidden
    cell to one value.

    Arrays are per cell of the equations end to end, each equation's cells from `at` (its
    total first) for `sizes`; lo and hi are each cell's range: a shown value, 1..4 for a small one,
    0..∞ for any other hidden cell. A hidden cell alone in its equation is pinned; otherwise
    each hidden cell's range is what the equation leaves it, given the others' ranges.
    """
    x_lo, x_hi = _implied(lo, hi, at, sizes)
    x_lo, x_hi = np.maximum(x_lo, lo), np.minimum(x_hi, hi)
    one = np.isfinite(x_lo) & np.isfinite(x_hi) & (np.floor(x_hi) <= np.ceil(x_lo))
    alone, pins = np.add.reduceat(np.array([hidden, hidden & one], dtype=np.int64), at, axis=1)
    return (alone == 1) | (pins > 0)


_OPEN = np.array([[-math.inf], [math.inf]])  # the open ends of a low and a high bound


def _implied(
    lo: np.ndarray, hi: np.ndarray, at: np.ndarray, sizes: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For each cell of a run of equations total = sum(parts) (arrays per cell end to end,
    each equation's cells from `at`, its total first, for `sizes`), given every cell's range
    [lo, hi], the range the others leave it. Infinite ends are counted apart: no inf - inf.
    Counts are whole numbers: their sums are exact in any order."""
    coef = np.ones(len(lo))
    coef[at] = -1.0  # -total + parts = 0
    a, b = coef * lo, coef * hi
    terms = np.stack([np.minimum(a, b), np.maximum(a, b)])  # each cell's share: low, high
    open_ = terms == _OPEN
    terms[open_] = 0.0
    sums = np.add.reduceat(np.concatenate([open_, terms]), at, axis=1)
    sums = np.repeat(sums, sizes, axis=1)
    rest = np.where(sums[:2] > open_, _OPEN, sums[2:] - terms)  # the others' low, high
    x = -rest / coef  # coef * x = -rest
    return np.minimum(x[0], x[1]), np.maximum(x[0], x[1])


def _rows_of(starts: np.ndarray, items: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The items of these rows end to end, of items kept row after row, row r's from
    starts[r] to starts[r + 1]."""
    return items[_row_positions(starts, rows)]


def _row_positions(starts: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Where the items of these rows are, end to end (`_rows_of`), row r's from starts[r] to
    starts[r + 1]."""
    first = starts[rows]
    sizes = starts[rows + 1] - first
    total = int(sizes.sum())
    at = np.cumsum(sizes) - sizes
    return np.arange(total) - np.repeat(at - first, sizes)


def _classes(key: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """np.unique(key, return_index=True, return_inverse=True), the inverse as int32: at a
    province's 26 million cells, np.unique's own int64 temporaries were part of the warm's peak."""
    order = np.argsort(key, kind="stable")  # stable: each class's first cell, as np.unique
    ordered = key[order]
    new = np.empty(len(key), dtype=bool)
    new[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
    keys = ordered[new]
    del ordered
    klass = np.empty(len(key), dtype=np.int32)
    klass[order] = np.cumsum(new, dtype=np.int32) - 1
    return keys, order[new], klass


def _distinct(x: np.ndarray) -> np.ndarray:
    """np.unique of a run of positions or equations, sorted: a quarter of its time on the few
    hundred a cell's equations hold, looked at once a pinned cell."""
    x = np.sort(x)
    if len(x) < 2:
        return x
    keep = np.empty(len(x), dtype=bool)
    keep[0] = True
    np.not_equal(x[1:], x[:-1], out=keep[1:])
    return x[keep]


def _partner(values: list, hidden: list, ids: list) -> int | None:
    """The position to hide next in an equation: its smallest shown non-zero part, else its
    total (hiding it moves the problem one level up). Zeros are never hidden."""
    parts = [i for i in range(1, len(values)) if not hidden[i] and values[i] > 0]
    pool = parts or ([0] if not hidden[0] and values[0] > 0 else [])
    if not pool:
        return None  # every non-zero cell hidden already
    return ids[min(pool, key=lambda i: values[i])]
