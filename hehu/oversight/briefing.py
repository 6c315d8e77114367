"""The briefing of one place: what a deputy reads before a site inspection, as plain data."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from hehu.disclosure import count_phrase, current_role, shown_number, shows_some
from hehu.figures.areas import chain
from hehu.figures.cache import period_choice_key
from hehu.figures.metrics import Period, Records, overdue
from hehu.figures.places import (
    MUST_VISIT_NOT_VISITED,
    SinceLastTime,
    campaign_events,
    disclosed_place_rows,
    family_column,
    place_figures,
    since_last_time,
)
from hehu.figures.splits import disclosed_station_cases
from hehu.i18n import join_list
from hehu.oversight.cycle import units_by_recommendation
from hehu.oversight.inspections import findings_for_place
from hehu.records import vocab
from hehu.records.gazetteer import in_codes
from hehu.render.formatting import format_value

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


@dataclass
class Briefing:
    """Everything on a place's briefing, as the role it was built for may see it.

    Counts of people are already disclosed (numbers, or the disclosure module's markers):
    renderers print them as they are and never decide what is small.
    """

    code: str
    name: str
    level: str
    parent_name: str | None
    period: Period
    role: str
    figures: pd.Series  # every figure of the place (place_figures columns), disclosed
    targets: dict
    key_villages: pd.DataFrame
    stations: pd.DataFrame
    open_cases_by_age: dict
    cases_by_category: dict
    events_by_campaign: pd.DataFrame
    towns_without_campaign_event: dict
    must_visit_by_group: pd.DataFrame
    recommendations: pd.DataFrame
    # open findings of the place and the places above it, from inspections held by the end
    # of the period (inspections.findings_for_place): text written by deputies, escape it
    findings: pd.DataFrame = field(default_factory=pd.DataFrame)
    # the headline figures against the previous period of the same length (None: all time)
    since: SinceLastTime | None = None
    questions: list[tuple[str, str]] = field(default_factory=list)  # (zh, en)
    # where the gazetteer's places come from, by language (gazetteer.source_credit words it)
    place_source: dict[str, str] = field(default_factory=dict)

    @property
    def metrics(self) -> dict:
        """The headline metrics as shown: {metric: number or marker}."""
        return {m: self.figures.get(m) for m in vocab.METRICS}


def _period_year(period: Period) -> int | None:
    if period.start is not None and period.end is not None and period.start.year == period.end.year:
        return period.start.year
    return None


def build_briefing(
    records: Records, code: str, period: Period, role: str | None = None
) -> Briefing:
    """Assemble the briefing of a place (county, town or village) for a period and a role."""
    records.check_place(code)
    role = role or current_role()
    places = records.places.set_index("code")
    row = places.loc[code]
    under = records.under(code)
    key = places[places["key_village"].astype(bool) & in_codes(places.index, under)]
    # the place and its key villages only, as the overview discloses them
    shown = disclosed_place_rows(
        records, period_choice_key(period), role, list(dict.fromkeys([code, *key.index]))
    )
    figures = shown.loc[code]

    year = _period_year(period)
    targets = {}
    if year is not None:
        t = records["target"]
        for rec in t[(t["place_code"] == code) & (t["year"] == year)].to_dict("records"):
            targets[rec["metric"]] = (rec["value"], rec["source"])

    raw = place_figures(records, period)
    key_villages = pd.DataFrame(
        {
            "code": key.index,
            "name": key["name"].to_numpy(),
            "town": key["parent_code"].map(places["name"]).to_numpy(),
            "course_sessions": raw["course_sessions"].reindex(key.index).to_numpy(dtype="int64"),
            "unpaired_left_behind": shown["unpaired_left_behind"].reindex(key.index).to_numpy(),
            "overdue_follow_ups": shown["overdue_follow_ups"].reindex(key.index).to_numpy(),
        }
    )
    key_villages["no_course"] = key_villages["course_sessions"] == 0

    orgs = records["org"]
    stations = orgs[orgs["kind"].isin(vocab.STATION_KINDS) & in_codes(orgs["place_code"], under)][
        ["org_id", "name", "kind", "level", "place_code"]
    ].copy()
    station_figures = disclosed_station_cases(records, period_choice_key(period), role)
    stations["cases_received"] = stations["org_id"].map(station_figures).to_numpy()
    open_cases_by_age = {
        label: figures[family_column("open_case", label)]
        for _, _, label in vocab.OPEN_CASE_AGE_BANDS
    }
    cases_by_category = {
        category: figures[family_column("case", "received", category)]
        for category in vocab.CASE_CATEGORIES
        if raw.at[code, family_column("case", "received", category)]
        or not _is_number(figures[family_column("case", "received", category)])
    }

    # from the shared figures: a city's briefing reads no event
    events = campaign_events(records, period)
    events_by_campaign = pd.DataFrame(
        [
            {
                "campaign": campaign,
                "events": int(events.at[code, f"events:{campaign}"]),
                "audience": int(events.at[code, f"audience:{campaign}"]),
            }
            for campaign in sorted(vocab.CAMPAIGNS)
            if events.at[code, f"events:{campaign}"]
        ],
        columns=["campaign", "events", "audience"],
    )
    towns_without = _towns_without_campaign_event(records, events, under)
    must_visit_by_group = pd.DataFrame(
        [
            {
                "group": group,
                "zh": zh,
                "en": en,
                "households": figures[family_column("must_visit", "households", group)],
                "visited": figures[family_column("must_visit", "visited", group)],
                "not_visited": figures[family_column("must_visit", "not_visited", group)],
            }
            for group, (zh, en, _cats) in vocab.MUST_VISIT_GROUPS.items()
        ]
    )

    briefing = Briefing(
        code=code,
        name=row["name"],
        level=row["level"],
        parent_name=places["name"].get(row["parent_code"])
        if isinstance(row["parent_code"], str)
        else None,
        period=period,
        role=role,
        figures=figures,
        targets=targets,
        key_villages=key_villages,
        stations=stations,
        open_cases_by_age=open_cases_by_age,
        cases_by_category=cases_by_category,
        events_by_campaign=events_by_campaign,
        towns_without_campaign_event=towns_without,
        must_visit_by_group=must_visit_by_group,
        recommendations=place_recommendations(records, code, period.as_of),
        findings=findings_for_place(records, code, as_of=period.as_of),
        since=since_last_time(records, code, period, role, figures, HEADLINE_METRICS),
        place_source=records.place_source,
    )
    briefing.questions = questions_to_ask(briefing)
    return briefing


def _is_number(value) -> bool:
    return shown_number(value) is not None


def _towns_without_campaign_event(
    records: Records, events: pd.DataFrame, under: set[str]
) -> dict[str, list[str]]:
    """For the three named campaign days, the townships under a place that held no event
    (`events`: `campaign_events` of the period).

    None while no event at all is recorded: with the events register not yet imported, "no
    event" says nothing about the towns, and sixteen names would only be noise.
    """
    store = getattr(records, "store", None)  # a page's records ask the store, not every event
    if not (store.has_records(["event"]) if store is not None else len(records["event"])):
        return {}
    places = records.places.set_index("code")
    townships = places[places["level"].isin(vocab.TOWNSHIP_LEVELS) & in_codes(places.index, under)]
    towns_without: dict[str, list[str]] = {}
    for campaign in ("womens_rights_week", "family_day", "anti_drug_day"):
        held = events[f"events:{campaign}"].reindex(townships.index, fill_value=0)
        missing = [places.at[c, "name"] for c in townships.index if not held[c]]
        if missing:
            towns_without[campaign] = missing
    return towns_without


def place_recommendations(records: Records, code: str, as_of: pd.Timestamp) -> pd.DataFrame:
    """Recommendations about a place, the places under it and above it, made by `as_of`,
    overdue first."""
    under = records.under(code)
    recs = records["recommendation"].merge(
        records["inspection"][["inspection_id", "date", "committee"]],
        on="inspection_id",
        how="left",
    )
    above = set(chain(records.places, code))  # itself and each place above it
    recs = recs[in_codes(recs["place_code"], under | above) & (recs["date"] <= as_of)].copy()
    recs["overdue"] = overdue(recs, as_of)
    recs["responsible_name"] = recs["responsible_org"].map(
        records["org"].set_index("org_id")["name"]
    )
    # Each unit's part of the cycle (hehu.oversight.cycle): its answer and the deputies' rating.
    units = units_by_recommendation(records, as_of=as_of)
    recs["units"] = recs["rec_id"].map(lambda rec_id: units.get(rec_id, []))
    return recs.sort_values(["overdue", "date"], ascending=[False, False])


# Questions a count asks, when it shows something: (figure, unit, zh, en); {n} is the count as
# shown ("3户", "不足5户"), {days} the lapse threshold.
COUNT_QUESTIONS = (
    (
        "unpaired_left_behind",
        "children",
        "登记的留守儿童中有{n}目前没有结对帮扶：由哪个组织负责结对？",
        "{n} among the registered left-behind children have no active pairing: which organisation will pair them?",
    ),
    (
        "pairings_lapsed",
        "pairings",
        "{n}超过 {days} 天没有联系记录：帮扶是否仍在进行？",
        "{n} have had no contact for over {days} days: is the support still happening?",
    ),
    (MUST_VISIT_NOT_VISITED, "households", "", ""),  # its own sentence, with the coverage
    (
        "overdue_follow_ups",
        "visits",
        "{n}走访的回访已逾期：为什么没有按期回访？",
        "{n} needing a follow-up are overdue: why were they not followed up on time?",
    ),
    (
        "high_risk_without_follow_up",
        "households",
        "{n}高风险家庭排查后尚未跟进走访：由谁跟进？",
        "{n} at high risk were screened but not followed up: who is following up?",
    ),
    (
        family_column("open_case", vocab.OPEN_CASE_AGE_BANDS[-1][2]),
        "cases",
        "{n}维权事项超过 90 天仍未办结：原因是什么？",
        "{n} have been open for over 90 days: what is holding them up?",
    ),
)


def _must_visit_question(f: pd.Series) -> list[tuple[str, str]]:
    """Must-visit households not visited, said with the coverage (both as shown)."""
    if not shows_some(f[MUST_VISIT_NOT_VISITED]):
        return []
    cov = shown_number(f["must_visit_coverage"])
    cov_text = "—" if cov is None else f"{cov:.0%}"
    must = f["households_must_visit"]
    return [
        (
            f"必访家庭{count_phrase(must, 'households', 'zh')}，本期走访覆盖率 {cov_text}：未走访的家庭何时走访？",
            f"Must-visit coverage is {cov_text} of {count_phrase(must, 'households', 'en')}: when will the others be visited?",
        )
    ]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def questions_to_ask(b: Briefing) -> list[tuple[str, str]]:
    """Questions generated from the gaps, so a deputy arrives prepared: (zh, en) pairs.

    Every count in them is the disclosed one: "不足5户", never the hidden number.
    """
    f, qs = b.figures, []

    no_course = b.key_villages[b.key_villages["no_course"]]
    if len(no_course):
        shown = list(no_course["name"].head(6))
        more = len(no_course) > 6
        names_zh = join_list(shown, "zh") + ("等" if more else "")
        names_en = join_list(shown, "en") + (" and others" if more else "")
        qs.append(
            (
                f"{len(no_course)} 个重点帮促村本期没有开展女童保护课程（{names_zh}）：原因是什么？何时开展？",
                f"{len(no_course)} key villages had no girls' protection course in the period ({names_en}): why, and when will they?",
            )
        )
    for column, unit, zh, en in COUNT_QUESTIONS:
        if column == MUST_VISIT_NOT_VISITED:
            qs += _must_visit_question(f)
        elif shows_some(f[column]):
            days = vocab.LAPSE_DAYS_DEFAULT
            zh_n, en_n = count_phrase(f[column], unit, "zh"), count_phrase(f[column], unit, "en")
            qs.append((zh.format(n=zh_n, days=days), _capital(en.format(n=en_n, days=days))))
    for campaign, towns in b.towns_without_campaign_event.items():
        zh, en = vocab.CAMPAIGNS[campaign]
        qs.append(
            (
                f"{zh}期间以下镇街没有普法活动记录：{'、'.join(towns)}。",
                f"No legal-awareness event on {en} in: {', '.join(towns)}.",
            )
        )
    for metric, (target, _source) in b.targets.items():
        value = shown_number(f.get(metric))
        if value is not None and value < target:
            zh, en, _ = vocab.METRICS[metric]
            qs.append(
                (
                    f"{zh}为 {format_value(value, metric)}，低于目标 "
                    f"{format_value(target, metric)}：差距如何弥补？",
                    f"{en} is {format_value(value, metric)}, below the target of "
                    f"{format_value(target, metric)}: how will the gap close?",
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
