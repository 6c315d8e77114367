"""The solver of cell suppression (hehu/suppression.py) on hand-made tables: exact answers."""

from __future__ import annotations

import numpy as np

from hehu.suppression import Equations, close


def equations(*rows: list[int]) -> Equations:
    """Equations total = sum(parts), each given as [total, *parts] positions."""
    starts = np.cumsum([0, *map(len, rows)]).astype(np.int64)
    return Equations(starts, np.array([p for row in rows for p in row], dtype=np.int64), False)


def test_a_count_the_shown_figures_give_anyway_is_shown_and_the_small_ones_stay_hidden():
    # 12 = 1 + 5 + 6 (the 12 shown by another table): the 1 is small, so the 5 is hidden to
    # protect it. But 5 = 0 + 5 + 0 (that 5 shown by another table too): a reader works the 5
    # out whatever is hidden, so hiding it protects nothing and nothing could free it. The
    # solver shows it and hides the 6 instead; and in 9 = 1 + 5 + 3 the small 1 and 3 stay
    # open (1 + 3 = 4: each 1 to 3).
    values = np.array([9, 1, 5, 3, 0, 5, 0, 12, 1, 6], dtype=float)
    small = np.isin(np.arange(10), [1, 3, 8])
    fixed = np.isin(np.arange(10), [0, 5, 7])
    rows = equations([0, 1, 2, 3], [2, 4, 5, 6], [7, 8, 2, 9])
    shut, wide = close(values, small, np.arange(10), rows, fixed=fixed)
    assert np.flatnonzero(shut).tolist() == [1, 3, 8, 9]
    assert not wide[[1, 3, 8]].any()  # still "<5", not widened to "*" on the way
    # hidden by another table, it stays hidden here: the same figure reads alike everywhere
    elsewhere = np.isin(np.arange(10), [2])
    try:
        shut, _ = close(values, small, np.arange(10), rows, hidden=elsewhere, fixed=fixed)
    except RuntimeError:  # no hiding protects it: the caller hides the table whole
        return
    assert shut[2]


def test_a_small_count_the_shown_figures_give_is_never_shown():
    # The same, but the count worked out from shown figures is small: it is not shown, and a
    # table no hiding can protect is refused (hidden whole by the caller, test_splits).
    values = np.array([9, 1, 4, 4, 0, 4, 0], dtype=float)
    small = np.array([0, 1, 1, 1, 0, 0, 0], dtype=bool)
    fixed = np.array([1, 0, 0, 0, 0, 1, 0], dtype=bool)
    try:
        shut, _ = close(
            values, small, np.arange(7), equations([0, 1, 2, 3], [2, 4, 5, 6]), fixed=fixed
        )
    except RuntimeError:
        return
    assert shut[2], "a small count was shown"


def test_a_count_shown_in_one_period_is_not_protected_again_in_another():
    # The 5 of the first test is a stock, the same unknown in another period where
    # 30 = 5 + 10 + 15. Once shown (worked out from shown figures), its other position is no
    # longer a hidden count to protect: no cell is hidden for it, the 30 included.
    values = np.array([9, 1, 5, 3, 0, 5, 0, 12, 1, 6, 0, 30, 10, 15, 5], dtype=float)
    small = np.isin(np.arange(15), [1, 3, 8])
    fixed = np.isin(np.arange(15), [0, 5, 7])
    unknowns = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 2])
    rows = equations([0, 1, 2, 3], [2, 4, 5, 6], [7, 8, 2, 9], [11, 14, 12, 13])
    shut, _ = close(values, small, unknowns, rows, fixed=fixed)
    assert not shut[2] and not shut[11]
    assert shut[[1, 3, 8]].all()


def grid_with_totals(rows: int, columns: int, seed: int):
    """A table of counts with row, column and grand totals: (values, small, equations)."""
    rng = np.random.default_rng(seed)
    counts = rng.choice([0, 1, 2, 3, 6, 9, 14, 25], size=(rows, columns)).astype(float)
    table = np.zeros((rows + 1, columns + 1))
    table[:rows, :columns] = counts
    table[:rows, columns] = counts.sum(axis=1)
    table[rows, :columns] = counts.sum(axis=0)
    table[rows, columns] = counts.sum()
    at = np.arange(table.size).reshape(table.shape)
    eqs = [[at[r, columns], *at[r, :columns]] for r in range(rows + 1)]
    eqs += [[at[rows, c], *at[:rows, c]] for c in range(columns + 1)]
    values = table.reshape(-1)
    return values, (values >= 1) & (values <= 4), equations(*eqs)


def test_the_same_cells_are_hidden_whatever_the_run_of_equations_worked_out_at_once(monkeypatch):
    # A province's rounds push millions of equations at once, worked out in runs of
    # CHUNK_CELLS cells to bound memory: the runs must not change what is hidden.
    import hehu.suppression as suppression

    for seed in range(3):
        values, small, rows = grid_with_totals(9, 7, seed)
        unknowns = np.arange(len(values))
        whole = close(values, small, unknowns, rows)
        monkeypatch.setattr(suppression, "CHUNK_CELLS", 9)  # an equation or so at a time
        in_runs = close(values, small, unknowns, rows)
        monkeypatch.undo()
        assert whole[0].any()
        for expected, got in zip(whole, in_runs, strict=True):
            assert np.array_equal(expected, got)


def test_the_classes_are_numpys_unique_with_first_cells_and_an_int32_inverse():
    # _classes stands in for np.unique(return_index, return_inverse) at a province's size,
    # where np.unique's int64 temporaries made the deputies' warm's peak.
    from hehu.suppression import _classes

    rng = np.random.default_rng(7)
    for key in (rng.integers(0, 50, 1000), rng.integers(0, 1 << 40, 300), np.array([5])):
        keys, first, klass = _classes(key.astype(np.int64))
        expected = np.unique(key, return_index=True, return_inverse=True)
        assert klass.dtype == np.int32
        for want, got in zip(expected, (keys, first, klass), strict=True):
            assert np.array_equal(want.reshape(-1), got)


def test_whether_equations_hold_is_the_same_in_runs(monkeypatch):
    import hehu.suppression as suppression

    values, _, rows = grid_with_totals(9, 7, 0)
    values[3] += 1  # two equations no longer add up
    whole = rows.holds(values)
    monkeypatch.setattr(suppression, "CHUNK_CELLS", 5)
    assert np.array_equal(rows.holds(values), whole)
    assert (~whole).sum() == 2
