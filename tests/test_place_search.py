"""Finding a place by typing: the matching on the real Lianshui gazetteer and on the hand-made
county, the picker widget, and the pages that offer it driven in Python as a deputy would."""

from __future__ import annotations

import dataclasses
import re

import pandas as pd
import pytest
from hehu_fixtures import V1, V2, V3, C, K, S, T

from hehu.records.place_search import find_places, normalize_query, place_search_frame
from widgets.kit.pickers import PlacePicker, place_options
from widgets.pages.briefing import build_briefing_page
from widgets.pages.inspections import build_inspections_page
from widgets.pages.pairings import build_pairings_page

COUNTY, LIANCHENG, GAOGOU = "320826000000", "320826001000", "320826101000"
LUSHE = "320826102211"  # 陆舍村
YINDANG = ["320826003211", "320826101231"]  # two villages named 尹荡村


@pytest.fixture(scope="module")
def frame(demo_records) -> pd.DataFrame:
    return place_search_frame(demo_records.places)


def names(frame: pd.DataFrame, codes: list[str]) -> list[str]:
    return frame.set_index("code").loc[codes, "name"].tolist()


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --------------------------------------------------------------------------- matching


def test_search_keys_of_the_lianshui_gazetteer(frame, demo_records):
    assert len(frame) == len(demo_records.places) == 388
    # hierarchy order: the county, then each township followed by its villages
    assert frame["code"].tolist() == [code for _, code in place_options(demo_records, "zh")]
    assert frame["code"].tolist()[:3] == [COUNTY, LIANCHENG, "320826001001"]
    keys = frame.set_index("code")
    assert keys.loc[COUNTY, ["name", "depth", "initials", "pinyin"]].tolist() == [
        "涟水县",
        0,
        "lsx",
        "lianshuixian",
    ]
    assert keys.loc[GAOGOU, ["depth", "parent_name", "initials", "pinyin"]].tolist() == [
        1,
        "涟水县",
        "ggz",
        "gaogouzhen",
    ]
    assert keys.loc[LUSHE, ["depth", "initials"]].tolist() == [2, "lsc"]
    # lowercase letters only: no tones, no ü, no capitals
    assert frame["pinyin"].str.fullmatch("[a-z]+").all()
    assert (frame["initials"].str.len() == frame["name"].str.len()).all()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("gg", [GAOGOU]),  # pinyin initials
        ("lsx", [COUNTY]),
        ("ls", [COUNTY, LUSHE]),  # 涟水 is "ls", whatever else 涟 or 水 might be read
        ("gaogou", [GAOGOU]),  # pinyin, from the start
        ("gaog", [GAOGOU]),
        ("lianshui", [COUNTY]),
        ("高沟", [GAOGOU]),  # characters, anywhere in the name
        ("涟水", [COUNTY]),
        ("尹荡", YINDANG),
        ("ydc", ["320826002216", *YINDANG[:1], "320826101200", YINDANG[1]]),
        ("GG", [GAOGOU]),  # capitals, spaces, full-width letters from a phone keyboard
        (" gao gou ", [GAOGOU]),
        ("ｇｇ", [GAOGOU]),
        ("xyz", []),
        ("3208261010", [GAOGOU, *(f"32082610100{i}" for i in (1, 2, 3, 4, 5, 7, 8))]),
    ],
)
def test_find_places_on_the_lianshui_gazetteer(frame, query, expected):
    assert find_places(query, frame) == expected


def test_find_places_names_and_order(frame):
    assert names(frame, find_places("gg", frame)) == ["高沟镇"]
    assert names(frame, find_places("ydc", frame)) == [
        "余东村",
        "尹荡村",
        "盐店村",
        "尹荡村",
    ]
    assert GAOGOU not in find_places("gz", frame)  # initials match from the start only
    assert GAOGOU not in find_places("gou", frame)  # and so does pinyin
    assert find_places("", frame) == find_places("  ", frame) == frame["code"].tolist()


def test_normalize_query():
    assert normalize_query(" Gao Gou ") == "gaogou"
    assert normalize_query("ＧＧ") == "gg"
    assert normalize_query("xi'an") == "xian"
    assert normalize_query("lü") == "lv"
    assert normalize_query("高沟") == "高沟"


def test_any_county_and_odd_data():
    """Nothing is Lianshui's: the hand-made county, a loop and a stray row."""
    places = pd.DataFrame(
        {
            "code": [C, T, S, V1, V2, V3, K, "x1", "x2"],
            "name": ["示例县", "甲镇", "乙街道", "一村", "二村", "三村", "丙社区", "环甲", "环乙"],
            "parent_code": [None, C, C, T, T, T, S, "x2", "x1"],
            "key_village": [False, False, False, True, True, False, False, False, False],
        }
    )
    frame = place_search_frame(places)
    assert frame["code"].tolist() == [C, T, V1, V2, V3, S, K]  # under the county only
    assert frame["depth"].tolist() == [0, 1, 2, 2, 2, 1, 2]
    assert find_places("slx", frame) == [C]
    assert find_places("jz", frame) == find_places("jiazhen", frame) == [T]
    assert find_places("村", frame) == [V1, V2, V3]
    assert find_places("ycun", frame) == []  # initials and syllables mixed: not matched
    assert find_places("yicun", frame) == [V1]


# --------------------------------------------------------------------------- the picker


def test_the_picker_narrows_as_one_types_and_keeps_the_place(demo_records):
    picker = PlacePicker(demo_records, "zh")
    assert picker.value == COUNTY
    assert picker.search.continuous_update and "gg" in picker.search.placeholder
    assert picker.options == tuple(place_options(demo_records, "zh"))
    picker.search.value = "gg"
    # the chosen county stays selectable; nothing changed while typing
    assert picker.options == (("涟水县", COUNTY), ("高沟镇", GAOGOU))
    assert picker.value == COUNTY and picker.dropdown.value == COUNTY
    assert "找到 1 个地点" in text(picker.message.value) and picker.message.layout.display is None
    picker.dropdown.value = GAOGOU  # the deputy picks it
    assert picker.value == GAOGOU
    picker.search.value = "尹荡"  # villages show their township: two share a name
    assert picker.options == (
        ("尹荡村（陈师街道） ★", YINDANG[0]),  # a key village
        ("高沟镇", GAOGOU),  # the chosen place, in its place in the hierarchy
        ("尹荡村（高沟镇）", YINDANG[1]),
    )
    picker.search.value = "xyz"
    assert picker.value == GAOGOU
    assert "没有找到与“xyz”相符的地点" in text(picker.message.value)
    assert len(picker.options) == 388  # everything, to choose from by scrolling
    picker.search.value = ""
    assert picker.message.value == "" and picker.message.layout.display == "none"
    assert picker.value == GAOGOU
    assert picker.options == tuple(place_options(demo_records, "zh"))
    # chosen elsewhere (a link to the page's state): a place outside the list clears the search
    picker.search.value = "gg"
    picker.value = LUSHE
    assert picker.search.value == "" and picker.dropdown.value == LUSHE
    with pytest.raises(Exception, match="not a place"):
        picker.value = "999"


def test_the_picker_spells_pinyin_only_once_something_is_typed(demo_records):
    """Opening a page lists the places; their pinyin (0.5 s and more for a city) waits for a
    search, is spelt once per snapshot, and is the same as `place_search_frame`'s."""
    records = dataclasses.replace(demo_records, _cache={})
    picker = PlacePicker(records, "zh")
    other = PlacePicker(records, "zh", value=GAOGOU)
    assert ("place_hierarchy",) in records._cache
    assert ("place_search_frame",) not in records._cache
    assert picker.options == tuple(place_options(demo_records, "zh"))
    picker.search.value = "  "  # spaces alone are no search
    assert ("place_search_frame",) not in records._cache
    picker.search.value = "gg"
    keys = records._cache[("place_search_frame",)]
    pd.testing.assert_frame_equal(keys, place_search_frame(demo_records.places))
    other.search.value = "gg"
    assert records._cache[("place_search_frame",)] is keys
    assert picker.options == (("涟水县", COUNTY), ("高沟镇", GAOGOU))
    assert other.options == (("高沟镇", GAOGOU),)


def test_the_picker_speaks_english(demo_records):
    picker = PlacePicker(demo_records, "en", value=GAOGOU)
    assert picker.value == GAOGOU and picker.search.description == "Find"
    picker.search.value = "qq<b>"
    assert "No place matches “qq&lt;b&gt;”" in picker.message.value


def test_the_picker_fills_a_phone(demo_records):
    picker = PlacePicker(demo_records, "zh")
    assert picker.search.layout.width == picker.dropdown.layout.width == "auto"  # stretched
    assert picker.layout.max_width == "100%"


# --------------------------------------------------------------------------- the pages


def test_briefing_page_finds_gaogou_by_initials(demo_url, monkeypatch):
    monkeypatch.setenv("HEHU_ROLE", "deputy")
    page = build_briefing_page(demo_url, params={})
    picker = page.view.place_picker
    assert isinstance(picker, PlacePicker) and page.state.place == COUNTY
    picker.search.value = "gg"
    assert ("高沟镇", GAOGOU) in picker.options
    assert page.state.place == COUNTY  # typing alone changes nothing
    picker.dropdown.value = GAOGOU
    assert page.state.place == GAOGOU and picker.value == GAOGOU
    assert "高沟镇" in text(page.view.body.value)
    page.state.place = LUSHE  # and the picker follows the state
    assert picker.dropdown.value == LUSHE


def test_pairings_page_finds_gaogou_by_initials(demo_url, monkeypatch):
    monkeypatch.setenv("HEHU_ROLE", "deputy")
    page = build_pairings_page(demo_url, {"period": "2022"})
    picker = page.view.filters.place_picker
    before = page.view.scope.value
    picker.search.value = "gg"
    assert ("高沟镇", GAOGOU) in picker.options and page.view.scope.value == before
    picker.dropdown.value = GAOGOU
    assert page.state.place == GAOGOU
    assert "高沟镇" in text(page.view.scope.value)


def test_inspection_pages_find_places_too(small_store, monkeypatch):
    monkeypatch.setenv("HEHU_ROLE", "staff")
    view = build_inspections_page(small_store.url, params={}).view
    follow_up = view.follow_up
    follow_up.place.search.value = "yc"
    assert follow_up.place.options == (("示例县", C), ("一村（甲镇） ★", V1))
    follow_up.place.dropdown.value = V1
    assert follow_up.place.value == V1 and 'data-rec="rec1"' in follow_up.table.value
    row = view.form.rec_rows[0]
    row.place.search.value = "bsq"
    row.place.dropdown.value = K
    assert row.as_dict()["place_code"] == K
