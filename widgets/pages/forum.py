"""The forum view: one full-screen page for a projector at a review meeting (评议/汇报会).

Large type, the county map, trends by year and the check of the work report's figures. Always
aggregate, whatever the server's role: a projector is public.
"""

from __future__ import annotations

import ipywidgets as w
import pandas as pd

from hehu import i18n
from hehu.disclosure import is_hidden, legend, shown_number
from hehu.errors import HehuError
from hehu.figures.cache import default_period_key, years_with_records
from hehu.figures.metrics import Records
from hehu.figures.places import disclosed_place_figures
from hehu.oversight.claims import EXAMPLE_CLAIMS, check_claims_file, disclosed_result, status_label
from hehu.oversight.cycle import unit_summary
from hehu.records.schema import WORK_KINDS
from hehu.render.formatting import format_value
from hehu.render.html import html_text
from hehu.render.units import unit_summary_html
from widgets.kit.charts import Series, column_chart
from widgets.kit.common import (
    empty_notice,
    failure_page,
    page_language,
    page_records,
    page_shell,
    page_store,
    query_params,
)
from widgets.kit.county_map import OverviewState
from widgets.kit.maps import map_html
from widgets.kit.pickers import period_options

FORUM_ROLE = "presenter"
TREND_METRICS = ["course_sessions", "cases_received", "legal_events", "households_visited"]
HEADLINE = [
    "course_attendance",
    "left_behind_children_paired",
    "cases_received",
    "resolution_rate",
    "must_visit_coverage",
    "recommendations_overdue",
]
TEXT = {
    "title": (
        "全县妇女儿童权益保护工作 · 评议汇报",
        "Women's and children's rights in the county · review forum",
    ),
    "trends": ("逐年变化", "Year by year"),
    "check": ("工作报告数据核对", "Check of the work report's figures"),
    "claimed": ("报告数", "Reported"),
    "computed": ("记录数", "From records"),
    "status": ("核对结果", "Result"),
    "units": ("意见建议办理与满意度测评", "Recommendations: answers and deputies' ratings"),
}
STATUS_COLOURS = {
    "matched": "#1a7f37",
    "within_tolerance": "#9a6700",
    "not_supported": "#cf222e",
    "no_records": "#57606a",
    "invalid": "#57606a",
    "not_disclosed": "#57606a",
    "period_not_offered": "#57606a",
}


def _t(key: str, lang: str) -> str:
    zh, en = TEXT[key]
    return en if lang == "en" else zh


def yearly_figures(records: Records, role: str = FORUM_ROLE) -> pd.DataFrame:
    """The trend metrics for the county, one row per year with records, as the role may see
    them (the same disclosure as every other page)."""
    years = sorted(years_with_records(records))
    rows = {
        y: disclosed_place_figures(records, str(y), role).loc[records.root, TREND_METRICS]
        for y in years
    }
    return pd.DataFrame(rows, index=TREND_METRICS).T  # with no year, still the metrics' columns


def _claims_table(records: Records, lang: str) -> str:
    results = [
        disclosed_result(records, r, FORUM_ROLE)
        for r in check_claims_file(records, EXAMPLE_CLAIMS, EXAMPLE_CLAIMS.name)
    ]
    rows = []
    for r in results:
        colour = STATUS_COLOURS.get(r.status, "#57606a")
        rows.append(
            f"<tr><td>{html_text(i18n.metric_label(r.metric, lang))}</td><td>{html_text(r.period_start)}–{html_text(r.period_end)}</td>"
            f'<td class="num">{html_text(format_value(r.claimed, r.metric) if r.claimed is not None else "—")}</td>'
            f'<td class="num">{html_text(format_value(r.computed, r.metric) if r.computed is not None else "—")}</td>'
            f'<td style="color:{colour};font-weight:700">{html_text(status_label(r.status, lang))}</td></tr>'
        )
    head = f"<tr><th>{html_text(i18n.t('metric', lang))}</th><th>{html_text(i18n.t('period', lang))}</th><th class='num'>{_t('claimed', lang)}</th><th class='num'>{_t('computed', lang)}</th><th>{_t('status', lang)}</th></tr>"
    return f'<div class="hehu-table-wrap"><table class="hehu-table" data-hehu="forum-claims"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table></div>'


def _units_section(records: Records, lang: str) -> list[w.HTML]:
    """How each unit answered the recommendations assigned to it; nothing before any was."""
    table = unit_summary_html(
        unit_summary(records, role=FORUM_ROLE, lang=lang), lang, "forum-units"
    )
    if not table:
        return []
    return [w.HTML(f'<div class="hehu-section">{html_text(_t("units", lang))}</div>{table}')]


class ForumView(w.VBox):
    """Period picker, headline cards, the map, trends and the figure check, in projector type."""

    def __init__(self, records: Records, lang: str):
        self.lang = lang
        self.state = OverviewState(records, lang, role=FORUM_ROLE)
        options = period_options(records, lang)
        self.state.period_key = default_period_key(records)
        self.period_picker = w.Dropdown(
            options=options, value=self.state.period_key, description=i18n.t("period", lang)
        )
        self.period_picker.style.description_width = "initial"
        w.link((self.period_picker, "value"), (self.state, "period_key"))
        controls = w.HBox([self.period_picker])
        controls.add_class("hehu-controls")
        self.cards = w.HTML()
        self.map_widget = w.HTML(layout=w.Layout(width="100%"))
        yearly = yearly_figures(records)
        x = [str(y) for y in yearly.index]
        trends = "".join(
            column_chart(
                x,
                [
                    Series(
                        i18n.metric_label(m, lang),
                        [shown_number(v) or 0.0 for v in yearly[m]],
                        texts=[format_value(v, m) for v in yearly[m]],
                        hidden=[is_hidden(v) for v in yearly[m]],
                    )
                ],
                title=i18n.metric_label(m, lang),
                key=f"forum-{m}",
                empty_text=i18n.t("no_value", lang),
            )
            for m in TREND_METRICS
        )
        super().__init__(
            [
                controls,
                self.cards,
                self.map_widget,
                w.HTML(
                    f'<div class="hehu-section">{html_text(_t("trends", lang))}</div><div class="hehu-forum-trends">{trends}</div>'
                ),
                w.HTML(
                    f'<div class="hehu-section">{html_text(_t("check", lang))}</div>{_claims_table(records, lang)}'
                ),
                *_units_section(records, lang),
                w.HTML(f'<div class="hehu-foot">{html_text(legend(lang))}</div>'),
            ],
            layout=w.Layout(width="100%"),
        )
        self.add_class("hehu-forum")
        self.state.observe(self._redraw, names=["period_key"])
        self._redraw()

    def _redraw(self, _change=None):
        figures = self.state.figures().loc[self.state.records.root]
        self.cards.value = (
            '<div class="hehu-cards">'
            + "".join(
                f'<div class="hehu-card" data-metric="{m}"><div class="k">{html_text(i18n.metric_label(m, self.lang))}</div>'
                f'<div class="v">{html_text(format_value(figures[m], m))}</div></div>'
                for m in HEADLINE
            )
            + "</div>"
        )
        self.map_widget.value = map_html(self.state.build_map(), height="70vh")


def build_forum_page(db_url: str | None = None, params: dict | None = None) -> w.VBox:
    """The forum (projector) page as one ipywidgets box."""
    params = query_params() if params is None else params
    lang = page_language(params)
    title = _t("title", lang)
    try:
        records = page_records(page_store(db_url))
        notice = empty_notice(records.store, WORK_KINDS, lang)
        view = ForumView(records, lang)
    except HehuError as exc:
        return failure_page(title, lang, exc)
    page = page_shell(title, i18n.t("app", lang), records, lang, [*notice, view])
    page.view = view
    return page
