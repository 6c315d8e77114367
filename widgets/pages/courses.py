"""The courses page (女童保护课程): sessions and attendance against targets, reach, villages missed."""

from __future__ import annotations

import folium
import ipywidgets as w
import pandas as pd

from hehu.disclosure import shows_some
from hehu.figures import tracking
from hehu.records import vocab
from hehu.records.store import Store
from widgets.kit.charts import Series, bar_chart, column_chart, line_chart
from widgets.kit.common import html_text
from widgets.kit.maps import GAP_COLOUR, PALETTE, map_html
from widgets.kit.offline_map import OfflineMap
from widgets.kit.tables import (
    Card,
    Column,
    FrameTable,
    cards_html,
    format_cell,
    note_html,
    place_rows,
    section_html,
)
from widgets.kit.texts import tr
from widgets.kit.tracking import TrackingState, TrackingView, build_tracking_page

HELD_COLOUR = PALETTE[2]


class CoursesState(TrackingState):
    """Courses page filters: place, period and the organisation that held the course."""

    def category_options(self) -> list[tuple[str, str]]:
        """All organisations, then each organisation that has held a course."""
        orgs = self.records["org"].set_index("org_id")["name"]
        held = sorted(set(self.records["course"]["org_id"]), key=lambda o: orgs.get(o, o))
        return [(tr("all_orgs", self.lang), "")] + [(orgs.get(o, o), o) for o in held]


def _target_note(value, source, lang: str) -> str:
    if pd.isna(value):
        return tr("no_target", lang)
    return tr("target_with_source", lang, value=f"{value:,.0f}", source=source)


def key_village_course_map(status: pd.DataFrame, lang: str) -> folium.Map:
    """Key villages as points on a blank base: red with no course in the period, teal with one."""
    located = status[status["lat"].notna() & status["lon"].notna()]
    centre = (
        [float(located["lat"].mean()), float(located["lon"].mean())] if len(located) else [0, 0]
    )
    fmap = OfflineMap(location=centre, zoom_start=11, control_scale=True)
    if len(located) > 1:
        fmap.fit_bounds(
            [
                [located["lat"].min(), located["lon"].min()],
                [located["lat"].max(), located["lon"].max()],
            ]
        )
    held = folium.FeatureGroup(name=tr("map_with_course", lang), show=True)
    missed = folium.FeatureGroup(name=tr("map_no_course", lang), show=True)
    for row in located.to_dict("records"):
        approximate = row["coord_quality"] in vocab.UNCERTAIN_COORDS
        last = row["last_course"]
        tip = (
            f"{row['name']}（{row['town_name']}）："
            + (
                tr("map_no_course", lang)
                if row["no_course"]
                else f"{tr('sessions', lang)} {row['sessions']}"
            )
            + (f" · {tr('last_course', lang)} {last:%Y-%m-%d}" if pd.notna(last) else "")
            + (tr("approximate", lang) if approximate else "")
        )
        folium.CircleMarker(
            location=[row["lat"], row["lon"]],
            radius=8 if row["no_course"] else 6,
            color=GAP_COLOUR if row["no_course"] else "#333333",
            weight=2,
            dash_array="4 3" if approximate else None,
            fill=True,
            fill_color=GAP_COLOUR if row["no_course"] else HELD_COLOUR,
            fill_opacity=0.8,
            tooltip=html_text(tip),
            class_name="hehu-no-course" if row["no_course"] else "hehu-course-held",
        ).add_to(missed if row["no_course"] else held)
    held.add_to(fmap)
    missed.add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    legend = (
        '<div style="position:absolute;bottom:10px;left:10px;z-index:1000;background:#fff;'
        'padding:4px 8px;border:1px solid #999;font-size:12px">'
        f'<span style="color:{GAP_COLOUR}">●</span> {html_text(tr("map_no_course", lang))}　'
        f'<span style="color:{HELD_COLOUR}">●</span> {html_text(tr("map_with_course", lang))}</div>'
    )
    fmap.get_root().html.add_child(folium.Element(legend))
    return fmap


class CoursesView(TrackingView):
    """Cards, sessions by month against the target, by place, by organisation, villages missed."""

    def __init__(self, state: CoursesState, store: Store | None = None):
        lang = state.lang
        self.cards = w.HTML()
        self.month_charts = w.HTML()
        self.place_chart = w.HTML()
        self.reach_note = w.HTML(note_html(tr("reach_note", lang)))
        self.no_course_map = w.HTML(layout=w.Layout(width="100%"))
        self.month_table = FrameTable("course-months", [], lang, export_name="课程按月")
        self.place_table = FrameTable("course-places", [], lang, export_name="课程按地点")
        self.org_table = FrameTable("course-orgs", [], lang, export_name="课程按组织")
        self.no_course_table = FrameTable("no-course", [], lang, export_name="未开课重点帮促村")
        super().__init__(
            state,
            tr("organisation", lang),
            [
                self.cards,
                w.HTML(section_html(tr("sec_course_month", lang), "months")),
                self.month_charts,
                self.month_table,
                w.HTML(section_html(tr("sec_course_place", lang), "places")),
                self.place_chart,
                self.reach_note,
                self.place_table,
                w.HTML(section_html(tr("sec_course_org", lang), "orgs")),
                self.org_table,
                w.HTML(section_html(tr("sec_no_course", lang), "no-course")),
                self.no_course_table,
                self.no_course_map,
            ],
        )
        log = self.export_logger(store)
        for table in (self.month_table, self.place_table, self.org_table, self.no_course_table):
            table.on_export = log

    def redraw(self) -> None:
        """Recompute every figure for the state's place, period and organisation."""
        state, lang, role = self.state, self.state.lang, self.state.role
        records, period, place, org = state.records, state.period, state.place, state.category
        note = state.scope_text()

        figures = tracking.course_figures(records, period, org)
        rows = place_rows(
            records,
            place,
            figures,
            lang,
            rates={
                "girls_share": ("girls", "attendance_with_girls", 1),
                "reach_per_1000": ("attendance_counted", "children", 1000),
            },
        )
        place_columns = [
            Column("label", tr("place", lang)),
            Column("sessions", tr("sessions", lang), "number"),
            Column("attendance", tr("attendance", lang), "number"),
            Column("girls", tr("girls", lang), "number"),
            Column("girls_share", tr("girls_share", lang), "rate"),
            # the villages' own statistics (the gazetteer), not a count of records
            Column("children", tr("children", lang), "number"),
            Column("reach_per_1000", tr("reach_per_1000", lang), "per1000"),
            Column("target_sessions", tr("target_sessions", lang), "number"),
            Column("target_attendance", tr("target_attendance", lang), "number"),
        ]
        shown = self.place_table.show_as(role, rows, place_columns, note)
        total = rows.loc[place]
        status = tracking.key_village_courses(records, period, place, org)
        missed = status[status["no_course"]]
        self.cards.value = cards_html(
            [
                Card(
                    "sessions",
                    tr("sessions", lang),
                    format_cell(total["sessions"], "number"),
                    _target_note(total["target_sessions"], total["target_sessions_source"], lang),
                    gap=pd.notna(total["target_sessions"])
                    and total["sessions"] < total["target_sessions"],
                ),
                Card(
                    "attendance",
                    tr("attendance", lang),
                    format_cell(total["attendance"], "number"),
                    _target_note(
                        total["target_attendance"], total["target_attendance_source"], lang
                    ),
                    gap=pd.notna(total["target_attendance"])
                    and total["attendance"] < total["target_attendance"],
                ),
                Card(
                    "girls_share",
                    tr("girls_share", lang),
                    format_cell(total["girls_share"], "rate"),
                ),
                Card(
                    "reach_per_1000",
                    tr("reach_per_1000", lang),
                    format_cell(shown.at[place, "reach_per_1000"], "per1000"),
                ),
                Card(
                    "no_course",
                    tr("key_villages_no_course", lang),
                    f"{len(missed)} / {len(status)}",
                    gap=shows_some(len(missed)),
                ),
            ]
        )
        parts = rows[~rows["is_total"]]
        self.place_chart.value = bar_chart(
            list(parts["label"]),
            [Series(tr("attendance", lang), list(parts["attendance"]))],
            title=f"{tr('attendance', lang)} · {state.place_name()}",
            key="course-places",
            empty_text=tr("no_data", lang),
        )

        months = tracking.courses_by_month(records, period, place, org)
        month_columns = [
            Column("month", tr("date", lang)),
            Column("sessions", tr("sessions", lang), "number"),
            Column("attendance", tr("attendance", lang), "number"),
            Column("girls", tr("girls", lang), "number"),
            Column("girls_share", tr("girls_share", lang), "rate"),
            Column("cumulative_sessions", tr("cumulative_sessions", lang), "number"),
        ]
        self.month_table.columns = month_columns
        self.month_table.show(months, months.astype(object), note)
        target = total["target_sessions"]
        target_label = (
            _target_note(target, total["target_sessions_source"], lang) if pd.notna(target) else ""
        )
        self.month_charts.value = column_chart(
            list(months["month"]),
            [Series(tr("sessions", lang), list(months["sessions"]))],
            title=f"{tr('sessions', lang)} · {state.place_name()}",
            key="course-months",
            empty_text=tr("no_data", lang),
        ) + line_chart(
            list(months["month"]),
            [Series(tr("cumulative_sessions", lang), list(months["cumulative_sessions"]))],
            title=tr("cumulative_sessions", lang),
            key="course-cumulative",
            target=float(target) if pd.notna(target) else None,
            target_label=target_label[:40],
            empty_text=tr("no_data", lang),
        )

        by_org = tracking.courses_by_org(records, period, place)
        if org:
            by_org = by_org[by_org["org_id"] == org]
        org_columns = [
            Column("org_name", tr("org", lang)),
            Column("sessions", tr("sessions", lang), "number"),
            Column("attendance", tr("attendance", lang), "number"),
            Column("girls", tr("girls", lang), "number"),
            Column("girls_share", tr("girls_share", lang), "rate"),
        ]
        self.org_table.columns = org_columns
        self.org_table.show(by_org, by_org.astype(object), note)

        no_course_columns = [
            Column("name", tr("village", lang)),
            Column("town_name", tr("town", lang)),
            Column("last_course", tr("last_course", lang), "date"),
        ]
        self.no_course_table.columns = no_course_columns
        self.no_course_table.show(missed, missed.astype(object), note)
        self.no_course_map.value = (
            map_html(key_village_course_map(status, lang), height="380px") if len(status) else ""
        )


def build_courses_page(db_url: str | None = None, params: dict | None = None) -> w.VBox:
    """The courses page as one ipywidgets box (the notebook displays it)."""
    return build_tracking_page(
        "courses",
        lambda records, lang: CoursesState(records, lang),
        lambda state, store: CoursesView(state, store),
        db_url,
        params,
    )


__all__ = ["CoursesState", "CoursesView", "build_courses_page", "key_village_course_map"]
