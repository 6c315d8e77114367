"""The programmes of the source on the cases and visits pages: laws and channels of legal events
(the WeChat columns by name), the deputies' own outreach, stations and studios with their host
body, the women's deliberation brands; visits by organisation and screening by agency.

Figures come from hehu.figures.tracking.programmes; counts of households go through the tables'
disclosure (FrameTable.show_as), events, meetings and disputes are numbers, not people.
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as w
import pandas as pd

from hehu import i18n
from hehu.disclosure import sees_exact_counts, sees_person_rows
from hehu.figures.tracking import programmes
from hehu.records import vocab
from widgets.kit.tables import Column, FrameTable, note_html, section_html
from widgets.kit.texts import tr
from widgets.kit.tracking import TrackingState

# key -> (zh, en)
TEXT: dict[str, tuple[str, str]] = {
    "sec_events_law": ("普法宣传：按宣传的法律", "Legal events by law publicised"),
    "law_note": (
        "一场活动宣传多部法律时分别计入每部法律，各行之和可大于活动场次。",
        "An event publicising several laws counts under each, so the rows can add up to more "
        "than the events held.",
    ),
    "law": ("宣传的法律", "Law"),
    "no_law": ("未填写", "not recorded"),
    "sec_events_channel": (
        "普法宣传：按渠道（现场、微信公众号专栏）",
        "Legal events by channel (on site, WeChat columns)",
    ),
    "channel": ("渠道", "Channel"),
    "column_name": ("专栏", "Column"),
    "run_by": ("开展单位", "Run by"),
    "formats": ("形式", "Forms"),
    "n_orgs": ("{n} 个单位", "{n} bodies"),
    "sec_deputies": ("人大代表田间地头普法", "Deputies' own legal outreach in the villages"),
    "deputies_note": (
        "专业人大代表工作小组深入田间地头开展的基层普法活动（记为人大代表工作小组的活动）。",
        "Outreach by the deputies' working groups themselves, recorded as their events.",
    ),
    "deputies_group": ("人大代表工作小组", "Deputies' group"),
    "villages_reached": ("到达村（居）", "villages reached"),
    "towns_reached": ("到达镇街", "towns reached"),
    "no_deputies": (
        "本期没有人大代表工作小组的普法活动记录。",
        "No outreach by a deputies' group in the period.",
    ),
    "sec_station_hosts": ("维权阵地与主办单位", "Stations and studios with their host body"),
    "station_name": ("维权阵地", "Station or studio"),
    "org_kind": ("类型", "Kind"),
    "org_level": ("层级", "Level"),
    "sited_in": ("所在地", "Sited in"),
    "host": ("主办单位", "Host body"),
    "no_host": ("未填写", "not recorded"),
    "sec_brands": (
        "妇女议事会品牌：议事、议题与化解纠纷",
        "Women's deliberation brands: meetings, topics, disputes resolved",
    ),
    "brand": ("议事品牌", "Brand"),
    "town": ("镇街", "Town"),
    "county_level": ("县级", "county"),
    "meetings": ("议事次数", "meetings"),
    "topics": ("议题数", "topics"),
    "topic_list": ("议题", "Topics"),
    "disputes_resolved": ("化解纠纷", "disputes resolved"),
    "sec_visit_orgs": (
        "走访按组织（如女企业家协会走访困难母亲家庭）",
        "Visits by organisation (e.g. the women entrepreneurs visiting mothers in difficulty)",
    ),
    "visiting_org": ("走访组织", "Organisation"),
    "visit_count": ("走访次数", "visits"),
    "households_visited": ("走访户数", "households visited"),
    "difficult_mothers": ("其中困难母亲家庭", "of which mothers in difficulty"),
    "sec_screening_orgs": ("风险隐患排查按排查单位", "Risk screening by agency"),
    "screening_org": ("排查单位", "Agency"),
    "no_agency": ("未填写排查单位", "agency not recorded"),
    "screened": ("排查户数", "households screened"),
    "high_risk": ("其中高风险", "of which high risk"),
    "counts_staff_only": (
        "各组织的户数仅向妇联工作人员显示，各地户数见上表",
        "households per organisation are shown to federation staff only; per place, see above",
    ),
}


def pt(key: str, lang: str = "zh", **values) -> str:
    """This module's text for a key in a language, {placeholders} filled in."""
    zh, en = TEXT[key]
    text = en if lang == "en" else zh
    return text.format(**values) if values else text


def _labels(keys: str, table: dict, lang: str) -> str:
    return i18n.join_list((vocab.label(table, k, lang) for k in vocab.split_keys(keys)), lang)


def _show(table: FrameTable, frame: pd.DataFrame, columns: list[Column], note: str) -> None:
    """A table of numbers and names only (no counts of people): shown as it is to every role."""
    table.columns = columns
    table.gap_columns = ()
    table.show(frame, frame.astype(object), note)


class _Sections:
    """Section headings and tables to add to a page, drawn from its state."""

    def __init__(self):
        self.widgets: list[w.Widget] = []
        self.tables: list[FrameTable] = []

    def _table(self, key: str, lang: str, export_name: str) -> FrameTable:
        table = FrameTable(key, [], lang, export_name=export_name)
        self.tables.append(table)
        return table

    def set_export_log(self, log: Callable[[str, int], None] | None) -> None:
        """Log every table's export (the page's audit logger)."""
        for table in self.tables:
            table.on_export = log


class CasesProgrammes(_Sections):
    """The cases page's sections: laws and channels of legal events, the deputies' outreach,
    stations and studios with their host body, the deliberation brands."""

    def __init__(self, lang: str):
        super().__init__()
        self.law_table = self._table("events-by-law", lang, "普法按法律")
        self.channel_table = self._table("events-by-channel", lang, "普法按渠道")
        self.deputies_table = self._table("deputies-outreach", lang, "人大代表普法")
        self.deputies_note = w.HTML()
        self.host_table = self._table("station-hosts", lang, "阵地主办单位")
        self.brand_table = self._table("deliberation-brands", lang, "议事品牌")
        self.widgets = [
            w.HTML(section_html(pt("sec_events_law", lang), "events-law")),
            w.HTML(note_html(pt("law_note", lang))),
            self.law_table,
            w.HTML(section_html(pt("sec_events_channel", lang), "events-channel")),
            self.channel_table,
            w.HTML(section_html(pt("sec_deputies", lang), "deputies-outreach")),
            w.HTML(note_html(pt("deputies_note", lang))),
            self.deputies_note,
            self.deputies_table,
            w.HTML(section_html(pt("sec_station_hosts", lang), "station-hosts")),
            self.host_table,
            w.HTML(section_html(pt("sec_brands", lang), "deliberation-brands")),
            self.brand_table,
        ]

    def draw(self, state: TrackingState) -> None:
        """Every table for the state's place and period."""
        lang, records, period, place = state.lang, state.records, state.period, state.place
        note = f"{state.place_name()} · {period.label(lang)}"

        laws = programmes.events_by_law(records, period, place)
        laws["label"] = laws["law"].map(
            lambda k: vocab.label(vocab.LAWS, k, lang) if k else pt("no_law", lang)
        )
        _show(
            self.law_table,
            laws,
            [
                Column("label", pt("law", lang)),
                Column("events", tr("events", lang), "number"),
                Column("audience", tr("audience", lang), "number"),
            ],
            note,
        )

        channels = programmes.events_by_channel(records, period, place)
        channels["label"] = channels["channel"].map(
            lambda k: vocab.label(vocab.EVENT_CHANNELS, k, lang)
        )
        channels["run_by"] = [
            i18n.join_list(names, lang) if n <= 3 else pt("n_orgs", lang, n=n)
            for names, n in zip(channels["org_names"], channels["orgs"], strict=True)
        ]
        channels["format_labels"] = channels["formats"].map(
            lambda keys: i18n.join_list(
                (vocab.label(vocab.EVENT_FORMATS, k, lang) for k in keys), lang
            )
        )
        _show(
            self.channel_table,
            channels,
            [
                Column("label", pt("channel", lang)),
                Column("column_name", pt("column_name", lang)),
                Column("events", tr("events", lang), "number"),
                Column("audience", tr("audience", lang), "number"),
                Column("format_labels", pt("formats", lang)),
                Column("run_by", pt("run_by", lang)),
            ],
            note,
        )

        outreach = programmes.deputies_outreach(records, period, place)
        outreach["law_labels"] = outreach["laws"].map(lambda k: _labels(k, vocab.LAWS, lang))
        self.deputies_note.value = "" if len(outreach) else note_html(pt("no_deputies", lang))
        _show(
            self.deputies_table,
            outreach,
            [
                Column("org_name", pt("deputies_group", lang)),
                Column("events", tr("events", lang), "number"),
                Column("villages", pt("villages_reached", lang), "number"),
                Column("towns", pt("towns_reached", lang), "number"),
                Column("audience", tr("audience", lang), "number"),
                Column("law_labels", pt("law", lang)),
            ],
            note,
        )

        hosts = programmes.station_hosts(records, place)
        hosts["kind_label"] = hosts["kind"].map(lambda k: vocab.label(vocab.ORG_KINDS, k, lang))
        hosts["level_label"] = hosts["level"].map(lambda k: vocab.label(vocab.ORG_LEVELS, k, lang))
        hosts["host"] = hosts["host_name"].where(hosts["host_name"] != "", pt("no_host", lang))
        _show(
            self.host_table,
            hosts,
            [
                Column("name", pt("station_name", lang)),
                Column("kind_label", pt("org_kind", lang)),
                Column("level_label", pt("org_level", lang)),
                Column("place_name", pt("sited_in", lang)),
                Column("host", pt("host", lang)),
            ],
            state.place_name(),
        )

        brands = programmes.deliberation_brands(records, period, place)
        brands["town"] = brands["town_name"].where(
            brands["town_name"] != "", pt("county_level", lang)
        )
        brands["topic_text"] = brands["topic_list"].map(lambda t: i18n.join_list(t, lang))
        columns = [
            Column("brand", pt("brand", lang)),
            Column("town", pt("town", lang)),
            Column("meetings", pt("meetings", lang), "number"),
            Column("topics", pt("topics", lang), "number"),
            Column("disputes_resolved", pt("disputes_resolved", lang), "number"),
        ]
        if sees_person_rows(state.role):
            # Topics are free text a clerk typed ("调解李某与王某…"): staff only, like rows.
            columns.append(Column("topic_text", pt("topic_list", lang)))
        _show(self.brand_table, brands, columns, note)


class VisitsProgrammes(_Sections):
    """The visits page's sections: visits by organisation, screening by agency; households are
    counted, so both go through the role's disclosure across the periods it can choose."""

    def __init__(self, lang: str):
        super().__init__()
        self.visit_table = self._table("visits-by-org", lang, "走访按组织")
        self.screening_table = self._table("screenings-by-org", lang, "排查按单位")
        self.counts_note = w.HTML()  # for deputies and presenters: why no count is shown
        self.widgets = [
            w.HTML(section_html(pt("sec_visit_orgs", lang), "visit-orgs")),
            self.counts_note,
            self.visit_table,
            w.HTML(section_html(pt("sec_screening_orgs", lang), "screening-orgs")),
            self.screening_table,
        ]

    def draw(self, state: TrackingState) -> None:
        """Both tables for the state's place and period (the page's group does not apply)."""
        lang, records, place, role = state.lang, state.records, state.place, state.role
        note = f"{state.place_name()} · {state.period.label(lang)}"
        names_only = not sees_exact_counts(role)
        self.counts_note.value = note_html(pt("counts_staff_only", lang)) if names_only else ""
        if names_only:
            self._draw_names_only(state, note)
            return

        def visits(when) -> pd.DataFrame:
            frame = programmes.visits_by_org(records, when, place)
            frame["kind_label"] = frame["org_kind"].map(
                lambda k: vocab.label(vocab.ORG_KINDS, k, lang) if k else ""
            )
            return frame

        visit_periods = state.across_periods(visits)
        self.visit_table.show_as(
            role,
            visit_periods[state.period_key],
            [
                Column("org_name", pt("visiting_org", lang)),
                Column("kind_label", pt("org_kind", lang)),
                Column("visits", pt("visit_count", lang), "count"),
                Column("households", pt("households_visited", lang), "count"),
                Column("difficult_mothers", pt("difficult_mothers", lang), "count"),
            ],
            note,
            gap_columns=(),
            periods=visit_periods,
            showing=state.period_key,
            row_key=("org_name",),
            over_time={"visits": "dated"},
        )

        def screenings(when) -> pd.DataFrame:
            frame = programmes.screenings_by_org(records, when, place)
            frame["org_label"] = frame["org_name"].where(
                frame["org_id"] != programmes.NO_ORG, pt("no_agency", lang)
            )
            frame["kind_label"] = frame["org_kind"].map(
                lambda k: vocab.label(vocab.ORG_KINDS, k, lang) if k else ""
            )
            return frame

        screening_periods = state.across_periods(screenings)
        self.screening_table.show_as(
            role,
            screening_periods[state.period_key],
            [
                Column("org_label", pt("screening_org", lang)),
                Column("kind_label", pt("org_kind", lang)),
                Column("screened", pt("screened", lang), "count"),
                Column("high_risk", pt("high_risk", lang), "count"),
            ],
            note,
            gap_columns=(),
            periods=screening_periods,
            showing=state.period_key,
            row_key=("org_label",),
        )

    def _draw_names_only(self, state: TrackingState, note: str) -> None:
        """For deputies and presenters: which organisations visited and which agencies screened,
        with no count. Their rows add up to the place figures (households visited, screened),
        which are protected across places and periods; counts shown per organisation on their
        own would give a hidden place figure back by subtraction (12 screened − 10 by one = 2)."""
        lang, records, place = state.lang, state.records, state.place
        visits = programmes.visits_by_org(records, state.period, place).sort_values("org_name")
        visits["kind_label"] = visits["org_kind"].map(
            lambda k: vocab.label(vocab.ORG_KINDS, k, lang) if k else ""
        )
        _show(
            self.visit_table,
            visits,
            [
                Column("org_name", pt("visiting_org", lang)),
                Column("kind_label", pt("org_kind", lang)),
            ],
            note,
        )
        screenings = programmes.screenings_by_org(records, state.period, place)
        screenings["org_label"] = screenings["org_name"].where(
            screenings["org_id"] != programmes.NO_ORG, pt("no_agency", lang)
        )
        screenings["kind_label"] = screenings["org_kind"].map(
            lambda k: vocab.label(vocab.ORG_KINDS, k, lang) if k else ""
        )
        _show(
            self.screening_table,
            screenings.sort_values("org_label"),
            [
                Column("org_label", pt("screening_org", lang)),
                Column("kind_label", pt("org_kind", lang)),
            ],
            note,
        )
