"""The county map's state (an area, a metric, a period, a sort order): the overview page and
the forum show the same map of the same figures."""

from __future__ import annotations

import os

import pandas as pd
import traitlets

from hehu.disclosure import current_role, shown_number
from hehu.figures import areas
from hehu.figures.cache import period_from_key
from hehu.figures.metrics import Period, Records
from hehu.figures.places import (
    GAP_FIGURES,
    SinceLastTime,
    disclosed_place_figures,
    since_last_time,
)
from hehu.records import vocab
from widgets.kit.maps import build_overview_map, build_region_map

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

    def since(self) -> SinceLastTime | None:
        """The area's figure of the selected metric and its gaps against the previous period of
        the same length, as this role may see them (None for all time)."""
        figures = [self.metric, *GAP_FIGURES]
        current = self.figures().loc[self.area]
        return since_last_time(self.records, self.area, self.period, self.role, current, figures)

    def stations(self) -> pd.DataFrame:
        """Rights stations and studios of the county shown (none on a region's map)."""
        orgs = self.records["org"]
        if self.is_region:
            return orgs.iloc[0:0]
        county = areas.overview_county(self.records.places, self.area)
        inside = areas.descendant_codes(self.records, county).append(pd.Index([county]))
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
            outlined=(areas.overview_county(self.records.places, self.area),),
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
