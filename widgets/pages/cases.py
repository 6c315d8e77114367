"""The cases page (维权事项与普法宣传): cases by category, status and station; legal campaigns."""

from __future__ import annotations

import ipywidgets as w
import pandas as pd

from hehu import i18n
from hehu.disclosure import HIDDEN_COMPLEMENT, shown_number, shows_some
from hehu.figures import tracking
from hehu.figures.cache import page_metrics
from hehu.figures.metrics import PROTECTION_METRICS, Period
from hehu.figures.places import disclosed_place_figures, place_figure_marks
from hehu.figures.splits import STATION_COLUMNS, STATIONS, split_marks
from hehu.records import vocab
from hehu.records.store import Store
from widgets.kit.charts import bar_chart, heat_table
from widgets.kit.common import html_text
from widgets.kit.programmes import CasesProgrammes
from widgets.kit.tables import (
    Card,
    Column,
    FrameTable,
    cards_html,
    chart_series,
    format_cell,
    note_html,
    place_rows,
    row_labels,
    section_html,
    with_total_row,
)
from widgets.kit.texts import tr
from widgets.kit.tracking import TrackingState, TrackingView, build_tracking_page, vocab_options

MAX_EVENT_YEARS = 5  # an open period could span many years; the newest five are shown


class CasesState(TrackingState):
    """Cases page filters: place, period and the case category (legal events ignore it)."""

    def category_options(self) -> list[tuple[str, str]]:
        """All categories, then each case category."""
        return vocab_options(vocab.CASE_CATEGORIES, self.lang, "all_categories")


def campaign_label(key: str, lang: str) -> str:
    """A campaign's name."""
    return vocab.label(vocab.CAMPAIGNS, key, lang)


class CasesView(TrackingView):
    """Cards, cases by category and status, station, time, age and place; legal campaigns."""

    def __init__(self, state: CasesState, store: Store | None = None):
        lang = state.lang
        self.drawn_for: tuple | None = None  # (place, period, records) measures and events show
        self.cards = w.HTML()
        self.category_chart = w.HTML()
        self.place_chart = w.HTML()
        self.category_table = FrameTable("case-categories", [], lang, export_name="事项按类别状态")
        self.station_table = FrameTable("case-stations", [], lang, export_name="事项按阵地")
        self.time_table = FrameTable("case-times", [], lang, export_name="办理时长")
        self.age_table = FrameTable("case-ages", [], lang, export_name="未办结按时长")
        self.place_table = FrameTable("case-places", [], lang, export_name="事项按地点")
        self.case_table = FrameTable("cases", [], lang, export_name="维权事项", scroll=True)
        self.year_table = FrameTable("events-by-year", [], lang, export_name="普法按年度")
        self.measure_cards = w.HTML()
        self.measure_place_table = FrameTable(
            "measure-places", [], lang, export_name="保护措施按地点"
        )
        self.measure_table = FrameTable("measures", [], lang, export_name="保护措施按单位")
        self.referral_table = FrameTable("referrals", [], lang, export_name="转介")
        self.events_box = w.VBox(layout=w.Layout(width="100%"))
        self.programmes = CasesProgrammes(lang)  # laws, channels, deputies, hosts, brands
        sections = [
            self.cards,
            w.HTML(section_html(tr("sec_case_category", lang), "categories")),
            self.category_chart,
            self.category_table,
            w.HTML(section_html(tr("sec_case_station", lang), "stations")),
            self.station_table,
            w.HTML(section_html(tr("sec_case_time", lang), "times")),
            self.time_table,
            w.HTML(section_html(tr("sec_case_age", lang), "ages")),
            self.age_table,
            w.HTML(section_html(tr("sec_case_place", lang), "places")),
            self.place_chart,
            self.place_table,
        ]
        if state.shows_rows:
            sections += [w.HTML(section_html(tr("sec_case_rows", lang), "cases")), self.case_table]
        else:
            sections.append(w.HTML(note_html(tr("rows_staff_only", lang))))
        sections += [
            w.HTML(section_html(tr("sec_measures", lang), "measures")),
            w.HTML(note_html(tr("measures_note", lang))),
            self.measure_cards,
            w.HTML(section_html(tr("sec_measures_place", lang), "measure-places")),
            self.measure_place_table,
        ]
        if state.shows_rows:
            sections += [
                w.HTML(section_html(tr("sec_measures_agency", lang), "measures-agency")),
                self.measure_table,
                w.HTML(section_html(tr("sec_referrals", lang), "referrals")),
                self.referral_table,
            ]
        else:
            sections.append(w.HTML(note_html(tr("measures_staff_only", lang))))
        sections += [
            w.HTML(section_html(tr("sec_events_year", lang), "events-year")),
            self.year_table,
            w.HTML(section_html(tr("sec_events", lang), "events")),
            self.events_box,
            *self.programmes.widgets,
        ]
        super().__init__(state, tr("case_category", lang), sections)
        self.export_log = self.export_logger(store)
        self.programmes.set_export_log(self.export_log)
        for table in (
            self.category_table,
            self.station_table,
            self.time_table,
            self.age_table,
            self.place_table,
            self.case_table,
            self.year_table,
            self.measure_place_table,
            self.measure_table,
            self.referral_table,
        ):
            table.on_export = self.export_log

    def redraw(self) -> None:
        """Recompute the cases' figures for the state's place, period and category; measures,
        legal events and programmes ignore the category, so a change of it leaves them."""
        self._draw_cases()
        state = self.state
        drawn = self.drawn_for
        if drawn and drawn[:2] == (state.place, state.period_key) and drawn[2] is state.records:
            return
        self._draw_measures()
        self._draw_events()
        self.programmes.draw(state)
        self.drawn_for = (state.place, state.period_key, state.records)

    def _draw_cases(self) -> None:
        state, lang, role = self.state, self.state.lang, self.state.role
        records, period, place, category = state.records, state.period, state.place, state.category
        note = state.scope_text()

        figures = tracking.case_figures(records, period, category)
        rows = place_rows(
            records, place, figures, lang, rates={"resolution_rate": ("resolved", "received", 1)}
        )
        place_columns = [
            Column("label", tr("place", lang)),
            Column("received", tr("received", lang), "count"),
            Column("resolved", tr("resolved", lang), "count"),
            Column("resolution_rate", tr("resolution_rate", lang), "rate"),
            Column("open", tr("open", lang), "count"),
            Column("over_90_days", tr("over_90_days", lang), "count"),
        ]
        shown = self.place_table.show_as(
            role,
            rows,
            place_columns,
            note,
            gap_columns=("over_90_days",),
            figures=None
            if state.shows_rows
            else state.place_figures(
                "case", ("received", "resolved", "resolution_rate", "open", "over_90_days")
            ),
        )
        parts = rows[~rows["is_total"]]
        self.place_chart.value = bar_chart(
            list(parts["label"]),
            [chart_series(tr("received", lang), shown.loc[parts.index, "received"], "count", lang)],
            title=f"{tr('received', lang)} · {state.place_name()}",
            key="case-places",
            empty_text=tr("no_data", lang),
        )

        closed_rows = tracking.case_rows(records, period, place, category)
        total_shown = shown.loc[place]
        # The median of a few cases is a fact about those cases: shown with their count only.
        median_all = (
            closed_rows["days_to_close"].median()
            if shown_number(total_shown["resolved"]) is not None
            else HIDDEN_COMPLEMENT
        )
        self.cards.value = cards_html(
            [
                Card(
                    "received",
                    tr("received", lang),
                    format_cell(total_shown["received"], "count"),
                    state.category_label(),
                ),
                Card(
                    "resolved", tr("resolved", lang), format_cell(total_shown["resolved"], "count")
                ),
                Card(
                    "resolution_rate",
                    tr("resolution_rate", lang),
                    format_cell(total_shown["resolution_rate"], "rate"),
                ),
                Card(
                    "open",
                    tr("open", lang),
                    format_cell(total_shown["open"], "count"),
                    tr("as_of", lang, day=period.as_of.strftime("%Y-%m-%d")),
                ),
                Card(
                    "over_90_days",
                    tr("over_90_days", lang),
                    format_cell(total_shown["over_90_days"], "count"),
                    gap=shows_some(total_shown["over_90_days"]),
                ),
                Card("median_days", tr("median_days", lang), format_cell(median_all, "days")),
            ]
        )

        statuses = list(vocab.CASE_STATUSES)

        def category_table(when: Period) -> pd.DataFrame:
            frame = tracking.cases_by_category_status(records, when, place, category)
            frame["label"] = frame["category"].map(
                lambda c: vocab.label(vocab.CASE_CATEGORIES, c, lang)
            )
            return with_total_row(frame, [*statuses, "total"], "label", tr("total", lang))

        category_periods = state.across_periods(category_table)
        by_category = category_periods[state.period_key]

        # every cell of a category's row is a place figure (and of the total row of both
        # tables): a town's table against its villages' is the place hierarchy
        status_figures = {"open": "open", **{s: f"status_{s}" for s in vocab.CASE_DONE_STATUSES}}
        category_columns = [
            Column("label", tr("category", lang)),
            *[Column(s, vocab.label(vocab.CASE_STATUSES, s, lang), "count") for s in statuses],
            Column("total", tr("total", lang), "count"),
        ]
        category_shown = self.category_table.show_as(
            role,
            by_category,
            category_columns,
            note,
            periods=category_periods,
            showing=state.period_key,
            row_key=("label",),
            total_row=len(by_category) - 1,
            additive=(("total", tuple(statuses)),),
            over_time=dict.fromkeys([*statuses, "total"], "dated"),  # cases received in the period
            elsewhere=self._place_marks(
                category_periods,
                lambda f: [
                    category if t else c for c, t in zip(f["category"], f["is_total"], strict=True)
                ],
                {"total": "received", **status_figures},
            ),
        )
        body = by_category[~by_category["is_total"]]
        self.category_chart.value = bar_chart(
            list(body["label"]),
            [
                chart_series(
                    vocab.label(vocab.CASE_STATUSES, s, lang),
                    category_shown.loc[body.index, s],
                    "count",
                    lang,
                )
                for s in statuses
            ],
            title=f"{tr('sec_case_category', lang)} · {state.place_name()}",
            key="case-categories",
            empty_text=tr("no_data", lang),
        )

        station_counts = ["received", "resolved", "referred", "open"]

        def station_table(when: Period) -> pd.DataFrame:
            frame = tracking.cases_by_station(records, when, place, category)
            frame = with_total_row(frame, station_counts, "station", tr("total", lang))
            closed = tracking.case_rows(records, when, place, category)["days_to_close"]
            frame.loc[frame["is_total"], "median_days"] = closed.median()
            return frame

        station_periods = state.across_periods(station_table)
        stations = station_periods[state.period_key]
        station_columns = [
            Column("station", tr("station", lang)),
            Column("received", tr("received", lang), "count"),
            Column("resolved", vocab.label(vocab.CASE_STATUSES, "resolved", lang), "count"),
            Column("referred", vocab.label(vocab.CASE_STATUSES, "referred", lang), "count"),
            Column("open", tr("open", lang), "count"),
            Column("median_days", tr("median_days", lang), "days"),
        ]
        self.station_table.show_as(
            role,
            stations,
            station_columns,
            note,
            periods=station_periods,
            showing=state.period_key,
            row_key=("org_id",),
            total_row=len(stations) - 1,
            additive=(("received", ("resolved", "referred", "open")),),
            derived={"median_days": ("resolved", "referred")},
            over_time=dict.fromkeys(station_counts, "dated"),
            elsewhere=None
            if state.shows_rows
            else {  # every place at every station disclosed together, and with the places
                key: split_marks(
                    records,
                    STATIONS,
                    key,
                    place,
                    category,
                    [None if t else o for o, t in zip(f["org_id"], f["is_total"], strict=True)],
                    STATION_COLUMNS,
                )
                for key, f in station_periods.items()
            },
        )

        self._draw_times()

        ages = tracking.open_cases_by_age(records, period, place, category)
        ages = with_total_row(ages, ["cases"], "band", tr("total", lang))
        age_columns = [
            Column("band", tr("band", lang)),
            Column("cases", tr("cases_n", lang), "count"),
        ]
        band_figures = None
        if not state.shows_rows:  # the place's bands as disclosed with every place's figures
            bands = state.place_figures("open_case", [*ages["band"][:-1], "total"]).loc[place]
            band_figures = pd.DataFrame({"cases": list(bands)}, index=ages.index)
        ages["band"] = ages["band"].map(lambda band: i18n.age_band_label(band, lang))
        self.age_table.show_as(role, ages, age_columns, note, gap_columns=(), figures=band_figures)

        if state.shows_rows:
            cases = tracking.case_rows(records, period, place, category)
            cases["category"] = cases["category"].map(
                lambda c: vocab.label(vocab.CASE_CATEGORIES, c, lang)
            )
            cases["status_as_of"] = cases["status_as_of"].map(
                lambda s: vocab.label(vocab.CASE_STATUSES, s, lang)
            )
            self.case_table.columns = [
                Column("case_id", tr("case", lang)),
                Column("received_date", tr("received_date", lang), "date"),
                Column("category", tr("category", lang)),
                Column("status_as_of", tr("status", lang)),
                Column("closed_date", tr("closed_date", lang), "date"),
                Column("days_to_close", tr("days_to_close", lang), "days"),
                Column("age_days", tr("age_days", lang), "days"),
                Column("station", tr("station", lang)),
                Column("place_name", tr("village", lang)),
                Column("town_name", tr("town", lang)),
            ]
            self.case_table.show(cases, cases.astype(object), note)

    def _place_marks(self, frames: dict, categories, columns: dict) -> dict | None:
        """Which of a table's cells are the place's figures, as disclosed among every place's
        (by period: `frames` the table's, `categories(frame)` the case category each row
        counts, None for none; `columns` {column: the case figure}): a town's cases hidden
        there are hidden in its tables too, and a town's table against its villages' is the
        place hierarchy."""
        state = self.state
        if state.shows_rows:
            return None
        return {
            key: place_figure_marks(
                state.records, key, state.role, state.place, "case", categories(frame), columns
            )
            for key, frame in frames.items()
        }

    def _draw_times(self) -> None:
        """办理时长: a category's cases closed by the period's end are its cases resolved and
        referred on, the place figure `resolved` of that category: disclosed as it is among
        every place's (disclosed on its own, a town's small count was read off its villages',
        and a status the table by category hides off the other two)."""
        state, lang = self.state, self.state.lang
        records, place, category = state.records, state.place, state.category

        def time_table(when: Period) -> pd.DataFrame:
            frame = tracking.resolution_times(records, when, place, category)
            frame["label"] = frame["category"].map(
                lambda c: vocab.label(vocab.CASE_CATEGORIES, c, lang)
            )
            return frame

        time_periods = state.across_periods(time_table)
        time_columns = [
            Column("label", tr("category", lang)),
            Column("closed", tr("closed", lang), "count"),
            Column("median_days", tr("median_days", lang), "days"),
            Column("mean_days", tr("mean_days", lang), "days"),
            Column("max_days", tr("max_days", lang), "days"),
        ]
        self.time_table.show_as(
            state.role,
            time_periods[state.period_key],
            time_columns,
            state.scope_text(),
            periods=time_periods,
            showing=state.period_key,
            row_key=("label",),
            derived={d: ("closed",) for d in ("median_days", "mean_days", "max_days")},
            over_time={"closed": "dated"},
            elsewhere=self._place_marks(
                time_periods, lambda f: list(f["category"]), {"closed": "resolved"}
            ),
        )

    def _draw_measures(self) -> None:
        """Protection measures and referrals: the place's figures (cards, and by place) from
        the one disclosure of every place's figures; for staff, by agency and by route."""
        state, lang, role = self.state, self.state.lang, self.state.role
        records, place = state.records, state.place
        note = f"{state.place_name()} · {state.period.label(lang)}"
        metrics = list(PROTECTION_METRICS)
        disclosed = disclosed_place_figures(records, state.period_key, role)[metrics]
        self.measure_cards.value = cards_html(
            [
                Card(m, i18n.metric_label(m, lang), format_cell(disclosed.at[place, m], "count"))
                for m in metrics
            ]
        )
        rows = place_rows(records, place, page_metrics(records, state.period)[metrics], lang)
        self.measure_place_table.show_as(
            role,
            rows,
            [
                Column("label", tr("place", lang)),
                *[Column(m, i18n.metric_label(m, lang), "count") for m in metrics],
            ],
            note,
            gap_columns=(),
            figures=None if state.shows_rows else disclosed,
        )
        if not state.shows_rows:
            return

        outcomes = list(vocab.MEASURE_OUTCOMES)
        measures = tracking.measures_by_agency(records, state.period, place)
        measures["label"] = measures["measure"].map(lambda m: vocab.label(vocab.MEASURES, m, lang))
        measures = with_total_row(measures, [*outcomes, "total"], "agency", tr("total", lang))
        self.measure_table.columns = [
            Column("agency", tr("agency", lang)),
            Column("label", tr("measure", lang)),
            *[Column(o, vocab.label(vocab.MEASURE_OUTCOMES, o, lang), "count") for o in outcomes],
            Column("total", tr("total", lang), "count"),
        ]
        self.measure_table.show(measures, measures.astype(object), note)

        referrals = tracking.referrals_between(records, state.period, place)
        referrals = with_total_row(referrals, ["referrals"], "from_org", tr("total", lang))
        self.referral_table.columns = [
            Column("from_org", tr("from_org", lang)),
            Column("to_org", tr("to_org", lang)),
            Column("referrals", tr("referrals", lang), "count"),
        ]
        self.referral_table.show(referrals, referrals.astype(object), note)

    def _draw_events(self) -> None:
        state, lang = self.state, self.state.lang
        records, period, place = state.records, state.period, state.place
        note = f"{state.place_name()} · {period.label(lang)}"

        by_year = tracking.events_by_campaign_year(records, period, place)
        by_year["label"] = by_year["campaign"].map(lambda c: campaign_label(c, lang))
        year_columns = [
            Column("year", tr("year", lang)),
            Column("label", tr("campaign", lang)),
            Column("events", tr("events", lang), "number"),
            Column("audience", tr("audience", lang), "number"),
        ]
        self.year_table.columns = year_columns
        self.year_table.show(by_year, by_year.astype(object), note)

        campaigns = list(tracking.NAMED_CAMPAIGNS) + ["other"]
        blocks: list[w.Widget] = []
        for year in tracking.event_years(records, period)[:MAX_EVENT_YEARS]:
            figures = tracking.campaign_figures(records, period, year)
            rows = tracking.breakdown(records, place, figures)
            rows["label"] = row_labels(rows, lang)
            body = rows[~rows["is_total"]]
            chart = heat_table(
                list(body["label"]),
                [campaign_label(c, lang) for c in campaigns],
                body[campaigns].to_numpy().tolist(),
                title=f"{year} · {tr('sec_events', lang)} · {state.place_name()}",
                key=f"events-{year}",
            )
            without = tracking.places_without_campaign(records, period, place, year)
            missing = [
                tr(
                    "held_nothing",
                    lang,
                    campaign=campaign_label(c, lang),
                    places=i18n.join_list(names, lang),
                )
                for c, names in without.items()
                if names
            ]
            missing_html = (
                f'<div class="hehu-sub"><b>{html_text(tr("sec_without", lang))}{" (" if lang == "en" else "（"}{year}{")" if lang == "en" else "）"}</b></div>'
                + (
                    '<ul class="hehu-list" data-hehu="held-nothing">'
                    + "".join(f"<li>{html_text(m)}</li>" for m in missing)
                    + "</ul>"
                    if missing
                    else note_html(tr("all_held", lang))
                )
            )
            columns = [Column("label", tr("place", lang))] + [
                Column(c, campaign_label(c, lang), "number") for c in campaigns
            ]
            table = FrameTable(
                f"events-{year}",
                columns,
                lang,
                export_name=f"普法{year}",
                on_export=self.export_log,
            )
            table.gap_columns = ()
            table.show(rows, rows.astype(object), f"{note} · {year}")
            blocks += [w.HTML(chart + missing_html), table]
        if not blocks:
            blocks = [w.HTML(note_html(tr("no_data", lang)))]
        self.events_box.children = blocks


def build_cases_page(db_url: str | None = None, params: dict | None = None) -> w.VBox:
    """The cases and legal campaigns page as one ipywidgets box (the notebook displays it)."""
    return build_tracking_page(
        "cases",
        lambda records, lang: CasesState(records, lang),
        lambda state, store: CasesView(state, store),
        db_url,
        params,
    )
