"""The claims page in Chromium: a deputy pastes a paragraph of the source report, 提取 proposes
its figures, 核对所选 checks them against the demo's records. At 390 px, as on a phone.

Screenshot: tests/artifacts/claims_paste_phone.png.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

PARAGRAPH = (
    "2021年以来，各维权阵地共接访90起维权事项，矛盾得到有效化解。"
    "积极推进“守护花开”普法宣传活动，共深入全县广大家庭和村（居）开展普法宣讲活动70场次。"
)


def test_a_deputy_pastes_a_paragraph_and_checks_its_figures(
    voila_server, demo_url, browser, artifacts_dir
):
    site = voila_server({"HEHU_DB": demo_url, "HEHU_ROLE": "deputy"})
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    try:
        page = context.new_page()
        page.set_default_timeout(90_000)
        page.goto(f"{site}/voila/render/claims.ipynb")
        area = page.locator("textarea").first
        area.wait_for()
        area.fill(PARAGRAPH)
        date = page.get_by_placeholder("YYYY-MM-DD，空则取今天")
        date.fill("2022-11-11")
        date.press("Enter")
        page.get_by_role("button", name="提取").click()
        page.get_by_text("找到 2 个数字").wait_for()
        page.get_by_role("button", name="核对所选").click()
        results = page.get_by_text("相符")
        results.first.wait_for()
        assert results.count() >= 2
        page.screenshot(path=str(Path(artifacts_dir) / "claims_paste_phone.png"), full_page=True)
    finally:
        context.close()
