"""The units responsible (承办单位) and how they answered, as an HTML table: one renderer for the
answers page, the forum and the briefing. Values come from hehu.oversight.cycle.unit_summary,
already through the disclosure: printed as they are."""

from __future__ import annotations

import pandas as pd

from hehu.oversight.cycle import SUMMARY_COLUMNS
from hehu.records import vocab
from hehu.render.formatting import cell_text
from hehu.render.html import html_text

UNIT_HEADER = ("承办单位", "Unit")
# How each column reads (hehu.render.formatting.cell_text): counts of recommendations, 满意率.
KINDS = {c: "rate" if c == "satisfaction_rate" else "number" for c in SUMMARY_COLUMNS}


def unit_summary_html(summary: pd.DataFrame, lang: str = "zh", key: str = "units") -> str:
    """Per unit: assigned, answered, on time, overdue, ratings and 满意率, as a scrolling table
    (`data-hehu=KEY`); the empty string when no recommendation was ever assigned."""
    if summary.empty:
        return ""
    heads = [UNIT_HEADER[lang == "en"]] + [
        vocab.label(SUMMARY_COLUMNS, c, lang) for c in SUMMARY_COLUMNS
    ]
    # A figure's heading right-aligned over it, as its figures are (left, each figure stood
    # under the next column's heading: the forum read 满意 1 where it was 0)
    head = "".join(
        f'<th class="{"num" if i else ""}">{html_text(h)}</th>' for i, h in enumerate(heads)
    )
    body = "".join(
        f"<tr><td>{html_text(row['unit'])}</td>"
        + "".join(f'<td class="num">{html_text(cell_text(row[c], KINDS[c]))}</td>' for c in KINDS)
        + "</tr>"
        for _, row in summary.iterrows()
    )
    return (
        f'<div class="hehu-table-wrap"><table class="hehu-table" data-hehu="{html_text(key)}">'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )
