"""A deputy cannot subtract two periods of their own choosing: a period no page offers shows
none of its counts to aggregate-only roles, wherever it is asked for (a claims file, a pasted
report, `hehu law-check --start --end`, a briefing file). Found by review: before, 高沟镇's cases
for 2021-01-01..2022-11-30 (18) minus 2022-01-01..2022-11-30 (9) gave 2021's, hidden as "*"."""

from __future__ import annotations

import json

import pytest

from hehu.cli.main import main
from hehu.disclosure import MARKERS
from hehu.figures.metrics import Period
from hehu.figures.places import choosable_periods, disclosed_place_figures
from hehu.figures.splits import disclosed_station_cases
from hehu.oversight.claims.check import check_claim, disclosed_result
from hehu.oversight.claims.model import STATUSES, Claim
from hehu.records import vocab

GAOGOU = "320826101000"
PEOPLE = [m for m, entry in vocab.METRICS.items() if entry[2] == "count"]


@pytest.mark.parametrize("role", ["deputy", "presenter"])
def test_every_count_of_a_period_no_page_offers_is_hidden(demo_records, role):
    for key in ("2021-01-01:2022-11-30", "2022-01-01:2022-11-30", "2021-01-01:2022-12-31"):
        assert key not in choosable_periods(demo_records)
        shown = disclosed_place_figures(demo_records, key, role)
        counts = [c for c in shown.columns if c in PEOPLE]
        assert counts and shown.loc[GAOGOU, counts].isin(MARKERS).all()
        assert shown.loc[demo_records.root, counts].isin(MARKERS).all()
        assert disclosed_station_cases(demo_records, key, role).isin(MARKERS).all()


def test_offered_periods_and_staff_are_unchanged(demo_records):
    county = demo_records.root
    assert (
        disclosed_place_figures(demo_records, "2022", "deputy").at[county, "cases_received"] == 46
    )
    exact = disclosed_place_figures(demo_records, "2021-01-01:2022-11-30", "staff")
    assert exact.at[GAOGOU, "cases_received"] == 18


def test_a_claim_over_a_period_no_page_offers_is_withheld_from_a_deputy_saying_why(demo_records):
    claim = Claim(
        row=2,
        document="粘贴的报告段落",
        metric="cases_received",
        place_code=GAOGOU,
        period=Period.of("2021-01-01", "2022-11-30"),
        value=18,
        tolerance=0,
    )
    result = check_claim(demo_records, claim)
    assert (result.computed, result.status) == (18, "matched")  # staff see the check
    shown = disclosed_result(demo_records, result, "deputy")
    # 18 people is no small count: the status says why it is withheld, not "few people"
    assert shown.status == "period_not_offered" and shown.computed in MARKERS
    assert "不向本角色公开" in STATUSES[shown.status][0]


def test_law_check_from_the_command_line_hides_every_count_of_a_chosen_period(demo_url, capsys):
    argv = ["law-check", "--db", demo_url, "--place", GAOGOU, "--role", "deputy", "--json"]
    assert main([*argv, "--start", "2021-01-01", "--end", "2022-11-30"]) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    figures = json.dumps(report, ensure_ascii=False)
    assert '"cases_received": 18' not in figures and '"cases_received": "*"' in figures
