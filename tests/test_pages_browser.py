"""The overview and briefing pages served by Voila on the demo database, driven in Debian's Chromium.

One Voila serves a temporary folder holding copies of overview.ipynb and briefing.ipynb (they
import the installed package, so a copy behaves like the original) and a one-cell empty.ipynb,
so the time-to-interactive comparison runs on the same server as every other test.

Screenshots land in tests/artifacts/ to be looked at by a person: Chinese must render as
characters, nothing may be cut off sideways, the map must show.
"""

from __future__ import annotations

import math
import re
import shutil
import statistics
import time
from pathlib import Path

import nbformat
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

GAOGOU = "320826101000"  # 高沟镇
GAOGOU_NAME = "高沟镇"
TOWNSHIPS, KEY_VILLAGES = 16, 38
LOAD_TIMEOUT = 60_000
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
}
PROJECTOR = {"viewport": {"width": 1920, "height": 1080}, "locale": "zh-CN"}
CJK = re.compile(r"[\u4e00-\u9fff]")
MARKERS = "path.leaflet-interactive"
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def site(voila_server, demo_url, tmp_path_factory):
    """One Voila on the demo DB serving copies of the two pages plus a trivial empty.ipynb."""
    folder = tmp_path_factory.mktemp("pages")
    for name in ("overview.ipynb", "briefing.ipynb"):
        shutil.copy(REPO / "notebooks" / name, folder / name)
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell('import ipywidgets as w\nw.Label("ok")'))
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, folder / "empty.ipynb")
    return voila_server({"HEHU_DB": demo_url}, notebook_dir=folder)


def render_url(site, name: str, query: str = "") -> str:
    return f"{site}/voila/render/{name}.ipynb{query}"


def page_errors(page) -> list[str]:
    """The uncaught JavaScript errors of this page so far (collected from the first call on)."""
    if not hasattr(page, "hehu_errors"):
        page.hehu_errors = []
        page.on("pageerror", lambda exc: page.hehu_errors.append(str(exc)))
    return page.hehu_errors


def open_page(page, site, name: str, ready: str, query: str = "", frame: bool = False):
    """Open a page and wait for a selector (in the map iframe when ``frame``); return page errors."""
    errors = page_errors(page)
    page.goto(render_url(site, name, query))
    scope = page.frame_locator("iframe.hehu-map") if frame else page
    try:
        scope.locator(ready).first.wait_for(timeout=LOAD_TIMEOUT)
    except Exception:
        print(site.log_tail())
        raise
    return errors


def open_overview(page, site, query: str = ""):
    return open_page(page, site, "overview", MARKERS, query, frame=True)


def open_briefing(page, site, query: str):
    return open_page(
        page, site, "briefing", '[data-hehu="briefing-place"], [data-hehu="error"]', query
    )


def select(page, description: str, label: str) -> None:
    """Choose an option, by its label, of the page's dropdown with this description."""
    dropdown = page.locator(".hehu-controls .widget-dropdown").filter(has_text=description)
    dropdown.locator("select").first.select_option(label=label)


def selected_label(page, description: str) -> str:
    dropdown = page.locator(".hehu-controls .widget-dropdown").filter(has_text=description)
    # ipywidgets writes spaces in option labels as no-break spaces.
    text = dropdown.locator("select").first.evaluate("s => s.options[s.selectedIndex].text")
    return text.replace("\xa0", " ")


# Every element that scrolls sideways (overflow-x auto/scroll with more content than room), and
# every element of the page that sticks out of the viewport. Tables sit in .hehu-table-wrap, which
# is meant to scroll sideways on a phone: that is the table scrolling, not the page.
SIDEWAYS = """() => {
    const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
        + (typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
    const scrollers = [], sticking = [];
    for (const el of document.querySelectorAll('*')) {
        const s = getComputedStyle(el);
        if (['auto', 'scroll'].includes(s.overflowX) && el.scrollWidth > el.clientWidth + 1
            && !el.classList.contains('hehu-table-wrap'))
            scrollers.push(name(el) + ' ' + el.scrollWidth + '>' + el.clientWidth);
    }
    for (const el of document.querySelectorAll('.hehu-page *')) {
        if (el.closest('.hehu-table-wrap')) continue;
        const r = el.getBoundingClientRect();
        if (r.width === 0 || r.height === 0) continue;
        if (r.right > innerWidth + 1 || r.left < -1)
            sticking.push(name(el) + ' ' + Math.round(r.left) + '..' + Math.round(r.right));
    }
    const doc = document.scrollingElement;
    // Voila scrolls the page inside an inner container, not the document: find it.
    const inner = [...document.querySelectorAll('*')].filter(el => {
        const s = getComputedStyle(el);
        return ['auto', 'scroll'].includes(s.overflowY) && el.scrollHeight > el.clientHeight + 1;
    }).map(el => ({name: name(el), scrollWidth: el.scrollWidth, clientWidth: el.clientWidth,
                   scrollHeight: el.scrollHeight}));
    return {docScrollWidth: doc.scrollWidth, innerWidth, scrollers, sticking, inner};
}"""


def assert_no_sideways_scroll(page, screen: bool = True) -> dict:
    """No sideways scroll, of the document or of Voila's inner scrolling box (``screen``: it exists)."""
    found = page.evaluate(SIDEWAYS)
    assert found["docScrollWidth"] <= found["innerWidth"] + 1, found
    if screen:
        assert found["inner"], "expected Voila's inner scrolling container"
    for container in found["inner"]:
        assert container["scrollWidth"] <= container["clientWidth"] + 1, container
    assert found["scrollers"] == [], found["scrollers"]
    assert found["sticking"] == [], found["sticking"][:10]
    return found


def shoot_tall(page, path, max_height: int = 4000) -> None:
    """Screenshot the whole page: Voila scrolls an inner box, so grow the viewport to fit it."""
    size = page.viewport_size
    height = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('*')].map(e => e.scrollHeight))"
    )
    page.set_viewport_size({"width": size["width"], "height": min(int(height) + 20, max_height)})
    try:
        page.wait_for_timeout(300)  # let the map iframe settle at its (unchanged) width
        page.screenshot(path=path)
    finally:
        page.set_viewport_size(size)


# --------------------------------------------------------------------------- 1. overview


def test_overview_map_loads(site, page, artifacts_dir):
    errors = open_overview(page, site)
    expect(page.locator('[data-hehu="demo-banner"]')).to_be_visible()
    expect(page.locator('[data-hehu="demo-banner"]')).to_contain_text("示例数据")
    frame = page.frame_locator("iframe.hehu-map")
    assert frame.locator(MARKERS).count() >= TOWNSHIPS + KEY_VILLAGES
    assert frame.locator("path.hehu-marker").count() == TOWNSHIPS + KEY_VILLAGES
    expect(frame.locator(".leaflet-control-layers")).to_have_count(1)
    legend = frame.locator(".hehu-legend")
    expect(legend).to_be_visible()
    expect(legend).to_contain_text("图例")
    expect(legend).to_contain_text("浅色虚线圈")
    # Approximate positions are drawn dashed, sourced ones solid.
    uncertain = frame.locator("path.hehu-uncertain")
    assert uncertain.count() > 0
    assert all(
        d for d in uncertain.evaluate_all("els => els.map(e => e.getAttribute('stroke-dasharray'))")
    )
    solid = frame.locator("path.hehu-marker:not(.hehu-uncertain)")
    assert solid.count() > 0
    assert not any(solid.evaluate_all("els => els.map(e => e.getAttribute('stroke-dasharray'))"))
    # The legend must not sit on Leaflet's scale bar (it used to, bottom left).
    boxes = frame.locator(".hehu-legend, .leaflet-control-scale").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect().toJSON())"
    )
    a, b = boxes
    assert (
        a["right"] <= b["left"]
        or b["right"] <= a["left"]
        or a["bottom"] <= b["top"]
        or b["bottom"] <= a["top"]
    ), boxes
    # The county's real outline lies under the markers, and every township is inside it.
    outline = frame.locator("path.hehu-outline")
    expect(outline).to_have_count(1)
    box = outline.bounding_box()
    for marker in frame.locator("path.hehu-town, path.hehu-subdistrict").all():
        m = marker.bounding_box()
        centre = (m["x"] + m["width"] / 2, m["y"] + m["height"] / 2)
        assert box["x"] <= centre[0] <= box["x"] + box["width"], centre
        assert box["y"] <= centre[1] <= box["y"] + box["height"], centre
    expect(frame.locator(".leaflet-control-attribution")).to_have_text("Leaflet")
    page.locator("iframe.hehu-map").screenshot(path=artifacts_dir / "overview_outline.png")
    assert errors == []


# --------------------------------------------------------------------------- 2. marker → briefing

# Find 高沟镇's circle marker among the map's Leaflet layers by its tooltip, and tag its SVG path
# so the test can click that very element (station squares drawn on top of it would catch a
# click at its centre).
TAG_MARKER = """(name) => {
    const map = Object.values(window).find(v => v instanceof L.Map);
    let found = null;
    map.eachLayer(layer => {
        if (layer instanceof L.CircleMarker && layer.getPopup() && layer.getTooltip()) {
            const tip = layer.getTooltip().getContent();
            const text = typeof tip === 'string' ? tip : tip.textContent;
            if (text.replace(/<[^>]*>/g, '').trim().startsWith(name + '：')) found = layer;
        }
    });
    if (!found) return false;
    found.getElement().setAttribute('data-test', 'target');
    return true;
}"""


def test_marker_popup_opens_the_briefing(site, page):
    errors = open_overview(page, site)
    map_frame = page.locator("iframe.hehu-map").element_handle().content_frame()
    assert map_frame.evaluate(TAG_MARKER, GAOGOU_NAME), "no marker with 高沟镇's tooltip"
    marker = map_frame.locator('[data-test="target"]')
    # A DOM click on the marker's own path: Leaflet finds the layer from the event target.
    marker.dispatch_event("click")
    popup = map_frame.locator(".leaflet-popup-content")
    expect(popup).to_contain_text(GAOGOU_NAME)
    link = popup.locator("a.hehu-briefing-link")
    assert link.get_attribute("href") == f"briefing.ipynb?place={GAOGOU}"
    with page.expect_navigation(timeout=LOAD_TIMEOUT):
        link.click()
    assert page.url == render_url(site, "briefing", f"?place={GAOGOU}")

    page.locator('[data-hehu="briefing-place"]').wait_for(timeout=LOAD_TIMEOUT)
    expect(page.locator('[data-hehu="briefing-place"]')).to_have_text(GAOGOU_NAME)
    values = page.locator("[data-metric] .v").all_inner_texts()
    assert len(values) >= 4
    # figures, not only markers: 高沟镇's 2022 courses (31 sessions, 2,740 attended) among them
    # (of its 16 cards 7 show a number to a deputy since the demo offers 2020, when pairings
    # started: its left-behind children and those paired are hidden too)
    assert sum(bool(re.search(r"\d", v)) for v in values) >= 6, values
    assert "2,740" in values, values
    questions = page.locator('[data-hehu="questions"] li').all_inner_texts()
    assert questions and all(q.strip() for q in questions)
    assert errors == []


# --------------------------------------------------------------------------- 3. English


def test_english_pages(site, page):
    errors = open_overview(page, site, "?lang=en")
    expect(page.locator(".hehu-title").first).to_contain_text("County overview")
    expect(page.locator('[data-hehu="demo-banner"]')).to_contain_text("Demo data")
    assert selected_label(page, "Metric") == "course attendance"
    options = (
        page.locator(".hehu-controls .widget-dropdown")
        .filter(has_text="Metric")
        .locator("option")
        .all_inner_texts()
    )
    assert options and not any(CJK.search(o) for o in options), options
    legend = page.frame_locator("iframe.hehu-map").locator(".hehu-legend")
    expect(legend).to_contain_text("Legend")

    open_briefing(page, site, f"?place={GAOGOU}&lang=en")
    expect(page.locator(".hehu-section").first).to_have_text("Questions to ask")
    questions = page.locator('[data-hehu="questions"] li').all_inner_texts()
    assert questions
    for q in questions:
        # Place names and quoted recommendations stay Chinese; the question itself is English.
        own_words = re.sub(r"“[^”]*”", "", q)
        assert len(re.findall(r"[A-Za-z]", own_words)) > 3 * len(CJK.findall(own_words)), q
    assert errors == []


# --------------------------------------------------------------------------- 4. metric dropdown


def test_metric_change_redraws_map_and_card(site, page):
    errors = open_overview(page, site)
    card = page.locator('[data-hehu="county-value"] .v')
    legend = page.frame_locator("iframe.hehu-map").locator(".hehu-legend")
    expect(legend).to_contain_text("课程受教育人次")
    before_card = card.inner_text()
    before_map = page.locator("iframe.hehu-map").get_attribute("srcdoc")

    select(page, "指标", "女童保护课程场次")
    expect(card).not_to_have_text(before_card, timeout=30_000)
    expect(page.locator('[data-hehu="county-value"] .k')).to_contain_text("女童保护课程场次")
    # The map is a new iframe document: wait for its legend and markers.
    expect(legend).to_contain_text("女童保护课程场次", timeout=30_000)
    frame = page.frame_locator("iframe.hehu-map")
    assert frame.locator("path.hehu-marker").count() == TOWNSHIPS + KEY_VILLAGES
    assert page.locator("iframe.hehu-map").get_attribute("srcdoc") != before_map
    assert selected_label(page, "指标") == "女童保护课程场次"
    assert errors == []


# --------------------------------------------------------------------------- 5. unknown place


def test_unknown_place_shows_error_and_picker(site, page):
    errors = open_briefing(page, site, "?place=999")
    error = page.locator('[data-hehu="error"]')
    expect(error).to_be_visible()
    expect(error).to_contain_text("未知的地点代码")
    expect(error).to_contain_text("999")
    picker = (
        page.locator(".hehu-controls .widget-dropdown").filter(has_text="地点").locator("select")
    )
    expect(picker).to_have_count(1)
    assert picker.locator("option").count() > TOWNSHIPS
    # The picker falls back to the county; its briefing shows below the message.
    expect(page.locator('[data-hehu="briefing-place"]')).to_have_text("涟水县")
    text = page.locator("body").inner_text()
    assert "Traceback" not in text and "show_tracebacks" not in text
    assert errors == []


# --------------------------------------------------------------------------- 6. phone, projector


def test_phone_and_projector(site, browser, artifacts_dir):
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        errors = open_overview(page, site)
        found = assert_no_sideways_scroll(page)
        print("phone overview: inner scroller", found["inner"])
        iframe = page.locator("iframe.hehu-map").bounding_box()
        assert 300 <= iframe["height"] <= 0.75 * 844, iframe  # visible, and room to scroll past
        assert iframe["x"] >= 0 and iframe["x"] + iframe["width"] <= 390 + 1, iframe
        frame = page.frame_locator("iframe.hehu-map")
        # On a phone the legend shows only its title until tapped: it must not hide the county.
        legend_body = frame.locator(".hehu-legend-body")
        expect(legend_body).to_be_hidden()
        frame.locator(".hehu-legend").tap()
        expect(legend_body).to_be_visible()
        frame.locator(".leaflet-container").tap(position={"x": 20, "y": 150})
        expect(legend_body).to_be_hidden()
        page.screenshot(path=artifacts_dir / "phone_overview.png")  # the first screen
        shoot_tall(page, artifacts_dir / "phone_overview_full.png", max_height=6000)

        open_briefing(page, site, f"?place={GAOGOU}")
        expect(page.locator('[data-hehu="briefing-place"]')).to_have_text(GAOGOU_NAME)
        assert_no_sideways_scroll(page)
        shoot_tall(page, artifacts_dir / "phone_briefing.png")

        # English words do not break like Chinese: the wider table must scroll in its own box.
        open_briefing(page, site, f"?place={GAOGOU}&lang=en")
        assert_no_sideways_scroll(page)
        assert errors == []
    finally:
        context.close()

    context = browser.new_context(**PROJECTOR)
    try:
        page = context.new_page()
        errors = open_overview(page, site)
        assert_no_sideways_scroll(page)
        iframe = page.locator("iframe.hehu-map").bounding_box()
        assert iframe["y"] + iframe["height"] <= 1080, "the map should fit on the first screen"
        page.screenshot(path=artifacts_dir / "projector_overview.png")
        assert errors == []
    finally:
        context.close()


# --------------------------------------------------------------------------- 7. print

A4_CSS_PX = (794, 1123)  # 210 x 297 mm at 96 px per inch


def test_briefing_prints_whole(site, page, artifacts_dir):
    errors = open_briefing(page, site, f"?place={GAOGOU}")
    page.emulate_media(media="print")
    page.set_viewport_size({"width": A4_CSS_PX[0], "height": A4_CSS_PX[1]})
    expect(page.locator(".hehu-controls").first).to_be_hidden()
    # No ancestor of the page may clip it: Voila's scrolling container used to cut the print
    # to the first screen.
    clipping = page.evaluate(
        """() => {
            const out = [];
            for (let el = document.querySelector('.hehu-page'); el; el = el.parentElement) {
                const s = getComputedStyle(el);
                if (s.overflowY !== 'visible' && el.scrollHeight > el.clientHeight + 1)
                    out.push(el.tagName + '#' + el.id + ' ' + el.scrollHeight + '>' + el.clientHeight);
            }
            return out;
        }"""
    )
    assert clipping == []
    assert_no_sideways_scroll(page, screen=False)  # in print nothing scrolls: it is all pages
    # The last section and the footer are laid out inside the document's printed height.
    last = page.locator('[data-hehu="recommendations"]')
    expect(last).to_be_attached()
    height = page.evaluate("() => document.scrollingElement.scrollHeight")
    bottom = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('.hehu-page *')]"
        ".map(e => e.getBoundingClientRect().bottom)) + scrollY"
    )
    assert bottom <= height + 1, (bottom, height)
    shoot_tall(page, artifacts_dir / "print_briefing.png", max_height=6000)

    # the page's own CSS decides the paper, as a browser's print dialog would
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    (artifacts_dir / "briefing.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF")
    box = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert box and abs(float(box[1]) - 595.3) < 2 and abs(float(box[2]) - 841.9) < 2  # A4 in pt
    pages = len(re.findall(rb"/Type\s*/Page\b", pdf))
    # Break-avoid rules only add pages: fewer than the content needs means it was cut off.
    assert pages >= max(2, math.floor(height / A4_CSS_PX[1])), (pages, height)
    assert errors == []


# --------------------------------------------------------------------------- 8. time to interactive


def test_time_to_interactive(site, browser, artifacts_dir):
    """Overview (map with markers) against a one-Label notebook, same server, 3 fresh loads each."""

    def load(name: str) -> float:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        try:
            page = context.new_page()
            start = time.monotonic()
            page.goto(render_url(site, name))
            if name == "overview":
                page.frame_locator("iframe.hehu-map").locator(MARKERS).first.wait_for(
                    timeout=LOAD_TIMEOUT
                )
            else:
                page.locator(".widget-label", has_text="ok").wait_for(timeout=LOAD_TIMEOUT)
            return time.monotonic() - start
        finally:
            context.close()

    times: dict[str, list[float]] = {"overview": [], "empty": []}
    for _ in range(3):
        for name in times:  # interleaved, so a slow spell hits both
            times[name].append(load(name))
    overview, empty = (statistics.median(times[n]) for n in ("overview", "empty"))
    ratio = overview / empty
    report = (
        f"overview: median {overview:.2f} s of {[round(t, 2) for t in times['overview']]}\n"
        f"empty:    median {empty:.2f} s of {[round(t, 2) for t in times['empty']]}\n"
        f"ratio overview/empty: {ratio:.2f}\n"
    )
    (artifacts_dir / "tti.txt").write_text(report)
    print(report)
    assert overview > 0 and empty > 0
