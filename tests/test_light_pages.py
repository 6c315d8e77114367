"""The light briefing and overview (hehu/serve/light.py): plain HTML with no kernel and no script,
the offline pack's figures and disclosure, kept per place × period × role × language × data
version, served beside the Voila pages behind the same Host check and token."""

from __future__ import annotations

import gzip
import html
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
import sqlalchemy as sa

from hehu.disclosure import is_hidden
from hehu.figures.cache import PageRecords, period_from_key
from hehu.figures.places import disclosed_place_figures
from hehu.records.schema import figure_cache
from hehu.records.store import open_store
from hehu.render.packs import briefing_pack_html
from hehu.serve.light import LIGHT_FORMAT, NAME_PREFIX, NotFound, light_page

GAOGOU = "320826101000"
LIMIT_BYTES = 300 * 1024  # the budget for a light briefing on a phone


def cards(page: str) -> dict[str, str]:
    """A briefing's headline cards: metric -> the value shown."""
    found = re.findall(
        r'data-metric="(\w+)"><div class="k">[^<]*</div><div class="v">([^<]*)</div>', page
    )
    return {metric: html.unescape(value) for metric, value in found}


def test_the_light_briefing_is_the_packs_rendering_for_the_role(demo_db_copy):
    store = open_store(demo_db_copy)
    page = light_page(store, GAOGOU, "2022", "zh", "presenter")
    html = page.html()
    pack = briefing_pack_html(PageRecords(store), [GAOGOU], period_from_key("2022"), "zh")
    assert cards(html) == cards(pack) and len(cards(html)) >= 10
    assert "高沟镇" in html and "示例数据" in html  # demo data says so, here too
    # readable with no script: none in the page, nothing it would fetch
    assert "<script" not in html.lower()
    assert not re.search(r"""(?:src|href)=["']?https?://""", html)
    assert len(page.gzipped) < LIMIT_BYTES and len(html.encode()) < LIMIT_BYTES


def test_small_counts_are_hidden_from_a_deputy_as_on_every_page(demo_db_copy):
    store = open_store(demo_db_copy)
    records = PageRecords(store)
    shown = disclosed_place_figures(records, "2022", "deputy")
    hidden = [m for m in cards(light_page(store, GAOGOU, "2022", "zh", "deputy").html())
              if is_hidden(shown.at[GAOGOU, m])]  # fmt: skip
    assert hidden, "the demo's 高沟镇 has no hidden headline figure in 2022: choose another place"
    deputy = cards(light_page(store, GAOGOU, "2022", "zh", "deputy").html())
    staff = cards(light_page(store, GAOGOU, "2022", "zh", "staff").html())
    for metric in hidden:
        assert deputy[metric] == shown.at[GAOGOU, metric]  # the marker, never the number
        assert re.fullmatch(r"[\d,%.]+", staff[metric])  # staff see the count itself


def test_a_page_is_made_once_per_data_version_and_again_after_a_write(demo_db_copy):
    store = open_store(demo_db_copy)
    first = light_page(store, GAOGOU, "2022", "zh", "deputy")
    with store.engine.connect() as conn:
        kept = conn.execute(
            sa.select(figure_cache.c.name, figure_cache.c.period).where(
                figure_cache.c.name.like(f"{NAME_PREFIX}%")
            )
        ).all()
    assert kept == [(f"{NAME_PREFIX}{GAOGOU}/deputy/zh", first.key)]
    # kept: served from the cache, not made again
    with store.engine.begin() as conn:
        conn.execute(
            figure_cache.update()
            .where(figure_cache.c.name == first.name)
            .values(payload=gzip.compress(b"<p>kept</p>"))
        )
    assert light_page(store, GAOGOU, "2022", "zh", "deputy").html() == "<p>kept</p>"
    # a write makes a new data version: the page is made again from the records
    store.audit("test", "a write")  # not a record: the version stays
    store.write({"target": [{"metric": "course_sessions", "place_code": GAOGOU, "year": 2022,
                             "value": 99.0, "source": "测试"}]})  # fmt: skip
    again = light_page(store, GAOGOU, "2022", "zh", "deputy")
    assert again.data_version > first.data_version and again.html() != "<p>kept</p>"
    assert "测试" in again.html()  # the new target's source is on the card


def test_after_a_write_the_kept_page_is_shown_at_once_saying_so(demo_db_copy):
    """Twenty deputies right after an inspection was recorded get the page as it was, marked,
    instead of each waiting for it to be made; the page for the new data is made once."""
    store = open_store(demo_db_copy)
    first = light_page(store, GAOGOU, "2022", "zh", "deputy")
    assert not first.stale and 'data-hehu="light-stale"' not in first.html()
    store.write({"target": [{"metric": "course_sessions", "place_code": GAOGOU, "year": 2022,
                             "value": 99.0, "source": "测试"}]})  # fmt: skip
    kept = light_page(store, GAOGOU, "2022", "zh", "deputy", older_ok=True)
    assert kept.stale and kept.data_version == first.data_version
    note = re.search(
        r'<div class="hehu-sub" data-hehu="light-stale"[^>]*>([^<]*)</div>', kept.html()
    )
    assert note and "更新前的数据" in note[1]
    assert kept.html().replace(note[0], "") == first.html()  # the page itself, as it was
    version = store.data_version()
    assert store.cached_figures(first.name, first.key, version) is None  # nothing made here
    made = light_page(store, GAOGOU, "2022", "zh", "deputy")  # what the server does next
    assert not made.stale and made.data_version == version and "测试" in made.html()
    again = light_page(store, GAOGOU, "2022", "zh", "deputy", older_ok=True)
    assert not again.stale and again.gzipped == made.gzipped
    # never a kept page of another language, role or period
    with store.engine.begin() as conn:
        conn.execute(figure_cache.delete().where(figure_cache.c.name.like("~l%")))
    store.write({"target": [{"metric": "course_sessions", "place_code": GAOGOU, "year": 2022,
                             "value": 98.0, "source": "测试二"}]})  # fmt: skip
    assert not light_page(store, GAOGOU, "2022", "en", "deputy", older_ok=True).stale


def test_an_unknown_place_or_a_period_no_page_offers_is_not_found(demo_url):
    store = open_store(demo_url)
    with pytest.raises(NotFound):
        light_page(store, "999999999999", None, "zh", "deputy")
    # a period of one's own choosing would undo the protection of small counts
    with pytest.raises(NotFound):
        light_page(store, GAOGOU, "2021-01-01:2022-11-30", "zh", "deputy")


def test_the_overview_links_every_township_to_its_light_briefing(demo_db_copy):
    store = open_store(demo_db_copy)
    html = light_page(store, None, "2022", "en", "deputy").html()
    links = re.findall(r'href="\.\./hehu/briefing/(\d{12})\?period=2022&amp;lang=en"', html)
    assert len(set(links)) == 16 and GAOGOU in links
    assert "County overview" in html and "<script" not in html.lower()


def test_the_warmer_makes_the_overview_county_and_township_pages(demo_db_copy):
    store = open_store(demo_db_copy)
    older = NAME_PREFIX.replace(f"l{LIGHT_FORMAT}/", f"l{LIGHT_FORMAT - 1}/")
    for name in (f"{older}overview/deputy/zh", f"{NAME_PREFIX}{GAOGOU}/deputy/zh"):
        store.keep_figures(name, "2019@20200101", 1, gzip.compress(b"<p>kept</p>"))
    done = subprocess.run(
        [sys.executable, "-m", "hehu.cli.main", "warm", "--db", demo_db_copy, "--json",
         "--light-role", "deputy"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert '"light_pages": 36' in done.stdout  # (overview + county + 16 townships) × zh, en
    with store.engine.connect() as conn:
        names = conn.execute(sa.select(figure_cache.c.name, figure_cache.c.period)).all()
    light = [(name, period) for name, period in names if name.startswith("~l")]
    # an earlier rendering's page is gone (never asked for again); this one's are all kept
    assert all(name.startswith(NAME_PREFIX) for name, _ in light), light
    assert (f"{NAME_PREFIX}{GAOGOU}/deputy/zh", "2019@20200101") in light
    assert len(light) == 36 + 1
    start = time.perf_counter()
    light_page(store, GAOGOU, None, "zh", "deputy")
    assert time.perf_counter() - start < 2  # a cache read, not a rendering


def _get(url: str, host: str | None = None, encoding: str = "gzip") -> tuple[int, dict, bytes]:
    headers = {"Accept-Encoding": encoding} | ({"Host": host} if host else {})
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=60) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_the_server_serves_it_beside_the_pages_behind_the_same_checks(voila_server, demo_url):
    base = voila_server({"HEHU_DB": demo_url, "HEHU_ROLE": "deputy"})
    status, headers, body = _get(f"{base}/hehu/briefing/{GAOGOU}?period=2022")
    assert status == 200, base.log_tail()
    assert headers["Content-Encoding"] == "gzip" and len(body) < LIMIT_BYTES
    html = gzip.decompress(body).decode()
    assert "高沟镇" in html and "<script" not in html.lower()
    # the browser is told to run no script and fetch nothing, whatever the page held
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert "script-src" not in headers["Content-Security-Policy"]
    # a client that refuses gzip gets the page as it is (it got gzip, whatever its q said)
    for refusing in ("gzip;q=0", "identity", "gzip; q=0.0, deflate", "br"):
        status, headers, body = _get(f"{base}/hehu/briefing/{GAOGOU}?period=2022", None, refusing)
        assert status == 200 and "Content-Encoding" not in headers, refusing
        assert "高沟镇" in body.decode(), refusing
    status, _, body = _get(f"{base}/hehu/briefing/999999999999")
    assert status == 404 and "没有这个地点或期间" in body.decode()
    # any other address below them, and a ?lang= that is not text, answered in the page's words
    # (they were the server's English "404: Not Found" and an empty 400)
    for path in ("/hehu/briefing/3208261010000", f"/hehu/briefing/{GAOGOU}/", "/hehu/overview/x",
                 "/hehu/briefing/..%2F..%2Fetc%2Fpasswd"):  # fmt: skip
        status, _, body = _get(base + path)
        assert status == 404 and "没有这个地点或期间" in body.decode(), path
    status, _, body = _get(f"{base}/hehu/briefing/{GAOGOU}?lang=%ff")
    assert status == 200 and "高沟镇" in gzip.decompress(body).decode()
    status, _, body = _get(f"{base}/hehu/briefing/{GAOGOU}?period=%ff&lang=EN")
    assert status == 400 and "Refused (400)" in body.decode()
    # a page on another site, its name resolved to this machine (DNS rebinding), is refused
    status, _, body = _get(f"{base}/hehu/overview", host="evil.example")
    assert status == 403 and "高沟镇" not in body.decode("utf-8", "replace")


def test_the_server_serves_the_kept_page_after_a_write_then_the_new_one(voila_server, demo_db_copy):
    base = voila_server({"HEHU_DB": demo_db_copy, "HEHU_ROLE": "deputy"})
    url = f"{base}/hehu/briefing/{GAOGOU}?period=2022"
    assert _get(url)[0] == 200, base.log_tail()
    open_store(demo_db_copy).write(
        {
            "target": [
                {
                    "metric": "course_sessions",
                    "place_code": GAOGOU,
                    "year": 2022,
                    "value": 99.0,
                    "source": "测试",
                }
            ]
        }  # fmt: skip
    )
    status, _, body = _get(url)
    assert status == 200 and 'data-hehu="light-stale"' in gzip.decompress(body).decode()
    deadline = time.monotonic() + 120  # made again in the background, once
    while True:
        html = gzip.decompress(_get(url)[2]).decode()
        if 'data-hehu="light-stale"' not in html:
            break
        assert time.monotonic() < deadline, base.log_tail()
        time.sleep(0.5)
    assert "测试" in html


def test_a_light_page_in_chromium_at_phone_width_fetches_nothing_more(
    voila_server, demo_url, browser
):
    base = voila_server({"HEHU_DB": demo_url, "HEHU_ROLE": "deputy"})
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    # every request that is not this server's is left hanging, never answered
    page.route(re.compile(r"^(?!http://127\.0\.0\.1).*"), lambda route: None)
    response = page.goto(f"{base}/hehu/briefing/{GAOGOU}", timeout=30_000)
    assert response.status == 200
    assert page.locator("[data-metric=cases_received]").is_visible()
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth + 1")
    page.screenshot(path=str(_artifact("light-briefing-390.png")), full_page=False)
    assert [u for u in requests if not u.startswith("data:")] == [response.url]
    page.get_by_role("link", name="← 全县概览").click()
    page.wait_for_url(re.compile(r"/hehu/overview"))
    assert page.locator("table[data-hehu=light-overview] tbody tr").count() == 16
    context.close()


def _artifact(name: str):
    from pathlib import Path

    folder = Path(__file__).parent / "artifacts"
    folder.mkdir(exist_ok=True)
    return folder / name


def test_the_kept_page_says_so_at_the_top_on_a_phone(demo_db_copy, browser):
    """The note on a page kept from before a write is the first thing a deputy reads at 390 px,
    and fits the screen."""
    store = open_store(demo_db_copy)
    light_page(store, GAOGOU, "2022", "zh", "deputy")
    store.write({"target": [{"metric": "course_sessions", "place_code": GAOGOU, "year": 2022,
                             "value": 99.0, "source": "测试"}]})  # fmt: skip
    kept = light_page(store, GAOGOU, "2022", "zh", "deputy", older_ok=True)
    assert kept.stale
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    page.route(re.compile(r".*"), lambda route: None)  # it fetches nothing: none is answered
    page.set_content(kept.html(), wait_until="domcontentloaded")
    note = page.locator('[data-hehu="light-stale"]')
    assert note.is_visible() and "更新前的数据" in note.inner_text()
    box = note.bounding_box()
    assert box["y"] < 844 / 3 and box["x"] >= 0 and box["x"] + box["width"] <= 390 + 1
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth + 1")
    page.screenshot(path=str(_artifact("light-briefing-stale-390.png")), full_page=False)
    context.close()
