"""Protection measures of police, procuratorate and court (告诫书, 人身安全保护令, 强制报告) and the
referral of cases between bodies ("1+N"): by agency, measure and outcome, and from body to body.

A measure is dated by its own date (issued, applied for, received) and its outcome is judged on
the period's last day, as the metrics count them (`metrics.measures_as_of`); a referral is dated
by its date and lies at its case's place.
"""

from __future__ import annotations

import pandas as pd

from hehu.figures.metrics import Period, Records, measures_as_of
from hehu.figures.tracking.common import org_names, places_under
from hehu.records import vocab

MEASURE_COLUMNS = ["agency", "measure", *vocab.MEASURE_OUTCOMES, "total"]
REFERRAL_COLUMNS = ["from_org", "to_org", "referrals"]


def measures_in(records: Records, period: Period, place: str) -> pd.DataFrame:
    """Measures dated in the period under a place, with their outcome on its last day
    (`outcome_as_of`) and the agency's name."""
    measures = records["protection_measure"]
    measures = measures[
        period.contains(measures["date"])
        & measures["place_code"].isin(places_under(records, place))
    ].copy()
    measures["outcome_as_of"] = measures_as_of(measures, period.as_of)
    measures["agency"] = measures["org_id"].map(org_names(records))
    return measures


def measures_by_agency(records: Records, period: Period, place: str) -> pd.DataFrame:
    """One row per agency and measure it took under a place in the period: how many are
    pending, issued, refused or handled on the period's last day, and in all."""
    rows = measures_in(records, period, place)
    if rows.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64") for c in MEASURE_COLUMNS}).astype(
            {"agency": object, "measure": object}
        )
    table = pd.crosstab([rows["agency"], rows["measure"]], rows["outcome_as_of"])
    table = table.reindex(columns=list(vocab.MEASURE_OUTCOMES), fill_value=0)
    table["total"] = table.sum(axis=1)
    table.columns.name = None
    out = table.astype("int64").reset_index()
    order = {m: i for i, m in enumerate(vocab.MEASURES)}
    out = out.assign(_order=out["measure"].map(order)).sort_values(["_order", "agency"])
    return out.drop(columns="_order").reset_index(drop=True)[MEASURE_COLUMNS]


def referrals_in(records: Records, period: Period, place: str) -> pd.DataFrame:
    """Referrals dated in the period of cases under a place, with the bodies' names."""
    referrals = records["referral"]
    case_place = records["case"].set_index("case_id")["place_code"]
    referrals = referrals[period.contains(referrals["date"])]
    at = referrals["case_id"].map(case_place)
    referrals = referrals[at.isin(places_under(records, place))].copy()
    names = org_names(records)
    referrals["from_org"] = referrals["from_org_id"].map(names)
    referrals["to_org"] = referrals["to_org_id"].map(names)
    return referrals


def referrals_between(records: Records, period: Period, place: str) -> pd.DataFrame:
    """Referrals under a place in the period, one row per route (from body -> to body)."""
    rows = referrals_in(records, period, place)
    if rows.empty:
        return pd.DataFrame(
            {"from_org": pd.Series(dtype=object), "to_org": pd.Series(dtype=object),
             "referrals": pd.Series(dtype="int64")}
        )  # fmt: skip
    out = rows.groupby(["from_org", "to_org"]).size().rename("referrals").reset_index()
    out["referrals"] = out["referrals"].astype("int64")
    return out.sort_values(["from_org", "to_org"]).reset_index(drop=True)[REFERRAL_COLUMNS]
