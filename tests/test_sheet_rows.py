"""A sheet's rows as the import takes them (hehu/importing/sheet_rows.py): which rows hold
records, each column's distinct cells, and each row's values gathered from whole columns."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from hehu.importing.sheet_rows import (
    BLANK,
    Refused,
    data_rows,
    distinct_codes,
    distinct_pairs,
    row_values,
)


def test_distinct_cells_of_a_text_column_in_order_of_first_use():
    codes, uniques = distinct_codes(["花园", None, "花园", "印当", None])
    assert codes.tolist() == [0, 1, 0, 2, 1]
    assert uniques == ["花园", None, "印当"]


def test_equal_values_of_different_types_are_different_cells():
    # 1 == 1.0 == True in Python, but a register's 1, 1.0, TRUE and "1" are read differently
    codes, uniques = distinct_codes([1, 1.0, True, "1", 1])
    assert codes.tolist() == [0, 1, 2, 3, 0]
    assert [type(u) for u in uniques] == [int, float, bool, str]
    day = dt.date(2022, 5, 18)
    codes, uniques = distinct_codes([day, dt.datetime(2022, 5, 18), day, None])
    assert codes.tolist() == [0, 1, 0, 2]
    assert [type(u) for u in uniques] == [dt.date, dt.datetime, type(None)]


def test_a_village_is_told_apart_by_its_town():
    codes, pairs = distinct_pairs(
        ["花园", "花园", "印当", "花园"], ["高沟镇", "石湖镇", "高沟镇", "高沟镇"]
    )
    assert codes.tolist() == [0, 1, 2, 0]
    assert pairs == [("花园", "高沟镇"), ("花园", "石湖镇"), ("印当", "高沟镇")]


def _field(key, required=False):
    return SimpleNamespace(key=key, required=required)


def test_row_values_leave_out_blanks_and_send_refused_or_missing_cells_field_by_field():
    refused = Refused("无法识别")
    parsed = [
        (_field("name", required=True), [], ["张小花", BLANK, "王小明", "李四"]),
        (_field("sex"), [], ["F", "M", BLANK, refused]),
    ]
    assert row_values(parsed, 4) == [{"name": "张小花", "sex": "F"}, None, {"name": "王小明"}, None]


def test_a_field_of_two_columns_sends_every_row_field_by_field():
    parsed = [(_field("name"), [], ["张小花"]), (_field("town"), [("镇", ["高沟镇"], 3)] * 2, None)]
    assert row_values(parsed, 1) == [None]


def test_data_rows_skip_blank_rows_footers_and_repeated_headers():
    rows = [
        ["涟水县留守儿童花名册"],
        ["序号", "姓名", "村居"],
        [1.0, "张小花", "花园"],
        [None, None, None],
        ["", "/", None],  # an empty marker is nothing
        ["序号", "姓名", "村居"],  # the header again, a page further down
        [2, "王小明", "印当"],
        ["合计：", 2, None],
        [3, "合计", None],  # numbered: a record whose name is 合计, not a footer
        [None, "填表人：张三", None],  # the signature line, its marker in a column read
    ]
    skipped: list = []
    assert data_rows(rows, 1, [1, 2], skipped) == [2, 6, 8]
    assert skipped == [(6, "重复的表头行"), (8, "合计或落款行：合计"), (10, "合计或落款行：填表人")]


def test_a_numbered_row_is_still_looked_at_when_the_first_header_is_a_number():
    # a sheet whose first column is headed 2022 (a year's figures): a row repeating the
    # header begins with the number 2022 and is the header again, not a record
    rows = [[2022, "指标"], [2022, "指标"], [2022, "困境儿童"]]
    skipped: list = []
    assert data_rows(rows, 0, [0, 1], skipped) == [2]
    assert skipped == [(2, "重复的表头行")]
