"""A synthetic province for benchmarks: N counties of records, built with numpy, bulk-inserted.

One county has 16 township units, about 370 village units and, per year of 2021-2022, the
records of a busy county; 100 counties give about 1,600 township units, 37,000 villages,
1,000,000 visits, 500,000 pairings and 200,000 courses (the scale of the scale issue).

All codes start with 99, a province code the NBS does not use, so no code can be taken for a
real place; every name says 合成 (synthetic) and the store is flagged demo.

    .venv/bin/python bench/generate.py --counties 100 --out /tmp/hehu-100.sqlite
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from hehu.records import vocab
from hehu.records.schema import RECORD_TABLES
from hehu.records.store import open_store

PROVINCE = "990000000000"
# Bumped when the generated data change shape: it is part of the file name, so a file written by
# an older generator is never reused. 2: a province root and cities of ten counties above them.
GENERATOR = 2
SUBDISTRICTS, TOWNS = 4, 12  # township units of a county, as in Lianshui
VILLAGES_PER_TOWNSHIP = (17, 29)  # inclusive range: about 370 village units a county
KEY_VILLAGES = 38  # provincially designated key villages a county
FIRST_DAY, LAST_DAY = np.datetime64("2021-01-01"), np.datetime64("2022-12-31")

# Records of each kind a county holds (two years); chosen so 100 counties meet the totals.
PER_COUNTY = {
    "household": 12_000,
    "pairing": 5_000,
    "visit": 10_000,
    "screening": 3_000,
    "course": 2_000,
    "case": 600,
    "event": 300,
    "deliberation": 20,
}
# Same weights as the demo: 留守儿童 most common, 创业困难女性 least.
CATEGORY_WEIGHTS = [14, 8, 6, 7, 5, 5, 4, 3, 5, 6, 6, 2, 3]
WOMEN_CATEGORIES = {"difficult_mother", "left_behind_woman", "entrepreneur_in_difficulty"}
RISK_CATEGORIES = ["single_parent", "extreme_poverty", "disability", "serious_illness", "dv_risk",
                   "family_dispute"]  # fmt: skip
COUNTY_ORGS = [  # suffix, name, kind
    ("fed", "妇联", "federation"),
    ("studio1", "维权快递工作室", "studio"),
    ("studio2", "婚姻家庭纠纷调解室", "studio"),
    ("studio3", "家事调解工作室", "studio"),
    ("assoc_guotong", "帼彤之家维权协会", "association"),
    ("assoc_volunteers", "巾帼志愿者协会", "association"),
    ("agency_education", "教育体育局", "agency"),
]
BENCH_NOTE = "合成数据：基准测试用的合成省，地点、人员、记录均为随机生成"


class _Ids:
    """Pseudonymous-looking ids (prefix-16 hex, as the importer makes): unique, not sequential."""

    def __init__(self, seed: int):
        self.salt = np.uint64(seed * 0x9E3779B1 + 1)

    def __call__(self, prefix: str, start: int, n: int) -> np.ndarray:
        # An odd multiplier is a bijection on 64-bit integers, so the ids never collide.
        x = (
            np.arange(start, start + n, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        ) ^ self.salt
        return np.array([f"{prefix}-{v:016x}" for v in x.tolist()], dtype=object)


def _seq(prefix: str, n: int) -> np.ndarray:
    return np.array([f"{prefix}-{i:08d}" for i in range(1, n + 1)], dtype=object)


def _days(rng: np.random.Generator, n: int, first=FIRST_DAY, last=LAST_DAY) -> np.ndarray:
    """n uniform random days in [first, last]."""
    span = int((last - first).astype(int)) + 1
    return first + rng.integers(0, span, n).astype("timedelta64[D]")


def _pick(rng: np.random.Generator, starts: np.ndarray, sizes: np.ndarray, owner: np.ndarray):
    """For each row, a random index in its owner's range [starts[o], starts[o] + sizes[o])."""
    return starts[owner] + (rng.random(len(owner)) * sizes[owner]).astype(np.int64)


class _Combos:
    """Category sets drawn as combo numbers, with every per-set string precomputed once.

    Combo 0 is the empty set; 1 + a*13 + b is {a, b} (a == b for one category). Turning a
    million households into strings is then one array lookup, and equal strings share one object.
    """

    def __init__(self):
        keys = list(vocab.CATEGORIES)
        sets = [set()] + [{keys[a], keys[b]} for a in range(len(keys)) for b in range(len(keys))]
        self.keys = keys
        self.text = np.array([vocab.join_keys(s) for s in sets], dtype=object)
        self.women = np.array([vocab.join_keys(s & WOMEN_CATEGORIES) for s in sets], dtype=object)
        self.reasons = np.array(
            [vocab.join_keys(s & vocab.MUST_VISIT_CATEGORIES) for s in sets], dtype=object
        )
        self.risks = np.array(
            [vocab.join_keys(s & set(RISK_CATEGORIES)) for s in sets], dtype=object
        )
        self.left_behind = np.array(["left_behind_child" in s for s in sets])
        self.in_difficulty = np.array(["child_in_difficulty" in s for s in sets])

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        p = np.array(CATEGORY_WEIGHTS, float) / sum(CATEGORY_WEIGHTS)
        a = rng.choice(len(self.keys), n, p=p)
        b = np.where(rng.random(n) < 1 / 3, rng.choice(len(self.keys), n, p=p), a)
        return np.where(rng.random(n) < 0.08, 0, 1 + a * len(self.keys) + b)


def _places(rng: np.random.Generator, n_counties: int) -> pd.DataFrame:
    """The province root, its cities (ten counties each), N counties, their townships and villages
    (parents before children)."""
    county_codes = [f"99{1 + i // 10:02d}{1 + i % 10:02d}000000" for i in range(n_counties)]
    # Counties on a grid, about 0.5 degrees apart, inside the lat/lon box of Jiangsu.
    clat = 31.0 + 0.45 * (np.arange(n_counties) // 10)
    clon = 116.5 + 0.55 * (np.arange(n_counties) % 10)
    rows = [(PROVINCE, "合成省（基准测试）", "合成省", "province", None, False,
             float(clat.mean()), float(clon.mean()), "approximate", None, None)]  # fmt: skip
    basis = "合成：基准测试数据，随机位置"
    for city in sorted({code[:4] for code in county_codes}):
        # No position: the overview puts a city at the middle of what lies under it.
        rows.append((f"{city}00000000", f"合成市{city[2:]}", f"合成市{city[2:]}", "city", PROVINCE,
                     False, None, None, "none", None, None))  # fmt: skip
    for c, ccode in enumerate(county_codes):
        rows.append((ccode, f"合成县{c + 1:03d}", f"合成{c + 1:03d}", "county",
                     f"{ccode[:4]}00000000", False, float(clat[c]), float(clon[c]), "approximate",
                     basis, None))  # fmt: skip
        tnums = list(range(1, SUBDISTRICTS + 1)) + list(range(100, 100 + TOWNS))
        tlat = clat[c] + rng.uniform(-0.18, 0.18, len(tnums))
        tlon = clon[c] + rng.uniform(-0.22, 0.22, len(tnums))
        for t, tnum in enumerate(tnums):
            tcode = f"{ccode[:6]}{tnum:03d}000"
            sub = tnum < 100
            level = "subdistrict" if sub else "town"
            tname = f"合成{c + 1:03d}{'街道' if sub else '镇'}{t + 1:02d}"
            rows.append((tcode, tname, tname[5:], level, ccode, False,
                         float(tlat[t]), float(tlon[t]), "approximate", basis, None))  # fmt: skip
            n_v = int(rng.integers(VILLAGES_PER_TOWNSHIP[0], VILLAGES_PER_TOWNSHIP[1] + 1))
            # Subdistricts are mostly communities, towns mostly villages (NBS: 0xx, 2xx).
            n_comm = int(n_v * (0.85 if sub else 0.12))
            vlat = tlat[t] + rng.uniform(-0.035, 0.035, n_v)
            vlon = tlon[t] + rng.uniform(-0.04, 0.04, n_v)
            for v in range(n_v):
                comm = v < n_comm
                vnum = (1 + v) if comm else (201 + v - n_comm)
                vname = f"{tname}{'社区' if comm else '村'}{vnum:03d}"
                children = int(rng.integers(300, 900) if comm else rng.integers(120, 520))
                share = rng.uniform(0.03, 0.08) if comm else rng.uniform(0.12, 0.3)
                rows.append((f"{tcode[:9]}{vnum:03d}", vname, vname[len(tname):],
                             "community" if comm else "village", tcode, False,
                             round(float(vlat[v]), 5), round(float(vlon[v]), 5), "approximate",
                             basis, (children, int(children * share))))  # fmt: skip
    frame = pd.DataFrame(
        rows,
        columns=[
            "code",
            "name",
            "short_name",
            "level",
            "parent_code",
            "key_village",
            "lat",
            "lon",
            "coord_quality",
            "coord_basis",
            "_kids",
        ],  # fmt: skip
    )
    frame["children"] = frame["_kids"].map(lambda k: None if k is None else k[0])
    frame["left_behind_children"] = frame["_kids"].map(lambda k: None if k is None else k[1])
    frame = frame.drop(columns="_kids")
    # 38 key villages a county: one rural village in every township first, then any others.
    rural = frame[frame["level"] == "village"]
    county_of = rural["code"].str[:6]
    keys: list[str] = []
    for _, group in rural.groupby(county_of):
        first = group.groupby("parent_code")["code"].agg(lambda s: s.iloc[rng.integers(len(s))])
        rest = group.loc[~group["code"].isin(first), "code"].to_numpy()
        keys += list(first) + list(rng.choice(rest, KEY_VILLAGES - len(first), replace=False))
    frame["key_village"] = frame["code"].isin(keys)
    return frame


def build_province(n_counties: int, seed: int = 1) -> dict[str, pd.DataFrame]:
    """Every record kind of a synthetic province of N counties, as frames (same seed, same data)."""
    if not 1 <= n_counties <= 100:
        raise ValueError("n_counties must be between 1 and 100 (two-digit city and county codes)")
    rng = np.random.default_rng(seed)
    ids = _Ids(seed)
    combos = _Combos()
    places = _places(rng, n_counties)
    out: dict[str, pd.DataFrame] = {"place": places}
    N = n_counties

    counties = places.loc[places["level"] == "county", "code"].to_numpy()
    county_index = {c: i for i, c in enumerate(counties)}
    townships = places[places["level"].isin(vocab.TOWNSHIP_LEVELS)]
    villages = places[places["level"].isin(vocab.VILLAGE_LEVELS)].reset_index(drop=True)
    v_code = villages["code"].to_numpy(dtype=object)
    v_town = villages["parent_code"].to_numpy(dtype=object)
    v_county = villages["code"].str[:6].map(lambda c: county_index[c + "000000"]).to_numpy()
    v_start = np.searchsorted(v_county, np.arange(N))  # villages come county by county
    v_size = np.bincount(v_county, minlength=N)
    key_codes = villages.loc[villages["key_village"], "code"].to_numpy(dtype=object)

    # -- organisations: county bodies, a federation and a station per township, a station per
    # key village (the ids carry the place code, so they are unique across the province)
    orgs = []
    seat = townships.groupby("parent_code")["code"].first()
    for c, ccode in enumerate(counties):
        for suffix, name, kind in COUNTY_ORGS:
            where = seat[ccode] if kind == "studio" else ccode
            orgs.append((f"{suffix}_{ccode}", f"合成县{c + 1:03d}{name}", kind, "county", where))
    for r in townships.itertuples():
        orgs.append((f"fed_{r.code}", f"{r.name}妇联", "federation", "town", r.code))
        orgs.append((f"station_{r.code}", f"{r.name}妇女儿童维权站", "station", "town", r.code))
    for code in key_codes:
        orgs.append((f"station_{code}", "妇女儿童之家", "station", "village", code))
    out["org"] = pd.DataFrame(orgs, columns=["org_id", "name", "kind", "level", "place_code"])

    def county_org(suffix: str, county: np.ndarray) -> np.ndarray:
        return np.array([f"{suffix}_{c}" for c in counties], dtype=object)[county]

    # -- households, and the children and women in them
    n_h = N * PER_COUNTY["household"]
    h_county = np.repeat(np.arange(N), PER_COUNTY["household"])
    h_village = _pick(rng, v_start, v_size, h_county)
    h_combo = combos.draw(rng, n_h)
    h_start = np.arange(N) * PER_COUNTY["household"]
    h_size = np.full(N, PER_COUNTY["household"])
    h_id = ids("H", 0, n_h)
    out["household"] = pd.DataFrame(
        {"household_id": h_id, "place_code": v_code[h_village], "categories": combos.text[h_combo]}
    )
    is_child_home = combos.left_behind[h_combo] | combos.in_difficulty[h_combo]
    n_children = np.where(is_child_home, rng.integers(1, 3, n_h), 0)
    n_women = (combos.women[h_combo] != "").astype(np.int64)
    child_home = np.repeat(np.arange(n_h), n_children)
    woman_home = np.repeat(np.arange(n_h), n_women)
    p_home = np.concatenate([child_home, woman_home])
    n_p = len(p_home)
    child_cat = np.where(
        combos.left_behind[h_combo[child_home]], "left_behind_child", "child_in_difficulty"
    ).astype(object)
    out["person"] = pd.DataFrame(
        {
            "person_id": ids("P", 0, n_p),
            "household_id": h_id[p_home],
            "place_code": v_code[h_village[p_home]],
            "sex": np.concatenate(
                [
                    np.where(rng.random(len(child_home)) < 0.5, "F", "M"),
                    np.full(len(woman_home), "F"),
                ]
            ).astype(object),  # fmt: skip
            "birth_year": np.concatenate(
                [
                    rng.integers(2006, 2019, len(child_home)),
                    rng.integers(1965, 1999, len(woman_home)),
                ]
            ),  # fmt: skip
            "categories": np.concatenate([child_cat, combos.women[h_combo[woman_home]]]),
        }
    )

    # -- pairings: most with left-behind children (帼彤之家), some schooling help; a child may
    # be paired twice and many are never paired (the unpaired-children gap)
    p_county = h_county[p_home[: len(child_home)]]
    lb = np.flatnonzero(child_cat == "left_behind_child")
    cid = np.flatnonzero(child_cat == "child_in_difficulty")
    n_pr = N * PER_COUNTY["pairing"]
    is_lb = rng.random(n_pr) < 0.8
    pr_county = np.repeat(np.arange(N), PER_COUNTY["pairing"])
    # children sorted by county already: pick within each county's slice of lb / cid
    pr_person = np.empty(n_pr, dtype=np.int64)
    for pool, mask in ((lb, is_lb), (cid, ~is_lb)):
        pool_county = p_county[pool]
        starts = np.searchsorted(pool_county, np.arange(N))
        sizes = np.bincount(pool_county, minlength=N)
        pr_person[mask] = pool[_pick(rng, starts, sizes, pr_county[mask])]
    start = _days(rng, n_pr, np.datetime64("2020-06-01"), np.datetime64("2022-12-20"))
    ends = rng.random(n_pr) < 0.12
    end = start + (120 + rng.integers(0, 400, n_pr)).astype("timedelta64[D]")
    end = np.where(ends & (end <= LAST_DAY), end, np.datetime64("NaT"))
    pairing_id = ids("J", 0, n_pr)
    out["pairing"] = pd.DataFrame(
        {
            "pairing_id": pairing_id,
            "org_id": np.where(
                is_lb,
                county_org("assoc_guotong", pr_county),
                county_org("assoc_volunteers", pr_county),
            ),
            "person_id": out["person"]["person_id"].to_numpy()[pr_person],
            "support_type": np.where(
                is_lb, rng.choice(["companionship", "psychological", "material"], n_pr), "study"
            ).astype(object),
            "start_date": start,
            "end_date": end,
        }
    )

    # -- contacts: 0-6 a pairing, 20-70 days apart, stopping at the pairing's end (a pairing whose
    # contacts stop early lapses)
    n_c = rng.integers(0, 7, n_pr)
    c_pair = np.repeat(np.arange(n_pr), n_c)
    gaps = rng.integers(20, 71, len(c_pair))
    run = np.cumsum(gaps)
    group_start = np.repeat(np.cumsum(n_c) - n_c, n_c)
    before = np.where(group_start > 0, run[group_start - 1], 0)
    c_date = start[c_pair] + (run - before).astype("timedelta64[D]")
    stop = np.where(np.isnat(end), LAST_DAY, end)[c_pair]
    keep = c_date <= stop
    out["contact"] = pd.DataFrame(
        {
            "pairing_id": pairing_id[c_pair[keep]],
            "date": c_date[keep],
            "mode": rng.choice(list(vocab.CONTACT_MODES), int(keep.sum())).astype(object),
        }
    )

    # -- visits to households of the county, by the county or township federation
    n_vi = N * PER_COUNTY["visit"]
    vi_county = np.repeat(np.arange(N), PER_COUNTY["visit"])
    vi_home = _pick(rng, h_start, h_size, vi_county)
    vi_date = _days(rng, n_vi)
    follow = rng.random(n_vi) < 0.5
    due = vi_date + rng.choice([30, 60, 90], n_vi).astype("timedelta64[D]")
    out["visit"] = pd.DataFrame(
        {
            "visit_id": _seq("V", n_vi),
            "date": vi_date,
            "household_id": h_id[vi_home],
            "org_id": np.where(
                rng.random(n_vi) < 0.3,
                county_org("fed", vi_county),
                "fed_" + v_town[h_village[vi_home]],
            ),
            "reasons": combos.reasons[h_combo[vi_home]],
            "follow_up_due": np.where(follow, due, np.datetime64("NaT")),
        }
    )

    # -- risk screenings in 2022
    n_s = N * PER_COUNTY["screening"]
    s_county = np.repeat(np.arange(N), PER_COUNTY["screening"])
    s_home = _pick(rng, h_start, h_size, s_county)
    s_date = _days(rng, n_s, np.datetime64("2022-01-01"))
    level = rng.choice(["low", "medium", "high"], n_s, p=[0.7, 0.22, 0.08]).astype(object)
    risks = combos.risks[h_combo[s_home]]
    fallback = np.array(RISK_CATEGORIES, dtype=object)[rng.integers(0, len(RISK_CATEGORIES), n_s)]
    risks = np.where((risks == "") & (level != "low"), fallback, risks)
    out["screening"] = pd.DataFrame(
        {
            "screening_id": _seq("S", n_s),
            "date": s_date,
            "household_id": h_id[s_home],
            "risk_categories": risks,
            "risk_level": level,
            "follow_up_due": np.where(
                level == "low",
                np.datetime64("NaT"),
                s_date + np.where(level == "high", 14, 60).astype("timedelta64[D]"),
            ),
        }
    )

    # -- cases received at studios and stations; most closed within 45 days
    n_k = N * PER_COUNTY["case"]
    k_county = np.repeat(np.arange(N), PER_COUNTY["case"])
    k_village = _pick(rng, v_start, v_size, k_county)
    received = _days(rng, n_k)
    status = rng.choice(["resolved", "referred", "open"], n_k, p=[0.75, 0.15, 0.1]).astype(object)
    closed = np.minimum(received + rng.integers(0, 46, n_k).astype("timedelta64[D]"), LAST_DAY)
    studio = county_org("studio1", k_county)
    out["case"] = pd.DataFrame(
        {
            "case_id": _seq("C", n_k),
            "received_date": received,
            "org_id": np.where(rng.random(n_k) < 0.5, studio, "station_" + v_town[k_village]),
            "place_code": v_code[k_village],
            "category": rng.choice(
                list(vocab.CASE_CATEGORIES), n_k, p=np.array([40, 18, 14, 12, 8, 8]) / 100
            ).astype(object),  # fmt: skip
            "status": status,
            "closed_date": np.where(status == "open", np.datetime64("NaT"), closed),
        }
    )

    # -- legal-awareness events: lectures in villages, campaign days in townships
    n_e = N * PER_COUNTY["event"]
    e_county = np.repeat(np.arange(N), PER_COUNTY["event"])
    e_village = _pick(rng, v_start, v_size, e_county)
    lecture = rng.random(n_e) < 0.6
    out["event"] = pd.DataFrame(
        {
            "event_id": _seq("E", n_e),
            "date": _days(rng, n_e),
            "place_code": np.where(lecture, v_code[e_village], v_town[e_village]),
            "org_id": county_org("fed", e_county),
            "campaign": np.where(
                lecture,
                "shouhu_huakai",
                rng.choice(["womens_rights_week", "family_day", "anti_drug_day"], n_e),
            ).astype(object),
            "format": np.where(
                lecture, "lecture", rng.choice(["performance", "materials", "consultation"], n_e)
            ).astype(object),
            "audience": np.where(
                rng.random(n_e) < 0.05, np.nan, rng.integers(20, 400, n_e).astype(float)
            ),
        }
    )

    # -- girls' protection courses: few in key villages, so some key villages have none (a gap)
    n_co = N * PER_COUNTY["course"]
    co_county = np.repeat(np.arange(N), PER_COUNTY["course"])
    co_village = _pick(rng, v_start, v_size, co_county)
    v_key = villages["key_village"].to_numpy()
    # most courses landing on a key village move to the next village (rarely a key one too)
    moved = v_key[co_village] & (rng.random(n_co) < 0.97)
    co_village = np.where(
        moved, np.minimum(co_village + 1, v_start[co_county] + v_size[co_county] - 1), co_village
    )
    co_place = v_code[co_village]
    attendance = rng.integers(40, 141, n_co)
    out["course"] = pd.DataFrame(
        {
            "course_id": _seq("K", n_co),
            "date": _days(rng, n_co),
            "place_code": co_place,
            "venue": rng.choice(["村妇女儿童之家", "村小学", "村综合服务中心"], n_co).astype(
                object
            ),
            "org_id": np.where(
                rng.random(n_co) < 0.5,
                county_org("fed", co_county),
                county_org("agency_education", co_county),
            ),
            "topic": rng.choice(
                ["防性侵自护", "身体边界", "网络安全", "防溺水与自护"], n_co
            ).astype(object),
            "attendance": attendance,
            "girls": (attendance * rng.uniform(0.45, 0.55, n_co)).astype(np.int64),
        }
    )

    # -- women's deliberation (妇女议事) in townships
    n_d = N * PER_COUNTY["deliberation"]
    d_county = np.repeat(np.arange(N), PER_COUNTY["deliberation"])
    d_village = _pick(rng, v_start, v_size, d_county)
    out["deliberation"] = pd.DataFrame(
        {
            "deliberation_id": _seq("D", n_d),
            "date": _days(rng, n_d),
            "place_code": v_town[d_village],
            "brand": rng.choice(["巾帼花", "幸福港湾", "心语桥", "红姐"], n_d).astype(object),
            "topic": rng.choice(["村规民约修订", "留守儿童关爱", "家庭矛盾调处"], n_d).astype(
                object
            ),
            "participants": rng.integers(8, 31, n_d),
        }
    )

    # -- targets, inspections and recommendations: one of each kind a county a year
    out["target"] = pd.DataFrame(
        [
            {
                "metric": "course_sessions",
                "place_code": c,
                "year": y,
                "value": 2000.0,
                "source": "合成目标",
            }
            for c in counties
            for y in (2021, 2022)
        ]  # fmt: skip
    )
    inspections, recs = [], []
    for ccode in counties:
        for y in (2021, 2022):
            iid = f"INS-{ccode[:6]}-{y}"
            inspections.append({"inspection_id": iid, "date": np.datetime64(f"{y}-05-18"),
                                "committee": "县人大常委会教科文卫委", "deputies": "",
                                "places": seat[ccode], "orgs": f"studio1_{ccode}",
                                "summary": "合成视察"})  # fmt: skip
            for i, st in enumerate(("open", "in_progress", "done")):
                recs.append({"rec_id": f"REC-{ccode[:6]}-{y}-{i + 1}", "inspection_id": iid,
                             "place_code": ccode if i else seat[ccode], "text": "合成意见建议",
                             "responsible_org": f"fed_{ccode}",
                             "due_date": np.datetime64(f"{y}-{9 + i:02d}-30"),
                             "status": st, "response": ""})  # fmt: skip
    out["inspection"] = pd.DataFrame(inspections)
    out["recommendation"] = pd.DataFrame(recs)
    return out


# --------------------------------------------------------------------------- writing


def _column_values(series: pd.Series) -> list:
    """A frame column as Python values the DBAPI can bind: dates as ISO text, NaN/NaT as None."""
    values = series.to_numpy()
    if np.issubdtype(values.dtype, np.datetime64):
        days = values.astype("datetime64[D]")
        text = days.astype(str).astype(object)
        text[np.isnat(days)] = None
        return text.tolist()
    if values.dtype.kind == "f":
        out = values.astype(object)
        out[np.isnan(values)] = None
        if series.name not in ("lat", "lon", "value"):  # integers with gaps (audience)
            out = [None if v is None else int(v) for v in out]
        return list(out)
    if values.dtype.kind == "O":
        return [None if v is None or (isinstance(v, float) and v != v) else v for v in values]
    return values.tolist()


def write_store(frames: dict[str, pd.DataFrame], url: str, *, counties: int, seed: int) -> None:
    """Write the frames into a new Hehu store at `url`, one bulk INSERT per kind, one transaction.

    Through SQLAlchemy Core statements on hehu's own tables, executed with the DBAPI's
    executemany (tuples, not dicts): `Store.write` validates each row in Python, which for five
    million rows takes minutes.
    """
    store = open_store(url)
    engine = store.engine
    with engine.begin() as conn:
        cursor = conn.connection.driver_connection.cursor()
        if engine.dialect.name == "sqlite":  # a benchmark file need not survive a power cut
            cursor.execute("PRAGMA synchronous=OFF")
        for kind in reversed(list(RECORD_TABLES)):
            conn.execute(RECORD_TABLES[kind].delete())
        for kind, table in RECORD_TABLES.items():
            frame = frames.get(kind)
            if frame is None or frame.empty:
                continue
            columns = [c.name for c in table.columns if c.name in frame]
            stmt = sa.insert(table).compile(dialect=engine.dialect, column_keys=columns)
            order = list(stmt.positiontup) if stmt.positiontup else list(stmt.params)
            for name in order:  # a column with a default the generator leaves out (schema 7)
                if name not in frame:
                    frame = frame.assign(**{name: table.c[name].default.arg})
            rows = list(zip(*(_column_values(frame[c]) for c in order), strict=True))
            if not stmt.positiontup:  # named parameters (PostgreSQL's psycopg)
                rows = [dict(zip(order, row, strict=True)) for row in rows]
            cursor.executemany(str(stmt), rows)
        cursor.close()
    store.write(
        {},
        meta_values={
            "demo": "1",
            "demo_note": BENCH_NOTE,
            "bench_counties": str(counties),
            "bench_seed": str(seed),
        },  # fmt: skip
        audit={"action": "import", "what": f"bench province: {counties} counties, seed {seed}"},
    )
    engine.dispose()


def ensure_province(path: str | Path, counties: int, seed: int = 1) -> tuple[str, float | None]:
    """A SQLite file with the province (reused when it already holds the same one); its URL and
    the seconds spent generating and writing (None when reused)."""
    path = Path(path)
    path = path.with_name(f"{path.stem}-g{GENERATOR}{path.suffix}")  # see GENERATOR
    url = f"sqlite:///{path.resolve()}"
    if path.exists():
        store = open_store(url, create=False)
        same = store.get_meta("bench_counties") == str(counties) and store.get_meta(
            "bench_seed"
        ) == str(seed)
        store.engine.dispose()
        if same:
            return url, None
        path.unlink()
    start = time.perf_counter()
    write_store(build_province(counties, seed), url, counties=counties, seed=seed)
    return url, time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    """Generate a province into a SQLite file (or any store URL) and print row counts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counties", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", required=True, help="SQLite file or SQLAlchemy URL")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    frames = build_province(args.counties, args.seed)
    t1 = time.perf_counter()
    url = args.out if "://" in args.out else f"sqlite:///{Path(args.out).resolve()}"
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    write_store(frames, url, counties=args.counties, seed=args.seed)
    t2 = time.perf_counter()
    for kind, frame in frames.items():
        print(f"{kind:15s} {len(frame):>10,}")
    print(f"built in {t1 - t0:.1f} s, written in {t2 - t1:.1f} s to {url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
