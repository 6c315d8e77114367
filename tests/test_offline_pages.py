"""Every page on a county intranet: no request may leave the server, and none may be waited for.

One Voila (started like ``hehu serve``, tests/conftest.py) serves every notebook on the demo
database as Federation staff. Chromium opens each page with every request to another host left
hanging: never answered, never refused, as on a 政务外网 whose firewall drops packets. The page's
content must appear in normal time, no outside request may even be attempted, and neither the
page nor any file it loads from the server may name another host for the browser to fetch.
"""

from __future__ import annotations

import contextlib
import re
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]
PAGES = sorted(p.stem for p in (REPO / "notebooks").glob("*.ipynb"))
# A cold kernel on 2 cores renders the heaviest page (the overview's map) in about 15 s.
CONTENT_TIMEOUT_MS = 60_000
COMMENT = re.compile(r"/\*.*?\*/", re.S)  # CSS and licence comments of the bundled scripts
URL = re.compile(r"""https?://[^\s"'`<>()\\]+""")
# Addresses in what the server sends that the browser never fetches. Each was read in its file and
# is listed exactly, so that a new one (after a Voila upgrade) fails here until someone looks.
NOT_FETCHED = (
    # XML namespaces of the loading spinner's SVG (Voila's template)
    "http://www.w3.org/",
    "http://creativecommons.org/ns#",
    "http://purl.org/dc/",
    # JSON Schema identifiers of the settings validator (ajv), compared as strings
    "http://json-schema.org/",
    "https://raw.githubusercontent.com/ajv-validator/ajv/master/lib/refs/data.json#",
    # text of console warnings and error messages, for a developer to read
    "https://evilmartians.com/chronicles/postcss-8-plugin-migration",
    "https://github.com/apostrophecms/sanitize-html/issues/547",
    "https://www.w3ctech.com/topic/2226",
    "https://reactjs.org/docs/error-decoder.html",
    "https://github.com/yjs/yjs/issues/438",
    "https://github.com/voila-dashboards/voila",
    "https://jupyter-server.readthedocs.io/en/stable/operators/security.html",
    # Voila's MathJax 2 fallback, used only when the page config names no MathJax: Hehu's
    # template sets both to null, and Voila then loads the MathJax 3 it bundles (checked below).
    "https://cdnjs.cloudflare.com/ajax/libs/mathjax/3.2.2/es5/latest.min.js",
)


@pytest.fixture(scope="module")
def intranet_site(voila_server, demo_url):
    """Voila on the demo database, as staff (every page is theirs)."""
    return voila_server({"HEHU_DB": demo_url, "HEHU_ROLE": "staff"})


def outside_urls(text: str, own_host: str) -> set[str]:
    """The http(s) addresses in ``text`` (comments left out) that point away from ``own_host``."""
    found = set()
    for url in URL.findall(COMMENT.sub("", text)):
        if url.startswith(NOT_FETCHED):
            continue
        if urlsplit(url).hostname not in (own_host, "localhost", "127.0.0.1"):
            found.add(url)
    return found


def test_outside_urls_finds_a_cdn_and_passes_namespaces():
    page = (
        '<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/x.css">'
        '<svg xmlns="http://www.w3.org/2000/svg"></svg><a href="http://127.0.0.1:8866/voila/">'
    )
    assert outside_urls(page, "127.0.0.1") == {"https://cdn.jsdelivr.net/npm/x.css"}


def load_with_outside_hanging(browser, url: str, ready: str, own_host: str, log=None):
    """Open ``url`` with every request to another host left hanging, never answered, and wait for
    ``ready``; (outside requests attempted, the texts served by URL, ready's text, seconds)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    attempted: list[str] = []
    served: dict[str, str] = {}

    def hang_outside(route):
        url = route.request.url
        host = urlsplit(url).hostname
        if url.startswith(("data:", "blob:", "about:")) or host in (own_host, "localhost"):
            route.continue_()
        else:
            attempted.append(url)  # never answered: the request hangs like a dropped packet

    def keep_text(response):
        kind = response.request.resource_type
        if kind in ("document", "script", "stylesheet") and response.ok:
            # a response whose body is gone (the page navigated) has nothing to scan
            with contextlib.suppress(Exception):
                served[response.url] = response.text()

    context.route("**/*", hang_outside)
    try:
        page = context.new_page()
        page.on("response", keep_text)
        started = time.monotonic()
        page.goto(url, wait_until="commit")
        try:
            page.locator(ready).first.wait_for(timeout=CONTENT_TIMEOUT_MS)
        except Exception:
            print(log() if log else "")
            raise
        seconds = time.monotonic() - started
        page.wait_for_timeout(500)  # late loads (the map's frame, lazy chunks) are counted too
        body = page.locator(ready).first.inner_text()
    finally:
        context.close()
    return attempted, served, body, seconds


@pytest.mark.parametrize("name", PAGES)
def test_page_renders_with_every_outside_request_hanging(intranet_site, browser, name):
    own_host = urlsplit(intranet_site).hostname
    attempted, served, body, seconds = load_with_outside_hanging(
        browser, f"{intranet_site}/voila/render/{name}.ipynb", ".hehu-page", own_host,
        intranet_site.log_tail,
    )  # fmt: skip
    print(f"{name}: content after {seconds:.1f} s")
    assert len(body.strip()) > 20, body
    assert attempted == []
    page_html = next(text for url, text in served.items() if f"/{name}.ipynb" in url)
    assert '"fullMathjaxUrl": null' in page_html  # so the cdnjs fallback above is never used
    named = {url: outside_urls(text, own_host) for url, text in served.items()}
    assert {url: found for url, found in named.items() if found} == {}


@pytest.mark.parametrize("path", ["", "voila/tree"])
def test_the_list_of_pages_shows_with_every_outside_request_hanging(intranet_site, browser, path):
    # Voila's own list at the server's root linked Font Awesome from cdn.jsdelivr.net outside
    # any template block (hehu/serve/jupyter/voila/templates/hehu/page.html leaves it out)
    own_host = urlsplit(intranet_site).hostname
    attempted, served, body, _ = load_with_outside_hanging(
        browser, f"{intranet_site}/{path}", "text=overview.ipynb", own_host,
        intranet_site.log_tail,
    )  # fmt: skip
    assert "overview" in body and attempted == []
    named = {url: outside_urls(text, own_host) for url, text in served.items()}
    assert {url: found for url, found in named.items() if found} == {}
