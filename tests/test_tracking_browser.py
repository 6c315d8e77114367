"""Tracking pages served by Voila on the demo database, driven in Debian's Chromium.

Each page: wait for its figures, change one filter as a user would (the <select> of the filter
bar), and see a headline figure and a chart change. One page is also shot at phone size
(390x844) into tests/artifacts/ to be looked at: Chinese must render and nothing may overflow
sideways.
"""

from __future__ import annotations

import hashlib

import pytest

pytestmark = pytest.mark.browser

GAOGOU = "\u3000高沟镇"  # the place picker indents a township by one ideographic space
LOAD_TIMEOUT = 60_000


@pytest.fixture(scope="module")
def voila_demo(voila_server, demo_url):
    """One Voila serving the notebooks on the demo database, as Federation staff."""
    return voila_server({"HEHU_DB": demo_url, "HEHU_ROLE": "staff"})


def open_page(page, url, name: str, query: str = ""):
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{url}/voila/render/{name}.ipynb{query}")
    try:
        page.locator(".hehu-card").first.wait_for(timeout=LOAD_TIMEOUT)
    except Exception:
        print(url.log_tail())
        raise
    return errors


def select(page, description: str, label: str) -> None:
    """Choose an option of the filter bar's dropdown with this description."""
    dropdown = page.locator(
        ".hehu-controls .widget-dropdown", has=page.locator(f"text={description}")
    )
    dropdown.locator("select").first.select_option(label=label)


def card_text(page, key: str) -> str:
    return page.locator(f'[data-card="{key}"] .v').inner_text()


def chart_html(page, key: str) -> str:
    return page.locator(f'[data-hehu="chart-{key}"]').first.inner_html()


def wait_until_changed(page, selector: str, old: str, prop: str = "innerText") -> None:
    """Wait until an element's text (or HTML) is no longer what it was: widgets update one by one."""
    page.wait_for_function(
        """([selector, old, prop]) => {
            const el = document.querySelector(selector);
            return el && el[prop] !== old;
        }""",
        arg=[selector, old, prop],
        timeout=30_000,
    )


def change_and_check(page, description, label, card_key, chart_key):
    """Change a filter; the headline figure and the chart must both change. Returns the figures."""
    card_selector = f'[data-card="{card_key}"] .v'
    chart_selector = f'[data-hehu="chart-{chart_key}"]'
    before_card, before_chart = card_text(page, card_key), chart_html(page, chart_key)
    select(page, description, label)
    wait_until_changed(page, card_selector, before_card)
    wait_until_changed(page, chart_selector, before_chart, "innerHTML")
    assert card_text(page, card_key) != before_card
    assert (
        hashlib.sha1(chart_html(page, chart_key).encode()).digest()
        != hashlib.sha1(before_chart.encode()).digest()
    )
    return before_card, card_text(page, card_key)


def test_pairings_page_place_filter(voila_demo, page):
    errors = open_page(page, voila_demo, "pairings")
    county, town = change_and_check(page, "地点", GAOGOU, "registered", "coverage")
    assert int(town.replace(",", "")) < int(county.replace(",", ""))
    assert "高沟镇" in page.locator('[data-hehu="scope"]').inner_text()
    assert errors == []


def test_courses_page_organisation_filter(voila_demo, page):
    errors = open_page(page, voila_demo, "courses", "?period=2022")
    assert card_text(page, "sessions") == "200"
    change_and_check(page, "组织", "涟水县妇联", "sessions", "course-months")
    assert page.locator(".hehu-map").count() == 1  # the key-village layer is on the page
    assert errors == []


def test_visits_page_group_filter(voila_demo, page):
    errors = open_page(page, voila_demo, "visits", "?period=2022")
    change_and_check(page, "必访类别", "有暴力问题家庭必访", "households", "visit-places")
    assert errors == []


def test_cases_page_period_filter(voila_demo, page):
    errors = open_page(page, voila_demo, "cases", "?period=2022")
    change_and_check(page, "期间", "2021 年", "received", "case-categories")
    page.locator('[data-hehu="chart-events-2021"]').wait_for(timeout=30_000)  # campaigns follow
    assert errors == []


def test_pairings_page_on_a_phone_as_a_deputy(voila_server, demo_url, browser, artifacts_dir):
    url = voila_server({"HEHU_DB": demo_url, "HEHU_ROLE": "deputy"})
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, locale="zh-CN"
    )
    try:
        page = context.new_page()
        errors = open_page(page, url, "pairings", "?place=320826101000")
        page.locator('[data-hehu="chart-coverage"] svg').wait_for(timeout=LOAD_TIMEOUT)
        page.screenshot(path=artifacts_dir / "tracking_pairings_phone.png")
        # nothing wider than the phone: the page itself never scrolls sideways (wide tables
        # scroll inside their own wrapper)
        widths = page.evaluate(
            """() => [...document.querySelectorAll(
                '.hehu-page, .hehu-cards, .hehu-controls, .hehu-controls > *, figure.hehu-chart'
            )].map(e => e.getBoundingClientRect().right)"""
        )
        assert max(widths) <= 390 + 1, widths
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 390 + 1
        # Voila scrolls an inner container: a whole-page shot needs a viewport as tall as it
        height = page.evaluate("document.querySelector('.hehu-page').scrollHeight")
        page.set_viewport_size({"width": 390, "height": int(height) + 40})
        page.wait_for_timeout(500)
        page.screenshot(path=artifacts_dir / "tracking_pairings_phone_full.png")
        # a deputy sees no pseudonymous rows
        assert page.locator('[data-hehu="table-unpaired"]').count() == 0
        assert errors == []
    finally:
        context.close()
