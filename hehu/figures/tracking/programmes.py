"""Every programme of the source by who ran it and how: the laws and channels of legal events
(the WeChat columns by name), the deputies' own outreach, the host body of each station and
studio, screening by agency, visits by organisation and the women's deliberation brands.

Pure pandas over `Records`. A frame read from an older store, or made by hand, may lack the
columns of schema version 7: they read as empty (no law, on site, no host, no agency).
"""

from __future__ import annotations

import pandas as pd

from hehu.figures.metrics import Period, Records, with_place
from hehu.figures.tracking.common import org_names, places_under, township_of
from hehu.records import vocab

DEPUTIES_KIND = "deputies"  # vocab.ORG_KINDS: 人大代表工作小组, whose events are their own outreach
NO_LAW = ""  # the row of events with no law recorded
NO_ORG = ""  # the row of screenings with no agency recorded


def _column(frame: pd.DataFrame, name: str, default) -> pd.Series:
    """A column of a frame, or `default` on every row where the frame has none."""
    if name in frame:
        return frame[name]
    return pd.Series(default, index=frame.index, dtype=object)


def _orgs(records: Records) -> pd.DataFrame:
    return records["org"]


def events_under(records: Records, period: Period, place: str) -> pd.DataFrame:
    """Legal events held under a place in the period, with their laws, channel and column."""
    events = records["event"]
    events = events[
        period.contains(events["date"]).to_numpy(dtype=bool)
        & events["place_code"].isin(places_under(records, place)).to_numpy(dtype=bool)
    ].copy()
    events["laws"] = _column(events, "laws", "").fillna("").astype(str)
    events["channel"] = _column(events, "channel", "on_site").fillna("on_site").astype(str)
    events["column_name"] = _column(events, "column_name", "").fillna("").astype(str)
    events["audience"] = events["audience"].astype("float64").fillna(0).astype("int64")
    return events


def events_by_law(records: Records, period: Period, place: str) -> pd.DataFrame:
    """Per law publicised (vocab.LAWS order, then no law recorded): events and audience (人次).

    An event publicising several laws counts under each of them, so the rows can add up to
    more than the events held.
    """
    events = events_under(records, period, place)
    rows = []
    for law in [*vocab.LAWS, NO_LAW]:
        if law:
            has = events["laws"].map(lambda keys, k=law: k in vocab.split_keys(keys))
        else:
            has = events["laws"] == ""
        chosen = events[has.to_numpy(dtype=bool)]
        if len(chosen):
            rows.append(
                {"law": law, "events": len(chosen), "audience": int(chosen["audience"].sum())}
            )
    return pd.DataFrame(rows, columns=["law", "events", "audience"]).astype(
        {"events": "int64", "audience": "int64"}
    )


def events_by_channel(records: Records, period: Period, place: str) -> pd.DataFrame:
    """Per channel (on site, each WeChat column by name, video): events, audience, orgs.

    Rows: channel, column_name ('' where none is named), events, audience (人次), how many
    organisations ran them (orgs) and their names (org_names, a tuple), and the forms the events
    took (formats: keys of vocab.EVENT_FORMATS in its order, a tuple: 文艺演出, 发放资料 …).
    """
    events = events_under(records, period, place)
    columns = ["channel", "column_name", "events", "audience", "orgs", "org_names", "formats"]
    if events.empty:
        return pd.DataFrame(columns=columns)
    names = org_names(records)
    grouped = events.groupby(["channel", "column_name"], sort=False)
    out = grouped.agg(events=("event_id", "size"), audience=("audience", "sum")).reset_index()
    out["org_names"] = [
        tuple(sorted({str(names.get(o, o)) for o in group["org_id"]})) for _, group in grouped
    ]
    out["orgs"] = out["org_names"].map(len).astype("int64")
    out["formats"] = [
        tuple(f for f in vocab.EVENT_FORMATS if f in set(group["format"])) for _, group in grouped
    ]
    order = {c: i for i, c in enumerate(vocab.EVENT_CHANNELS)}
    out["_order"] = out["channel"].map(order).fillna(len(order))
    out = out.sort_values(["_order", "events", "column_name"], ascending=[True, False, True])
    out = out.drop(columns="_order").reset_index(drop=True)
    return out.astype({"events": "int64", "audience": "int64"})[columns]


def deputies_outreach(records: Records, period: Period, place: str) -> pd.DataFrame:
    """The deputies' own outreach (人大代表田间地头普法): per deputies' working group, its
    events under a place in the period, the villages and towns reached, audience and laws."""
    columns = ["org_id", "org_name", "events", "villages", "towns", "audience", "laws"]
    orgs = _orgs(records)
    groups = orgs.loc[orgs["kind"] == DEPUTIES_KIND, "org_id"]
    events = events_under(records, period, place)
    events = events[events["org_id"].isin(groups).to_numpy(dtype=bool)]
    if events.empty:
        return pd.DataFrame(columns=columns)
    levels = records.places.set_index("code")["level"]
    towns = township_of(records)
    rows = []
    for org_id, group in events.groupby("org_id"):
        codes = group["place_code"]
        rows.append(
            {
                "org_id": org_id,
                "org_name": org_names(records).get(org_id, org_id),
                "events": len(group),
                "villages": int(codes[codes.map(levels).isin(vocab.VILLAGE_LEVELS)].nunique()),
                "towns": int(codes.map(towns).dropna().nunique()),
                "audience": int(group["audience"].sum()),
                "laws": vocab.join_keys(
                    k for keys in group["laws"] for k in vocab.split_keys(keys)
                ),
            }
        )
    out = pd.DataFrame(rows, columns=columns)
    return out.sort_values(["events", "org_name"], ascending=[False, True]).reset_index(drop=True)


def station_hosts(records: Records, place: str) -> pd.DataFrame:
    """Stations and studios sited under a place with the body each is run by (主办单位).

    Rows: org_id, name, kind, level, place_name, host_org_id ('' for none recorded),
    host_name, host_kind; county-level first, then by name.
    """
    columns = ["org_id", "name", "kind", "level", "place_name", "host_org_id", "host_name"]
    columns.append("host_kind")
    orgs = _orgs(records)
    stations = orgs[
        orgs["kind"].isin(vocab.STATION_KINDS).to_numpy(dtype=bool)
        & orgs["place_code"].isin(places_under(records, place)).to_numpy(dtype=bool)
    ].copy()
    if stations.empty:
        return pd.DataFrame(columns=columns)
    by_id = orgs.set_index("org_id")
    stations["host_org_id"] = _column(stations, "host_org_id", "").fillna("").astype(str)
    stations["host_name"] = stations["host_org_id"].map(by_id["name"]).fillna("").astype(str)
    stations["host_kind"] = stations["host_org_id"].map(by_id["kind"]).fillna("").astype(str)
    stations["place_name"] = stations["place_code"].map(records.places.set_index("code")["name"])
    order = {level: i for i, level in enumerate(vocab.ORG_LEVELS)}
    stations["_order"] = stations["level"].map(order)
    stations = stations.sort_values(["_order", "kind", "name"], ascending=[True, False, True])
    return stations[columns].reset_index(drop=True)


def visits_by_org(records: Records, period: Period, place: str) -> pd.DataFrame:
    """Per visiting organisation: visits to households under a place in the period, households
    visited, and among them households of a mother in difficulty (困难母亲)."""
    columns = ["org_id", "org_name", "org_kind", "visits", "households", "difficult_mothers"]
    visits = records["visit"]
    visits = with_place(
        visits[period.contains(visits["date"]).to_numpy(dtype=bool)],
        records.household_place,
        "household_id",
    )
    visits = visits[visits["place_code"].isin(places_under(records, place)).to_numpy(dtype=bool)]
    if visits.empty:
        return pd.DataFrame(columns=columns)
    households = records["household"].set_index("household_id")["categories"]
    mothers = (
        visits["household_id"]
        .map(households)
        .fillna("")
        .map(lambda c: "difficult_mother" in vocab.split_keys(c))
    )
    orgs = _orgs(records).set_index("org_id")
    grouped = visits.groupby("org_id")
    out = pd.DataFrame(
        {
            "visits": grouped.size(),
            "households": grouped["household_id"].nunique(),
            "difficult_mothers": visits[mothers.to_numpy(dtype=bool)]
            .groupby("org_id")["household_id"]
            .nunique(),
        }
    ).fillna(0)
    out = out.reset_index()
    out["org_name"] = out["org_id"].map(orgs["name"]).fillna(out["org_id"])
    out["org_kind"] = out["org_id"].map(orgs["kind"]).fillna("")
    out = out.astype({"visits": "int64", "households": "int64", "difficult_mothers": "int64"})
    out = out.sort_values(["households", "org_name"], ascending=[False, True])
    return out[columns].reset_index(drop=True)


def screenings_by_org(records: Records, period: Period, place: str) -> pd.DataFrame:
    """Per screening agency (排查单位; '' where none is recorded): households under a place
    screened in the period, and those screened high-risk."""
    columns = ["org_id", "org_name", "org_kind", "screened", "high_risk"]
    screenings = records["screening"]
    screenings = with_place(
        screenings[period.contains(screenings["date"]).to_numpy(dtype=bool)],
        records.household_place,
        "household_id",
    )
    screenings = screenings[
        screenings["place_code"].isin(places_under(records, place)).to_numpy(dtype=bool)
    ].copy()
    if screenings.empty:
        return pd.DataFrame(columns=columns)
    screenings["org_id"] = _column(screenings, "org_id", NO_ORG).fillna(NO_ORG).astype(str)
    high = screenings["risk_level"] == "high"
    grouped = screenings.groupby("org_id")
    out = pd.DataFrame(
        {
            "screened": grouped["household_id"].nunique(),
            "high_risk": screenings[high.to_numpy(dtype=bool)]
            .groupby("org_id")["household_id"]
            .nunique(),
        }
    ).fillna(0)
    out = out.astype("int64").reset_index()
    orgs = _orgs(records).set_index("org_id")
    out["org_name"] = out["org_id"].map(orgs["name"]).fillna("")
    out["org_kind"] = out["org_id"].map(orgs["kind"]).fillna("")
    out["_none"] = out["org_id"] == NO_ORG  # the unrecorded row last
    out = out.sort_values(["_none", "screened", "org_name"], ascending=[True, False, True])
    return out[columns].reset_index(drop=True)


def deliberation_brands(records: Records, period: Period, place: str) -> pd.DataFrame:
    """The women's deliberation brands (妇女议事会: 巾帼花, 幸福港湾…) under a place in the
    period, per brand and town: meetings, distinct topics (and the topics themselves),
    participants (人次) and disputes resolved (unrecorded counts as 0); topic_list is a tuple."""
    columns = ["brand", "town_code", "town_name", "meetings", "topics", "topic_list"]
    columns += ["participants", "disputes_resolved"]
    meetings = records["deliberation"]
    meetings = meetings[
        period.contains(meetings["date"]).to_numpy(dtype=bool)
        & meetings["place_code"].isin(places_under(records, place)).to_numpy(dtype=bool)
    ].copy()
    if meetings.empty:
        return pd.DataFrame(columns=columns)
    meetings["town_code"] = meetings["place_code"].map(township_of(records)).fillna("")
    names = records.places.set_index("code")["name"]
    meetings["participants"] = meetings["participants"].astype("float64").fillna(0)
    disputes = _column(meetings, "disputes_resolved", None)
    meetings["disputes_resolved"] = pd.to_numeric(disputes, errors="coerce").fillna(0)
    rows = []
    for (brand, town), group in meetings.groupby(["brand", "town_code"], sort=True):
        topics = [str(t) for t in dict.fromkeys(group["topic"].dropna()) if str(t).strip()]
        rows.append(
            {
                "brand": brand,
                "town_code": town,
                "town_name": str(names.get(town, "")) if town else "",
                "meetings": len(group),
                "topics": len(topics),
                "topic_list": tuple(topics),
                "participants": int(group["participants"].sum()),
                "disputes_resolved": int(group["disputes_resolved"].sum()),
            }
        )
    out = pd.DataFrame(rows, columns=columns)
    return out.sort_values(["brand", "town_code"]).reset_index(drop=True)
