"""A sheet's rows below its header as the import takes them: which rows hold records, and each
record's values gathered from its columns read whole.

`data_rows` finds the rows to check (skipping blank rows, footers and headers repeated down the
sheet); `row_values` turns the columns read (`Importer._parse_columns`: one reading a row, the
value, BLANK or a Refused cell) into one dict of values a row, in one pass over the columns
instead of a look at each field of each row.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from hehu.importing.cells import cell_text
from hehu.importing.headers import FOOTER_MARKERS, normalise_header

# Below this a float's text is its digits (and a point): never a footer's words, never a header.
_PLAIN_FLOAT = 1e15


class Refused:
    """A cell its parser refused, and why (in Chinese)."""

    __slots__ = ("reason",)

    def __init__(self, reason: str):
        self.reason = reason


BLANK = object()  # a blank cell, as the importer reads it


# Columns whose cells pandas can tell apart as Python does (no 1 == 1.0 == True across types,
# no NaN): factorised in C. Any other column is keyed by type and value in Python.
_ONE_TYPE = (frozenset({str, type(None)}), frozenset({dt.date, type(None)}))


def distinct_codes(cells: list) -> tuple[np.ndarray, list]:
    """(each cell's code, the distinct cells in order of first use): a value, and the same value
    of another type (1, 1.0, True), are told apart."""
    kinds = set(map(type, cells))
    if any(kinds <= allowed for allowed in _ONE_TYPE):
        column = np.empty(len(cells), dtype=object)
        column[:] = cells
        codes, uniques = pd.factorize(column, use_na_sentinel=False)
        # pandas gives a None back as NaN: the only float such a column can hold
        return codes, [None if type(u) is float else u for u in uniques]
    index: dict = {}
    uniques = []
    codes = np.empty(len(cells), dtype=np.int64)
    for n, value in enumerate(cells):
        key = value if type(value) is str else (type(value), value)
        code = index.get(key)
        if code is None:
            code = index[key] = len(uniques)
            uniques.append(value)
        codes[n] = code
    return codes, uniques


def distinct_pairs(first: list, second: list) -> tuple[np.ndarray, list]:
    """`distinct_codes` of the pairs (first[n], second[n]): a village with its row's town."""
    codes_a, uniques_a = distinct_codes(first)
    codes_b, uniques_b = distinct_codes(second)
    width = max(len(uniques_b), 1)
    codes, pairs = pd.factorize(codes_a * width + codes_b)
    return codes, [(uniques_a[p // width], uniques_b[p % width]) for p in pairs.tolist()]


def data_rows(rows: list[list], header_row: int, used_columns: list[int], skipped: list) -> list:
    """The indexes of the rows below `header_row` to check: something in the columns read, not a
    footer (合计, 填表人…) and not the header repeated (registers pasted page by page); each
    footer and repeated header is noted in `skipped` as (Excel row, why)."""
    header_norm = [normalise_header(h) for h in rows[header_row]]
    header_words = set(header_norm) - {""}
    # A row numbered in its first cell (序号) is neither a footer (its markers are words) nor
    # the header repeated, unless that header is itself a number: no need to look further.
    numbered_ok = not (header_norm[:1] and header_norm[0].isdigit())
    data: list[int] = []
    for index in range(header_row + 1, len(rows)):
        cells = rows[index]
        width = len(cells)
        for i in used_columns:
            if i < width and cell_text(cells[i]) is not None:
                break
        else:
            continue  # nothing in the columns read
        if numbered_ok and width:
            first_cell = cells[0]
            kind = type(first_cell)
            if kind is int or (kind is float and abs(first_cell) < _PLAIN_FLOAT):  # not NaN
                data.append(index)
                continue
        first = ""
        for value in cells:
            if (text := cell_text(value)) is not None:
                first = text
                break
        if first.startswith(FOOTER_MARKERS):
            # The marker only: a signature line goes on with a name and a phone number.
            marker = next(m for m in FOOTER_MARKERS if first.startswith(m))
            skipped.append((index + 1, f"合计或落款行：{marker.rstrip('：:')}"))
            continue
        # The first cell alone tells most rows apart.
        if (
            (not width or normalise_header(cells[0]) == header_norm[0])
            and all(normalise_header(v) == h for v, h in zip(cells, header_norm, strict=False))
            and normalise_header(first) in header_words
        ):
            skipped.append((index + 1, "重复的表头行"))
            continue
        data.append(index)
    return data


def row_values(parsed: list, count: int) -> list:
    """Each of `count` rows' values {field key: value} from its fields' columns read whole, or
    None for a row to be looked at field by field (`Importer._build_row`): a refused cell, a
    required one blank, or any field read from two columns or row by row (then every row)."""
    if any(column is None for _, _, column in parsed):
        return [None] * count
    keys = [f.key for f, _, _ in parsed]
    looked_at: set[int] = set()  # rows with a refused or missing required cell
    gaps: set[int] = set()  # rows with an optional field blank: left out of their values
    for f, _, column in parsed:
        kinds = set(map(type, column))  # BLANK is the only plain object a reading can be
        if object not in kinds and Refused not in kinds:
            continue
        odd = [n for n, v in enumerate(column) if v is BLANK or type(v) is Refused]
        if f.required:
            looked_at.update(odd)
        else:
            looked_at.update(n for n in odd if column[n] is not BLANK)
            gaps.update(n for n in odd if column[n] is BLANK)
    rows = zip(*(column for _, _, column in parsed), strict=True)
    if not looked_at and not gaps:
        return [dict(zip(keys, row, strict=True)) for row in rows]
    out: list = []
    for n, row in enumerate(rows):
        if n in looked_at:
            out.append(None)
        elif n in gaps:
            out.append({k: v for k, v in zip(keys, row, strict=True) if v is not BLANK})
        else:
            out.append(dict(zip(keys, row, strict=True)))
    return out
