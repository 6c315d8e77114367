"""The equations the disclosure gives its reader must be true of the figures.

The solver (`hehu/suppression.py`) uses only the equations that hold, so a rule stated wrong is
silently of no use to it: where it does not hold, a reader who knows the true relation may pin
what it was meant to protect. Some true relations are inequalities, which the model cannot
state; they are given as equations (where one happens to hold, the solver protects against a
reader who knows more than the truth; where it does not, nothing protects against the
inequality). Those are listed here, each with why; any other false equation is a rule stated
wrong. On the demo, every period a page offers: the place figures and every split table.
"""

from __future__ import annotations

import pytest

from hehu.disclosure import false_equations
from hehu.figures.places import MUST_VISIT_VISITED, choosable_periods, period_links, rules_for
from hehu.figures.places import _prepared as prepared_place_figures
from hehu.figures.splits import SPLITS, split_frame, split_rules

# Figures whose all time is not the sum of the years, though given so ("dated"):
APPROXIMATED_OVER_TIME = {
    # people or households counted once however many years they were in: all time is at most
    # the sum of the years
    "left_behind_children_paired",
    "pairing.paired_in_period",
    "households_visited",
    MUST_VISIT_VISITED,
    "must_visit.visited",
    "households_screened",
    "screening.screened",
    "screening.high_risk",
    "screening.high_risk_unfollowed",
    "high_risk_without_follow_up",
    # cases received in the period, resolved or referred by its last day: a case received in
    # one year and closed in the next is in all time's, in neither year's
    "cases_resolved",
    "case.resolved",
    "case.status_resolved",
    "case.status_referred",
    "status_resolved",  # the table by station
    "status_referred",
}
# Figures of one period given as adding up or being the same, though they need not:
APPROXIMATED_WITHIN = {
    # children registered = paired in the period + unpaired on its last day: a child whose
    # pairing ended in the period is in both (registered = paired on the last day + unpaired
    # is the pairing family's own, true, equation)
    frozenset({"left_behind_children", "left_behind_children_paired", "unpaired_left_behind"}),
}


def figure_of(column: str) -> str:
    """A column's figure, without its category ('case.resolved:fraud' -> 'case.resolved')."""
    return column.split(":")[0]


def stated_wrong(equations: list) -> list:
    """The false equations that are not a known approximation."""
    out = []
    for cells in equations:
        figures = {figure_of(column) for _, _, column in cells}
        over_time = len({(row, column) for _, row, column in cells}) == 1
        if over_time and figures <= APPROXIMATED_OVER_TIME:
            continue
        if not over_time and frozenset(figures) in APPROXIMATED_WITHIN:
            continue
        out.append(cells)
    return out


def test_the_place_figures_equations_hold_but_the_known_inequalities(demo_records):
    keys = choosable_periods(demo_records)
    frames = [prepared_place_figures(demo_records, key) for key in keys]
    false = false_equations(frames, rules_for(demo_records, frames[0]), period_links(keys))
    assert false  # the approximations are there to be found: the check reads the equations
    wrong = stated_wrong(false)
    assert not wrong, f"{len(wrong)} equations stated wrong, e.g. {wrong[:3]}"


@pytest.mark.parametrize("split", SPLITS, ids=lambda s: s.name)
def test_the_split_tables_equations_hold_but_the_known_inequalities(demo_records, split):
    keys = choosable_periods(demo_records)
    frames = [split_frame(demo_records, split, key) for key in keys]
    rows = frames[0].index
    for frame in frames[1:]:
        rows = rows.union(frame.index, sort=False)
    false = false_equations(frames, split_rules(demo_records, split, rows), period_links(keys))
    wrong = stated_wrong(false)
    assert not wrong, f"{len(wrong)} equations stated wrong, e.g. {wrong[:3]}"


def test_a_rule_stated_wrong_is_found(demo_records):
    """Children registered given as a figure of every period on its own ("dated": all time
    the sum of the years) instead of a stock is found: it is the same count in every year."""
    keys = choosable_periods(demo_records)
    frames = [prepared_place_figures(demo_records, key) for key in keys]
    rules = rules_for(demo_records, frames[0])
    wrong_rules = type(rules)(
        counts=rules.counts,
        tree=rules.tree,
        additive=rules.additive,
        rates=rules.rates,
        over_time={**rules.over_time, "left_behind_children": "dated"},
    )
    wrong = stated_wrong(false_equations(frames, wrong_rules, period_links(keys)))
    assert wrong
    assert {figure_of(column) for cells in wrong for _, _, column in cells} == {
        "left_behind_children"
    }
