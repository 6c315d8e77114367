"""The pairings page (结对帮扶): coverage of children by place, who is not paired, lapsed pairings."""

from __future__ import annotations

import ipywidgets as w
import pandas as pd
import traitlets

from hehu import i18n
from hehu.disclosure import shows_some
from hehu.figures import tracking
from hehu.figures.metrics import Period, Records
from hehu.figures.splits import PAIRINGS_BY_MONTH, PAIRINGS_BY_ORG, pairing_org_key, split_marks
from hehu.records import vocab
from hehu.records.store import Store
from widgets.kit.charts import bar_chart, column_chart, line_chart
from widgets.kit.tables import (
    Card,
    Column,
    FrameTable,
    cards_html,
    chart_series,
    format_cell,
    note_html,
    place_rows,
    section_html,
    with_total_row,
)
from widgets.kit.texts import tr
from widgets.kit.tracking import TrackingState, TrackingView, build_tracking_page

# Columns aggregate-only roles do not get (see PairingsView.redraw).
AGGREGATE_ONLY_HIDDEN = ("active", "paired_in_period", "running")
# The tables' columns {column: figure} disclosed with every place's (hehu.figures.splits)
ORG_COLUMNS = {"lapsed": "lapsed", "started": "started", "ended": "ended"}
MONTH_COLUMNS = {"started": "started", "ended": "ended"}
# The coverage table's figures, disclosed once with every place's (hehu.place_figures).
FIGURES = ("registered", "paired", "unpaired", "coverage", "paired_in_period", "active", "lapsed")


class PairingsState(TrackingState):
    """Pairings page filters: place, period, children's category, and the lapse threshold."""

    lapse_days = traitlets.Int(vocab.LAPSE_DAYS_DEFAULT)
    FILTERS = (*TrackingState.FILTERS, "lapse_days")

    def __init__(self, records: Records, lang: str = "zh", role: str | None = None, **kwargs):
        kwargs.setdefault("lapse_days", tracking.lapse_days_setting())
        super().__init__(records, lang, role, **kwargs)

    @traitlets.validate("lapse_days")
    def _positive(self, proposal):
        return max(1, int(proposal["value"]))

    def category_options(self) -> list[tuple[str, str]]:
        """Either kind of child, or one of them."""
        return [(tr("children_either", self.lang), "")] + [
            (vocab.label(vocab.CATEGORIES, c, self.lang), c) for c in tracking.CHILD_CATEGORIES
        ]


class PairingsView(TrackingView):
    """Cards, coverage by place, unpaired children, lapsed pairings, starts and ends by month."""

    def __init__(self, state: PairingsState, store: Store | None = None):
        lang = state.lang
        self.lapse_picker = w.BoundedIntText(
            value=state.lapse_days,
            min=1,
            max=3650,
            description=tr("lapse_days", lang),
            layout=w.Layout(width="180px"),
        )
        self.lapse_picker.style.description_width = "initial"
        w.link((self.lapse_picker, "value"), (state, "lapse_days"))
        log = None
        self.cards = w.HTML()
        self.coverage_chart = w.HTML()
        self.unpaired_note = w.HTML()
        self.lapsed_note = w.HTML()
        self.flow_charts = w.HTML()
        self.coverage_table = FrameTable("coverage", [], lang, export_name="结对覆盖")
        self.org_table = FrameTable("pairings-by-org", [], lang, export_name="结对按组织")
        self.flow_table = FrameTable("pairing-flow", [], lang, export_name="结对起止")
        self.unpaired_table = FrameTable(
            "unpaired", [], lang, export_name="未结对儿童", scroll=True
        )
        self.lapsed_table = FrameTable("lapsed", [], lang, export_name="逾期结对", scroll=True)
        sections = [
            self.cards,
            w.HTML(section_html(tr("sec_coverage", lang), "coverage")),
            self.coverage_chart,
            self.coverage_table,
            w.HTML(section_html(tr("sec_unpaired", lang), "unpaired")),
            self.unpaired_note,
        ]
        if state.shows_rows:
            sections.append(self.unpaired_table)
        sections += [
            w.HTML(section_html(tr("sec_lapsed", lang), "lapsed")),
            self.lapsed_note,
            w.HTML(section_html(tr("sec_by_org", lang), "by-org")),
            self.org_table,
        ]
        if state.shows_rows:
            sections.insert(sections.index(self.lapsed_note) + 1, self.lapsed_table)
        sections += [
            w.HTML(section_html(tr("sec_flow", lang), "flow")),
            self.flow_charts,
            self.flow_table,
        ]
        # The lapse threshold is the server's for roles that see aggregates only: two
        # thresholds could be subtracted.
        extra = [self.lapse_picker] if state.shows_rows else []
        super().__init__(state, tr("child_category", lang), sections, extra)
        log = self.export_logger(store)
        for table in (
            self.coverage_table,
            self.org_table,
            self.flow_table,
            self.unpaired_table,
            self.lapsed_table,
        ):
            table.on_export = log

    def redraw(self) -> None:
        """Recompute every figure for the state's place, period, category and threshold."""
        state, lang, role = self.state, self.state.lang, self.state.role
        records, period, place, category = state.records, state.period, state.place, state.category
        note = state.scope_text()

        # coverage by place, with pairing figures on the same rows
        coverage = tracking.pairing_coverage(records, period, category).join(
            tracking.pairing_figures(records, period, state.lapse_days, category)
        )
        rows = place_rows(
            records, place, coverage, lang, rates={"coverage": ("paired", "registered", 1)}
        )
        columns = [
            Column("label", tr("place", lang)),
            Column("registered", tr("registered", lang), "count"),
            Column("paired", tr("paired", lang), "count"),
            Column("unpaired", tr("unpaired", lang), "count"),
            Column("coverage", tr("coverage", lang), "rate"),
            Column("paired_in_period", tr("paired_in_period", lang), "count"),
            Column("active", tr("active", lang), "count"),
            Column("lapsed", tr("lapsed", lang), "count"),
        ]
        if not state.shows_rows:
            # Pairings running and children paired in the period nearly equal the children
            # paired: beside them they would give a hidden count away, so aggregate-only roles
            # get the children's figures and the lapsed pairings only.
            columns = [c for c in columns if c.key not in AGGREGATE_ONLY_HIDDEN]
        if "population" in rows:
            # the villages' own statistics (the gazetteer), not a count of records
            columns.append(Column("population", tr("population", lang), "number"))
        shown = self.coverage_table.show_as(
            role,
            rows,
            columns,
            note,
            gap_columns=("unpaired", "lapsed"),
            figures=None if state.shows_rows else state.place_figures("pairing", FIGURES),
        )
        total = shown.loc[place]
        self.cards.value = cards_html(
            [
                Card(
                    "registered",
                    tr("registered", lang),
                    format_cell(total["registered"], "count"),
                    state.category_label(),
                ),
                Card("paired", tr("paired", lang), format_cell(total["paired"], "count")),
                Card(
                    "unpaired",
                    tr("unpaired", lang),
                    format_cell(total["unpaired"], "count"),
                    gap=shows_some(total["unpaired"]),
                ),
                Card("coverage", tr("coverage", lang), format_cell(total["coverage"], "rate")),
                *(
                    [Card("active", tr("active", lang), format_cell(total["active"], "count"))]
                    if state.shows_rows
                    else []
                ),
                Card(
                    "lapsed",
                    tr("lapsed", lang),
                    format_cell(total["lapsed"], "count"),
                    tr("lapse_days", lang) + f" {state.lapse_days}",
                    gap=shows_some(total["lapsed"]),
                ),
            ]
        )
        parts = rows[~rows["is_total"]]
        parts_shown = shown.loc[parts.index]
        self.coverage_chart.value = bar_chart(
            list(parts["label"]),
            [
                chart_series(tr("paired", lang), parts_shown["paired"], "count", lang),
                chart_series(tr("unpaired", lang), parts_shown["unpaired"], "count", lang),
            ],
            title=f"{tr('sec_coverage', lang)} · {state.place_name()}",
            key="coverage",
            empty_text=tr("no_data", lang),
        )

        # who is not paired: pseudonymous rows for staff, counts (above) for everyone else
        self.unpaired_note.value = (
            "" if state.shows_rows else note_html(tr("rows_staff_only", lang))
        )
        if state.shows_rows:
            unpaired = tracking.unpaired_rows(records, period, place, category)
            unpaired["categories"] = unpaired["categories"].map(
                lambda c: i18n.join_list(
                    (vocab.label(vocab.CATEGORIES, k, lang) for k in vocab.split_keys(c)), lang
                )
            )
            unpaired["sex"] = unpaired["sex"].map(lambda s: vocab.label(vocab.SEXES, s, lang))
            unpaired_columns = [
                Column("person_id", tr("person", lang)),
                Column("household_id", tr("household", lang)),
                Column("place_name", tr("village", lang)),
                Column("town_name", tr("town", lang)),
                Column("sex", tr("sex", lang)),
                Column("age", tr("age", lang), "number"),
                Column("categories", tr("categories", lang)),
                Column("last_pairing_end", tr("last_pairing_end", lang), "date"),
                Column("last_org", tr("last_org", lang)),
            ]
            self.unpaired_table.columns = unpaired_columns
            self.unpaired_table.show(unpaired, unpaired.astype(object), note)

        # lapsed pairings and pairings by organisation and support type
        self.lapsed_note.value = note_html(tr("lapsed_def", lang, days=state.lapse_days))
        if state.shows_rows:
            lapsed = tracking.lapsed_rows(records, period, place, state.lapse_days, category)
            lapsed["support_type"] = lapsed["support_type"].map(
                lambda k: vocab.label(vocab.SUPPORT_TYPES, k, lang)
            )
            self.lapsed_table.columns = [
                Column("pairing_id", tr("pairing", lang)),
                Column("person_id", tr("person", lang)),
                Column("org_name", tr("org", lang)),
                Column("support_type", tr("support_type", lang)),
                Column("place_name", tr("village", lang)),
                Column("town_name", tr("town", lang)),
                Column("start_date", tr("start_date", lang), "date"),
                Column("last_contact", tr("last_contact", lang), "date"),
                Column("days_since_contact", tr("days_since_contact", lang), "days"),
            ]
            self.lapsed_table.show(lapsed, lapsed.astype(object), note)
        counts = ["active", "lapsed", "started", "ended"]

        # what aggregate-only roles see is disclosed with every place's pairings by
        # organisation and by month (hehu.figures.splits) at the server's lapse threshold
        lapse_days = state.lapse_days if state.shows_rows else tracking.lapse_days_setting()

        def org_table(when: Period) -> pd.DataFrame:
            frame = tracking.pairings_by_org(records, when, place, lapse_days, category)
            frame["key"] = [
                pairing_org_key(o, t)
                for o, t in zip(frame["org_id"], frame["support_type"], strict=True)
            ]
            frame["support_type"] = frame["support_type"].map(
                lambda k: vocab.label(vocab.SUPPORT_TYPES, k, lang)
            )
            return with_total_row(frame, counts, "org_name", tr("total", lang))

        org_periods = state.across_periods(org_table)
        by_org = org_periods[state.period_key]
        org_columns = [
            Column("org_name", tr("org", lang)),
            Column("support_type", tr("support_type", lang)),
            Column("active", tr("active", lang), "count"),
            Column("lapsed", tr("lapsed", lang), "count"),
            Column("started", tr("started", lang), "count"),
            Column("ended", tr("ended", lang), "count"),
        ]
        if not state.shows_rows:
            org_columns = [c for c in org_columns if c.key not in AGGREGATE_ONLY_HIDDEN]
        self.org_table.show_as(
            role,
            by_org,
            org_columns,
            note,
            gap_columns=("lapsed",),
            periods=org_periods,
            showing=state.period_key,
            row_key=("org_name", "support_type"),
            total_row=len(by_org) - 1,
            over_time={"started": "dated", "ended": "dated", "active": "state", "lapsed": "state"},
            elsewhere=self._split_marks(PAIRINGS_BY_ORG, org_periods, "key", ORG_COLUMNS),
        )

        # starts and ends over time
        def flow_table(when: Period) -> pd.DataFrame:
            frame = tracking.pairing_flow(records, when, place, category)
            frame = with_total_row(frame, ["started", "ended"], "month", tr("total", lang))
            frame.loc[frame["is_total"], "running"] = pd.NA
            return frame

        flow_periods = state.across_periods(flow_table)
        flow = flow_periods[state.period_key]
        flow_columns = [
            Column("month", tr("date", lang)),
            Column("started", tr("started", lang), "count"),
            Column("ended", tr("ended", lang), "count"),
            Column("running", tr("running", lang), "count"),
        ]
        if not state.shows_rows:
            # month-to-month changes of the running total would give away small starts
            flow_columns = flow_columns[:-1]
        flow_shown = self.flow_table.show_as(
            role,
            flow,
            flow_columns,
            note,
            periods=flow_periods,
            showing=state.period_key,
            row_key=("month",),
            total_row=len(flow) - 1,
            over_time={"started": "dated", "ended": "dated", "running": "state"},
            elsewhere=self._split_marks(PAIRINGS_BY_MONTH, flow_periods, "month", MONTH_COLUMNS),
        )
        months = flow[~flow["is_total"]]
        months_shown = flow_shown.loc[months.index]
        self.flow_charts.value = column_chart(
            list(months["month"]),
            [
                chart_series(tr("started", lang), months_shown["started"], "count", lang),
                chart_series(tr("ended", lang), months_shown["ended"], "count", lang),
            ],
            title=f"{tr('sec_flow', lang)} · {state.place_name()}",
            key="flow",
            empty_text=tr("no_data", lang),
        )
        if not state.shows_rows:
            return
        self.flow_charts.value += line_chart(
            list(months["month"]),
            [chart_series(tr("running", lang), months_shown["running"], "count", lang)],
            title=tr("running", lang),
            key="running",
            empty_text=tr("no_data", lang),
        )

    def _split_marks(self, split, periods: dict, key: str, columns: dict) -> dict | None:
        """A table's marks in each period as disclosed with every place's (None for staff)."""
        state = self.state
        if state.shows_rows:
            return None
        return {
            period_key: split_marks(
                state.records,
                split,
                period_key,
                state.place,
                state.category,
                [None if t else k for k, t in zip(f[key], f["is_total"], strict=True)],
                columns,
            )
            for period_key, f in periods.items()
        }


def build_pairings_page(db_url: str | None = None, params: dict | None = None) -> w.VBox:
    """The pairings page as one ipywidgets box (the notebook displays it)."""
    return build_tracking_page(
        "pairings",
        lambda records, lang: PairingsState(records, lang),
        lambda state, store: PairingsView(state, store),
        db_url,
        params,
    )
