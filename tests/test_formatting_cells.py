"""Dates and table cells are written by one pair of functions (hehu/render/formatting.py:
`day_text`, `cell_text`), which the pages, the per-unit table and the inspection documents
call; each reads exactly as the copies they replaced did (kept below as the reference)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from hehu.render.formatting import cell_text, day_text
from widgets.kit.tables import format_cell

DAYS = [
    None, np.nan, pd.NaT, pd.NA, "2022-05-18", dt.date(2022, 5, 8), dt.datetime(2022, 12, 31, 23, 5),
    pd.Timestamp("2023-01-02"), np.datetime64("2024-02-29"),
]  # fmt: skip
VALUES = [None, np.nan, pd.NA, "<5", "—", 0, 3, 1234567, 2.0, np.int64(42), 0.5, 0.123, 1.0]


def old_page_day(value) -> str:  # widgets/pages/cycle.py and inspections.py
    return "" if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")


def old_document_day(value, lang: str = "zh") -> str:  # hehu/render/inspection_word.py
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    day = pd.Timestamp(value)
    return f"{day:%Y-%m-%d}" if lang == "en" else f"{day.year}年{day.month}月{day.day}日"


def old_unit_cell(value, column: str) -> str:  # hehu/render/units.py
    if isinstance(value, str):
        return value
    if value is None or pd.isna(value):
        return "—"
    return f"{float(value):.0%}" if column == "satisfaction_rate" else f"{int(value):,}"


@pytest.mark.parametrize("value", DAYS, ids=repr)
def test_days_read_as_before(value):
    assert day_text(value) == old_page_day(value)
    for lang in ("zh", "en"):
        assert day_text(value, lang) == old_document_day(value, lang)
    assert day_text(dt.date(2022, 5, 8), "zh") == "2022年5月8日"


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_unit_cells_read_as_before(value):
    for column, kind in (("assigned", "number"), ("satisfaction_rate", "rate")):
        assert cell_text(value, kind) == old_unit_cell(value, column)


def test_the_pages_cells_are_the_same_cells():
    assert format_cell(1234567, "count") == cell_text(1234567, "count") == "1,234,567"
    assert format_cell(0.456, "rate") == "46%" and format_cell(12.345, "per1000") == "12.3"
    assert format_cell(3.0, "days") == "3" and format_cell(3.25, "days") == "3.2"
    assert format_cell(dt.date(2022, 5, 8), "date") == "2022-05-08"
    assert format_cell(None, "date") == format_cell(np.nan, "count") == "—"
    assert format_cell("<5", "count") == "<5" and format_cell("文字", "text") == "文字"
    assert format_cell(True, "flag") == "是" and format_cell(False, "flag", "en") == "no"
    assert format_cell(None, "flag") == "—" and format_cell(7, "text") == "7"
