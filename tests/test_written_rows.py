"""Records as `Store.write` stores them (hehu/records/written_rows.py): a large write's rows,
looked at a field at a time down all of them, give back what each row looked at alone would."""

from __future__ import annotations

import datetime as dt

import pytest

from hehu.errors import InvalidRecord
from hehu.records.written_rows import clean_rows


def _households(n: int) -> list[dict]:
    return [
        {"household_id": f"H{i}", "place_code": "320826001001", "categories": "left_behind_child"}
        for i in range(n)
    ]


def test_rows_already_in_their_stored_form_are_given_back_as_they_are():
    rows = _households(3)
    assert clean_rows("household", rows) is rows
    visits = [{"visit_id": "v1", "date": dt.date(2022, 5, 18), "follow_up_due": None}]
    assert clean_rows("visit", visits) is visits


@pytest.mark.parametrize(
    ("change", "stored"),
    [
        ({"categories": "single_parent;left_behind_child"}, "left_behind_child;single_parent"),
        ({"categories": ["single_parent", "left_behind_child"]}, "left_behind_child;single_parent"),
        ({"categories": None}, ""),
    ],
)
def test_one_row_to_store_otherwise_is_cleaned_the_others_kept(change, stored):
    rows = _households(3)
    rows[1] = {**rows[1], **change}
    cleaned = clean_rows("household", rows)
    assert cleaned[1]["categories"] == stored
    assert cleaned[0] is rows[0] and cleaned[2] is rows[2]


def test_a_date_as_text_is_made_a_date():
    visits = [
        {"visit_id": "v1", "date": dt.date(2022, 5, 18)},
        {"visit_id": "v2", "date": "2022-05-19"},
    ]
    assert [v["date"] for v in clean_rows("visit", visits)] == [
        dt.date(2022, 5, 18),
        dt.date(2022, 5, 19),
    ]


def test_the_first_row_with_a_problem_is_the_one_refused():
    rows = _households(4)
    rows[2] = {**rows[2], "categories": "martian"}
    rows[1] = {**rows[1], "colour": "blue"}
    with pytest.raises(InvalidRecord, match="未知字段"):
        clean_rows("household", rows)
    del rows[1]["colour"]
    with pytest.raises(InvalidRecord, match="未知类别"):
        clean_rows("household", rows)
