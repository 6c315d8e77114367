"""One language at a time, in the words of 人大 and 妇联 documents.

The glossary (hehu/glossary.toml) is applied to every interface text: each (Chinese, English)
pair held at module level anywhere in hehu/ and widgets/. Then every page is built in English on
the demo and every word it shows is read: nothing Chinese may remain but the names of places and
organisations (and the names of the people's own documents the page quotes).
"""

from __future__ import annotations

import importlib
import io
import pkgutil
import re
import tomllib
from html import unescape
from pathlib import Path

import docx
import ipywidgets as w
import pytest

import hehu
import widgets
from widgets.pages.claims import EXAMPLE_CLAIMS
from widgets.pages.inspections import DEFAULT_COMMITTEE

REPO = Path(__file__).resolve().parents[1]
GLOSSARY = tomllib.loads((REPO / "hehu" / "glossary.toml").read_text(encoding="utf-8"))["term"]
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff01-\uff5e]+")
TAG = re.compile(r"<style.*?</style>|<script.*?</script>|<[^>]+>", re.S)


def interface_texts() -> list[tuple[str, str, str]]:
    """(where, Chinese, English) for every text pair held at module level in hehu/ and widgets/."""
    found = []
    for package in (hehu, widgets):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if info.name.startswith(("hehu.cli.__main__", "hehu.serve.warmer")):
                continue
            module = importlib.import_module(info.name)
            for name, value in vars(module).items():
                if not isinstance(value, dict) or getattr(value, "__module__", None):
                    continue
                for key, pair in value.items():
                    if (
                        isinstance(pair, tuple)
                        and len(pair) >= 2
                        and isinstance(pair[0], str)
                        and isinstance(pair[1], str)
                        and CJK.search(pair[0])
                    ):
                        found.append((f"{info.name}.{name}[{key!r}]", pair[0], pair[1]))
    return sorted(set(found))


TEXTS = interface_texts()


def test_every_module_with_interface_text_is_read():
    where = {w.split("[")[0] for w, _, _ in TEXTS}
    for expected in (
        "hehu.i18n.TEXT",
        "hehu.i18n.AUDIT_TEXT",
        "hehu.records.vocab.METRICS",
        "widgets.kit.texts.TEXT",
        "widgets.pages.inspections.TEXT",
        "widgets.pages.imports.TEXT",
    ):
        assert expected in where
    assert len(TEXTS) > 400


@pytest.mark.parametrize("term", GLOSSARY, ids=[t["use"] for t in GLOSSARY])
def test_no_interface_text_uses_a_word_to_avoid(term):
    used = [(where, zh) for where, zh, _ in TEXTS for bad in term["avoid"] if bad in zh]
    assert used == [], f"use {term['use']}: {term['why']}"


def test_the_glossary_catches_what_it_names():
    # the test above must be able to fail: the old label of the inspections page
    assert any("视察组织" in t["avoid"] for t in GLOSSARY)
    assert (
        dict(
            (w.split("[")[1].strip("]'"), zh) for w, zh, _ in TEXTS if "inspections.TEXT" in w
        ).get("orgs")
        != "视察组织（可多选）"
    )


def test_english_texts_hold_no_chinese():
    chinese = [(where, en) for where, _, en in TEXTS if CJK.search(en)]
    assert chinese == []


# ----------------------------------------------------------------------------- pages in English


def visible_text(widget) -> list[str]:
    """Every text a widget tree shows: HTML and labels, descriptions, options, placeholders."""
    texts = []
    if isinstance(widget, (w.HTML, w.HTMLMath, w.Label)):
        texts.append(unescape(TAG.sub(" ", widget.value)))
    if isinstance(widget, w.Text | w.Textarea):
        texts.append(widget.placeholder)
    description = getattr(widget, "description", "")
    if description:
        texts.append(description)
    if isinstance(widget, w.Button):
        texts.append(widget.tooltip or "")
    labels = getattr(widget, "_options_labels", None)
    if labels:
        texts += list(labels)
    for child in getattr(widget, "children", ()):
        texts += visible_text(child)
    return texts


PAGES = [
    "overview",
    "briefing",
    "pairings",
    "courses",
    "visits",
    "cases",
    "claims",
    "forum",
    "inspections",
    "cycle",
    "audit",
]


@pytest.fixture(scope="module")
def allowed(demo_records) -> tuple[str, str]:
    """What may stay Chinese on an English page: names of places and organisations, and what
    people wrote (each as a block of text, searched for a run of Chinese characters)."""
    places = demo_records.places
    names = set(places["name"]) | set(places["short_name"].dropna())
    names |= set(demo_records["org"]["name"]) | {DEFAULT_COMMITTEE}
    found: set[str] = set()
    # What people wrote, shown as they wrote it: a work report's sentences, targets' sources,
    # findings and recommendations, the committees that inspected.
    for kind, columns in {
        "claim": ("document", "source", "label", "text", "quote"),
        "target": ("source", "label", "note"),
        "finding": ("text",),
        "recommendation": ("text", "response"),
        "inspection": ("committee", "summary"),
        # the names people gave their deliberation brands, topics and WeChat columns
        "deliberation": ("text", "title", "brand", "topic"),
        "event": ("column_name",),
    }.items():
        frame = demo_records[kind]
        for column in columns:
            if column in frame:
                found |= set(frame[column].dropna().astype(str))
    # the source report the claims page offers to check, quoted as it was published
    found.add(EXAMPLE_CLAIMS.read_text(encoding="utf-8"))
    return "\n".join(names), "\n".join(found)


@pytest.mark.parametrize("name", PAGES)
def test_an_english_page_shows_no_chinese_but_names(name, demo_url, allowed, monkeypatch):
    monkeypatch.setenv("HEHU_ROLE", "staff")
    module = importlib.import_module(f"widgets.pages.{name}")
    build = getattr(module, f"build_{name}_page")
    page = build(demo_url, params={"lang": "en"})
    # the place picker indents by ideographic spaces: layout, not words
    text = "\n".join(visible_text(page)).replace("\u3000", " ")
    left = chinese_left(text, allowed)
    assert left == [], f"{name}: {left[:40]}"


def chinese_left(text: str, allowed: tuple[str, str]) -> list[str]:
    """The runs of Chinese in an English text that are neither names nor what people wrote."""
    names, written = allowed
    # A run of Chinese is a name (or part of one, as 高沟 of 高沟镇), a whole run of what someone
    # wrote ("万人次" of "1.8 万人次"), or four characters or more of it; else it is ours.
    whole_runs = set(CJK.findall(written))
    return sorted(
        run
        for run in set(CJK.findall(text))
        if run not in names and run not in whole_runs and not (len(run) >= 4 and run in written)
    )


def test_an_english_pack_and_word_briefing_show_no_chinese_but_names(
    demo_db_copy, demo_records, allowed
):
    from hehu.figures.metrics import Period
    from hehu.records.store import open_store
    from hehu.render.packs import make_pack

    store = open_store(demo_db_copy, create=False)  # a pack writes to the audit log
    codes = ["320826000000", "320826101000"]
    pack = make_pack(store, demo_records, codes, Period.year(2022), "html", "en")
    assert chinese_left(unescape(TAG.sub(" ", pack.decode("utf-8"))), allowed) == []
    word = make_pack(store, demo_records, codes[1:], Period.year(2022), "docx", "en")
    document = docx.Document(io.BytesIO(word))
    text = "\n".join(p.text for p in document.paragraphs) + "\n".join(
        cell.text for table in document.tables for row in table.rows for cell in row.cells
    )
    assert "Gaogou" in text or "高沟镇" in text
    assert chinese_left(text, allowed) == []
