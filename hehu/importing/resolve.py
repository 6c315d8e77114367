"""Resolving what rows refer to: places by code or name, organisations by ID or name.

An unknown or ambiguous name is an error, never a guess. `Catalog` holds what rows may refer to:
the store's records plus the rows accepted so far in the import.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import sqlalchemy as sa

from hehu.errors import HehuError
from hehu.importing.cells import cell_text, fold, strip_spaces, vocab_key
from hehu.records import vocab
from hehu.records.schema import RECORD_TABLES
from hehu.records.store import Store

# ===================================================================================== places


_PLACE_SUFFIXES = (
    ("村民委员会", "village"), ("居民委员会", "community"), ("社区居委会", "community"),
    ("村委会", "village"), ("居委会", "community"), ("社区", "community"), ("村", "village"),
    ("街道办事处", "subdistrict"), ("街道办", "subdistrict"), ("街道", "subdistrict"),
    ("镇", "town"), ("乡", "town"), ("县", "county"),
)  # fmt: skip
_PLACE_PREFIXES = ("江苏省", "淮安市", "江苏", "淮安")
_PLACE_NOISE = re.compile(r"[\s/\\|,，、\-—·]+")


def _place_key(text: str) -> str:
    return _PLACE_NOISE.sub("", fold(str(text))).casefold()


def _place_stem(text: str) -> tuple[str, str | None]:
    """A place name without its level suffix, and the level that suffix names (if any)."""
    level = None
    changed = True
    while changed:
        changed = False
        for suffix, suffix_level in _PLACE_SUFFIXES:
            if text.endswith(suffix) and len(text) > len(suffix):
                text = text[: -len(suffix)]
                level = level or suffix_level
                changed = True
                break
    return text, level


def place_display_name(row, parents: dict[str, dict]) -> str:
    """A place's unambiguous display name: a village with its town (高沟镇尹荡村)."""
    if row["level"] in vocab.VILLAGE_LEVELS and row.get("parent_code") in parents:
        return f"{parents[row['parent_code']]['name']}{row['short_name']}"
    return str(row["name"])


def place_choices(places: pd.DataFrame) -> list[str]:
    """Display names of every place in code order, for template choice lists."""
    records = places.sort_values("code").to_dict("records")
    by_code = {r["code"]: r for r in records}
    return [place_display_name(r, by_code) for r in records]


class PlaceResolver:
    """Places of the county by code or by name: an ambiguous or unknown name is an error."""

    def __init__(self, places: pd.DataFrame):
        self.records = {r["code"]: r for r in places.to_dict("records")}
        self.parent = {c: r.get("parent_code") for c, r in self.records.items()}
        self.exact: dict[str, set[str]] = {}
        self.stems: dict[str, set[str]] = {}
        for code, r in self.records.items():
            names = {
                r["name"],
                r.get("short_name") or r["name"],
                place_display_name(r, self.records),
            }
            for name in names:
                key = _place_key(name)
                self.exact.setdefault(key, set()).add(code)
                self.stems.setdefault(_place_stem(key)[0], set()).add(code)
        self.townships = {
            c for c, r in self.records.items() if r["level"] in (*vocab.TOWNSHIP_LEVELS, "county")
        }
        self._cache: dict[tuple, str | ValueError] = {}

    def label(self, code: str) -> str:
        """A place's display name, for messages."""
        return place_display_name(self.records[code], self.records)

    def _under(self, code: str, ancestor: str) -> bool:
        seen = set()
        while code and code not in seen:
            if code == ancestor:
                return True
            seen.add(code)
            code = self.parent.get(code)
        return False

    def _candidates(self, key: str) -> set[str]:
        if key in self.exact:
            return set(self.exact[key])
        stem, level = _place_stem(key)
        found = set(self.stems.get(stem, ()))
        if level:
            found = {c for c in found if self.records[c]["level"] == level}
        if not found:  # "高沟镇尹荡村": a township name, then a place under it
            for town in self.townships:
                for name in {self.records[town]["name"], self.records[town].get("short_name")}:
                    prefix = _place_key(name or "")
                    if prefix and key.startswith(prefix) and len(key) > len(prefix):
                        rest = self._candidates(key[len(prefix) :])
                        found |= {c for c in rest if self._under(c, town) and c != town}
        return found

    def resolve(self, value, town=None) -> str:
        """The code of a place written as a code or a name (within `town` if given)."""
        cache_key = (value, town)
        if cache_key not in self._cache:
            try:
                self._cache[cache_key] = self._resolve(value, town)
            except ValueError as exc:  # a misspelt village repeats down a register: remember it
                self._cache[cache_key] = exc
        found = self._cache[cache_key]
        if isinstance(found, ValueError):
            raise ValueError(str(found))
        return found

    def _resolve(self, value, town) -> str:
        text = cell_text(value)
        if text is None:
            raise ValueError("为空")
        digits = strip_spaces(text)
        if re.fullmatch(r"\d{6}|\d{9}|\d{12}", digits):
            code = digits.ljust(12, "0")
            if code not in self.records:
                raise ValueError(f"区划代码“{digits}”不在本县地名表中")
            return code
        if re.fullmatch(r"\d+", digits):
            raise ValueError(f"“{text}”不是有效的区划代码（应为12位）")
        key = _place_key(text)
        for prefix in _PLACE_PREFIXES:
            if key.startswith(prefix) and len(key) > len(prefix):
                key = key[len(prefix) :]
        county_names = [
            self.records[c] for c in self.townships if self.records[c]["level"] == "county"
        ]
        for county in county_names:
            for name in (county["name"], county.get("short_name")):
                prefix = _place_key(name or "")
                if (
                    prefix
                    and key.startswith(prefix)
                    and key != prefix
                    and len(key) > len(prefix) + 1
                ):
                    key = key[len(prefix) :]
        found = self._candidates(key)
        town_code = None
        if town is not None and cell_text(town) is not None:
            town_code = self.resolve(town)
            if town_code not in self.townships:
                raise ValueError(f"“{cell_text(town)}”不是镇或街道")
            within = {c for c in found if self._under(c, town_code)}
            if found and not within:
                names = "、".join(sorted(self.label(c) for c in found))
                raise ValueError(f"“{text}”不在{self.label(town_code)}（找到的是：{names}）")
            found = within
        if not found:
            where = f"{self.label(town_code)}" if town_code else "本县"
            raise ValueError(f"在{where}找不到地点“{text}”，请核对名称或填写区划代码")
        if len(found) > 1:
            names = "、".join(sorted(self.label(c) for c in found))
            raise ValueError(f"地点“{text}”有多处同名（{names}），请写明所属镇街或填写区划代码")
        return found.pop()


# ===================================================================================== organisations


class OrgResolver:
    """Organisations by ID or by exact name, from the store and from earlier rows of the import."""

    def __init__(self, orgs: pd.DataFrame):
        self.ids: set[str] = set(orgs["org_id"]) if len(orgs) else set()
        self.by_name: dict[str, set[str]] = {}
        for org_id, name in zip(orgs.get("org_id", []), orgs.get("name", []), strict=True):
            self.by_name.setdefault(vocab_key(str(name)), set()).add(org_id)

    def add(self, org_id: str, name: str | None) -> None:
        """Make an organisation from this import resolvable by later rows."""
        self.ids.add(org_id)
        if name:
            ids = self.by_name.setdefault(vocab_key(name), set())
            ids.add(org_id)

    def resolve(self, value) -> str:
        """The org_id of an organisation written as its ID or its name."""
        text = cell_text(value)
        if text is None:
            raise ValueError("为空")
        if text in self.ids:
            return text
        found = self.by_name.get(vocab_key(text), set())
        if len(found) == 1:
            return next(iter(found))
        if len(found) > 1:
            raise ValueError(
                f"组织名称“{text}”对应多个组织（{'、'.join(sorted(found))}），请填写组织编号"
            )
        raise ValueError(f"找不到组织“{text}”，请先导入组织名册或填写组织编号")


# ===================================================================================== catalog


class Catalog:
    """What rows may refer to: the store's records plus the rows accepted so far in this import."""

    def __init__(self, store: Store):
        self.store = store
        self.places = PlaceResolver(store.read("place"))
        if not self.places.records:
            raise HehuError(
                "数据库中没有地名表，请先运行 hehu init",
                "the store has no gazetteer; run hehu init",
            )
        self.orgs = OrgResolver(store.read("org")[["org_id", "name"]])
        self._existing: dict[str, dict[tuple, dict]] = {}
        self._ids: dict[str, set] = {}

    def existing(self, kind: str) -> dict[tuple, dict]:
        """Stored records of a kind by primary key, as plain Python values."""
        if kind not in self._existing:
            table = RECORD_TABLES[kind]
            names = [c.name for c in table.columns]
            at = [names.index(c.name) for c in table.primary_key.columns]
            plain = [(i, f) for i, c in enumerate(table.columns) if (f := _plain(c)) is not None]
            with self.store.engine.connect() as conn:
                rows = conn.execute(sa.select(table)).all()
            stored = list(zip(*rows, strict=True)) or [()] * len(names)  # column by column
            keys = zip(*(stored[i] for i in at), strict=True)  # as stored, before `_plain`
            values = list(stored)
            for i, f in plain:
                values[i] = [v if v is None else f(v) for v in values[i]]
            self._existing[kind] = {
                key: dict(zip(names, row, strict=True))
                for key, row in zip(keys, zip(*values, strict=True), strict=True)
            }
        return self._existing[kind]

    def ids(self, kind: str) -> set:
        """Primary keys (single-column) of stored records of a kind."""
        if kind not in self._ids:
            table = RECORD_TABLES[kind]
            (key,) = table.primary_key.columns
            with self.store.engine.connect() as conn:
                self._ids[kind] = set(conn.execute(sa.select(key)).scalars())
        return self._ids[kind]


def _plain(column: sa.Column):
    """How a stored value (not None) of a column becomes what the importer compares; None for
    a column whose values are compared as the driver gives them."""
    if isinstance(column.type, sa.Date):
        return _day
    if isinstance(column.type, sa.Boolean):
        return bool
    if isinstance(column.type, sa.Float):
        return float
    return None


def _day(value):
    """A date column's value as a date (a driver may give a datetime)."""
    return value.date() if isinstance(value, dt.datetime) else value
