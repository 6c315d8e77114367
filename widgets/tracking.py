"""What the four tracking pages share: their text, one state class, the filter bar, tables, cards.

Each page (pairings, courses, visits, cases) has one state object, a subclass of TrackingState
holding its filters (place, period, category and the page's own settings); its view observes
the state and redraws figures, charts and tables from `hehu.tracking`. Counts of people go
through `shown_values`, which hides small counts from deputies and presenters (and the cells
that would let one work them back); person-level tables are built for staff only.
"""

from __future__ import annotations

import base64
import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import ipywidgets as w
import pandas as pd
import traitlets

from hehu import i18n, vocab
from hehu.disclosure import (
    HIDDEN_SMALL,
    Rules,
    current_role,
    disclose,
    is_hidden,
    legend,
    sees_exact_counts,
    sees_person_rows,
    shown_number,
)
from hehu.errors import HehuError, UnknownPlace
from hehu.export import XLSX_MIME, frame_to_xlsx_bytes, log_export
from hehu.metrics import Period, Records
from hehu.place_figures import disclosed_place_figures, family_column, period_family
from hehu.store import Store
from hehu.tracking import breakdown

from .briefing import place_options
from .charts import Series
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
from .overview import period_from_key, period_options

# Interface text of the tracking pages: key -> (zh, en). i18n.TEXT is shared; these stay here.
TEXT: dict[str, tuple[str, str]] = {
    "pairings_title": ("结对帮扶", "Support pairings"),
    "pairings_sub": (
        "留守儿童与困境儿童结对覆盖、逾期未联系结对、结对起止",
        "Coverage of left-behind children and children in difficulty, lapsed pairings, starts and ends",
    ),
    "courses_title": ("女童保护课程", "Girls' protection courses"),
    "courses_sub": (
        "场次与受教育人次、目标、女童占比、每千名儿童覆盖、未开课的重点帮促村",
        "Sessions and attendance, targets, share of girls, reach per 1,000 children, key villages with no course",
    ),
    "visits_title": ("走访与风险隐患排查", "Visits and risk screening"),
    "visits_sub": (
        "六类必访家庭走访、回访到期与逾期、高风险未跟进家庭",
        "The six must-visit groups, follow-ups due and overdue, high-risk households not followed up",
    ),
    "cases_title": ("维权事项与普法宣传", "Rights cases and legal campaigns"),
    "cases_sub": (
        "维权事项类别、状态、办理时长；三八维权周、5·15、6·26、守护花开普法活动",
        "Cases by category, status and time; legal events of the four campaigns",
    ),
    "place": ("地点", "Place"),
    "period": ("期间", "Period"),
    "all": ("全部", "all"),
    "child_category": ("对象类别", "Children"),
    "children_either": ("留守儿童和困境儿童", "left-behind or in difficulty"),
    "organisation": ("组织", "Organisation"),
    "all_orgs": ("全部组织", "all organisations"),
    "must_visit_group": ("必访类别", "Must-visit group"),
    "all_groups": ("全部六类", "all six groups"),
    "case_category": ("事项类别", "Case category"),
    "all_categories": ("全部类别", "all categories"),
    "lapse_days": ("逾期天数", "Lapse after days"),
    "event_year": ("普法年度", "Campaign year"),
    "scope": ("{place} · {period} · {category}", "{place} · {period} · {category}"),
    "as_of": ("状态日：{day}", "state on {day}"),
    "sort_by": ("排序", "Sort by"),
    "as_listed": ("默认顺序", "as listed"),
    "descending": ("降序", "descending"),
    "export": ("导出 Excel", "Export to Excel"),
    "download": ("下载 {name}", "Download {name}"),
    "exported_rows": ("共 {rows} 行", "{rows} rows"),
    "own_row": ("{name}（本级）", "{name} (itself)"),
    "total_row": ("{name}合计", "{name} total"),
    "none_found": ("无", "none"),
    "rows_staff_only": (
        "明细（假名化）仅对妇联工作人员显示；当前角色只显示汇总数。",
        "Pseudonymous rows are shown to Federation staff only; this role sees totals.",
    ),
    "no_data": ("本期无记录", "no records in the period"),
    "target_with_source": ("目标 {value}（{source}）", "target {value} ({source})"),
    "no_target": ("无目标数据", "no target on record"),
    # pairings
    "registered": ("登记人数", "registered"),
    "paired": ("在帮结对人数", "with an active pairing"),
    "unpaired": ("未结对人数", "not paired"),
    "coverage": ("结对覆盖率", "coverage"),
    "paired_in_period": ("期内曾结对", "paired in the period"),
    "population": ("村居统计留守儿童数", "left-behind children (village count)"),
    "active": ("在帮结对", "active pairings"),
    "lapsed": ("逾期未联系", "lapsed"),
    "lapsed_def": (
        "逾期：超过 {days} 天没有帮扶记录（无记录时从结对开始日起算）。",
        "Lapsed: no contact for more than {days} days (counted from the start when there is none).",
    ),
    "started": ("新结对", "started"),
    "ended": ("结束", "ended"),
    "running": ("月末在帮", "running at month end"),
    "sec_coverage": ("结对覆盖（按地点）", "Coverage by place"),
    "sec_unpaired": ("未结对儿童", "Children not paired"),
    "sec_lapsed": ("逾期未联系的结对", "Lapsed pairings"),
    "sec_by_org": ("按组织与帮扶方式", "By organisation and support type"),
    "sec_flow": ("结对起止（按月）", "Pairings started and ended, by month"),
    "support_type": ("帮扶方式", "Support type"),
    "org": ("组织", "Organisation"),
    "person": ("对象编号", "Person"),
    "household": ("家庭编号", "Household"),
    "pairing": ("结对编号", "Pairing"),
    "village": ("村（社区）", "Village"),
    "town": ("镇（街道）", "Town"),
    "sex": ("性别", "Sex"),
    "age": ("年龄", "Age"),
    "categories": ("类别", "Categories"),
    "last_pairing_end": ("上次结对结束", "Last pairing ended"),
    "last_org": ("上次结对组织", "Last paired with"),
    "start_date": ("开始日期", "Started"),
    "last_contact": ("最近联系", "Last contact"),
    "days_since_contact": ("未联系天数", "Days without contact"),
    # courses
    "sessions": ("场次", "sessions"),
    "attendance": ("受教育人次", "attendance"),
    "girls": ("女童人次", "girls"),
    "girls_share": ("女童占比", "share of girls"),
    "children": ("儿童数", "children"),
    "reach_per_1000": ("每千名儿童人次", "per 1,000 children"),
    "target_sessions": ("场次目标", "sessions target"),
    "target_attendance": ("人次目标", "attendance target"),
    "cumulative_sessions": ("累计场次", "sessions so far"),
    "key_villages_no_course": ("未开课重点帮促村", "key villages with no course"),
    "sec_course_month": ("按月场次与人次", "Sessions and attendance by month"),
    "sec_course_place": ("按地点", "By place"),
    "sec_course_org": ("按组织", "By organisation"),
    "sec_no_course": (
        "本期未开课的重点帮促村（列表与地图）",
        "Key villages with no course in the period (list and map)",
    ),
    "last_course": ("最近一次课程", "Last course"),
    "reach_note": (
        "每千名儿童人次只计有儿童数的村（社区）；儿童数为 0 或缺失的不计算。",
        "Reach counts only villages whose number of children is known and above zero.",
    ),
    "map_with_course": ("本期已开课", "course held"),
    "map_no_course": ("本期未开课", "no course"),
    "approximate": ("（近似位置）", " (approximate position)"),
    # visits
    "group": ("必访类别", "Group"),
    "households": ("必访家庭", "must-visit households"),
    "visited": ("期内已走访", "visited in the period"),
    "not_visited": ("未走访", "not visited"),
    "visit_coverage": ("走访覆盖率", "coverage"),
    "outstanding": ("待回访", "follow-ups open"),
    "due_soon": ("7 天内到期", "due within 7 days"),
    "overdue": ("已逾期", "overdue"),
    "screened": ("排查家庭", "households screened"),
    "high_risk": ("高风险家庭", "high-risk households"),
    "high_risk_unfollowed": ("高风险未跟进", "high-risk, not followed up"),
    "sec_groups": ("六类必访家庭", "The six must-visit groups"),
    "sec_visit_place": ("按地点", "By place"),
    "sec_not_visited": ("必访家庭明细", "Must-visit households"),
    "sec_follow_ups": (
        "回访（到期、7 天内到期、逾期）",
        "Follow-ups (open, due within 7 days, overdue)",
    ),
    "sec_high_risk": ("排查出高风险但未跟进的家庭", "High-risk households with no follow-up"),
    "groups_overlap": (
        "一户可属多个类别，各类别之和可能大于必访家庭总数。",
        "A household can be in several groups, so the groups can add up to more than the total.",
    ),
    "visits": ("期内走访次数", "visits"),
    "last_visit": ("最近走访", "Last visit"),
    "source": ("来源", "From"),
    "record": ("记录编号", "Record"),
    "date": ("日期", "Date"),
    "follow_up_due": ("回访期限", "Follow-up due"),
    "status": ("状态", "Status"),
    "days_overdue": ("逾期天数", "Days overdue"),
    "risk_categories": ("风险类别", "Risks"),
    "days_since": ("距排查天数", "Days since"),
    "src_visit": ("走访", "visit"),
    "src_screening": ("排查", "screening"),
    "st_done": ("已回访", "done"),
    "st_overdue": ("已逾期", "overdue"),
    "st_due_soon": ("7 天内到期", "due within 7 days"),
    "st_later": ("未到期", "not yet due"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    # cases
    "received": ("接访事项", "received"),
    "resolved": ("化解或转介", "resolved or referred"),
    "open": ("期内受理未办结", "received and still open"),
    "resolution_rate": ("化解率", "resolution rate"),
    "over_90_days": ("办理超 90 天", "open over 90 days"),
    "median_days": ("办理天数中位数", "median days to close"),
    "mean_days": ("平均天数", "mean days"),
    "max_days": ("最长天数", "longest"),
    "closed": ("已办结", "closed"),
    "total": ("合计", "total"),
    "category": ("类别", "Category"),
    "station": ("受理阵地", "Station"),
    "band": ("已办理时长", "Open for"),
    "cases_n": ("事项数", "cases"),
    "case": ("事项编号", "Case"),
    "received_date": ("受理日期", "Received"),
    "closed_date": ("办结日期", "Closed"),
    "days_to_close": ("办理天数", "Days to close"),
    "age_days": ("已办理天数", "Days open"),
    "sec_case_category": ("按类别与状态", "By category and status"),
    "sec_case_station": ("按受理阵地", "By station"),
    "sec_case_time": ("办理时长", "Time to resolution"),
    "sec_case_age": (
        "未办结事项按已办理时长（状态日所有未办结事项，不论受理时间）",
        "Open cases by age (every case open on the last day, whenever received)",
    ),
    "sec_case_place": ("按地点", "By place"),
    "sec_case_rows": ("事项明细", "Cases"),
    "sec_events": ("普法宣传：各活动按地点", "Legal campaigns by place"),
    "sec_events_year": ("普法宣传：按年度与活动", "Legal campaigns by year"),
    "sec_without": ("活动期间没有普法活动的地方", "Places that held nothing on a campaign"),
    "campaign": ("活动", "Campaign"),
    "year": ("年度", "Year"),
    "events": ("场次", "events"),
    "audience": ("受众人次", "audience"),
    "held_nothing": ("{campaign}：{places}", "{campaign}: {places}"),
    "all_held": ("各地均有活动记录。", "Every place held something."),
}

DAY = "%Y-%m-%d"

# Page-wide additions to common.PAGE_CSS: total rows, notes, the download link, sort controls.
TRACKING_CSS = """
<style>
table.hehu-table tr.hehu-total td { font-weight: 700; border-top: 2px solid #999; }
table.hehu-table tr.hehu-own td { color: #555; font-style: italic; }
table.hehu-table td.gap { color: #c0392b; font-weight: 700; }
.hehu-note { color: #555; font-size: 12px; margin: 2px 0 6px; }
.hehu-download a { display: inline-block; padding: 4px 10px; border: 1px solid #2c6e8f;
  border-radius: 4px; color: #2c6e8f; text-decoration: none; font-size: 13px; }
.hehu-table-tools { align-items: center; }
.hehu-page .hehu-controls { gap: 6px 8px; }
/* one line per cell: a wide table scrolls in its wrapper rather than stacking characters */
.hehu-page table.hehu-table th, .hehu-page table.hehu-table td { white-space: nowrap; }  /* ipywidgets 8 Layout has no gap trait */
.hehu-rows-table { max-height: 480px; overflow-y: auto; }
@media (max-width: 600px) {
  /* a picker at 100% plus ipywidgets' margins would stick out of a phone screen */
  .hehu-page .hehu-controls > * { margin-left: 0 !important; margin-right: 0 !important;
    min-width: 0 !important; max-width: 100% !important; }
  .hehu-page .hehu-controls select, .hehu-page .hehu-controls input { min-width: 0; }
}
@media print { .hehu-rows-table { max-height: none; } }
</style>
"""


def tr(key: str, lang: str = "zh", **values) -> str:
    """A tracking page's text for a key in a language, {placeholders} filled in."""
    zh, en = TEXT.get(key, (key, key))
    text = en if lang == "en" else zh
    return text.format(**values) if values else text


# --------------------------------------------------------------------------- state


class TrackingState(traitlets.HasTraits):
    """The filters of a tracking page: a place, a period and the page's category ('' = all)."""

    place = traitlets.Unicode("")
    period_key = traitlets.Unicode("")
    category = traitlets.Unicode("")

    # Trait names whose change redraws the page; subclasses add their own settings.
    FILTERS: tuple[str, ...] = ("place", "period_key", "category")

    def __init__(self, records: Records, lang: str = "zh", role: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.records = records
        self.lang = lang
        self.role = role or current_role()
        if not self.place:
            self.place = records.root
        if not self.period_key:
            self.period_key = period_options(records, lang)[0][1]

    @traitlets.validate("place")
    def _known_place(self, proposal):
        return self.records.check_place(proposal["value"]) if proposal["value"] else ""

    @property
    def period(self) -> Period:
        """The selected period."""
        return period_from_key(self.period_key)

    @property
    def shows_rows(self) -> bool:
        """Whether this role may see pseudonymous person-level rows."""
        return sees_person_rows(self.role)

    def category_options(self) -> list[tuple[str, str]]:
        """(label, key) choices of the page's category; '' stands for all."""
        return [(tr("all", self.lang), "")]

    def category_label(self) -> str:
        """The selected category as text."""
        return dict((k, v) for v, k in self.category_options()).get(self.category, self.category)

    def place_name(self) -> str:
        """The selected place's name."""
        places = self.records.places
        return str(places.loc[places["code"] == self.place, "name"].iloc[0])

    def across_periods(self, compute: Callable[[Period], pd.DataFrame]) -> dict[str, pd.DataFrame]:
        """A table for every period this role can choose (only the one on show for staff, who
        see exact values): what its disclosure protects together."""
        keys = (
            [self.period_key] if self.shows_rows else period_family(self.records, self.period_key)
        )
        return {key: compute(period_from_key(key)) for key in keys}

    def place_figures(self, family: str, figures: Sequence[str]) -> pd.DataFrame:
        """The disclosed figures of every place (and own row) for the page's category:
        `figures` of a family, as columns named after the figures."""
        shown = disclosed_place_figures(self.records, self.period_key, self.role)
        return pd.DataFrame(
            {f: shown[family_column(family, f, self.category)] for f in figures},
            index=shown.index,
        )

    def scope_text(self) -> str:
        """Place · period · category, for headings and exported files."""
        return tr(
            "scope",
            self.lang,
            place=self.place_name(),
            period=self.period.label(),
            category=self.category_label(),
        )


# --------------------------------------------------------------------------- values


@dataclass
class Column:
    """A table column: its key in the frame, its heading, and how its values read.

    kind: count (people: hidden when small for aggregate-only roles), number, rate (0..1),
    per1000, days, date, text, flag.
    """

    key: str
    label: str
    kind: str = "text"


NUMERIC_KINDS = ("count", "number", "rate", "per1000", "days")


def shown_values(
    frame: pd.DataFrame,
    columns: Sequence[Column],
    role: str,
    *,
    figures: pd.DataFrame | None = None,
    periods: Mapping[str, pd.DataFrame] | None = None,
    showing: str | None = None,
    row_key: Sequence[str] = (),
    total_row=None,
    additive: tuple[tuple[str, tuple[str, ...]], ...] = (),
    derived: dict[str, tuple[str, ...]] | None = None,
) -> pd.DataFrame:
    """The frame as a role may see it, decided by hehu.disclosure.

    A table of places (`figures`: their columns of the one disclosed frame of every place's
    figures, on the frame's row labels) takes its counts and rates from there, so a place's
    figure is hidden alike on every page, at every level and in every period. Any other table
    is protected on its own across `periods` (the same table for every period the role can
    choose, `showing` among them; rows matched on `row_key`), with its total row and its
    additive columns; `derived` columns (rates, days) are hidden with any of their sources.
    """
    out = frame.astype(object).copy()
    counts = [c.key for c in columns if c.kind == "count" and c.key in frame]
    if sees_exact_counts(role) or frame.empty:
        return out
    if figures is not None:
        for column in columns:
            if column.key in figures.columns:
                out[column.key] = figures[column.key].reindex(frame.index).to_numpy()
            elif column.kind == "count":
                raise KeyError(f"{column.key} is not a disclosed place figure")
        return out
    periods = dict(periods) if periods else {"": frame}
    showing = showing if showing in periods else next(iter(periods))
    keyed = {k: _keyed(f, row_key) for k, f in periods.items()}
    keyed[showing] = _keyed(frame, row_key)
    total = total_row
    if total is not None and row_key:
        total = _keyed(frame, row_key).index[list(frame.index).index(total)]
    rules = Rules(counts=tuple(counts), total_row=total, additive=additive, rates=derived or {})
    shown = disclose(keyed, showing, rules, role)
    for column in [*counts, *(derived or {})]:
        if column in shown.columns:
            out[column] = shown[column].to_numpy()
    return out


def _keyed(frame: pd.DataFrame, row_key: Sequence[str]) -> pd.DataFrame:
    """A frame indexed by its row key (the label that stays the same from period to period)."""
    if not row_key:
        return frame
    keys = {k: frame[k].astype(object).where(frame[k].notna(), "").astype(str) for k in row_key}
    return frame.set_index(
        pd.MultiIndex.from_arrays(list(keys.values()))
        if len(row_key) > 1
        else pd.Index(keys[row_key[0]])
    )


def format_cell(value, kind: str, lang: str = "zh") -> str:
    """One value as text: thousands separators, rates as percentages, dates as YYYY-MM-DD."""
    if isinstance(value, str) and kind != "text":
        return value  # already a hidden marker
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return "—"
    if kind in ("count", "number"):
        return f"{int(value):,}"
    if kind == "rate":
        return f"{float(value):.0%}"
    if kind == "per1000":
        return f"{float(value):,.1f}"
    if kind == "days":
        return f"{float(value):,.0f}" if float(value).is_integer() else f"{float(value):,.1f}"
    if kind == "date":
        return pd.Timestamp(value).strftime(DAY)
    if kind == "flag":
        return tr("yes", lang) if bool(value) else tr("no", lang)
    return str(value)


def export_value(value, kind: str):
    """A value for a spreadsheet cell: numbers stay numbers, hidden markers stay text."""
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if kind in ("count", "number"):
        return int(value)
    if kind in ("rate", "per1000", "days"):
        return round(float(value), 4)
    if kind == "date":
        return pd.Timestamp(value).date()
    if kind == "flag":
        return bool(value)
    return str(value)


# --------------------------------------------------------------------------- html pieces


def section_html(title: str, key: str = "") -> str:
    """A section heading."""
    data = f' data-hehu="section-{key}"' if key else ""
    return f'<div class="hehu-section"{data}>{html_text(title)}</div>'


def note_html(text: str) -> str:
    """A small explanatory note."""
    return f'<div class="hehu-note">{html_text(text)}</div>'


@dataclass
class Card:
    """A headline figure."""

    key: str
    label: str
    value: str
    note: str = ""
    gap: bool = False


def cards_html(cards: Sequence[Card]) -> str:
    """Headline figures as cards (a gap is outlined in red)."""
    parts = []
    for card in cards:
        note = f'<div class="t">{html_text(card.note)}</div>' if card.note else ""
        parts.append(
            f'<div class="hehu-card{" gap" if card.gap else ""}" data-card="{html_text(card.key)}">'
            f'<div class="k">{html_text(card.label)}</div>'
            f'<div class="v">{html_text(card.value)}</div>{note}</div>'
        )
    return '<div class="hehu-cards">' + "".join(parts) + "</div>"


def table_html(
    shown: pd.DataFrame,
    columns: Sequence[Column],
    lang: str,
    key: str,
    *,
    row_class: pd.Series | None = None,
    gap_columns: Sequence[str] = (),
) -> str:
    """A frame of shown values as an HTML table (numbers right-aligned)."""
    if shown.empty:
        return note_html(tr("no_data", lang))
    head = "".join(
        f'<th class="{"num" if c.kind in NUMERIC_KINDS else ""}">{html_text(c.label)}</th>'
        for c in columns
    )
    body = []
    for i, (_, row) in enumerate(shown.iterrows()):
        css = "" if row_class is None else str(row_class.iloc[i])
        cells = []
        for c in columns:
            value = row[c.key]
            classes = ["num"] if c.kind in NUMERIC_KINDS else []
            if c.key in gap_columns and not isinstance(value, str) and value and value == value:
                classes.append("gap")
            cells.append(
                f'<td class="{" ".join(classes)}">{html_text(format_cell(value, c.kind, lang))}</td>'
            )
        body.append(f'<tr class="{css}">' + "".join(cells) + "</tr>")
    return (
        f'<div class="hehu-table-wrap"><table class="hehu-table" data-hehu="table-{html_text(key)}">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def download_link_html(data: bytes, file_name: str, lang: str, rows: int) -> str:
    """An <a download> link carrying an .xlsx file (no server round trip, works in Voila)."""
    payload = base64.b64encode(data).decode("ascii")
    return (
        f'<span class="hehu-download" data-hehu="download"><a download="{html_text(file_name)}" '
        f'href="data:{XLSX_MIME};base64,{payload}">{html_text(tr("download", lang, name=file_name))}</a>'
        f" {html_text(tr('exported_rows', lang, rows=rows))}</span>"
    )


def chart_series(name: str, shown: pd.Series, kind: str, lang: str) -> Series:
    """A chart series of what the table shows: hidden bars hatched, with no length of their own."""
    hidden = [is_hidden(v) for v in shown]
    return Series(
        name,
        [shown_number(v) or 0.0 for v in shown],
        texts=[format_cell(v, kind, lang) for v in shown],
        hidden=hidden,
    )


def with_total_row(frame: pd.DataFrame, sums: list[str], label_column: str, label: str):
    """A frame with a total row (is_total) summing `sums` appended."""
    frame = frame.copy()
    frame["is_total"] = False
    total = {c: frame[c].sum() for c in sums}
    total.update({label_column: label, "is_total": True})
    out = pd.concat([frame, pd.DataFrame([total])], ignore_index=True)
    for c in sums:
        out[c] = out[c].astype("int64")
    return out


def positive(shown) -> bool:
    """Whether a shown figure is above zero (a gap worth outlining): a number above zero, or
    "<5" (1 to 4). A figure hidden to protect another is not outlined: that would tell it."""
    number = shown_number(shown)
    return shown == HIDDEN_SMALL if number is None else number > 0


def place_rows(
    records: Records, place: str, figures: pd.DataFrame, lang: str, rates: dict | None = None
) -> pd.DataFrame:
    """A place's figures row by row (the places under it, then its total), labelled for a table."""
    rows = breakdown(records, place, figures, rates=rates)
    rows["label"] = row_labels(rows, lang)
    return rows


def row_labels(rows: pd.DataFrame, lang: str) -> pd.Series:
    """Place names, the own row and total row marked, key villages starred."""
    labels = []
    for _, row in rows.iterrows():
        if row["is_total"]:
            labels.append(tr("total_row", lang, name=row["name"]))
        elif row.get("is_own", False):
            labels.append(tr("own_row", lang, name=row["name"]))
        else:
            labels.append(row["name"] + (" ★" if row["key_village"] else ""))
    return pd.Series(labels, index=rows.index)


# --------------------------------------------------------------------------- widgets


class FrameTable(w.VBox):
    """A table with a sort picker, and an Excel export of exactly what is shown."""

    def __init__(
        self,
        key: str,
        columns: Sequence[Column],
        lang: str,
        *,
        export_name: str,
        on_export: Callable[[str, int], None] | None = None,
        gap_columns: Sequence[str] = (),
        scroll: bool = False,
    ):
        self.key = key
        self.columns = list(columns)
        self.lang = lang
        self.export_name = export_name
        self.on_export = on_export
        self.gap_columns = gap_columns
        self.note = ""
        self.raw = pd.DataFrame()
        self.shown = pd.DataFrame()
        self.sort_by = w.Dropdown(
            options=[(tr("as_listed", lang), "")] + [(c.label, c.key) for c in self.columns],
            value="",
            description=tr("sort_by", lang),
            layout=w.Layout(width="auto", min_width="200px"),
        )
        self.sort_by.style.description_width = "initial"
        self.descending = w.Checkbox(value=False, description=tr("descending", lang), indent=False)
        self.descending.layout = w.Layout(width="auto")
        self.export_button = w.Button(description=tr("export", lang))
        self.export_button.add_class("hehu-noprint")
        self.download = w.HTML()
        self.table = w.HTML(layout=w.Layout(width="100%"))
        if scroll:
            self.table.add_class("hehu-rows-table")
        tools = w.HBox(
            [self.sort_by, self.descending, self.export_button, self.download],
            layout=w.Layout(flex_flow="row wrap"),
        )
        tools.add_class("hehu-controls")
        tools.add_class("hehu-table-tools")
        super().__init__([tools, self.table], layout=w.Layout(width="100%"))
        self.add_class(f"hehu-frame-table-{key}")
        self.sort_by.observe(self._render, names="value")
        self.descending.observe(self._render, names="value")
        self.export_button.on_click(self._export)

    def show(self, raw: pd.DataFrame, shown: pd.DataFrame, note: str = "") -> None:
        """Show a frame: `raw` values sort it, `shown` values (after privacy) are displayed."""
        self.raw = raw.reset_index(drop=True)
        self.shown = shown.reset_index(drop=True)
        self.note = note
        self.download.value = ""  # an old file would no longer match the table
        self._render()

    def show_as(
        self,
        role: str,
        frame: pd.DataFrame,
        columns: Sequence[Column],
        note: str = "",
        *,
        gap_columns: Sequence[str] | None = None,
        **disclosure,
    ) -> pd.DataFrame:
        """Show a frame as a role may see it (`shown_values` with `disclosure`); the shown values."""
        shown = shown_values(frame, columns, role, **disclosure)
        self.columns = columns
        if gap_columns is not None:
            self.gap_columns = gap_columns
        self.show(frame, shown, note)
        return shown

    def ordered(self) -> pd.DataFrame:
        """The shown rows in display order: body sorted, then a place's own row, then its total."""
        shown, raw = self.shown, self.raw
        if shown.empty:
            return shown
        pinned = pd.Series(0, index=raw.index)
        if "is_own" in raw:
            pinned[raw["is_own"].fillna(False).astype(bool)] = 1
        if "is_total" in raw:
            pinned[raw["is_total"].fillna(False).astype(bool)] = 2
        order = pd.DataFrame({"pinned": pinned, "position": range(len(raw))})
        if self.sort_by.value:
            # Sorted on what is shown: hidden values last, in table order (an order by their
            # value would tell them apart).
            kind = {c.key: c.kind for c in self.columns}.get(self.sort_by.value)
            order["value"] = (
                shown[self.sort_by.value].map(shown_number).astype("float64")
                if kind in NUMERIC_KINDS
                else raw[self.sort_by.value]
            )
            body = order[order["pinned"] == 0].sort_values(
                "value", ascending=not self.descending.value, na_position="last", kind="stable"
            )
            order = pd.concat([body, order[order["pinned"] > 0].sort_values("pinned")])
        else:
            order = order.sort_values(["pinned", "position"], kind="stable")
        return shown.loc[order.index]

    def _row_classes(self, index: pd.Index) -> pd.Series:
        classes = pd.Series("", index=self.raw.index)
        if "is_own" in self.raw:
            classes[self.raw["is_own"].fillna(False).astype(bool)] = "hehu-own"
        if "is_total" in self.raw:
            classes[self.raw["is_total"].fillna(False).astype(bool)] = "hehu-total"
        return classes.loc[index]

    def _render(self, _change=None) -> None:
        rows = self.ordered()
        self.table.value = table_html(
            rows,
            self.columns,
            self.lang,
            self.key,
            row_class=self._row_classes(rows.index) if len(rows) else None,
            gap_columns=self.gap_columns,
        )

    def export_frame(self) -> pd.DataFrame:
        """What the export writes: the shown rows in display order, headed by column labels."""
        rows = self.ordered()
        return pd.DataFrame(
            {c.label: [export_value(v, c.kind) for v in rows[c.key]] for c in self.columns}
            if len(rows)
            else {c.label: [] for c in self.columns}
        )

    def export_bytes(self) -> bytes:
        """The shown table as an .xlsx file."""
        return frame_to_xlsx_bytes(self.export_frame(), sheet=self.export_name, note=self.note)

    def _export(self, _button=None) -> None:
        frame = self.export_frame()
        data = frame_to_xlsx_bytes(frame, sheet=self.export_name, note=self.note)
        stamp = dt.date.today().strftime("%Y%m%d")
        name = f"{self.export_name}_{stamp}.xlsx"
        self.download.value = download_link_html(data, name, self.lang, len(frame))
        if self.on_export is not None:
            self.on_export(f"{self.export_name}: {self.note}", len(frame))


class FilterBar(w.HBox):
    """Place (the hierarchy), period and category pickers, linked to a page's state."""

    def __init__(self, state: TrackingState, category_title: str, extra: Sequence[w.Widget] = ()):
        lang = state.lang
        self.place_picker = w.Dropdown(
            options=place_options(state.records, lang),
            value=state.place,
            description=tr("place", lang),
        )
        self.period_picker = w.Dropdown(
            options=period_options(state.records, lang),
            value=state.period_key,
            description=tr("period", lang),
        )
        self.category_picker = w.Dropdown(
            options=state.category_options(), value=state.category, description=category_title
        )
        # w.link copies the picker's value into the state first: the values above match it
        pickers = [self.place_picker, self.period_picker, self.category_picker]
        for picker in pickers:
            picker.style.description_width = "initial"
            picker.layout = w.Layout(width="auto", min_width="220px", max_width="100%")
        w.link((self.place_picker, "value"), (state, "place"))
        w.link((self.period_picker, "value"), (state, "period_key"))
        w.link((self.category_picker, "value"), (state, "category"))
        super().__init__([*pickers, *extra], layout=w.Layout(flex_flow="row wrap", width="100%"))
        self.add_class("hehu-controls")


class TrackingView(w.VBox):
    """A tracking page's body: the filter bar, a scope line, then sections redrawn on change."""

    def __init__(
        self,
        state: TrackingState,
        category_title: str,
        sections: Sequence[w.Widget],
        extra_filters: Sequence[w.Widget] = (),
    ):
        self.state = state
        self.filters = FilterBar(state, category_title, extra_filters)
        self.scope = w.HTML()
        self.problem = w.HTML()
        super().__init__(
            [w.HTML(TRACKING_CSS), self.filters, self.scope, self.problem, *sections],
            layout=w.Layout(width="100%"),
        )
        state.observe(self._on_change, names=list(state.FILTERS))

    def _on_change(self, _change=None) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Redraw everything from the state; a data problem shows as a message, not a traceback."""
        state = self.state
        as_of = state.period.as_of.strftime(DAY)
        self.scope.value = (
            f'<div class="hehu-sub" data-hehu="scope">{html_text(state.scope_text())} · '
            f"{html_text(tr('as_of', state.lang, day=as_of))}</div>"
        ) + ("" if state.shows_rows else note_html(legend(state.lang)))
        try:
            self.redraw()
            self.problem.value = ""
        except HehuError as exc:
            self.problem.value = error_box(exc.message(state.lang)).value

    def redraw(self) -> None:  # pragma: no cover - every page overrides it
        """Redraw the page's sections."""
        raise NotImplementedError

    def export_logger(self, store: Store | None) -> Callable[[str, int], None] | None:
        """A callback writing each export to the audit log (None when there is no store)."""
        if store is None:
            return None
        role = self.state.role

        def log(what: str, rows: int) -> None:
            log_export(store, f"{what} ({rows} rows)", actor=role, places=self.state.place)

        return log


def apply_params(state: TrackingState, params: dict[str, str], lang: str) -> list[w.Widget]:
    """Set the state from ?place=&period=&category=; an unknown value gives a notice, not a crash."""
    notices = []
    code = params.get("place", "").strip()
    if code:
        try:
            state.place = code
        except (UnknownPlace, traitlets.TraitError) as exc:
            message = exc.message(lang) if isinstance(exc, HehuError) else str(exc)
            notices.append(error_box(message))
    periods = [k for _, k in period_options(state.records, lang)]
    if params.get("period") in periods:
        state.period_key = params["period"]
    if params.get("category") in [k for _, k in state.category_options()]:
        state.category = params["category"]
    return notices


def build_tracking_page(
    page: str,
    make_state: Callable[[Records, str], TrackingState],
    make_view: Callable[[TrackingState, Store], TrackingView],
    db_url: str | None,
    params: dict | None,
) -> w.VBox:
    """A tracking page as one box (with .state and .view for tests), or a page saying what failed."""
    params = query_params() if params is None else params
    lang = page_language(params)
    title = tr(f"{page}_title", lang)
    try:
        store = page_store(db_url)
        records = page_records(store)
        state = make_state(records, lang)
        notices = apply_params(state, params, lang)
        view = make_view(state, store)
        view.refresh()
    except HehuError as exc:
        return failure_page(title, lang, exc)
    shell = page_shell(
        f"{i18n.t('app', lang)} · {title}", tr(f"{page}_sub", lang), records, lang, [*notices, view]
    )
    shell.state = state
    shell.view = view
    return shell


def vocab_options(table: dict, lang: str, all_key: str) -> list[tuple[str, str]]:
    """(label, key) choices of a vocabulary, 'all' first."""
    return [(tr(all_key, lang), "")] + [(vocab.label(table, k, lang), k) for k in table]
