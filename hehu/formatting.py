"""Numbers as people read them: percentages for rates, thousands separators, suppressed small cells."""

from __future__ import annotations

import math

from . import vocab
from .privacy import suppress_small


def format_value(value, metric: str, role: str | None = None) -> str:
    """A metric value as text: rates as percentages, counts of people suppressed for the role."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, str):  # already suppressed
        return value
    kind = vocab.METRICS[metric][2] if metric in vocab.METRICS else "number"
    if kind == "rate":
        return f"{value:.0%}"
    if kind == "count":
        shown = suppress_small(int(value), role)
        return shown if isinstance(shown, str) else f"{shown:,}"
    return f"{int(value):,}"
