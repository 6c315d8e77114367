"""The place lookups a page of a place makes without a Python object per place: they give what
the slower ways they replace gave (issue 16, a city's briefing at 100 counties)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hehu.errors import UnknownPlace
from hehu.figures.cache import frame_from_bytes, frame_to_bytes
from hehu.records.gazetteer import (
    ancestors_frame,
    codes_above,
    codes_under,
    in_codes,
    read_gazetteer,
)


def _places(rows: list[tuple[str, str | None]]) -> pd.DataFrame:
    codes, parents = zip(*rows, strict=True)
    return pd.DataFrame(
        {"code": pd.array(codes, dtype="str"), "parent_code": pd.array(parents, dtype="str")}
    )


def _old_codes_under(places: pd.DataFrame, code: str) -> set[str]:
    """codes_under as it was: a dict of children, walked down with a stack."""
    children: dict[str, list[str]] = {}
    for c, p in zip(places["code"].tolist(), places["parent_code"].tolist(), strict=True):
        if isinstance(p, str):
            children.setdefault(p, []).append(c)
    out, stack = set(), [code]
    while stack:
        node = stack.pop()
        out.add(node)
        stack.extend(children.get(node, []))
    return out


@pytest.mark.parametrize(
    "places",
    [
        read_gazetteer(),
        # a parent outside the gazetteer, an empty parent
        _places([("1", None), ("2", "1"), ("3", "2"), ("4", "9"), ("5", ""), ("6", "2")]),
    ],
)
def test_places_above_and_under_are_those_ancestors_frame_pairs(places):
    pairs = ancestors_frame(places)
    for code in dict.fromkeys(places["code"].tolist()):
        up = pairs.loc[pairs["code"] == code, "ancestor"].tolist()
        assert codes_above(places, code) == up[1:], code
        below = set(pairs.loc[pairs["ancestor"] == code, "code"])
        assert codes_under(places, code) == below | {code} == _old_codes_under(places, code)


def test_a_loop_in_the_data_ends():
    places = _places([("1", None), ("2", "3"), ("3", "2")])
    assert codes_under(places, "2") == {"2", "3"}
    assert codes_above(places, "2") == ["3"]
    with pytest.raises(UnknownPlace):
        codes_under(places, "9")


@pytest.mark.parametrize("dtype", ["str", object])
def test_in_codes_is_isin(dtype):
    values = pd.Series(["a", "b", None, "c", "a"], dtype=dtype)
    for codes in ({"a", "c"}, set(), frozenset({"b"}), ["c", None], pd.Index([None, "a"])):
        expected = values.isin(codes).to_numpy()
        np.testing.assert_array_equal(in_codes(values, codes), expected)
        index = pd.Index(values)
        np.testing.assert_array_equal(in_codes(index, codes), index.isin(codes))


def test_the_figure_cache_reads_some_columns_only():
    frame = pd.DataFrame(
        {"n": [1, 0, 7], "rate": [0.5, float("nan"), 1.0], "gap": [True, False, True]},
        index=pd.Index(["3208", "3208#own", "3209"], name="code"),
    )
    payload = frame_to_bytes(frame)
    got = frame_from_bytes(payload, ["3208"], ["gap", "n"])
    pd.testing.assert_frame_equal(got, frame.iloc[[0, 1]][["gap", "n"]], check_index_type=False)
    pd.testing.assert_frame_equal(
        frame_from_bytes(payload, None, ["rate"]), frame[["rate"]], check_index_type=False
    )
    with pytest.raises(KeyError):
        frame_from_bytes(payload, None, ["n", "missing"])
