"""Metrics on the hand-made county: every expected figure is counted by hand in hehu_fixtures.py."""

from __future__ import annotations

import math

import pytest
from hehu_fixtures import V1, V2, C, K, S, T

from hehu.errors import BadDate, UnknownPlace
from hehu.figures.gaps import gaps_by_place
from hehu.figures.metrics import Period, load_records, metrics_by_place, place_metrics

YEAR_2022 = Period.of("2022-01-01", "2022-12-31")


@pytest.fixture
def records(small_store):
    return load_records(small_store)


def test_county_figures_for_2022(records):
    got = place_metrics(records, C, YEAR_2022)
    assert got == {
        "towns": 1,
        "subdistricts": 0,
        "key_villages": 2,
        "stations": 2,
        "cases_received": 2,
        "cases_resolved": 1,
        "resolution_rate": 0.5,
        "legal_events": 2,
        "legal_lectures": 1,
        "legal_audience": 240,
        "course_sessions": 2,  # on the window's first and last day
        "course_attendance": 80,
        "key_villages_with_course": 1,
        "left_behind_children": 3,
        "left_behind_children_paired": 3,  # includes a pairing that ended in March
        "pairings_active": 3,
        "pairings_lapsed": 1,
        "households_must_visit": 4,
        "households_visited": 2,  # the visit on 2023-01-01 is outside
        "must_visit_coverage": 0.25,
        "households_screened": 2,
        "high_risk_without_follow_up": 1,
        # no protection measure or referral in the hand-made county (test_protection_measures.py)
        "dv_warnings_issued": 0,
        "protection_orders_applied": 0,
        "protection_orders_issued": 0,
        "mandatory_reports_received": 0,
        "mandatory_reports_handled": 0,
        "cases_referred": 0,
        "recommendations_open": 2,
        "recommendations_overdue": 1,
    }


def test_figures_roll_up_the_hierarchy(records):
    frame = metrics_by_place(records, YEAR_2022)
    assert frame.at[T, "left_behind_children"] == 2
    assert frame.at[S, "left_behind_children"] == 1
    assert frame.at[T, "towns"] == 1 and frame.at[S, "towns"] == 0
    assert frame.at[T, "key_villages"] == 2 and frame.at[V1, "key_villages"] == 1
    assert frame.at[T, "resolution_rate"] == 1.0
    assert frame.at[S, "resolution_rate"] == 0.0
    assert frame.at[T, "must_visit_coverage"] == pytest.approx(1 / 3)
    assert frame.at[K, "pairings_lapsed"] == 1 and frame.at[T, "pairings_lapsed"] == 0
    # children roll up: the county equals the sum of its two township units
    for metric in ("cases_received", "course_attendance", "households_must_visit", "stations"):
        assert frame.at[C, metric] == frame.at[T, metric] + frame.at[S, metric]


def test_a_village_with_no_children_registered_has_no_rate_not_an_error(records):
    frame = metrics_by_place(records, YEAR_2022)
    assert frame.at[V2, "left_behind_children"] == 0
    assert math.isnan(frame.at[V2, "must_visit_coverage"])  # no must-visit households: no rate
    assert place_metrics(records, V2, YEAR_2022)["must_visit_coverage"] is None


def test_period_edges_and_as_of(records):
    y2021 = place_metrics(records, C, Period.of("2021-01-01", "2021-12-31"))
    assert y2021["course_sessions"] == 1  # k3 on 2021-12-31
    assert y2021["cases_resolved"] == 1 and y2021["resolution_rate"] == 1.0
    assert y2021["households_visited"] == 0
    assert y2021["high_risk_without_follow_up"] == 1  # s2: h1 was not visited until 2022
    assert y2021["recommendations_open"] == 0  # the inspection had not happened yet
    everything = place_metrics(records, C, Period.of("2021-01-01", "2023-12-31"))
    assert everything["households_visited"] == 3
    assert everything["high_risk_without_follow_up"] == 1  # s2 followed up by v1 in 2022


def test_gaps(records):
    gaps = gaps_by_place(records, YEAR_2022)
    assert gaps.at[V2, "no_course"] == 1 and gaps.at[V1, "no_course"] == 0
    assert gaps.at[V1, "unpaired_left_behind"] == 1  # p2's pairing ended
    assert gaps.at[V2, "overdue_follow_ups"] == 1  # v4 due 2022-06-01, never revisited
    # v1 was followed by v2; screening s1 (h2) asked for a visit by 2022-04-15, never made
    assert gaps.at[V1, "overdue_follow_ups"] == 1
    assert gaps.at[C, "no_course"] == 1 and bool(gaps.at[C, "has_gap"])


def test_bad_input_is_a_readable_error(records):
    with pytest.raises(UnknownPlace, match="未知的地点代码"):
        place_metrics(records, "123", YEAR_2022)
    with pytest.raises(BadDate, match="日期格式不正确"):
        Period.of("2022-02-30", None)
    with pytest.raises(BadDate):
        Period.of("2022-12-31", "2022-01-01")
