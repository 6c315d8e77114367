"""The place picker in Debian's Chromium at phone size: type "gg", pick 高沟镇, the page follows.

A screenshot goes to tests/artifacts/place_search_phone.png to be looked at.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

LOAD_TIMEOUT = 60_000


def test_a_deputy_finds_gaogou_by_typing_on_a_phone(voila_server, demo_url, browser, artifacts_dir):
    from playwright.sync_api import expect

    url = voila_server({"HEHU_DB": demo_url, "HEHU_ROLE": "deputy"})
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, locale="zh-CN"
    )
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{url}/voila/render/pairings.ipynb")
        try:
            page.locator(".hehu-card").first.wait_for(timeout=LOAD_TIMEOUT)
        except Exception:
            print(url.log_tail())
            raise
        picker = page.locator(".hehu-place-picker")
        search = picker.locator("input").first
        select = picker.locator("select").first
        assert search.get_attribute("placeholder") == "输入地名或拼音首字母，如 gg"
        assert select.locator("option").count() == 388
        search.click()
        page.keyboard.type("gg", delay=50)
        expect(select.locator("option")).to_have_count(2, timeout=30_000)
        expect(picker.locator('[data-hehu="place-search"]')).to_contain_text("找到 1 个地点")
        scope = page.locator('[data-hehu="scope"]')
        assert "高沟镇" not in scope.inner_text()  # typing alone changes nothing
        select.select_option(label="高沟镇")
        expect(scope).to_contain_text("高沟镇", timeout=30_000)
        # the picker fills the phone's width and nothing is wider than the phone
        box = picker.bounding_box()
        assert box["width"] > 300 and box["x"] + box["width"] <= 390 + 1
        for part in (search, select):
            part_box = part.bounding_box()
            assert part_box["width"] > 250 and part_box["x"] + part_box["width"] <= 390 + 1
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 390 + 1
        page.screenshot(path=artifacts_dir / "place_search_phone.png")
        assert errors == []
    finally:
        context.close()
