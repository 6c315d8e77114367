"""Tracking pages: every computation on the hand-made county with numbers counted by hand, the
pages built and driven in Python for staff and deputies, exports, charts and the notebooks.

The county (tests/hehu_fixtures.py): C ── T ── V1 (key, 100 children, 20 left-behind),
V2 (key, 0 children), V3 (no count); C ── S ── K. Children p1, p2 (V1, left-behind), p3 (K,
left-behind), p4 (V1, in difficulty). Pairings r1 p1 running, r2 p2 ended 2022-03-31, r3 p3
running but last contact 2022-02-01, r4 p4 running.
"""

from __future__ import annotations

import base64
import io
import logging
import math
import os
import re
import warnings
from html import unescape
from pathlib import Path

import nbformat
import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa
from conftest import html_of, missing
from hehu_fixtures import V1, V2, V3, C, K, S, T

from hehu.figures import tracking
from hehu.figures.gaps import gaps_by_place
from hehu.figures.metrics import Period, load_records, metrics_by_place
from hehu.oversight.briefing import build_briefing
from hehu.records.schema import audit_log
from hehu.render.spreadsheet import frame_to_xlsx_bytes
from widgets.kit import charts
from widgets.kit.tables import Column, FrameTable, shown_values
from widgets.pages.cases import build_cases_page
from widgets.pages.courses import build_courses_page
from widgets.pages.pairings import build_pairings_page
from widgets.pages.visits import build_visits_page

YEAR = Period.year(2022)
ALL = Period()
D = pd.Timestamp
PAGES = {
    "pairings": build_pairings_page,
    "courses": build_courses_page,
    "visits": build_visits_page,
    "cases": build_cases_page,
}
# Every pseudonymous id of a person, household, pairing, case, visit or screening in the fixture.
PERSON_LEVEL_IDS = [
    *("p1", "p2", "p3", "p4", "h1", "h2", "h3", "h4", "h5"),
    *("r1", "r2", "r3", "r4", "c1", "c2", "c3", "v1", "v2", "v3", "v4", "s1", "s2", "s3"),
]


@pytest.fixture
def records(small_store):
    return load_records(small_store)


@pytest.fixture
def small_url(small_store):
    return small_store.url


def text(html: str) -> str:
    html = re.sub(r"<svg.*?</svg>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def card(view, key: str) -> str:
    match = re.search(rf'data-card="{key}".*?<div class="v">(.*?)</div>', view.cards.value, re.S)
    assert match, key
    return match.group(1)


def person_ids_shown(html: str) -> list[str]:
    """Person-level ids appearing as a whole table cell or word."""
    plain = text(html)
    return [i for i in PERSON_LEVEL_IDS if re.search(rf"(?<![\w-]){i}(?![\w-])", plain)]


# --------------------------------------------------------------------------- pairings


def test_coverage_counts_children_with_a_pairing_running_on_the_last_day(records):
    cov = tracking.pairing_coverage(records, YEAR)
    assert cov.loc[C].to_dict() == {
        "registered": 4,
        "paired": 3,
        "unpaired": 1,  # p2: the pairing ended in March
        "coverage": 0.75,
        "paired_in_period": 4,  # p2's pairing ran in 2022 (the metric's definition)
    }
    assert cov.loc[T, ["registered", "paired", "unpaired"]].tolist() == [3, 2, 1]
    assert cov.loc[S, ["registered", "paired", "unpaired"]].tolist() == [1, 1, 0]
    assert cov.at[V2, "registered"] == 0 and math.isnan(cov.at[V2, "coverage"])


def test_left_behind_coverage_agrees_with_the_metrics_and_the_gaps(records):
    cov = tracking.pairing_coverage(records, YEAR, "left_behind_child")
    metrics = metrics_by_place(records, YEAR)
    gaps = gaps_by_place(records, YEAR)
    assert (cov["registered"] == metrics["left_behind_children"]).all()
    assert (cov["paired_in_period"] == metrics["left_behind_children_paired"]).all()
    assert (cov["unpaired"] == gaps["unpaired_left_behind"]).all()
    # the villages' own count: only V1 has one, so T and C carry it and S has none
    assert cov.at[C, "population"] == 20 and cov.at[T, "population"] == 20
    assert math.isnan(cov.at[S, "population"])


def test_a_pairing_counts_on_its_last_day_and_not_after(records):
    last_day = Period.of("2022-01-01", "2022-03-31")
    day_after = Period.of("2022-01-01", "2022-04-01")
    assert tracking.pairing_coverage(records, last_day).at[C, "unpaired"] == 0
    assert tracking.pairing_coverage(records, day_after).at[C, "unpaired"] == 1


def test_unpaired_rows_say_when_the_last_pairing_ended(records):
    rows = tracking.unpaired_rows(records, YEAR, C)
    assert rows[["person_id", "place_name", "town_name", "age", "last_org"]].to_dict("records") == [
        {"person_id": "p2", "place_name": "一村", "town_name": "甲镇", "age": 8, "last_org": "协会"}
    ]
    assert rows.at[0, "last_pairing_end"] == D("2022-03-31")
    assert tracking.unpaired_rows(records, YEAR, S).empty
    assert tracking.unpaired_rows(records, YEAR, C, "child_in_difficulty").empty


def test_lapsed_means_more_than_n_days_without_contact(records):
    # r3's last contact was 2022-02-01: 333 days before 2022-12-31
    assert tracking.pairing_figures(records, YEAR, 332).at[C, "lapsed"] == 1
    assert tracking.pairing_figures(records, YEAR, 333).at[C, "lapsed"] == 0
    rows = tracking.lapsed_rows(records, YEAR, C, 90)
    assert rows[["pairing_id", "person_id", "org_name", "days_since_contact"]].to_dict(
        "records"
    ) == [{"pairing_id": "r3", "person_id": "p3", "org_name": "协会", "days_since_contact": 333}]
    assert tracking.lapsed_rows(records, YEAR, T, 90).empty


def test_pairing_figures_agree_with_the_metrics_everywhere(records):
    figures = tracking.pairing_figures(records, YEAR, 90)
    metrics = metrics_by_place(records, YEAR)
    assert (figures["active"] == metrics["pairings_active"]).all()
    assert (figures["lapsed"] == metrics["pairings_lapsed"]).all()
    assert figures.loc[C].tolist() == [
        3,
        1,
        2,
        1,
    ]  # r1, r3, r4 run; r3 lapsed; r3, r4 start; r2 ends


def test_lapse_days_is_a_setting(monkeypatch):
    monkeypatch.delenv("HEHU_LAPSE_DAYS", raising=False)
    assert tracking.lapse_days_setting() == 90
    monkeypatch.setenv("HEHU_LAPSE_DAYS", "60")
    assert tracking.lapse_days_setting() == 60
    monkeypatch.setenv("HEHU_LAPSE_DAYS", "soon")
    assert tracking.lapse_days_setting() == 90


def test_pairings_by_organisation_and_support_type(records):
    got = tracking.pairings_by_org(records, YEAR, C, 90)
    assert got.drop(columns="org_id").to_dict("records") == [
        {"org_name": "协会", "support_type": "companionship", "active": 1, "lapsed": 0,
         "started": 0, "ended": 1},
        {"org_name": "协会", "support_type": "material", "active": 1, "lapsed": 1,
         "started": 1, "ended": 0},
        {"org_name": "县妇联", "support_type": "study", "active": 1, "lapsed": 0,
         "started": 1, "ended": 0},
    ]  # fmt: skip


def test_pairing_starts_and_ends_by_month(records):
    flow = tracking.pairing_flow(records, YEAR, C).set_index("month")
    assert len(flow) == 12
    assert flow.loc["2022-01"].tolist() == [1, 0, 3]  # r3 starts; r1, r2, r3 run
    assert flow.loc["2022-02"].tolist() == [1, 0, 4]  # r4 starts
    assert flow.loc["2022-03"].tolist() == [0, 1, 4]  # r2 ends on the 31st, so still runs then
    assert flow.loc["2022-04"].tolist() == [0, 0, 3]
    assert flow["started"].sum() == 2 and flow["ended"].sum() == 1


# --------------------------------------------------------------------------- courses


def test_course_figures_count_sessions_on_the_window_edges(records):
    figures = tracking.course_figures(records, YEAR)
    # k1 on 2022-01-01 and k2 on 2022-12-31 are in; k3 on 2021-12-31 is not
    assert figures.loc[C, ["sessions", "attendance", "girls"]].tolist() == [2, 80, 35]
    assert figures.at[C, "girls_share"] == 35 / 80
    metrics = metrics_by_place(records, YEAR)
    assert (figures["sessions"] == metrics["course_sessions"]).all()
    assert (figures["attendance"] == metrics["course_attendance"]).all()


def test_reach_per_thousand_needs_a_denominator(records):
    figures = tracking.course_figures(records, YEAR)
    assert figures.at[V1, "reach_per_1000"] == 500.0  # 50 attendances, 100 children
    # the county counts only attendance where children are known: K's 30 do not count
    assert figures.at[C, "reach_per_1000"] == 500.0
    assert figures.at[V2, "children"] == 0 and math.isnan(figures.at[V2, "reach_per_1000"])
    assert math.isnan(figures.at[V3, "reach_per_1000"]) and math.isnan(figures.at[K, "children"])
    in_2021 = tracking.course_figures(records, Period.year(2021))
    # V2 held a course but has no children registered: no reach rather than an infinite one
    assert in_2021.at[V2, "sessions"] == 1 and math.isnan(in_2021.at[V2, "reach_per_1000"])


def test_courses_of_one_organisation(records):
    assert tracking.course_figures(records, YEAR, "fed").at[C, "sessions"] == 2
    assert tracking.course_figures(records, YEAR, "assoc").at[C, "sessions"] == 0


def test_targets_are_data_with_their_source(small_store):
    small_store.write(
        {
            "target": [
                {"metric": "course_sessions", "place_code": C, "year": 2022, "value": 3,
                 "source": "县妇联 2022 年工作要点"},
                {"metric": "course_sessions", "place_code": C, "year": 2021, "value": 1,
                 "source": "县妇联 2021 年工作要点"},
            ]
        }
    )  # fmt: skip
    records = load_records(small_store)
    one_year = tracking.period_targets(records, "course_sessions", YEAR)
    assert one_year.loc[C].tolist() == [3, "县妇联 2022 年工作要点"]
    two_years = tracking.period_targets(
        records, "course_sessions", Period.of("2021-01-01", "2022-12-31")
    )
    assert two_years.loc[C].tolist() == [4, "县妇联 2021 年工作要点；县妇联 2022 年工作要点"]
    # a period that is not whole years has no target, nor does a year without one
    assert tracking.period_targets(
        records, "course_sessions", Period.of("2022-01-01", "2022-11-10")
    ).empty
    assert tracking.period_targets(records, "course_sessions", Period.year(2020)).empty
    figures = tracking.course_figures(records, YEAR)
    assert figures.at[C, "target_sessions"] == 3 and math.isnan(figures.at[T, "target_sessions"])


def test_courses_by_month(records):
    months = tracking.courses_by_month(records, YEAR, C).set_index("month")
    assert len(months) == 12
    assert months.loc["2022-01", ["sessions", "attendance", "girls"]].tolist() == [1, 50, 25]
    assert months.loc["2022-12", ["sessions", "attendance", "girls"]].tolist() == [1, 30, 10]
    assert months.loc["2022-06", "sessions"] == 0 and math.isnan(
        months.loc["2022-06", "girls_share"]
    )
    assert months.loc["2022-12", "cumulative_sessions"] == 2


def test_courses_by_organisation(records):
    got = tracking.courses_by_org(records, ALL, C)
    assert got[["org_name", "sessions", "attendance", "girls"]].to_dict("records") == [
        {"org_name": "县妇联", "sessions": 3, "attendance": 120, "girls": 55}
    ]


def test_key_villages_with_no_course(records):
    missed = tracking.key_villages_without_course(records, YEAR, C)
    assert missed[["code", "name", "town_name"]].to_dict("records") == [
        {"code": V2, "name": "二村", "town_name": "甲镇"}
    ]
    assert missed.at[0, "last_course"] == D("2021-12-31")  # the day before the window
    in_2021 = tracking.key_villages_without_course(records, Period.year(2021), C)
    assert list(in_2021["code"]) == [V1]
    assert pd.isna(in_2021.at[0, "last_course"])  # V1's course came after 2021
    assert tracking.key_villages_without_course(records, YEAR, S).empty
    # the same count as the gaps the overview and briefing show
    assert len(missed) == gaps_by_place(records, YEAR).at[C, "no_course"]


# --------------------------------------------------------------------------- visits


def test_must_visit_coverage_agrees_with_the_metrics(records):
    figures = tracking.must_visit_figures(records, YEAR)
    metrics = metrics_by_place(records, YEAR)
    assert figures.loc[C, ["households", "visited", "not_visited"]].tolist() == [4, 1, 3]
    assert (figures["households"] == metrics["households_must_visit"]).all()
    pd.testing.assert_series_equal(
        figures["coverage"], metrics["must_visit_coverage"], check_names=False
    )


def test_visits_on_the_window_edges(records):
    # v1 on 2022-01-01 is the first day of 2022; v3 on 2023-01-01 is the day after it
    assert (
        tracking.must_visit_figures(records, Period.of("2022-01-01", "2022-01-01")).at[C, "visited"]
        == 1
    )
    assert (
        tracking.must_visit_figures(records, Period.of("2022-01-02", "2022-05-31")).at[C, "visited"]
        == 0
    )
    assert (
        tracking.must_visit_figures(records, Period.of("2023-01-01", "2023-01-01")).at[S, "visited"]
        == 1
    )
    assert tracking.must_visit_figures(records, YEAR).at[S, "visited"] == 0


def test_the_six_must_visit_groups(records):
    got = tracking.must_visit_by_group(records, YEAR, C).set_index("group")
    assert got[["households", "visited", "not_visited"]].to_dict("index") == {
        "grievance": {"households": 1, "visited": 0, "not_visited": 1},  # h4
        "difficult_family": {"households": 1, "visited": 0, "not_visited": 1},  # h2
        "left_behind": {"households": 2, "visited": 1, "not_visited": 1},  # h1, h5
        "family_dispute": {"households": 0, "visited": 0, "not_visited": 0},
        "violence": {"households": 1, "visited": 0, "not_visited": 1},  # h2 again
        "entrepreneur": {"households": 0, "visited": 0, "not_visited": 0},
    }
    one = tracking.must_visit_figures(records, YEAR, "left_behind")
    assert one.loc[C, ["households", "visited"]].tolist() == [2, 1]
    rows = tracking.must_visit_rows(records, YEAR, C, "violence")
    assert rows[["household_id", "groups", "visited"]].to_dict("records") == [
        {"household_id": "h2", "groups": "difficult_family;violence", "visited": False}
    ]


def test_follow_ups_done_and_overdue_are_the_maps_gap(records):
    rows = tracking.follow_up_rows(records, YEAR).set_index("record_id")
    assert rows["status"].to_dict() == {"v1": "done", "s1": "overdue", "v4": "overdue"}
    assert rows.at["v1", "followed_on"] == D("2022-06-01")
    assert rows.at["s1", "days_overdue"] == 260 and rows.at["v4", "days_overdue"] == 213
    figures = tracking.follow_up_figures(records, YEAR)
    assert figures.loc[C].tolist() == [2, 0, 2] and figures.loc[V2].tolist() == [1, 0, 1]
    # The map's gap counts the screening's overdue follow-up (s1) as this page does.
    assert gaps_by_place(records, YEAR).at[C, "overdue_follow_ups"] == 2


def test_follow_ups_due_within_seven_days(records):
    def status(end):
        rows = tracking.follow_up_rows(records, Period.of("2022-01-01", end))
        return rows.set_index("record_id")["status"].to_dict()

    # s1 (screened 2022-04-01) is due 2022-04-15; v1's follow-up was due 2022-03-01
    assert status("2022-04-07") == {"v1": "overdue", "s1": "later"}  # due in 8 days
    assert status("2022-04-08") == {"v1": "overdue", "s1": "due_soon"}  # due in exactly 7
    assert status("2022-04-15") == {"v1": "overdue", "s1": "due_soon"}  # due today: not overdue
    assert status("2022-04-16") == {"v1": "overdue", "s1": "overdue"}
    figures = tracking.follow_up_figures(records, Period.of("2022-01-01", "2022-04-08"))
    assert figures.loc[V1].tolist() == [2, 1, 1]


def test_high_risk_households_without_follow_up(records):
    figures = tracking.screening_figures(records, YEAR)
    metrics = metrics_by_place(records, YEAR)
    assert figures.loc[C].tolist() == [2, 1, 1]
    assert (figures["screened"] == metrics["households_screened"]).all()
    assert (figures["high_risk_unfollowed"] == metrics["high_risk_without_follow_up"]).all()
    rows = tracking.high_risk_rows(records, YEAR, C)
    assert rows[["screening_id", "household_id", "days_since"]].to_dict("records") == [
        {"screening_id": "s1", "household_id": "h2", "days_since": 274}
    ]
    # s2 (2021-12-01, h1) had no visit by the end of 2021; v1 on 2022-01-01 followed it up
    in_2021 = tracking.high_risk_rows(records, Period.year(2021), C)
    assert in_2021[["screening_id", "days_since"]].to_dict("records") == [
        {"screening_id": "s2", "days_since": 30}
    ]
    assert list(tracking.high_risk_rows(records, ALL, C)["screening_id"]) == ["s1"]


# --------------------------------------------------------------------------- cases


def test_case_figures_agree_with_the_metrics(records):
    figures = tracking.case_figures(records, YEAR)
    metrics = metrics_by_place(records, YEAR)
    assert figures.loc[C, ["received", "resolved", "open", "over_90_days"]].tolist() == [2, 1, 1, 0]
    assert (figures["received"] == metrics["cases_received"]).all()
    assert (figures["resolved"] == metrics["cases_resolved"]).all()
    in_2021 = tracking.case_figures(records, Period.year(2021))
    assert in_2021.loc[C, ["received", "resolved", "open"]].tolist() == [1, 1, 0]
    assert tracking.case_figures(records, YEAR, "property").at[C, "received"] == 0


def test_cases_by_category_status_and_station(records):
    table = tracking.cases_by_category_status(records, YEAR, C).set_index("category")
    assert table.to_dict("index") == {
        "family_dispute": {"open": 0, "resolved": 1, "referred": 0, "total": 1},
        "domestic_violence": {"open": 1, "resolved": 0, "referred": 0, "total": 1},
    }
    stations = tracking.cases_by_station(records, YEAR, C)
    assert stations["org_id"].notna().all()  # the row's station, as the disclosure knows it
    assert stations.drop(columns="org_id").fillna(-1).to_dict("records") == [
        {"station": "甲镇维权站", "received": 1, "resolved": 1, "referred": 0, "open": 0,
         "median_days": 19.0},
        {"station": "调解室", "received": 1, "resolved": 0, "referred": 0, "open": 1,
         "median_days": -1},
    ]  # fmt: skip


def test_time_to_resolution(records):
    got = tracking.resolution_times(records, ALL, C).set_index("category")
    assert got.loc["family_dispute"].tolist() == [1, 19.0, 19.0, 19.0]  # 2022-02-01 → 02-20
    assert got.loc["property"].tolist() == [1, 8.0, 8.0, 8.0]  # referred 2021-05-01 → 05-09


def test_open_cases_by_age(records):
    def bands(end):
        got = tracking.open_cases_by_age(records, Period.of("2022-01-01", end), C)
        return got["cases"].tolist()

    assert bands("2022-12-31") == [0, 1, 0]  # c2 received 2022-11-01: 60 days
    assert bands("2022-11-30") == [1, 0, 0]  # 29 days
    assert bands("2022-10-31") == [0, 0, 0]  # not received yet
    assert bands("2023-02-01") == [0, 0, 1]  # 92 days


# --------------------------------------------------------------------------- legal campaigns


def test_campaign_events_per_year_and_place(records):
    figures = tracking.campaign_figures(records, ALL, 2022)
    assert figures.loc[C].to_dict() == {
        "womens_rights_week": 1,  # held at the town itself
        "family_day": 0,
        "anti_drug_day": 0,
        "shouhu_huakai": 1,  # in V1
        "other": 0,
    }
    assert tracking.campaign_figures(records, ALL, 2021).at[S, "shouhu_huakai"] == 1
    assert tracking.event_years(records, YEAR) == [2022]
    assert tracking.event_years(records, ALL) == [2022, 2021]


def test_towns_that_held_nothing_agree_with_the_briefing(records):
    without = tracking.places_without_campaign(records, YEAR, C, 2022)
    assert without == {
        "womens_rights_week": ["乙街道"],
        "family_day": ["乙街道", "甲镇"],
        "anti_drug_day": ["乙街道", "甲镇"],
        "shouhu_huakai": ["乙街道"],
    }
    briefing = build_briefing(records, C, YEAR)
    for campaign, names in briefing.towns_without_campaign_event.items():
        assert sorted(names) == sorted(without[campaign])
    # a village has no places under it: it answers for itself
    assert tracking.places_without_campaign(records, YEAR, V1, 2022)["shouhu_huakai"] == []


def test_events_by_campaign_and_year(records):
    got = tracking.events_by_campaign_year(records, ALL, C)
    assert got.to_dict("records") == [
        {"year": 2022, "campaign": "womens_rights_week", "events": 1, "audience": 200},
        {"year": 2022, "campaign": "shouhu_huakai", "events": 1, "audience": 40},
        {"year": 2021, "campaign": "shouhu_huakai", "events": 1, "audience": 0},  # not recorded
    ]


# --------------------------------------------------------------------------- the roll-up


def test_breakdown_rows_add_up_to_the_total_with_an_own_row(records):
    rows = tracking.breakdown(records, T, tracking.campaign_figures(records, YEAR, 2022))
    assert list(rows.index) == [V1, V2, V3, f"{T}#own", T]
    assert rows.at[f"{T}#own", "womens_rights_week"] == 1  # e1 was held at the town itself
    body = rows[~rows["is_total"]]
    assert (
        body[list(tracking.NAMED_CAMPAIGNS)].sum() == rows.loc[T, list(tracking.NAMED_CAMPAIGNS)]
    ).all()
    # no own row where nothing sits at the place itself
    assert list(tracking.breakdown(records, C, tracking.course_figures(records, YEAR)).index) == [
        S,
        T,
        C,
    ]


@pytest.mark.parametrize(
    "figures",
    [
        lambda r: tracking.pairing_coverage(r, YEAR)[["registered", "paired", "unpaired"]],
        lambda r: tracking.pairing_figures(r, YEAR, 90),
        lambda r: tracking.course_figures(r, YEAR)[["sessions", "attendance", "girls"]],
        lambda r: tracking.must_visit_figures(r, YEAR)[["households", "visited"]],
        lambda r: tracking.follow_up_figures(r, YEAR),
        lambda r: tracking.screening_figures(r, YEAR),
        lambda r: tracking.case_figures(r, ALL)[["received", "resolved", "open"]],
        lambda r: tracking.campaign_figures(r, ALL, 2022),
    ],
    ids=[
        "coverage",
        "pairings",
        "courses",
        "must-visit",
        "follow-ups",
        "screening",
        "cases",
        "events",
    ],
)
def test_every_figure_rolls_up_the_hierarchy(records, figures):
    frame = figures(records)
    for parent in (C, T, S):
        rows = tracking.breakdown(records, parent, frame)
        assert (
            rows[~rows["is_total"]][frame.columns].sum() == rows.loc[parent, frame.columns]
        ).all()


# --------------------------------------------------------------------------- small cells


def test_a_table_of_its_own_is_protected_across_the_periods_a_deputy_can_choose():
    columns = [Column("org", "org"), Column("n", "n", "count")]
    this_year = pd.DataFrame({"org": ["a", "b", "c", "合计"], "n": [6, 9, 20, 35]})
    last_year = pd.DataFrame({"org": ["a", "b", "c", "合计"], "n": [3, 9, 20, 32]})
    shown = shown_values(
        this_year,
        columns,
        "deputy",
        periods={"2022": this_year, "2021": last_year},
        showing="2022",
        row_key=("org",),
        total_row=3,
    )
    # a is small in 2021 only; shown in 2022, 6 - 3 = ... cannot come from anything shown
    # there: a is hidden in both years (a stock by default) with a complement beside it
    assert shown["n"].tolist() == ["*", "*", 20, 35]


def test_shown_values_for_a_deputy_and_for_staff():
    frame = pd.DataFrame({"n": [2, 9, 11], "rate": [0.5, 0.9, 0.8]}, index=["x", "y", "total"])
    columns = [Column("n", "n", "count"), Column("rate", "rate", "rate")]
    deputy = shown_values(frame, columns, "deputy", total_row="total", derived={"rate": ("n",)})
    assert deputy["n"].tolist() == ["<5", "*", 11]
    assert deputy["rate"].tolist() == ["*", "*", 0.8]
    assert shown_values(frame, columns, "staff", total_row="total")["n"].tolist() == [2, 9, 11]


# --------------------------------------------------------------------------- export


def test_xlsx_export_escapes_formulas_and_keeps_numbers():
    frame = pd.DataFrame({"名称": ["=1+1", "-2", "@x", "+3", "正常"], "数": [1, 2, 3, 4, 5]})
    book = openpyxl.load_workbook(io.BytesIO(frame_to_xlsx_bytes(frame, note="来源：测试")))
    sheet = book.active
    assert sheet["A1"].value == "来源：测试"
    cells = [sheet.cell(row=r, column=1) for r in range(4, 9)]
    assert [c.value for c in cells][:4] == ["=1+1", "-2", "@x", "+3"]
    assert all(c.data_type == "s" for c in cells)  # text, never a formula
    assert all(c.quotePrefix for c in cells[:4])
    assert [sheet.cell(row=r, column=2).value for r in range(4, 9)] == [1, 2, 3, 4, 5]


def test_export_button_offers_the_shown_table_and_is_audited(small_url, small_store, monkeypatch):
    monkeypatch.setenv("HEHU_ROLE", "deputy")
    page = build_pairings_page(small_url, {"period": "2022"})
    table = page.view.coverage_table
    table.export_button.click()
    link = table.download.value
    assert 'download="结对覆盖_' in link
    payload = re.search(r"base64,([A-Za-z0-9+/=]+)", link).group(1)
    sheet = openpyxl.load_workbook(io.BytesIO(base64.b64decode(payload))).active
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert rows[0][:4] == ("地点", "登记人数", "正在结对帮扶人数", "未结对人数")
    assert rows[-1][0] == "示例县合计"
    assert "<5" in rows[-1]  # what a deputy sees is what a deputy exports
    with small_store.engine.connect() as conn:
        logged = conn.execute(sa.select(audit_log).where(audit_log.c.action == "export")).all()
    assert len(logged) == 1 and logged[0].actor == "deputy" and "结对覆盖" in logged[0].what


def test_frame_table_sorts_and_keeps_the_total_last():
    raw = pd.DataFrame(
        {"name": ["b", "a", "all"], "n": [5, 9, 14], "is_total": [False, False, True]}
    )
    table = FrameTable(
        "t", [Column("name", "名称"), Column("n", "数", "count")], "zh", export_name="t"
    )
    table.show(raw, raw.astype(object))
    assert list(table.ordered()["name"]) == ["b", "a", "all"]
    table.sort_by.value = "n"
    table.descending.value = True
    assert list(table.ordered()["name"]) == ["a", "b", "all"]
    assert table.table.value.index(">a<") < table.table.value.index(">b<")
    assert list(table.export_frame()["名称"]) == ["a", "b", "all"]


# --------------------------------------------------------------------------- pages driven in Python


@pytest.mark.parametrize("name", PAGES)
def test_pages_build_with_state_and_view(name, small_url, monkeypatch):
    monkeypatch.setenv("HEHU_ROLE", "staff")
    page = PAGES[name](small_url, {"period": "2022"})
    assert page.state.place == C and page.state.period_key == "2022"
    assert page.view.problem.value == ""
    html = html_of(page)
    assert "hehu-chart" in html and "<svg" in html
    assert "示例县" in html


def test_pairings_page_follows_its_filters(small_url, monkeypatch):
    monkeypatch.setenv("HEHU_ROLE", "staff")
    page = build_pairings_page(small_url, {"period": "2022"})
    state, view = page.state, page.view
    assert [card(view, k) for k in ("registered", "paired", "unpaired", "lapsed")] == [
        "4",
        "3",
        "1",
        "1",
    ]
    state.category = "child_in_difficulty"
    assert [card(view, k) for k in ("registered", "paired", "unpaired")] == ["1", "1", "0"]
    state.category = ""
    view.lapse_picker.value = 400  # the widget drives the state
    assert state.lapse_days == 400 and card(view, "lapsed") == "0"
    state.place = S
    assert card(view, "registered") == "1" and "丙社区" in view.coverage_table.table.value
    view.filters.period_picker.value = "2021"
    assert card(view, "registered") == "1" and card(view, "active") == "0"  # r3 starts in 2022
    assert "p3" in view.unpaired_table.table.value


def test_courses_page_follows_its_filters(small_url, monkeypatch):
    monkeypatch.setenv("HEHU_ROLE", "staff")
    page = build_courses_page(small_url, {"period": "2022"})
    view = page.view
    assert card(view, "sessions") == "2" and card(view, "no_course") == "1 / 2"
    assert "二村" in view.no_course_table.table.value
    assert "hehu-no-course" in view.no_course_map.value  # the map layer marks the same village
    assert "srcdoc" in view.no_course_map.value and "https://" not in text(view.no_course_map.value)
    view.filters.category_picker.value = "fed"
    assert card(view, "sessions") == "2"
    page.state.period_key = "2021"
    assert card(view, "sessions") == "1" and "一村" in view.no_course_table.table.value
    page.state.place = S
    assert card(view, "no_course") == "0 / 0"


def test_visits_page_follows_its_filters(small_url, monkeypatch):
    monkeypatch.setenv("HEHU_ROLE", "staff")
    page = build_visits_page(small_url, {"period": "2022"})
    view = page.view
    assert [card(view, k) for k in ("households", "visited", "coverage", "overdue")] == [
        "4", "1", "25%", "2"
    ]  # fmt: skip
    assert [card(view, "high_risk_unfollowed")] == ["1"]
    page.state.category = "violence"
    assert [card(view, k) for k in ("households", "visited")] == ["1", "0"]
    assert "h2" in view.household_table.table.value
    page.state.category = ""
    page.state.place = S
    assert card(view, "households") == "1" and card(view, "overdue") == "0"


def test_cases_page_follows_its_filters(small_url, monkeypatch):
    monkeypatch.setenv("HEHU_ROLE", "staff")
    page = build_cases_page(small_url, {"period": "2022"})
    view = page.view
    assert [card(view, k) for k in ("received", "resolved", "resolution_rate", "open")] == [
        "2", "1", "50%", "1"
    ]  # fmt: skip
    assert "c1" in view.case_table.table.value
    held_nothing = text(html_of(view.events_box))
    assert "5·15 国际家庭日：乙街道、甲镇" in held_nothing
    events, measures = view.events_box.children, view.measure_cards.value
    page.state.category = "family_dispute"
    assert card(view, "received") == "1" and "c2" not in view.case_table.table.value
    # legal events and measures ignore the category: not drawn again for it
    assert view.events_box.children is events and view.measure_cards.value == measures
    page.state.period_key = "all"
    assert "2021" in text(html_of(view.events_box)) and view.events_box.children is not events


def test_query_parameters_set_the_filters_and_a_bad_place_is_a_message(small_url, monkeypatch):
    monkeypatch.setenv("HEHU_ROLE", "staff")
    page = build_visits_page(small_url, {"place": T, "period": "2022", "category": "violence"})
    assert (page.state.place, page.state.category) == (T, "violence")
    page = build_visits_page(small_url, {"place": "999999999999", "period": "nonsense"})
    assert "999999999999" in text(html_of(page)) and page.state.place == C
    assert page.state.period_key != "nonsense"


def test_pages_in_english(small_url, monkeypatch):
    monkeypatch.setenv("HEHU_ROLE", "staff")
    page = build_courses_page(small_url, {"lang": "en", "period": "2022"})
    html = text(html_of(page))
    assert "Girls' protection courses" in html and "key villages with no course" in html


@pytest.mark.parametrize("name", PAGES)
def test_deputies_see_no_person_rows_and_no_small_counts(name, small_url, monkeypatch):
    monkeypatch.setenv("HEHU_ROLE", "deputy")
    page = PAGES[name](small_url, {"period": "2022"})
    for period in ("2022", "2021", "all"):
        page.state.period_key = period
        html = html_of(page)
        assert person_ids_shown(html) == [], period
    page.state.period_key = "2022"
    html = html_of(page)
    assert "<5" in html or "&lt;5" in html
    # every count of people in a card is hidden (all are 1 to 4 in this small county); the
    # courses page counts sessions and attendances (人次), which are not people
    if name != "courses":
        for value in re.findall(r'<div class="v">(.*?)</div>', page.view.cards.value):
            assert not re.fullmatch(r"[1-4]", value), value


def test_deputy_cards_and_tables_agree(small_url, monkeypatch):
    monkeypatch.setenv("HEHU_ROLE", "deputy")
    view = build_pairings_page(small_url, {"period": "2022"}).view
    assert [card(view, k) for k in ("registered", "paired", "unpaired", "coverage")] == [
        "&lt;5", "&lt;5", "&lt;5", "*"
    ]  # fmt: skip
    assert view.unpaired_table not in view.children and view.lapsed_table not in view.children
    # columns that nearly repeat a hidden one are left out for deputies
    assert "月末在帮" not in html_of(view) and 'data-card="active"' not in view.cards.value


def test_staff_see_pseudonymous_rows(small_url, monkeypatch):
    monkeypatch.setenv("HEHU_ROLE", "staff")
    html = html_of(build_pairings_page(small_url, {"period": "2022"}))
    assert {"p2", "r3"} <= set(person_ids_shown(html))


def test_demo_pages_match_the_source_figures(demo_url, monkeypatch):
    monkeypatch.setenv("HEHU_ROLE", "deputy")
    view = build_courses_page(demo_url, {"period": "2022"}).view
    assert card(view, "sessions") == "200" and card(view, "attendance") == "18,000"
    assert "示例目标" in view.cards.value  # the target's source travels with it
    view = build_cases_page(demo_url, {"period": "2021-01-01:2022-11-10"}).view
    assert card(view, "received") == "90" and card(view, "resolution_rate") == "100%"


# --------------------------------------------------------------------------- charts


def test_charts_render_chinese_with_no_missing_glyphs(caplog):
    if charts.cjk_font_name() is None:
        missing("no CJK font for matplotlib (apt-get install fonts-wqy-microhei or fonts-noto-cjk)")
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING):
        warnings.simplefilter("always")
        html = charts.bar_chart(
            ["涟城镇", "高沟镇", "5·15 国际家庭日"],
            [
                charts.Series(
                    "已结对", [3, 10, 0], texts=["<5", "10", "0"], hidden=[True, False, False]
                )
            ],
            title="结对覆盖 · 涟水县",
            key="t",
            target=8,
            target_label="目标 8",
        )
        html += charts.heat_table(
            ["甲镇"], ["三八维权周", "守护花开"], [[0, 2]], title="普法", key="h"
        )
        html += charts.line_chart(
            ["2022-01", "2022-02"], [charts.Series("累计场次", [1, 2])], title="累计", key="l"
        )
        html += charts.column_chart(
            ["2022-01"], [charts.Series("场次", [1])], title="场次", key="c"
        )
    problems = [str(x.message) for x in caught] + [r.getMessage() for r in caplog.records]
    assert not [p for p in problems if "missing from" in p or "findfont" in p], problems
    assert html.count("<svg") == 4 and "<script" not in html
    assert not re.findall(r"https?://(?!www\.w3\.org/)", html)  # only XML namespaces


def test_a_hidden_bar_is_drawn_up_to_the_threshold_only_when_small():
    """A "<5" is below 5: its bar goes up to it. A "*" may be any count (高沟镇's 140 must-visit
    households): drawn at 5 on an axis of 0 to 5 it read as few, so it has no length."""
    drawn = charts._drawn([7.0, 0.0, 0.0], [False, True, True], ["7", "<5", "*"])
    assert drawn == [7.0, charts.HIDDEN_HEIGHT, 0.0]
    assert charts._drawn([0.0], [True], None) == [0.0]  # no mark said: it may be any count


def test_a_chart_is_the_same_for_the_same_data():
    args = (["甲"], [charts.Series("a", [1])])
    assert charts.bar_chart(*args, title="t", key="k") == charts.bar_chart(
        *args, title="t", key="k"
    )
    assert charts.bar_chart([], [], title="t", key="k", empty_text="无").count("<svg") == 1


# --------------------------------------------------------------------------- notebooks


@pytest.mark.notebook
def test_tracking_notebooks_execute(demo_url, monkeypatch):
    from nbclient import NotebookClient

    monkeypatch.setenv("HEHU_DB", demo_url)
    monkeypatch.setenv("HEHU_ROLE", "staff")
    monkeypatch.setenv("QUERY_STRING", "period=2022")
    folder = Path(__file__).resolve().parents[1] / "notebooks"
    for name in PAGES:
        nb = nbformat.read(folder / f"{name}.ipynb", as_version=4)
        NotebookClient(
            nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
        ).execute(env=dict(os.environ))
        outputs = nb.cells[-1].outputs
        assert not [o for o in outputs if o.output_type == "error"], name
        assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
