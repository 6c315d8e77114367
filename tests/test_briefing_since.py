"""Since last time (issue 14, item 5): each headline figure of the briefing and the overview
against the previous period of the same length, with its direction, disclosed like every
other figure.

The previous period is defined once (`Period.previous`); the change is worked out from the two
values as shown (`disclosure.shown_change`), so a deputy who subtracts the change from a figure,
or one period's figure from another's, gets nothing a hidden cell holds back.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import lxml.html
import pandas as pd
import pytest
from hehu_fixtures import V1, V2, C, K, S, T, small_records

from hehu.disclosure import DOWN, SAME, UP, Change, shown_change, shown_changes
from hehu.figures import places
from hehu.figures.metrics import Period, load_records
from hehu.oversight import briefing as briefing_module
from hehu.oversight.briefing import build_briefing
from hehu.records.store import open_store
from hehu.render.formatting import format_change
from hehu.render.html import briefing_html
from hehu.render.packs import briefing_pack_html
from hehu.render.word import briefing_docx

D = dt.date
Y2021, Y2022 = Period.year(2021), Period.year(2022)


# --------------------------------------------------------------------------- the previous period


@pytest.mark.parametrize(
    ("start", "end", "previous"),
    [
        # a month: the month before
        ("2022-06-01", "2022-06-30", ("2022-05-01", "2022-05-31")),
        ("2022-01-01", "2022-01-31", ("2021-12-01", "2021-12-31")),
        # a quarter: the quarter before, over a year's end
        ("2023-01-01", "2023-03-31", ("2022-10-01", "2022-12-31")),
        ("2022-07-01", "2022-09-30", ("2022-04-01", "2022-06-30")),
        # a year, 365 or 366 days: the year before
        ("2022-01-01", "2022-12-31", ("2021-01-01", "2021-12-31")),
        ("2025-01-01", "2025-12-31", ("2024-01-01", "2024-12-31")),
        # a leap year's February (29 days) follows January (31); March follows it
        ("2024-02-01", "2024-02-29", ("2024-01-01", "2024-01-31")),
        ("2024-03-01", "2024-03-31", ("2024-02-01", "2024-02-29")),
        ("2023-03-01", "2023-03-31", ("2023-02-01", "2023-02-28")),
        # not whole months: as many days, ending the day before (over the 29th of February)
        ("2024-03-01", "2024-03-10", ("2024-02-20", "2024-02-29")),
        ("2024-03-05", "2024-03-05", ("2024-03-04", "2024-03-04")),
        # the source report's period (2021-01-01 to 2022-11-10, 679 days)
        ("2021-01-01", "2022-11-10", ("2019-02-22", "2020-12-31")),
    ],
)
def test_previous_period_of_the_same_length(start, end, previous):
    before = Period.of(start, end).previous()
    assert before == Period.of(*previous)
    if not start.endswith("-01") or before.start.day != 1:  # days: the same number of them
        assert (before.end - before.start) == (
            Period.of(start, end).end - Period.of(start, end).start
        )


def test_a_year_precedes_the_next_and_open_periods_have_none():
    assert Period.year(2022).previous() == Period.year(2021)
    assert Period.year(2025).previous() == Period.year(2024)  # 366 days before 365
    assert Period().previous() is None  # all time
    assert Period.of("2022-01-01", None).previous() is None  # up to today
    assert Period.of(None, "2022-12-31").previous() is None


# --------------------------------------------------------------------------- the change, as shown


def test_change_of_shown_numbers_is_exact():
    assert shown_change(1, 2) == Change(1, UP)
    assert shown_change(40, 0) == Change(-40, DOWN)
    assert shown_change(3, 3) == Change(0, SAME)
    # rates in percentage points, to one decimal
    assert shown_change(1.0, 0.5, "rate") == Change(-50.0, DOWN)
    assert shown_change(0.5, 2 / 3, "rate") == Change(16.7, UP)
    assert shown_change(0.25, 0.25, "rate") == Change(0.0, SAME)
    # a value missing (a rate of nothing): no change
    assert shown_change(float("nan"), 0.5, "rate") == Change(None, None)
    assert shown_change(None, 3) == Change(None, None)


def test_change_of_a_hidden_value_shows_at_most_what_the_shown_ranges_decide():
    # "<5" is 1 to 4: a shown 12 is above it, a shown 0 below it, whatever it is
    assert shown_change("<5", 12) == Change(None, UP, hidden=True)
    assert shown_change(12, "<5") == Change(None, DOWN, hidden=True)
    assert shown_change(0, "<5") == Change(None, UP, hidden=True)
    assert shown_change("<5", 0) == Change(None, DOWN, hidden=True)
    # where the ranges meet, even the direction would narrow the hidden count
    assert shown_change("<5", "<5") == Change(None, None, hidden=True)
    assert shown_change("*", 12) == Change(None, None, hidden=True)
    assert shown_change(7, "*") == Change(None, None, hidden=True)
    # a complement may be 0 (`every_count_hidden`)
    assert shown_change(0, "*") == Change(None, None, hidden=True)
    assert shown_change("*", "<5") == Change(None, None, hidden=True)
    assert shown_change(0.8, "*", "rate") == Change(None, None, hidden=True)


def test_change_as_text():
    assert format_change(Change(9, UP), "cases_received") == "↑ 9"
    assert format_change(Change(-1200, DOWN), "cases_received", "en") == "↓ 1,200"
    assert format_change(Change(0, SAME), "cases_received") == "持平"
    assert format_change(Change(0, SAME), "cases_received", "en") == "unchanged"
    assert format_change(Change(-50.0, DOWN), "resolution_rate") == "↓ 50 个百分点"
    assert format_change(Change(16.7, UP), "resolution_rate", "en") == "↑ 16.7 pp"
    assert format_change(Change(None, UP, hidden=True), "cases_received") == "↑ *"
    assert format_change(Change(None, None, hidden=True), "cases_received") == "*"
    assert format_change(Change(None, None), "resolution_rate") == "—"


# --------------------------------------------------------------------------- staff: exact values


@pytest.fixture
def small(small_store):
    return load_records(small_store)


def _card(html: str, metric: str):
    return lxml.html.fromstring(html).xpath(f"//div[@data-metric='{metric}']")[0]


def _since_text(html: str, metric: str) -> str:
    lines = _card(html, metric).xpath(".//div[@data-hehu='since']")
    return " ".join(lines[0].text_content().split()) if lines else ""


def test_staff_see_the_exact_change(small):
    b = build_briefing(small, C, Y2022, "staff")
    assert b.since.period == Y2021
    changes, before = b.since.changes, b.since.figures
    # hand-counted from tests/hehu_fixtures.py: 2021 → 2022 for the county
    expected = {
        "cases_received": (1, 2, Change(1, UP)),  # c3 in 2021; c1, c2 in 2022
        "resolution_rate": (1.0, 0.5, Change(-50.0, DOWN)),  # c3 referred; c1 of c1, c2
        "course_attendance": (40, 80, Change(40, UP)),  # k3; k1 + k2
        "left_behind_children": (3, 3, Change(0, SAME)),  # registered: no period
        "pairings_active": (2, 3, Change(1, UP)),  # r1, r2 on 2021-12-31; r1, r3, r4
        "pairings_lapsed": (2, 1, Change(-1, DOWN)),  # r1, r2 no contact by then; r3
        "households_visited": (0, 2, Change(2, UP)),
        "must_visit_coverage": (0.0, 0.25, Change(25.0, UP)),
        "recommendations_open": (0, 2, Change(2, UP)),  # the inspection is of 2022
    }
    for metric, (was, now, change) in expected.items():
        assert (before[metric], b.figures[metric], changes[metric]) == (was, now, change), metric
    zh, en = briefing_html(b, "zh"), briefing_html(b, "en")
    assert _since_text(zh, "cases_received") == "上期 1 · ↑ 1"
    assert _since_text(zh, "resolution_rate") == "上期 100% · ↓ 50 个百分点"
    assert _since_text(zh, "left_behind_children") == "上期 3 · 持平"
    assert _since_text(en, "pairings_lapsed") == "previous 2 · ↓ 1"
    assert _since_text(en, "must_visit_coverage") == "previous 0% · ↑ 25 pp"
    assert "与上期比较：2021-01-01 至 2021-12-31" in zh
    assert "Compared with the previous period: 2021-01-01 to 2021-12-31" in en


def test_all_time_has_no_comparison(small):
    b = build_briefing(small, C, Period(), "staff")
    assert b.since is None
    html = briefing_html(b, "zh")
    assert 'data-hehu="since' not in html


def test_staff_compare_any_period_deputies_only_an_offered_one(small):
    march = Period.of("2022-03-01", "2022-03-31")
    staff = build_briefing(small, C, march, "staff")
    assert staff.since.period == Period.of("2022-02-01", "2022-02-28")
    assert staff.since.changes["cases_received"] == Change(-1, DOWN)  # c1 in February
    deputy = build_briefing(small, C, march, "deputy")
    assert deputy.since.period == staff.since.period and deputy.since.figures is None
    html = briefing_html(deputy, "zh")
    assert 'data-hehu="since"' not in html
    assert "上期（2022-02-01 至 2022-02-28）不是本系统提供的统计期间" in html


def test_word_has_the_previous_value_and_the_change(small):
    import docx

    b = build_briefing(small, C, Y2022, "staff")
    document = docx.Document(io.BytesIO(briefing_docx(b, small, "zh")))
    table = document.tables[0]
    heads = [c.text for c in table.rows[0].cells]
    assert heads[:4] == ["指标", "数值", "上期", "较上期"]
    rows = {r.cells[0].text: [c.text for c in r.cells] for r in table.rows[1:]}
    assert rows["接访维权事项"][1:4] == ["2", "1", "↑ 1"]
    assert rows["化解率"][1:4] == ["50%", "100%", "↓ 50 个百分点"]
    texts = [p.text for p in document.paragraphs]
    assert "与上期比较：2021-01-01 至 2021-12-31" in texts


# --------------------------------------------------------------------------- the attack


def _case(n: int, day: dt.date, place: str, org: str = "st_t") -> dict:
    return {"case_id": f"x{n}", "received_date": day, "org_id": org, "place_code": place,
            "category": "family_dispute", "status": "open", "closed_date": None}  # fmt: skip


@pytest.fixture
def attacked(hehu_db, tmp_path, request):
    """The small county with cases so that the county received 7 in 2020, 3 in 2021 (shown
    "<5") and 12 in 2022 (shown: 2020 is hidden as its partner across the years)."""
    url = (
        request.getfixturevalue("pg_url")
        if hehu_db == "postgresql"
        else f"sqlite:///{tmp_path / 'attacked.sqlite'}"
    )
    store = open_store(url)
    records = small_records()
    days = [D(2021, 3, 1)] * 2 + [D(2022, 3, 1)] * 5 + [D(2020, 4, 1)] * 7
    places_of = [V2] * 2 + [V1] * 5 + [V1] * 7
    extra = [
        _case(n, day, place) for n, (day, place) in enumerate(zip(days, places_of, strict=True))
    ]
    extra += [_case(100 + n, D(2022, 4, 1), K, "studio") for n in range(5)]
    records["case"] = records["case"] + extra
    store.write(records)
    yield load_records(store)
    store.engine.dispose()


NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def _numbers_of_figure(html: str, metric: str) -> list[float]:
    """Every number a deputy reads about a figure in a briefing: its card (the value, last
    period's value, the change) and the sentences that repeat it."""
    card = " ".join(_card(html, metric).text_content().split())
    found = [float(n.replace(",", "")) for n in NUMBER.findall(card)]
    label = _card(html, metric).xpath(".//div[@class='k']")[0].text_content()
    for sentence in re.split(r"[，。]", lxml.html.fromstring(html).text_content()):
        if sentence.strip().startswith(label):
            found += [float(n.replace(",", "")) for n in NUMBER.findall(sentence)]
    return found


def _attack(htmls: list[str], metric: str) -> set[float]:
    """What a deputy with a pencil gets from two briefings: each number about the figure, and
    each number minus or plus another (a figure minus the change, one period minus another)."""
    seen = [n for html in htmls for n in _numbers_of_figure(html, metric)]
    return set(seen) | {a - b for a in seen for b in seen} | {a + b for a in seen for b in seen}


def _deputy_briefings(records) -> list[str]:
    return [
        briefing_html(build_briefing(records, C, period, "deputy"), lang)
        for period in (Y2021, Y2022)
        for lang in ("zh", "en")
    ]


def test_the_attack_county_is_what_the_attack_needs(attacked):
    staff = build_briefing(attacked, C, Y2022, "staff")
    assert (staff.since.figures["cases_received"], staff.figures["cases_received"]) == (3, 12)
    deputy = build_briefing(attacked, C, Y2022, "deputy")
    assert (deputy.since.figures["cases_received"], deputy.figures["cases_received"]) == ("<5", 12)
    # the direction is what the shown values decide (12 is above any "<5"), the number withheld
    assert deputy.since.changes["cases_received"] == Change(None, UP, hidden=True)
    assert _since_text(briefing_html(deputy, "zh"), "cases_received") == "上期 <5 · ↑ *"
    # 2021 against 2020: both hidden, and no direction
    before = build_briefing(attacked, C, Y2021, "deputy")
    assert (before.since.figures["cases_received"], before.figures["cases_received"]) == ("*", "<5")
    assert _since_text(briefing_html(before, "zh"), "cases_received") == "上期 * · *"


def test_a_deputy_cannot_recover_the_hidden_count_from_two_periods(attacked):
    hidden = 3  # the county's cases of 2021, "<5" to deputies
    got = _attack(_deputy_briefings(attacked), "cases_received")
    assert 12 in got  # the attack reads the figures: 2022's is shown
    assert hidden not in got
    # no change of any headline figure shows a number where either value is hidden
    for html in _deputy_briefings(attacked):
        for card in lxml.html.fromstring(html).xpath("//div[@data-metric]"):
            line = card.xpath(".//div[@data-hehu='since']")
            if not line:
                continue
            value = card.xpath(".//div[@class='v']")[0].text_content()
            text = line[0].text_content()
            previous = re.split(r" · ", text)[0]
            if any(mark in s for s in (value, previous) for mark in ("<5", "*")):
                change = text.split(" · ", 1)[1]
                assert not NUMBER.search(change), (card.get("data-metric"), text)


def test_the_attack_finds_the_count_when_the_change_is_not_suppressed(attacked, monkeypatch):
    """The same attack on a briefing whose change is worked out from the exact values (the
    suppression removed) finds the hidden count: 12 − 9 = 3. So the test above would fail."""
    real = places.since_last_time

    def unsuppressed(records, code, period, role, current, figures):
        since = real(records, code, period, role, current, figures)
        if since is None or since.figures is None:
            return since
        exact = {
            "previous": places.place_figures(records, since.period).loc[code],
            "current": places.place_figures(records, period).loc[code],
        }
        kinds = {f: places.figure_kind(f) for f in figures}
        changes = shown_changes(exact["previous"], exact["current"], kinds)
        return places.SinceLastTime(since.period, since.figures, changes)

    monkeypatch.setattr(briefing_module, "since_last_time", unsuppressed)
    assert 3 in _attack(_deputy_briefings(attacked), "cases_received")


def test_packs_carry_the_comparison_as_presenters_see_it(attacked):
    pack = briefing_pack_html(attacked, [C], Y2022, "zh")  # always made as for a presenter
    assert _since_text(pack, "cases_received") == "上期 <5 · ↑ *"
    assert "↑ 9" not in pack


# --------------------------------------------------------------------------- the overview


def test_overview_headline_against_the_previous_period(attacked):
    from conftest import html_of

    from widgets.kit.county_map import OverviewState
    from widgets.pages.overview import OverviewView

    for role, since in (("staff", "上期 3 · ↑ 9"), ("deputy", "上期 <5 · ↑ *")):
        state = OverviewState(attacked, "zh", role=role, area=C)
        state.metric = "cases_received"
        state.period_key = "2022"
        html = html_of(OverviewView(state))
        card = lxml.html.fromstring(html).xpath("//div[@data-hehu='county-value']")[0]
        line = card.xpath(".//div[@data-hehu='since']")[0].text_content()
        assert line == since, role
        assert "与上期比较：2021-01-01 至 2021-12-31" in html
        gaps = lxml.html.fromstring(html).xpath("//div[@data-card='no_course']")[0]
        # key villages with no course: V1 and V2 had none in 2021 but V2's k3; 2022 V2 only
        assert gaps.xpath(".//div[@data-hehu='since']")
    state = OverviewState(attacked, "en", role="deputy", area=C)
    state.metric = "cases_received"
    state.period_key = "all"
    html = html_of(OverviewView(state))
    assert 'data-hehu="since' not in html


def test_overview_and_briefing_compare_alike(attacked):
    from widgets.kit.county_map import OverviewState

    state = OverviewState(attacked, "zh", role="deputy", area=C)
    state.metric = "cases_received"
    state.period_key = "2022"
    b = build_briefing(attacked, C, Y2022, "deputy")
    assert state.since().period == b.since.period
    assert state.since().changes["cases_received"] == b.since.changes["cases_received"]
    assert state.since().figures["cases_received"] == b.since.figures["cases_received"]


def test_previous_values_are_those_the_period_shows(attacked):
    """The previous period's figures on the 2022 briefing are the 2021 briefing's, cell for
    cell: the comparison shows nothing the period picker does not."""
    for place in (C, T, S, V1, V2, K):
        now = build_briefing(attacked, place, Y2022, "deputy")
        then = build_briefing(attacked, place, Y2021, "deputy")
        for metric in now.since.changes:
            assert _same(now.since.figures[metric], then.figures[metric]), (place, metric)


def _same(a, b) -> bool:
    return (pd.isna(a) and pd.isna(b)) if not isinstance(a, str) and pd.isna(a) else a == b
