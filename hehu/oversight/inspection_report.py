"""The documents of an inspection as plain data: its 视察报告 / 审议意见 and a 交办单 per unit.

What a drafting clerk needs, in one object: the inspection (date, committee, deputies, places,
organisations), the headline figures of each place visited over the inspection's calendar year
as the document's role may see them, the figures a work report claimed for those places (or the
places above them) over periods touching that year with their check against the records, the
findings and the recommendations with the units (承办单位) they are assigned to and their
deadlines. The renderer (hehu/render/inspection_word.py) prints it and decides nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from hehu.disclosure import current_role
from hehu.errors import HehuError
from hehu.figures.cache import period_choice_key
from hehu.figures.metrics import Period, Records
from hehu.figures.places import disclosed_place_rows
from hehu.oversight.briefing import HEADLINE_METRICS
from hehu.oversight.claims.check import check_claim, disclosed_result
from hehu.oversight.claims.model import Claim, ClaimResult
from hehu.oversight.cycle import assignments
from hehu.oversight.inspections import findings_of
from hehu.records import vocab


@dataclass
class InspectionDocument:
    """An inspection with everything its report and its 交办单 print, disclosed for `role`."""

    inspection_id: str
    date: pd.Timestamp
    committee: str
    deputies: str
    summary: str
    places: list[tuple[str, str]]  # (code, name) of each place visited
    org_names: list[str]  # organisations visited
    period: Period  # the calendar year of the inspection: the figures' period
    role: str
    figures: pd.DataFrame  # one row per place visited, HEADLINE_METRICS columns, disclosed
    claims: list[ClaimResult]  # checked and disclosed
    findings: pd.DataFrame  # finding_id, place_code, place_name, text, addressed
    recommendations: pd.DataFrame  # rec_id, text, place_name, status, units: [(org_id, name, due)]

    def units(self) -> list[tuple[str, str]]:
        """(org_id, name) of every unit some recommendation is assigned to, first come first."""
        seen: dict[str, str] = {}
        for units in self.recommendations["units"]:
            for org_id, name, _due in units:
                seen.setdefault(org_id, name)
        return list(seen.items())

    def recommendations_of(self, org_id: str) -> pd.DataFrame:
        """The recommendations assigned to one unit, each with that unit's deadline as `due`."""
        rows = []
        for rec in self.recommendations.to_dict("records"):
            for unit_id, _name, due in rec["units"]:
                if unit_id == org_id:
                    rows.append({**rec, "due": due})
        return pd.DataFrame(rows, columns=[*self.recommendations.columns, "due"])


def _timestamp(day) -> pd.Timestamp | None:
    return None if day is None or pd.isna(day) else pd.Timestamp(day)


def _assigned_units(records: Records, recs: pd.DataFrame) -> pd.Series:
    """Each recommendation's units as [(org_id, name, due date in force)], from the cycle's
    assignments; a recommendation assigned to nobody (one imported, say) shows its responsible
    organisation and due date, as every older reader does."""
    names = records["org"].set_index("org_id")["name"]
    assigned = assignments(records).sort_values(["rec_id", "assigned_at", "org_id"])
    by_rec: dict[str, list] = {}
    for row in assigned.to_dict("records"):
        by_rec.setdefault(row["rec_id"], []).append(
            (row["org_id"], str(row["unit_name"]), _timestamp(row["due_date"]))
        )
    units = []
    for rec in recs.to_dict("records"):
        mine = by_rec.get(rec["rec_id"])
        if not mine and isinstance(rec["responsible_org"], str) and rec["responsible_org"]:
            org = rec["responsible_org"]
            mine = [(org, str(names.get(org, org)), _timestamp(rec["due_date"]))]
        units.append(mine or [])
    return pd.Series(units, index=recs.index, dtype=object)


def _relevant_claims(records: Records, codes: list[str], period: Period) -> list[Claim]:
    """Claims about the places visited or a place above them, over periods touching `period`:
    the work report's figures the inspection weighs (a county's report covers its towns)."""
    ancestors = records.ancestors
    around = set(ancestors.loc[ancestors["code"].isin(codes), "ancestor"]) | set(codes)
    claims = records["claim"]
    claims = claims[
        claims["place_code"].isin(around)
        & (pd.to_datetime(claims["period_start"]) <= period.end)
        & (pd.to_datetime(claims["period_end"]) >= period.start)
    ]
    return [
        Claim(
            row=n,
            document=c["document"],
            metric=c["metric"],
            place_code=c["place_code"],
            period=Period.of(c["period_start"], c["period_end"]),
            value=float(c["value"]),
            tolerance=float(c["tolerance"] or 0),
            claim_id=c["claim_id"],
        )
        for n, c in enumerate(claims.sort_values("claim_id").to_dict("records"), start=1)
    ]


def inspection_document(
    records: Records, inspection_id: str, role: str | None = None
) -> InspectionDocument:
    """Assemble an inspection's documents; HehuError (in Chinese) if there is no such inspection."""
    role = role or current_role()
    inspections = records["inspection"]
    found = inspections[inspections["inspection_id"] == inspection_id]
    if found.empty:
        raise HehuError(f"未找到视察记录：{inspection_id}", f"no such inspection: {inspection_id}")
    row = found.iloc[0]
    date = pd.Timestamp(row["date"])
    period = Period.year(date.year)
    names = records.places.set_index("code")["name"]
    codes = [c for c in vocab.split_keys(row["places"]) if c in names.index]
    org_names = records["org"].set_index("org_id")["name"]
    figures = disclosed_place_rows(records, period_choice_key(period), role, codes)
    figures = figures.reindex(index=codes, columns=HEADLINE_METRICS)
    claims = [
        disclosed_result(records, check_claim(records, c), role)
        for c in _relevant_claims(records, codes, period)
    ]
    findings = findings_of(records, inspection_id)
    findings = findings.assign(
        place_name=findings["place_code"].map(names),
        addressed=findings["addressed_at"].notna(),
    )
    recs = records["recommendation"]
    recs = recs[recs["inspection_id"] == inspection_id].copy()
    # Ids end in the recommendation's number (REC-2022-05-18-10): 2 before 10, as it was written.
    number = recs["rec_id"].str.extract(r"(\d+)$")[0].astype(float)
    recs = recs.assign(_n=number).sort_values(["_n", "rec_id"]).drop(columns="_n")
    recs["place_name"] = recs["place_code"].map(names)
    recs["units"] = _assigned_units(records, recs)
    return InspectionDocument(
        inspection_id=inspection_id,
        date=date,
        committee=str(row["committee"]),
        deputies=str(row["deputies"] or ""),
        summary=str(row["summary"] or ""),
        places=[(c, str(names[c])) for c in codes],
        org_names=[str(org_names.get(o, o)) for o in vocab.split_keys(row["orgs"])],
        period=period,
        role=role,
        figures=figures,
        claims=claims,
        findings=findings.reset_index(drop=True),
        recommendations=recs.reset_index(drop=True),
    )
