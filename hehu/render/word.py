"""A place's briefing as a Word document and its map as a picture: for offices that draft in Word."""

from __future__ import annotations

import io
import math

import pandas as pd

from hehu.figures.metrics import Records
from hehu.i18n import metric_label, t
from hehu.oversight.briefing import HEADLINE_METRICS, Briefing
from hehu.records import vocab
from hehu.render.formatting import format_value

CJK_FONTS = ["Noto Sans CJK SC", "WenQuanYi Micro Hei", "Microsoft YaHei", "SimHei", "DejaVu Sans"]


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


def briefing_docx(b: Briefing, records: Records, lang: str = "zh") -> bytes:
    """The briefing as a .docx: headline figures, questions, key villages, recommendations, map
    (figures as disclosed to the role the briefing was built for)."""
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    zh = lang != "en"
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Microsoft YaHei"
    style.font.size = Pt(10.5)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")  # Word picks the CJK font from here
    if records.is_demo:
        doc.add_paragraph(t("demo_banner", lang))
    doc.add_heading(f"{b.name} {t('briefing_title', lang)}", level=1)
    doc.add_paragraph(
        f"{vocab.label(vocab.LEVELS, b.level, lang)} · {b.code} · {t('period', lang)}：{b.period.label()}"
    )
    if b.questions:
        doc.add_heading(t("questions", lang), level=2)
        for q in b.questions:
            doc.add_paragraph(q[0] if zh else q[1], style="List Number")
    doc.add_heading(t("headline", lang), level=2)
    table = doc.add_table(rows=1, cols=3)
    table.style = "Table Grid"
    head = table.rows[0].cells
    head[0].text, head[1].text, head[2].text = (
        t("metric", lang),
        "数值" if zh else "Value",
        t("target", lang),
    )
    for m in HEADLINE_METRICS:
        cells = table.add_row().cells
        cells[0].text = metric_label(m, lang)
        cells[1].text = str(format_value(b.metrics.get(m), m))
        target = b.targets.get(m)
        cells[2].text = f"{format_value(target[0], m)}（{target[1]}）" if target else ""
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
    doc.add_heading(t("recommendations", lang), level=2)
    if b.recommendations.empty:
        doc.add_paragraph(t("none", lang))
    for r in b.recommendations.to_dict("records"):
        status = vocab.label(vocab.REC_STATUSES, r["status"], lang)
        due = "" if pd.isna(r["due_date"]) else f"{r['due_date']:%Y-%m-%d}"
        overdue = ("（逾期）" if zh else " (overdue)") if r["overdue"] else ""
        doc.add_paragraph(
            f"{r['text']} —— {status}{overdue} {due} {r['response'] or ''}", style="List Bullet"
        )
    doc.add_heading("地图" if zh else "Map", level=2)
    doc.add_picture(io.BytesIO(static_map_png(records, b.code)), width=Cm(15))
    doc.add_paragraph(t("source_gazetteer", lang))
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
