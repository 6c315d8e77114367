"""Seeded demo data: synthetic records that reproduce every figure of the 2022 source report.

Same seed, same database. The named organisations, campaigns, deliberation brands and the
2022-05-18 inspection come from the source; people, households, dates and the choice of the 38 key
villages are synthetic, and the store is flagged `demo` so every page shows a 示例数据 banner.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from hehu.i18n import audit_what
from hehu.records import vocab
from hehu.records.demo_oversight import oversight_records
from hehu.records.demo_programmes import STUDIO_HOSTS, programme_details
from hehu.records.gazetteer import uncertain_points_inside
from hehu.records.store import Store

DEFAULT_SEED = 20221111
SOURCE_START = dt.date(2021, 1, 1)
SOURCE_END = dt.date(2022, 11, 10)  # the day before the report was published
DEMO_END = dt.date(2022, 12, 31)

# The figures of the source report the demo must reproduce exactly.
SOURCE_FIGURES = {
    "towns": 12,
    "subdistricts": 4,
    "key_villages": 38,
    "households_visited": 45,
    "left_behind_children_paired": 80,
    "cases_received": 90,
    "legal_lectures": 70,
}
YEARLY_COURSE_SESSIONS = 200
YEARLY_COURSE_ATTENDANCE = 18_000

COUNTY_ORGS = [
    # org_id, name, kind, level; a host body comes before the studios it runs (foreign key)
    ("fed_county", "涟水县妇联", "federation", "county"),
    ("agency_police", "涟水县公安局", "agency", "county"),
    ("agency_procuratorate", "涟水县人民检察院", "agency", "county"),
    ("agency_court", "涟水县人民法院", "agency", "county"),
    ("agency_justice", "涟水县司法局", "agency", "county"),
    ("studio_shuiyanping", "水燕平维权快递工作室", "studio", "county"),
    ("studio_luyunhui", "陆云惠婚姻家庭纠纷调解室", "studio", "county"),
    ("studio_zhangshujin", "张述金家事调解工作室", "studio", "county"),
    ("studio_huajie", "华姐家事调解工作室", "studio", "county"),
    ("studio_xiaoyudi", "小雨滴工作室", "studio", "county"),
    ("assoc_guotong", "帼彤之家维权协会", "association", "county"),
    ("assoc_entrepreneurs", "女企业家协会", "association", "county"),
    ("assoc_volunteers", "巾帼志愿者协会", "association", "county"),
    ("agency_education", "涟水县教育体育局", "agency", "county"),
    # the deputies' own outreach (田间地头普法) is recorded as this group's events
    ("deputies_group", "专业人大代表工作小组", "deputies", "county"),
    # a unit responsible (承办单位) of recommendations, like the bureaus above
    ("agency_civil_affairs", "涟水县民政局", "agency", "county"),
]
DELIBERATION_BRANDS = ["巾帼花", "幸福港湾", "心语桥", "红姐"]
# The protection measures and referrals draw from a generator of their own (seed + this), so
# that adding them left every other demo record, and every figure of the source, as it was.
MEASURE_SEED_OFFSET = 7_007
DEMO_NOTE = "示例数据：人员、家庭、日期和 38 个重点帮促村均为合成数据，仅数量与 2022 年报道一致"


class _Dates:
    """Random dates from a seeded generator."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    def between(self, start: dt.date, end: dt.date) -> dt.date:
        return start + dt.timedelta(days=self.rng.randint(0, (end - start).days))


def _exact_split(rng: random.Random, total: int, parts: int, low: int, high: int) -> list[int]:
    """`parts` integers in [low, high] summing exactly to `total`."""
    values = [rng.randint(low, high) for _ in range(parts)]
    while sum(values) != total:
        i = rng.randrange(parts)
        if sum(values) < total and values[i] < high:
            values[i] += 1
        elif sum(values) > total and values[i] > low:
            values[i] -= 1
    return values


def build_demo(places: pd.DataFrame, seed: int = DEFAULT_SEED) -> dict[str, list[dict]]:
    """Every demo record, by kind, for a loaded gazetteer (deterministic for a seed)."""
    rng = random.Random(seed)
    dates = _Dates(rng)
    places = places.sort_values("code").reset_index(drop=True)
    codes = set(places["code"])
    # the top place: its parent is outside the gazetteer (or missing)
    county = places.loc[~places["parent_code"].isin(codes), "code"].iloc[0]
    townships = places[places["level"].isin(vocab.TOWNSHIP_LEVELS)]
    township_rows = {r.code: r for r in townships.itertuples()}
    villages = places[places["level"].isin(vocab.VILLAGE_LEVELS)]
    rural = villages[villages["level"] == "village"]
    seat = (
        next(c for c in township_rows if township_rows[c].name.startswith("涟城"))
        if any(r.name.startswith("涟城") for r in township_rows.values())
        else next(iter(township_rows))
    )

    # -- places: 38 key villages (one in every township first), approximate positions, children
    key_villages: list[str] = []
    for code in sorted(township_rows):
        candidates = sorted(rural.loc[rural["parent_code"] == code, "code"])
        if candidates:
            key_villages.append(rng.choice(candidates))
    rest = sorted(set(rural["code"]) - set(key_villages))
    key_villages += rng.sample(rest, SOURCE_FIGURES["key_villages"] - len(key_villages))
    key_villages.sort()
    key_set = set(key_villages)

    place_rows = []
    for r in places.itertuples():
        row = {
            "code": r.code,
            "name": r.name,
            "short_name": r.short_name,
            "level": r.level,
            "parent_code": r.parent_code if r.parent_code in codes else None,
            "key_village": r.code in key_set,
            "lat": None if pd.isna(r.lat) else r.lat,
            "lon": None if pd.isna(r.lon) else r.lon,
            "coord_quality": r.coord_quality,
            "coord_basis": None if pd.isna(r.coord_basis) else r.coord_basis,
        }
        if r.level in vocab.VILLAGE_LEVELS:
            town = township_rows[r.parent_code]
            # Demo positions: scattered within ~4 km of the township point, and labelled so.
            row["lat"] = round(town.lat + rng.uniform(-0.035, 0.035), 5)
            row["lon"] = round(town.lon + rng.uniform(-0.04, 0.04), 5)
            row["coord_quality"] = "approximate"
            row["coord_basis"] = "示例：在所属镇街位置附近随机放置，非实测"
            children = rng.randint(120, 520) if r.level == "village" else rng.randint(300, 900)
            row["children"] = children
            share = rng.uniform(0.12, 0.3) if r.level == "village" else rng.uniform(0.03, 0.08)
            row["left_behind_children"] = int(children * share)
        place_rows.append(row)
    # A village scattered near a township on the county's edge may land across the border.
    place_rows = uncertain_points_inside(place_rows)

    # -- organisations
    orgs = [
        {
            "org_id": oid,
            "name": name,
            "kind": kind,
            "level": level,
            "place_code": county,
            "host_org_id": STUDIO_HOSTS.get(oid),
        }
        for oid, name, kind, level in COUNTY_ORGS
    ]
    for org in orgs:
        if org["kind"] == "studio":
            org["place_code"] = seat  # the county studios sit in the county seat
    town_fed: dict[str, str] = {}
    for code, town in sorted(township_rows.items()):
        town_fed[code] = f"fed_{code}"
        orgs.append(
            {
                "org_id": f"fed_{code}",
                "name": f"{town.name}妇联",
                "kind": "federation",
                "level": "town",
                "place_code": code,
                "host_org_id": None,
            }
        )
        orgs.append(
            {
                "org_id": f"station_{code}",
                "name": f"{town.name}妇女儿童维权站",
                "kind": "station",
                "level": "town",
                "place_code": code,
                "host_org_id": f"fed_{code}",
            }
        )
    vname = dict(zip(places["code"], places["name"], strict=True))
    parent_of = dict(zip(places["code"], places["parent_code"], strict=True))
    for code in key_villages:
        orgs.append(
            {
                "org_id": f"station_{code}",
                "name": f"{vname[code]}妇女儿童之家",
                "kind": "station",
                "level": "village",
                "place_code": code,
                "host_org_id": town_fed.get(parent_of[code]),
            }
        )
    # Each town's government (a subdistrict's office), a unit responsible (承办单位) a
    # recommendation can be assigned to.
    for code, town in sorted(township_rows.items()):
        office = "办事处" if town.level == "subdistrict" else "人民政府"
        orgs.append(
            {
                "org_id": f"gov_{code}",
                "name": f"{town.name}{office}",
                "kind": "agency",
                "level": "town",
                "place_code": code,
                "host_org_id": None,
            }
        )
    station_ids = [o["org_id"] for o in orgs if o["kind"] in vocab.STATION_KINDS]

    # -- households and people (pseudonymous ids only)
    village_codes = sorted(villages["code"])
    category_keys = list(vocab.CATEGORIES)
    weights = [14, 8, 6, 7, 5, 5, 4, 3, 5, 6, 6, 2, 3]
    households, persons = [], []
    lb_children: list[str] = []
    difficulty_children: list[str] = []
    for code in village_codes:
        n = rng.randint(1, 4) + (3 if code in key_set else 0)
        for _ in range(n):
            hid = f"D-HH-{len(households) + 1:05d}"
            if rng.random() < 0.08:
                cats: set[str] = set()
            else:
                cats = set(rng.choices(category_keys, weights=weights, k=rng.choice([1, 1, 2])))
            households.append(
                {"household_id": hid, "place_code": code, "categories": vocab.join_keys(cats)}
            )
            for _child in range(
                rng.randint(1, 2) if cats & {"left_behind_child", "child_in_difficulty"} else 0
            ):
                pid = f"D-P-{len(persons) + 1:05d}"
                ccat = "left_behind_child" if "left_behind_child" in cats else "child_in_difficulty"
                persons.append(
                    {
                        "person_id": pid,
                        "household_id": hid,
                        "place_code": code,
                        "sex": rng.choice("FM"),
                        "birth_year": rng.randint(2006, 2018),
                        "categories": ccat,
                    }
                )
                (lb_children if ccat == "left_behind_child" else difficulty_children).append(pid)
            if cats & {"difficult_mother", "left_behind_woman", "entrepreneur_in_difficulty"}:
                persons.append(
                    {
                        "person_id": f"D-P-{len(persons) + 1:05d}",
                        "household_id": hid,
                        "place_code": code,
                        "sex": "F",
                        "birth_year": rng.randint(1965, 1998),
                        "categories": vocab.join_keys(
                            cats
                            & {
                                "difficult_mother",
                                "left_behind_woman",
                                "entrepreneur_in_difficulty",
                            }
                        ),
                    }
                )
    hh_place = {h["household_id"]: h["place_code"] for h in households}
    hh_cats = {h["household_id"]: vocab.split_keys(h["categories"]) for h in households}

    # -- pairings: exactly 80 left-behind children paired with 帼彤之家 within the source period
    pairings, contacts = [], []

    def add_pairing(
        org_id: str,
        pid: str,
        support: str,
        start: dt.date,
        end: dt.date | None,
        silent_after: dt.date | None,
    ):
        pairing_id = f"D-PR-{len(pairings) + 1:04d}"
        pairings.append(
            {
                "pairing_id": pairing_id,
                "org_id": org_id,
                "person_id": pid,
                "support_type": support,
                "start_date": start,
                "end_date": end,
            }
        )
        day, stop = start, min(end or DEMO_END, silent_after or DEMO_END)
        while True:
            day += dt.timedelta(days=rng.randint(20, 70))
            if day > stop:
                break
            contacts.append(
                {
                    "pairing_id": pairing_id,
                    "date": day,
                    "mode": rng.choice(list(vocab.CONTACT_MODES)),
                }
            )

    paired = rng.sample(sorted(lb_children), SOURCE_FIGURES["left_behind_children_paired"])
    for i, pid in enumerate(paired):
        start = dates.between(SOURCE_START - dt.timedelta(days=200), dt.date(2022, 9, 30))
        # some pairings end, but never before the source period begins (they still count in it)
        earliest_end = min(max(start + dt.timedelta(days=120), SOURCE_START), DEMO_END)
        end = dates.between(earliest_end, DEMO_END) if i % 9 == 0 else None
        silent = dates.between(dt.date(2022, 3, 1), dt.date(2022, 9, 1)) if i % 5 == 0 else None
        add_pairing(
            "assoc_guotong",
            pid,
            rng.choice(["companionship", "companionship", "psychological", "material"]),
            start,
            end,
            silent,
        )
    later = sorted(set(lb_children) - set(paired))
    for pid in rng.sample(later, min(12, len(later))):
        add_pairing(
            "assoc_guotong",
            pid,
            "companionship",
            dates.between(dt.date(2022, 11, 20), dt.date(2022, 12, 20)),
            None,
            None,
        )
    for pid in rng.sample(sorted(difficulty_children), min(30, len(difficulty_children))):
        add_pairing(
            "assoc_volunteers",
            pid,
            "study",
            dates.between(dt.date(2021, 2, 1), dt.date(2022, 9, 1)),
            None,
            None,
        )

    # -- visits: 45 must-visit households in the source period, one in each key village first
    by_place: dict[str, list[str]] = {}
    for h in households:
        if h["categories"]:
            by_place.setdefault(h["place_code"], []).append(h["household_id"])
    source_visited = [rng.choice(sorted(by_place[code])) for code in key_villages]
    others = sorted(h for code, hs in by_place.items() if code not in key_set for h in hs)
    source_visited += rng.sample(others, SOURCE_FIGURES["households_visited"] - len(source_visited))
    visits = []

    def add_visit(hid: str, day: dt.date, follow_up: bool):
        cats = hh_cats[hid]
        org = (
            "assoc_entrepreneurs"
            if "difficult_mother" in cats and rng.random() < 0.5
            else rng.choice(["fed_county", town_fed[parent_of[hh_place[hid]]]])
        )
        visits.append(
            {
                "visit_id": f"D-V-{len(visits) + 1:05d}",
                "date": day,
                "household_id": hid,
                "org_id": org,
                "reasons": vocab.join_keys(c for c in cats if c in vocab.MUST_VISIT_CATEGORIES),
                "follow_up_due": day + dt.timedelta(days=rng.choice([30, 60, 90]))
                if follow_up
                else None,
            }
        )

    first_visit: dict[str, dt.date] = {}  # households visited in the source period
    for hid in source_visited:
        day = dates.between(dt.date(2021, 3, 1), dt.date(2022, 10, 31))
        first_visit[hid] = day
        add_visit(hid, day, follow_up=rng.random() < 0.5)
        if rng.random() < 0.4:
            add_visit(hid, dates.between(day, SOURCE_END), follow_up=False)
    # After the report: the routine visits the inspection recommended begin.
    after = sorted(set(h for hs in by_place.values() for h in hs) - set(source_visited))
    late_visited = rng.sample(after, 60)
    for hid in late_visited:
        add_visit(hid, dates.between(dt.date(2022, 11, 11), DEMO_END), follow_up=rng.random() < 0.6)

    # -- risk screening in 2022; high-risk households followed up, later or not at all
    screenings = []
    screened = rng.sample(sorted(h["household_id"] for h in households), 420)
    risk_keys = [
        "single_parent",
        "extreme_poverty",
        "disability",
        "serious_illness",
        "dv_risk",
        "family_dispute",
    ]
    high_set = set(rng.sample(source_visited, 10)) | set(rng.sample(late_visited, 14))
    unfollowed = [h for h in screened if h not in set(source_visited) | set(late_visited)][:6]
    high_set |= set(unfollowed)
    for hid in sorted(set(screened) | high_set):
        level = "high" if hid in high_set else rng.choices(["low", "medium"], weights=[76, 24])[0]
        day = dates.between(dt.date(2022, 3, 1), dt.date(2022, 9, 30))
        if hid in high_set and hid in first_visit:
            # followed up by a visit to a household already among the 45 of the source period
            add_visit(hid, day + dt.timedelta(days=rng.randint(3, 20)), follow_up=False)
        risks = [c for c in hh_cats[hid] if c in risk_keys] or (
            [rng.choice(risk_keys)] if level != "low" else []
        )
        screenings.append(
            {
                "screening_id": f"D-S-{len(screenings) + 1:05d}",
                "date": day,
                "household_id": hid,
                "risk_categories": vocab.join_keys(risks),
                "risk_level": level,
                "follow_up_due": day + dt.timedelta(days=14 if level == "high" else 60)
                if level != "low"
                else None,
            }
        )

    # -- cases: 90 received in the source period, all resolved or referred by its end
    cases = []
    case_cats = list(vocab.CASE_CATEGORIES)
    case_weights = [40, 18, 14, 12, 8, 8]
    receivers = [o for o in station_ids if o.startswith("studio_")] * 3 + [
        o
        for o in station_ids
        if o.startswith("station_32082610") or o.startswith("station_32082600")
    ]
    for _ in range(SOURCE_FIGURES["cases_received"]):
        received = dates.between(SOURCE_START, SOURCE_END)
        closed = min(received + dt.timedelta(days=rng.randint(0, 45)), SOURCE_END)
        cases.append(
            {
                "case_id": f"D-C-{len(cases) + 1:04d}",
                "received_date": received,
                "org_id": rng.choice(receivers),
                "place_code": rng.choice(village_codes),
                "category": rng.choices(case_cats, weights=case_weights)[0],
                "status": rng.choices(["resolved", "referred"], weights=[85, 15])[0],
                "closed_date": closed,
            }
        )
    for _ in range(9):
        received = dates.between(dt.date(2022, 11, 11), DEMO_END)
        is_open = rng.random() < 0.6
        cases.append(
            {
                "case_id": f"D-C-{len(cases) + 1:04d}",
                "received_date": received,
                "org_id": rng.choice(receivers),
                "place_code": rng.choice(village_codes),
                "category": rng.choices(case_cats, weights=case_weights)[0],
                "status": "open" if is_open else "resolved",
                "closed_date": None
                if is_open
                else min(received + dt.timedelta(days=rng.randint(1, 20)), DEMO_END),
            }
        )

    # -- legal-awareness events: the campaign days, and exactly 70 守护花开 lectures in the period
    events = []

    def add_event(day, code, org, campaign, fmt, audience):
        events.append(
            {
                "event_id": f"D-E-{len(events) + 1:04d}",
                "date": day,
                "place_code": code,
                "org_id": org,
                "campaign": campaign,
                "format": fmt,
                "audience": audience,
            }
        )

    campaign_days = {
        "womens_rights_week": (3, 1, 8),
        "family_day": (5, 12, 18),
        "anti_drug_day": (6, 23, 29),
    }
    for year in (2021, 2022):
        for campaign, (month, d0, d1) in campaign_days.items():
            for code in sorted(township_rows):
                if rng.random() < 0.18:  # some towns hold nothing: a gap a deputy can ask about
                    continue
                day = dt.date(year, month, rng.randint(d0, d1))
                add_event(
                    day,
                    code,
                    town_fed[code],
                    campaign,
                    rng.choice(["performance", "materials", "consultation"]),
                    rng.randint(60, 400),
                )
    for _ in range(SOURCE_FIGURES["legal_lectures"]):
        code = rng.choice(key_villages if rng.random() < 0.6 else village_codes)
        add_event(
            dates.between(SOURCE_START, SOURCE_END),
            code,
            rng.choice(["fed_county", "assoc_guotong"]),
            "shouhu_huakai",
            "lecture",
            rng.randint(20, 120),
        )
    for _ in range(4):
        add_event(
            dates.between(dt.date(2022, 11, 11), DEMO_END),
            rng.choice(key_villages),
            "fed_county",
            "shouhu_huakai",
            "lecture",
            rng.randint(20, 120),
        )
    for _ in range(24):  # posts in the WeChat columns 法驻幸福家 and 帼彤公益说法
        add_event(
            dates.between(SOURCE_START, DEMO_END),
            county,
            "fed_county",
            "other",
            "online",
            rng.randint(300, 3000),
        )

    # -- girls' protection courses: 200 sessions and 18,000 attendances in each year
    courses = []
    course_places = sorted(villages["code"])
    for year in (2021, 2022):
        skipped = set(rng.sample(key_villages, 8 if year == 2022 else 5))
        covered = [v for v in key_villages if v not in skipped]
        others_ = [v for v in course_places if v not in key_set]
        spots = covered + [
            rng.choice(others_) for _ in range(YEARLY_COURSE_SESSIONS - len(covered))
        ]
        attendance = _exact_split(rng, YEARLY_COURSE_ATTENDANCE, YEARLY_COURSE_SESSIONS, 40, 140)
        for code, att in zip(spots, attendance, strict=True):
            day = dates.between(dt.date(year, 3, 1), dt.date(year, 12, 20))
            town = parent_of[code]
            courses.append(
                {
                    "course_id": f"D-K-{len(courses) + 1:04d}",
                    "date": day,
                    "place_code": code,
                    "venue": rng.choice(["村妇女儿童之家", "村小学", "村综合服务中心"]),
                    "org_id": rng.choice(["fed_county", "agency_education", town_fed[town]]),
                    "topic": rng.choice(["防性侵自护", "身体边界", "网络安全", "防溺水与自护"]),
                    "attendance": att,
                    "girls": int(att * rng.uniform(0.45, 0.55)),
                }
            )

    # -- women's deliberation (妇女议事) brands
    deliberations = []
    for brand in DELIBERATION_BRANDS:
        code = rng.choice(sorted(township_rows))
        for _ in range(rng.randint(3, 6)):
            deliberations.append(
                {
                    "deliberation_id": f"D-D-{len(deliberations) + 1:03d}",
                    "date": dates.between(SOURCE_START, DEMO_END),
                    "place_code": code,
                    "brand": brand,
                    "topic": rng.choice(
                        ["村规民约修订", "留守儿童关爱", "家庭矛盾调处", "妇女就业"]
                    ),
                    "participants": rng.randint(8, 30),
                }
            )

    programme_details(
        random.Random(seed + 7),
        events,
        screenings,
        deliberations,
        key_villages,
        SOURCE_START,
        SOURCE_END,
    )

    targets = (
        [
            {
                "metric": "course_sessions",
                "place_code": county,
                "year": y,
                "value": YEARLY_COURSE_SESSIONS,
                "source": "示例目标：取 2022 年报道所述年均开展课程 200 场",
            }
            for y in (2021, 2022)
        ]
        + [
            {
                "metric": "course_attendance",
                "place_code": county,
                "year": y,
                "value": YEARLY_COURSE_ATTENDANCE,
                "source": "示例目标：取 2022 年报道所述年均受教育 1.8 万人次",
            }
            for y in (2021, 2022)
        ]
        + [
            {
                "metric": "must_visit_coverage",
                "place_code": county,
                "year": 2022,
                "value": 1.0,
                "source": "示例目标：2022-05-18 视察建议“常态化走访”六类必访",
            }
        ]
    )

    measures, referrals = _protection_records(
        random.Random(seed + MEASURE_SEED_OFFSET), sorted(township_rows), parent_of, cases
    )

    return {
        "place": place_rows,
        "org": orgs,
        "household": households,
        "person": persons,
        "pairing": pairings,
        "contact": contacts,
        "course": courses,
        "visit": visits,
        "screening": screenings,
        "case": cases,
        "event": events,
        "deliberation": deliberations,
        "protection_measure": measures,
        "referral": referrals,
        "target": targets,
        **oversight_records(county, seat, orgs),
        # Only for the county the report is about: loading the demo elsewhere keeps its claims.
        **({"claim": claims} if (claims := report_claims(places)) else {}),
    }


def _protection_records(
    rng: random.Random, towns: list[str], parent_of: dict, cases: list[dict]
) -> tuple[list[dict], list[dict]]:
    """Synthetic protection measures by township and year (告诫书 by the police, 保护令 applied
    for at the court, 强制报告 received by the police or the procuratorate), and referrals of
    the cases the stations referred, to one body or, "1+N", to two."""
    dates = _Dates(rng)
    villages: dict[str, list[str]] = {}
    for code, parent in parent_of.items():
        if parent in towns:
            villages.setdefault(parent, []).append(code)
    measures: list[dict] = []

    def add(day, town, org, measure, outcome, outcome_date=None):
        measures.append(
            {
                "measure_id": f"D-M-{len(measures) + 1:04d}",
                "date": day,
                "place_code": rng.choice(sorted(villages.get(town, [town]))),
                "org_id": org,
                "measure": measure,
                "outcome": outcome,
                "outcome_date": outcome_date,
            }
        )

    for year in (2021, 2022):
        start, end = dt.date(year, 3, 1), dt.date(year, 12, 20)
        for town in towns:
            for _ in range(rng.randint(0, 4)):
                add(dates.between(start, end), town, "agency_police", "dv_warning", "issued")
            for _ in range(rng.choices([0, 1, 2], weights=[5, 4, 1])[0]):
                day = dates.between(start, end)
                if year == 2022 and day > dt.date(2022, 12, 10):
                    add(day, town, "agency_court", "protection_order", "pending")
                else:
                    outcome = rng.choices(["issued", "refused"], weights=[3, 1])[0]
                    decided = day + dt.timedelta(days=rng.randint(0, 3))
                    add(day, town, "agency_court", "protection_order", outcome, decided)
            for _ in range(rng.randint(0, 3)):
                day = dates.between(start, end)
                org = rng.choice(["agency_police", "agency_procuratorate"])
                handled = day + dt.timedelta(days=rng.randint(1, 20))
                if handled > DEMO_END:
                    add(day, town, org, "mandatory_report", "pending")
                else:
                    add(day, town, org, "mandatory_report", "handled", handled)

    bodies = ["agency_police", "agency_court", "agency_justice", "agency_procuratorate"]
    weights = [4, 2, 3, 1]
    referrals: list[dict] = []
    for case in cases:
        if case["status"] != "referred" or case["closed_date"] is None:
            continue
        first = rng.choices(bodies, weights=weights)[0]
        to = [first]
        if rng.random() < 0.3:  # "1+N": a second body takes part
            to.append(rng.choice([b for b in bodies if b != first]))
        for body in to:
            referrals.append(
                {
                    "referral_id": f"D-RF-{len(referrals) + 1:04d}",
                    "case_id": case["case_id"],
                    "date": case["closed_date"],
                    "from_org_id": case["org_id"],
                    "to_org_id": body,
                }
            )
    return measures, referrals


# The figures of the 2022 report the demo reproduces: stored as claims, as a county would import
# its own work report, so that the pages offer the report's period beside the calendar years.
REPORT_CLAIMS = Path(__file__).resolve().parents[2] / "data" / "claims" / "lianshui_2022_report.csv"


def report_claims(places: pd.DataFrame) -> list[dict]:
    """The 2022 report's claims as claim records; none for a gazetteer without its places."""
    from hehu.figures.metrics import Records
    from hehu.oversight.claims import ClaimRowError, parse_claim, read_claims_table

    if not REPORT_CLAIMS.exists():
        return []
    gazetteer = Records({"place": places})
    out = []
    for row in read_claims_table(REPORT_CLAIMS).to_dict("records"):
        try:
            claim = parse_claim(gazetteer, row)
        except ClaimRowError:
            return []  # another county's gazetteer: the Lianshui report is not about it
        out.append(
            {
                "claim_id": f"lianshui-2022-{claim.claim_id}",
                "document": claim.document,
                "metric": claim.metric,
                "place_code": claim.place_code,
                "period_start": claim.period.start.date(),
                "period_end": claim.period.end.date(),
                "value": claim.value,
                "tolerance": claim.tolerance,
            }
        )
    return out


def load_demo(
    store: Store,
    seed: int = DEFAULT_SEED,
    progress: Callable[[str], None] | None = None,
    actor: str = "system",
) -> dict[str, int]:
    """Replace the store's records with the demo (one transaction, audited in the name of
    `actor`) and flag the store as demo."""
    places = store.read("place")
    if places.empty:
        from hehu.records.gazetteer import load_gazetteer

        load_gazetteer(store, actor=actor)
        places = store.read("place")
    if progress:
        progress("生成示例数据 generating demo records")
    records = build_demo(places, seed)
    if progress:
        progress("写入数据库 writing to the database")
    return store.write(
        records,
        replace=[k for k in records if k != "place"],
        meta_values={"demo": "1", "demo_seed": str(seed), "demo_note": DEMO_NOTE},
        audit={"action": "import", "what": audit_what("demo", seed=seed), "actor": actor},
    )
