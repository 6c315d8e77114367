"""The briefing of one place: what a deputy reads before a site inspection, as plain data."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from . import vocab
from .gaps import gaps_by_place, overdue_follow_ups, unpaired_left_behind
from .gazetteer import descendants
from .metrics import Period, Records, is_must_visit, metrics_by_place

HEADLINE_METRICS = [
    "cases_received",
    "resolution_rate",
    "course_sessions",
    "course_attendance",
    "key_villages_with_course",
    "left_behind_children",
    "left_behind_children_paired",
    "pairings_active",
    "pairings_lapsed",
    "households_must_visit",
    "households_visited",
    "must_visit_coverage",
    "high_risk_without_follow_up",
    "legal_events",
    "recommendations_open",
    "recommendations_overdue",
]
OPEN_CASE_AGE_BANDS = [(0, 30, "0–30 天"), (31, 90, "31–90 天"), (91, 100000, "90 天以上")]


@dataclass
class Briefing:
    """Everything on a place's briefing; counts are raw (pages apply the role's suppression)."""

    code: str
    name: str
    level: str
    parent_name: str | None
    period: Period
    metrics: dict
    targets: dict
    key_villages: pd.DataFrame
    stations: pd.DataFrame
    open_cases_by_age: dict
    cases_by_category: dict
    events_by_campaign: pd.DataFrame
    towns_without_campaign_event: dict
    must_visit_by_group: pd.DataFrame
    recommendations: pd.DataFrame
    questions: list[tuple[str, str]] = field(default_factory=list)  # (zh, en)


def _period_year(period: Period) -> int | None:
    if period.start is not None and period.end is not None and period.start.year == period.end.year:
        return period.start.year
    return None


def build_briefing(records: Records, code: str, period: Period) -> Briefing:
    """Assemble the briefing of a place (county, town or village) for a period."""
    records.check_place(code)
    places = records.places.set_index("code")
    row = places.loc[code]
    under = descendants(records.places, code)
    as_of = period.as_of
    metrics = metrics_by_place(records, period).loc[code].to_dict()

    year = _period_year(period)
    targets = {}
    if year is not None:
        t = records["target"]
        for rec in t[(t["place_code"] == code) & (t["year"] == year)].to_dict("records"):
            targets[rec["metric"]] = (rec["value"], rec["source"])

    gaps = gaps_by_place(records, period)
    courses = records["course"]
    courses_in = courses[period.contains(courses["date"])]
    sessions = courses_in.groupby("place_code").size()
    key = places[places["key_village"].astype(bool) & places.index.isin(under)]
    key_villages = pd.DataFrame(
        {
            "code": key.index,
            "name": key["name"].to_numpy(),
            "town": key["parent_code"].map(places["name"]).to_numpy(),
            "course_sessions": [int(sessions.get(c, 0)) for c in key.index],
            "unpaired_left_behind": [int(gaps.at[c, "unpaired_left_behind"]) for c in key.index],
            "overdue_follow_ups": [int(gaps.at[c, "overdue_follow_ups"]) for c in key.index],
        }
    )
    key_villages["no_course"] = key_villages["course_sessions"] == 0

    orgs = records["org"]
    stations = orgs[orgs["kind"].isin(vocab.STATION_KINDS) & orgs["place_code"].isin(under)][
        ["org_id", "name", "kind", "level", "place_code"]
    ].copy()
    cases = records["case"]
    cases_here = cases[cases["place_code"].isin(under)]
    received = cases_here[period.contains(cases_here["received_date"])]
    stations["cases_received"] = (
        stations["org_id"].map(received.groupby("org_id").size()).fillna(0).astype(int)
    )

    open_cases = cases_here[
        (cases_here["received_date"] <= as_of)
        & ((cases_here["status"] == "open") | (cases_here["closed_date"] > as_of))
    ]
    ages = (as_of - open_cases["received_date"]).dt.days
    open_cases_by_age = {
        label: int(((ages >= lo) & (ages <= hi)).sum()) for lo, hi, label in OPEN_CASE_AGE_BANDS
    }
    cases_by_category = received.groupby("category").size().astype(int).to_dict()

    events = records["event"]
    events_in = events[period.contains(events["date"]) & events["place_code"].isin(under)]
    events_by_campaign = (
        events_in.groupby("campaign")
        .agg(events=("event_id", "size"), audience=("audience", "sum"))
        .reset_index()
    )
    townships = places[places["level"].isin(vocab.TOWNSHIP_LEVELS) & places.index.isin(under)]
    anc = records.ancestors
    towns_without: dict[str, list[str]] = {}
    for campaign in ("womens_rights_week", "family_day", "anti_drug_day"):
        held_at = set(events_in.loc[events_in["campaign"] == campaign, "place_code"])
        held_towns = set(anc.loc[anc["code"].isin(held_at), "ancestor"])
        missing = [places.at[c, "name"] for c in townships.index if c not in held_towns]
        if missing:
            towns_without[campaign] = missing

    households = records["household"]
    hh = households[households["place_code"].isin(under)]
    visits = records["visit"]
    visited_ids = set(visits.loc[period.contains(visits["date"]), "household_id"])
    rows = []
    for group, (zh, en, cats) in vocab.MUST_VISIT_GROUPS.items():
        in_group = hh[
            hh["categories"].map(lambda c, cats=cats: bool(set(vocab.split_keys(c)) & set(cats)))
        ]
        seen = in_group["household_id"].isin(visited_ids).sum()
        rows.append(
            {
                "group": group,
                "zh": zh,
                "en": en,
                "households": len(in_group),
                "visited": int(seen),
                "not_visited": len(in_group) - int(seen),
            }
        )
    must_visit_by_group = pd.DataFrame(rows)

    recs = records["recommendation"].merge(
        records["inspection"][["inspection_id", "date", "committee"]],
        on="inspection_id",
        how="left",
    )
    above = set(anc.loc[anc["code"] == code, "ancestor"])
    recs = recs[recs["place_code"].isin(under | above) & (recs["date"] <= as_of)].copy()
    recs["overdue"] = (
        recs["status"].isin(vocab.REC_OPEN_STATUSES)
        & recs["due_date"].notna()
        & (recs["due_date"] < as_of)
    )
    recs["responsible_name"] = recs["responsible_org"].map(orgs.set_index("org_id")["name"])
    recs = recs.sort_values(["overdue", "date"], ascending=[False, False])

    briefing = Briefing(
        code=code,
        name=row["name"],
        level=row["level"],
        parent_name=places["name"].get(row["parent_code"])
        if isinstance(row["parent_code"], str)
        else None,
        period=period,
        metrics=metrics,
        targets=targets,
        key_villages=key_villages,
        stations=stations,
        open_cases_by_age=open_cases_by_age,
        cases_by_category=cases_by_category,
        events_by_campaign=events_by_campaign,
        towns_without_campaign_event=towns_without,
        must_visit_by_group=must_visit_by_group,
        recommendations=recs,
    )
    briefing.questions = questions_to_ask(records, briefing)
    return briefing


def questions_to_ask(records: Records, b: Briefing) -> list[tuple[str, str]]:
    """Questions generated from the gaps, so a deputy arrives prepared: (zh, en) pairs."""
    m, qs = b.metrics, []
    no_course = b.key_villages[b.key_villages["no_course"]]
    if len(no_course):
        names = "、".join(no_course["name"].head(6)) + ("等" if len(no_course) > 6 else "")
        qs.append(
            (
                f"{len(no_course)} 个重点帮促村本期没有开展女童保护课程（{names}）：原因是什么？何时补上？",
                f"{len(no_course)} key villages had no girls' protection course in the period ({names}): why, and when will they?",
            )
        )
    under = descendants(records.places, b.code)
    unpaired = unpaired_left_behind(records, b.period.as_of)
    n_unpaired = int(unpaired["place_code"].isin(under).sum())
    if n_unpaired:
        qs.append(
            (
                f"登记的留守儿童中有 {n_unpaired} 名目前没有在帮结对：由哪个组织负责结对？",
                f"{n_unpaired} registered left-behind children have no active pairing: which organisation will pair them?",
            )
        )
    if m.get("pairings_lapsed"):
        qs.append(
            (
                f"{int(m['pairings_lapsed'])} 个结对超过 {vocab.LAPSE_DAYS_DEFAULT} 天没有联系记录：帮扶是否仍在进行？",
                f"{int(m['pairings_lapsed'])} pairings have had no contact for over {vocab.LAPSE_DAYS_DEFAULT} days: is the support still happening?",
            )
        )
    cov = m.get("must_visit_coverage")
    if cov is not None and not pd.isna(cov) and cov < 1:
        qs.append(
            (
                f"必访家庭 {int(m['households_must_visit'])} 户，本期走访覆盖率 {cov:.0%}：未走访的家庭何时走访？",
                f"Must-visit coverage is {cov:.0%} of {int(m['households_must_visit'])} households: when will the others be visited?",
            )
        )
    overdue = overdue_follow_ups(records, b.period.as_of)
    n_overdue = int(overdue["place_code"].isin(under).sum())
    if n_overdue:
        qs.append(
            (
                f"{n_overdue} 次走访的回访已逾期：为什么没有按期回访？",
                f"{n_overdue} follow-up visits are overdue: why were they not made on time?",
            )
        )
    if m.get("high_risk_without_follow_up"):
        qs.append(
            (
                f"{int(m['high_risk_without_follow_up'])} 户高风险家庭排查后尚未跟进走访：谁在跟进？",
                f"{int(m['high_risk_without_follow_up'])} high-risk households were screened but not followed up: who is following up?",
            )
        )
    old = b.open_cases_by_age.get(OPEN_CASE_AGE_BANDS[-1][2], 0)
    if old:
        qs.append(
            (
                f"{old} 件维权事项办理超过 90 天仍未办结：卡在哪里？",
                f"{old} cases have been open for over 90 days: what is holding them up?",
            )
        )
    for campaign, towns in b.towns_without_campaign_event.items():
        zh, en = vocab.CAMPAIGNS[campaign]
        qs.append(
            (
                f"{zh}期间以下镇街没有普法活动记录：{'、'.join(towns)}。",
                f"No legal-awareness event on {en} in: {', '.join(towns)}.",
            )
        )
    for metric, (target, _source) in b.targets.items():
        value = m.get(metric)
        if value is not None and not pd.isna(value) and value < target:
            zh, en, _ = vocab.METRICS[metric]
            qs.append(
                (
                    f"{zh}为 {value:g}，低于目标 {target:g}：差距如何弥补？",
                    f"{en} is {value:g}, below the target of {target:g}: how will the gap close?",
                )
            )
    for rec in b.recommendations[b.recommendations["overdue"]].to_dict("records"):
        qs.append(
            (
                f"视察意见“{rec['text'][:24]}…”应于 {rec['due_date']:%Y-%m-%d} 前办结，目前仍未办结：进展如何？",
                f"The recommendation “{rec['text'][:24]}…” was due by {rec['due_date']:%Y-%m-%d} and is still open: what is the progress?",
            )
        )
    return qs


def must_visit_households(records: Records) -> pd.DataFrame:
    """Households in any must-visit group."""
    hh = records["household"]
    return hh[hh["categories"].map(is_must_visit)]
