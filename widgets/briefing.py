"""The briefing page: one place's figures, gaps and questions, readable on a phone and on A4."""

from __future__ import annotations

import ipywidgets as w
import pandas as pd
import traitlets

from hehu import i18n, vocab
from hehu.briefing import HEADLINE_METRICS, Briefing, build_briefing
from hehu.errors import HehuError, UnknownPlace
from hehu.metrics import Records
from hehu.privacy import current_role

from .common import (
    error_box,
    failure_page,
    html_text,
    page_language,
    page_records,
    page_shell,
    page_store,
    query_params,
)
from .maps import format_value
from .overview import period_from_key, period_options


def _cards(b: Briefing, lang: str, role: str) -> str:
    cards = []
    for m in HEADLINE_METRICS:
        value = b.metrics.get(m)
        target = b.targets.get(m)
        target_html = ""
        gap = False
        if target is not None:
            target_html = f'<div class="t">{html_text(i18n.t("target", lang))} {html_text(format_value(target[0], m))} · {html_text(target[1])}</div>'
            gap = value is not None and not pd.isna(value) and value < target[0]
        if (
            m in ("pairings_lapsed", "high_risk_without_follow_up", "recommendations_overdue")
            and value
        ):
            gap = True
        cards.append(
            f'<div class="hehu-card{" gap" if gap else ""}" data-metric="{m}"><div class="k">{html_text(i18n.metric_label(m, lang))}</div>'
            f'<div class="v">{html_text(format_value(value, m, role))}</div>{target_html}</div>'
        )
    return '<div class="hehu-cards">' + "".join(cards) + "</div>"


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


def _section(key: str, lang: str) -> str:
    return f'<div class="hehu-section">{html_text(i18n.t(key, lang))}</div>'


def briefing_html(b: Briefing, lang: str = "zh", role: str | None = None) -> str:
    """The whole briefing as HTML (shared by the page and the printable packs)."""
    role = role or current_role()
    zh = lang != "en"
    level = vocab.label(vocab.LEVELS, b.level, lang)
    parts = [
        f'<div class="hehu-title" data-hehu="briefing-place">{html_text(b.name)}</div>',
        f'<div class="hehu-sub">{html_text(level)} · {html_text(b.code)}'
        + (f" · {html_text(b.parent_name)}" if b.parent_name else "")
        + f" · {html_text(i18n.t('period', lang))}：{html_text(b.period.label())}</div>",
        _section("questions", lang),
        '<ol class="hehu-list" data-hehu="questions">'
        + "".join(f"<li>{html_text(q[0] if zh else q[1])}</li>" for q in b.questions)
        + "</ol>"
        if b.questions
        else "",
        _section("headline", lang),
        _cards(b, lang, role),
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
                        format_value(r["unpaired_left_behind"], "left_behind_children", role),
                        r["overdue_follow_ups"],
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
                    format_value(r["cases_received"], "cases_received", role),
                ]
                for r in b.stations.sort_values(["level", "name"]).to_dict("records")
            ],
            {3},
            "stations",
        )
    )
    m = b.metrics
    parts.append(_section("cases", lang))
    by_cat = "、".join(
        f"{vocab.label(vocab.CASE_CATEGORIES, k, lang)} {format_value(v, 'cases_received', role)}"
        for k, v in sorted(b.cases_by_category.items(), key=lambda kv: -kv[1])
    )
    ages = "、".join(
        f"{k} {format_value(v, 'cases_received', role)}" for k, v in b.open_cases_by_age.items()
    )
    parts.append(
        f"<div>{html_text(i18n.metric_label('cases_received', lang))} {html_text(format_value(m['cases_received'], 'cases_received', role))}，"
        f"{html_text(i18n.metric_label('cases_resolved', lang))} {html_text(format_value(m['cases_resolved'], 'cases_resolved', role))}"
        f"（{html_text(format_value(m['resolution_rate'], 'resolution_rate'))}）。{'按类别' if zh else 'By category'}：{html_text(by_cat or '—')}。"
        f"{'未办结事项按时长' if zh else 'Open cases by age'}：{html_text(ages)}。</div>"
    )
    parts.append(_section("courses", lang))
    parts.append(
        f"<div>{html_text(i18n.metric_label('course_sessions', lang))} {format_value(m['course_sessions'], 'course_sessions')}，"
        f"{html_text(i18n.metric_label('course_attendance', lang))} {format_value(m['course_attendance'], 'course_attendance')}，"
        f"{html_text(i18n.metric_label('key_villages_with_course', lang))} {format_value(m['key_villages_with_course'], 'key_villages_with_course')}"
        f" / {len(kv)}。</div>"
    )
    parts.append(_section("pairings", lang))
    parts.append(
        f"<div>{html_text(i18n.metric_label('left_behind_children', lang))} {html_text(format_value(m['left_behind_children'], 'left_behind_children', role))}，"
        f"{html_text(i18n.metric_label('left_behind_children_paired', lang))} {html_text(format_value(m['left_behind_children_paired'], 'left_behind_children_paired', role))}，"
        f"{html_text(i18n.metric_label('pairings_active', lang))} {html_text(format_value(m['pairings_active'], 'pairings_active', role))}，"
        f"{html_text(i18n.metric_label('pairings_lapsed', lang))} {html_text(format_value(m['pairings_lapsed'], 'pairings_lapsed', role))}。</div>"
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
                    format_value(r["households"], "households_must_visit", role),
                    format_value(r["visited"], "households_visited", role),
                    format_value(r["not_visited"], "households_must_visit", role),
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
    parts.append(_section("recommendations", lang))
    parts.append(
        _table(
            ["视察", "意见建议", "责任单位", "期限", "状态", "办理情况"]
            if zh
            else ["Inspection", "Recommendation", "Responsible", "Due", "Status", "Response"],
            [
                [
                    f"{r['date']:%Y-%m-%d} {r['committee']}",
                    r["text"],
                    r["responsible_name"] if isinstance(r["responsible_name"], str) else "—",
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
        f'<div class="hehu-foot">{html_text(i18n.t("print_hint", lang))} {html_text(i18n.t("source_gazetteer", lang))}</div>'
    )
    return "".join(p for p in parts if p)


class BriefingState(traitlets.HasTraits):
    """Which place and period the briefing shows."""

    place = traitlets.Unicode("")
    period_key = traitlets.Unicode("")  # empty: the latest year with records

    def __init__(self, records: Records, lang: str = "zh", role: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.records = records
        self.lang = lang
        self.role = role or current_role()

    def briefing(self) -> Briefing:
        """The briefing for the current place and period."""
        return build_briefing(self.records, self.place, period_from_key(self.period_key))


def place_options(records: Records, lang: str) -> list[tuple[str, str]]:
    """(label, code) for the county, its townships and their villages, indented by level."""
    places = records.places
    parent = places.set_index("code")["parent_code"]
    options = []

    def walk(code, depth):
        row = places.loc[places["code"] == code].iloc[0]
        mark = " ★" if row["key_village"] else ""
        options.append(("\u3000" * depth + row["name"] + mark, code))
        for child in places.loc[parent.reindex(places["code"]).to_numpy() == code, "code"]:
            walk(child, depth + 1)

    walk(records.root, 0)
    return options


class BriefingView(w.VBox):
    """Place and period pickers over the rendered briefing."""

    def __init__(self, state: BriefingState):
        self.state = state
        lang = state.lang
        self.place_picker = w.Dropdown(
            options=place_options(state.records, lang), description=i18n.t("place", lang)
        )
        self.period_picker = w.Dropdown(
            options=period_options(state.records, lang), description=i18n.t("period", lang)
        )
        for picker in (self.place_picker, self.period_picker):
            picker.style.description_width = "initial"
            picker.layout = w.Layout(width="auto", min_width="220px")
        if state.place in dict((c, n) for n, c in self.place_picker.options):
            self.place_picker.value = state.place
        else:
            state.place = self.place_picker.value
        self.period_picker.value = (
            state.period_key
            if state.period_key in [k for _, k in self.period_picker.options]
            else self.period_picker.options[0][1]
        )
        state.period_key = self.period_picker.value
        w.link((self.place_picker, "value"), (state, "place"))
        w.link((self.period_picker, "value"), (state, "period_key"))
        controls = w.HBox(
            [self.place_picker, self.period_picker],
            layout=w.Layout(flex_flow="row wrap"),
        )
        controls.add_class("hehu-controls")
        self.body = w.HTML(layout=w.Layout(width="100%"))
        super().__init__([controls, self.body], layout=w.Layout(width="100%"))
        state.observe(self._redraw, names=["place", "period_key"])
        self._redraw()

    def _redraw(self, _change=None):
        self.body.value = briefing_html(self.state.briefing(), self.state.lang, self.state.role)


def build_briefing_page(db_url: str | None = None, params: dict | None = None) -> w.VBox:
    """The briefing page for ?place=<code> (or a picker), as one ipywidgets box."""
    params = query_params() if params is None else params
    lang = page_language(params)
    title = i18n.t("briefing_title", lang)
    try:
        records = page_records(page_store(db_url))
        state = BriefingState(records, lang)
        notice = []
        code = params.get("place", "").strip()
        if code:
            try:
                records.check_place(code)
                state.place = code
            except UnknownPlace as exc:
                notice.append(
                    error_box(
                        exc.message(lang)
                        + ("；请在下方选择地点。" if lang == "zh" else "; choose a place below.")
                    )
                )
        if params.get("period"):
            state.period_key = params["period"]
        view = BriefingView(state)
    except HehuError as exc:
        return failure_page(title, lang, exc)
    page = page_shell(
        f"{i18n.t('app', lang)} · {title}",
        i18n.t("pick_place", lang),
        records,
        lang,
        [*notice, view],
    )
    page.state = state
    page.view = view
    return page
