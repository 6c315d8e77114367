"""Numbers and dates as people read them: percentages for rates, thousands separators, days.

Values come here already disclosed (hehu.disclosure): a marker is printed as it is. The pages
(widgets/kit/tables.format_cell) and the documents write their cells and dates with these.
"""

from __future__ import annotations

import math

import pandas as pd

from hehu import i18n
from hehu.disclosure import HIDDEN_COMPLEMENT, SAME
from hehu.records import vocab

DAY = "%Y-%m-%d"


def day_text(value, lang: str | None = None) -> str:
    """A date (or YYYY-MM-DD text) as people read it; "" for none (None, NaN, NaT). In tables
    and lists (`lang` None) and in English, 2022-05-18; in a Chinese document's prose, 2022年5月18日."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    day = pd.Timestamp(value)
    return f"{day.year}年{day.month}月{day.day}日" if lang == "zh" else day.strftime(DAY)


def cell_text(value, kind: str) -> str:
    """A table cell's value as text, by its kind: count and number with thousands separators,
    rate (0..1) as a percentage, per1000 with one decimal, days whole or with one decimal, date
    as YYYY-MM-DD, anything else (text) as it is; "—" for none, a disclosure marker as it is."""
    if isinstance(value, str) and kind != "text":
        return value  # already a hidden marker
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):  # None, NaN, NaT, NA
        return "—"
    if kind in ("count", "number"):
        return f"{int(value):,}"
    if kind == "rate":
        return f"{float(value):.0%}"
    if kind == "per1000":
        return f"{float(value):,.1f}"
    if kind == "days":
        return f"{float(value):,.0f}" if float(value).is_integer() else f"{float(value):,.1f}"
    if kind == "date":
        return pd.Timestamp(value).strftime(DAY)
    return str(value)


def format_value(value, metric: str) -> str:
    """A disclosed metric value as text: rates as percentages, counts with separators."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, str):  # a disclosure marker
        return value
    kind = vocab.METRICS[metric][2] if metric in vocab.METRICS else "number"
    if kind == "rate":
        return f"{value:.0%}"
    return f"{int(value):,}"


ARROWS = {"up": "↑", "down": "↓"}


def format_change(change, metric: str, lang: str = "zh") -> str:
    """A change against the previous period (disclosure.Change) as text: "↑ 9", "↓ 2.5 个百分点",
    "持平"; the arrow and the complement marker when only its direction may be shown, the
    marker alone when not even that, "—" when a value is missing."""
    if change is None or (change.delta is None and not change.hidden):
        return "—"
    if change.direction == SAME:
        return i18n.t("change_same", lang)
    if change.delta is None:  # withheld: the direction alone, when what is shown decides it
        arrow = ARROWS.get(change.direction)
        return f"{arrow} {HIDDEN_COMPLEMENT}" if arrow else HIDDEN_COMPLEMENT
    size = abs(change.delta)
    kind = vocab.METRICS[metric][2] if metric in vocab.METRICS else "number"
    if kind == "rate":
        amount = f"{size:.1f}".rstrip("0").rstrip(".") + i18n.t("percentage_points", lang)
    else:
        amount = f"{int(size):,}"
    return f"{ARROWS[change.direction]} {amount}"


def finding_rows(findings) -> list[list[str]]:
    """Findings carried forward (inspections.findings_for_place) as rows of plain text: the
    inspection (date, committee), the place, the finding. Text written by deputies: HTML
    escapes it (html_text), Word writes it as text."""
    return [
        [
            f"{r['inspection_date']:%Y-%m-%d} {r['committee']}",
            r["place_name"] if isinstance(r["place_name"], str) else r["place_code"],
            r["text"],
        ]
        for r in findings.to_dict("records")
    ]


def units_text(units: list[dict], lang: str = "zh") -> str:
    """Each unit's part of a recommendation (briefing.place_recommendations' `units`) in one
    line: "涟水县公安局：已答复：已办结 · 满意；涟水县妇联：待答复 · 逾期"."""
    parts = []
    for u in units:
        if u["state"] == "answered":
            state = i18n.t(
                "unit_answered",
                lang,
                status=vocab.label(vocab.REC_STATUSES, u["answer_status"], lang),
            )
        else:
            state = i18n.t("unit_awaiting", lang)
        bits = [state]
        if isinstance(u.get("rating"), str):
            bits.append(vocab.label(vocab.RATINGS, u["rating"], lang))
        if u.get("overdue") is True:
            bits.append(i18n.t("unit_overdue", lang))
        parts.append(f"{u['unit_name']}{i18n.colon(lang)}{' · '.join(bits)}")
    return ("; " if lang == "en" else "；").join(parts)
