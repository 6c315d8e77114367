"""Finding a place by typing: its name in characters, the initials of its pinyin, or its pinyin.

`place_search_frame` lists a gazetteer's places in hierarchy order (the county, then each
township followed by its villages) with what a query is matched against, computed once per
gazetteer: `place_hierarchy` (the list alone, what a page shows when it opens) and
`with_search_keys` (the pinyin, spelt only once someone searches: 0.5 s and more for a city's
thousands of places); `find_places` gives the codes a query finds, in that order. "gg" finds 高沟镇 (its
initials start so), "gaogou" too (its pinyin does), "高沟" too (its name holds it), and a code's
first digits find the places under it. Readings are pypinyin's usual ones (one a character).
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

from hehu.records.gazetteer import root_code

HIERARCHY_COLUMNS = ["code", "name", "depth", "parent_name", "key_village"]
SEARCH_COLUMNS = [*HIERARCHY_COLUMNS, "initials", "pinyin"]


def place_search_frame(places: pd.DataFrame) -> pd.DataFrame:
    """The places under the top place in hierarchy order (each place before the places under
    it, siblings in gazetteer order): code, name, depth (0 for the top place), parent_name,
    key_village, initials ("gaogouzhen" → "ggz") and pinyin (lowercase, without tones)."""
    return with_search_keys(place_hierarchy(places))


def with_search_keys(hierarchy: pd.DataFrame) -> pd.DataFrame:
    """A `place_hierarchy` with each place's initials and pinyin added (a new frame)."""
    from pypinyin import lazy_pinyin  # 0.3 s to import: only once someone searches

    spelt = [[_plain(s) for s in lazy_pinyin(name)] for name in hierarchy["name"]]
    frame = hierarchy.copy()
    frame["initials"] = ["".join(s[:1] for s in syllables) for syllables in spelt]
    frame["pinyin"] = ["".join(syllables) for syllables in spelt]
    return frame[SEARCH_COLUMNS]


def place_hierarchy(places: pd.DataFrame) -> pd.DataFrame:
    """`place_search_frame` without the search keys: code, name, depth, parent_name and
    key_village of the places under the top place, in hierarchy order."""
    root = root_code(places)
    children: dict[str, list[int]] = {}
    for pos, parent in enumerate(places["parent_code"].tolist()):  # not Arrow's, row by row
        if isinstance(parent, str):
            children.setdefault(parent, []).append(pos)
    codes = places["code"].tolist()
    names = places["name"].astype(str).tolist()
    marks = (
        places["key_village"].fillna(False).astype(bool).tolist()
        if "key_village" in places
        else [False] * len(places)
    )
    first = {code: pos for pos, code in reversed(list(enumerate(codes)))}
    rows, seen = [], set()
    stack = [(first[root], 0, "")]
    while stack:
        pos, depth, parent_name = stack.pop()
        code = codes[pos]
        if code in seen:  # a loop in the data
            continue
        seen.add(code)
        rows.append((code, names[pos], depth, parent_name, marks[pos]))
        stack.extend((child, depth + 1, names[pos]) for child in reversed(children.get(code, [])))
    return pd.DataFrame(rows, columns=HIERARCHY_COLUMNS)


def normalize_query(query: str) -> str:
    """A query as it is matched: full-width letters made plain, lowercase, ü as v, without
    spaces or apostrophes ("Gao Gou" → "gaogou", "ｇｇ" → "gg")."""
    text = unicodedata.normalize("NFKC", query or "").lower().replace("ü", "v")
    return re.sub(r"[\s'’]+", "", text)


def find_places(query: str, frame: pd.DataFrame) -> list[str]:
    """The codes of the places of `frame` (a `place_search_frame`) that `query` finds, in its
    order: every place for an empty query; else those whose name holds the query, whose
    initials or pinyin start with it, or (a query of digits) whose code starts with it."""
    q = normalize_query(query)
    if not q:
        return frame["code"].tolist()
    found = (
        frame["name"].str.contains(q, regex=False)
        | frame["initials"].str.startswith(q)
        | frame["pinyin"].str.startswith(q)
    )
    if q.isdigit():
        found |= frame["code"].str.startswith(q)
    return frame.loc[found, "code"].tolist()


def _plain(syllable: str) -> str:
    """A syllable as matched: lowercase letters (ü written v, as pypinyin and phone keyboards do)."""
    return normalize_query(syllable)
