"""The overview page: the county map with a metric and period selector, and a table of places."""

from __future__ import annotations

import ipywidgets as w
import pandas as pd

from hehu import i18n
from hehu.disclosure import legend, sees_exact_counts
from hehu.errors import HehuError, UnknownPlace
from hehu.figures import areas
from hehu.figures.cache import PageRecords, default_period_key
from hehu.figures.places import GAP_FIGURES
from hehu.records import vocab
from hehu.records.gazetteer import source_credit
from hehu.records.schema import WORK_KINDS
from hehu.render.html import since_html, since_period_html
from widgets.kit.common import (
    empty_notice,
    error_box,
    failure_page,
    html_text,
    page_language,
    page_shell,
    page_store,
    query_params,
)
from widgets.kit.county_map import MAP_METRICS, TABLE_METRICS, OverviewState
from widgets.kit.maps import format_value, map_html
from widgets.kit.pickers import period_options


def _table_html(state: OverviewState, frame: pd.DataFrame) -> str:
    lang = state.lang
    metric_cols = [c for c in frame.columns if c in vocab.METRICS]
    head = "".join(
        f'<th class="num">{html_text(i18n.metric_label(m, lang))}</th>' for m in metric_cols
    ) + "".join(f'<th class="num">{html_text(i18n.t(g, lang))}</th>' for g in GAP_FIGURES)
    rows = []
    for r in frame.to_dict("records"):
        level = vocab.label(vocab.LEVELS, r["level"], lang) + (
            "·" + i18n.t("key_villages_here", lang) if r["key_village"] else ""
        )
        cells = "".join(
            f'<td class="num">{html_text(format_value(r[m], m))}</td>'
            for m in [*metric_cols, *GAP_FIGURES]
        )
        lang_q = "&lang=en" if lang == "en" else ""
        rows.append(
            f'<tr data-code="{r["code"]}"><td><a href="briefing.ipynb?place={r["code"]}{lang_q}" target="_top">{html_text(r["name"])}</a></td>'
            f"<td>{html_text(level)}</td>{cells}</tr>"
        )
    return (
        '<div class="hehu-table-wrap"><table class="hehu-table" data-hehu="places-table"><thead><tr>'
        f"<th>{html_text(i18n.t('name', lang))}</th><th>{html_text(i18n.t('level', lang))}</th>{head}"
        "</tr></thead><tbody>" + "".join(rows) + "</tbody></table></div>"
    )


def _breadcrumb_html(state: OverviewState) -> str:
    """Links up the hierarchy to the overviews above the area (empty for the top place)."""
    places = state.records.places.set_index("code")
    codes = areas.chain(state.records.places, state.area)
    if len(codes) == 1:
        return ""
    lang_q = "&lang=en" if state.lang == "en" else ""
    links = [
        f'<a target="_top" href="overview.ipynb?place={c}{lang_q}">{html_text(places.at[c, "name"])}</a>'
        for c in codes[:-1]
    ]
    here = f"<b>{html_text(places.at[codes[-1], 'name'])}</b>"
    return f'<div class="hehu-breadcrumb" data-hehu="breadcrumb">{" › ".join([*links, here])}</div>'


class OverviewView(w.VBox):
    """Selectors, map and table of the overview, all observing one OverviewState."""

    def __init__(self, state: OverviewState):
        self.state = state
        lang = state.lang
        self.metric_picker = w.Dropdown(
            options=[(i18n.metric_label(m, lang), m) for m in MAP_METRICS],
            value=state.metric,
            description=i18n.t("metric", lang),
        )
        self.period_picker = w.Dropdown(
            options=period_options(state.records, lang),
            value=state.period_key,
            description=i18n.t("period", lang),
        )
        sort_options = (
            [(i18n.t("name", lang), "name")]
            + [
                (i18n.metric_label(m, lang), m)
                for m in [state.metric, *TABLE_METRICS]
                if m in vocab.METRICS
            ]
            + [(i18n.t(g, lang), g) for g in GAP_FIGURES]
        )
        self.sort_picker = w.Dropdown(
            options=list(dict((v, (k, v)) for k, v in sort_options).values()),
            value="name",
            description=i18n.t("sort", lang),
        )
        self.descending_box = w.Checkbox(
            value=False, description=i18n.t("descending", lang), indent=False
        )
        for picker in (self.metric_picker, self.period_picker, self.sort_picker):
            picker.style.description_width = "initial"
            picker.layout = w.Layout(width="auto", min_width="220px")
        w.link((self.metric_picker, "value"), (state, "metric"))
        w.link((self.period_picker, "value"), (state, "period_key"))
        w.link((self.sort_picker, "value"), (state, "sort_by"))
        w.link((self.descending_box, "value"), (state, "descending"))
        controls = w.HBox(
            [self.metric_picker, self.period_picker],
            layout=w.Layout(flex_flow="row wrap"),
        )
        controls.add_class("hehu-controls")
        sort_controls = w.HBox(
            [self.sort_picker, self.descending_box],
            layout=w.Layout(flex_flow="row wrap"),
        )
        sort_controls.add_class("hehu-controls")
        self.map_widget = w.HTML(layout=w.Layout(width="100%"))
        self.summary = w.HTML()
        self.table_widget = w.HTML(layout=w.Layout(width="100%"))
        note = i18n.t("region_note", lang) + " " if state.is_region else ""
        super().__init__(
            [
                w.HTML(_breadcrumb_html(state)),
                controls,
                self.summary,
                self.map_widget,
                w.HTML(
                    f'<div class="hehu-foot">{html_text(note)}{html_text(i18n.t("map_note", lang))} {html_text(source_credit(state.records.place_source, lang))}</div>'
                ),
                w.HTML(f'<div class="hehu-section">{html_text(i18n.t("table_title", lang))}</div>'),
                sort_controls,
                self.table_widget,
            ],
            layout=w.Layout(width="100%"),
        )
        state.observe(self._redraw_all, names=["metric", "period_key"])
        state.observe(self._redraw_table, names=["sort_by", "descending"])
        self._redraw_all()

    def _redraw_all(self, _change=None):
        state, lang = self.state, self.state.lang
        figures = state.figures().loc[state.area]
        since = state.since()
        previous = since.figures if since is not None else None
        changes = since.changes if since is not None else {}
        places = state.records.places
        whole = (
            i18n.t("whole_county", lang)
            if not state.is_region
            else places.loc[places["code"] == state.area, "name"].iloc[0]
        )
        # The gaps, each a figure of its own kind (villages, children, visits), explained.
        gap_cards = "".join(
            f'<div class="hehu-card gap" data-hehu="gap-{g}" data-card="{g}"><div class="k">{html_text(i18n.t(g, lang))}</div>'
            f'<div class="v">{html_text(format_value(figures[g], g))}</div>'
            f"{since_html(previous, changes, g, lang)}"
            f'<div class="t">{html_text(i18n.t(g + "_note", lang))}</div></div>'
            for g in GAP_FIGURES
        )
        self.summary.value = (
            since_period_html(since, lang)
            + f'<div class="hehu-cards"><div class="hehu-card" data-hehu="county-value" data-card="{state.metric}"><div class="k">{html_text(i18n.metric_label(state.metric, lang))} · {html_text(whole)}</div>'
            f'<div class="v">{html_text(format_value(figures[state.metric], state.metric))}</div><div class="t">{html_text(state.period.label(state.lang))}</div>'
            f"{since_html(previous, changes, state.metric, lang)}</div>"
            f"{gap_cards}</div>"
            + (
                ""
                if sees_exact_counts(state.role)
                else f'<div class="hehu-note" data-hehu="disclosure-legend">{html_text(legend(lang))}</div>'
            )
        )
        self.map_widget.value = map_html(state.build_map())
        self._redraw_table()

    def _redraw_table(self, _change=None):
        self.table_widget.value = _table_html(self.state, self.state.table())


def build_overview_page(db_url: str | None = None, params: dict | None = None) -> w.VBox:
    """The overview page as one ipywidgets box (the notebook displays it)."""
    params = query_params() if params is None else params
    lang = page_language(params)
    title = i18n.t("overview_title", lang)
    notice = []
    try:
        # The gazetteer now; figures from the shared cache; other records only if needed.
        records = PageRecords(page_store(db_url))
        area = params.get("place") or records.root
        try:
            records.check_place(area)
        except UnknownPlace as exc:
            notice.append(error_box(exc.message(lang)))
            area = records.root
        notice = [*empty_notice(records.store, WORK_KINDS, lang), *notice]
        state = OverviewState(records, lang, area=area)
        if state.is_region:
            name = records.places.loc[records.places["code"] == area, "name"].iloc[0]
            title = i18n.t("overview_of", lang, place=name)
        state.period_key = default_period_key(records)
        if params.get("metric") in MAP_METRICS:
            state.metric = params["metric"]
        view = OverviewView(state)
    except HehuError as exc:
        return failure_page(title, lang, exc)
    page = page_shell(
        f"{i18n.t('app', lang)} · {title}",
        i18n.t("overview_sub_region" if state.is_region else "overview_sub", lang),
        records,
        lang,
        [*notice, view],
    )
    page.state = state
    page.view = view
    return page
