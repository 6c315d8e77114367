"""Checking claims against the records, and a result as a role may see it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from hehu.disclosure import is_hidden, sees_exact_counts
from hehu.errors import HehuError
from hehu.figures.cache import period_choice_key
from hehu.figures.metrics import (
    Records,
    metrics_by_place,
)
from hehu.figures.places import choosable_periods, disclosed_place_figures
from hehu.oversight.claims.behind import source_records
from hehu.oversight.claims.model import Claim, ClaimResult
from hehu.oversight.claims.reading import parse_claim, read_claims_table
from hehu.records import vocab

# --------------------------------------------------------------------------- checking

_EPSILON = 1e-9


def check_claim(records: Records, claim: Claim) -> ClaimResult:
    """Recompute one claim from the records and give it a status."""
    kind = vocab.METRICS[claim.metric][2]
    raw = metrics_by_place(records, claim.period).at[claim.place_code, claim.metric]
    computed = None if pd.isna(raw) else (round(float(raw), 4) if kind == "rate" else int(raw))
    if (
        computed is None
        or source_records(records, claim.metric, claim.place_code, claim.period).empty
    ):
        # With nothing recorded, a computed 0 says nothing about the claim: report no value.
        status, computed = "no_records", None
    elif abs(computed - claim.value) <= _EPSILON:
        status = "matched"
    elif abs(computed - claim.value) <= claim.tolerance + _EPSILON:
        status = "within_tolerance"
    else:
        status = "not_supported"
    return ClaimResult(
        row=claim.row,
        document=claim.document,
        metric=claim.metric,
        place_code=claim.place_code,
        place_name=_place_name(records, claim.place_code),
        period_start=_day(claim.period.start),
        period_end=_day(claim.period.end),
        claimed=claim.value,
        tolerance=claim.tolerance,
        computed=computed,
        status=status,
        note=claim.note,
        claim=claim,
    )


def check_claims(records: Records, table: pd.DataFrame) -> list[ClaimResult]:
    """Check every row of a claims table; unreadable rows come back with status 'invalid'."""
    results = []
    for row in table.to_dict("records"):
        try:
            claim = parse_claim(records, row)
        except HehuError as exc:
            results.append(_invalid_result(records, row, exc.zh))
            continue
        results.append(check_claim(records, claim))
    return results


def check_claims_file(
    records: Records, source: str | Path | bytes, filename: str | None = None
) -> list[ClaimResult]:
    """Read a claims file (path or bytes) and check every claim in it."""
    return check_claims(records, read_claims_table(source, filename))


def results_frame(results: list[ClaimResult]) -> pd.DataFrame:
    """Results as a frame, one row per claim (for pandas users and exports)."""
    return pd.DataFrame(
        [{**r.as_dict(), "difference": r.difference, "note": r.note} for r in results]
    )


def _invalid_result(records: Records, row: dict, message: str) -> ClaimResult:
    place = row.get("place", "")
    return ClaimResult(
        row=int(row["row"]),
        document=row.get("document", ""),
        metric=row.get("metric", ""),
        place_code=place,
        place_name=_place_name(records, place),
        period_start=row.get("period_start", "") or row.get("period", ""),
        period_end=row.get("period_end", ""),
        claimed=None,
        tolerance=0.0,
        computed=None,
        status="invalid",
        error=message,
        note=row.get("note", ""),
    )


def _place_name(records: Records, code: str) -> str:
    names = records.cached(
        ("claims", "place_names"), lambda: records.places.set_index("code")["name"]
    )
    return str(names.get(code, ""))


def _day(stamp: pd.Timestamp | None) -> str:
    return "" if stamp is None else stamp.strftime("%Y-%m-%d")


def disclosed_result(records: Records, result: ClaimResult, role: str) -> ClaimResult:
    """A claim's check as a role may see it: a computed count of people as disclosed for its
    place and period (the same figure the overview and briefing show); when that is hidden,
    neither the difference nor the status may tell it, so the status is 'not_disclosed' (or
    'period_not_offered' for a period no page offers).

    A claim with nothing recorded is judged the same way: in a period no page offers every
    count is hidden, zeros included, so "no records" would tell a typed day's zeros from its
    ones; in a period the pages offer it is the 0 they show (a complement is never 0 there)."""
    if sees_exact_counts(role) or result.claim is None:
        return result
    if vocab.METRICS.get(result.metric, ("", "", "number"))[2] == "number":
        return result
    claim = result.claim
    period_key = period_choice_key(claim.period)
    shown = disclosed_place_figures(records, period_key, role).at[claim.place_code, result.metric]
    if not is_hidden(shown):
        return result
    offered = period_key in choosable_periods(records)
    return replace(
        result, computed=shown, status="not_disclosed" if offered else "period_not_offered"
    )
