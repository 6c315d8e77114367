"""The tracking pages' text (Chinese and English) and their stylesheet."""

from __future__ import annotations

from hehu.render import formatting

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
    "as_of": ("统计截止日：{day}", "as of {day}"),
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
    "paired": ("正在结对帮扶人数", "with an active pairing"),
    "unpaired": ("未结对人数", "not paired"),
    "coverage": ("结对覆盖率", "coverage"),
    "paired_in_period": ("期内有过结对帮扶", "paired in the period"),
    "population": ("村居统计留守儿童数", "left-behind children (village count)"),
    "active": ("正在结对帮扶", "active pairings"),
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
    "group_covers": ("包括", "takes in"),
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
        "未办结事项按已办理时长（统计截止日所有未办结事项，不论受理时间）",
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
    # protection measures of police, procuratorate and court; referrals between bodies
    "sec_measures": (
        "执法与司法保护措施",
        "Protection measures of police, procuratorate and court",
    ),
    "sec_measures_place": ("按地点", "By place"),
    "measures_staff_only": (
        "上方为各地汇总，“转介部门办理事项”即 1+N 一站式机制中由妇联转交公安、法院、司法等部门办理的事项；"
        "按办理单位和转介路线的明细仅向妇联工作人员显示。",
        "The figures by place are above; 'cases referred between bodies' are the cases the 1+N "
        "one-stop mechanism passed from the federation to police, court or justice bureau. The "
        "breakdown by agency and by referral route is shown to federation staff only.",
    ),
    "sec_measures_agency": ("按办理单位、措施与结果", "By agency, measure and outcome"),
    "sec_referrals": (
        "1+N 转介：维权事项在部门之间的转介",
        "1+N referrals: cases passed between bodies",
    ),
    "measures_note": (
        "按告诫书出具、保护令申请、强制报告接报日期统计，结果为统计截止日的结果；不按事项类别筛选。",
        "Counted by the day a warning was issued, an order applied for or a report received; "
        "outcomes as on the period's last day; the case category does not apply.",
    ),
    "agency": ("办理单位", "Agency"),
    "measure": ("措施", "Measure"),
    "from_org": ("转出单位", "From"),
    "to_org": ("接收单位", "To"),
    "referrals": ("转介次数", "referrals"),
}

DAY = formatting.DAY

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
