"""Controlled vocabularies: one key per concept, with its Chinese and English labels.

Keys are what the store and code use; labels are what people read. Import templates, the store's
constraints, the metrics and the pages all draw on these tables, so a term means one thing everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable

# key: (zh, en)
LEVELS: dict[str, tuple[str, str]] = {
    "province": ("省", "province"),
    "city": ("市", "city"),
    "county": ("县", "county"),
    "town": ("镇", "town"),
    "subdistrict": ("街道", "subdistrict"),
    "village": ("村", "village"),
    "community": ("社区", "community"),
}
# Levels above a county: their overview shows one marker per place below them, not every village.
REGION_LEVELS = ("province", "city")
TOWNSHIP_LEVELS = ("town", "subdistrict")
VILLAGE_LEVELS = ("village", "community")

COORD_QUALITIES: dict[str, tuple[str, str]] = {
    "surveyed": ("实测", "surveyed"),
    "sourced": ("有出处", "sourced"),
    "schematic": ("示意位置", "schematic"),
    "approximate": ("近似位置", "approximate"),
    "none": ("无坐标", "no coordinates"),
}
# Positions that must be drawn as uncertain on a map.
UNCERTAIN_COORDS = ("schematic", "approximate")

CATEGORIES: dict[str, tuple[str, str]] = {
    "left_behind_child": ("留守儿童", "left-behind child"),
    "child_in_difficulty": ("困境儿童", "child in difficulty"),
    "difficult_mother": ("困难母亲", "mother in difficulty"),
    "single_parent": ("单亲家庭", "single-parent family"),
    "extreme_poverty": ("特困", "extreme poverty"),
    "disability": ("残疾", "disability"),
    "serious_illness": ("重大疾病", "serious illness"),
    "dv_risk": ("家暴隐患", "domestic-violence risk"),
    "family_dispute": ("婚姻家庭纠纷", "family dispute"),
    "empty_nest_elder": ("空巢老人", "empty-nest elder"),
    "left_behind_woman": ("留守妇女", "left-behind woman"),
    "entrepreneur_in_difficulty": ("创业困难女性", "woman entrepreneur in difficulty"),
    "grievance": ("不满情绪", "grievance"),
}

# The six must-visit (必访) groups of the source report, each a set of categories.
MUST_VISIT_GROUPS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "grievance": ("有不满情绪必访", "grievance", ("grievance",)),
    "difficult_family": (
        "困难家庭必访",
        "family in difficulty",
        (
            "difficult_mother",
            "single_parent",
            "extreme_poverty",
            "disability",
            "serious_illness",
            "child_in_difficulty",
        ),
    ),
    "left_behind": (
        "空巢老人及留守妇女儿童家庭必访",
        "empty-nest elder, left-behind woman or child",
        ("empty_nest_elder", "left_behind_woman", "left_behind_child"),
    ),
    "family_dispute": ("婚姻家庭矛盾纠纷必访", "family dispute", ("family_dispute",)),
    "violence": ("有暴力问题家庭必访", "violence in the family", ("dv_risk",)),
    "entrepreneur": (
        "创业困难女性必访",
        "woman entrepreneur in difficulty",
        ("entrepreneur_in_difficulty",),
    ),
}
MUST_VISIT_CATEGORIES = frozenset(c for _, _, cats in MUST_VISIT_GROUPS.values() for c in cats)

# Who a user of the workbench is: the one list of roles. Deputies, presenters and units see
# aggregates only (hehu.disclosure); a unit (承办单位) user belongs to one unit.
ROLES: dict[str, tuple[str, str]] = {
    "deputy": ("人大代表", "deputy"),
    "presenter": ("汇报演示", "presenter"),
    "staff": ("妇联工作人员", "federation staff"),
    "unit": ("承办单位", "responsible unit"),
    "admin": ("管理员", "administrator"),
}
UNIT_ROLE = "unit"  # the role whose users must name their unit, and only it

ORG_KINDS: dict[str, tuple[str, str]] = {
    "federation": ("妇联", "women's federation"),
    "association": ("协会", "association"),
    "studio": ("调解工作室", "mediation studio"),
    "station": ("维权站", "rights station"),
    "agency": ("部门", "government agency"),
    "school": ("学校", "school"),
    # 专业人大代表工作小组: the deputies' own outreach (田间地头普法) is recorded under one.
    "deputies": ("人大代表工作小组", "deputies' working group"),
}
# Organisations that receive rights cases in person: the 维权阵地 of the source.
STATION_KINDS = ("station", "studio")

ORG_LEVELS: dict[str, tuple[str, str]] = {
    "county": ("县级", "county"),
    "town": ("镇级", "town"),
    "village": ("村级", "village"),
}

SEXES: dict[str, tuple[str, str]] = {"F": ("女", "female"), "M": ("男", "male")}

SUPPORT_TYPES: dict[str, tuple[str, str]] = {
    "companionship": ("关爱陪伴", "companionship"),
    "study": ("圆梦助学", "help with schooling"),
    "material": ("物资帮扶", "material support"),
    "legal": ("法律援助", "legal aid"),
    "psychological": ("心理疏导", "counselling"),
}

CONTACT_MODES: dict[str, tuple[str, str]] = {
    "home_visit": ("上门", "home visit"),
    "phone": ("电话", "phone"),
    "video": ("视频", "video call"),
    "activity": ("活动", "group activity"),
}

RISK_LEVELS: dict[str, tuple[str, str]] = {
    "low": ("低", "low"),
    "medium": ("中", "medium"),
    "high": ("高", "high"),
}

CASE_CATEGORIES: dict[str, tuple[str, str]] = {
    "family_dispute": ("婚姻家庭纠纷", "family dispute"),
    "domestic_violence": ("家庭暴力", "domestic violence"),
    "property": ("财产权益", "property rights"),
    "child_protection": ("儿童保护", "child protection"),
    "employment": ("劳动就业", "employment"),
    "other": ("其他", "other"),
}

CASE_STATUSES: dict[str, tuple[str, str]] = {
    "open": ("办理中", "open"),
    "resolved": ("已化解", "resolved"),
    "referred": ("已转介", "referred"),
}
# The source counts a case as dealt with (矛盾得到有效化解) when resolved or referred on.
CASE_DONE_STATUSES = ("resolved", "referred")

CAMPAIGNS: dict[str, tuple[str, str]] = {
    "womens_rights_week": ("三八维权周", "March 8 rights week"),
    "family_day": ("5·15 国际家庭日", "May 15 International Day of Families"),
    "anti_drug_day": ("6·26 国际禁毒日", "June 26 International Day against Drug Abuse"),
    "shouhu_huakai": ("守护花开", "Shouhu Huakai village lectures"),
    "other": ("其他", "other"),
}

EVENT_FORMATS: dict[str, tuple[str, str]] = {
    "lecture": ("普法宣讲", "legal lecture"),
    "performance": ("文艺演出", "performance"),
    "materials": ("发放资料", "leaflets"),
    "consultation": ("现场咨询", "on-site advice"),
    "online": ("线上推送", "online post"),
}

# The laws a legal-awareness event publicises (活动宣传的法律), as the source names them.
LAWS: dict[str, tuple[str, str]] = {
    "constitution": ("宪法", "Constitution"),
    "womens_rights": ("妇女权益保障法", "Law on the Protection of Women's Rights and Interests"),
    "civil_code": ("民法典", "Civil Code"),
    "anti_dv": ("反家庭暴力法", "Anti-Domestic Violence Law"),
    "minors": ("未成年人保护法", "Law on the Protection of Minors"),
    "other": ("其他法律法规", "other laws and regulations"),
}

# Where an event reached its audience: on site, or a WeChat column (whose name the event gives).
EVENT_CHANNELS: dict[str, tuple[str, str]] = {
    "on_site": ("现场", "on site"),
    "wechat": ("微信公众号", "WeChat account"),
    "video": ("视频", "video"),
}

# Protection measures of police, procuratorate and court (反家庭暴力法, 未成年人保护法),
# one record per measure: a 告诫书 issued, a 保护令 applied for, a 强制报告 received.
MEASURES: dict[str, tuple[str, str]] = {
    "dv_warning": ("家庭暴力告诫书", "domestic-violence warning letter"),
    "protection_order": ("人身安全保护令", "personal safety protection order"),
    "mandatory_report": ("强制报告", "mandatory report"),
}
MEASURE_OUTCOMES: dict[str, tuple[str, str]] = {
    "pending": ("办理中", "pending"),
    "issued": ("已签发", "issued"),
    "refused": ("已驳回", "refused"),
    "handled": ("已处置", "handled"),
}
# The outcomes each measure can have: a 告诫书 is issued when it is recorded; a 保护令 is
# pending, issued or refused; a 强制报告 is pending until handled.
MEASURE_OUTCOMES_OF: dict[str, tuple[str, ...]] = {
    "dv_warning": ("issued",),
    "protection_order": ("pending", "issued", "refused"),
    "mandatory_report": ("pending", "handled"),
}

REC_STATUSES: dict[str, tuple[str, str]] = {
    "open": ("待办理", "open"),
    "in_progress": ("办理中", "in progress"),
    "done": ("已办结", "done"),
    "cannot": ("不能办结", "cannot be done"),  # version 10: with a reason, in the history
}
REC_OPEN_STATUSES = ("open", "in_progress")
# The statuses a unit responsible (承办单位) answers with (hehu/oversight/cycle.py); 不能办结 needs
# a reason. Only deputies or committee staff close a recommendation (done or cannot).
REC_ANSWER_STATUSES = ("in_progress", "done", "cannot")
REC_CLOSED_STATUSES = ("done", "cannot")

# What an entry of a recommendation's history (recommendation_update.kind) records.
REC_ENTRY_KINDS: dict[str, tuple[str, str]] = {
    "status": ("状态更新", "status update"),  # every entry before version 10
    "assign": ("交办", "assignment"),
    "answer": ("答复", "answer"),
    "rate": ("满意度测评", "rating"),
    "reopen": ("重新交办", "reopened"),
    "close": ("办结", "closed"),
}

# The deputies' rating of a unit's answer (满意度测评); 不满意 reopens it with a new deadline.
RATINGS: dict[str, tuple[str, str]] = {
    "satisfied": ("满意", "satisfied"),
    "basically": ("基本满意", "basically satisfied"),
    "unsatisfied": ("不满意", "unsatisfied"),
}

# The kinds of organisation a recommendation can be assigned to (承办单位): a county bureau
# (公安局, 检察院, 法院, 司法局, 教体局, 民政局), a women's federation, a town's government.
UNIT_ORG_KINDS = ("federation", "agency")


def unit_org_ids(orgs: Iterable[tuple[str, str]]) -> frozenset[str]:
    """The ids of the units responsible (承办单位) among organisations given as (org_id, kind):
    those of a kind in UNIT_ORG_KINDS. The one rule of which organisations are units, for the
    cycle (hehu.oversight.cycle.units_frame) and for a recommendation's first unit, assigned
    outside the cycle (schema.first_unit): an association is never one."""
    return frozenset(org_id for org_id, kind in orgs if kind in UNIT_ORG_KINDS)


# Every metric, in the order pages list them: (zh, en, kind). kind says how a value reads:
# "count" of people (small counts suppressed for deputies), "number" of things, "rate" in 0..1.
METRICS: dict[str, tuple[str, str, str]] = {
    "towns": ("走访镇数", "towns visited", "number"),
    "subdistricts": ("走访街道数", "subdistricts visited", "number"),
    "key_villages": ("走访重点帮促村数", "key villages visited", "number"),
    "stations": ("维权阵地数", "rights stations and studios", "number"),
    "cases_received": ("接访维权事项", "cases received", "count"),
    "cases_resolved": ("化解或转介事项", "cases resolved or referred", "count"),
    "resolution_rate": ("化解率", "resolution rate", "rate"),
    "legal_events": ("普法活动场次", "legal-awareness events", "number"),
    "legal_lectures": ("普法宣讲场次", "legal lectures", "number"),
    "legal_audience": ("普法受众人次", "legal-awareness audience", "number"),
    "course_sessions": ("女童保护课程场次", "girls' protection course sessions", "number"),
    "course_attendance": ("课程受教育人次", "course attendance", "number"),
    "key_villages_with_course": ("开课重点帮促村数", "key villages with a course", "number"),
    "left_behind_children": ("登记留守儿童", "left-behind children registered", "count"),
    "left_behind_children_paired": ("结对留守儿童", "left-behind children paired", "count"),
    "pairings_active": ("正在结对帮扶", "active pairings", "count"),
    "pairings_lapsed": ("逾期未联系结对", "lapsed pairings", "count"),
    "households_must_visit": ("必访家庭", "must-visit households", "count"),
    "households_visited": ("走访家庭", "households visited", "count"),
    "must_visit_coverage": ("必访覆盖率", "must-visit coverage", "rate"),
    "households_screened": ("排查家庭", "households screened", "count"),
    "high_risk_without_follow_up": (
        "高风险未跟进家庭",
        "high-risk households without follow-up",
        "count",
    ),
    "dv_warnings_issued": ("家庭暴力告诫书", "domestic-violence warning letters issued", "count"),
    "protection_orders_applied": (
        "人身安全保护令申请",
        "protection orders applied for",
        "count",
    ),
    "protection_orders_issued": ("人身安全保护令签发", "protection orders issued", "count"),
    "mandatory_reports_received": ("强制报告受理", "mandatory reports received", "count"),
    "mandatory_reports_handled": ("强制报告处置", "mandatory reports handled", "count"),
    "cases_referred": ("转介部门办理事项", "cases referred between bodies", "count"),
    "recommendations_open": ("未办结意见建议", "open recommendations", "number"),
    "recommendations_overdue": ("逾期意见建议", "overdue recommendations", "number"),
}

# How a work report writes each metric's figures, for the claim extractor
# (hehu/oversight/claims/extract.py): (metric, units, nouns, cues, not_cues), each a "|"-list.
# A figure is read as the metric of the first row whose unit it carries, one of whose nouns
# stands next to it ("12个镇", "困难家庭27户"; no nouns: any), one of whose cues is in its
# clause ("走访", "接访"; no cues: any) and none of whose not_cues is. Unit "%" is a rate
# (90%, 七成, 百分之九十). Most specific rows first.
METRIC_WORDS: tuple[tuple[str, str, str, str, str], ...] = (
    ("resolution_rate", "%", "化解率|调解成功率|成功率|办结率", "", ""),
    ("must_visit_coverage", "%", "覆盖率", "必访", ""),
    ("towns", "个", "镇|乡镇", "走访|深入|调研|视察|蹲点", ""),
    ("subdistricts", "个", "街道", "走访|深入|调研|视察|蹲点", ""),
    ("key_villages_with_course", "个", "重点帮促村", "课程|开课", ""),
    ("key_villages", "个", "重点帮促村", "走访|深入|调研|视察|蹲点", ""),
    (
        "stations",
        "个|家|处|所",
        "维权阵地|维权站|工作室|调解室|阵地",
        "建成|建立|打造|成立|共有|现有",
        "新建|其中",
    ),
    ("recommendations_open", "条|件", "", "未办结|尚未办结|正在办理", ""),
    ("recommendations_overdue", "条|件", "", "逾期", ""),
    ("dv_warnings_issued", "份|件|起", "告诫书", "", ""),
    ("protection_orders_issued", "份|件|起", "保护令", "签发|发出|作出|核发", "申请"),
    ("protection_orders_applied", "份|件|起", "保护令", "申请", ""),
    ("mandatory_reports_handled", "件|起|条", "强制报告", "处置|办结|处理", ""),
    ("mandatory_reports_received", "件|起|条", "强制报告", "", ""),
    ("cases_received", "起|件", "", "接访|受理|接待|收到", ""),
    ("cases_resolved", "起|件", "", "化解|调处|调解成功|办结|转介", ""),
    ("left_behind_children_paired", "名|个|人", "留守儿童", "结对", ""),
    ("left_behind_children", "名|个|人", "留守儿童", "登记|在册|摸排|建档|排查|共有|现有", ""),
    ("households_screened", "户|个", "家庭|户", "排查", "发现|其中"),
    ("households_visited", "户|家", "家庭|户", "走访|入户|慰问|探访|家访", ""),
    ("households_must_visit", "户", "必访家庭|必访户", "摸排|梳理|确定|列为|共有", ""),
    ("legal_lectures", "场|场次|次|期", "宣讲|讲座|宣讲活动", "普法|法治|法律|守护花开", ""),
    ("legal_events", "场|场次|次|期", "活动|宣传", "普法|法治|法律|宣传", "宣讲|讲座"),
    ("course_sessions", "场|场次|节|堂|期|次", "课程|课", "", ""),
    ("course_sessions", "场|场次|节|堂|期|次", "活动|讲座", "女童保护|防性侵|自护", ""),
    ("legal_audience", "人次|人", "", "普法|法治|宣讲|受众|守护花开|讲座", ""),
    ("course_attendance", "人次|人", "", "课程|受教育|参训|听课|授课|女童保护", ""),
)

LAPSE_DAYS_DEFAULT = 90
# How long open cases have been open: (from day, to day, label).
OPEN_CASE_AGE_BANDS = [(0, 30, "0–30 天"), (31, 90, "31–90 天"), (91, 100000, "90 天以上")]


def label(table: dict, key: str, lang: str = "zh") -> str:
    """Label of a vocabulary key in a language ('zh' or 'en'); the key itself if unknown."""
    entry = table.get(key)
    if entry is None:
        return str(key)
    return entry[1] if lang == "en" else entry[0]


def split_keys(value: str | None) -> list[str]:
    """Split a stored multi-valued field ('a;b') into its keys."""
    if not value:
        return []
    return [k for k in (p.strip() for p in str(value).split(";")) if k]


def join_keys(keys) -> str:
    """Join keys into the stored multi-valued form, sorted and without repeats."""
    return ";".join(sorted({k for k in keys if k}))
