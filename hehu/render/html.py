"""Briefings as HTML: the page, the self-contained file and the offline pack all use this."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from hehu import i18n
from hehu.disclosure import shown_number, shows_some
from hehu.figures.metrics import PROTECTION_METRICS, Records
from hehu.oversight.briefing import HEADLINE_METRICS, Briefing
from hehu.records import vocab
from hehu.records.gazetteer import source_credit
from hehu.render.formatting import finding_rows, format_change, format_value, units_text

PAGE_STYLESHEET = (Path(__file__).with_name("page.css")).read_text(encoding="utf-8")


def html_text(text) -> str:
    """Escape text for HTML, also where the HTML sits in a JavaScript template literal.

    folium writes popups and tooltips into `...` literals, where a backtick or `${` in a place
    name imported from a spreadsheet would run as script: they become character references.
    """
    escaped = html.escape("" if text is None else str(text))
    return escaped.replace("`", "&#96;").replace("$", "&#36;")


def demo_banner(records: Records, lang: str) -> str:
    """The 示例数据 banner while demo data is loaded (HTML, empty otherwise)."""
    if not records.is_demo:
        return ""
    return f'<div class="hehu-banner" data-hehu="demo-banner">⚠ {html_text(i18n.t("demo_banner", lang))}</div>'


GAP_WHEN_ANY = ("pairings_lapsed", "high_risk_without_follow_up", "recommendations_overdue")


def is_gap(b: Briefing, metric: str) -> bool:
    """Whether a headline figure is a gap to outline: below its target, or any lapsed,
    unfollowed or overdue at all (judged on the shown value: a hidden one tells nothing)."""
    value = shown_number(b.metrics.get(metric))
    target = b.targets.get(metric)
    if target is not None and value is not None and value < target[0]:
        return True
    return metric in GAP_WHEN_ANY and shows_some(b.metrics.get(metric))


def since_html(figures, changes: dict, metric: str, lang: str) -> str:
    """A card's line against the previous period: "上期 12 · ↑ 3" (values as disclosed), or
    nothing when no comparison is made. The overview's cards use it too."""
    if figures is None or metric not in changes:
        return ""
    text = i18n.t(
        "since_line",
        lang,
        value=format_value(figures.get(metric), metric),
        change=format_change(changes[metric], metric, lang),
    )
    direction = changes[metric].direction or "hidden"
    return f'<div class="t" data-hehu="since" data-change="{direction}">{html_text(text)}</div>'


def since_period_html(since, lang: str) -> str:
    """The line under the headline figures saying which period they are compared with."""
    if since is None:
        return ""
    key = "compared_with" if since.figures is not None else "not_compared"
    text = i18n.t(key, lang, period=since.period.label(lang))
    return f'<div class="hehu-sub" data-hehu="since-period">{html_text(text)}</div>'


def _cards(b: Briefing, lang: str) -> str:
    cards = []
    previous = b.since.figures if b.since is not None else None
    changes = b.since.changes if b.since is not None else {}
    for m in HEADLINE_METRICS:
        value = b.metrics.get(m)
        target = b.targets.get(m)
        target_html = ""
        if target is not None:
            target_html = f'<div class="t">{html_text(i18n.t("target", lang))} {html_text(format_value(target[0], m))} · {html_text(target[1])}</div>'
        cards.append(
            f'<div class="hehu-card{" gap" if is_gap(b, m) else ""}" data-metric="{m}"><div class="k">{html_text(i18n.metric_label(m, lang))}</div>'
            f'<div class="v">{html_text(format_value(value, m))}</div>'
            f"{since_html(previous, changes, m, lang)}{target_html}</div>"
        )
    return since_period_html(b.since, lang) + '<div class="hehu-cards">' + "".join(cards) + "</div>"


def _table(
    headers: list[str], rows: list[list], numeric: set[int] = frozenset(), hehu: str = ""
) -> str:
    if not rows:
        return '<div class="hehu-sub">—</div>'
    head = "".join(
        f'<th class="{"num" if i in numeric else ""}">{html_text(h)}</th>'
        for i, h in enumerate(headers)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="{"num" if i in numeric else ""}">{html_text(c)}</td>'
            for i, c in enumerate(r)
        )
        + "</tr>"
        for r in rows
    )
    return f'<div class="hehu-table-wrap"><table class="hehu-table" data-hehu="{hehu}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _largest_first(counts: dict) -> list[tuple]:
    """Shown counts, largest first, hidden ones last in vocabulary order (ordering hidden
    counts by their value would tell them apart)."""
    order = {k: i for i, k in enumerate(counts)}
    return sorted(
        counts.items(),
        key=lambda kv: (
            shown_number(kv[1]) is None,
            -(shown_number(kv[1]) or 0),
            order[kv[0]],
        ),
    )


def _section(key: str, lang: str) -> str:
    return f'<div class="hehu-section">{html_text(i18n.t(key, lang))}</div>'


def briefing_html(b: Briefing, lang: str = "zh") -> str:
    """The whole briefing as HTML (shared by the page and the printable packs), as disclosed
    to the role it was built for."""
    zh = lang != "en"
    level = vocab.label(vocab.LEVELS, b.level, lang)
    parts = [
        f'<div class="hehu-title" data-hehu="briefing-place">{html_text(b.name)}</div>',
        f'<div class="hehu-sub">{html_text(level)} · {html_text(b.code)}'
        + (f" · {html_text(b.parent_name)}" if b.parent_name else "")
        + f" · {html_text(i18n.t('period', lang))}{i18n.colon(lang)}{html_text(b.period.label(lang))}</div>",
        _section("questions", lang),
        '<ol class="hehu-list" data-hehu="questions">'
        + "".join(f"<li>{html_text(q[0] if zh else q[1])}</li>" for q in b.questions)
        + "</ol>"
        if b.questions
        else "",
        _section("headline", lang),
        _cards(b, lang),
    ]
    kv = b.key_villages
    if len(kv):
        parts.append(_section("key_villages_here", lang))
        parts.append(
            _table(
                ["村", "所属镇街", "课程场次", "未结对留守儿童", "逾期回访"]
                if zh
                else [
                    "Village",
                    "Town",
                    "Course sessions",
                    "Unpaired left-behind",
                    "Overdue follow-ups",
                ],
                [
                    [
                        ("⚠ " if r["no_course"] else "") + r["name"],
                        r["town"],
                        r["course_sessions"],
                        format_value(r["unpaired_left_behind"], "left_behind_children"),
                        format_value(r["overdue_follow_ups"], "households_visited"),
                    ]
                    for r in kv.sort_values(["no_course", "name"], ascending=[False, True]).to_dict(
                        "records"
                    )
                ],
                {2, 3, 4},
                "key-villages",
            )
        )
    parts.append(_section("stations_here", lang))
    parts.append(
        _table(
            ["名称", "类型", "层级", "本期接访"]
            if zh
            else ["Name", "Kind", "Level", "Cases received"],
            [
                [
                    r["name"],
                    vocab.label(vocab.ORG_KINDS, r["kind"], lang),
                    vocab.label(vocab.ORG_LEVELS, r["level"], lang),
                    format_value(r["cases_received"], "cases_received"),
                ]
                for r in b.stations.sort_values(["level", "name"]).to_dict("records")
            ],
            {3},
            "stations",
        )
    )
    m = b.metrics
    comma, stop, list_sep = ("，", "。", "、") if zh else (", ", ".", ", ")

    def figures(*metrics: str) -> str:
        return comma.join(f"{i18n.metric_label(k, lang)} {format_value(m[k], k)}" for k in metrics)

    by_cat = list_sep.join(
        f"{vocab.label(vocab.CASE_CATEGORIES, k, lang)} {format_value(v, 'cases_received')}"
        for k, v in _largest_first(b.cases_by_category)
    )
    ages = list_sep.join(
        f"{i18n.age_band_label(k, lang)} {format_value(v, 'cases_received')}"
        for k, v in b.open_cases_by_age.items()
    )
    rate = format_value(m["resolution_rate"], "resolution_rate")
    parts.append(_section("cases", lang))
    parts.append(
        "<div>"
        + html_text(
            f"{figures('cases_received', 'cases_resolved')} ({rate}){stop} "
            + (
                f"按类别：{by_cat or '—'}。未办结事项按时长：{ages}。"
                if zh
                else f"By category: {by_cat or '—'}. Open cases by age: {ages}."
            )
        )
        + "</div>"
    )
    parts.append(_section("protection_measures", lang))
    parts.append(
        f'<div data-hehu="protection-measures">{html_text(figures(*PROTECTION_METRICS))}{stop}</div>'
    )
    parts.append(_section("courses", lang))
    parts.append(
        f"<div>{html_text(figures('course_sessions', 'course_attendance', 'key_villages_with_course'))} / {len(kv)}{stop}</div>"
    )
    parts.append(_section("pairings", lang))
    parts.append(
        f"<div>{html_text(figures('left_behind_children', 'left_behind_children_paired', 'pairings_active', 'pairings_lapsed'))}{stop}</div>"
    )
    parts.append(_section("visits", lang))
    parts.append(
        _table(
            ["必访类别", "家庭", "本期已走访", "未走访"]
            if zh
            else ["Must-visit group", "Households", "Visited", "Not visited"],
            [
                [
                    r["zh"] if zh else r["en"],
                    format_value(r["households"], "households_must_visit"),
                    format_value(r["visited"], "households_visited"),
                    format_value(r["not_visited"], "households_must_visit"),
                ]
                for r in b.must_visit_by_group.to_dict("records")
            ],
            {1, 2, 3},
            "must-visit",
        )
    )
    parts.append(_section("legal_events", lang))
    parts.append(
        _table(
            ["活动", "场次", "受众人次"] if zh else ["Campaign", "Events", "Audience"],
            [
                [
                    vocab.label(vocab.CAMPAIGNS, r["campaign"], lang),
                    int(r["events"]),
                    f"{int(r['audience'] or 0):,}",
                ]
                for r in b.events_by_campaign.to_dict("records")
            ],
            {1, 2},
            "events",
        )
    )
    parts.append(_section("findings_open", lang))
    parts.append(
        _table(
            [
                i18n.t("finding_inspection", lang),
                i18n.t("place", lang),
                i18n.t("finding_text", lang),
            ],
            finding_rows(b.findings),
            set(),
            "findings",
        )
    )
    parts.append(_section("recommendations", lang))
    parts.append(
        _table(
            ["视察", "意见建议", i18n.t("units_and_ratings", lang), "期限", "状态", "办理情况"]
            if zh
            else [
                "Inspection",
                "Recommendation",
                i18n.t("units_and_ratings", lang),
                "Due",
                "Status",
                "Response",
            ],
            [
                [
                    f"{r['date']:%Y-%m-%d} {r['committee']}",
                    r["text"],
                    units_text(r["units"], lang)
                    or (r["responsible_name"] if isinstance(r["responsible_name"], str) else "—"),
                    f"{r['due_date']:%Y-%m-%d}" if not pd.isna(r["due_date"]) else "—",
                    ("⚠ " + ("逾期" if zh else "overdue") + " · " if r["overdue"] else "")
                    + vocab.label(vocab.REC_STATUSES, r["status"], lang),
                    r["response"] or "—",
                ]
                for r in b.recommendations.to_dict("records")
            ],
            set(),
            "recommendations",
        )
    )
    parts.append(
        f'<div class="hehu-foot">{html_text(i18n.t("print_hint", lang))} {html_text(source_credit(b.place_source, lang))}</div>'
    )
    return "".join(p for p in parts if p)
