"""No secret on a page or in the terminal: a database password never leaves the server.

Tried as it happened: PostgreSQL down while a deputy opens the overview and the briefing (the
page used to print the whole URL, password included), and `hehu demo` printing where it loaded.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import ipywidgets as w
import pytest
from conftest import free_port

from hehu.errors import StoreUnavailable, shown_url
from widgets.pages.briefing import build_briefing_page
from widgets.pages.overview import build_overview_page

PASSWORD = "Zh4ng-S3cret!pw"


def down_url() -> str:
    """A PostgreSQL URL with a password, on a port where no server listens."""
    return f"postgresql+psycopg://hehu:{PASSWORD}@127.0.0.1:{free_port()}/hehu"


def page_text(widget) -> str:
    parts = [getattr(widget, "value", "") if isinstance(widget, w.HTML) else ""]
    for child in getattr(widget, "children", ()):
        parts.append(page_text(child))
    return "\n".join(p for p in parts if isinstance(p, str))


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("postgresql+psycopg://hehu:pw@db:5432/hehu", "postgresql+psycopg://hehu:***@db:5432/hehu"),
        ("postgresql://u:p%40ss@h/d and mysql://a:b@c/d", "postgresql://u:***@h/d and mysql://a:***@c/d"),
        ("postgresql://hehu@db/hehu", "postgresql://hehu@db/hehu"),  # no password, nothing to mask
        ("sqlite:////home/x/hehu.sqlite", "sqlite:////home/x/hehu.sqlite"),
    ],
)  # fmt: skip
def test_shown_url_masks_every_password(text, shown):
    assert shown_url(text) == shown


def test_the_error_itself_never_holds_the_password():
    error = StoreUnavailable(down_url(), f"connection to postgresql://hehu:{PASSWORD}@x failed")
    assert PASSWORD not in error.zh and PASSWORD not in error.en
    assert "hehu:***@127.0.0.1" in error.zh


@pytest.mark.parametrize("build", [build_overview_page, build_briefing_page])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_page_with_the_database_down_says_what_to_do_and_nothing_more(build, lang, monkeypatch):
    monkeypatch.setenv("HEHU_ROLE", "deputy")
    text = page_text(build(down_url(), params={"lang": lang}))
    assert PASSWORD not in text and "postgresql" not in text and "127.0.0.1" not in text
    assert ("请稍后刷新本页" in text) if lang == "zh" else ("Reload the page" in text)


def test_the_command_line_masks_the_password_of_a_database_it_cannot_reach(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "hehu.cli.main", "metrics", "--db", down_url(),
         "--place", "320826000000"],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "HEHU_HOME": str(tmp_path)},
    )  # fmt: skip
    assert done.returncode == 2
    assert PASSWORD not in done.stdout + done.stderr
    assert "hehu:***@127.0.0.1" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.postgres
def test_hehu_demo_prints_where_it_loaded_without_the_password(pg_url, tmp_path):
    # the test server trusts its user, so any password is accepted and must still be hidden
    with_password = re.sub(r"://(\w+)@", rf"://\1:{PASSWORD}@", pg_url)
    assert PASSWORD in with_password
    done = subprocess.run(
        [sys.executable, "-m", "hehu.cli.main", "demo", "--db", with_password],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "HEHU_HOME": str(tmp_path)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert PASSWORD not in done.stdout + done.stderr
    assert ":***@" in done.stdout
