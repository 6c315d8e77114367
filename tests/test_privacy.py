"""Small-cell suppression: one rule in hehu/privacy.py, and it cannot be worked back."""

from __future__ import annotations

import pytest

from hehu.privacy import current_role, sees_person_rows, suppress_group, suppress_small


@pytest.mark.parametrize(
    ("value", "shown"), [(0, 0), (1, "<5"), (4, "<5"), (5, 5), (120, 120), (None, None)]
)
def test_one_to_four_is_hidden_from_deputies(value, shown):
    assert suppress_small(value, "deputy") == shown
    assert suppress_small(value, "presenter") == shown


def test_staff_see_exact_counts():
    assert suppress_small(3, "staff") == 3
    assert suppress_group({"a": 3, "b": 20}, 23, "staff") == {"a": 3, "b": 20}


def test_complementary_suppression_hides_a_second_cell():
    shown = suppress_group({"甲镇": 3, "乙镇": 20, "丙镇": 12}, total=35, role="deputy")
    assert shown["甲镇"] == "<5"
    # with only one hidden cell, 35 - 20 - 12 would give 3 back: the smallest other is hidden too
    assert shown["丙镇"] == "*" and shown["乙镇"] == 20
    hidden_sum_unknown = [v for v in shown.values() if isinstance(v, str)]
    assert len(hidden_sum_unknown) == 2


def test_two_small_cells_need_no_more():
    shown = suppress_group({"a": 1, "b": 2, "c": 30}, total=33, role="deputy")
    assert shown == {"a": "<5", "b": "<5", "c": 30}


def test_no_total_shown_no_complement():
    assert suppress_group({"a": 1, "b": 30}, total=None, role="deputy") == {"a": "<5", "b": 30}


def test_role_comes_from_the_server_environment(monkeypatch):
    monkeypatch.setenv("HEHU_ROLE", "staff")
    assert current_role() == "staff" and sees_person_rows()
    monkeypatch.setenv("HEHU_ROLE", "superuser")  # unknown roles fall back to the least privilege
    assert current_role() == "deputy" and not sees_person_rows()
    monkeypatch.delenv("HEHU_ROLE")
    assert current_role() == "deputy"
