"""The solver of cell suppression (hehu/suppression.py) on hand-made tables: exact answers."""

from __future__ import annotations

import numpy as np

from hehu.suppression import Equations, close


def equations(*rows: list[int]) -> Equations:
    """Equations total = sum(parts), each given as [total, *parts] positions."""
    starts = np.cumsum([0, *map(len, rows)]).astype(np.int64)
    return Equations(starts, np.array([p for row in rows for p in row], dtype=np.int64), False)


def test_a_count_the_shown_figures_give_anyway_is_shown_and_the_small_ones_stay_hidden():
    # 9 = 1 + 5 + 3 (the 9 shown by another table), and 5 = 0 + 5 + 0 (that 5 shown by another
    # table too). The 5 of the first row is hidden (another table hides it), but a reader
    # works it out from the second row whatever is hidden: hiding it protects nothing, and
    # nothing could free it, so the solver shows it instead of failing. The small counts 1
    # and 3 stay hidden: 1 + 3 = 4 leaves each of them open (1 to 3).
    values = np.array([9, 1, 5, 3, 0, 5, 0], dtype=float)
    small = np.array([0, 1, 0, 1, 0, 0, 0], dtype=bool)
    hidden = np.array([0, 0, 1, 0, 0, 0, 0], dtype=bool)
    fixed = np.array([1, 0, 0, 0, 0, 1, 0], dtype=bool)
    shut, wide = close(
        values, small, np.arange(7), equations([0, 1, 2, 3], [2, 4, 5, 6]),
        hidden=hidden, fixed=fixed,
    )  # fmt: skip
    assert shut.tolist() == [False, True, False, True, False, False, False]
    assert not wide[[1, 3]].any()  # still "<5", not widened to "*" on the way


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
