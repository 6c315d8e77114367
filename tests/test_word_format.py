"""Word briefings on A4 in the layout of GB/T 9704-2012 (党政机关公文格式), read back with python-docx."""

from __future__ import annotations

import io

import docx
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from hehu.figures.metrics import Period
from hehu.oversight.briefing import build_briefing
from hehu.render.word import briefing_docx

GAOGOU = "320826101000"
HALF_MM = Mm(0.5)


@pytest.fixture(scope="module", params=["zh", "en"])
def document(request, demo_records):
    briefing = build_briefing(demo_records, GAOGOU, Period.year(2022), "presenter")
    data = briefing_docx(briefing, demo_records, request.param)
    return docx.Document(io.BytesIO(data))


def _rpr_chain(paragraph, run):
    """The run properties that decide how a run looks, nearest first: run, styles, defaults."""
    chain = [run._r.rPr]
    style = paragraph.style
    while style is not None:
        chain.append(style.element.rPr)
        style = style.base_style
    styles = paragraph.part.package.main_document_part.styles
    defaults = styles.element.find(qn("w:docDefaults"))
    chain.append(defaults.find(qn("w:rPrDefault")).find(qn("w:rPr")))
    return [rpr for rpr in chain if rpr is not None]


def _east_asian_font(paragraph, run) -> str | None:
    for rpr in _rpr_chain(paragraph, run):
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is not None and fonts.get(qn("w:eastAsiaTheme")) is not None:
            return None  # a theme font: whatever the theme says, not the official one
        if fonts is not None and fonts.get(qn("w:eastAsia")) is not None:
            return fonts.get(qn("w:eastAsia"))
    return None


def _size(paragraph, run):
    for rpr in _rpr_chain(paragraph, run):
        sz = rpr.find(qn("w:sz"))
        if sz is not None:
            return Pt(int(sz.get(qn("w:val"))) / 2)
    return None


def _paragraph(document, text: str):
    return next(p for p in document.paragraphs if text in p.text)


def test_page_is_a4_with_official_margins(document):
    for section in document.sections:
        assert abs(section.page_width - Mm(210)) <= HALF_MM, section.page_width.mm
        assert abs(section.page_height - Mm(297)) <= HALF_MM, section.page_height.mm
        for side, mm in (("top", 37), ("bottom", 35), ("left", 28), ("right", 26)):
            margin = getattr(section, f"{side}_margin")
            assert abs(margin - Mm(mm)) <= HALF_MM, (side, margin.mm)


def test_footer_has_official_page_number(document):
    footers = [document.sections[0].footer]
    if document.settings.odd_and_even_pages_header_footer:
        footers.append(document.sections[0].even_page_footer)
    for footer in footers:
        xml = footer._element.xml
        assert "PAGE" in "".join(
            [i.text or "" for i in footer._element.iter(qn("w:instrText"))]
            + [f.get(qn("w:instr")) or "" for f in footer._element.iter(qn("w:fldSimple"))]
        ), xml
        text = "".join(t.text or "" for t in footer._element.iter(qn("w:t")))
        assert text.startswith("— ") and text.endswith(" —"), text
        run = footer.paragraphs[0].runs[0]
        assert _east_asian_font(footer.paragraphs[0], run) == "宋体"
        assert _size(footer.paragraphs[0], run) == Pt(14)


def test_title_and_body_fonts(document):
    title = next(p for p in document.paragraphs if p.text.startswith("高沟镇 "))  # name, title
    assert title.runs and all(
        _east_asian_font(title, r) == "方正小标宋简体" and _size(title, r) == Pt(22)
        for r in title.runs
    ), [(_east_asian_font(title, r), _size(title, r)) for r in title.runs]
    centred = title.alignment or title.style.paragraph_format.alignment
    assert centred == WD_ALIGN_PARAGRAPH.CENTER

    body = _paragraph(document, GAOGOU)  # the line under the title: level · code · period
    assert body.runs
    for run in body.runs:
        assert _east_asian_font(body, run) == "仿宋_GB2312"
        assert _size(body, run) == Pt(16)
    spacing = body.style.paragraph_format
    assert spacing.line_spacing_rule == WD_LINE_SPACING.EXACTLY
    assert Pt(28) <= spacing.line_spacing <= Pt(29)

    headings = [p for p in document.paragraphs if p.style.name == "Heading 2"]
    assert headings
    for heading in headings:
        assert all(_east_asian_font(heading, r) == "黑体" for r in heading.runs)
        assert all(_size(heading, r) == Pt(16) for r in heading.runs)


def test_tables_fit_the_text_block(document):
    assert document.tables
    for table in document.tables:
        assert sum(c.width for c in table.columns) <= Mm(156) + HALF_MM
    for shape in document.inline_shapes:
        assert shape.width <= Mm(156)
