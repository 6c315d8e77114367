"""The kinds of record an import knows: for each, its columns (Chinese header, synonyms, how a
cell is read, required or not) and how a missing ID is derived.

`KIND_SPECS` drives everything else: header matching, row parsing and the Excel templates.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from hehu.errors import HehuError
from hehu.importing.cells import fold
from hehu.records import vocab
from hehu.records.pseudonym import ID_HEX_CHARS
from hehu.records.schema import RECORD_TABLES


@dataclass(frozen=True)
class Field:
    """One column of a kind's template: key, Chinese header, synonyms, how cells are read."""

    key: str  # a store column, or an input only the importer sees (name, id_number, town, …)
    zh: str
    synonyms: tuple[str, ...] = ()
    parse: str = "text"  # text, int, float, date, year, bool, vocab, multi, metric, place, places,
    # org, orgs, id_number, name, town
    vocab: dict | None = None
    required: bool = False
    personal: bool = False  # a name or ID number: hashed, never stored, never echoed in a report
    help: str = ""

    def help_text(self) -> str:
        """The help for this column in the template's 说明 sheet."""
        base = {
            "date": "日期，如 2022-05-18 或 2022年5月18日",
            "int": "整数",
            "float": "数字",
            "year": "四位年份，如 2012（也可填出生日期）",
            "bool": "是 或 否",
            "place": "村居或镇街名称，或 12 位区划代码",
            "places": "多个地点用顿号分开",
            "org": "组织名称或组织编号",
            "orgs": "多个组织用顿号分开",
            "multi": "可填多个，用顿号分开",
            "id_number": "18 位身份证号（末位可为 X），列设为文本格式；只用于生成假名编号，不保存",
            "name": "须同时填写对应的身份证号；只用于生成假名编号，不保存",
        }.get(self.parse, "")
        return "；".join(p for p in (self.help, base) if p)


@dataclass(frozen=True)
class KindSpec:
    """How a kind of record is imported: its columns, its ID and how a missing ID is derived."""

    kind: str
    zh: str
    description: str
    fields: tuple[Field, ...]
    id_field: str | None = None  # the store's ID column, derived when the file has none
    id_prefix: str = ""
    natural_key: tuple[str, ...] = ()  # record fields a missing ID is derived from
    one_of: tuple[tuple[str, ...], ...] = ()  # groups of fields of which at least one is needed
    hints: tuple[str, ...] = ()  # words in a sheet name that suggest this kind

    def field(self, key: str) -> Field:
        """The field with a key."""
        return next(f for f in self.fields if f.key == key)


_TOWN = (
    "镇街", "镇", "乡镇", "镇(街道)", "乡镇(街道)", "镇街道", "所在镇", "所属镇", "所在镇街",
    "所属镇街", "所在乡镇", "镇区", "街道",
)  # fmt: skip
_PLACE = (
    "村居", "所在村", "所在村居", "村(居)", "村(社区)", "村社区", "村/社区", "村居名称", "所属村",
    "所属村居", "村名", "行政村", "村委会", "社区", "所在社区", "地点", "所在地", "地点代码",
    "村居代码", "区划代码", "统计用区划代码",
)  # fmt: skip
_ORG = ("组织", "单位", "组织名称", "组织编号", "承办单位", "主办单位", "实施单位")
_DATE = ("日期", "时间", "活动日期", "开展日期", "开展时间", "活动时间")
_HEAD_NAME = ("户主姓名", "户主", "户主名字", "家长姓名")
_HEAD_ID = ("户主身份证号", "户主身份证号码", "户主身份证", "户主证件号码", "户主公民身份号码")
_HOUSEHOLD_NO = ("家庭编号", "户编号", "家庭ID")
_PERSON_NAME = ("姓名", "名字", "儿童姓名", "对象姓名", "学生姓名", "帮扶对象", "帮扶对象姓名",
                "留守儿童姓名", "结对对象", "结对对象姓名")  # fmt: skip
_PERSON_ID = ("身份证号", "身份证号码", "身份证", "公民身份号码", "证件号码", "儿童身份证号",
              "对象身份证号", "身份证件号码")  # fmt: skip


def _place_field(required: bool = True, key: str = "place_code", zh: str = "村居") -> Field:
    return Field(key, zh, _PLACE if key == "place_code" else (), "place", required=required)


def _town_field() -> Field:
    return Field("town", "镇街", _TOWN, "town", help="同名村须写所属镇街（可不填）")


KIND_SPECS: dict[str, KindSpec] = {
    spec.kind: spec
    for spec in (
        KindSpec(
            "place",
            "地点",
            "地点：更新村居的儿童数、留守儿童数、是否省定重点帮促村和坐标，或新增地点。",
            (
                Field(
                    "code", "区划代码", ("代码", "地点代码", "统计用区划代码", "村居代码"), "text"
                ),
                Field("name", "名称", ("地点名称", "村居名称", "村居", "单位名称"), "text"),
                Field("short_name", "简称", ("简名",), "text"),
                Field("level", "级别", ("层级", "类型"), "vocab", vocab.LEVELS),
                Field("parent_code", "上级", ("上级代码", "上级地点", "所属镇街", "镇街"), "place"),
                Field(
                    "key_village",
                    "省定重点帮促村",
                    ("重点帮促村", "重点村", "是否重点帮促村"),
                    "bool",
                ),
                Field("lat", "纬度", ("lat", "latitude"), "float", help="WGS-84"),
                Field("lon", "经度", ("lon", "lng", "longitude"), "float", help="WGS-84"),
                Field(
                    "coord_quality",
                    "坐标质量",
                    ("坐标来源类型",),
                    "vocab",
                    vocab.COORD_QUALITIES,
                    help="填写经纬度时必填",
                ),
                Field("coord_basis", "坐标依据", ("坐标来源", "坐标说明"), "text"),
                Field("children", "儿童数", ("儿童人数", "儿童总数"), "int"),
                Field("left_behind_children", "留守儿童数", ("留守儿童人数",), "int"),
            ),
            one_of=(("code", "name"),),
            hints=("地点", "村居", "区划"),
        ),
        KindSpec(
            "org",
            "组织",
            "组织：妇联、协会、调解工作室、维权站、部门、学校。",
            (
                Field(
                    "org_id",
                    "组织编号",
                    ("组织代码", "单位编号"),
                    "text",
                    help="不填时按组织名称生成",
                ),
                Field(
                    "name", "组织名称", ("名称", "单位名称", "组织", "单位"), "text", required=True
                ),
                Field("kind", "类型", ("组织类型", "单位类型"), "vocab", vocab.ORG_KINDS),
                Field("level", "层级", ("级别", "组织层级"), "vocab", vocab.ORG_LEVELS),
                _town_field(),
                _place_field(zh="所在地"),
                Field(
                    "host_org_id",
                    "主办单位",
                    ("依托单位", "主管单位", "设立单位", "举办单位", "所属单位"),
                    "org",
                    help="维权站、调解工作室由哪个单位设立（如小雨滴工作室：县检察院）",
                ),
            ),
            id_field="org_id",
            id_prefix="O",
            natural_key=("name",),
            hints=("组织", "单位", "阵地"),
        ),
        KindSpec(
            "household",
            "家庭",
            "家庭：必访家庭、风险家庭等，以户主身份识别。",
            (
                Field("head_name", "户主姓名", _HEAD_NAME[1:] + ("姓名",), "name", personal=True),
                Field(
                    "head_id_number",
                    "户主身份证号",
                    _HEAD_ID[1:] + ("身份证号", "身份证号码"),
                    "id_number",
                    personal=True,
                ),
                Field(
                    "household_id",
                    "家庭编号",
                    _HOUSEHOLD_NO[1:],
                    "text",
                    help="不填时由户主姓名和身份证号生成假名编号",
                ),
                _town_field(),
                _place_field(),
                Field(
                    "categories",
                    "类别",
                    ("家庭类别", "家庭类型", "困难类型", "必访类型", "类型"),
                    "multi",
                    vocab.CATEGORIES,
                ),
            ),
            one_of=(("head_name", "household_id"),),
            hints=("家庭", "户"),
        ),
        KindSpec(
            "person",
            "对象",
            "对象：留守儿童、困境儿童、困难母亲等帮扶对象，以姓名和身份证号识别。",
            (
                Field("name", "姓名", _PERSON_NAME[1:], "name", personal=True),
                Field("id_number", "身份证号", _PERSON_ID[1:], "id_number", personal=True),
                Field(
                    "person_id",
                    "对象编号",
                    ("对象ID",),
                    "text",
                    help="不填时由姓名和身份证号生成假名编号",
                ),
                Field("sex", "性别", (), "vocab", vocab.SEXES, help="不填时按身份证号"),
                Field(
                    "birth_year",
                    "出生年份",
                    ("出生年", "出生年月", "出生日期", "出生年月日"),
                    "year",
                    help="不填时按身份证号",
                ),
                _town_field(),
                _place_field(),
                Field(
                    "categories",
                    "类别",
                    ("对象类别", "人员类别", "对象类型", "困难类型", "类型"),
                    "multi",
                    vocab.CATEGORIES,
                ),
                Field("head_name", "户主姓名", _HEAD_NAME[1:], "name", personal=True),
                Field("head_id_number", "户主身份证号", _HEAD_ID[1:], "id_number", personal=True),
                Field("household_id", "家庭编号", _HOUSEHOLD_NO[1:], "text"),
            ),
            one_of=(("name", "person_id"),),
            hints=("对象", "儿童", "名册", "人员"),
        ),
        KindSpec(
            "pairing",
            "结对",
            "结对帮扶：组织与对象的结对。对象须已在对象名册中（或在同一文件的对象工作表中）。",
            (
                Field(
                    "pairing_id",
                    "结对编号",
                    ("结对ID",),
                    "text",
                    help="不填时按组织+对象+开始日期生成",
                ),
                Field(
                    "org_id",
                    "帮扶组织",
                    ("结对组织", "帮扶单位", "结对单位") + _ORG,
                    "org",
                    required=True,
                ),
                Field("name", "对象姓名", _PERSON_NAME, "name", personal=True),
                Field("id_number", "对象身份证号", _PERSON_ID, "id_number", personal=True),
                Field("person_id", "对象编号", ("对象ID",), "text"),
                Field(
                    "support_type",
                    "帮扶类型",
                    ("帮扶方式", "结对类型", "帮扶内容"),
                    "vocab",
                    vocab.SUPPORT_TYPES,
                    required=True,
                ),
                Field(
                    "start_date",
                    "开始日期",
                    ("结对日期", "结对时间", "起始日期", "开始时间"),
                    "date",
                    required=True,
                ),
                Field("end_date", "结束日期", ("终止日期", "结束时间", "解除日期"), "date"),
            ),
            id_field="pairing_id",
            id_prefix="J",
            natural_key=("org_id", "person_id", "start_date"),
            one_of=(("name", "person_id"),),
            hints=("结对",),
        ),
        KindSpec(
            "contact",
            "帮扶记录",
            "帮扶记录：结对后的每次联系。用结对编号，或对象姓名+身份证号（+帮扶组织）指明结对。",
            (
                Field("pairing_id", "结对编号", ("结对ID",), "text"),
                Field("name", "对象姓名", _PERSON_NAME, "name", personal=True),
                Field("id_number", "对象身份证号", _PERSON_ID, "id_number", personal=True),
                Field("person_id", "对象编号", ("对象ID",), "text"),
                Field("org_id", "帮扶组织", ("结对组织", "帮扶单位") + _ORG, "org"),
                Field(
                    "date",
                    "日期",
                    ("联系日期", "帮扶日期", "走访日期") + _DATE[1:],
                    "date",
                    required=True,
                ),
                Field(
                    "mode",
                    "方式",
                    # not 联系方式: in registers that is a phone number
                    ("联系形式", "帮扶方式", "形式"),
                    "vocab",
                    vocab.CONTACT_MODES,
                    required=True,
                ),
            ),
            one_of=(("pairing_id", "name", "person_id"),),
            hints=("帮扶记录", "联系"),
        ),
        KindSpec(
            "course",
            "课程",
            "女童保护课程：每场一行，人次为受教育人次。",
            (
                Field(
                    "course_id",
                    "课程编号",
                    ("课程ID", "场次编号"),
                    "text",
                    help="建议填写；不填时按日期+地点+组织+主题识别同一场课程",
                ),
                Field(
                    "date",
                    "日期",
                    ("授课日期", "上课日期", "课程日期") + _DATE[1:],
                    "date",
                    required=True,
                ),
                _town_field(),
                _place_field(),
                Field("venue", "场所", ("授课地点", "上课地点", "学校", "场地"), "text"),
                Field("org_id", "组织", ("授课单位",) + _ORG[1:], "org", required=True),
                Field("topic", "主题", ("课程主题", "课程名称", "内容", "课程内容"), "text"),
                Field(
                    "attendance",
                    "人次",
                    ("受教育人次", "参加人次", "参与人次", "听课人次", "人数"),
                    "int",
                    required=True,
                ),
                Field("girls", "女童人次", ("女童人数", "女生人次", "女生人数"), "int"),
            ),
            id_field="course_id",
            id_prefix="K",
            natural_key=("date", "place_code", "org_id", "topic"),
            hints=("课程", "女童保护"),
        ),
        KindSpec(
            "visit",
            "走访",
            "入户走访：家庭以户主姓名+身份证号或家庭编号识别；新家庭按村居自动建立。",
            (
                Field("visit_id", "走访编号", ("走访ID",), "text"),
                Field(
                    "date",
                    "日期",
                    ("走访日期", "走访时间", "入户日期") + _DATE[1:],
                    "date",
                    required=True,
                ),
                Field("head_name", "户主姓名", _HEAD_NAME[1:], "name", personal=True),
                Field("head_id_number", "户主身份证号", _HEAD_ID[1:], "id_number", personal=True),
                Field("household_id", "家庭编号", _HOUSEHOLD_NO[1:], "text"),
                _town_field(),
                _place_field(required=False),
                Field("org_id", "走访单位", ("走访组织",) + _ORG, "org", required=True),
                Field(
                    "reasons",
                    "走访原因",
                    ("必访类型", "走访类别", "原因", "类别"),
                    "multi",
                    vocab.CATEGORIES,
                ),
                Field("follow_up_due", "跟进期限", ("跟进日期", "下次走访", "回访日期"), "date"),
            ),
            id_field="visit_id",
            id_prefix="V",
            natural_key=("date", "household_id", "org_id"),
            one_of=(("head_name", "household_id"),),
            hints=("走访",),
        ),
        KindSpec(
            "screening",
            "排查",
            "风险隐患排查：家庭以户主姓名+身份证号或家庭编号识别。",
            (
                Field("screening_id", "排查编号", ("排查ID",), "text"),
                Field("date", "日期", ("排查日期", "排查时间") + _DATE[1:], "date", required=True),
                Field("head_name", "户主姓名", _HEAD_NAME[1:], "name", personal=True),
                Field("head_id_number", "户主身份证号", _HEAD_ID[1:], "id_number", personal=True),
                Field("household_id", "家庭编号", _HOUSEHOLD_NO[1:], "text"),
                _town_field(),
                _place_field(required=False),
                Field(
                    "risk_categories",
                    "风险类别",
                    ("隐患类别", "隐患类型", "风险类型", "类别"),
                    "multi",
                    vocab.CATEGORIES,
                ),
                Field(
                    "risk_level",
                    "风险等级",
                    ("等级", "隐患等级", "风险程度"),
                    "vocab",
                    vocab.RISK_LEVELS,
                    required=True,
                ),
                Field("follow_up_due", "跟进期限", ("跟进日期", "整改期限", "回访日期"), "date"),
                Field(
                    "org_id",
                    "排查单位",
                    ("排查组织", "排查部门") + _ORG,
                    "org",
                    help="妇联、公安、司法等开展排查的单位",
                ),
            ),
            id_field="screening_id",
            id_prefix="S",
            natural_key=("date", "household_id"),
            one_of=(("head_name", "household_id"),),
            hints=("排查", "隐患"),
        ),
        KindSpec(
            "case",
            "维权事项",
            "维权事项：接访、调解。当事人姓名等个人信息不要填写（会被忽略）。",
            (
                Field(
                    "case_id",
                    "事项编号",
                    ("案件编号", "登记编号", "受理编号"),
                    "text",
                    help="建议填写；不填时按受理日期+单位+地点+类别识别",
                ),
                Field(
                    "received_date",
                    "受理日期",
                    ("接访日期", "登记日期", "来访日期", "受理时间"),
                    "date",
                    required=True,
                ),
                Field("org_id", "受理单位", ("接访单位", "受理组织") + _ORG, "org", required=True),
                _town_field(),
                _place_field(),
                Field(
                    "category",
                    "类别",
                    ("事项类别", "纠纷类型", "案件类型", "问题类别"),
                    "vocab",
                    vocab.CASE_CATEGORIES,
                    required=True,
                ),
                Field(
                    "status",
                    "状态",
                    ("办理状态", "办理结果", "处理结果"),
                    "vocab",
                    vocab.CASE_STATUSES,
                    required=True,
                ),
                Field(
                    "closed_date",
                    "办结日期",
                    ("结案日期", "化解日期", "办结时间"),
                    "date",
                    help="状态为已化解或已转介时必填",
                ),
            ),
            id_field="case_id",
            id_prefix="C",
            natural_key=("received_date", "org_id", "place_code", "category"),
            hints=("维权", "接访", "调解", "事项"),
        ),
        KindSpec(
            "event",
            "普法活动",
            "普法活动：三八维权周、5·15、6·26、守护花开等。",
            (
                Field("event_id", "活动编号", ("活动ID",), "text"),
                Field("date", "日期", ("活动日期",) + _DATE[1:], "date", required=True),
                _town_field(),
                _place_field(),
                Field("org_id", "组织", _ORG[1:], "org", required=True),
                Field(
                    "campaign",
                    "活动",
                    ("活动名称", "主题活动", "宣传活动"),
                    "vocab",
                    vocab.CAMPAIGNS,
                    required=True,
                ),
                Field(
                    "format",
                    "形式",
                    ("活动形式", "宣传形式"),
                    "vocab",
                    vocab.EVENT_FORMATS,
                    required=True,
                ),
                Field("audience", "受众人次", ("受众", "参与人次", "覆盖人次", "人次"), "int"),
                Field(
                    "laws",
                    "宣传法律",
                    ("宣传的法律", "法律法规", "宣传法律法规", "普法内容", "宣传内容", "法律"),
                    "multi",
                    vocab.LAWS,
                ),
                Field(
                    "channel",
                    "渠道",
                    ("宣传渠道", "发布渠道", "平台", "宣传平台"),
                    "vocab",
                    vocab.EVENT_CHANNELS,
                    help="不填时为现场；填写了专栏时为微信公众号",
                ),
                Field(
                    "column_name",
                    "专栏",
                    ("专栏名称", "普法专栏", "公众号专栏", "栏目"),
                    "text",
                    help="微信公众号专栏名称，如 法驻幸福家、帼彤公益说法",
                ),
            ),
            id_field="event_id",
            id_prefix="E",
            natural_key=("date", "place_code", "org_id", "campaign", "format"),
            hints=("普法", "宣传", "活动"),
        ),
        KindSpec(
            "deliberation",
            "妇女议事",
            "妇女议事会：巾帼花、幸福港湾、心语桥、红姐等品牌。",
            (
                Field("deliberation_id", "议事编号", ("议事ID",), "text"),
                Field("date", "日期", ("议事日期",) + _DATE[1:], "date", required=True),
                _town_field(),
                _place_field(),
                Field("brand", "品牌", ("议事品牌", "议事会名称"), "text", required=True),
                Field("topic", "议题", ("议事主题", "主题", "内容"), "text"),
                Field("participants", "参与人数", ("参加人数", "人数"), "int"),
                Field(
                    "disputes_resolved",
                    "化解纠纷数",
                    ("化解矛盾纠纷", "化解纠纷", "化解矛盾纠纷数", "化解纠纷件数", "化解矛盾"),
                    "int",
                ),
            ),
            id_field="deliberation_id",
            id_prefix="D",
            natural_key=("date", "place_code", "brand"),
            hints=("议事",),
        ),
        KindSpec(
            "protection_measure",
            "保护措施",
            "保护措施：公安出具家庭暴力告诫书、法院人身安全保护令的申请与签发、强制报告的受理与处置，"
            "每件一行。当事人姓名等个人信息不要填写（会被忽略）。",
            (
                Field(
                    "measure_id",
                    "措施编号",
                    ("措施ID", "文书编号", "文书号", "案号"),
                    "text",
                    help="建议填写；不填时按日期+地点+单位+措施类型识别",
                ),
                Field(
                    "date",
                    "日期",
                    ("出具日期", "申请日期", "报告日期", "接报日期", "措施日期") + _DATE[1:],
                    "date",
                    required=True,
                    help="告诫书为出具日期，保护令为申请日期，强制报告为接报日期",
                ),
                _town_field(),
                _place_field(),
                Field(
                    "org_id",
                    "办理单位",
                    ("出具单位", "签发单位", "办理机关", "执法单位", "接报单位") + _ORG,
                    "org",
                    required=True,
                    help="公安局、法院、检察院等",
                ),
                Field(
                    "measure",
                    "措施类型",
                    ("措施", "措施种类", "文书类型", "保护措施"),
                    "vocab",
                    vocab.MEASURES,
                    required=True,
                ),
                Field(
                    "outcome",
                    "结果",
                    ("措施结果", "签发结果", "处置结果", "办理结果"),
                    "vocab",
                    vocab.MEASURE_OUTCOMES,
                    required=True,
                    help="告诫书：已签发；保护令：办理中、已签发或已驳回；强制报告：办理中或已处置",
                ),
                Field(
                    "outcome_date",
                    "结果日期",
                    ("签发日期", "驳回日期", "处置日期", "作出日期"),
                    "date",
                    help="保护令签发或驳回、强制报告处置的日期；办理中不填",
                ),
            ),
            id_field="measure_id",
            id_prefix="M",
            natural_key=("date", "place_code", "org_id", "measure"),
            hints=("告诫", "保护令", "强制报告", "保护措施"),
        ),
        KindSpec(
            "referral",
            "转介",
            "转介：维权事项在部门之间的转介（“1+N”一站式办理），每次转介一行。事项须已在维权事项中。",
            (
                Field("referral_id", "转介编号", ("转介ID", "移送编号"), "text"),
                Field(
                    "case_id",
                    "事项编号",
                    ("案件编号", "登记编号", "受理编号"),
                    "text",
                    required=True,
                ),
                Field(
                    "date",
                    "转介日期",
                    ("移送日期", "转办日期", "日期"),
                    "date",
                    required=True,
                ),
                Field(
                    "from_org_id",
                    "转出单位",
                    ("移送单位", "转介单位", "转办单位"),
                    "org",
                    help="不填时为该事项的受理单位",
                ),
                Field(
                    "to_org_id",
                    "接收单位",
                    ("转入单位", "承接单位", "接办单位", "转至单位"),
                    "org",
                    required=True,
                ),
            ),
            id_field="referral_id",
            id_prefix="RF",
            natural_key=("case_id", "from_org_id", "to_org_id", "date"),
            hints=("转介", "移送", "转办"),
        ),
        KindSpec(
            "target",
            "目标",
            "目标：某地某年某指标的目标值及其出处文件。",
            (
                Field("metric", "指标", ("指标名称",), "metric", vocab.METRICS, required=True),
                _place_field(zh="地点"),
                Field("year", "年度", ("年份",), "year", required=True),
                Field("value", "目标值", ("目标", "数值"), "float", required=True),
                Field("source", "来源", ("出处", "来源文件", "依据"), "text", required=True),
            ),
            hints=("目标",),
        ),
        KindSpec(
            "claim",
            "报告数据",
            "报告数据：工作报告中的一个数字，用于与记录核对。",
            (
                Field("claim_id", "数据编号", ("报告数据编号",), "text"),
                Field("document", "文件", ("报告", "文件名称", "报告名称"), "text", required=True),
                Field("metric", "指标", ("指标名称",), "metric", vocab.METRICS, required=True),
                _place_field(zh="地点"),
                Field("period_start", "起始日期", ("开始日期", "统计起始"), "date", required=True),
                Field("period_end", "截止日期", ("结束日期", "统计截止"), "date", required=True),
                Field("value", "数值", ("报告数值", "数字"), "float", required=True),
                Field("tolerance", "容差", ("允许误差",), "float"),
            ),
            id_field="claim_id",
            id_prefix="CL",
            natural_key=("document", "metric", "place_code", "period_start", "period_end"),
            hints=("报告",),
        ),
        KindSpec(
            "inspection",
            "视察",
            "视察调研：人大的监督活动本身。",
            (
                Field("inspection_id", "视察编号", ("调研编号",), "text"),
                Field("date", "日期", ("视察日期", "调研日期"), "date", required=True),
                Field("committee", "委员会", ("组织单位", "视察单位"), "text", required=True),
                Field("deputies", "参加代表", ("代表",), "text"),
                Field("places", "视察地点", ("地点", "调研地点"), "places"),
                Field("orgs", "被视察单位", ("视察组织", "视察阵地", "组织"), "orgs"),
                Field("summary", "摘要", ("情况", "概要", "内容"), "text"),
            ),
            id_field="inspection_id",
            id_prefix="I",
            natural_key=("date", "committee"),
            hints=("视察", "调研"),
        ),
        KindSpec(
            "recommendation",
            "意见建议",
            "意见建议：视察提出的意见及其办理情况。视察可填编号或日期。",
            (
                Field("rec_id", "建议编号", ("意见编号",), "text"),
                Field("inspection_id", "视察", ("视察编号", "视察日期"), "text", required=True),
                _place_field(zh="地点"),
                Field("text", "内容", ("意见建议", "建议内容", "意见"), "text", required=True),
                Field("responsible_org", "责任单位", ("承办单位", "办理单位"), "org"),
                Field("due_date", "办理期限", ("期限", "截止日期"), "date"),
                Field("status", "状态", ("办理状态",), "vocab", vocab.REC_STATUSES),
                Field("response", "答复", ("办理情况", "办理结果"), "text"),
            ),
            id_field="rec_id",
            id_prefix="R",
            natural_key=("inspection_id", "text"),
            hints=("建议",),
        ),
    )
}
KIND_ORDER = list(RECORD_TABLES)  # dependency order: a kind only points at kinds before it
# The code columns (a record's ID, or a reference to one) and the prefix of their IDs. A code
# that holds an ID-card or mobile number is stored as a keyed pseudonym with this prefix, the
# same wherever the code is written, so that references still find their record.
CODE_PREFIXES: dict[str, str] = {
    "person_id": "P",
    "household_id": "H",
    **{spec.id_field: spec.id_prefix for spec in KIND_SPECS.values() if spec.id_field},
}
# The kind of record each code column names.
CODE_KINDS: dict[str, str] = {
    "person_id": "person",
    "household_id": "household",
    **{spec.id_field: spec.kind for spec in KIND_SPECS.values() if spec.id_field},
}


def resolve_kind(text: str) -> str:
    """A record kind from its key or Chinese name (对象, 结对, …); raises HehuError if unknown."""
    folded = fold(str(text)).casefold()
    for kind, spec in KIND_SPECS.items():
        if folded in (kind, spec.zh.casefold()):
            return kind
    names = "、".join(f"{k}（{s.zh}）" for k, s in KIND_SPECS.items())
    raise HehuError(f"未知的记录类型：{text}。可选：{names}", f"unknown record kind: {text}")


def derive_id(prefix: str, kind: str, values: Iterable) -> str:
    """A stable ID from a record's natural-key values (so re-importing updates, never duplicates)."""
    material = "\x1f".join([kind, *("" if v is None else str(v) for v in values)])
    return f"{prefix}-{hashlib.sha256(material.encode()).hexdigest()[:ID_HEX_CHARS]}"
