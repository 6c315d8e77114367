"""Inspections (视察) and recommendations (意见建议): recording them, answering them, following up.

An inspection with its findings and recommendations is written in one transaction. Ids carry
the date and a random part (uuid4), so several Voila sessions recording at once never write over
each other. Every status change or response is appended to `recommendation_update` as well as
set on the recommendation, so two people answering the same recommendation at once both keep
their answer in its history.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping

import pandas as pd

from hehu.clock import local_today
from hehu.clock import zone as clock_zone
from hehu.disclosure import current_role, current_unit
from hehu.errors import HehuError, InvalidRecord
from hehu.figures.metrics import Records, overdue, parse_date
from hehu.i18n import audit_what, join_list
from hehu.oversight import free_text
from hehu.oversight.cycle import Actor, require
from hehu.records import vocab
from hehu.records.gazetteer import codes_above
from hehu.records.schema import first_unit
from hehu.records.store import Store

# 48 random bits: a collision would need millions of inspections on one day.
_RANDOM_HEX = 12


def new_inspection_id(day: dt.date) -> str:
    """A fresh inspection id: INS-<date>-<random>."""
    return f"INS-{day:%Y-%m-%d}-{uuid.uuid4().hex[:_RANDOM_HEX]}"


def _as_day(value) -> dt.date | None:
    if value is None or value == "" or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, dt.datetime | pd.Timestamp):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return parse_date(str(value)).date()


def _text(value) -> str:
    return free_text.kept(value)


def validate_inspection(
    records: Records,
    *,
    date,
    committee: str,
    deputies: str = "",
    places: Iterable[str] = (),
    orgs: Iterable[str] = (),
    summary: str = "",
    findings: Iterable[Mapping | str] = (),
    recommendations: Iterable[Mapping] = (),
    today: dt.date | None = None,
) -> list[tuple[str, str]]:
    """What is wrong with an inspection before it is saved, as (zh, en) messages; [] if nothing.
    No text of it may hold a personal number (`free_text`)."""
    problems: list[tuple[str, str] | None] = []
    for what, text in (("committee", committee), ("deputies", deputies), ("summary", summary)):
        problems.append(free_text.problem(what, text))
    today = today or local_today()
    try:
        day = _as_day(date)
    except HehuError:
        day = None
        problems.append(("视察日期格式不正确（应为 YYYY-MM-DD）", "bad inspection date"))
    else:
        if day is None:
            problems.append(("请填写视察日期", "give the date of the inspection"))
        elif day > today:
            problems.append(("视察日期不能晚于今天", "the inspection date is in the future"))
    if not _text(committee):
        problems.append(("请填写组织视察的委员会", "give the committee that inspected"))
    places, orgs = list(places), list(orgs)
    if not places and not orgs:
        problems.append(
            ("请至少选择一个视察地点或组织", "choose at least one place or organisation")
        )
    known_places = set(records.places["code"])
    known_orgs = set(records["org"]["org_id"])
    for code in places:
        if code not in known_places:
            problems.append((f"未知的地点代码：{code}", f"unknown place code: {code}"))
    for org in orgs:
        if org not in known_orgs:
            problems.append((f"未知的组织：{org}", f"unknown organisation: {org}"))
    for n, finding in enumerate(findings, start=1):
        item = {"text": finding} if isinstance(finding, str) else finding
        problems.append(free_text.problem("finding", item.get("text"), n=n))
        if item.get("place_code") and item["place_code"] not in known_places:
            problems.append((f"第 {n} 条发现的地点代码未知", f"finding {n}: unknown place code"))
    for n, rec in enumerate(recommendations, start=1):
        if not _text(rec.get("text")):
            problems.append((f"第 {n} 条意见建议未填写内容", f"recommendation {n} has no text"))
        problems.append(free_text.problem("recommendation", rec.get("text"), n=n))
        if rec.get("place_code") and rec["place_code"] not in known_places:
            problems.append(
                (f"第 {n} 条意见建议的地点代码未知", f"recommendation {n}: unknown place code")
            )
        if rec.get("responsible_org") and rec["responsible_org"] not in known_orgs:
            problems.append(
                (f"第 {n} 条意见建议的责任单位未知", f"recommendation {n}: unknown organisation")
            )
        try:
            due = _as_day(rec.get("due_date"))
        except HehuError:
            problems.append(
                (f"第 {n} 条意见建议的办理期限格式不正确", f"recommendation {n}: bad due date")
            )
            continue
        if due is not None and day is not None and due < day:
            problems.append(
                (
                    f"第 {n} 条意见建议的办理期限早于视察日期",
                    f"recommendation {n} is due before the inspection date",
                )
            )
    return [p for p in problems if p is not None]


def record_inspection(
    store: Store,
    records: Records,
    *,
    date,
    committee: str,
    deputies: str = "",
    places: Iterable[str] = (),
    orgs: Iterable[str] = (),
    summary: str = "",
    findings: Iterable[Mapping | str] = (),
    recommendations: Iterable[Mapping] = (),
    actor: str = "staff",
) -> str:
    """Save an inspection with its findings and recommendations in ONE transaction; its id.

    Findings are texts or {text, place_code}; recommendations are {text, place_code,
    responsible_org, due_date}. A finding or recommendation without a place belongs to the
    inspection's first place (or the county). Raises InvalidRecord listing every problem, or
    HehuError if the server's role may not record one (a unit, a presenter).
    """
    # The role is the server's (the user signed in), whatever the caller: a unit's clerk or
    # the projector records nothing, even by a click sent to a hidden button.
    require(Actor(actor, current_role(), current_unit()), "record")
    places, orgs = list(places), list(orgs)
    findings = [{"text": f} if isinstance(f, str) else dict(f) for f in findings]
    findings = [f for f in findings if _text(f.get("text"))]  # blank lines are not findings
    recommendations = [dict(r) for r in recommendations]
    problems = validate_inspection(
        records,
        date=date,
        committee=committee,
        deputies=deputies,
        places=places,
        orgs=orgs,
        summary=summary,
        findings=findings,
        recommendations=recommendations,
    )
    if problems:
        raise InvalidRecord("；".join(p[0] for p in problems), "; ".join(p[1] for p in problems))
    day = _as_day(date)
    inspection_id = new_inspection_id(day)
    default_place = places[0] if places else records.root
    rec_rows = [
        {
            "rec_id": f"{inspection_id.replace('INS-', 'REC-', 1)}-{n}",
            "inspection_id": inspection_id,
            "place_code": rec.get("place_code") or default_place,
            "text": _text(rec["text"]),
            "responsible_org": rec.get("responsible_org") or None,
            "due_date": _as_day(rec.get("due_date")),
            "status": "open",
            "response": "",
        }
        for n, rec in enumerate(recommendations, start=1)
    ]
    # Version 10: a recommendation's responsible organisation is the first unit it is assigned to.
    # An association (no unit) stays unassigned, for staff to assign (交办) on the cycle's page.
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    units = vocab.unit_org_ids(zip(records["org"]["org_id"], records["org"]["kind"], strict=True))
    unit_rows = [u for r in rec_rows if (u := first_unit(r, (), units=units, at=now, by=actor))]
    finding_rows = [
        {
            "finding_id": f"{inspection_id.replace('INS-', 'FND-', 1)}-{n}",
            "inspection_id": inspection_id,
            "place_code": f.get("place_code") or default_place,
            "text": _text(f["text"]),
        }
        for n, f in enumerate(findings, start=1)
    ]
    store.write(
        {
            "inspection": [
                {
                    "inspection_id": inspection_id,
                    "date": day,
                    "committee": _text(committee),
                    "deputies": _text(deputies),
                    "places": vocab.join_keys(places),
                    "orgs": vocab.join_keys(orgs),
                    "summary": _text(summary),
                }
            ],
            "finding": finding_rows,
            "recommendation": rec_rows,
            "recommendation_unit": unit_rows,
        },
        audit={
            "action": "edit",
            "what": audit_what(
                "inspection", id=inspection_id, findings=len(finding_rows), recs=len(rec_rows)
            ),
            "places": vocab.join_keys(places),
            "actor": actor,
        },
    )
    return inspection_id


def recommendations_for_place(
    records: Records,
    code: str | None = None,
    *,
    as_of: dt.date | pd.Timestamp | None = None,
    open_only: bool = True,
) -> pd.DataFrame:
    """Recommendations bearing on a place: its own, those above it and those under it.

    One row per recommendation, with `inspection_date`, `place_name`, `responsible_name`,
    `relation` (self/above/below) and `overdue` (still open after its due date); overdue first.
    Only inspections held by `as_of` (default today) count, as in the metrics.
    """
    code = records.check_place(code or records.root)
    as_of = pd.Timestamp(as_of or local_today())
    above, below = _above_and_below(records, code)
    recs = _held_by(records, records["recommendation"], as_of)
    recs = recs[recs["place_code"].isin(above | below | {code})].copy()
    if open_only:
        recs = recs[recs["status"].isin(vocab.REC_OPEN_STATUSES)]
    recs["relation"] = _relation(recs["place_code"], code, above)
    recs["overdue"] = overdue(recs, as_of)
    recs["place_name"] = recs["place_code"].map(records.places.set_index("code")["name"])
    recs["responsible_name"] = recs["responsible_org"].map(
        records["org"].set_index("org_id")["name"]
    )
    return recs.sort_values(
        ["overdue", "due_date", "inspection_date"], ascending=[False, True, False]
    ).reset_index(drop=True)


def _above_and_below(records: Records, code: str) -> tuple[set[str], set[str]]:
    """The places above `code` and the places under it (neither holds `code` itself)."""
    # walked from the place, not read off `records.ancestors`: that pairs every place of the
    # gazetteer with each above it, a third of a second for a province's 38,000 places
    above = set(codes_above(records.places, code)) - {code}
    below = records.under(code) - {code}
    return above, below


def _held_by(records: Records, rows: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Rows of an inspection (recommendations, findings) with its `inspection_date` and
    `committee`, of the inspections held by `as_of` only."""
    rows = rows.merge(
        records["inspection"][["inspection_id", "date", "committee"]].rename(
            columns={"date": "inspection_date"}
        ),
        on="inspection_id",
        how="left",
    )
    return rows[rows["inspection_date"] <= as_of]


def _relation(place_codes: pd.Series, code: str, above: set[str]) -> pd.Series:
    return place_codes.map(lambda c: "self" if c == code else ("above" if c in above else "below"))


def findings_for_place(
    records: Records, code: str | None = None, *, as_of: dt.date | pd.Timestamp | None = None
) -> pd.DataFrame:
    """The findings still open on `as_of` (default today) of a place and of the places above it,
    from the inspections held by then: what its next briefing carries forward.

    One row per finding, with `inspection_date`, `committee`, `place_name` and `relation`
    (self/above); newest inspection first, each inspection's findings in their order. A finding
    is open until the day, on the county's clock, it is marked addressed (`addressed_at`, stored
    in UTC): a briefing of an earlier period still shows what was open at its end. A database
    without the column (before schema version 10) has every finding open.
    """
    code = records.check_place(code or records.root)
    as_of = pd.Timestamp(as_of or local_today())
    above, _below = _above_and_below(records, code)
    findings = records["finding"]
    findings = findings[findings["place_code"].isin(above | {code})]
    if "addressed_at" in findings.columns:
        utc = pd.to_datetime(findings["addressed_at"]).dt.tz_localize("UTC")
        addressed = utc.dt.tz_convert(clock_zone()).dt.tz_localize(None).dt.normalize()
        findings = findings[addressed.isna() | (addressed > as_of)]
    findings = _held_by(records, findings, as_of).copy()
    findings["relation"] = _relation(findings["place_code"], code, above)
    findings["place_name"] = findings["place_code"].map(records.places.set_index("code")["name"])
    # Ids end in the finding's number: sort 2 before 10.
    findings["_n"] = findings["finding_id"].str.extract(r"(\d+)$")[0].astype(float).to_numpy()
    return (
        findings.sort_values(
            ["inspection_date", "inspection_id", "_n"], ascending=[False, True, True]
        )
        .drop(columns="_n")
        .reset_index(drop=True)
    )


def inspections_frame(records: Records, lang: str = "zh") -> pd.DataFrame:
    """Every inspection, newest first, with place and organisation names and its counts."""
    inspections = records["inspection"].copy()
    names = records.places.set_index("code")["name"]
    org_names = records["org"].set_index("org_id")["name"]
    inspections["place_names"] = inspections["places"].map(
        lambda v: join_list((names.get(c, c) for c in vocab.split_keys(v)), lang)
    )
    inspections["org_names"] = inspections["orgs"].map(
        lambda v: join_list((org_names.get(o, o) for o in vocab.split_keys(v)), lang)
    )
    inspections["findings"] = (
        inspections["inspection_id"]
        .map(records["finding"].groupby("inspection_id").size())
        .fillna(0)
        .astype(int)
    )
    inspections["recommendations"] = (
        inspections["inspection_id"]
        .map(records["recommendation"].groupby("inspection_id").size())
        .fillna(0)
        .astype(int)
    )
    return inspections.sort_values(["date", "inspection_id"], ascending=False).reset_index(
        drop=True
    )


def findings_of(records: Records, inspection_id: str) -> pd.DataFrame:
    """An inspection's findings, in the order they were written."""
    findings = records["finding"]
    mine = findings[findings["inspection_id"] == inspection_id]
    # Ids end in the finding's number: sort 2 before 10.
    number = mine["finding_id"].str.extract(r"(\d+)$")[0].astype(float)
    return mine.assign(_n=number).sort_values("_n").drop(columns="_n").reset_index(drop=True)


def recommendation_history(records: Records, rec_id: str) -> pd.DataFrame:
    """Every status or response given to a recommendation, oldest first."""
    updates = records["recommendation_update"]
    return updates[updates["rec_id"] == rec_id].sort_values("at").reset_index(drop=True)
