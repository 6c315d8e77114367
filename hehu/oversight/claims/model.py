"""A report's figure (a claim), the result of its check and the statuses a result can have."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from hehu.errors import HehuError
from hehu.figures.metrics import (
    Period,
)
from hehu.records import vocab
from hehu.records.gazetteer import DATA_DIR

EXAMPLE_CLAIMS = DATA_DIR / "claims" / "lianshui_2022_report.csv"

STATUSES: dict[str, tuple[str, str]] = {
    "matched": ("相符", "matched"),
    "within_tolerance": ("在容差内", "within tolerance"),
    "not_supported": ("记录不支持", "not supported by the records"),
    "no_records": ("无相关记录", "no records"),
    "invalid": ("文件有误", "error in the file"),
    # One status for a small count and a complement (which one would tell the figure's size),
    # said so that it is true of both (a county's 40 of 46 cases resolved, hidden to protect a
    # small count elsewhere, read "涉及少数人员").
    "not_disclosed": (
        "不向本角色公开（涉及少数人员，或可推算出少数人员），无法核对",
        "not shown to your role (a count of few people, or one that would give such a count "
        "back): cannot be checked",
    ),
    # A period no page offers: every count of it is withheld from aggregate-only roles (two
    # such periods could be subtracted), whatever its size; the status says so, not "few people".
    "period_not_offered": (
        "该期间的人数不向本角色公开，请按年度或页面提供的期间核对",
        "counts over this period are not shown to your role: check by year or a period the pages offer",
    ),
}


# Canonical column -> the headers accepted for it (compared after `_header_key`).
class ClaimRowError(HehuError):
    """A row of a claims file that cannot be checked (the message says why, in Chinese)."""


@dataclass(frozen=True)
class Claim:
    """One figure from a report: a metric's claimed value for a place and period."""

    row: int
    document: str
    metric: str
    place_code: str
    period: Period
    value: float
    tolerance: float = 0.0
    note: str = ""
    claim_id: str = ""


@dataclass
class ClaimResult:
    """The check of one claim (or, with status 'invalid', why its row could not be checked)."""

    row: int
    document: str
    metric: str
    place_code: str
    place_name: str
    period_start: str
    period_end: str
    claimed: float | None
    tolerance: float
    computed: float | None
    status: str
    error: str = ""
    note: str = ""
    claim: Claim | None = field(default=None, repr=False)

    @property
    def difference(self) -> float | None:
        """Computed minus claimed, when both exist."""
        if self.claimed is None or self.computed is None or isinstance(self.computed, str):
            return None  # none, or hidden from this role
        return plain_number(self.computed - self.claimed)

    def as_dict(self) -> dict:
        """The result as plain JSON-ready values."""
        out = {
            "row": self.row,
            "document": self.document,
            "metric": self.metric,
            "place": self.place_code,
            "place_name": self.place_name,
            "period": f"{self.period_start}..{self.period_end}"
            if self.period_start or self.period_end
            else "",
            "claimed": plain_number(self.claimed),
            "computed": plain_number(self.computed),
            "tolerance": plain_number(self.tolerance),
            "status": self.status,
        }
        if self.error:
            out["error"] = self.error
        return out


def status_label(status: str, lang: str = "zh") -> str:
    """A status as people read it."""
    return vocab.label(STATUSES, status, lang)


def plain_number(value):
    """A number as JSON shows it: an integer when whole, else rounded to 6 places."""
    if value is None or pd.isna(value):
        return None
    value = float(value)
    return int(value) if value.is_integer() else round(value, 6)
