"""Finding a place by typing: its name in characters, the initials of its pinyin, or its pinyin.

`place_search_frame` lists a gazetteer's places in hierarchy order (the county, then each
township followed by its villages) with what a query is matched against, computed once per
gazetteer; `find_places` gives the codes a query finds, in that order. "gg" finds 高沟镇 (its
initials start so), "gaogou" too (its pinyin does), "高沟" too (its name holds it), and a code's
first digits find the places under it. Readings are pypinyin's usual ones (one a character).
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd
from pypinyin import lazy_pinyin

from hehu.records.gazetteer import root_code

SEARCH_COLUMNS = ["code", "name", "depth", "parent_name", "key_village", "initials", "pinyin"]


def place_search_frame(places: pd.DataFrame) -> pd.DataFrame:
    """The places under the top place in hierarchy order (each place before the places under
    it, siblings in gazetteer order): code, name, depth (0 for the top place), parent_name,
    key_village, initials ("gaogouzhen" → "ggz") and pinyin (lowercase, without tones)."""
    root = root_code(places)
    children: dict[str, list[int]] = {}
    for pos, parent in enumerate(places["parent_code"]):
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
        syllables = [_plain(s) for s in lazy_pinyin(names[pos])]
        rows.append(
            (
                code,
                names[pos],
                depth,
                parent_name,
                marks[pos],
                "".join(s[:1] for s in syllables),
                "".join(syllables),
            )
        )
        stack.extend((child, depth + 1, names[pos]) for child in reversed(children.get(code, [])))
    return pd.DataFrame(rows, columns=SEARCH_COLUMNS)


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
