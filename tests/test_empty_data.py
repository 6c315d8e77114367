"""Any county, any amount of data: every page and command on a gazetteer alone, on a gazetteer
with one record kind, on a made-up county, and on the demo. None fails; where a page has nothing
to show it says so in Chinese; the places are credited to the source their gazetteer names."""

from __future__ import annotations

import re
import zipfile

import ipywidgets as w
import pandas as pd
import pytest
from hehu_fixtures import SMALL_PLACES, copy_sqlite

from hehu import i18n
from hehu.cli.main import main
from hehu.records.demo import REPORT_CLAIMS
from hehu.records.gazetteer import load_gazetteer, root_code
from hehu.records.schema import RECORD_TABLES, WORK_KINDS
from hehu.records.store import open_store
from widgets import explore
from widgets.kit.tracking import PAGE_KINDS
from widgets.pages.imports import build_import_page

# Each database: the record kinds kept from the demo (None: a gazetteer and nothing else).
# A kind keeps what it points at (a pairing its person, household and organisation).
KEPT: dict[str, set[str] | None] = {
    "gazetteer": None,
    "other_county": None,  # a made-up county, from a gazetteer file that names no source
    "orgs": {"org"},
    "households": {"household", "person"},
    "pairings": {"pairing", "contact", "person", "household", "org"},
    "courses": {"course", "org"},
    "visits": {"visit", "household", "org"},
    "screenings": {"screening", "household", "org"},  # a screening names its agency
    "cases": {"case", "org"},
    "events": {"event", "org"},
    "claims": {"claim", "target"},
    "inspections": {"inspection", "recommendation", "finding", "recommendation_update", "org"},
    "demo": set(RECORD_TABLES),
}

# Every page a notebook can show (the one table of them), and the import page, which takes none.
PAGES = {**explore.PAGES, "import": lambda url, params: build_import_page()}
# Staff see the same as deputies on these (the forum is always drawn for a presenter, the
# overview differs by a legend): built for deputies only, which keeps this file quick.
DEPUTY_ONLY = {"overview", "forum"}
STAFF_ONLY = {"audit", "import"}  # deputies are told the page is not theirs
CASES = [
    (db, page, role)
    for db in KEPT
    for page in PAGES
    for role in ("deputy", "staff")
    if not (role == "staff" and page in DEPUTY_ONLY)
]
CJK = re.compile(r"[\u4e00-\u9fff]")
LIANSHUI_CREDIT = "地名与代码：国家统计局 2023年统计用区划代码"
NEUTRAL_CREDIT = "区划：导入的地名表"


def kept(db: str) -> set[str]:
    return KEPT[db] or set()


@pytest.fixture(scope="module")
def databases(tmp_path_factory, demo_db_file) -> dict[str, str]:
    """One SQLite file per entry of KEPT, made once for the module; name -> URL."""
    folder = tmp_path_factory.mktemp("empty_data")
    urls = {}
    for name, kinds in KEPT.items():
        url = f"sqlite:///{folder / f'{name}.sqlite'}"
        if name == "gazetteer":
            store = open_store(url)
            load_gazetteer(store)
        elif name == "other_county":
            csv = folder / "other_county.csv"
            pd.DataFrame(SMALL_PLACES).drop(columns=["key_village", "children"]).to_csv(
                csv, index=False
            )
            store = open_store(url)
            load_gazetteer(store, csv)
        else:
            copy_sqlite(demo_db_file, folder / f"{name}.sqlite")
            store = open_store(url)
            if kinds != set(RECORD_TABLES):
                drop = [k for k in RECORD_TABLES if k != "place" and k not in kinds]
                store.write({}, replace=drop, meta_values={"demo": "0"})
        store.engine.dispose()
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


def marked(html: str, mark: str) -> list[str]:
    """The text of every element marked data-hehu=<mark>."""
    return re.findall(rf'data-hehu="{mark}"[^>]*>([^<]*)', html)


def expects_empty_notice(db: str, page: str) -> bool:
    """Whether a page has nothing of its own to show on a database (so must say so)."""
    if page in PAGE_KINDS:
        return not kept(db) & set(PAGE_KINDS[page])
    if page in ("overview", "briefing", "forum"):
        return not kept(db) & set(WORK_KINDS)
    return False


def build(page: str, url: str, role: str, monkeypatch, tmp_path, lang: str = "zh") -> str:
    monkeypatch.setenv("HEHU_ROLE", role)
    monkeypatch.setenv("HEHU_DB", url)
    monkeypatch.setenv("HEHU_HOME", str(tmp_path))
    monkeypatch.setenv("QUERY_STRING", f"lang={lang}")
    return widget_html(PAGES[page](url, {"lang": lang}))


@pytest.mark.parametrize(("db", "page", "role"), CASES)
def test_page_builds_and_says_when_it_has_nothing(db, page, role, databases, monkeypatch, tmp_path):
    html = build(page, databases[db], role, monkeypatch, tmp_path)
    errors = marked(html, "error")
    if page in STAFF_ONLY and role == "deputy":
        assert len(errors) == 1 and CJK.search(errors[0])  # not theirs, and it says so
        return
    assert not errors, errors  # not a failure page, and no error box inside one
    empty = marked(html, "empty")
    if expects_empty_notice(db, page):
        assert len(empty) == 1 and CJK.search(empty[0]), empty
    else:
        assert not empty, empty
    if page == "inspections" and "inspection" not in kept(db):
        assert i18n.t("no_inspections") in html
    if page == "claims" and not kept(db) & set(WORK_KINDS):
        assert "无相关记录" in html  # every figure of the report: nothing to check it against
    if page in ("overview", "briefing"):  # the places credited to their gazetteer's source
        credit = NEUTRAL_CREDIT if db == "other_county" else LIANSHUI_CREDIT
        assert credit in html
        assert db != "other_county" or "国家统计局" not in html


@pytest.mark.parametrize("page", list(PAGES))
def test_empty_pages_in_english(page, databases, monkeypatch, tmp_path):
    role = "staff" if page in STAFF_ONLY else "deputy"
    html = build(page, databases["gazetteer"], role, monkeypatch, tmp_path, lang="en")
    assert not marked(html, "error")
    for note in marked(html, "empty"):
        assert note.startswith("No ") and not CJK.search(note)
    if page in ("overview", "briefing"):
        assert "Places and codes: National Bureau of Statistics 2023 division codes" in html


def claims_file(tmp_path, db: str):
    """The 2022 report's claims, or for the made-up county the same figures about its own top."""
    if db != "other_county":
        return REPORT_CLAIMS
    claims = pd.read_csv(REPORT_CLAIMS, dtype=str)
    claims.iloc[:, 2] = SMALL_PLACES[0]["code"]
    path = tmp_path / "claims.csv"
    claims.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("db", list(KEPT))
def test_commands(db, databases, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HEHU_HOME", str(tmp_path))
    url = databases[db]
    root = root_code(open_store(url, create=False).read("place"))
    out_html, out_docx = tmp_path / "b.html", tmp_path / "b.docx"
    runs = {
        "metrics": ["metrics", "--db", url],
        "metrics --json": ["metrics", "--db", url, "--json"],
        "briefing": ["briefing", "--db", url, "--place", root, "--out", str(out_html)],
        "briefing docx": ["briefing", "--db", url, "--place", root, "--year", "2022",
                          "--format", "docx", "--out", str(out_docx)],
        "check-claims": ["check-claims", str(claims_file(tmp_path, db)), "--db", url],
        "warm": ["warm", "--db", url],
    }  # fmt: skip
    nothing = not kept(db) & set(WORK_KINDS)
    failed = {}
    for name, argv in runs.items():
        status = main(argv)
        out, err = capsys.readouterr()
        if status != 0 or "Traceback" in out + err:
            failed[name] = (status, out[-500:], err[-500:])
        # a command whose figures are all 0 for want of records says why, in Chinese first
        if name != "warm" and nothing != (i18n.t("empty_work_cli") in err):
            failed[name] = ("empty note", err[-500:])
    assert not failed, failed
    credit = NEUTRAL_CREDIT if db == "other_county" else LIANSHUI_CREDIT
    assert credit in out_html.read_text(encoding="utf-8")
    with zipfile.ZipFile(out_docx) as docx:
        assert credit in docx.read("word/document.xml").decode("utf-8")


def test_no_campaign_question_before_any_event_is_recorded(databases):
    from hehu.figures.metrics import Period, load_records
    from hehu.oversight.briefing import build_briefing, questions_to_ask

    def campaign_questions(db: str) -> list[str]:
        records = load_records(open_store(databases[db], create=False))
        briefing = build_briefing(records, records.root, Period.year(2022), "deputy")
        return [zh for zh, _en in questions_to_ask(briefing) if "普法活动记录" in zh]

    assert campaign_questions("gazetteer") == []  # nothing imported: nothing to ask about
    assert campaign_questions("courses") == []
    assert len(campaign_questions("events")) >= 1  # events recorded, some towns held none
