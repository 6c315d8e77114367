"""Everything the source names is shown: every organisation, programme, campaign, law, group and
figure of the 2022 report, listed in tests/data/source_inventory.toml, appears on some page built
on the demo, to a deputy unless the list says otherwise; every figure is checked 相符."""

from __future__ import annotations

import html
import re
import tomllib
from pathlib import Path

import ipywidgets as w
import pytest

from widgets.pages.briefing import build_briefing_page
from widgets.pages.cases import build_cases_page
from widgets.pages.claims import build_claims_page
from widgets.pages.courses import build_courses_page
from widgets.pages.forum import build_forum_page
from widgets.pages.inspections import build_inspections_page
from widgets.pages.overview import build_overview_page
from widgets.pages.pairings import build_pairings_page
from widgets.pages.visits import build_visits_page

INVENTORY = tomllib.loads(
    (Path(__file__).parent / "data" / "source_inventory.toml").read_text(encoding="utf-8")
)
# The pages a deputy opens (the audit and import pages are staff's).
PAGES = {
    "overview": build_overview_page,
    "briefing": build_briefing_page,
    "cases": build_cases_page,
    "claims": build_claims_page,
    "courses": build_courses_page,
    "forum": build_forum_page,
    "inspections": build_inspections_page,
    "pairings": build_pairings_page,
    "visits": build_visits_page,
}


def page_text(root: w.Widget) -> str:
    """What a page shows as text: every HTML and label, tab and accordion titles, picker choices."""
    parts, stack = [], [root]
    while stack:
        widget = stack.pop()
        stack.extend(reversed(list(getattr(widget, "children", ()) or ())))
        parts.extend(str(t) for t in getattr(widget, "titles", ()) or ())
        if isinstance(widget, (w.HTML, w.HTMLMath, w.Label, w.Text, w.Textarea)):
            value = re.sub(r"<style>.*?</style>", "", str(widget.value or ""), flags=re.S)
            parts.append(html.unescape(value))  # a map's srcdoc is escaped twice
        elif isinstance(widget, w.Button):
            parts.append(widget.description)
        if hasattr(widget, "_options_labels"):
            parts.append(" | ".join(map(str, widget._options_labels)))
    text = html.unescape(re.sub(r"<[^>]+>", " ", "\n".join(parts)))
    return re.sub(r"\s+", " ", text)


@pytest.fixture(scope="module")
def shown(demo_url) -> dict[str, dict[str, str]]:
    """Each role's text of each page, built once on the demo."""
    texts: dict[str, dict[str, str]] = {}
    with pytest.MonkeyPatch.context() as patch:
        for role in ("deputy", "staff"):
            patch.setenv("HEHU_ROLE", role)
            texts[role] = {name: page_text(build(demo_url, {})) for name, build in PAGES.items()}
    return texts


def test_the_inventory_names_every_kind_of_thing_the_source_does():
    kinds = {item["kind"] for item in INVENTORY["item"]}
    assert kinds == {
        "organisation", "programme", "campaign", "law", "group", "inspection"
    }  # fmt: skip
    assert len(INVENTORY["item"]) >= 50 and len(INVENTORY["figure"]) == 9
    source = (Path(__file__).parent / "data" / "lianshui_2022_report.zh-Hans.txt").read_text(
        encoding="utf-8"
    )
    same = str.maketrans("，：（）", ",:()")  # the text file keeps the report's ASCII commas
    for item in INVENTORY["item"]:  # each quote is the report's own words
        for quote in re.split(r"……", item.get("source", "")):
            assert quote.translate(same) in source.translate(same), quote


def test_every_item_of_the_source_is_shown_on_some_page(shown):
    missing = []
    for item in INVENTORY["item"]:
        role = item.get("role", "deputy")
        pages = [item["page"]] if "page" in item else list(PAGES)
        if not any(item["shown"] in shown[role][page] for page in pages):
            missing.append(f"{item['kind']} {item['shown']} ({role}, {'/'.join(pages)})")
    assert not missing, "not shown on any page:\n" + "\n".join(missing)


@pytest.mark.parametrize("figure", INVENTORY["figure"], ids=lambda f: f["metric"])
def test_every_figure_of_the_source_is_checked_against_the_records(shown, figure):
    value = re.escape(figure["value"])
    row = rf"{figure['metric']} 涟水县 \S+ 至 \S+ {value} {value} 0 ✓ 相符"
    assert re.search(row, shown["deputy"]["claims"]), figure
