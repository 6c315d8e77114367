"""Numbers as people read them: percentages for rates, thousands separators.

Values come here already disclosed (hehu.disclosure): a marker is printed as it is.
"""

from __future__ import annotations

import math

from hehu.records import vocab


def format_value(value, metric: str) -> str:
    """A disclosed metric value as text: rates as percentages, counts with separators."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, str):  # a disclosure marker
        return value
    kind = vocab.METRICS[metric][2] if metric in vocab.METRICS else "number"
    if kind == "rate":
        return f"{value:.0%}"
    return f"{int(value):,}"
