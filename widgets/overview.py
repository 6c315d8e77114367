"""The overview page: the county map with a metric and period selector, and a table of places."""

from __future__ import annotations

import os

import ipywidgets as w
import pandas as pd
import traitlets

from hehu import areas, i18n, vocab
from hehu.disclosure import current_role, legend, sees_exact_counts, shown_number
from hehu.errors import HehuError, UnknownPlace
from hehu.figures import PageRecords, overview_period_keys, period_from_key
from hehu.metrics import Period, Records
from hehu.place_figures import GAP_FIGURES, disclosed_place_figures

from .common import (
    error_box,
    failure_page,
    html_text,
    page_language,
    page_shell,
    page_store,
    query_params,
)
from .maps import build_overview_map, build_region_map, format_value, map_html

MAP_METRICS = [
    "course_attendance",
    "course_sessions",
    "left_behind_children_paired",
    "must_visit_coverage",
    "households_visited",
    "cases_received",
    "pairings_lapsed",
    "high_risk_without_follow_up",
    "legal_events",
    "recommendations_open",
]
TABLE_METRICS = [
    "course_sessions",
    "course_attendance",
    "left_behind_children",
    "left_behind_children_paired",
    "must_visit_coverage",
    "cases_received",
    "pairings_lapsed",
]


def period_options(records: Records, lang: str) -> list[tuple[str, str]]:
    """(label, key) choices: each year with records, the source report's period, all time."""
    options = []
    # The years come from the shared figures: no records are read for them.
    for key in overview_period_keys(records):
        if key == "all":
            options.append((i18n.t("all_time", lang), key))
        elif ":" in key:  # a period a stored report speaks of
            start, end = key.split(":")
            options.append((i18n.t("source_period", lang, start=start, end=end), key))
        else:
            options.append((i18n.t("year_n", lang, year=key), key))
    return options


class OverviewState(traitlets.HasTraits):
    """What the overview shows: one area, one metric, one period, one sort order."""

    area = traitlets.Unicode("")
    metric = traitlets.Unicode("course_attendance")
    period_key = traitlets.Unicode("all")
    sort_by = traitlets.Unicode("name")
    descending = traitlets.Bool(False)

    def __init__(self, records: Records, lang: str = "zh", role: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.records = records
        self.lang = lang
        self.role = role or current_role()
        if not self.area:
            self.area = records.root
        if not self.is_region:  # a town's or village's overview is its county's
            self.area = areas.overview_county(records.places, self.area)
        self._shown: dict = {}

    @property
    def is_region(self) -> bool:
        """Whether the area lies above a county (one marker per place below it)."""
        return areas.is_region(self.records.places, self.area)

    def shown_places(self) -> pd.DataFrame:
        """The places the map and the table show for the area (the same for every metric)."""
        key = (self.area, self.records.data_version)  # a newer snapshot may have new places
        if key not in self._shown:
            self._shown[key] = areas.map_places(self.records, self.area)
        return self._shown[key]

    @property
    def period(self) -> Period:
        """The selected period."""
        return period_from_key(self.period_key)

    def figures(self) -> pd.DataFrame:
        """Every figure of every place in the selected period, as this role may see them."""
        return disclosed_place_figures(self.records, self.period_key, self.role)

    def stations(self) -> pd.DataFrame:
        """Rights stations and studios of the county shown (none on a region's map)."""
        orgs = self.records["org"]
        if self.is_region:
            return orgs.iloc[0:0]
        county = areas.overview_county(self.records.places, self.area)
        inside = areas.descendants(self.records, county).append(pd.Index([county]))
        return orgs[orgs["kind"].isin(vocab.STATION_KINDS) & orgs["place_code"].isin(inside)]

    def build_map(self):
        """The folium map for the current state (base tiles from the server's setting)."""
        if self.is_region:
            return build_region_map(
                self.shown_places(),
                self.figures(),
                self.metric,
                lang=self.lang,
                tiles=os.environ.get("HEHU_TILES", "none"),
                tianditu_key=os.environ.get("HEHU_TIANDITU_KEY"),
            )
        return build_overview_map(
            self.shown_places(),
            self.figures(),
            self.stations(),
            self.metric,
            lang=self.lang,
            tiles=os.environ.get("HEHU_TILES", "none"),
            tianditu_key=os.environ.get("HEHU_TIANDITU_KEY"),
        )

    def table(self) -> pd.DataFrame:
        """The shown places (towns and key villages, or a region's parts) with figures, sorted."""
        shown = self.shown_places()
        figures = self.figures()
        columns = [self.metric] + [m for m in TABLE_METRICS if m != self.metric]
        frame = shown[["code", "name", "level", "key_village", "parent_code"]].copy()
        for m in [*columns, *GAP_FIGURES]:
            frame[m] = frame["code"].map(figures[m])
        key = self.sort_by if self.sort_by in frame else "name"
        # Hidden figures sort last, whatever their value: an order would tell them apart.
        order = frame[key] if key == "name" else frame[key].map(shown_number).astype("float64")
        return frame.loc[
            order.sort_values(
                ascending=not self.descending, na_position="last", kind="stable"
            ).index
        ]


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
                    f'<div class="hehu-foot">{html_text(note)}{html_text(i18n.t("map_note", lang))} {html_text(i18n.t("source_gazetteer", lang))}</div>'
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
            f'<div class="t">{html_text(i18n.t(g + "_note", lang))}</div></div>'
            for g in GAP_FIGURES
        )
        self.summary.value = (
            f'<div class="hehu-cards"><div class="hehu-card" data-hehu="county-value" data-card="{state.metric}"><div class="k">{html_text(i18n.metric_label(state.metric, lang))} · {html_text(whole)}</div>'
            f'<div class="v">{html_text(format_value(figures[state.metric], state.metric))}</div><div class="t">{html_text(state.period.label())}</div></div>'
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
        state = OverviewState(records, lang, area=area)
        if state.is_region:
            name = records.places.loc[records.places["code"] == area, "name"].iloc[0]
            title = i18n.t("overview_of", lang, place=name)
        options = [k for _, k in period_options(records, lang)]
        state.period_key = options[0] if options else "all"
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
