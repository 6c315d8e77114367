"""A hand-made county for the disclosure attack (tests/test_disclosure_attack.py).

岚河县 has two towns and a subdistrict, seven villages and communities, four of them key villages.
Its records span 2021 and 2022 and are chosen so that counts from 1 to 4 show up at village,
town and county level, in both years, in the report period of its stored claims (2021-01-01 to
2022-11-10) and in the cells of the pages' breakdowns (by group, category, organisation, town):

- left-behind children and children in difficulty, paired, unpaired, with pairings that ended
  or lapsed (no contact for more than 90 days);
- must-visit households visited and not, follow-ups due and overdue, high-risk screenings with
  and without a follow-up visit;
- rights cases received, resolved, referred and still open in both years (北湖村: 9 cases in 2021
  and 4 in 2022; 北湖镇's two villages 4 and 4 in 2022);
- girls' protection courses (attendance is 人次, not people), legal-awareness events, one
  inspection with recommendations, targets and the claims of a work report.

Nothing here is written by hand row by row: each village's people and events come from the short
tables below, so the figures are easy to change. `write_county(url)` loads it into a new store.
"""

from __future__ import annotations

import datetime as dt

D = dt.date

COUNTY = "910000000000"
TOWN_S = "910000101000"  # 南集镇
TOWN_N = "910000102000"  # 北湖镇
SUB_E = "910000001000"  # 东城街道
V_NANJI = "910000101001"  # 南集村 (key)
V_LIUZHUANG = "910000101002"  # 柳庄村 (key)
V_HEKOU = "910000101003"  # 河口村
V_BEIHU = "910000102001"  # 北湖村 (key)
V_SHIQIAO = "910000102002"  # 石桥村
C_DONGMEN = "910000001001"  # 东门社区
C_XIMEN = "910000001002"  # 西门社区 (key)

REPORT_START, REPORT_END = "2021-01-01", "2022-11-10"
REPORT_PERIOD = f"{REPORT_START}:{REPORT_END}"
YEARS = (2021, 2022)


def _place(code, name, short, level, parent, lat, lon, key=False, children=None, lbc=None):
    return {
        "code": code,
        "name": name,
        "short_name": short,
        "level": level,
        "parent_code": parent,
        "key_village": key,
        "lat": lat,
        "lon": lon,
        "coord_quality": "approximate" if level in ("village", "community") else "schematic",
        "children": children,
        "left_behind_children": lbc,
    }


PLACES = [
    {**_place(COUNTY, "岚河县", "岚河", "county", None, 33.5, 119.5), "coord_quality": "sourced"},
    _place(TOWN_S, "南集镇", "南集", "town", COUNTY, 33.45, 119.45),
    _place(TOWN_N, "北湖镇", "北湖", "town", COUNTY, 33.6, 119.5),
    _place(SUB_E, "东城街道", "东城", "subdistrict", COUNTY, 33.5, 119.6),
    _place(V_NANJI, "南集村", "南集村", "village", TOWN_S, 33.44, 119.43, True, 240, 12),
    _place(V_LIUZHUANG, "柳庄村", "柳庄村", "village", TOWN_S, 33.43, 119.47, True, 90, 4),
    _place(V_HEKOU, "河口村", "河口村", "village", TOWN_S, 33.47, 119.41, False, 60, None),
    _place(V_BEIHU, "北湖村", "北湖村", "village", TOWN_N, 33.61, 119.49, True, 150, 8),
    _place(V_SHIQIAO, "石桥村", "石桥村", "village", TOWN_N, 33.62, 119.53, False, None, None),
    _place(C_DONGMEN, "东门社区", "东门", "community", SUB_E, 33.51, 119.61),
    _place(C_XIMEN, "西门社区", "西门", "community", SUB_E, 33.49, 119.62, True, 300, 9),
]
NAMES = {p["code"]: p["name"] for p in PLACES}

ORGS = [
    {"org_id": "fed", "name": "县妇联", "kind": "federation", "level": "county", "place_code": COUNTY},
    {"org_id": "assoc", "name": "县关爱协会", "kind": "association", "level": "county", "place_code": COUNTY},
    {"org_id": "school", "name": "南集中心小学", "kind": "school", "level": "town", "place_code": TOWN_S},
    {"org_id": "st_s", "name": "南集镇维权站", "kind": "station", "level": "town", "place_code": TOWN_S},
    {"org_id": "st_n", "name": "北湖镇维权站", "kind": "station", "level": "town", "place_code": TOWN_N},
    {"org_id": "studio_e", "name": "东城调解工作室", "kind": "studio", "level": "town", "place_code": SUB_E},
]  # fmt: skip

# --------------------------------------------------------------------------- children

# How a child's pairing runs (dates chosen against the periods' last days 2021-12-31,
# 2022-11-10, 2022-12-31 and today):
#   A  paired from 2021-03, contacted every two months to 2022-12 (active throughout)
#   L  paired from 2021-04, last contact 2021-06 (lapsed from the end of 2021)
#   E  paired 2021-02 to 2022-04-30 (active at the end of 2021, unpaired after)
#   N  paired from 2022-06, contacted monthly (unpaired in 2021, active in 2022)
#   U  never paired
#   D  like A, with a second pairing (help with schooling) from 2021-09: two pairings, one child
CHILDREN = {
    # place: [(category, pairing kinds...)]
    V_NANJI: [("left_behind_child", "AAAADEENUUL"), ("child_in_difficulty", "AU")],
    V_LIUZHUANG: [("left_behind_child", "AEU")],
    V_HEKOU: [("left_behind_child", "U"), ("child_in_difficulty", "AA")],
    V_BEIHU: [("left_behind_child", "AAALLN"), ("child_in_difficulty", "U")],
    V_SHIQIAO: [("left_behind_child", "AAUU")],
    C_DONGMEN: [("child_in_difficulty", "AAUU"), ("left_behind_child", "A")],
    C_XIMEN: [("left_behind_child", "AAAAAEUN")],
}
PAIRING_ORGS = ["assoc", "fed", "school"]
SUPPORT = ["companionship", "study", "material", "companionship", "psychological"]


def _children():
    persons, households, pairings, contacts = [], [], [], []
    n = 0
    for place, groups in CHILDREN.items():
        for category, kinds in groups:
            for kind in kinds:
                n += 1
                pid, hid = f"c{n:03d}", f"hc{n:03d}"
                households.append(
                    {"household_id": hid, "place_code": place, "categories": category}
                )
                persons.append(
                    {
                        "person_id": pid,
                        "household_id": hid,
                        "place_code": place,
                        "sex": "F" if n % 2 else "M",
                        "birth_year": 2010 + n % 6,
                        "categories": category,
                    }
                )
                if kind == "U":
                    continue
                if kind == "D":
                    kind = "A"
                    pairings.append(
                        {
                            "pairing_id": f"r{n:03d}b",
                            "org_id": "school",
                            "person_id": pid,
                            "support_type": "study",
                            "start_date": D(2021, 9, 1),
                            "end_date": None,
                        }
                    )
                    contacts += [
                        {"pairing_id": f"r{n:03d}b", "date": D(y, m, 3), "mode": "activity"}
                        for y, m in ((2021, 10), (2022, 3), (2022, 10))
                    ]
                rid = f"r{n:03d}"
                org = PAIRING_ORGS[n % 3]
                support = SUPPORT[n % 5]
                start, end, days = {
                    "A": (D(2021, 3, 1), None, [D(2021, m, 15) for m in (5, 7, 9, 11)]
                          + [D(2022, m, 15) for m in (1, 3, 5, 7, 9, 11)] + [D(2022, 12, 20)]),
                    "L": (D(2021, 4, 1), None, [D(2021, 6, 10)]),
                    "E": (D(2021, 2, 1), D(2022, 4, 30), [D(2021, m, 5) for m in (4, 8, 12)]
                          + [D(2022, 3, 5)]),
                    "N": (D(2022, 6, 1), None, [D(2022, m, 8) for m in (7, 8, 9, 10, 11, 12)]),
                }[kind]  # fmt: skip
                pairings.append(
                    {
                        "pairing_id": rid,
                        "org_id": org,
                        "person_id": pid,
                        "support_type": support,
                        "start_date": start,
                        "end_date": end,
                    }
                )
                contacts += [{"pairing_id": rid, "date": d, "mode": "phone"} for d in days]
    return persons, households, pairings, contacts


# --------------------------------------------------------------------------- households

# (place, categories, how many, visits): each visit spec is (date, follow-up due or None);
# screenings: (date, level, follow-up due or None)
HOUSEHOLDS = [
    # 南集村: many families in difficulty, few visited in 2022
    (V_NANJI, "single_parent;extreme_poverty", 9, [(D(2021, 5, 10), None)]),
    (V_NANJI, "disability", 3, [(D(2022, 4, 2), D(2022, 6, 1)), (D(2021, 9, 9), None)]),
    (V_NANJI, "grievance", 2, [(D(2022, 8, 1), None)]),
    (V_NANJI, "dv_risk;family_dispute", 1, []),
    # 柳庄村: a few households of every kind
    (V_LIUZHUANG, "empty_nest_elder", 3, [(D(2022, 3, 3), D(2022, 12, 20))]),
    (V_LIUZHUANG, "left_behind_woman", 1, [(D(2021, 3, 3), D(2021, 5, 1))]),
    (V_LIUZHUANG, "entrepreneur_in_difficulty", 2, []),
    # 河口村
    (V_HEKOU, "serious_illness", 6, [(D(2021, 6, 6), None), (D(2022, 6, 6), D(2022, 9, 1))]),
    (V_HEKOU, "grievance", 1, [(D(2022, 10, 1), D(2022, 12, 28))]),
    # 北湖村
    (V_BEIHU, "difficult_mother", 4, [(D(2022, 2, 2), D(2022, 3, 1))]),
    (V_BEIHU, "family_dispute", 5, [(D(2021, 7, 7), None), (D(2022, 7, 7), None)]),
    (V_BEIHU, "", 2, [(D(2022, 1, 5), None)]),
    # 石桥村
    (V_SHIQIAO, "grievance;dv_risk", 2, [(D(2021, 11, 11), D(2022, 1, 15))]),
    (V_SHIQIAO, "empty_nest_elder", 4, []),
    # 东门社区
    (C_DONGMEN, "left_behind_woman", 7, [(D(2022, 9, 9), None)]),
    (C_DONGMEN, "extreme_poverty", 1, [(D(2021, 12, 1), D(2022, 2, 1))]),
    # 西门社区
    (C_XIMEN, "grievance", 3, [(D(2021, 4, 4), None), (D(2022, 4, 4), D(2022, 11, 30))]),
    (C_XIMEN, "entrepreneur_in_difficulty", 5, [(D(2022, 5, 5), None)]),
]
# (place, categories of the screened households, how many, date, level, visited after?);
# 南集村's families in difficulty are screened in both years, and 北湖村's dispute households
# screened late in 2021 are visited early in 2022 (not followed up in 2021, followed up since)
SCREENINGS = [
    (V_NANJI, "dv_risk;family_dispute", 1, D(2022, 9, 1), "high", False),
    (V_NANJI, "single_parent;extreme_poverty", 3, D(2021, 10, 1), "high", False),
    (V_NANJI, "single_parent;extreme_poverty", 2, D(2022, 3, 1), "low", False),
    (V_BEIHU, "family_dispute", 2, D(2021, 12, 20), "high", True),
    (V_LIUZHUANG, "empty_nest_elder", 2, D(2022, 2, 1), "high", True),
    (V_BEIHU, "family_dispute", 5, D(2022, 5, 20), "high", False),
    (V_BEIHU, "difficult_mother", 2, D(2021, 8, 1), "low", False),
    (V_SHIQIAO, "grievance;dv_risk", 2, D(2022, 6, 1), "high", False),
    (C_XIMEN, "grievance", 3, D(2021, 3, 1), "high", True),
]


def _households():
    households, visits, screenings = [], [], []
    by_spec = {}
    n = 0
    for place, categories, count, visit_specs in HOUSEHOLDS:
        ids = []
        for _ in range(count):
            n += 1
            hid = f"h{n:03d}"
            ids.append(hid)
            households.append({"household_id": hid, "place_code": place, "categories": categories})
        by_spec[(place, categories)] = ids
        # the j-th visit spec goes to the first (count - j) households, so later visits reach
        # fewer of them: visited counts differ between the years
        for j, (day, due) in enumerate(visit_specs):
            for k, hid in enumerate(ids[: max(1, count - 2 * j - (count // 2 if j else 0))]):
                visits.append(
                    {
                        "visit_id": f"v{n:03d}-{j}-{k}",
                        "date": day,
                        "household_id": hid,
                        "org_id": "fed",
                        "reasons": categories.split(";")[0] if categories else "",
                        "follow_up_due": due,
                    }
                )
    m = 0
    for place, categories, count, day, level, followed in SCREENINGS:
        for hid in by_spec[(place, categories)][:count]:
            m += 1
            screenings.append(
                {
                    "screening_id": f"s{m:03d}",
                    "date": day,
                    "household_id": hid,
                    "risk_categories": categories,
                    "risk_level": level,
                    "follow_up_due": day + dt.timedelta(days=30),
                }
            )
            if followed:
                visits.append(
                    {
                        "visit_id": f"vs{m:03d}",
                        "date": day + dt.timedelta(days=21),
                        "household_id": hid,
                        "org_id": "fed",
                        "reasons": "",
                        "follow_up_due": None,
                    }
                )
    return households, visits, screenings


# --------------------------------------------------------------------------- cases

# (place, station, year, category, resolved, referred, open)
CASES = [
    (V_BEIHU, "st_n", 2021, "family_dispute", 5, 1, 0),
    (V_BEIHU, "st_n", 2021, "domestic_violence", 2, 0, 1),
    (V_BEIHU, "st_n", 2022, "family_dispute", 2, 0, 0),
    (V_BEIHU, "st_n", 2022, "property", 1, 0, 1),
    (V_SHIQIAO, "st_n", 2022, "family_dispute", 3, 0, 0),
    (V_SHIQIAO, "studio_e", 2022, "employment", 0, 1, 0),
    (V_NANJI, "st_s", 2021, "family_dispute", 4, 0, 0),
    (V_NANJI, "st_s", 2021, "child_protection", 1, 1, 0),
    (V_NANJI, "st_s", 2022, "family_dispute", 6, 0, 0),
    (V_NANJI, "st_s", 2022, "domestic_violence", 0, 0, 1),
    (V_LIUZHUANG, "st_s", 2022, "property", 2, 0, 0),
    (TOWN_S, "st_s", 2022, "other", 1, 0, 0),
    (C_DONGMEN, "studio_e", 2021, "family_dispute", 3, 0, 0),
    (C_DONGMEN, "studio_e", 2022, "family_dispute", 4, 1, 2),
    (C_XIMEN, "studio_e", 2022, "domestic_violence", 2, 0, 0),
]


def _cases():
    cases = []
    n = 0
    for place, org, year, category, resolved, referred, still_open in CASES:
        for status, count in (("resolved", resolved), ("referred", referred), ("open", still_open)):
            for _ in range(count):
                n += 1
                # spread over the year; some after the report period's end (2022-11-10)
                received = D(year, 1 + (n * 5) % 12, 1 + (n * 7) % 27)
                cases.append(
                    {
                        "case_id": f"case{n:03d}",
                        "received_date": received,
                        "org_id": org,
                        "place_code": place,
                        "category": category,
                        "status": status,
                        # closed 20 to 59 days later: some cases of one year close in the next
                        "closed_date": None
                        if status == "open"
                        else received + dt.timedelta(days=20 + n % 40),
                    }
                )
    return cases


# --------------------------------------------------------------------------- courses, events

# (place, org, date, attendance, girls)
COURSES = [
    (V_NANJI, "fed", D(2021, 3, 10), 48, 25),
    (V_NANJI, "school", D(2021, 9, 10), 52, 24),
    (V_NANJI, "fed", D(2022, 3, 12), 45, 20),
    (V_NANJI, "school", D(2022, 10, 20), 60, 31),
    (V_NANJI, "school", D(2022, 11, 25), 40, 22),
    (V_LIUZHUANG, "fed", D(2021, 6, 1), 30, 14),
    (V_BEIHU, "assoc", D(2021, 5, 5), 35, 17),
    (V_BEIHU, "assoc", D(2021, 11, 5), 28, 13),
    (C_XIMEN, "fed", D(2022, 6, 1), 80, 41),
    (C_XIMEN, "assoc", D(2022, 9, 1), 3, 2),
    (C_DONGMEN, "fed", D(2021, 10, 10), 26, 12),
    (V_HEKOU, "school", D(2022, 4, 4), 33, 15),
]
# (place, org, date, campaign, format, audience)
EVENTS = [
    (TOWN_S, "fed", D(2021, 3, 6), "womens_rights_week", "performance", 300),
    (V_NANJI, "fed", D(2021, 5, 15), "family_day", "lecture", 60),
    (V_BEIHU, "fed", D(2021, 6, 26), "anti_drug_day", "materials", 120),
    (SUB_E, "fed", D(2021, 7, 1), "shouhu_huakai", "lecture", 45),
    (TOWN_N, "fed", D(2022, 3, 8), "womens_rights_week", "consultation", 80),
    (V_LIUZHUANG, "fed", D(2022, 5, 15), "family_day", "lecture", 40),
    (C_XIMEN, "fed", D(2022, 6, 26), "anti_drug_day", "performance", 200),
    (V_NANJI, "fed", D(2022, 8, 8), "shouhu_huakai", "lecture", None),
    (V_SHIQIAO, "fed", D(2022, 9, 9), "other", "online", 500),
]


def records() -> dict[str, list[dict]]:
    """Every record of the county, keyed by kind (as `Store.write` takes them)."""
    persons, child_households, pairings, contacts = _children()
    households, visits, screenings = _households()
    return {
        "place": PLACES,
        "org": ORGS,
        "household": child_households + households,
        "person": persons,
        "pairing": pairings,
        "contact": contacts,
        "course": [
            {
                "course_id": f"k{i:02d}",
                "date": day,
                "place_code": place,
                "venue": "村小",
                "org_id": org,
                "topic": "女童自护",
                "attendance": attendance,
                "girls": girls,
            }
            for i, (place, org, day, attendance, girls) in enumerate(COURSES, start=1)
        ],
        "visit": visits,
        "screening": screenings,
        "case": _cases(),
        "event": [
            {
                "event_id": f"e{i:02d}",
                "date": day,
                "place_code": place,
                "org_id": org,
                "campaign": campaign,
                "format": fmt,
                "audience": audience,
            }
            for i, (place, org, day, campaign, fmt, audience) in enumerate(EVENTS, start=1)
        ],
        "target": [
            {
                "metric": "must_visit_coverage",
                "place_code": COUNTY,
                "year": 2022,
                "value": 0.9,
                "source": "岚河县2022年妇儿工作要点",
            },
            {
                "metric": "course_sessions",
                "place_code": COUNTY,
                "year": 2022,
                "value": 12,
                "source": "岚河县2022年妇儿工作要点",
            },
            {
                "metric": "left_behind_children_paired",
                "place_code": TOWN_S,
                "year": 2022,
                "value": 20,
                "source": "南集镇责任书",
            },
        ],  # fmt: skip
        "claim": [
            {
                "claim_id": f"q{i}",
                "document": "岚河县妇儿工作报告（2022-11）",
                "metric": metric,
                "place_code": place,
                "period_start": D(2021, 1, 1),
                "period_end": D(2022, 11, 10),
                "value": value,
                "tolerance": 0,
            }
            for i, (metric, place, value) in enumerate(
                [
                    ("cases_received", COUNTY, 60),
                    ("left_behind_children_paired", COUNTY, 30),
                    ("households_visited", TOWN_N, 12),
                    ("high_risk_without_follow_up", COUNTY, 8),
                    ("course_sessions", COUNTY, 11),
                ],
                start=1,
            )
        ],
        "inspection": [
            {
                "inspection_id": "i1",
                "date": D(2022, 5, 18),
                "committee": "县人大教科文卫委",
                "deputies": "",
                "places": f"{TOWN_S};{V_BEIHU}",
                "orgs": "st_s;st_n",
                "summary": "视察南集镇维权站和北湖村留守儿童关爱工作",
            }
        ],
        "recommendation": [
            {
                "rec_id": "rec1",
                "inspection_id": "i1",
                "place_code": TOWN_S,
                "text": "对未结对的留守儿童逐一落实结对",
                "responsible_org": "fed",
                "due_date": D(2022, 9, 30),
                "status": "open",
                "response": "",
            },
            {
                "rec_id": "rec2",
                "inspection_id": "i1",
                "place_code": V_BEIHU,
                "text": "高风险家庭排查后一个月内回访",
                "responsible_org": "st_n",
                "due_date": D(2023, 3, 1),
                "status": "in_progress",
                "response": "已排出回访计划",
            },
            {
                "rec_id": "rec3",
                "inspection_id": "i1",
                "place_code": COUNTY,
                "text": "重点帮促村每年至少开课一次",
                "responsible_org": "fed",
                "due_date": D(2022, 8, 1),
                "status": "done",
                "response": "已完成",
            },
        ],  # fmt: skip
        "finding": [
            {
                "finding_id": "f1",
                "inspection_id": "i1",
                "place_code": V_BEIHU,
                "text": "部分结对长期没有联系记录",
            },
        ],  # fmt: skip
    }


def claims_csv() -> str:
    """The stored claims as a claims file a deputy could upload on the figure-check page."""
    head = "文件,指标,地点,起始日期,截止日期,数值,容差,原文"
    rows = [
        f"{c['document']},{c['metric']},{c['place_code']},{c['period_start']},{c['period_end']},"
        f"{c['value']:g},{c['tolerance']:g},"
        for c in records()["claim"]
    ]
    return "\n".join([head, *rows]) + "\n"


def write_county(url: str) -> None:
    """Create a store at `url` holding the county (the store's write API, in one place)."""
    try:  # the only internal API this module uses; older layouts first, whichever is there
        from hehu.store import open_store
    except ImportError:
        from hehu.records.store import open_store

    store = open_store(url)
    store.write(records())
    store.engine.dispose()
