"""Records as `Store.write` stores them: each row's fields checked before it reaches the database.

`clean_rows` refuses a field its table does not have, a multi-valued field's unknown category and
an invalid date (InvalidRecord), and gives the multi-valued fields and dates their stored form. A
large import's rows, already in that form, are checked a field at a time down all of them
(`_as_stored`) and handed back as they are, not copied.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from functools import cache, lru_cache, partial
from operator import methodcaller

import pandas as pd
import sqlalchemy as sa

from hehu.errors import InvalidRecord
from hehu.records import vocab
from hehu.records.schema import MULTI_VALUED, RECORD_TABLES


@cache
def _row_plan(kind: str) -> tuple[frozenset[str], tuple, tuple[str, ...]]:
    """What `_clean_row` checks of a kind: its table's columns, its multi-valued fields with the
    keys each allows, its date columns."""
    table = RECORD_TABLES[kind]
    multi = tuple((f, allowed) for (k, f), allowed in MULTI_VALUED.items() if k == kind)
    dates = tuple(c.name for c in table.columns if isinstance(c.type, sa.Date))
    return frozenset(table.columns.keys()), multi, dates


def _clean_row(kind: str, row: Mapping) -> dict:
    """Check a row's multi-valued vocabulary fields and dates before it reaches the database: the
    row itself when nothing in it changes (a large import's rows are never copied for nothing)."""
    columns, multi, dates = _row_plan(kind)
    if not columns.issuperset(row):
        unknown = row.keys() - columns
        raise InvalidRecord(
            f"{kind} 记录含未知字段：{', '.join(sorted(unknown))}",
            f"unknown fields in {kind}: {', '.join(sorted(unknown))}",
        )
    changed: dict = {}
    for field, _ in multi:
        keys = row.get(field)
        if keys is not None or field in row:
            stored = (
                _stored_keys(kind, field, keys)
                if isinstance(keys, str)
                else _checked_keys(kind, field, list(keys or []))
            )
            if stored != keys:
                changed[field] = stored
    for name in dates:
        value = row.get(name)
        if value is not None:
            day = _as_date(value, f"{kind}.{name}")
            if type(value) is not dt.date or day != value:
                changed[name] = day
    if not changed and type(row) is dict:
        return row
    return {**row, **changed}


def clean_rows(kind: str, records: Iterable[Mapping]) -> list[dict]:
    """`_clean_row` of each record (the list itself when `_as_stored` finds nothing to do)."""
    if type(records) is list and _as_stored(kind, records):
        return records
    return [_clean_row(kind, r) for r in records]


def _as_stored(kind: str, rows: list) -> bool:
    """Whether `_clean_row` would give back each of these rows itself."""
    if set(map(type, rows)) != {dict}:  # another mapping is copied; an empty list: no work
        return False
    columns, multi, dates = _row_plan(kind)
    if not all(map(columns.issuperset, rows)):
        return False
    for field, _ in multi:
        # a field left out is looked at as "" (which stays ""); None, a list: row by row
        texts = list(map(methodcaller("get", field, ""), rows))
        if set(map(type, texts)) != {str}:
            return False
        if not all(map(partial(_is_stored_form, kind, field), set(texts))):
            return False
    stored_days = {dt.date, type(None)}  # a date as it is, or none, stays as it is
    return all(set(map(type, map(methodcaller("get", d), rows))) <= stored_days for d in dates)


def _is_stored_form(kind: str, field: str, text: str) -> bool:
    """Whether `_clean_row` keeps a multi-valued field's text as it is (False: it would refuse it)."""
    try:
        return _stored_keys(kind, field, text) == text
    except InvalidRecord:
        return False


@lru_cache(maxsize=1024)
def _stored_keys(kind: str, field: str, text: str) -> str:
    """`_checked_keys` of a field written as 'a;b': each text once (a register's thousands of
    rows repeat a handful of category texts)."""
    return _checked_keys(kind, field, vocab.split_keys(text))


def _checked_keys(kind: str, field: str, keys: list[str]) -> str:
    """A multi-valued field's keys in their stored form; InvalidRecord for a key it does not allow."""
    allowed = MULTI_VALUED[(kind, field)]
    bad = [k for k in keys if k not in allowed]
    if bad:
        raise InvalidRecord(
            f"{kind}.{field} 含未知类别：{', '.join(bad)}",
            f"unknown categories in {kind}.{field}: {', '.join(bad)}",
        )
    return vocab.join_keys(keys)


def _as_date(value, where: str) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.date()
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise InvalidRecord(
            f"{where} 日期无效：{value}", f"invalid date in {where}: {value}"
        ) from exc
