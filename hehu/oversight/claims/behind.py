"""The records behind a claim's computed value: aggregated (no person-level rows), and for
roles that see aggregates only, the disclosed figures place by place."""

from __future__ import annotations

import pandas as pd

from hehu.figures.cache import period_choice_key
from hehu.figures.metrics import (
    MEASURE_METRICS,
    PROTECTION_METRICS,
    Period,
    Records,
    active_pairings,
    high_risk_without_follow_up,
    is_left_behind_child,
    is_must_visit,
    measures_as_of,
)
from hehu.figures.places import disclosed_place_figures
from hehu.figures.tracking import child_codes, own_row_code
from hehu.oversight.claims.model import Claim, ClaimRowError
from hehu.records import vocab
from hehu.records.gazetteer import codes_under

# Metrics whose drill-down columns count people, cases or households: small cells are hidden
# from deputies and presenters. Sessions, attendances (人次) and places are not people.
PEOPLE_COLUMNS = ("cases", "resolved", "children", "households", "visits", "pairings", "lapsed",
                  "must_visit", "visited", "screened", "high_risk", "unfollowed",
                  "measures")  # fmt: skip

# Labels of the drill-down columns (zh, en).
BEHIND_COLUMNS: dict[str, tuple[str, str]] = {
    "month": ("月份", "month"),
    "area": ("地区", "area"),
    "org": ("组织", "organisation"),
    "orgs": ("结对组织", "pairing organisations"),
    "unit": ("单位", "unit"),
    "campaign": ("活动", "campaign"),
    "format": ("形式", "format"),
    "kind": ("类型", "kind"),
    "place": ("地点", "place"),
    "cases": ("接访事项", "cases"),
    "resolved": ("化解或转介", "resolved or referred"),
    "events": ("场次", "events"),
    "audience": ("受众人次", "audience"),
    "sessions": ("场次", "sessions"),
    "attendance": ("受教育人次", "attendance"),
    "children": ("儿童数", "children"),
    "households": ("家庭数", "households"),
    "visits": ("走访次数", "visits"),
    "pairings": ("结对数", "pairings"),
    "lapsed": ("逾期未联系", "lapsed"),
    "must_visit": ("必访家庭", "must-visit households"),
    "visited": ("已走访", "visited"),
    "screened": ("排查家庭", "households screened"),
    "high_risk": ("高风险", "high risk"),
    "unfollowed": ("高风险未跟进", "high risk, no follow-up"),
    "measures": ("措施数", "measures"),
    "to_org": ("接收单位", "to"),
    "text": ("意见建议", "recommendation"),
    "due_date": ("办理期限", "due"),
    "status": ("状态", "status"),
}


# --------------------------------------------------------------------------- records behind

_VISIT_METRICS = ("towns", "subdistricts", "key_villages", "households_visited")
_MUST_VISIT_METRICS = ("households_must_visit", "must_visit_coverage")
_CASE_METRICS = ("cases_received", "cases_resolved", "resolution_rate")
_EVENT_METRICS = ("legal_events", "legal_lectures", "legal_audience")
_COURSE_METRICS = ("course_sessions", "course_attendance", "key_villages_with_course")
_PAIRING_METRICS = ("pairings_active", "pairings_lapsed")
_SCREENING_METRICS = ("households_screened", "high_risk_without_follow_up")
_REC_METRICS = ("recommendations_open", "recommendations_overdue")


def _under(records: Records, code: str) -> set[str]:
    return records.cached(("claims", "under", code), lambda: codes_under(records.places, code))


def _in_place(frame: pd.DataFrame, records: Records, code: str) -> pd.DataFrame:
    return frame[frame["place_code"].isin(_under(records, code))]


def source_records(records: Records, metric: str, code: str, period: Period) -> pd.DataFrame:
    """The records a metric is computed from, for a place (and all under it) and a period.

    The same selection as `metrics.metrics_by_place`; for rates, the denominator's records.
    Empty means there is nothing to check a claim against ('no_records').
    """
    if metric in _VISIT_METRICS:
        visits = records["visit"]
        visits = visits[period.contains(visits["date"])].assign(
            place_code=lambda f: f["household_id"].map(records.household_place)
        )
        return _in_place(visits, records, code)
    if metric in _MUST_VISIT_METRICS:
        households = records["household"]
        # astype(bool): with no rows, map gives objects, and a frame indexed with them loses
        # its columns instead of its rows
        must = households[households["categories"].map(is_must_visit).astype(bool)]
        return _in_place(must, records, code)
    if metric == "stations":
        orgs = records["org"]
        return _in_place(orgs[orgs["kind"].isin(vocab.STATION_KINDS)], records, code)
    if metric in _CASE_METRICS:
        cases = records["case"]
        return _in_place(cases[period.contains(cases["received_date"])], records, code)
    if metric in _EVENT_METRICS:
        events = records["event"]
        events = events[period.contains(events["date"])]
        if metric == "legal_lectures":
            events = events[events["format"] == "lecture"]
        return _in_place(events, records, code)
    if metric in _COURSE_METRICS:
        courses = records["course"]
        return _in_place(courses[period.contains(courses["date"])], records, code)
    if metric in ("left_behind_children", "left_behind_children_paired"):
        persons = records["person"]
        left_behind = persons[persons["categories"].map(is_left_behind_child).astype(bool)]
        if metric == "left_behind_children":
            return _in_place(left_behind, records, code)
        pairings = records["pairing"].assign(
            place_code=lambda f: f["person_id"].map(records.person_place)
        )
        overlaps = pairings["person_id"].isin(set(left_behind["person_id"]))
        if period.end is not None:
            overlaps &= pairings["start_date"] <= period.end
        if period.start is not None:
            overlaps &= pairings["end_date"].isna() | (pairings["end_date"] >= period.start)
        return _in_place(pairings[overlaps], records, code)
    if metric in _PAIRING_METRICS:
        return _in_place(active_pairings(records, period.as_of), records, code)
    if metric in _SCREENING_METRICS:
        screenings = records["screening"].assign(
            place_code=lambda f: f["household_id"].map(records.household_place)
        )
        return _in_place(screenings[period.contains(screenings["date"])], records, code)
    if metric in MEASURE_METRICS:
        measure, outcome = MEASURE_METRICS[metric]
        measures = records["protection_measure"]
        keep = period.contains(measures["date"]) & (measures["measure"] == measure)
        if outcome is not None:
            keep &= measures_as_of(measures, period.as_of) == outcome
        return _in_place(measures[keep], records, code)
    if metric == "cases_referred":
        referrals = records["referral"]
        referrals = referrals[period.contains(referrals["date"])].assign(
            place_code=lambda f: f["case_id"].map(
                records["case"].set_index("case_id")["place_code"]
            )
        )
        return _in_place(referrals, records, code)
    if metric in _REC_METRICS:
        recs = records["recommendation"].merge(
            records["inspection"][["inspection_id", "date"]], on="inspection_id", how="left"
        )
        return _in_place(recs[recs["date"] <= period.as_of], records, code)
    raise ClaimRowError(f"未知指标：“{metric}”", f"unknown metric: {metric!r}")


def _area_of(records: Records, code: str) -> dict[str, str]:
    """For every place under `code`: the name of the unit directly under `code` it lies in."""

    def build():
        parent = dict(zip(records.places["code"], records.places["parent_code"], strict=True))
        names = records.places.set_index("code")["name"]
        out = {}
        for place in _under(records, code):
            node = place
            while node != code and parent.get(node) != code:
                node = parent[node]
            out[place] = names[node]
        return out

    return records.cached(("claims", "area", code), build)


def records_behind(
    records: Records,
    claim: Claim,
    *,
    detail: bool = False,
    coarse: bool = False,
    lang: str = "zh",
) -> pd.DataFrame:
    """The records behind a claim's computed value, aggregated (no person-level rows).

    Grouped by month, organisation or the unit directly under the claim's place; columns are
    keys of BEHIND_COLUMNS, and `attrs["people_columns"]` names the columns counting people.
    `coarse=True` drops the month, leaving fewer and larger cells (for small-count hiding);
    `detail=True` gives the pseudonymous source rows themselves (for staff only).
    """
    metric, code, period = claim.metric, claim.place_code, claim.period
    rows = source_records(records, metric, code, period)
    if detail:
        return rows.reset_index(drop=True)
    area = _area_of(records, code)
    org_names = records["org"].set_index("org_id")["name"]
    names = records.places.set_index("code")["name"]
    rows = rows.copy()
    if "place_code" in rows:
        rows["area"] = rows["place_code"].map(area)

    def month(column: str) -> pd.Series:
        return rows[column].dt.strftime("%Y-%m")

    if metric in _VISIT_METRICS:
        places = records.places.set_index("code")
        if metric == "households_visited":
            key = rows["area"]
        else:
            unit_level = {"towns": "town", "subdistricts": "subdistrict"}.get(metric)
            ancestors = records.ancestors[records.ancestors["code"].isin(set(rows["place_code"]))]
            level = places.loc[ancestors["ancestor"], "level"].to_numpy()
            is_key = places.loc[ancestors["ancestor"], "key_village"].astype(bool).to_numpy()
            units = ancestors[(level == unit_level) if unit_level else is_key]
            # Units at or above the claim's place are not reached "under" it (as in metrics).
            units = units[units["ancestor"].isin(_under(records, code) - {code})]
            key = rows["place_code"].map(units.set_index("code")["ancestor"]).map(names)
            rows = rows[key.notna()]
            key = key[key.notna()]
        frame = (
            rows.assign(unit=key)
            .groupby("unit")
            .agg(households=("household_id", "nunique"), visits=("visit_id", "size"))
            .reset_index()
        )
        if metric == "households_visited":
            frame = frame.rename(columns={"unit": "area"})
    elif metric in _MUST_VISIT_METRICS:
        visits = records["visit"]
        visited = set(visits.loc[period.contains(visits["date"]), "household_id"])
        frame = (
            rows.assign(seen=rows["household_id"].isin(visited))
            .groupby("area")
            .agg(must_visit=("household_id", "size"), visited=("seen", "sum"))
            .reset_index()
        )
    elif metric == "stations":
        frame = pd.DataFrame(
            {
                "unit": rows["name"],
                "kind": rows["kind"].map(lambda k: vocab.label(vocab.ORG_KINDS, k, lang)),
                "place": rows["place_code"].map(names),
            }
        )
    elif metric in _CASE_METRICS:
        done = rows["status"].isin(vocab.CASE_DONE_STATUSES) & (rows["closed_date"] <= period.as_of)
        frame = (
            rows.assign(month=month("received_date"), org=rows["org_id"].map(org_names), done=done)
            .groupby(["org"] if coarse else ["month", "org"])
            .agg(cases=("case_id", "size"), resolved=("done", "sum"))
            .reset_index()
        )
    elif metric in _EVENT_METRICS:
        frame = (
            rows.assign(
                month=month("date"),
                campaign=rows["campaign"].map(lambda k: vocab.label(vocab.CAMPAIGNS, k, lang)),
                format=rows["format"].map(lambda k: vocab.label(vocab.EVENT_FORMATS, k, lang)),
                audience=rows["audience"].fillna(0),
            )
            .groupby(["campaign", "format"] if coarse else ["month", "campaign", "format"])
            .agg(events=("event_id", "size"), audience=("audience", "sum"))
            .reset_index()
        )
    elif metric in _COURSE_METRICS:
        if metric == "key_villages_with_course":
            key_codes = set(records.places.loc[records.places["key_village"].astype(bool), "code"])
            rows = rows[rows["place_code"].isin(key_codes)]
            group = rows["place_code"].map(names).rename("place")
            by = [group]
        else:
            by = [rows["area"]] if coarse else [month("date").rename("month"), rows["area"]]
        frame = (
            rows.groupby(by)
            .agg(sessions=("course_id", "size"), attendance=("attendance", "sum"))
            .reset_index()
        )
    elif metric == "left_behind_children":
        frame = rows.groupby("area").agg(children=("person_id", "nunique")).reset_index()
    elif metric == "left_behind_children_paired":
        frame = (
            rows.assign(org=rows["org_id"].map(org_names))
            .groupby("area")
            .agg(
                children=("person_id", "nunique"),
                orgs=("org", lambda s: "、".join(sorted(set(s.dropna())))),
            )
            .reset_index()
        )
    elif metric in _PAIRING_METRICS:
        lapse = rows["days_since_contact"] > vocab.LAPSE_DAYS_DEFAULT
        frame = (
            rows.assign(org=rows["org_id"].map(org_names), lapsed=lapse)
            .groupby(["area", "org"])
            .agg(pairings=("pairing_id", "size"), lapsed=("lapsed", "sum"))
            .reset_index()
        )
    elif metric in _SCREENING_METRICS:
        unfollowed = high_risk_without_follow_up(records, rows, period.as_of)
        frame = (
            rows.assign(
                high=rows["risk_level"].eq("high"),
                unfollowed=rows["screening_id"].isin(set(unfollowed["screening_id"])),
            )
            .groupby("area")
            .agg(
                screened=("household_id", "nunique"),
                high_risk=("high", "sum"),
                unfollowed=("unfollowed", "sum"),
            )
            .reset_index()
        )
    elif metric in MEASURE_METRICS:
        frame = (
            rows.assign(month=month("date"), org=rows["org_id"].map(org_names))
            .groupby(["org"] if coarse else ["month", "org"])
            .agg(measures=("measure_id", "size"))
            .reset_index()
        )
    elif metric == "cases_referred":
        frame = (
            rows.assign(
                org=rows["from_org_id"].map(org_names), to_org=rows["to_org_id"].map(org_names)
            )
            .groupby(["org", "to_org"])
            .agg(cases=("case_id", "nunique"))
            .reset_index()
        )
    else:  # recommendations: organisations' work, no people in them
        frame = pd.DataFrame(
            {
                "place": rows["place_code"].map(names),
                "text": rows["text"],
                "org": rows["responsible_org"].map(org_names),
                "due_date": rows["due_date"].dt.strftime("%Y-%m-%d"),
                "status": rows["status"].map(lambda k: vocab.label(vocab.REC_STATUSES, k, lang)),
            }
        )
    frame = frame.reset_index(drop=True)
    for column in frame.columns:
        if column in PEOPLE_COLUMNS or column in ("sessions", "attendance", "events", "audience"):
            frame[column] = frame[column].astype("int64")
    frame.attrs["people_columns"] = [c for c in frame.columns if c in PEOPLE_COLUMNS]
    return frame


# The place figures shown by place for a claim's metric to roles that see aggregates only.
BEHIND_FIGURES: dict[str, tuple[str, ...]] = {
    **{m: (m, "households_visited") for m in ("towns", "subdistricts", "key_villages")},
    "households_visited": ("households_visited",),
    **{m: ("households_must_visit", "must_visit_coverage") for m in _MUST_VISIT_METRICS},
    **{m: ("cases_received", "cases_resolved", "resolution_rate") for m in _CASE_METRICS},
    **{
        m: ("left_behind_children", "left_behind_children_paired")
        for m in ("left_behind_children", "left_behind_children_paired")
    },
    **{m: _PAIRING_METRICS for m in _PAIRING_METRICS},
    **{m: _SCREENING_METRICS for m in _SCREENING_METRICS},
    **dict.fromkeys(PROTECTION_METRICS, PROTECTION_METRICS),
}


def disclosed_behind(records: Records, claim: Claim, role: str, lang: str = "zh") -> pd.DataFrame:
    """The figures behind a claim, place by place under its place, as a role may see them:
    for metrics that count people, the disclosed place figures (one disclosure for every page);
    for the others (sessions, events, stations, recommendations) the records behind, grouped."""
    columns = BEHIND_FIGURES.get(claim.metric)
    if columns is None:
        return records_behind(records, claim, coarse=True, lang=lang)
    figures = disclosed_place_figures(records, period_choice_key(claim.period), role)
    code = claim.place_code
    children = [c for c in child_codes(records, code) if c in figures.index]
    own = own_row_code(code)
    rows = [*children, *([own] if own in figures.index else []), code]
    names = records.places.set_index("code")["name"]
    label = {"area": [names.get(c, "") for c in children]}
    label["area"] += [f"（{names[code]}本级）" if lang != "en" else f"({names[code]} itself)"] * (
        own in figures.index
    )
    label["area"] += ["合计" if lang != "en" else "Total"]
    out = pd.DataFrame(label)
    for column in columns:
        out[column] = figures.loc[rows, column].to_numpy()
    return out
