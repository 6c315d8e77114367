"""Every programme of the source visible (issue 15, item 3): the laws and channels of legal
events (the WeChat columns 法驻幸福家 and 帼彤公益说法), the deputies' own outreach, the host
body of each station and studio, screening by agency, visits by organisation (女企业家协会) and
the women's deliberation brands (巾帼花…): import, figures counted by hand, demo and pages.
"""

from __future__ import annotations

import copy
import re
from html import unescape

import openpyxl
import pandas as pd
import pytest
from conftest import html_of
from hehu_fixtures import V1, V2, C, K, S, T, small_records
from test_import_support import COUNTY, GAOGOU, HUAYUAN_GAOGOU, write_book

from hehu.figures.metrics import Period, load_records, place_metrics
from hehu.figures.tracking import programmes
from hehu.importing import import_file
from hehu.importing.templates import write_template
from hehu.records.demo import SOURCE_END, SOURCE_FIGURES, SOURCE_START
from hehu.records.store import open_store
from widgets.pages.cases import build_cases_page
from widgets.pages.visits import build_visits_page

pytest_plugins = ["test_import_support"]  # fixtures: home, db_url, store
D = pd.Timestamp
YEAR = Period.year(2022)
ALL = Period()


def table_text(html: str, key: str) -> list[list[str]]:
    """The rows (header first) of a table of a page, as the cells' texts."""
    found = re.search(f'data-hehu="table-{key}".*?</table>', html, re.S)
    assert found, key
    return [
        [unescape(re.sub("<[^>]+>", "", cell)).strip() for cell in re.findall(r"<t[hd][^>]*>.*?</t[hd]>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>.*?</tr>", found.group(0), re.S)
    ]  # fmt: skip


# ----------------------------------------------------------------------------------- import


def _errors(report) -> list[tuple[str, int, str, str]]:
    return [(e.sheet, e.row, e.column, e.reason) for e in report.errors]


def test_the_new_columns_import_with_their_chinese_headers(store, tmp_path):
    book = write_book(
        tmp_path / "programmes.xlsx",
        {
            "组织": [
                ["组织名称", "类型", "层级", "所在地", "主办单位"],
                ["涟水县人民检察院", "部门", "县级", "涟水县", None],
                ["涟水县妇联", "妇联", "县级", "涟水县", None],
                ["涟水县公安局", "部门", "县级", "涟水县", None],
                ["小雨滴工作室", "调解工作室", "县级", "涟水县", "涟水县人民检察院"],
                ["专业人大代表工作小组", "人大代表工作小组", "县级", "涟水县", None],
                ["无名工作室", "调解工作室", "县级", "涟水县", "不存在的单位"],
            ],
            "普法活动": [
                ["日期", "村居", "组织", "活动", "形式", "受众人次", "宣传法律", "渠道", "专栏"],
                [
                    "2022-03-08",
                    "高沟镇",
                    "涟水县妇联",
                    "三八维权周",
                    "文艺演出",
                    200,
                    "《中华人民共和国宪法》《中华人民共和国妇女权益保障法》",
                    None,
                    None,
                ],
                [
                    "2022-06-01",
                    "涟水县",
                    "涟水县妇联",
                    "其他",
                    "线上推送",
                    1200,
                    "民法典、反家暴法",
                    None,
                    "法驻幸福家",
                ],
                [
                    "2022-06-02",
                    "涟水县",
                    "涟水县妇联",
                    "其他",
                    "线上推送",
                    800,
                    "民法典",
                    "微信公众号",
                    "帼彤公益说法",
                ],
                [
                    "2022-07-01",
                    "高沟镇花园村",
                    "专业人大代表工作小组",
                    "其他",
                    "现场咨询",
                    40,
                    "宪法",
                    "现场",
                    None,
                ],
                ["2022-07-02", "高沟镇", "涟水县妇联", "其他", "文艺演出", 10, "刑法", None, None],
                [
                    "2022-07-03",
                    "高沟镇",
                    "涟水县妇联",
                    "其他",
                    "文艺演出",
                    10,
                    "宪法",
                    "广播",
                    None,
                ],
                [
                    "2022-07-04",
                    "高沟镇",
                    "涟水县妇联",
                    "其他",
                    "文艺演出",
                    10,
                    "宪法",
                    "现场",
                    "法驻幸福家",
                ],
            ],  # fmt: skip
            "排查": [
                ["日期", "家庭编号", "村居", "风险等级", "排查单位"],
                ["2022-04-01", "HH-1", "高沟镇花园村", "高", "涟水县公安局"],
                ["2022-04-02", "HH-2", "高沟镇花园村", "低", None],
                ["2022-04-03", "HH-3", "高沟镇花园村", "低", "不存在局"],
            ],
            "妇女议事": [
                ["日期", "村居", "品牌", "议题", "参与人数", "化解纠纷数"],
                ["2022-05-01", "高沟镇花园村", "巾帼花", "村规民约修订", 12, 3],
                ["2022-05-02", "高沟镇花园村", "巾帼花", "留守儿童关爱", 10, None],
                ["2022-05-03", "高沟镇花园村", "巾帼花", "妇女就业", 10, -1],
                ["2022-05-04", "高沟镇花园村", "巾帼花", "家庭矛盾调处", 10, "很多"],
            ],
        },
    )
    report = import_file(store, book, report_dir=tmp_path)
    errors = _errors(report)
    assert sorted((s, r, c) for s, r, c, _ in errors) == sorted(
        [
            ("组织", 7, "主办单位"),
            ("普法活动", 6, "宣传法律"),
            ("普法活动", 7, "渠道"),
            ("普法活动", 8, "渠道"),
            ("排查", 4, "排查单位"),
            ("妇女议事", 4, "化解纠纷数"),
            ("妇女议事", 5, "化解纠纷数"),
        ]
    ), errors
    reasons = {(s, r): reason for s, r, _, reason in errors}
    assert "找不到组织“不存在的单位”" in reasons[("组织", 7)]
    assert reasons[("普法活动", 6)].startswith("“刑法”不是允许的")
    assert "宪法" in reasons[("普法活动", 6)]  # the allowed values are listed
    assert reasons[("普法活动", 7)].startswith("“广播”不是允许的值")
    assert reasons[("普法活动", 8)] == "填写了专栏名称时，渠道应为微信公众号或视频"
    assert "找不到组织“不存在局”" in reasons[("排查", 4)]
    assert "不能为负数" in reasons[("妇女议事", 4)]

    orgs = store.read("org").set_index("name")
    assert orgs.loc["小雨滴工作室", "host_org_id"] == orgs.loc["涟水县人民检察院", "org_id"]
    assert pd.isna(orgs.loc["涟水县妇联", "host_org_id"])
    assert orgs.loc["专业人大代表工作小组", "kind"] == "deputies"

    events = store.read("event").sort_values("date")
    assert list(events["laws"]) == [
        "constitution;womens_rights",
        "anti_dv;civil_code",
        "civil_code",
        "constitution",
    ]
    assert list(events["channel"]) == ["on_site", "wechat", "wechat", "on_site"]
    assert [None if pd.isna(v) else v for v in events["column_name"]] == [
        None,
        "法驻幸福家",  # a column with no channel given is a WeChat post
        "帼彤公益说法",
        None,
    ]
    assert list(events["place_code"]) == [GAOGOU, COUNTY, COUNTY, HUAYUAN_GAOGOU]

    screenings = store.read("screening").sort_values("date")
    police = orgs.loc["涟水县公安局", "org_id"]
    assert [None if pd.isna(v) else v for v in screenings["org_id"]] == [police, None]

    meetings = store.read("deliberation").sort_values("date")
    assert [None if pd.isna(v) else int(v) for v in meetings["disputes_resolved"]] == [3, None]


def test_a_station_cannot_be_its_own_host(store, tmp_path):
    first = write_book(
        tmp_path / "orgs.xlsx",
        {
            "组织": [
                ["组织名称", "类型", "层级", "所在地"],
                ["小雨滴工作室", "调解工作室", "县级", "涟水县"],
            ]
        },
    )
    assert import_file(store, first, report_dir=tmp_path).errors == []
    again = write_book(
        tmp_path / "again.xlsx",
        {
            "组织": [
                ["组织名称", "所在地", "主办单位"],
                ["小雨滴工作室", "涟水县", "小雨滴工作室"],
            ]
        },
    )
    report = import_file(store, again, report_dir=tmp_path)
    assert _errors(report) == [("组织", 2, "主办单位", "主办单位不能是该组织本身")]


@pytest.mark.parametrize(
    ("kind", "headers"),
    [
        ("org", ["主办单位"]),
        ("screening", ["排查单位"]),
        ("event", ["宣传法律", "渠道", "专栏"]),
        ("deliberation", ["化解纠纷数"]),
    ],
)
def test_templates_carry_the_new_columns(kind, headers, tmp_path):
    path = write_template(kind, tmp_path / f"{kind}.xlsx")
    sheet = openpyxl.load_workbook(path).worksheets[0]
    written = [str(c.value or "") for c in sheet[1]]
    for header in headers:
        assert any(h.startswith(header) for h in written), (header, written)


# ----------------------------------------------------------------------------------- figures


def programme_records() -> dict[str, list[dict]]:
    """The hand-made county with its programmes: hosts, laws, channels, the deputies' group,
    a women entrepreneurs' association, screening agencies and deliberation meetings."""
    records = copy.deepcopy(small_records())
    extra_orgs = [
        {"org_id": "proc", "name": "县检察院", "kind": "agency", "level": "county", "place_code": C},
        {"org_id": "police", "name": "县公安局", "kind": "agency", "level": "county", "place_code": C},
        {"org_id": "deps", "name": "代表小组", "kind": "deputies", "level": "county", "place_code": C},
        {"org_id": "ent", "name": "女企业家协会", "kind": "association", "level": "county",
         "place_code": C},
    ]  # fmt: skip
    records["org"] = extra_orgs + records["org"]  # hosts before the stations they run
    hosts = {"studio": "proc", "st_t": "fed"}
    for org in records["org"]:
        org["host_org_id"] = hosts.get(org["org_id"])
    for household in records["household"]:
        if household["household_id"] == "h2":
            household["categories"] = "difficult_mother;dv_risk;single_parent"
    laws = {"e1": "constitution;womens_rights", "e2": "anti_dv;civil_code", "e3": ""}
    for event in records["event"]:
        event.update(laws=laws[event["event_id"]], channel="on_site", column_name=None)

    def event(eid, day, place, org, fmt, audience, law, channel="on_site", column=None):
        return {
            "event_id": eid, "date": day, "place_code": place, "org_id": org, "campaign": "other",
            "format": fmt, "audience": audience, "laws": law, "channel": channel,
            "column_name": column,
        }  # fmt: skip

    records["event"] += [
        event("e4", D(2022, 5, 1), C, "fed", "online", 1000, "civil_code", "wechat", "法驻幸福家"),
        event("e5", D(2022, 6, 1), C, "fed", "online", 500, "anti_dv", "wechat", "帼彤公益说法"),
        event("e6", D(2022, 8, 1), C, "fed", "online", 300, "civil_code", "wechat", "法驻幸福家"),
        event("e7", D(2022, 9, 1), V1, "deps", "consultation", 30, "constitution"),
        event("e8", D(2022, 10, 1), V2, "deps", "materials", 20, "womens_rights"),
        event("e9", D(2022, 10, 2), V2, "deps", "consultation", None, ""),
    ]

    def visit(vid, day, household, org):
        return {
            "visit_id": vid, "date": day, "household_id": household, "org_id": org,
            "reasons": "", "follow_up_due": None,
        }  # fmt: skip

    records["visit"] += [
        visit("v5", D(2022, 3, 1), "h2", "ent"),
        visit("v6", D(2022, 4, 1), "h2", "ent"),
        visit("v7", D(2022, 4, 2), "h1", "ent"),
    ]
    agencies = {"s1": "police", "s2": "fed", "s3": None}
    for screening in records["screening"]:
        screening["org_id"] = agencies[screening["screening_id"]]
    records["screening"].append(
        {
            "screening_id": "s4",
            "date": D(2022, 5, 1),
            "household_id": "h4",
            "risk_categories": "",
            "risk_level": "medium",
            "follow_up_due": None,
            "org_id": "police",
        }
    )

    def meeting(did, day, place, brand, topic, participants, disputes):
        return {
            "deliberation_id": did, "date": day, "place_code": place, "brand": brand,
            "topic": topic, "participants": participants, "disputes_resolved": disputes,
        }  # fmt: skip

    records["deliberation"] = [
        meeting("d1", D(2022, 2, 1), V1, "巾帼花", "村规民约修订", 12, 2),
        meeting("d2", D(2022, 3, 1), V2, "巾帼花", "村规民约修订", 10, 1),
        meeting("d3", D(2022, 4, 1), V1, "巾帼花", "留守儿童关爱", None, None),
        meeting("d4", D(2022, 5, 1), K, "幸福港湾", "妇女就业", 8, 3),
        meeting("d5", D(2021, 5, 1), K, "幸福港湾", "妇女就业", 9, 1),
    ]
    return records


@pytest.fixture
def programme_store(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'programmes.sqlite'}")
    store.write(programme_records())
    yield store
    store.engine.dispose()


@pytest.fixture
def records(programme_store):
    return load_records(programme_store)


def rows(frame: pd.DataFrame, columns: list[str]) -> list[tuple]:
    return [tuple(r) for r in frame[columns].itertuples(index=False)]


def test_events_by_law_count_an_event_under_each_law(records):
    assert rows(programmes.events_by_law(records, YEAR, C), ["law", "events", "audience"]) == [
        ("constitution", 2, 230),
        ("womens_rights", 2, 220),
        ("civil_code", 3, 1340),
        ("anti_dv", 2, 540),
        ("", 1, 0),  # e9: no law recorded
    ]
    # all time adds e3 (2021, no law, no audience recorded); the town has e1, e2, e7-e9
    assert programmes.events_by_law(records, ALL, C).iloc[-1].tolist() == ["", 2, 0]
    assert rows(programmes.events_by_law(records, YEAR, T), ["law", "events"]) == [
        ("constitution", 2),
        ("womens_rights", 2),
        ("civil_code", 1),
        ("anti_dv", 1),
        ("", 1),
    ]


FORMATS_ON_SITE = ("lecture", "performance", "materials", "consultation")


def test_events_by_channel_name_the_wechat_columns(records):
    frame = programmes.events_by_channel(records, YEAR, C)
    assert rows(frame, ["channel", "column_name", "events", "audience", "orgs"]) == [
        ("on_site", "", 5, 290, 2),
        ("wechat", "法驻幸福家", 2, 1300, 1),
        ("wechat", "帼彤公益说法", 1, 500, 1),
    ]
    assert list(frame["org_names"]) == [("代表小组", "县妇联"), ("县妇联",), ("县妇联",)]
    # the forms, in the vocabulary's order (the source's 文艺演出、发放资料、现场咨询)
    assert list(frame["formats"]) == [FORMATS_ON_SITE, ("online",), ("online",)]
    assert programmes.events_by_channel(records, YEAR, S).empty


def test_the_deputies_outreach_is_their_groups_events(records):
    frame = programmes.deputies_outreach(records, YEAR, C)
    assert frame.drop(columns="org_id").to_dict("records") == [
        {
            "org_name": "代表小组",
            "events": 3,
            "villages": 2,
            "towns": 1,
            "audience": 50,
            "laws": "constitution;womens_rights",
        }
    ]
    assert programmes.deputies_outreach(records, YEAR, V1)["events"].tolist() == [1]
    assert programmes.deputies_outreach(records, YEAR, S).empty


def test_stations_and_studios_with_their_host_body(records):
    frame = programmes.station_hosts(records, C)
    assert rows(frame, ["name", "kind", "level", "place_name", "host_name", "host_kind"]) == [
        ("调解室", "studio", "county", "乙街道", "县检察院", "agency"),
        ("甲镇维权站", "station", "town", "甲镇", "县妇联", "federation"),
    ]
    assert programmes.station_hosts(records, T)["name"].tolist() == ["甲镇维权站"]
    assert programmes.station_hosts(records, V1).empty


def test_visits_by_organisation_show_the_entrepreneurs_visits_to_mothers(records):
    frame = programmes.visits_by_org(records, YEAR, C)
    assert rows(frame, ["org_name", "org_kind", "visits", "households", "difficult_mothers"]) == [
        ("县妇联", "federation", 3, 2, 0),
        ("女企业家协会", "association", 3, 2, 1),
    ]
    assert rows(programmes.visits_by_org(records, YEAR, S), ["org_name", "visits"]) == []


def test_screening_by_agency_keeps_the_unrecorded_last(records):
    frame = programmes.screenings_by_org(records, YEAR, C)
    assert rows(frame, ["org_id", "org_name", "screened", "high_risk"]) == [
        ("police", "县公安局", 2, 1),
        ("", "", 1, 0),
    ]
    assert rows(programmes.screenings_by_org(records, ALL, C), ["org_id", "screened"]) == [
        ("police", 2),
        ("fed", 1),
        ("", 1),
    ]


def test_deliberation_brands_by_town(records):
    frame = programmes.deliberation_brands(records, YEAR, C)
    assert frame.drop(columns="town_code").to_dict("records") == [
        {
            "brand": "巾帼花",
            "town_name": "甲镇",
            "meetings": 3,
            "topics": 2,
            "topic_list": ("村规民约修订", "留守儿童关爱"),
            "participants": 22,
            "disputes_resolved": 3,  # an unrecorded count adds nothing
        },
        {
            "brand": "幸福港湾",
            "town_name": "乙街道",
            "meetings": 1,
            "topics": 1,
            "topic_list": ("妇女就业",),
            "participants": 8,
            "disputes_resolved": 3,
        },
    ]
    assert programmes.deliberation_brands(records, ALL, S)["meetings"].tolist() == [2]


def test_frames_without_the_version_7_columns_read_as_empty(records):
    from hehu.figures.metrics import Records

    frames = dict(records.frames)
    frames["event"] = frames["event"].drop(columns=["laws", "channel", "column_name"])
    frames["org"] = frames["org"].drop(columns="host_org_id")
    frames["screening"] = frames["screening"].drop(columns="org_id")
    old = Records(frames)
    assert rows(programmes.events_by_law(old, YEAR, C), ["law", "events"]) == [("", 8)]
    assert programmes.events_by_channel(old, YEAR, C)["channel"].tolist() == ["on_site"]
    assert programmes.station_hosts(old, C)["host_name"].tolist() == ["", ""]
    assert rows(programmes.screenings_by_org(old, YEAR, C), ["org_id", "screened"]) == [("", 3)]


# ----------------------------------------------------------------------------------- pages


def _page(build, url, role, monkeypatch, lang="zh", **params) -> str:
    monkeypatch.setenv("HEHU_ROLE", role)
    return html_of(build(url, params={"lang": lang, "period": "2022", **params}))


def test_the_cases_page_shows_laws_channels_deputies_hosts_and_brands(programme_store, monkeypatch):
    url = programme_store.url
    for role in ("staff", "deputy"):
        html = _page(build_cases_page, url, role, monkeypatch)
        assert table_text(html, "events-by-law") == [
            ["宣传的法律", "场次", "受众人次"],
            ["宪法", "2", "230"],
            ["妇女权益保障法", "2", "220"],
            ["民法典", "3", "1,340"],
            ["反家庭暴力法", "2", "540"],
            ["未填写", "1", "0"],
        ]
        assert table_text(html, "events-by-channel") == [
            ["渠道", "专栏", "场次", "受众人次", "形式", "开展单位"],
            ["现场", "", "5", "290", "普法宣讲、文艺演出、发放资料、现场咨询", "代表小组、县妇联"],
            ["微信公众号", "法驻幸福家", "2", "1,300", "线上推送", "县妇联"],
            ["微信公众号", "帼彤公益说法", "1", "500", "线上推送", "县妇联"],
        ]
        assert "人大代表田间地头普法" in html
        assert table_text(html, "deputies-outreach")[1] == [
            "代表小组", "3", "2", "1", "50", "宪法、妇女权益保障法",
        ]  # fmt: skip
        assert table_text(html, "station-hosts")[1:] == [
            ["调解室", "调解工作室", "县级", "乙街道", "县检察院"],
            ["甲镇维权站", "维权站", "镇级", "甲镇", "县妇联"],
        ]
        brands = [
            ["议事品牌", "镇街", "议事次数", "议题数", "化解纠纷", "议题"],
            ["巾帼花", "甲镇", "3", "2", "3", "村规民约修订、留守儿童关爱"],
            ["幸福港湾", "乙街道", "1", "1", "3", "妇女就业"],
        ]
        if role != "staff":  # topics are free text a clerk typed: staff only, like rows
            brands = [row[:-1] for row in brands]
        assert table_text(html, "deliberation-brands") == brands
    english = _page(build_cases_page, url, "staff", monkeypatch, lang="en")
    assert table_text(english, "events-by-channel")[2][:2] == ["WeChat account", "法驻幸福家"]
    assert "Deputies' own legal outreach in the villages" in unescape(english)


def test_the_visits_page_shows_organisations_and_agencies_as_the_role_may(
    programme_store, monkeypatch
):
    url = programme_store.url
    staff = _page(build_visits_page, url, "staff", monkeypatch)
    assert table_text(staff, "visits-by-org") == [
        ["走访组织", "类型", "走访次数", "走访户数", "其中困难母亲家庭"],
        ["县妇联", "妇联", "3", "2", "0"],
        ["女企业家协会", "协会", "3", "2", "1"],
    ]
    assert table_text(staff, "screenings-by-org") == [
        ["排查单位", "类型", "排查户数", "其中高风险"],
        ["县公安局", "部门", "2", "1"],
        ["未填写排查单位", "", "1", "0"],
    ]
    deputy = _page(build_visits_page, url, "deputy", monkeypatch)
    # Organisations and agencies by name, with no count: the rows add up to the place figures
    # (households visited, screened), and a count per organisation disclosed on its own gave a
    # hidden place figure back (12 screened on the card − 10 by one agency = 2, hidden as "<5").
    assert table_text(deputy, "visits-by-org") == [
        ["走访组织", "类型"],
        ["县妇联", "妇联"],
        ["女企业家协会", "协会"],
    ]
    assert table_text(deputy, "screenings-by-org") == [
        ["排查单位", "类型"],
        ["县公安局", "部门"],
        ["未填写排查单位", ""],
    ]
    assert "各组织的户数仅向妇联工作人员显示" in unescape(deputy)


def test_the_demo_keeps_its_figures_and_shows_every_programme(demo_url, monkeypatch):
    records = load_records(open_store(demo_url, create=False))
    report = Period.of(SOURCE_START, SOURCE_END)
    got = place_metrics(records, None, report)
    assert {k: got[k] for k in SOURCE_FIGURES} == SOURCE_FIGURES
    orgs = records["org"].set_index("org_id")
    assert orgs.loc["studio_xiaoyudi", "host_org_id"] == "agency_procuratorate"
    assert orgs.loc["studio_huajie", "host_org_id"] == "agency_justice"
    assert orgs.loc["studio_luyunhui", "host_org_id"] == "fed_county"
    channels = programmes.events_by_channel(records, report, records.root)
    assert set(channels["column_name"]) >= {"法驻幸福家", "帼彤公益说法"}
    assert programmes.deputies_outreach(records, report, records.root)["events"].sum() > 0
    visits = programmes.visits_by_org(records, ALL, records.root).set_index("org_id")
    assert visits.loc["assoc_entrepreneurs", "difficult_mothers"] > 0
    agencies = set(programmes.screenings_by_org(records, ALL, records.root)["org_id"])
    assert {"fed_county", "agency_police", "agency_justice"} <= agencies
    assert programmes.deliberation_brands(records, ALL, records.root)["disputes_resolved"].sum()

    for role in ("staff", "deputy"):
        cases = _page(build_cases_page, demo_url, role, monkeypatch)
        text = unescape(re.sub("<[^>]+>", " ", cases))
        for word in (
            "法驻幸福家",
            "帼彤公益说法",
            "巾帼花",
            "专业人大代表工作小组",
            "小雨滴工作室",
        ):
            assert word in text, (role, word)
        hosts = {row[0]: row[-1] for row in table_text(cases, "station-hosts")[1:]}
        assert hosts["小雨滴工作室"] == "涟水县人民检察院"
        visits_page = _page(build_visits_page, demo_url, role, monkeypatch)
        names = [row[0] for row in table_text(visits_page, "visits-by-org")[1:]]
        assert "女企业家协会" in names
        assert "涟水县公安局" in [row[0] for row in table_text(visits_page, "screenings-by-org")]
