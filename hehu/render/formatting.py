"""Numbers as people read them: percentages for rates, thousands separators.

Values come here already disclosed (hehu.disclosure): a marker is printed as it is.
"""

from __future__ import annotations

import math

from hehu import i18n
from hehu.disclosure import HIDDEN_COMPLEMENT, SAME
from hehu.records import vocab


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
