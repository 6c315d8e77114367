"""Any county, any amount of data: every page and command on a gazetteer alone, on a gazetteer
with one record kind, on a made-up county, and on the demo; none fails, and where there is
nothing to show the page says so in Chinese."""

from __future__ import annotations

import re
import shutil

import ipywidgets as w
import pandas as pd
import pytest
from hehu_fixtures import SMALL_PLACES

from hehu.cli.main import main
from hehu.records.demo import REPORT_CLAIMS
from hehu.records.gazetteer import load_gazetteer, root_code
from hehu.records.schema import RECORD_TABLES
from hehu.records.store import open_store
from widgets.pages.audit import build_audit_page
from widgets.pages.briefing import build_briefing_page
from widgets.pages.cases import build_cases_page
from widgets.pages.claims import build_claims_page
from widgets.pages.courses import build_courses_page
from widgets.pages.forum import build_forum_page
from widgets.pages.imports import build_import_page
from widgets.pages.inspections import build_inspections_page
from widgets.pages.overview import build_overview_page
from widgets.pages.pairings import build_pairings_page
from widgets.pages.visits import build_visits_page

# Each database: the record kinds kept from the demo (None: a gazetteer and nothing else).
# A kind keeps what it points at (a pairing its person, household and organisation).
KEPT: dict[str, set[str] | None] = {
    "gazetteer": None,
    "other_county": None,  # a made-up county from a gazetteer file without source metadata
    "orgs": {"org"},
    "households": {"household", "person"},
    "pairings": {"pairing", "contact", "person", "household", "org"},
    "courses": {"course", "org"},
    "visits": {"visit", "household", "org"},
    "screenings": {"screening", "household"},
    "cases": {"case", "org"},
    "events": {"event", "org"},
    "deliberations": {"deliberation"},
    "claims": {"claim", "target"},
    "inspections": {"inspection", "recommendation", "finding", "recommendation_update", "org"},
    "demo": set(RECORD_TABLES),
}
EMPTY = [k for k, kept in KEPT.items() if kept is None]

PAGES = {
    "overview": build_overview_page,
    "briefing": build_briefing_page,
    "pairings": build_pairings_page,
    "courses": build_courses_page,
    "visits": build_visits_page,
    "cases": build_cases_page,
    "claims": build_claims_page,
    "forum": build_forum_page,
    "inspections": build_inspections_page,
    "audit": build_audit_page,
    "import": lambda url, params: build_import_page(),
}
STAFF_ONLY = {"audit", "import"}
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def databases(tmp_path_factory, demo_db_file) -> dict[str, str]:
    """One SQLite file per entry of KEPT, made once for the module; name -> URL."""
    folder = tmp_path_factory.mktemp("empty_data")
    urls = {}
    for name, kept in KEPT.items():
        path = folder / f"{name}.sqlite"
        url = f"sqlite:///{path}"
        if name == "gazetteer":
            load_gazetteer(open_store(url))
        elif name == "other_county":
            csv = folder / "other_county.csv"
            pd.DataFrame(SMALL_PLACES).drop(columns=["key_village", "children"]).to_csv(
                csv, index=False
            )
            load_gazetteer(open_store(url), csv)
        else:
            shutil.copy(demo_db_file, path)
            if kept != set(RECORD_TABLES):
                drop = [k for k in RECORD_TABLES if k != "place" and k not in kept]
                open_store(url).write({}, replace=drop, meta_values={"demo": "0"})
        open_store(url).engine.dispose()
        urls[name] = url
    return urls


def widget_html(widget: w.Widget) -> str:
    """Every piece of HTML and text a widget tree shows, joined."""
    parts = []
    if isinstance(widget, w.HTML | w.HTMLMath | w.Label):
        parts.append(widget.value)
    for child in getattr(widget, "children", ()):
        parts.append(widget_html(child))
    return "\n".join(parts)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize("role", ["deputy", "staff"])
@pytest.mark.parametrize("page", list(PAGES))
@pytest.mark.parametrize("db", list(KEPT))
def test_page_builds(db, page, role, databases, monkeypatch, tmp_path):
    monkeypatch.setenv("HEHU_ROLE", role)
    monkeypatch.setenv("HEHU_DB", databases[db])
    monkeypatch.setenv("HEHU_HOME", str(tmp_path))
    monkeypatch.delenv("QUERY_STRING", raising=False)
    box = PAGES[page](databases[db], {})
    html = widget_html(box)
    errors = re.findall(r'data-hehu="error"[^>]*>([^<]*)', html)
    if page in STAFF_ONLY and role == "deputy":
        assert len(errors) == 1  # the page is not theirs, and says so
        return
    assert not errors, errors
    assert CJK.search(text_of(html))


def root_of(url: str) -> str:
    return root_code(open_store(url, create=False).read("place"))


@pytest.mark.parametrize("db", list(KEPT))
def test_commands(db, databases, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HEHU_HOME", str(tmp_path))
    url, root = databases[db], root_of(databases[db])
    runs = {
        "metrics": ["metrics", "--db", url],
        "metrics-json": ["metrics", "--db", url, "--json"],
        "briefing-html": ["briefing", "--db", url, "--place", root, "--out", str(tmp_path / "b.html")],
        "briefing-docx": [
            "briefing", "--db", url, "--place", root, "--format", "docx",
            "--out", str(tmp_path / "b.docx"),
        ],
        "briefing-year": ["briefing", "--db", url, "--place", root, "--year", "2022",
                          "--out", str(tmp_path / "y.html")],
        "check-claims": ["check-claims", str(REPORT_CLAIMS), "--db", url],
        "warm": ["warm", "--db", url],
    }  # fmt: skip
    for name, argv in runs.items():
        status = main(argv)
        out, err = capsys.readouterr()
        assert status == 0, (name, out, err)
        assert "Traceback" not in out + err, name
