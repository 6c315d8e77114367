"""The figure check (报告数据核对): the figures a work report states, recomputed from the records.

A claims file (CSV or xlsx, Chinese or English headers) holds one figure per row: the document it
comes from, the metric (a key of `vocab.METRICS` or its Chinese label), the place (a code or an
unambiguous name), the period, the claimed value and a tolerance. Each claim gets one status:

- ``matched``: the records give exactly the claimed value;
- ``within_tolerance``: they differ by no more than the tolerance;
- ``not_supported``: they differ by more;
- ``no_records``: no records of that kind exist for the place and period, so nothing can be said;
- ``invalid``: the row itself cannot be read (unknown metric or place, bad period or number);
  reported per row in Chinese, never as a crash.

Values may be written as in a report: ``90``, ``18,000``, ``1.8万``, ``90起``; rates as ``0.95``
or ``95%``. A tolerance written ``5%`` means 5 % of the claimed value (for a rate: 5 percentage
points). `extract_claims` proposes claims from a report's pasted text (its figures, metrics,
places and periods) for the user to confirm. `records_behind` gives the aggregated records a computed value rests on.
"""

from hehu.oversight.claims.behind import (
    BEHIND_COLUMNS,
    BEHIND_FIGURES,
    PEOPLE_COLUMNS,
    disclosed_behind,
    records_behind,
    source_records,
)
from hehu.oversight.claims.check import (
    check_claim,
    check_claims,
    check_claims_file,
    disclosed_result,
    results_frame,
)
from hehu.oversight.claims.extract import (
    CLAIM_COLUMNS,
    ProposedClaim,
    claims_table,
    extract_claims,
    read_report_file,
    report_text,
)
from hehu.oversight.claims.model import (
    EXAMPLE_CLAIMS,
    STATUSES,
    Claim,
    ClaimResult,
    ClaimRowError,
    plain_number,
    status_label,
)
from hehu.oversight.claims.reading import (
    COLUMN_ALIASES,
    REQUIRED_COLUMNS,
    canonical_column,
    parse_claim,
    parse_claim_period,
    parse_number,
    read_claims_table,
    resolve_metric,
    resolve_place,
)

__all__ = [
    "EXAMPLE_CLAIMS",
    "STATUSES",
    "ClaimRowError",
    "Claim",
    "ClaimResult",
    "status_label",
    "COLUMN_ALIASES",
    "REQUIRED_COLUMNS",
    "canonical_column",
    "read_claims_table",
    "parse_number",
    "parse_claim_period",
    "resolve_metric",
    "resolve_place",
    "parse_claim",
    "check_claim",
    "check_claims",
    "check_claims_file",
    "results_frame",
    "plain_number",
    "disclosed_result",
    "PEOPLE_COLUMNS",
    "BEHIND_COLUMNS",
    "source_records",
    "records_behind",
    "BEHIND_FIGURES",
    "disclosed_behind",
    "CLAIM_COLUMNS",
    "ProposedClaim",
    "extract_claims",
    "claims_table",
    "read_report_file",
    "report_text",
]
