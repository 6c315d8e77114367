"""hehu.disclosure: the one rule for what a role sees of a count, on fixed frames with exact
expected cells, each attacked the way a deputy would try to work a hidden count back."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest

from hehu.disclosure import (
    HIDDEN_COMPLEMENT,
    HIDDEN_SMALL,
    SHOWN_AS_COMPLEMENT,
    SHOWN_AS_MARKER,
    SHOWN_ELSEWHERE,
    Periods,
    Rules,
    count_phrase,
    current_role,
    disclose,
    disclose_count,
    disclose_counts,
    hidden_cells,
    sees_person_rows,
)


def solutions(shown: pd.Series, total: int) -> set[tuple]:
    """Every value of the hidden parts that a deputy cannot rule out: "<5" parts anywhere in
    1..4, one "*" part whatever the shown total leaves it (at least 0)."""
    hidden = [i for i, v in shown.items() if v in (HIDDEN_SMALL, HIDDEN_COMPLEMENT)]
    stars = [i for i in hidden if shown[i] == HIDDEN_COMPLEMENT]
    assert len(stars) <= 1, "one complement is enough for these cases"
    smalls = [i for i in hidden if shown[i] == HIDDEN_SMALL]
    left = total - sum(v for v in shown if not isinstance(v, str))
    found = set()
    for guess in itertools.product(range(1, 5), repeat=len(smalls)):
        rest = left - sum(guess)
        if (stars and rest >= 0) or (not stars and rest == 0):
            found.add(guess + ((rest,) if stars else ()))
    return found


@pytest.mark.parametrize(
    ("value", "shown"), [(0, 0), (1, HIDDEN_SMALL), (4, HIDDEN_SMALL), (5, 5), (120, 120)]
)
def test_one_to_four_is_hidden_from_aggregate_roles(value, shown):
    assert disclose_count(value, "deputy") == shown
    assert disclose_count(value, "presenter") == shown
    assert disclose_count(value, "staff") == value


def test_a_lone_hidden_cell_gets_a_complement():
    shown = disclose_counts(
        {"p": {"甲镇": 3, "乙镇": 20, "丙镇": 12, "合计": 35}}, "p", "合计", "deputy"
    )
    assert shown == {"甲镇": HIDDEN_SMALL, "乙镇": 20, "丙镇": HIDDEN_COMPLEMENT, "合计": 35}


def test_two_small_cells_that_must_both_be_four_are_protected():
    # 南集镇 8 / <5 / <5: the only split of 8 into two counts of 1..4 is 4 + 4.
    frame = pd.DataFrame({"n": [4, 4, 30, 38]}, index=["a", "b", "c", "t"])
    rules = Rules(counts=("n",), total_row="t")
    shown = disclose({"p": frame}, "p", rules, "deputy")
    assert shown["n"].tolist() == [HIDDEN_SMALL, HIDDEN_SMALL, HIDDEN_COMPLEMENT, 38]
    # a deputy solving the table finds more than one answer for every hidden cell
    answers = solutions(shown["n"].drop("t"), 38)
    assert all(len({a[i] for a in answers}) > 1 for i in range(3))


def test_a_total_minus_its_shown_parts_never_gives_a_hidden_part():
    frame = pd.DataFrame({"n": [82, 4, 78]}, index=["total", "visited", "not_visited"])
    rules = Rules(counts=("n",), total_row="total")
    shown = disclose({"p": frame}, "p", rules, "deputy")
    assert shown["n"].tolist() == [82, HIDDEN_SMALL, HIDDEN_COMPLEMENT]


def test_a_total_another_table_hides_is_hidden_here_and_its_parts_protect_it():
    # The cases page's totals repeat place figures: a town's cases hidden among the places
    # ("*", a complement there) must not read 13 at the foot of its own table.
    frame = pd.DataFrame({"n": [6, 7, 13]}, index=["a", "b", "t"])
    rules = Rules(counts=("n",), total_row="t")
    there = pd.DataFrame({"n": [0, 0, SHOWN_AS_COMPLEMENT]}, index=["a", "b", "t"])
    assert disclose({"p": frame}, "p", rules, "deputy")["n"].tolist() == [6, 7, 13]
    shown = disclose({"p": frame}, "p", rules, "deputy", elsewhere={"p": there})
    assert shown.at["t", "n"] == HIDDEN_COMPLEMENT
    # one part hidden too: 6 + 7 no longer gives the total back
    assert list(shown["n"][["a", "b"]]).count(HIDDEN_COMPLEMENT) == 1
    small_there = there.replace(SHOWN_AS_COMPLEMENT, SHOWN_AS_MARKER)
    small = pd.DataFrame({"n": [3, 0, 3]}, index=["a", "b", "t"])
    shown = disclose({"p": small}, "p", rules, "deputy", elsewhere={"p": small_there})
    assert shown["n"].tolist() == [HIDDEN_SMALL, 0, HIDDEN_SMALL]


def test_a_total_another_table_shows_is_never_the_complement():
    # Shown among the places, a total cannot hide a part here: if no other cell will do,
    # the table's counts are hidden, all of them.
    rules = Rules(counts=("n",), total_row="t")
    public = pd.DataFrame({"n": [0, 0, SHOWN_ELSEWHERE]}, index=["a", "b", "t"])
    frame = pd.DataFrame({"n": [3, 9, 12]}, index=["a", "b", "t"])
    shown = disclose({"p": frame}, "p", rules, "deputy", elsewhere={"p": public})
    assert shown["n"].tolist() == [HIDDEN_SMALL, HIDDEN_COMPLEMENT, 12]
    lone = pd.DataFrame({"n": [3, 0, 3]}, index=["a", "b", "t"])
    assert disclose({"p": lone}, "p", rules, "deputy")["n"].tolist() == [
        HIDDEN_SMALL,
        0,
        HIDDEN_SMALL,
    ]
    shown = disclose({"p": lone}, "p", rules, "deputy", elsewhere={"p": public})
    assert shown["n"].tolist() == [HIDDEN_COMPLEMENT, HIDDEN_COMPLEMENT, HIDDEN_COMPLEMENT]


def test_a_total_another_table_shows_is_protected_by_a_complement_before_all_is_hidden():
    # 8 shown among the places over two "<5" is 4 + 4: one of them reads "*" (the total cannot
    # be hidden), where the table's counts were all hidden before
    rules = Rules(counts=("n",), total_row="t")
    public = pd.DataFrame({"n": [0, 0, SHOWN_ELSEWHERE]}, index=["a", "b", "t"])
    frame = pd.DataFrame({"n": [4, 4, 8]}, index=["a", "b", "t"])
    shown = disclose({"p": frame}, "p", rules, "deputy", elsewhere={"p": public})
    assert shown["n"].tolist() == [HIDDEN_COMPLEMENT, HIDDEN_SMALL, 8]


def test_additive_columns_are_protected_row_by_row():
    frame = pd.DataFrame(
        {"households": [82, 30], "visited": [4, 20], "not_visited": [78, 10]}, index=["a", "b"]
    )
    rules = Rules(
        counts=("households", "visited", "not_visited"),
        additive=(("households", ("visited", "not_visited")),),
    )
    shown = disclose({"p": frame}, "p", rules, "deputy")
    assert shown.loc["a"].tolist() == [82, HIDDEN_SMALL, HIDDEN_COMPLEMENT]
    assert shown.loc["b"].tolist() == [30, 20, 10]


def test_a_small_count_in_one_period_is_hidden_in_every_period():
    # all time 13, 2021 9: subtracting the two would give 2022 = 4
    frames = {
        "2022": pd.DataFrame({"n": [4, 3]}, index=["涟城", "石湖"]),
        "2021": pd.DataFrame({"n": [9, 17]}, index=["涟城", "石湖"]),
        "all": pd.DataFrame({"n": [13, 20]}, index=["涟城", "石湖"]),
    }
    rules = Rules(counts=("n",))
    for key in frames:
        shown = disclose(frames, key, rules, "deputy")["n"].tolist()
        assert all(v in (HIDDEN_SMALL, HIDDEN_COMPLEMENT) for v in shown), (key, shown)
    # the cells small in the period on show say so; the others are complements
    assert disclose(frames, "2022", rules, "deputy")["n"].tolist() == [HIDDEN_SMALL] * 2
    assert disclose(frames, "all", rules, "deputy")["n"].tolist() == [HIDDEN_COMPLEMENT] * 2


def test_the_pattern_does_not_depend_on_the_period_on_show():
    frames = {
        str(y): pd.DataFrame({"n": [y % 7, 10, 3 + y % 3, 40]}, index=list("abcd"))
        for y in (2020, 2021, 2022)
    }
    rules = Rules(counts=("n",), tree={"d": ["a", "b", "c"]})
    masks = hidden_cells(list(frames.values()), rules)
    for position, key in enumerate(frames):
        shown = disclose(frames, key, rules, "deputy")["n"]
        assert (shown.isin([HIDDEN_SMALL, HIDDEN_COMPLEMENT]) == masks[position]["n"].ne(0)).all()
    # a count taken as a stock by default: hidden in one period, hidden in all
    assert all(m.equals(masks[0]) for m in masks)


def test_dated_counts_add_up_over_the_years_and_states_differ_by_day():
    index = ["a", "b"]
    frames = [
        pd.DataFrame({"received": [13, 20], "open": [9, 6]}, index=index),  # all time
        pd.DataFrame({"received": [9, 17], "open": [3, 9]}, index=index),  # 2021
        pd.DataFrame({"received": [4, 3], "open": [9, 6]}, index=index),  # 2022, ends today
    ]
    rules = Rules(counts=("received", "open"), over_time={"received": "dated", "open": "state"})
    periods = Periods(same_day=((0, 2),), sums=((0, (1, 2)),))
    masks = hidden_cells(frames, rules, periods)
    received = [list(m["received"].ne(0)) for m in masks]
    # 2022's small counts are hidden; all time = 2021 + 2022 would give them back from the
    # other two, so one of those is hidden too, row by row
    assert received[2] == [True, True]
    assert all(received[0][i] or received[1][i] for i in range(2))
    # an open count small in 2021 only: hidden there; all time and 2022 end on the same day
    # and show the same state
    assert [list(m["open"].ne(0)) for m in masks] == [[False, False], [True, False], [False, False]]


def test_the_hierarchy_protects_a_town_from_its_county_and_its_villages():
    # county = towns + its own records; a town = its villages
    frame = pd.DataFrame(
        {"n": [50, 3, 30, 17, 0, 2, 1, 0]},
        index=["county", "town_a", "town_b", "town_c", "county#own", "v1", "v2", "town_a#own"],
    )
    tree = {
        "county": ["town_a", "town_b", "town_c", "county#own"],
        "town_a": ["v1", "v2", "town_a#own"],
    }
    shown = disclose({"p": frame}, "p", Rules(counts=("n",), tree=tree), "deputy")["n"]
    assert shown["town_a"] == HIDDEN_SMALL
    assert shown["town_c"] == HIDDEN_COMPLEMENT  # the smallest other town
    assert shown["v1"] == HIDDEN_SMALL and shown["v2"] == HIDDEN_SMALL
    # 3 = v1 + v2 + own: with v1, v2 in 1..4 and own 0 shown, v1 + v2 = 3 is {1+2, 2+1}: safe


def test_rates_are_hidden_with_their_numerator_or_denominator():
    frame = pd.DataFrame(
        {"must": [25, 40], "visited": [2, 30], "coverage": [0.08, 0.75]}, index=["a", "b"]
    )
    rules = Rules(counts=("must", "visited"), rates={"coverage": ("visited", "must")})
    shown = disclose({"p": frame}, "p", rules, "deputy")
    assert shown.loc["a"].tolist() == [25, HIDDEN_SMALL, HIDDEN_COMPLEMENT]
    assert shown.loc["b"].tolist() == [40, 30, 0.75]


def test_staff_see_exact_values():
    frame = pd.DataFrame({"n": [3, 20, 23]}, index=["a", "b", "t"])
    shown = disclose({"p": frame}, "p", Rules(counts=("n",), total_row="t"), "staff")
    assert shown["n"].tolist() == [3, 20, 23]


@pytest.mark.parametrize(
    ("shown", "zh", "en"),
    [
        (25, "25户", "25 households"),
        (1, "1户", "1 household"),
        (HIDDEN_SMALL, "不足5户", "fewer than 5 households"),
        (HIDDEN_COMPLEMENT, "若干户", "some households"),
    ],
)
def test_sentences_use_the_shown_value(shown, zh, en):
    assert count_phrase(shown, "households", "zh") == zh
    assert count_phrase(shown, "households", "en") == en


def test_role_comes_from_the_server_environment(monkeypatch):
    monkeypatch.setenv("HEHU_ROLE", "staff")
    assert current_role() == "staff" and sees_person_rows()
    monkeypatch.setenv("HEHU_ROLE", "superuser")  # unknown roles fall back to the least privilege
    assert current_role() == "deputy" and not sees_person_rows()
    monkeypatch.delenv("HEHU_ROLE")
    assert current_role() == "deputy"
