"""Serving safely: no database, key or source through any URL Voila serves; the role is the server's."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
from hehu_fixtures import copy_sqlite

from widgets.pages.overview import build_overview_page


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.fixture(scope="module")
def served(voila_server, demo_db_file, tmp_path_factory):
    home = tmp_path_factory.mktemp("hehu-home")
    db = home / "hehu.sqlite"
    copy_sqlite(demo_db_file, db)
    (home / "pseudonym.key").write_bytes(b"SECRET-KEY-BYTES-0123456789")
    url = voila_server(
        {"HEHU_DB": f"sqlite:///{db}", "HEHU_HOME": str(home), "HEHU_ROLE": "deputy"}
    )
    return url, home


@pytest.mark.browser
def test_no_url_serves_the_database_or_the_key(served):
    url, home = served
    secrets = [b"SQLite format 3", b"SECRET-KEY-BYTES"]
    paths = [
        "/voila/files/hehu.sqlite",
        "/voila/files/../hehu.sqlite",
        f"/voila/files/{home}/hehu.sqlite",
        f"/voila/files/{home}/pseudonym.key",
        f"/files/{home}/hehu.sqlite",
        "/files/../hehu.sqlite",
        f"/voila/files/%2e%2e/%2e%2e{home}/pseudonym.key",
        "/voila/tree",
        f"/voila/tree{home}",
        "/api/contents",
    ]
    for path in paths:
        status, body = fetch(url + path)
        assert not any(s in body for s in secrets), path
        if path.startswith("/voila/tree"):
            assert b"hehu.sqlite" not in body


@pytest.mark.browser
def test_pages_carry_no_source_code_and_no_traceback(served):
    url, _ = served
    status, body = fetch(url + "/voila/render/overview.ipynb")
    assert status == 200
    assert b"build_overview_page" not in body and b"from widgets" not in body
    status, body = fetch(url + "/voila/render/briefing.ipynb?place=%27%3Bdrop")
    assert b"Traceback" not in body


@pytest.mark.browser
def test_a_page_s_address_cannot_change_its_template_or_write_into_its_markup(served):
    """?theme= reached Voila's page unescaped (a script running with the session of whoever
    opens a crafted link), ?template=lab brought back the CDN addresses, and two requests for
    an unknown template never finished and held both render slots: every page refused."""
    url, _ = served
    page = url + "/voila/render/overview.ipynb"
    status, body = fetch(page + "?theme=%22%3E%3Cscript%3Ealert(1)%3C/script%3E")
    assert status == 200 and b"alert(1)" not in body
    assert b'data-jp-theme-name="JupyterLab Light"' in body
    for template in ("lab", "classic", "reveal"):
        status, body = fetch(f"{page}?template={template}")
        assert status == 200 and b"jp-Notebook" in body, template
        assert b"cdn.jsdelivr.net" not in body and b"cdnjs.cloudflare.com" not in body, template
    for template in ("nope0", "nope1", "..%2F.."):
        status, body = fetch(f"{page}?template={template}")
        assert status == 200 and b"jp-Notebook" in body, template
    status, body = fetch(page)  # no render slot left behind
    assert status == 200 and "很多人正同时打开页面".encode() not in body


def test_the_url_cannot_raise_the_role(demo_url, monkeypatch):
    monkeypatch.setenv("HEHU_ROLE", "deputy")
    page = build_overview_page(demo_url, params={"role": "staff", "lang": "zh"})
    assert page.state.role == "deputy"
    assert "人大代表（仅汇总数据）" in page.children[0].value
    assert "&lt;5" in page.view.table_widget.value  # still suppressed
