"""The visits page (走访与风险隐患排查): the six must-visit groups, follow-ups, high-risk households."""

from __future__ import annotations

import ipywidgets as w
import pandas as pd

from hehu import i18n
from hehu.disclosure import shown_number, shows_some
from hehu.figures import tracking
from hehu.figures.places import disclosed_place_figures, family_column
from hehu.records import vocab
from hehu.records.store import Store
from widgets.kit.charts import bar_chart
from widgets.kit.programmes import VisitsProgrammes
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
)
from widgets.kit.texts import tr
from widgets.kit.tracking import TrackingState, TrackingView, build_tracking_page


class VisitsState(TrackingState):
    """Visits page filters: place, period and one of the six must-visit groups."""

    def category_options(self) -> list[tuple[str, str]]:
        """All six groups, then each group."""
        zh = self.lang != "en"
        return [(tr("all_groups", self.lang), "")] + [
            (zh_label if zh else en_label, key)
            for key, (zh_label, en_label, _) in vocab.MUST_VISIT_GROUPS.items()
        ]


def group_label(key: str, lang: str) -> str:
    """A must-visit group's name."""
    zh, en, _ = vocab.MUST_VISIT_GROUPS[key]
    return en if lang == "en" else zh


def _labels(keys: str, table: dict, lang: str) -> str:
    return i18n.join_list((vocab.label(table, k, lang) for k in vocab.split_keys(keys)), lang)


def place_figures(state: TrackingState) -> pd.DataFrame:
    """The place table's figures for the page's group, as disclosed with every place's."""
    return pd.concat(
        [
            state.place_figures("must_visit", ("households", "visited", "not_visited", "coverage")),
            state.place_figures("follow_up", ("outstanding", "due_soon", "overdue")),
            state.place_figures("screening", ("screened", "high_risk", "high_risk_unfollowed")),
        ],
        axis=1,
    )


class VisitsView(TrackingView):
    """Cards, the six groups, figures by place, households, follow-ups and high-risk households."""

    COUNTS = (
        "households",
        "visited",
        "not_visited",
        "outstanding",
        "due_soon",
        "overdue",
        "screened",
        "high_risk",
        "high_risk_unfollowed",
    )

    def __init__(self, state: VisitsState, store: Store | None = None):
        lang = state.lang
        self.cards = w.HTML()
        self.group_chart = w.HTML()
        self.place_chart = w.HTML()
        self.rows_note = w.HTML()
        self.group_table = FrameTable("must-visit-groups", [], lang, export_name="必访类别")
        self.place_table = FrameTable("visit-places", [], lang, export_name="走访按地点")
        self.household_table = FrameTable(
            "must-visit-households", [], lang, export_name="必访家庭", scroll=True
        )
        self.follow_up_table = FrameTable("follow-ups", [], lang, export_name="回访", scroll=True)
        self.high_risk_table = FrameTable(
            "high-risk", [], lang, export_name="高风险未跟进", scroll=True
        )
        self.programmes = VisitsProgrammes(lang)  # visits by organisation, screening by agency
        sections = [
            self.cards,
            w.HTML(section_html(tr("sec_groups", lang), "groups")),
            w.HTML(note_html(tr("groups_overlap", lang))),
            self.group_chart,
            self.group_table,
            w.HTML(section_html(tr("sec_visit_place", lang), "places")),
            self.place_chart,
            self.place_table,
            *self.programmes.widgets,
        ]
        if state.shows_rows:
            sections += [
                w.HTML(section_html(tr("sec_not_visited", lang), "households")),
                self.household_table,
                w.HTML(section_html(tr("sec_follow_ups", lang), "follow-ups")),
                self.follow_up_table,
                w.HTML(section_html(tr("sec_high_risk", lang), "high-risk")),
                self.high_risk_table,
            ]
        else:
            sections.append(w.HTML(note_html(tr("rows_staff_only", lang))))
        super().__init__(state, tr("must_visit_group", lang), sections)
        log = self.export_logger(store)
        self.programmes.set_export_log(log)
        for table in (
            self.group_table,
            self.place_table,
            self.household_table,
            self.follow_up_table,
            self.high_risk_table,
        ):
            table.on_export = log

    def redraw(self) -> None:
        """Recompute every figure for the state's place, period and group."""
        state, lang, role = self.state, self.state.lang, self.state.role
        records, period, place, group = state.records, state.period, state.place, state.category
        note = state.scope_text()

        figures = (
            tracking.must_visit_figures(records, period, group)
            .join(tracking.follow_up_figures(records, period, group))
            .join(tracking.screening_figures(records, period, group))
        )
        rows = place_rows(
            records, place, figures, lang, rates={"coverage": ("visited", "households", 1)}
        )
        columns = [
            Column("label", tr("place", lang)),
            Column("households", tr("households", lang), "count"),
            Column("visited", tr("visited", lang), "count"),
            Column("not_visited", tr("not_visited", lang), "count"),
            Column("coverage", tr("visit_coverage", lang), "rate"),
            Column("outstanding", tr("outstanding", lang), "count"),
            Column("due_soon", tr("due_soon", lang), "count"),
            Column("overdue", tr("overdue", lang), "count"),
            Column("screened", tr("screened", lang), "count"),
            Column("high_risk", tr("high_risk", lang), "count"),
            Column("high_risk_unfollowed", tr("high_risk_unfollowed", lang), "count"),
        ]
        shown = self.place_table.show_as(
            role,
            rows,
            columns,
            note,
            gap_columns=("not_visited", "overdue", "high_risk_unfollowed"),
            figures=None if state.shows_rows else place_figures(state),
        )

        total_shown = shown.loc[place]
        targets = tracking.period_targets(records, "must_visit_coverage", period)
        target = targets["value"].get(place) if len(targets) else None
        coverage_note = (
            tr(
                "target_with_source",
                lang,
                value=f"{target:.0%}",
                source=targets["source"].get(place),
            )
            if target is not None
            else ""
        )
        self.cards.value = cards_html(
            [
                Card(
                    "households",
                    tr("households", lang),
                    format_cell(total_shown["households"], "count"),
                    state.category_label(),
                ),
                Card("visited", tr("visited", lang), format_cell(total_shown["visited"], "count")),
                Card(
                    "coverage",
                    tr("visit_coverage", lang),
                    format_cell(total_shown["coverage"], "rate"),
                    coverage_note,
                    gap=target is not None
                    and shown_number(total_shown["coverage"]) is not None
                    and total_shown["coverage"] < target,
                ),
                Card(
                    "due_soon", tr("due_soon", lang), format_cell(total_shown["due_soon"], "count")
                ),
                Card(
                    "overdue",
                    tr("overdue", lang),
                    format_cell(total_shown["overdue"], "count"),
                    gap=shows_some(total_shown["overdue"]),
                ),
                Card(
                    "high_risk_unfollowed",
                    tr("high_risk_unfollowed", lang),
                    format_cell(total_shown["high_risk_unfollowed"], "count"),
                    gap=shows_some(total_shown["high_risk_unfollowed"]),
                ),
            ]
        )
        self.programmes.draw(state)
        parts = rows[~rows["is_total"]]
        parts_shown = shown.loc[parts.index]
        self.place_chart.value = bar_chart(
            list(parts["label"]),
            [
                chart_series(tr("visited", lang), parts_shown["visited"], "count", lang),
                chart_series(tr("not_visited", lang), parts_shown["not_visited"], "count", lang),
            ],
            title=f"{tr('households', lang)} · {state.place_name()}",
            key="visit-places",
            empty_text=tr("no_data", lang),
        )

        by_group = tracking.must_visit_by_group(records, period, place)
        if group:
            by_group = by_group[by_group["group"] == group]
        by_group["label"] = by_group["group"].map(lambda g: group_label(g, lang))
        # Who each group takes in (the source's 单亲、特困、残疾…): words, never a count.
        by_group["covers"] = by_group["group"].map(
            lambda g: i18n.join_list(
                (vocab.label(vocab.CATEGORIES, c, lang) for c in vocab.MUST_VISIT_GROUPS[g][2]),
                lang,
            )
        )
        group_columns = [
            Column("label", tr("group", lang)),
            Column("covers", tr("group_covers", lang)),
            Column("households", tr("households", lang), "count"),
            Column("visited", tr("visited", lang), "count"),
            Column("not_visited", tr("not_visited", lang), "count"),
            Column("coverage", tr("visit_coverage", lang), "rate"),
        ]
        # The place's row of each group, as disclosed with every place's figures.
        group_figures = None
        if not state.shows_rows:
            shown_all = disclosed_place_figures(records, state.period_key, role)
            group_figures = pd.DataFrame(
                {
                    f: [
                        shown_all.at[place, family_column("must_visit", f, g)]
                        for g in by_group["group"]
                    ]
                    for f in ("households", "visited", "not_visited", "coverage")
                },
                index=by_group.index,
            )
        group_shown = self.group_table.show_as(
            role,
            by_group,
            group_columns,
            note,
            gap_columns=("not_visited",),
            figures=group_figures,
        )
        self.group_chart.value = bar_chart(
            list(by_group["label"]),
            [
                chart_series(tr("visited", lang), group_shown["visited"], "count", lang),
                chart_series(tr("not_visited", lang), group_shown["not_visited"], "count", lang),
            ],
            title=f"{tr('sec_groups', lang)} · {state.place_name()}",
            key="must-visit-groups",
            empty_text=tr("no_data", lang),
        )

        if not state.shows_rows:
            return
        households = tracking.must_visit_rows(records, period, place, group)
        households["groups"] = households["groups"].map(
            lambda g: i18n.join_list((group_label(k, lang) for k in vocab.split_keys(g)), lang)
        )
        self.household_table.columns = [
            Column("household_id", tr("household", lang)),
            Column("place_name", tr("village", lang)),
            Column("town_name", tr("town", lang)),
            Column("groups", tr("group", lang)),
            Column("visited", tr("visited", lang), "flag"),
            Column("visits", tr("visits", lang), "number"),
            Column("last_visit", tr("last_visit", lang), "date"),
        ]
        self.household_table.show(households, households.astype(object), note)

        under = tracking.places_under(records, place)
        follow_ups = tracking.follow_up_rows(records, period, group)
        follow_ups = follow_ups[
            (follow_ups["status"] != "done") & follow_ups["place_code"].isin(under)
        ].copy()
        follow_ups["source"] = follow_ups["source"].map(lambda s: tr(f"src_{s}", lang))
        follow_ups["status"] = follow_ups["status"].map(lambda s: tr(f"st_{s}", lang))
        self.follow_up_table.columns = [
            Column("status", tr("status", lang)),
            Column("follow_up_due", tr("follow_up_due", lang), "date"),
            Column("days_overdue", tr("days_overdue", lang), "days"),
            Column("source", tr("source", lang)),
            Column("record_id", tr("record", lang)),
            Column("date", tr("date", lang), "date"),
            Column("household_id", tr("household", lang)),
            Column("place_name", tr("village", lang)),
            Column("town_name", tr("town", lang)),
        ]
        self.follow_up_table.show(follow_ups, follow_ups.astype(object), note)

        high = tracking.high_risk_rows(records, period, place, group)
        high["risk_categories"] = high["risk_categories"].map(
            lambda c: _labels(c, vocab.CATEGORIES, lang)
        )
        self.high_risk_table.columns = [
            Column("screening_id", tr("record", lang)),
            Column("household_id", tr("household", lang)),
            Column("place_name", tr("village", lang)),
            Column("town_name", tr("town", lang)),
            Column("date", tr("date", lang), "date"),
            Column("risk_categories", tr("risk_categories", lang)),
            Column("follow_up_due", tr("follow_up_due", lang), "date"),
            Column("days_since", tr("days_since", lang), "days"),
        ]
        self.high_risk_table.show(high, high.astype(object), note)


def build_visits_page(db_url: str | None = None, params: dict | None = None) -> w.VBox:
    """The visits and screening page as one ipywidgets box (the notebook displays it)."""
    return build_tracking_page(
        "visits",
        lambda records, lang: VisitsState(records, lang),
        lambda state, store: VisitsView(state, store),
        db_url,
        params,
    )
