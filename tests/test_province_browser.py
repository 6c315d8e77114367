"""A province's overview in Chromium: one marker per city, down to a county through the popups."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_pages_browser import LOAD_TIMEOUT, PHONE, assert_no_sideways_scroll, page_errors
from test_province import A1, A1T, A, P, province_records

from hehu.records.store import open_store

pytestmark = pytest.mark.browser
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def province_site(voila_server, tmp_path_factory):
    """Voila serving the overview on the hand-made province of test_province (SQLite)."""
    folder = tmp_path_factory.mktemp("province-pages")
    shutil.copy(REPO / "notebooks" / "overview.ipynb", folder / "overview.ipynb")
    url = f"sqlite:///{folder / 'province.sqlite'}"
    store = open_store(url)
    store.write(province_records())
    store.engine.dispose()
    return voila_server({"HEHU_DB": url, "HEHU_ROLE": "deputy"}, notebook_dir=folder)


def markers(page, css: str):
    return page.frame_locator("iframe.hehu-map").locator(css)


def test_a_deputy_goes_from_the_province_to_a_county_through_the_map(
    province_site, page, artifacts_dir
):
    errors = page_errors(page)
    page.goto(f"{province_site}/voila/render/overview.ipynb")
    cities = markers(page, "path.hehu-city")
    cities.first.wait_for(timeout=LOAD_TIMEOUT)
    assert cities.count() == 2
    assert markers(page, "path.hehu-town").count() == 0
    page.screenshot(path=str(artifacts_dir / "province_overview.png"), full_page=True)

    # city A's popup opens city A's overview (the link targets the whole page, not the iframe)
    cities.nth(0).click(force=True)
    link = markers(page, f'a.hehu-overview-link[href*="place={A}"]')
    if not link.count():  # the first marker was city B
        cities.nth(1).click(force=True)
    link.first.click()
    page.wait_for_url(f"**/overview.ipynb?place={A}*", timeout=LOAD_TIMEOUT)
    counties = markers(page, "path.hehu-county")
    counties.first.wait_for(timeout=LOAD_TIMEOUT)
    assert counties.count() == 2
    crumb = page.locator('[data-hehu="breadcrumb"]')
    assert "示例省" in crumb.inner_text() and "甲市" in crumb.inner_text()

    # a county's overview: its town and key village, nothing of the other counties
    page.goto(f"{province_site}/voila/render/overview.ipynb?place={A1}")
    markers(page, "path.hehu-town").first.wait_for(timeout=LOAD_TIMEOUT)
    assert markers(page, "path.hehu-town").count() == 1
    assert markers(page, "path.hehu-village").count() == 1
    assert page.locator(f'tr[data-code="{A1T}"]').count() == 1
    # and back up to the province from the breadcrumb
    page.locator(f'[data-hehu="breadcrumb"] a[href*="place={P}"]').click()
    page.wait_for_url(f"**/overview.ipynb?place={P}*", timeout=LOAD_TIMEOUT)
    markers(page, "path.hehu-city").first.wait_for(timeout=LOAD_TIMEOUT)
    assert errors == []


def test_the_province_overview_reads_on_a_phone(province_site, browser, artifacts_dir):
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        page.goto(f"{province_site}/voila/render/overview.ipynb?lang=en")
        markers(page, "path.hehu-city").first.wait_for(timeout=LOAD_TIMEOUT)
        page.screenshot(path=str(artifacts_dir / "province_overview_phone.png"), full_page=True)
        assert_no_sideways_scroll(page)
        assert "Each circle adds up" in page.locator(".hehu-foot").first.inner_text()
    finally:
        context.close()
