"""A place's briefing as a Word document and its map as a picture: for offices that draft in Word.

Word files are laid out as GB/T 9704-2012 (党政机关公文格式) lays out official documents: A4,
margins top 37 mm, bottom 35 mm, inside 28 mm, outside 26 mm (a 156 × 225 mm text block, mirrored
for printing on both sides), body lines at a fixed 28 pt, and the page number "— 1 —" under the
text block, right on odd pages and left on even ones, one character in from the edge of the block.
"""

from __future__ import annotations

import io
import math
import zipfile
from dataclasses import dataclass

import pandas as pd

from hehu.figures.metrics import PROTECTION_METRICS, Records
from hehu.i18n import colon, metric_label, t
from hehu.oversight.briefing import HEADLINE_METRICS, Briefing
from hehu.records import vocab
from hehu.records.gazetteer import source_credit
from hehu.render.formatting import finding_rows, format_change, format_value, units_text

CJK_FONTS = ["Noto Sans CJK SC", "WenQuanYi Micro Hei", "Microsoft YaHei", "SimHei", "DejaVu Sans"]


@dataclass(frozen=True)
class OfficialFont:
    """The font of one role in a Word document, its size, and what stands in where it is missing."""

    name: str
    fallbacks: tuple[str, ...]
    size: float  # points: 2号 22, 3号 16, 4号 14


# Every font choice of the Word documents (GB/T 9704-2012, 7.3 and 7.5). A .docx only names its
# fonts, it does not embed them: where the official font is not installed (the GB2312 fonts and
# 方正小标宋简体 come with government PCs, not with every Windows), the program opening the file
# substitutes. Each font is entered in the file's font table with its fallbacks as alternative
# names (w:altName) and the GB2312 character set, which Word uses to choose the substitute:
#   方正小标宋简体 -> 小标宋, then SimSun (宋体);   仿宋_GB2312 -> 仿宋, then FangSong;
#   黑体 -> SimHei;   楷体_GB2312 -> 楷体, then KaiTi;   宋体 -> SimSun;
# failing those, any font with Chinese characters (LibreOffice on Linux takes what fontconfig
# offers, e.g. WenQuanYi Micro Hei, the only Chinese font on the server). A role's font is set
# for Chinese (w:eastAsia) and for Latin letters and digits (w:ascii, w:hAnsi) alike, so English
# briefings are in the same fonts.
OFFICIAL_FONTS: dict[str, OfficialFont] = {
    "title": OfficialFont("方正小标宋简体", ("小标宋", "SimSun"), 22),  # 2号, centred
    "heading1": OfficialFont("黑体", ("SimHei",), 16),  # 一级标题, 3号
    "heading2": OfficialFont("楷体_GB2312", ("楷体", "KaiTi"), 16),  # 二级标题, 3号
    "body": OfficialFont("仿宋_GB2312", ("仿宋", "FangSong"), 16),  # 正文, 3号
    "table": OfficialFont("仿宋_GB2312", ("仿宋", "FangSong"), 14),  # table cells, 4号
    "page_number": OfficialFont("宋体", ("SimSun",), 14),  # 4号半角宋体 digits
}
# Which paragraph style plays which role: the briefing's title is a "Heading 1" and its sections
# "Heading 2" (tools that read the file back rely on these names), so they take the title's and
# the level-1 headings' fonts; "Heading 3" is a level-2 heading.
STYLE_ROLES = {
    "Normal": "body",
    "Heading 1": "title",
    "Heading 2": "heading1",
    "Heading 3": "heading2",
}
TABLE_TEXT_STYLE = "Table Text"

PAGE_MM = (210, 297)  # A4
MARGINS_MM = {"top": 37, "bottom": 35, "left": 28, "right": 26}  # left is inside, right outside
TEXT_WIDTH_MM = PAGE_MM[0] - MARGINS_MM["left"] - MARGINS_MM["right"]  # 156
LINE_PT = 28  # 固定值 28磅: 22 lines on a 225 mm text block
PAGE_NUMBER_GAP_MM = 7  # from the text block's lower edge to the page number's line


def static_map_png(records: Records, highlight: str | None = None, width_px: int = 900) -> bytes:
    """The county's townships and key villages as a PNG (no tiles, no network): for Word and print."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["font.sans-serif"] = CJK_FONTS
    plt.rcParams["axes.unicode_minus"] = False
    places = records.places[records.places["lat"].notna()]
    towns = places[places["level"].isin(vocab.TOWNSHIP_LEVELS)]
    keys = places[places["key_village"].astype(bool)]
    fig, ax = plt.subplots(figsize=(width_px / 100, width_px / 100 * 0.75), dpi=100)
    ax.scatter(
        keys["lon"],
        keys["lat"],
        s=14,
        facecolors="none",
        edgecolors="#21918c",
        linewidths=1,
        label="重点帮促村（近似位置）",
    )
    uncertain = towns["coord_quality"].isin(vocab.UNCERTAIN_COORDS)
    ax.scatter(
        towns.loc[~uncertain, "lon"],
        towns.loc[~uncertain, "lat"],
        s=60,
        c="#3b528b",
        label="镇街（有出处）",
    )
    ax.scatter(
        towns.loc[uncertain, "lon"],
        towns.loc[uncertain, "lat"],
        s=60,
        facecolors="none",
        edgecolors="#3b528b",
        linestyle="--",
        label="镇街（示意位置）",
    )
    for row in towns.itertuples():
        ax.annotate(
            row.short_name,
            (row.lon, row.lat),
            xytext=(4, 4),
            textcoords="offset points",
            fontsize=9,
        )
    if highlight is not None:
        under = set(records.ancestors.loc[records.ancestors["ancestor"] == highlight, "code"])
        chosen = places[
            places["code"].isin(under)
            & (places["level"].isin(vocab.TOWNSHIP_LEVELS) | places["key_village"].astype(bool))
        ]
        ax.scatter(
            chosen["lon"],
            chosen["lat"],
            s=160,
            facecolors="none",
            edgecolors="#d62728",
            linewidths=2,
            label="本简报地点",
        )
    # degrees of longitude shrink with latitude: keep the map's shape true
    ax.set_aspect(1 / max(0.2, math.cos(math.radians(float(places["lat"].mean())))))
    ax.set_xticks([])
    ax.set_yticks([])
    ax.legend(loc="lower left", fontsize=8, frameon=True)
    ax.set_title("示意图：位置多为示意或近似，非实测", fontsize=10)
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def _set_font(owner, role: str) -> None:
    """Give a style or a run the font and size of a role, for Chinese and Latin alike (python-docx's
    font.name sets only the Latin one, and theme fonts would override both)."""
    from docx.oxml.ns import qn
    from docx.shared import Pt

    font = OFFICIAL_FONTS[role]
    fonts = owner.element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        fonts.attrib.pop(qn(f"w:{attr}"), None)
    for attr in ("ascii", "hAnsi", "eastAsia", "cs"):
        fonts.set(qn(f"w:{attr}"), font.name)
    owner.font.size = Pt(font.size)


def _official_styles(doc) -> None:
    """Fonts, sizes and fixed line spacing of the styles the documents use (see OFFICIAL_FONTS)."""
    from docx.enum.style import WD_STYLE_TYPE
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.oxml.ns import qn
    from docx.shared import Pt

    defaults = doc.styles.element.find(qn("w:docDefaults"))
    for lang in defaults.iter(qn("w:lang")):
        lang.set(qn("w:eastAsia"), "zh-CN")  # Chinese text is laid out as Chinese
    for name, role in STYLE_ROLES.items():
        style = doc.styles[name]
        _set_font(style, role)
        style.font.bold = False
        style.font.color.rgb = None  # black, not the template's theme blue
        layout = style.paragraph_format
        layout.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        layout.line_spacing = Pt(LINE_PT)
        layout.space_before = Pt(0)
        layout.space_after = Pt(0)
    title = doc.styles["Heading 1"].paragraph_format
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.space_after = Pt(LINE_PT)  # one empty line between the title and what follows
    cells = doc.styles.add_style(TABLE_TEXT_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    cells.base_style = doc.styles["Normal"]
    _set_font(cells, "table")
    cells.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE


def _a4_page(doc) -> None:
    """A4, the official margins mirrored for both-sided printing, and the page numbers."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    settings = doc.settings
    settings.odd_and_even_pages_header_footer = True
    if settings.element.find(qn("w:mirrorMargins")) is None:
        mirror = OxmlElement("w:mirrorMargins")  # left and right become inside and outside
        zoom = settings.element.find(qn("w:zoom"))
        if zoom is not None:
            zoom.addnext(mirror)
        else:
            settings.element.insert(0, mirror)
    for section in doc.sections:
        section.page_width, section.page_height = Mm(PAGE_MM[0]), Mm(PAGE_MM[1])
        for side, mm in MARGINS_MM.items():
            setattr(section, f"{side}_margin", Mm(mm))
        section.gutter = Mm(0)
        # the page number's line starts PAGE_NUMBER_GAP_MM under the text block
        gap = Mm(MARGINS_MM["bottom"] - PAGE_NUMBER_GAP_MM)
        section.footer_distance = gap - Pt(OFFICIAL_FONTS["page_number"].size)
        _page_number(section.footer.paragraphs[0], odd=True)
        _page_number(section.even_page_footer.paragraphs[0], odd=False)


def _page_number(paragraph, odd: bool) -> None:
    """ "— 7 —" in 4号 宋体 with a PAGE field: odd pages right, even pages left, one character in."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    size = Pt(OFFICIAL_FONTS["page_number"].size)
    layout = paragraph.paragraph_format
    layout.alignment = WD_ALIGN_PARAGRAPH.RIGHT if odd else WD_ALIGN_PARAGRAPH.LEFT
    layout.right_indent, layout.left_indent = (size, 0) if odd else (0, size)
    layout.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    layout.line_spacing = size
    layout.space_before = layout.space_after = Pt(0)

    def run(text: str | None = None, field: str | None = None, instr: str | None = None):
        r = paragraph.add_run(text)
        _set_font(r, "page_number")
        if field is not None:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), field)
            r.element.append(char)
        if instr is not None:
            code = OxmlElement("w:instrText")
            code.set(qn("xml:space"), "preserve")
            code.text = instr
            r.element.append(code)

    run("— ")
    run(field="begin")
    run(instr=" PAGE ")
    run(field="separate")
    run("1")  # what shows until the field is updated
    run(field="end")
    run(" —")


def fit_table(table, widths_mm: list[float]) -> None:
    """Fixed column widths that fill the text block, and the table's text style on every cell."""
    from docx.shared import Mm

    scale = TEXT_WIDTH_MM / sum(widths_mm)
    table.autofit = False
    for column, mm in zip(table.columns, widths_mm, strict=True):
        column.width = Mm(mm * scale)
        for cell in column.cells:
            cell.width = Mm(mm * scale)
            for paragraph in cell.paragraphs:
                paragraph.style = TABLE_TEXT_STYLE


def _font_table_fallbacks(data: bytes) -> bytes:
    """The .docx with every official font in its font table: its fallbacks as alternative names
    and the GB2312 character set, which Word uses to pick a substitute for a missing font."""
    from docx.oxml import parse_xml
    from docx.oxml.ns import qn
    from lxml import etree

    source = zipfile.ZipFile(io.BytesIO(data))
    name = "word/fontTable.xml"
    table = parse_xml(source.read(name))
    present = {f.get(qn("w:name")) for f in table.iter(qn("w:font"))}
    for font in {f.name: f for f in OFFICIAL_FONTS.values()}.values():
        if font.name in present:
            continue
        entry = etree.SubElement(table, qn("w:font"))
        entry.set(qn("w:name"), font.name)
        for tag, value in (
            ("w:altName", ",".join(font.fallbacks)),
            ("w:charset", "86"),  # GB2312
            ("w:family", "auto"),
            ("w:pitch", "variable"),
        ):
            etree.SubElement(entry, qn(tag)).set(qn("w:val"), value)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():  # same order: [Content_Types].xml stays first
            body = source.read(info.filename)
            if info.filename == name:
                body = etree.tostring(
                    table, xml_declaration=True, encoding="UTF-8", standalone=True
                )
            target.writestr(info, body)
    return out.getvalue()


def official_document():
    """An empty Word document laid out as GB/T 9704-2012 asks (see the module's docstring)."""
    from docx import Document

    doc = Document()
    _official_styles(doc)
    _a4_page(doc)
    return doc


def save_official(doc) -> bytes:
    """The document as .docx bytes, with the fonts' fallbacks named in its font table."""
    buf = io.BytesIO()
    doc.save(buf)
    return _font_table_fallbacks(buf.getvalue())


def briefing_docx(b: Briefing, records: Records, lang: str = "zh") -> bytes:
    """The briefing as a .docx: headline figures, questions, key villages, recommendations, map
    (figures as disclosed to the role the briefing was built for), in the official layout."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.shared import Mm

    zh = lang != "en"
    doc = official_document()
    if records.is_demo:
        doc.add_paragraph(t("demo_banner", lang))
    doc.add_heading(f"{b.name} {t('briefing_title', lang)}", level=1)
    doc.add_paragraph(
        f"{vocab.label(vocab.LEVELS, b.level, lang)} · {b.code} · {t('period', lang)}{colon(lang)}{b.period.label(lang)}"
    )
    if b.questions:
        doc.add_heading(t("questions", lang), level=2)
        for q in b.questions:
            doc.add_paragraph(q[0] if zh else q[1], style="List Number")
    doc.add_heading(t("headline", lang), level=2)
    since = b.since
    if since is not None:
        key = "compared_with" if since.figures is not None else "not_compared"
        doc.add_paragraph(t(key, lang, period=since.period.label(lang)))
    compared = since is not None and since.figures is not None
    heads = [t("metric", lang), "数值" if zh else "Value"]
    if compared:
        heads += [t("previous_value", lang), t("change", lang)]
    heads.append(t("target", lang))
    table = doc.add_table(rows=1, cols=len(heads))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, heads, strict=True):
        cell.text = text
    for m in HEADLINE_METRICS:
        cells = table.add_row().cells
        target = b.targets.get(m)
        texts = [metric_label(m, lang), str(format_value(b.metrics.get(m), m))]
        if compared:
            texts += [
                str(format_value(since.figures.get(m), m)),
                format_change(since.changes.get(m), m, lang),
            ]
        texts.append(f"{format_value(target[0], m)}（{target[1]}）" if target else "")
        for cell, text in zip(cells, texts, strict=True):
            cell.text = text
    fit_table(table, [52, 26, 26, 30, 40] if compared else [60, 36, 60])
    if len(b.key_villages):
        doc.add_heading(t("key_villages_here", lang), level=2)
        kv = doc.add_table(rows=1, cols=4)
        kv.style = "Table Grid"
        for cell, text in zip(
            kv.rows[0].cells,
            ["村", "所属镇街", "课程场次", "未结对留守儿童"]
            if zh
            else ["Village", "Town", "Sessions", "Unpaired"],
            strict=True,
        ):
            cell.text = text
        for r in b.key_villages.to_dict("records"):
            cells = kv.add_row().cells
            cells[0].text = r["name"]
            cells[1].text = r["town"] or ""
            cells[2].text = str(r["course_sessions"])
            cells[3].text = str(format_value(r["unpaired_left_behind"], "left_behind_children"))
        fit_table(kv, [40, 40, 32, 44])
    doc.add_heading(t("protection_measures", lang), level=2)
    doc.add_paragraph(
        ("，" if zh else ", ").join(
            f"{metric_label(m, lang)} {format_value(b.metrics.get(m), m)}"
            for m in PROTECTION_METRICS
        )
        + ("。" if zh else ".")
    )
    doc.add_heading(t("findings_open", lang), level=2)
    if b.findings.empty:
        doc.add_paragraph(t("none", lang))
    for inspection, place, text in finding_rows(b.findings):
        doc.add_paragraph(f"{text} —— {inspection} · {place}", style="List Bullet")
    doc.add_heading(t("recommendations", lang), level=2)
    if b.recommendations.empty:
        doc.add_paragraph(t("none", lang))
    for r in b.recommendations.to_dict("records"):
        status = vocab.label(vocab.REC_STATUSES, r["status"], lang)
        due = "" if pd.isna(r["due_date"]) else f"{r['due_date']:%Y-%m-%d}"
        overdue = ("（逾期）" if zh else " (overdue)") if r["overdue"] else ""
        units = units_text(r["units"], lang)
        doc.add_paragraph(
            f"{r['text']} —— {status}{overdue} {due} {r['response'] or ''}"
            + (f"（{units}）" if units and zh else f" ({units})" if units else ""),
            style="List Bullet",
        )
    doc.add_heading("地图" if zh else "Map", level=2)
    picture = doc.add_paragraph()  # single spacing: a fixed 28 pt line would crop the picture
    picture.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
    picture.add_run().add_picture(io.BytesIO(static_map_png(records, b.code)), width=Mm(150))
    doc.add_paragraph(source_credit(b.place_source, lang))
    return save_official(doc)
