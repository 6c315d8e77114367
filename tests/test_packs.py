"""Briefing packs (HTML and Word) and the forum view: self-contained, aggregate-only, audited."""

from __future__ import annotations

import io
import re
import subprocess
import sys

import docx
import pytest

from hehu.records.store import open_store
from widgets.pages.forum import build_forum_page

GAOGOU, COUNTY, ZHUMA = "320826101000", "320826000000", "320826002000"


def hehu(*args):
    proc = subprocess.run(
        [sys.executable, "-m", "hehu.cli.main", *args], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture(scope="module")
def packs(demo_db_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("packs")
    url = f"sqlite:///{out / 'demo.sqlite'}"
    (out / "demo.sqlite").write_bytes(demo_db_file.read_bytes())
    hehu(
        "briefing",
        "--db",
        url,
        "--place",
        GAOGOU,
        "--year",
        "2022",
        "--out",
        str(out / "gaogou.html"),
    )
    hehu(
        "briefing",
        "--db",
        url,
        "--place",
        GAOGOU,
        "--year",
        "2022",
        "--format",
        "docx",
        "--out",
        str(out / "gaogou.docx"),
    )
    hehu(
        "briefing",
        "--db",
        url,
        "--place",
        f"{COUNTY},{GAOGOU},{ZHUMA}",
        "--year",
        "2022",
        "--out",
        str(out / "pack.html"),
    )
    return out, url


def test_html_briefing_is_self_contained_and_aggregate(packs):
    out, _ = packs
    html = (out / "gaogou.html").read_text(encoding="utf-8")
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=[\"']https?://", html)
    assert "<script" not in html  # nothing to run: opens anywhere, even with scripts off
    assert "高沟镇" in html and "建议提问" in html and "示例数据" in html
    assert "&lt;5" in html  # small counts suppressed, whoever made it
    assert not re.search(r"D-(P|HH|PR)-\d+", html)  # no person-level ids


def test_pack_of_several_places(packs):
    out, _ = packs
    html = (out / "pack.html").read_text(encoding="utf-8")
    for code in (COUNTY, GAOGOU, ZHUMA):
        assert f'id="place-{code}"' in html and f'href="#place-{code}"' in html


def test_word_briefing_text(packs):
    out, _ = packs
    document = docx.Document(io.BytesIO((out / "gaogou.docx").read_bytes()))
    text = "\n".join(p.text for p in document.paragraphs)
    cells = "\n".join(c.text for t in document.tables for row in t.rows for c in row.cells)
    assert "高沟镇 调研简报" in text and "建议提问" in text and "示例数据" in text
    assert "接访维权事项" in cells and "<5" in cells
    assert len(document.inline_shapes) == 1  # the map, as a picture
    assert not re.search(r"D-(P|HH|PR)-\d+", text + cells)


def test_every_pack_is_audited(packs):
    _, url = packs
    log = open_store(url, create=False).read("audit_log")
    briefings = log[log["action"] == "briefing"]
    assert len(briefings) == 3
    assert set(briefings["places"]) == {GAOGOU, f"{COUNTY};{GAOGOU};{ZHUMA}"}


@pytest.mark.browser
def test_html_pack_opens_in_chromium_with_the_network_off(packs, browser):
    out, _ = packs
    context = browser.new_context(viewport={"width": 390, "height": 844}, offline=True)
    page = context.new_page()
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto((out / "pack.html").as_uri())
    assert page.locator("section.hehu-place").count() == 3
    assert page.locator("img.hehu-pack-map").evaluate("img => img.naturalWidth") > 100
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth + 1")
    assert all(u.startswith(("file:", "data:")) for u in requests)
    context.close()


def test_forum_view_is_aggregate_and_checks_the_report(demo_url, monkeypatch):
    monkeypatch.setenv("HEHU_ROLE", "staff")  # even for staff, a projector shows aggregates only
    page = build_forum_page(demo_url, params={})
    claims = page.view.children[4].value
    assert claims.count("<tr>") == 12  # header and the 11 claims of the shipped report
    assert claims.count(">相符<") == 11  # on the demo every figure of the report is matched
    assert page.view.state.role == "presenter"
