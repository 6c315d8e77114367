"""Import registers from Excel and CSV: find the header, read what people wrote, validate, write.

Real registers are messy: a title above the header, several sheets, headers that say 名字 where the
template says 姓名, full-width digits, dates as 2022年5月18日 or Excel serials, villages by name.
This module reads all of that (`read_workbook`), maps columns to fields by synonyms
(`match_header`), parses each cell (`parse_date`, `parse_number`, …), resolves places and
organisations (an unknown or ambiguous name is an error, never a guess), turns names and ID-card
numbers into pseudonymous IDs (`hehu.pseudonym`) and drops them, and writes every valid row in ONE
transaction. Every rejected row is reported with its row number as Excel shows it, the column
header as written in the file, and the reason in Chinese; rejected rows are copied to a
quarantine workbook beside the report so nothing is lost.
"""

from __future__ import annotations

import csv
import datetime as dt
import getpass
import hashlib
import io
import math
import os
import re
import sys
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from . import pseudonym, vocab
from .errors import HehuError
from .store import RECORD_TABLES, Store, hehu_home
from .templates import write_xlsx

Progress = Callable[[float, str], None]

SUPPORTED_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".csv", ".txt")
HEADER_SCAN_ROWS = 30  # title rows above a header rarely exceed a handful; 30 is generous
# A header naming this many fields of one kind is that kind even with a required column missing:
# its rows are then rejected (and quarantined) rather than the sheet silently skipped.
MIN_FIELDS_FOR_INCOMPLETE = 3
PROGRESS_EVERY = 2000
# Test hook: seconds to sleep inside the write transaction (interrupted-import test).
PAUSE_ENV = "HEHU_TEST_PAUSE_IN_TRANSACTION"
QUARANTINE_REASON = "错误原因"
QUARANTINE_ROW = "原行号"

# ===================================================================================== cells

# Cells that mean "nothing written" in real registers.
EMPTY_MARKERS = frozenset(
    {"", "/", "-", "--", "—", "——", "－", "无", "暂无", "n/a", "na", "#n/a", "null", "none", "nan"}
)
_LONGEST_EMPTY_MARKER = max(map(len, EMPTY_MARKERS))
_WS = re.compile(r"\s+")


def fold(text: str) -> str:
    """Compatibility-fold text (full-width digits, letters, spaces and punctuation to ASCII) and trim."""
    return unicodedata.normalize("NFKC", text).strip()


def unescape_formula(text: str) -> str:
    """Undo the apostrophe our own exports put before = + - @, so a quarantine file re-imports."""
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@":
        return text[1:]
    return text


def cell_text(value) -> str | None:
    """A cell as folded text, or None when it is empty or an empty marker like / or 无."""
    if value is None:
        return None
    if type(value) is str:  # the common case, kept fast: most cells of a register are text
        text = value.strip()
        if not text.isascii():
            text = unicodedata.normalize("NFKC", text).strip()
        if text[:1] == "'":
            text = unescape_formula(text)
        if not text or (len(text) <= _LONGEST_EMPTY_MARKER and text.casefold() in EMPTY_MARKERS):
            return None
        return text
    if isinstance(value, float):
        if math.isnan(value):
            return None
        value = int(value) if value.is_integer() and abs(value) < 1e15 else value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    text = unescape_formula(fold(str(value)))
    return None if text.casefold() in EMPTY_MARKERS else text


def is_blank(value) -> bool:
    """True for a cell with nothing in it (empty markers like / count as nothing)."""
    return cell_text(value) is None


# ===================================================================================== numbers

_CN_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_CN_DIGITS |= {"七": 7, "八": 8, "九": 9, "○": 0, "O": 0}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
_UNIT_SUFFIXES = ("人次", "人", "次", "场", "个", "户", "名", "岁", "期", "家", "份")


def chinese_numeral(text: str) -> int | None:
    """The value of a Chinese numeral such as 十八, 二十一, 一百零五 or 二〇二二; None if not one."""
    if not text or any(ch not in _CN_DIGITS and ch not in _CN_UNITS for ch in text):
        return None
    if not any(ch in _CN_UNITS for ch in text):  # digit by digit: 二〇二二
        return int("".join(str(_CN_DIGITS[ch]) for ch in text))
    total, section, digit = 0, 0, None
    for ch in text:
        if ch in _CN_DIGITS:
            if digit is not None and _CN_DIGITS[ch] != 0:
                return None  # two digits in a row inside a positional numeral: not a numeral
            digit = _CN_DIGITS[ch] if _CN_DIGITS[ch] != 0 else None
        else:
            unit = _CN_UNITS[ch]
            if unit == 10000:
                total += (section + (digit or 0)) * unit
                section, digit = 0, None
            else:
                section += (1 if digit is None else digit) * unit
                digit = None
    return total + section + (digit or 0)


def parse_number(value) -> float:
    """A number from a cell: 1,200 / １２ / 18人次 / 85% / 十八 / 1.8万; raises ValueError (in Chinese)."""
    if isinstance(value, bool):
        raise ValueError("应为数字")
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("应为数字")
        return float(value)
    text = cell_text(value)
    if text is None:
        raise ValueError("为空")
    text = _WS.sub("", text)
    percent = text.endswith("%")
    if percent:
        text = text[:-1]
    for suffix in _UNIT_SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            text = text[: -len(suffix)]
            break
    if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?", text):
        text = text.replace(",", "")
    if re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", text):
        number = float(text)
    elif re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)万", text):
        # "1.8万" as reports write it; Decimal so 1.1万 is 11000, not 11000.000000000002
        number = float(Decimal(text[:-1]) * 10000)
    else:
        numeral = chinese_numeral(text)
        if numeral is None:
            raise ValueError(f"“{value}”不是数字")
        number = float(numeral)
    if not math.isfinite(number):
        raise ValueError(f"“{value}”不是数字")
    return number / 100 if percent else number


def parse_int(value) -> int:
    """A whole number from a cell (see `parse_number`); 12.0 is 12, 12.5 is an error."""
    number = parse_number(value)
    if not float(number).is_integer():
        raise ValueError(f"“{value}”应为整数")
    return int(number)


# ===================================================================================== dates

EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 is 1900-01-01, counting Excel's phantom 1900-02-29
MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(2100, 12, 31)
MAX_SERIAL = (MAX_DATE - EXCEL_EPOCH).days + 1
DATE_HINT = "请写成 2022-05-18 或 2022年5月18日"
_DATE_YMD = re.compile(
    r"(\d{4})\s*(?:年|[-./])\s*(\d{1,2})\s*(?:月|[-./])\s*(\d{1,2})\s*[日号]?"
    r"(?:[T\s]*\d{1,2}[:时]\d{1,2}(?:[:分]\d{1,2}(?:\.\d+)?秒?)?)?"
)
_DATE_CN = re.compile(
    r"([〇零○O一二三四五六七八九]{4})年([〇零一二三四五六七八九十]{1,3})月([〇零一二三四五六七八九十]{1,3})[日号]"
)
_YEAR_MONTH = re.compile(r"(\d{4})\s*(?:年|[-./])\s*(\d{1,2})\s*月?")


def excel_serial_date(serial: float) -> dt.date:
    """The date of an Excel (1900 system) serial number; the time of day is dropped."""
    if not 1 <= serial < MAX_SERIAL:
        raise ValueError(f"“{serial}”不是有效的日期序号")
    days = int(serial)
    if days < 60:  # before Excel's phantom 1900-02-29
        return dt.date(1899, 12, 31) + dt.timedelta(days=days)
    return EXCEL_EPOCH + dt.timedelta(days=days)


def _checked_date(year: int, month: int, day: int, shown) -> dt.date:
    try:
        date = dt.date(year, month, day)
    except ValueError:
        raise ValueError(f"日期“{shown}”不存在") from None
    if not MIN_DATE <= date <= MAX_DATE:
        raise ValueError(f"日期“{shown}”超出 1900—2100 年")
    return date


def parse_date(value) -> dt.date:
    """A date from a cell: a date, an Excel serial, 2022-05-18, 2022年5月18日, 2022.5.18, 2022/5/18,
    20220518 or 二〇二二年五月十八日. Year first only: 5/18/2022 is refused, never guessed."""
    if isinstance(value, bool):
        raise ValueError("应为日期")
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return _checked_date(value.year, value.month, value.day, value)
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("应为日期")
        if 19000101 <= value <= 21001231 and float(value).is_integer():
            text = str(int(value))
            return _checked_date(int(text[:4]), int(text[4:6]), int(text[6:]), text)
        date = excel_serial_date(value)
        return _checked_date(date.year, date.month, date.day, value)
    text = cell_text(value)
    if text is None:
        raise ValueError("为空")
    compact = _WS.sub(" ", text).strip()
    if m := _DATE_YMD.fullmatch(compact):
        return _checked_date(int(m[1]), int(m[2]), int(m[3]), text)
    if re.fullmatch(r"\d{8}", compact):
        return _checked_date(int(compact[:4]), int(compact[4:6]), int(compact[6:]), text)
    if re.fullmatch(r"\d{1,5}(\.\d+)?", compact):  # an Excel serial that arrived as text (CSV)
        date = excel_serial_date(float(compact))
        return _checked_date(date.year, date.month, date.day, text)
    if m := _DATE_CN.fullmatch(compact.replace(" ", "")):
        parts = [chinese_numeral(p) for p in m.groups()]
        if None not in parts:
            return _checked_date(parts[0], parts[1], parts[2], text)
    raise ValueError(f"无法识别的日期“{text}”，{DATE_HINT}")


def parse_year(value) -> int:
    """A year from a cell: 2012, 2012年, 2012年5月, 2012.05 or a whole date."""
    if isinstance(value, dt.date | dt.datetime):
        year = value.year
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if not float(value).is_integer():
            raise ValueError(f"“{value}”不是年份")
        year = int(value)
        if year > 9999:  # a full date: 20120518 or an Excel serial
            year = parse_date(value).year
    else:
        text = cell_text(value)
        if text is None:
            raise ValueError("为空")
        compact = _WS.sub("", text)
        if m := re.fullmatch(r"(\d{4})年?", compact):
            year = int(m[1])
        elif m := _YEAR_MONTH.fullmatch(compact):
            if not 1 <= int(m[2]) <= 12:
                raise ValueError(f"“{text}”不是有效的年月")
            year = int(m[1])
        else:
            year = parse_date(text).year
    if not 1900 <= year <= 2100:
        raise ValueError(f"年份“{value}”超出 1900—2100")
    return year


# ===================================================================================== vocabularies


def _vocab_key(text: str) -> str:
    return _WS.sub("", fold(text)).casefold()


_EXTRA_ALIASES: dict[int, dict[str, str]] = {
    id(vocab.SEXES): {"女性": "F", "男性": "M", "女孩": "F", "男孩": "M"},
}
_BOOL_WORDS = {
    **dict.fromkeys(("是", "√", "✓", "✔", "y", "yes", "true", "1", "有", "对"), True),
    **dict.fromkeys(("否", "×", "✗", "n", "no", "false", "0", "不是", "非"), False),
}
_MULTI_SPLIT = re.compile(r"[、,，;；/|\s]+")


@lru_cache(maxsize=64)
def _vocab_index(table_id: int) -> dict[str, str]:
    table = _VOCABS_BY_ID[table_id]
    index: dict[str, str] = {}
    for key, entry in table.items():
        index[_vocab_key(key)] = key
        index[_vocab_key(entry[0])] = key
        index[_vocab_key(entry[1])] = key
    index.update({_vocab_key(k): v for k, v in _EXTRA_ALIASES.get(table_id, {}).items()})
    return index


_VOCABS_BY_ID: dict[int, dict] = {
    id(t): t
    for t in (
        vocab.LEVELS,
        vocab.COORD_QUALITIES,
        vocab.CATEGORIES,
        vocab.ORG_KINDS,
        vocab.ORG_LEVELS,
        vocab.SEXES,
        vocab.SUPPORT_TYPES,
        vocab.CONTACT_MODES,
        vocab.RISK_LEVELS,
        vocab.CASE_CATEGORIES,
        vocab.CASE_STATUSES,
        vocab.CAMPAIGNS,
        vocab.EVENT_FORMATS,
        vocab.REC_STATUSES,
        vocab.METRICS,
    )
}


def _allowed(table: dict) -> str:
    return "、".join(entry[0] for entry in table.values())


def parse_vocab(value, table: dict) -> str:
    """The vocabulary key for a cell holding the key, the Chinese label or the English label."""
    text = cell_text(value)
    if text is None:
        raise ValueError("为空")
    key = _vocab_index(id(table)).get(_vocab_key(text))
    if key is None:
        raise ValueError(f"“{text}”不是允许的值，可选：{_allowed(table)}")
    return key


def parse_multi(value, table: dict) -> str:
    """Several vocabulary values separated by 、，, ; / or spaces, as the stored 'a;b' form."""
    text = cell_text(value)
    if text is None:
        return ""
    keys, bad = [], []
    for part in _MULTI_SPLIT.split(text):
        if not part or part.casefold() in EMPTY_MARKERS:
            continue
        key = _vocab_index(id(table)).get(_vocab_key(part))
        (keys if key else bad).append(key or part)
    if bad:
        raise ValueError(f"“{'、'.join(bad)}”不是允许的类别，可选：{_allowed(table)}")
    return vocab.join_keys(keys)


def parse_bool(value) -> bool:
    """是/否, √/×, Y/N, 1/0, TRUE/FALSE."""
    if isinstance(value, bool):
        return value
    text = cell_text(value)
    if text is None:
        raise ValueError("为空")
    answer = _BOOL_WORDS.get(text.casefold())
    if answer is None:
        raise ValueError(f"“{text}”应为“是”或“否”")
    return answer


def parse_id_number(value) -> str:
    """A normalised ID-card number; a number cell of 16+ digits has already lost digits in Excel."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if abs(value) >= 1e15:
            raise ValueError(
                "身份证号被 Excel 存成了数字，末几位已丢失；请把该列设为文本格式后重新填写"
            )
        value = str(int(value))
    text = cell_text(value)
    if text is None:
        raise ValueError("为空")
    if re.fullmatch(r"\d(\.\d+)?[eE]\+?\d+", _WS.sub("", text)):
        raise ValueError("身份证号被写成科学计数法（如 3.2E+17），末几位已丢失，请重新填写")
    return pseudonym.normalise_id_number(text)


# ===================================================================================== headers

_BRACKETED = re.compile(r"[(\[<《【〔][^)\]>》】〕]*[)\]>》】〕]")
_HEADER_NOISE = re.compile(r"[\s*※★☆:：#№.、_\-]")


def normalise_header(text) -> str:
    """A header as compared: folded, bracketed notes like （必填） and marks like * removed."""
    if text is None:
        return ""
    if isinstance(text, float) and math.isnan(text):
        return ""
    folded = str(text)
    for _ in range(4):  # to a fixed point: removing a space can let NFKC compose two characters
        before = folded
        folded = unicodedata.normalize("NFKC", folded)
        folded = _HEADER_NOISE.sub("", _BRACKETED.sub("", folded)).casefold()
        if folded == before:
            break
    return folded


@dataclass(frozen=True)
class Field:
    """One column of a kind's template: key, Chinese header, synonyms, how cells are read."""

    key: str  # a store column, or an input only the importer sees (name, id_number, town, …)
    zh: str
    synonyms: tuple[str, ...] = ()
    parse: str = "text"  # text, int, float, date, year, bool, vocab, multi, metric, place, places,
    # org, orgs, id_number, name, town
    vocab: dict | None = None
    required: bool = False
    personal: bool = False  # a name or ID number: hashed, never stored, never echoed in a report
    help: str = ""

    def help_text(self) -> str:
        """The help for this column in the template's 说明 sheet."""
        base = {
            "date": "日期，如 2022-05-18 或 2022年5月18日",
            "int": "整数",
            "float": "数字",
            "year": "四位年份，如 2012（也可填出生日期）",
            "bool": "是 或 否",
            "place": "村居或镇街名称，或 12 位区划代码",
            "places": "多个地点用顿号分开",
            "org": "组织名称或组织编号",
            "orgs": "多个组织用顿号分开",
            "multi": "可填多个，用顿号分开",
            "id_number": "18 位身份证号（末位可为 X），列设为文本格式；只用于生成假名编号，不保存",
            "name": "须同时填写对应的身份证号；只用于生成假名编号，不保存",
        }.get(self.parse, "")
        return "；".join(p for p in (self.help, base) if p)


@dataclass(frozen=True)
class KindSpec:
    """How a kind of record is imported: its columns, its ID and how a missing ID is derived."""

    kind: str
    zh: str
    description: str
    fields: tuple[Field, ...]
    id_field: str | None = None  # the store's ID column, derived when the file has none
    id_prefix: str = ""
    natural_key: tuple[str, ...] = ()  # record fields a missing ID is derived from
    one_of: tuple[tuple[str, ...], ...] = ()  # groups of fields of which at least one is needed
    hints: tuple[str, ...] = ()  # words in a sheet name that suggest this kind

    def field(self, key: str) -> Field:
        """The field with a key."""
        return next(f for f in self.fields if f.key == key)

    @property
    def header_index(self) -> dict[str, str]:
        """Normalised header text -> field key (the template header and every synonym)."""
        return _header_index(self.kind)


_TOWN = (
    "镇街", "镇", "乡镇", "镇(街道)", "乡镇(街道)", "镇街道", "所在镇", "所属镇", "所在镇街",
    "所属镇街", "所在乡镇", "镇区", "街道",
)  # fmt: skip
_PLACE = (
    "村居", "所在村", "所在村居", "村(居)", "村(社区)", "村社区", "村/社区", "村居名称", "所属村",
    "所属村居", "村名", "行政村", "村委会", "社区", "所在社区", "地点", "所在地", "地点代码",
    "村居代码", "区划代码", "统计用区划代码",
)  # fmt: skip
_ORG = ("组织", "单位", "组织名称", "组织编号", "承办单位", "主办单位", "实施单位")
_DATE = ("日期", "时间", "活动日期", "开展日期", "开展时间", "活动时间")
_HEAD_NAME = ("户主姓名", "户主", "户主名字", "家长姓名")
_HEAD_ID = ("户主身份证号", "户主身份证号码", "户主身份证", "户主证件号码", "户主公民身份号码")
_HOUSEHOLD_NO = ("家庭编号", "户编号", "家庭ID")
_PERSON_NAME = ("姓名", "名字", "儿童姓名", "对象姓名", "学生姓名", "帮扶对象", "帮扶对象姓名",
                "留守儿童姓名", "结对对象", "结对对象姓名")  # fmt: skip
_PERSON_ID = ("身份证号", "身份证号码", "身份证", "公民身份号码", "证件号码", "儿童身份证号",
              "对象身份证号", "身份证件号码")  # fmt: skip


def _place_field(required: bool = True, key: str = "place_code", zh: str = "村居") -> Field:
    return Field(key, zh, _PLACE if key == "place_code" else (), "place", required=required)


def _town_field() -> Field:
    return Field("town", "镇街", _TOWN, "town", help="同名村须写所属镇街（可不填）")


KIND_SPECS: dict[str, KindSpec] = {
    spec.kind: spec
    for spec in (
        KindSpec(
            "place",
            "地点",
            "地点：更新村居的儿童数、留守儿童数、是否省定重点帮促村和坐标，或新增地点。",
            (
                Field(
                    "code", "区划代码", ("代码", "地点代码", "统计用区划代码", "村居代码"), "text"
                ),
                Field("name", "名称", ("地点名称", "村居名称", "村居", "单位名称"), "text"),
                Field("short_name", "简称", ("简名",), "text"),
                Field("level", "级别", ("层级", "类型"), "vocab", vocab.LEVELS),
                Field("parent_code", "上级", ("上级代码", "上级地点", "所属镇街", "镇街"), "place"),
                Field(
                    "key_village",
                    "省定重点帮促村",
                    ("重点帮促村", "重点村", "是否重点帮促村"),
                    "bool",
                ),
                Field("lat", "纬度", ("lat", "latitude"), "float", help="WGS-84"),
                Field("lon", "经度", ("lon", "lng", "longitude"), "float", help="WGS-84"),
                Field(
                    "coord_quality",
                    "坐标质量",
                    ("坐标来源类型",),
                    "vocab",
                    vocab.COORD_QUALITIES,
                    help="填写经纬度时必填",
                ),
                Field("coord_basis", "坐标依据", ("坐标来源", "坐标说明"), "text"),
                Field("children", "儿童数", ("儿童人数", "儿童总数"), "int"),
                Field("left_behind_children", "留守儿童数", ("留守儿童人数",), "int"),
            ),
            one_of=(("code", "name"),),
            hints=("地点", "村居", "区划"),
        ),
        KindSpec(
            "org",
            "组织",
            "组织：妇联、协会、调解工作室、维权站、部门、学校。",
            (
                Field(
                    "org_id",
                    "组织编号",
                    ("组织代码", "单位编号"),
                    "text",
                    help="不填时按组织名称生成",
                ),
                Field(
                    "name", "组织名称", ("名称", "单位名称", "组织", "单位"), "text", required=True
                ),
                Field("kind", "类型", ("组织类型", "单位类型"), "vocab", vocab.ORG_KINDS),
                Field("level", "层级", ("级别", "组织层级"), "vocab", vocab.ORG_LEVELS),
                _town_field(),
                _place_field(zh="所在地"),
            ),
            id_field="org_id",
            id_prefix="O",
            natural_key=("name",),
            hints=("组织", "单位", "阵地"),
        ),
        KindSpec(
            "household",
            "家庭",
            "家庭：必访家庭、风险家庭等，以户主身份识别。",
            (
                Field("head_name", "户主姓名", _HEAD_NAME[1:] + ("姓名",), "name", personal=True),
                Field(
                    "head_id_number",
                    "户主身份证号",
                    _HEAD_ID[1:] + ("身份证号", "身份证号码"),
                    "id_number",
                    personal=True,
                ),
                Field(
                    "household_id",
                    "家庭编号",
                    _HOUSEHOLD_NO[1:],
                    "text",
                    help="不填时由户主姓名和身份证号生成假名编号",
                ),
                _town_field(),
                _place_field(),
                Field(
                    "categories",
                    "类别",
                    ("家庭类别", "家庭类型", "困难类型", "必访类型", "类型"),
                    "multi",
                    vocab.CATEGORIES,
                ),
            ),
            one_of=(("head_name", "household_id"),),
            hints=("家庭", "户"),
        ),
        KindSpec(
            "person",
            "对象",
            "对象：留守儿童、困境儿童、困难母亲等帮扶对象，以姓名和身份证号识别。",
            (
                Field("name", "姓名", _PERSON_NAME[1:], "name", personal=True),
                Field("id_number", "身份证号", _PERSON_ID[1:], "id_number", personal=True),
                Field(
                    "person_id",
                    "对象编号",
                    ("对象ID",),
                    "text",
                    help="不填时由姓名和身份证号生成假名编号",
                ),
                Field("sex", "性别", (), "vocab", vocab.SEXES, help="不填时按身份证号"),
                Field(
                    "birth_year",
                    "出生年份",
                    ("出生年", "出生年月", "出生日期", "出生年月日"),
                    "year",
                    help="不填时按身份证号",
                ),
                _town_field(),
                _place_field(),
                Field(
                    "categories",
                    "类别",
                    ("对象类别", "人员类别", "对象类型", "困难类型", "类型"),
                    "multi",
                    vocab.CATEGORIES,
                ),
                Field("head_name", "户主姓名", _HEAD_NAME[1:], "name", personal=True),
                Field("head_id_number", "户主身份证号", _HEAD_ID[1:], "id_number", personal=True),
                Field("household_id", "家庭编号", _HOUSEHOLD_NO[1:], "text"),
            ),
            one_of=(("name", "person_id"),),
            hints=("对象", "儿童", "名册", "人员"),
        ),
        KindSpec(
            "pairing",
            "结对",
            "结对帮扶：组织与对象的结对。对象须已在对象名册中（或在同一文件的对象工作表中）。",
            (
                Field(
                    "pairing_id",
                    "结对编号",
                    ("结对ID",),
                    "text",
                    help="不填时按组织+对象+开始日期生成",
                ),
                Field(
                    "org_id",
                    "帮扶组织",
                    ("结对组织", "帮扶单位", "结对单位") + _ORG,
                    "org",
                    required=True,
                ),
                Field("name", "对象姓名", _PERSON_NAME, "name", personal=True),
                Field("id_number", "对象身份证号", _PERSON_ID, "id_number", personal=True),
                Field("person_id", "对象编号", ("对象ID",), "text"),
                Field(
                    "support_type",
                    "帮扶类型",
                    ("帮扶方式", "结对类型", "帮扶内容"),
                    "vocab",
                    vocab.SUPPORT_TYPES,
                    required=True,
                ),
                Field(
                    "start_date",
                    "开始日期",
                    ("结对日期", "结对时间", "起始日期", "开始时间"),
                    "date",
                    required=True,
                ),
                Field("end_date", "结束日期", ("终止日期", "结束时间", "解除日期"), "date"),
            ),
            id_field="pairing_id",
            id_prefix="J",
            natural_key=("org_id", "person_id", "start_date"),
            one_of=(("name", "person_id"),),
            hints=("结对",),
        ),
        KindSpec(
            "contact",
            "帮扶记录",
            "帮扶记录：结对后的每次联系。用结对编号，或对象姓名+身份证号（+帮扶组织）指明结对。",
            (
                Field("pairing_id", "结对编号", ("结对ID",), "text"),
                Field("name", "对象姓名", _PERSON_NAME, "name", personal=True),
                Field("id_number", "对象身份证号", _PERSON_ID, "id_number", personal=True),
                Field("person_id", "对象编号", ("对象ID",), "text"),
                Field("org_id", "帮扶组织", ("结对组织", "帮扶单位") + _ORG, "org"),
                Field(
                    "date",
                    "日期",
                    ("联系日期", "帮扶日期", "走访日期") + _DATE[1:],
                    "date",
                    required=True,
                ),
                Field(
                    "mode",
                    "方式",
                    # not 联系方式: in registers that is a phone number
                    ("联系形式", "帮扶方式", "形式"),
                    "vocab",
                    vocab.CONTACT_MODES,
                    required=True,
                ),
            ),
            one_of=(("pairing_id", "name", "person_id"),),
            hints=("帮扶记录", "联系"),
        ),
        KindSpec(
            "course",
            "课程",
            "女童保护课程：每场一行，人次为受教育人次。",
            (
                Field(
                    "course_id",
                    "课程编号",
                    ("课程ID", "场次编号"),
                    "text",
                    help="建议填写；不填时按日期+地点+组织+主题识别同一场课程",
                ),
                Field(
                    "date",
                    "日期",
                    ("授课日期", "上课日期", "课程日期") + _DATE[1:],
                    "date",
                    required=True,
                ),
                _town_field(),
                _place_field(),
                Field("venue", "场所", ("授课地点", "上课地点", "学校", "场地"), "text"),
                Field("org_id", "组织", ("授课单位",) + _ORG[1:], "org", required=True),
                Field("topic", "主题", ("课程主题", "课程名称", "内容", "课程内容"), "text"),
                Field(
                    "attendance",
                    "人次",
                    ("受教育人次", "参加人次", "参与人次", "听课人次", "人数"),
                    "int",
                    required=True,
                ),
                Field("girls", "女童人次", ("女童人数", "女生人次", "女生人数"), "int"),
            ),
            id_field="course_id",
            id_prefix="K",
            natural_key=("date", "place_code", "org_id", "topic"),
            hints=("课程", "女童保护"),
        ),
        KindSpec(
            "visit",
            "走访",
            "入户走访：家庭以户主姓名+身份证号或家庭编号识别；新家庭按村居自动建立。",
            (
                Field("visit_id", "走访编号", ("走访ID",), "text"),
                Field(
                    "date",
                    "日期",
                    ("走访日期", "走访时间", "入户日期") + _DATE[1:],
                    "date",
                    required=True,
                ),
                Field("head_name", "户主姓名", _HEAD_NAME[1:], "name", personal=True),
                Field("head_id_number", "户主身份证号", _HEAD_ID[1:], "id_number", personal=True),
                Field("household_id", "家庭编号", _HOUSEHOLD_NO[1:], "text"),
                _town_field(),
                _place_field(required=False),
                Field("org_id", "走访单位", ("走访组织",) + _ORG, "org", required=True),
                Field(
                    "reasons",
                    "走访原因",
                    ("必访类型", "走访类别", "原因", "类别"),
                    "multi",
                    vocab.CATEGORIES,
                ),
                Field("follow_up_due", "跟进期限", ("跟进日期", "下次走访", "回访日期"), "date"),
            ),
            id_field="visit_id",
            id_prefix="V",
            natural_key=("date", "household_id", "org_id"),
            one_of=(("head_name", "household_id"),),
            hints=("走访",),
        ),
        KindSpec(
            "screening",
            "排查",
            "风险隐患排查：家庭以户主姓名+身份证号或家庭编号识别。",
            (
                Field("screening_id", "排查编号", ("排查ID",), "text"),
                Field("date", "日期", ("排查日期", "排查时间") + _DATE[1:], "date", required=True),
                Field("head_name", "户主姓名", _HEAD_NAME[1:], "name", personal=True),
                Field("head_id_number", "户主身份证号", _HEAD_ID[1:], "id_number", personal=True),
                Field("household_id", "家庭编号", _HOUSEHOLD_NO[1:], "text"),
                _town_field(),
                _place_field(required=False),
                Field(
                    "risk_categories",
                    "风险类别",
                    ("隐患类别", "隐患类型", "风险类型", "类别"),
                    "multi",
                    vocab.CATEGORIES,
                ),
                Field(
                    "risk_level",
                    "风险等级",
                    ("等级", "隐患等级", "风险程度"),
                    "vocab",
                    vocab.RISK_LEVELS,
                    required=True,
                ),
                Field("follow_up_due", "跟进期限", ("跟进日期", "整改期限", "回访日期"), "date"),
            ),
            id_field="screening_id",
            id_prefix="S",
            natural_key=("date", "household_id"),
            one_of=(("head_name", "household_id"),),
            hints=("排查", "隐患"),
        ),
        KindSpec(
            "case",
            "维权事项",
            "维权事项：接访、调解。当事人姓名等个人信息不要填写（会被忽略）。",
            (
                Field(
                    "case_id",
                    "事项编号",
                    ("案件编号", "登记编号", "受理编号"),
                    "text",
                    help="建议填写；不填时按受理日期+单位+地点+类别识别",
                ),
                Field(
                    "received_date",
                    "受理日期",
                    ("接访日期", "登记日期", "来访日期", "受理时间"),
                    "date",
                    required=True,
                ),
                Field("org_id", "受理单位", ("接访单位", "受理组织") + _ORG, "org", required=True),
                _town_field(),
                _place_field(),
                Field(
                    "category",
                    "类别",
                    ("事项类别", "纠纷类型", "案件类型", "问题类别"),
                    "vocab",
                    vocab.CASE_CATEGORIES,
                    required=True,
                ),
                Field(
                    "status",
                    "状态",
                    ("办理状态", "办理结果", "处理结果"),
                    "vocab",
                    vocab.CASE_STATUSES,
                    required=True,
                ),
                Field(
                    "closed_date",
                    "办结日期",
                    ("结案日期", "化解日期", "办结时间"),
                    "date",
                    help="状态为已化解或已转介时必填",
                ),
            ),
            id_field="case_id",
            id_prefix="C",
            natural_key=("received_date", "org_id", "place_code", "category"),
            hints=("维权", "接访", "调解", "事项"),
        ),
        KindSpec(
            "event",
            "普法活动",
            "普法活动：三八维权周、5·15、6·26、守护花开等。",
            (
                Field("event_id", "活动编号", ("活动ID",), "text"),
                Field("date", "日期", ("活动日期",) + _DATE[1:], "date", required=True),
                _town_field(),
                _place_field(),
                Field("org_id", "组织", _ORG[1:], "org", required=True),
                Field(
                    "campaign",
                    "活动",
                    ("活动名称", "主题活动", "宣传活动"),
                    "vocab",
                    vocab.CAMPAIGNS,
                    required=True,
                ),
                Field(
                    "format",
                    "形式",
                    ("活动形式", "宣传形式"),
                    "vocab",
                    vocab.EVENT_FORMATS,
                    required=True,
                ),
                Field("audience", "受众人次", ("受众", "参与人次", "覆盖人次", "人次"), "int"),
            ),
            id_field="event_id",
            id_prefix="E",
            natural_key=("date", "place_code", "org_id", "campaign", "format"),
            hints=("普法", "宣传", "活动"),
        ),
        KindSpec(
            "deliberation",
            "妇女议事",
            "妇女议事会：巾帼花、幸福港湾、心语桥、红姐等品牌。",
            (
                Field("deliberation_id", "议事编号", ("议事ID",), "text"),
                Field("date", "日期", ("议事日期",) + _DATE[1:], "date", required=True),
                _town_field(),
                _place_field(),
                Field("brand", "品牌", ("议事品牌", "议事会名称"), "text", required=True),
                Field("topic", "议题", ("议事主题", "主题", "内容"), "text"),
                Field("participants", "参与人数", ("参加人数", "人数"), "int"),
            ),
            id_field="deliberation_id",
            id_prefix="D",
            natural_key=("date", "place_code", "brand"),
            hints=("议事",),
        ),
        KindSpec(
            "target",
            "目标",
            "目标：某地某年某指标的目标值及其出处文件。",
            (
                Field("metric", "指标", ("指标名称",), "metric", vocab.METRICS, required=True),
                _place_field(zh="地点"),
                Field("year", "年度", ("年份",), "year", required=True),
                Field("value", "目标值", ("目标", "数值"), "float", required=True),
                Field("source", "来源", ("出处", "来源文件", "依据"), "text", required=True),
            ),
            hints=("目标",),
        ),
        KindSpec(
            "claim",
            "报告数据",
            "报告数据：工作报告中的一个数字，用于与记录核对。",
            (
                Field("claim_id", "数据编号", ("报告数据编号",), "text"),
                Field("document", "文件", ("报告", "文件名称", "报告名称"), "text", required=True),
                Field("metric", "指标", ("指标名称",), "metric", vocab.METRICS, required=True),
                _place_field(zh="地点"),
                Field("period_start", "起始日期", ("开始日期", "统计起始"), "date", required=True),
                Field("period_end", "截止日期", ("结束日期", "统计截止"), "date", required=True),
                Field("value", "数值", ("报告数值", "数字"), "float", required=True),
                Field("tolerance", "容差", ("允许误差",), "float"),
            ),
            id_field="claim_id",
            id_prefix="CL",
            natural_key=("document", "metric", "place_code", "period_start", "period_end"),
            hints=("报告",),
        ),
        KindSpec(
            "inspection",
            "视察",
            "视察调研：人大的监督活动本身。",
            (
                Field("inspection_id", "视察编号", ("调研编号",), "text"),
                Field("date", "日期", ("视察日期", "调研日期"), "date", required=True),
                Field("committee", "委员会", ("组织单位", "视察单位"), "text", required=True),
                Field("deputies", "参加代表", ("代表",), "text"),
                Field("places", "视察地点", ("地点", "调研地点"), "places"),
                Field("orgs", "视察组织", ("视察阵地", "组织"), "orgs"),
                Field("summary", "摘要", ("情况", "概要", "内容"), "text"),
            ),
            id_field="inspection_id",
            id_prefix="I",
            natural_key=("date", "committee"),
            hints=("视察", "调研"),
        ),
        KindSpec(
            "recommendation",
            "意见建议",
            "意见建议：视察提出的意见及其办理情况。视察可填编号或日期。",
            (
                Field("rec_id", "建议编号", ("意见编号",), "text"),
                Field("inspection_id", "视察", ("视察编号", "视察日期"), "text", required=True),
                _place_field(zh="地点"),
                Field("text", "内容", ("意见建议", "建议内容", "意见"), "text", required=True),
                Field("responsible_org", "责任单位", ("承办单位", "办理单位"), "org"),
                Field("due_date", "办理期限", ("期限", "截止日期"), "date"),
                Field("status", "状态", ("办理状态",), "vocab", vocab.REC_STATUSES),
                Field("response", "答复", ("办理情况", "办理结果"), "text"),
            ),
            id_field="rec_id",
            id_prefix="R",
            natural_key=("inspection_id", "text"),
            hints=("建议",),
        ),
    )
}
KIND_ORDER = list(RECORD_TABLES)  # dependency order: a kind only points at kinds before it

# Columns that hold personal data we never want: recognised so the report can say they were
# ignored on purpose. Anything else unknown is reported as an unrecognised column.
PERSONAL_IGNORED = frozenset(
    normalise_header(h)
    for h in (
        "联系电话", "电话", "手机", "手机号", "手机号码", "联系方式", "住址", "家庭住址", "地址",
        "现住址", "户籍地址", "监护人", "监护人姓名", "监护人电话", "监护人身份证号", "父亲姓名",
        "母亲姓名", "父亲", "母亲", "当事人", "当事人姓名", "来访人", "来访人姓名", "申请人",
        "被申请人", "联系人", "微信",
    )
)  # fmt: skip
SILENTLY_IGNORED = frozenset(
    normalise_header(h) for h in ("序号", "编号", "备注", QUARANTINE_REASON, QUARANTINE_ROW)
)
SKIP_SHEET_NAMES = frozenset({"说明", "填表说明", "选项", "填报说明", "说明页"})
FOOTER_MARKERS = ("合计", "总计", "小计", "填表人", "填报人", "审核人", "制表人", "负责人", "注：", "注:",
                  "说明：", "说明:", "备注：")  # fmt: skip


@cache
def _header_index(kind: str) -> dict[str, str]:
    index: dict[str, str] = {}
    for f in KIND_SPECS[kind].fields:
        for text in (f.zh, f.key, *f.synonyms):
            index.setdefault(normalise_header(text), f.key)
    return index


def match_header(text, kind: str) -> str | None:
    """The field key a header cell stands for in a kind, or None if it is not one of its fields."""
    return _header_index(kind).get(normalise_header(text))


def resolve_kind(text: str) -> str:
    """A record kind from its key or Chinese name (对象, 结对, …); raises HehuError if unknown."""
    folded = fold(str(text)).casefold()
    for kind, spec in KIND_SPECS.items():
        if folded in (kind, spec.zh.casefold()):
            return kind
    names = "、".join(f"{k}（{s.zh}）" for k, s in KIND_SPECS.items())
    raise HehuError(f"未知的记录类型：{text}。可选：{names}", f"unknown record kind: {text}")


# ===================================================================================== reading


@dataclass
class RawSheet:
    """A sheet as read: cell values by row, index 0 being Excel's row 1."""

    name: str
    rows: list[list]


def read_workbook(path: str | Path) -> list[RawSheet]:
    """Every sheet of an .xlsx/.xls/.ods file (python-calamine, else openpyxl/xlrd) or a CSV."""
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.exists():
        raise HehuError(f"文件不存在：{path}", f"no such file: {path}")
    if suffix in (".csv", ".txt"):
        return [RawSheet(path.stem, read_csv_rows(path.read_bytes()))]
    if suffix not in SUPPORTED_SUFFIXES:
        raise HehuError(
            f"不支持的文件类型：{path.suffix}（可导入 .xlsx、.xls、.csv）",
            f"unsupported file type: {path.suffix}",
        )
    try:
        return _read_calamine(path)
    except Exception as calamine_error:  # noqa: BLE001 - any reader failure falls back
        try:
            if suffix == ".xls":
                return _read_xlrd(path)
            return _read_openpyxl(path)
        except Exception:  # noqa: BLE001 - report the first reader's reason
            raise HehuError(
                f"无法读取文件 {path.name}：{calamine_error}",
                f"cannot read {path.name}: {calamine_error}",
            ) from calamine_error


def _read_calamine(path: Path) -> list[RawSheet]:
    from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

    sheets = []
    with CalamineWorkbook.from_path(str(path)) as book:
        for meta in book.sheets_metadata:
            if meta.typ != SheetTypeEnum.WorkSheet or meta.visible != SheetVisibleEnum.Visible:
                continue  # hidden sheets hold choice lists, not records
            sheet = book.get_sheet_by_name(meta.name)
            rows = [list(r) for r in sheet.to_python(skip_empty_area=False)]
            merged = sheet.merged_cell_ranges or []
            sheets.append(RawSheet(meta.name, _fill_merged(rows, merged)))
    return sheets


def _read_openpyxl(path: Path) -> list[RawSheet]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=False, data_only=True)
    sheets = []
    for sheet in book.worksheets:
        if sheet.sheet_state != "visible":
            continue
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        merged = [
            ((r.min_row - 1, r.min_col - 1), (r.max_row - 1, r.max_col - 1))
            for r in sheet.merged_cells.ranges
        ]
        sheets.append(RawSheet(sheet.title, _fill_merged(rows, merged)))
    return sheets


def _read_xlrd(path: Path) -> list[RawSheet]:
    import xlrd

    book = xlrd.open_workbook(str(path), formatting_info=False)
    sheets = []
    for sheet in book.sheets():
        rows = []
        for r in range(sheet.nrows):
            row = []
            for c in range(sheet.ncols):
                cell = sheet.cell(r, c)
                if cell.ctype == xlrd.XL_CELL_DATE:
                    row.append(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode))
                else:
                    row.append(cell.value)
            rows.append(row)
        sheets.append(RawSheet(sheet.name, rows))
    return sheets


def _fill_merged(rows: list[list], merged) -> list[list]:
    """Copy a merged cell's value into every cell of the merge (a village merged over its rows).

    Only rows that have something else in them are filled, so a merge running past the last
    record does not invent rows.
    """
    for (r0, c0), (r1, c1) in merged:
        if r0 >= len(rows) or c0 >= len(rows[r0]):
            continue
        value = rows[r0][c0]
        if is_blank(value):
            continue
        for r in range(r0, min(r1, len(rows) - 1) + 1):
            row = rows[r]
            if r != r0 and all(is_blank(v) for i, v in enumerate(row) if not c0 <= i <= c1):
                continue
            for c in range(c0, min(c1, len(row) - 1) + 1):
                if is_blank(row[c]):
                    row[c] = value
    return rows


def decode_text(data: bytes) -> str:
    """Text of a CSV in UTF-8 (with or without BOM) or GBK/GB18030, as Chinese Excel saves it."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise HehuError(
        "无法识别 CSV 文件的编码（应为 UTF-8 或 GBK）", "cannot decode the CSV (UTF-8 or GBK)"
    )


def read_csv_rows(data: bytes) -> list[list]:
    """The rows of a CSV file's bytes, delimiter sniffed (comma, tab, semicolon)."""
    text = decode_text(data)
    sample = text[:8192]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",\t;|").delimiter
    except csv.Error:
        delimiter = ","
    return [list(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]


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
        digits = _WS.sub("", text)
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
            self.by_name.setdefault(_vocab_key(str(name)), set()).add(org_id)

    def add(self, org_id: str, name: str | None) -> None:
        """Make an organisation from this import resolvable by later rows."""
        self.ids.add(org_id)
        if name:
            ids = self.by_name.setdefault(_vocab_key(name), set())
            ids.add(org_id)

    def resolve(self, value) -> str:
        """The org_id of an organisation written as its ID or its name."""
        text = cell_text(value)
        if text is None:
            raise ValueError("为空")
        if text in self.ids:
            return text
        found = self.by_name.get(_vocab_key(text), set())
        if len(found) == 1:
            return next(iter(found))
        if len(found) > 1:
            raise ValueError(
                f"组织名称“{text}”对应多个组织（{'、'.join(sorted(found))}），请填写组织编号"
            )
        raise ValueError(f"找不到组织“{text}”，请先导入组织名册或填写组织编号")


# ===================================================================================== report


@dataclass
class RowError:
    """Why a row was rejected: the sheet, the row as Excel numbers it, the column as written."""

    sheet: str
    row: int
    column: str
    reason: str


@dataclass
class SheetResult:
    """What happened to one sheet."""

    name: str
    kind: str | None
    header_row: int | None = None
    columns: dict[str, str] = field(default_factory=dict)  # header as written -> field key
    ignored: list[str] = field(default_factory=list)
    personal_ignored: list[str] = field(default_factory=list)
    rows_read: int = 0
    accepted: int = 0
    rejected: int = 0
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (row, why)
    header: list = field(default_factory=list)
    rejected_rows: list[tuple[int, list, str]] = field(default_factory=list)  # row, cells, reasons


@dataclass
class ImportReport:
    """The outcome of an import or a dry run, with everything the CLI and the page show."""

    source: str
    dry_run: bool
    kind: str | None
    started: dt.datetime
    finished: dt.datetime | None = None
    sheets: list[SheetResult] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # kind -> added/updated/…
    written: dict[str, int] = field(default_factory=dict)
    committed: bool = False
    strict_refused: bool = False
    report_path: Path | None = None
    quarantine_path: Path | None = None

    @property
    def rows_read(self) -> int:
        """Data rows read (empty rows not counted)."""
        return sum(s.rows_read for s in self.sheets)

    @property
    def accepted(self) -> int:
        """Rows that passed every check."""
        return sum(s.accepted for s in self.sheets)

    @property
    def rejected(self) -> int:
        """Rows rejected (each has at least one error and is in the quarantine file)."""
        return sum(s.rejected for s in self.sheets)

    @property
    def skipped(self) -> int:
        """Rows skipped on purpose: totals, signature lines, repeated headers, duplicates."""
        return sum(len(s.skipped) for s in self.sheets)

    @property
    def records_written(self) -> int:
        """Records written to the store (0 for a dry run)."""
        return sum(self.written.values())

    def count(self, what: str) -> int:
        """Records added, updated or unchanged, over all kinds."""
        return sum(c.get(what, 0) for c in self.counts.values())

    def errors_frame(self) -> pd.DataFrame:
        """The row errors as a frame: 工作表, 行号, 列, 原因."""
        return pd.DataFrame(
            [(e.sheet, e.row, e.column, e.reason) for e in self.errors],
            columns=["工作表", "行号", "列", "原因"],
        )

    def summary_frame(self) -> pd.DataFrame:
        """One line per figure, in Chinese: what was read, accepted, rejected, written."""
        lines = [
            ("文件", self.source),
            ("方式", "试导入（未写入数据库）" if self.dry_run else "导入"),
            ("开始时间", self.started.strftime("%Y-%m-%d %H:%M:%S")),
            ("读取行数", self.rows_read),
            ("通过行数", self.accepted),
            ("拒绝行数", self.rejected),
            ("跳过行数", self.skipped),
            ("新增记录", self.count("added")),
            ("更新记录", self.count("updated")),
            ("无变化记录", self.count("unchanged")),
            ("写入记录", self.records_written),
        ]
        for sheet in self.sheets:
            kind = KIND_SPECS[sheet.kind].zh if sheet.kind else "未识别"
            lines.append(
                (
                    f"工作表“{sheet.name}”",
                    f"{kind}：读取 {sheet.rows_read}，通过 {sheet.accepted}，拒绝 {sheet.rejected}",
                )
            )
        lines += [("提示", n) for n in self.notices]
        return pd.DataFrame(lines, columns=["项目", "内容"])

    def summary_text(self) -> str:
        """The summary the CLI prints."""
        mode = "试导入（未写入数据库）" if self.dry_run else "导入"
        text = [
            f"{mode}：{self.source}",
            f"读取 {self.rows_read} 行，通过 {self.accepted} 行，拒绝 {self.rejected} 行，"
            f"跳过 {self.skipped} 行",
            f"新增 {self.count('added')}，更新 {self.count('updated')}，"
            f"无变化 {self.count('unchanged')}，写入 {self.records_written} 条记录",
        ]
        text += [f"提示：{n}" for n in self.notices]
        return "\n".join(text)


# ===================================================================================== the import


class _Catalog:
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
            keys = [c.name for c in table.primary_key.columns]
            with self.store.engine.connect() as conn:
                rows = conn.execute(sa.select(table)).mappings().all()
            self._existing[kind] = {
                tuple(r[k] for k in keys): {c.name: _plain(r[c.name], c) for c in table.columns}
                for r in rows
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


def _plain(value, column: sa.Column):
    """A stored value as the importer compares it."""
    if value is None:
        return None
    if isinstance(column.type, sa.Date) and isinstance(value, dt.datetime):
        return value.date()
    if isinstance(column.type, sa.Boolean):
        return bool(value)
    if isinstance(column.type, sa.Float):
        return float(value)
    return value


def derive_id(prefix: str, kind: str, values: Iterable) -> str:
    """A stable ID from a record's natural-key values (so re-importing updates, never duplicates)."""
    material = "\x1f".join([kind, *("" if v is None else str(v) for v in values)])
    return f"{prefix}-{hashlib.sha256(material.encode()).hexdigest()[:16]}"


# Parsers whose results depend only on the cell (not on a town column or on rows before), over
# values that repeat down a register (dates, categories, statuses) and are not personal data.
_CACHED_PARSES = frozenset({"int", "float", "date", "year", "bool", "vocab", "metric", "multi"})


class _RowFailed(Exception):
    pass


class Importer:
    """One import (or dry run) of one file into one store. Use `import_file` rather than this."""

    def __init__(
        self,
        store: Store,
        *,
        kind: str | None = None,
        dry_run: bool = False,
        strict: bool = False,
        actor: str | None = None,
        progress: Progress | None = None,
    ):
        self.store = store
        self.kind = resolve_kind(kind) if kind else None
        self.dry_run = dry_run
        self.strict = strict
        self.actor = actor or _default_actor()
        self.progress = progress or (lambda fraction, message: None)
        self.catalog: _Catalog | None = None
        self._key: bytes | None = None
        # kind -> pk -> (record, sheet, row)
        self.batch: dict[str, dict[tuple, tuple[dict, str, int]]] = {}
        self.rejected_refs: dict[str, dict[str, tuple[str, int]]] = {}
        self.auto_households = 0
        self._parsed: dict[tuple, object] = {}  # (field, type, cell) -> value or ValueError

    # -- key ---------------------------------------------------------------------------------
    def key(self) -> bytes:
        """The pseudonymisation key; a dry run never creates the key file."""
        if self._key is None:
            key = pseudonym.load_key(create=not self.dry_run)
            if key is None:
                key = pseudonym.new_ephemeral_key()
            stored = self.store.get_meta(pseudonym.KEY_CHECK_META)
            if stored and stored != pseudonym.key_check(key):
                raise pseudonym.KeyMismatch()
            self._key = key
        return self._key

    # -- the whole run -----------------------------------------------------------------------
    def run(self, path: str | Path, report_dir: str | Path | None = None) -> ImportReport:
        """Read, validate and (unless a dry run) write one file; write the report files."""
        path = Path(path)
        report = ImportReport(str(path.name), self.dry_run, self.kind, dt.datetime.now())
        self.progress(0.0, "读取文件")
        started = time.perf_counter()
        sheets = read_workbook(path)
        self.progress(
            0.15, f"已读取 {len(sheets)} 个工作表（{time.perf_counter() - started:.1f} 秒）"
        )
        self.catalog = _Catalog(self.store)
        plans = [(i, self._plan_sheet(sheet, report)) for i, sheet in enumerate(sheets)]
        plans = [(i, p) for i, p in plans if p is not None]
        if not plans:
            reasons = "；".join(report.notices) or "文件为空"
            raise HehuError(
                f"{path.name} 中没有可识别的记录表：{reasons}",
                f"no sheet of {path.name} could be recognised",
            )
        # Kinds in dependency order, so a sheet may point at records of an earlier sheet.
        plans.sort(key=lambda item: (KIND_ORDER.index(item[1][1].kind), item[0]))
        total_rows = sum(len(p[0].rows) for _, p in plans) or 1
        done = [0]
        for _, (raw, result, mapping) in plans:
            self._import_sheet(raw, result, mapping, report, done, total_rows)
        self._count_changes(report)
        if report.rejected and self.strict:
            report.strict_refused = True
            report.notices.append("严格模式：存在被拒绝的行，未写入任何数据")
        failure: HehuError | None = None
        if not self.dry_run and not report.strict_refused:
            self.progress(0.9, "写入数据库（一个事务）")
            try:
                self._write(report, path.name)
            except HehuError as exc:  # the transaction rolled back: say so in the report too
                failure = exc
                report.notices.append(f"写入失败，未写入任何数据：{exc.zh}")
        report.finished = dt.datetime.now()
        self.progress(0.97, "生成导入报告")
        write_report_files(report, Path(report_dir) if report_dir else path.parent, path.stem)
        self.progress(1.0, "完成")
        if failure is not None:
            raise failure
        return report

    # -- sheets ------------------------------------------------------------------------------
    def _plan_sheet(self, raw: RawSheet, report: ImportReport):
        """Find a sheet's kind and header row; None when the sheet is skipped."""
        if fold(raw.name) in SKIP_SHEET_NAMES:
            return None
        if not any(not is_blank(v) for r in raw.rows for v in r):
            return None
        found = detect_header(raw.rows, self.kind, raw.name)
        if isinstance(found, str):  # a reason why not
            nonempty = sum(1 for r in raw.rows if any(not is_blank(v) for v in r))
            report.notices.append(f"工作表“{raw.name}”已跳过：{found}（{nonempty} 行非空）")
            return None
        kind, header_row, mapping = found
        if self.kind and not _complete(kind, mapping):
            guess = detect_header(raw.rows, None, raw.name)
            if not isinstance(guess, str) and guess[0] != kind and _complete(guess[0], guess[2]):
                other = KIND_SPECS[guess[0]].zh
                report.notices.append(f"工作表“{raw.name}”像是{other}表，不是所选类型，已跳过")
                return None
        result = SheetResult(raw.name, kind, header_row + 1, header=list(raw.rows[header_row]))
        report.sheets.append(result)
        return raw, result, mapping

    def _reject_sheet(self, raw, result, report, header_row: int, reason: str) -> None:
        """Reject every data row of a sheet for one reason (a required column is missing)."""
        report.errors.append(RowError(raw.name, header_row + 1, "（表头）", reason))
        for index in range(header_row + 1, len(raw.rows)):
            cells = raw.rows[index]
            if all(is_blank(v) for v in cells):
                continue
            result.rows_read += 1
            result.rejected += 1
            result.rejected_rows.append((index + 1, cells, reason))

    def _import_sheet(self, raw, result, mapping, report, done, total_rows) -> None:
        spec = KIND_SPECS[result.kind]
        header_row = result.header_row - 1
        header = raw.rows[header_row]
        columns: dict[str, list[int]] = {}
        for index, key in mapping.items():
            columns.setdefault(key, []).append(index)
            result.columns[_header_label(header[index])] = key
        for index, cell in enumerate(header):
            if index in mapping or is_blank(cell):
                continue
            norm = normalise_header(cell)
            if norm in PERSONAL_IGNORED:
                result.personal_ignored.append(_header_label(cell))
            elif norm not in SILENTLY_IGNORED:
                result.ignored.append(_header_label(cell))
        if result.personal_ignored:
            report.notices.append(
                f"工作表“{raw.name}”的列 {'、'.join(result.personal_ignored)} 含个人信息，已忽略，不会保存"
            )
        if result.ignored:
            report.notices.append(
                f"工作表“{raw.name}”的列 {'、'.join(result.ignored)} 未识别，已忽略"
            )
        missing = [f.zh for f in spec.fields if f.required and f.key not in columns]
        missing += [
            "或".join(spec.field(k).zh for k in group)
            for group in spec.one_of
            if not any(k in columns for k in group)
        ]
        if missing:
            self._reject_sheet(raw, result, report, header_row, f"缺少必填列：{'、'.join(missing)}")
            return
        header_norm = [normalise_header(h) for h in header]
        header_words = set(header_norm) - {""}
        used_columns = sorted({i for idx in columns.values() for i in idx})
        labels = {key: _header_label(header[idx[0]]) for key, idx in columns.items()}
        for index in range(header_row + 1, len(raw.rows)):
            done[0] += 1
            if done[0] % PROGRESS_EVERY == 0:
                self.progress(
                    0.15 + 0.75 * done[0] / total_rows, f"已检查 {done[0]} / {total_rows} 行"
                )
            cells = raw.rows[index]
            if all(is_blank(cells[i]) for i in used_columns if i < len(cells)):
                continue
            first = next((t for t in map(cell_text, cells) if t is not None), "")
            if first.startswith(FOOTER_MARKERS):
                result.skipped.append((index + 1, f"合计或落款行：{first[:12]}"))
                continue
            # A header repeated down the sheet (registers pasted page by page); cheap test first.
            if (
                normalise_header(first) in header_words
                and [normalise_header(v) for v in cells[: len(header_norm)]]
                == header_norm[: len(cells)]
            ):
                result.skipped.append((index + 1, "重复的表头行"))
                continue
            result.rows_read += 1
            errors: list[tuple[str, str]] = []
            values: dict[str, object] = {}
            taken = False
            try:
                record, extras = self._build_row(
                    spec, cells, header, columns, labels, errors, values
                )
                taken = self._accept(
                    spec, record, extras, raw.name, index + 1, labels, errors, result
                )
            except _RowFailed:
                self._remember_failed(spec.kind, values, raw.name, index + 1)
            if errors:
                result.rejected += 1
                reasons = "；".join(f"{col}：{why}" for col, why in errors)
                result.rejected_rows.append((index + 1, cells, reasons))
                report.errors += [RowError(raw.name, index + 1, col, why) for col, why in errors]
            elif taken:
                result.accepted += 1

    # -- rows --------------------------------------------------------------------------------
    def _build_row(self, spec: KindSpec, cells, header, columns, labels, errors, values):
        """Parse a row's cells into `values`, then build the store record (and records it implies).

        Errors are collected in `errors`; _RowFailed is raised when there is any.
        """
        town = None
        if "town" in columns:
            town = next(
                (cells[i] for i in columns["town"] if i < len(cells) and not is_blank(cells[i])),
                None,
            )
        for f in spec.fields:
            if f.key not in columns:
                continue
            parsed, failed = [], False
            for i in columns[f.key]:
                value = cells[i] if i < len(cells) else None
                if is_blank(value):
                    continue
                try:
                    parsed.append(self._parse(f, value, town))
                except ValueError as exc:
                    failed = True
                    reason = str(exc)
                    if f.personal and f.parse == "name":
                        reason = "姓名无效"  # never echo personal data into a report
                    errors.append((_header_label(header[i]), reason))
            distinct = list(dict.fromkeys(parsed))
            if len(distinct) > 1:
                errors.append((labels[f.key], "同一行中表示同一项目的几列内容不一致"))
            elif distinct:
                values[f.key] = distinct[0]
            elif f.required and not failed:
                errors.append((labels[f.key], "必填项为空"))
        if errors:
            raise _RowFailed
        builder = _BUILDERS.get(spec.kind, _build_plain)
        return builder(self, spec, values, labels, errors)

    def _parse(self, f: Field, value, town):
        """One cell through its field's parser; repeated non-personal values are parsed once."""
        if f.parse not in _CACHED_PARSES:
            return self._parse_cell(f, value, town)
        cache_key = (f.key, type(value), value)
        found = self._parsed.get(cache_key)
        if found is None:
            try:
                found = self._parse_cell(f, value, town)
            except ValueError as exc:
                found = exc
            self._parsed[cache_key] = found
        if isinstance(found, ValueError):
            raise ValueError(str(found))
        return found

    def _parse_cell(self, f: Field, value, town):
        kind = f.parse
        if kind in ("text", "town"):
            return cell_text(value)
        if kind == "name":
            text = cell_text(value)
            if not pseudonym.normalise_name(text):
                raise ValueError("姓名无效")
            return text
        if kind == "id_number":
            return parse_id_number(value)
        if kind == "int":
            number = parse_int(value)
            if number < 0:
                raise ValueError(f"“{value}”不能为负数")
            return number
        if kind == "float":
            return parse_number(value)
        if kind == "date":
            return parse_date(value)
        if kind == "year":
            return parse_year(value)
        if kind == "bool":
            return parse_bool(value)
        if kind in ("vocab", "metric"):
            return parse_vocab(value, f.vocab)
        if kind == "multi":
            return parse_multi(value, f.vocab)
        if kind == "place":
            return self.catalog.places.resolve(value, town if f.key == "place_code" else None)
        if kind == "org":
            return self.catalog.orgs.resolve(value)
        if kind in ("places", "orgs"):
            text = cell_text(value)
            resolve = self.catalog.places.resolve if kind == "places" else self.catalog.orgs.resolve
            parts = [p for p in _MULTI_SPLIT.split(text or "") if p]
            codes, bad = [], []
            for part in parts:
                try:
                    codes.append(resolve(part))
                except ValueError as exc:
                    bad.append(str(exc))
            if bad:
                raise ValueError("；".join(bad))
            return vocab.join_keys(codes)
        raise AssertionError(kind)

    def _accept(self, spec, record, extras, sheet, row, labels, errors, result) -> bool:
        """Check a built record against the store's rules and earlier rows; keep it if valid.

        Returns False for an exact repeat of an earlier row (merged, not counted twice).
        """
        kind = spec.kind
        table = RECORD_TABLES[kind]
        keys = [c.name for c in table.primary_key.columns]
        if spec.id_field and not record.get(spec.id_field):
            record[spec.id_field] = derive_id(
                spec.id_prefix, kind, (record.get(k) for k in spec.natural_key)
            )
        pk = tuple(record.get(k) for k in keys)
        existing = self.catalog.existing(kind).get(pk)
        effective = dict(existing or {})
        effective.update(record)
        problems = check_record(kind, effective)
        for column, reason in problems:
            errors.append((_label_for(spec, column, labels), reason))
        if errors:
            raise _RowFailed
        previous = self.batch.get(kind, {}).get(pk)
        if previous is not None:
            before, prev_sheet, prev_row = previous
            if any(before.get(k) != v for k, v in record.items()):
                where = (
                    f"第 {prev_row} 行"
                    if prev_sheet == sheet
                    else f"工作表“{prev_sheet}”第 {prev_row} 行"
                )
                label = labels.get(spec.id_field, "编号") if spec.id_field else "关键字段"
                errors.append(
                    (label, f"与{where}是同一记录但内容不同；如确为不同记录，请填写不同的编号")
                )
                raise _RowFailed
            result.skipped.append((row, f"与第 {prev_row} 行重复，已合并"))
            result.rows_read -= 1
            return False
        self.batch.setdefault(kind, {})[pk] = (effective, sheet, row)
        for extra_kind, extra in extras:
            extra_table = RECORD_TABLES[extra_kind]
            extra_pk = tuple(extra[c.name] for c in extra_table.primary_key.columns)
            self.batch.setdefault(extra_kind, {}).setdefault(extra_pk, (extra, sheet, row))
            if extra_kind == "household":
                self.auto_households += 1
        if kind == "org":
            self.catalog.orgs.add(effective["org_id"], effective.get("name"))
        return True

    def _remember_failed(self, kind: str, values: dict, sheet: str, row: int) -> None:
        """Note who a rejected row was about, so rows pointing at it can say it was rejected."""
        ident = None
        if kind == "person" and values.get("name") and values.get("id_number"):
            ident = pseudonym.pseudonym("P", values["name"], values["id_number"], self.key())
        elif kind == "household" and values.get("head_name") and values.get("head_id_number"):
            ident = pseudonym.pseudonym(
                "H", values["head_name"], values["head_id_number"], self.key()
            )
        elif kind == "org" and values.get("name"):
            ident = values.get("org_id") or derive_id("O", "org", [_vocab_key(values["name"])])
        ident = ident or values.get(
            {"person": "person_id", "household": "household_id"}.get(kind, "")
        )
        if ident:
            self.rejected_refs.setdefault(kind, {})[ident] = (sheet, row)

    # -- references ---------------------------------------------------------------------------
    def exists(self, kind: str, key: str) -> bool:
        """Whether a record is stored or accepted earlier in this import."""
        return (key,) in self.batch.get(kind, {}) or key in self.catalog.ids(kind)

    def missing_reason(self, kind: str, key: str, what: str, hint: str) -> str:
        """Why a reference does not resolve, pointing at the rejected row if it was in this file."""
        if key in self.rejected_refs.get(kind, {}):
            sheet, row = self.rejected_refs[kind][key]
            return f"{what}在工作表“{sheet}”第 {row} 行，但该行被拒绝"
        return f"找不到{what}，{hint}"

    # -- counting and writing ----------------------------------------------------------------
    def _count_changes(self, report: ImportReport) -> None:
        for kind, rows in self.batch.items():
            existing = self.catalog.existing(kind)
            counts = {"added": 0, "updated": 0, "unchanged": 0}
            for pk, (record, _, _) in rows.items():
                before = existing.get(pk)
                if before is None:
                    counts["added"] += 1
                elif all(before.get(k) == v for k, v in record.items()):
                    counts["unchanged"] += 1
                else:
                    counts["updated"] += 1
            report.counts[kind] = counts
        if self.auto_households:
            report.notices.append(f"按户主自动新建家庭 {self.auto_households} 户")

    def _changed_records(self) -> dict[str, list[dict]]:
        out: dict[str, list[dict]] = {}
        for kind, rows in self.batch.items():
            existing = self.catalog.existing(kind)
            changed = []
            for pk, (record, _, _) in rows.items():
                before = existing.get(pk)
                if before is None or any(before.get(k) != v for k, v in record.items()):
                    changed.append(record)
            if changed:
                out[kind] = changed
        return out

    def _write(self, report: ImportReport, file_name: str) -> None:
        records = self._changed_records()
        places = sorted(
            {r["place_code"] for rows in records.values() for r in rows if r.get("place_code")}
        )
        meta_values = {}
        if self._key is not None and not self.store.get_meta(pseudonym.KEY_CHECK_META):
            meta_values[pseudonym.KEY_CHECK_META] = pseudonym.key_check(self._key)
        what = (
            f"import {file_name}: added {report.count('added')}, updated {report.count('updated')}, "
            f"unchanged {report.count('unchanged')}, rejected {report.rejected}"
        )
        pause = float(os.environ.get(PAUSE_ENV, "0") or 0)
        if pause and records:
            records = _pause_inside_transaction(records, pause)
        written = self.store.write(
            records,
            meta_values=meta_values,
            audit={
                "action": "import",
                "what": what,
                "places": ";".join(places),
                "actor": self.actor,
            },
        )
        report.written = {k: v for k, v in written.items() if v}
        report.committed = True


def _pause_inside_transaction(records: dict[str, list[dict]], seconds: float):
    """Test hook: the last kind's rows are handed over only after a pause, inside the transaction."""
    last = [k for k in KIND_ORDER if k in records][-1]  # written last, after the others

    def slow(rows: list[dict]) -> Iterator[dict]:
        """The rows, after a marker on stderr and the pause."""
        print("HEHU-IN-TRANSACTION", file=sys.stderr, flush=True)
        time.sleep(seconds)
        yield from rows

    return {k: (slow(v) if k == last else v) for k, v in records.items()}


def _header_label(cell) -> str:
    """A header cell as the user wrote it (for messages), trimmed."""
    text = cell_text(cell)
    return text if text is not None else ""


def _label_for(spec: KindSpec, column: str, labels: dict[str, str]) -> str:
    if column in labels:
        return labels[column]
    try:
        return spec.field(column).zh
    except StopIteration:
        return _STORE_COLUMN_ZH.get(column, column)


_STORE_COLUMN_ZH = {
    "name": "名称",
    "short_name": "简称",
    "level": "级别",
    "kind": "类型",
    "sex": "性别",
    "place_code": "村居",
    "household_id": "家庭",
    "person_id": "对象",
}


def _default_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # noqa: BLE001 - no login name in some containers
        return "cli"


# ===================================================================================== rules


def check_record(kind: str, record: dict) -> list[tuple[str, str]]:
    """The store's rules, checked on one record before writing: (column, reason in Chinese)."""
    problems: list[tuple[str, str]] = []
    table = RECORD_TABLES[kind]
    for column in table.columns:
        if column.nullable or column.default is not None or column.autoincrement is True:
            continue
        if record.get(column.name) is None:
            problems.append((column.name, "缺少必填项"))

    def order(first: str, second: str, what: str) -> None:
        """A date that must not come before another."""
        a, b = record.get(first), record.get(second)
        if a is not None and b is not None and b < a:
            problems.append((second, f"{what}早于{_DATE_WORDS.get(first, first)}"))

    if kind == "pairing":
        order("start_date", "end_date", "结束日期")
    elif kind in ("visit", "screening"):
        order("date", "follow_up_due", "跟进期限")
    elif kind == "case":
        order("received_date", "closed_date", "办结日期")
        status, closed = record.get("status"), record.get("closed_date")
        if status == "open" and closed is not None:
            problems.append(("closed_date", "状态为办理中时不应填写办结日期"))
        if status in ("resolved", "referred") and closed is None:
            problems.append(("closed_date", "状态为已化解或已转介时须填写办结日期"))
    elif kind == "claim":
        order("period_start", "period_end", "截止日期")
        if (record.get("tolerance") or 0) < 0:
            problems.append(("tolerance", "容差不能为负数"))
    elif kind == "course":
        girls, attendance = record.get("girls"), record.get("attendance")
        if girls is not None and attendance is not None and girls > attendance:
            problems.append(("girls", f"女童人次（{girls}）大于总人次（{attendance}）"))
    elif kind == "place":
        lat, lon = record.get("lat"), record.get("lon")
        if lat is not None and not -90 <= lat <= 90:
            problems.append(("lat", "纬度应在 -90 到 90 之间"))
        if lon is not None and not -180 <= lon <= 180:
            problems.append(("lon", "经度应在 -180 到 180 之间"))
        lbc, children = record.get("left_behind_children"), record.get("children")
        if lbc is not None and children is not None and lbc > children:
            problems.append(("left_behind_children", "留守儿童数大于儿童数"))
    elif kind == "person":
        year = record.get("birth_year")
        if year is not None and not 1900 <= year <= 2100:
            problems.append(("birth_year", "出生年份应在 1900—2100"))
    return problems


_DATE_WORDS = {
    "start_date": "开始日期",
    "date": "日期",
    "received_date": "受理日期",
    "period_start": "起始日期",
}


# ===================================================================================== builders


def _build_plain(imp: Importer, spec: KindSpec, values: dict, labels, errors):
    """A record that is just its parsed columns (course, event, case, …)."""
    record = {k: v for k, v in values.items() if k in RECORD_TABLES[spec.kind].columns}
    return record, []


def _build_place(imp: Importer, spec, values, labels, errors):
    record = {k: v for k, v in values.items() if k in RECORD_TABLES["place"].columns}
    places = imp.catalog.places
    code = values.get("code")
    if code is not None:
        digits = _WS.sub("", str(code))
        if not re.fullmatch(r"\d{12}", digits):
            errors.append((labels["code"], f"区划代码“{code}”应为12位数字"))
            raise _RowFailed
        record["code"] = digits
    else:
        try:
            record["code"] = places.resolve(values["name"])
        except ValueError as exc:
            errors.append((labels["name"], f"{exc}（新增地点须填写区划代码）"))
            raise _RowFailed from None
        del record["name"]  # the name identified the place; it is not a new name
    if record["code"] not in places.records:
        record.setdefault("short_name", record.get("name"))
        record.setdefault("coord_quality", "none")
        record.setdefault("key_village", False)
    if ("lat" in values or "lon" in values) and "coord_quality" not in values:
        errors.append((labels.get("lat") or labels.get("lon"), "填写经纬度时须同时填写坐标质量"))
        raise _RowFailed
    return record, []


def _build_org(imp: Importer, spec, values, labels, errors):
    record = {k: v for k, v in values.items() if k in RECORD_TABLES["org"].columns}
    if not record.get("org_id"):
        # An organisation already known by this exact name keeps its ID (demo IDs, earlier imports).
        try:
            record["org_id"] = imp.catalog.orgs.resolve(values["name"])
        except ValueError:
            record["org_id"] = derive_id("O", "org", [_vocab_key(values["name"])])
    return record, []


def _person_identity(imp, values, labels, errors, name_key, id_key, given_key, prefix, what):
    """A pseudonymous ID from a name and ID number, or the ID given; None if neither was given."""
    name, number = values.get(name_key), values.get(id_key)
    if name is not None or number is not None:
        if name is None:
            errors.append((labels.get(name_key, "姓名"), f"填写了{what}身份证号但没有姓名"))
            raise _RowFailed
        if number is None:
            errors.append(
                (
                    labels.get(id_key, f"{what}身份证号"),
                    f"缺少{what}身份证号：仅凭姓名无法可靠区分同名人员（也可改填编号）",
                )
            )
            raise _RowFailed
        made = pseudonym.pseudonym(prefix, name, number, imp.key(), checked=True)
        given = values.get(given_key)
        if given is not None and given != made:
            errors.append((labels[given_key], f"编号与{what}姓名、身份证号生成的编号不一致"))
            raise _RowFailed
        return made, number
    return values.get(given_key), None


def _household_ref(imp, values, labels, errors, place_code, create: bool):
    """The household a row points at (by head or number), auto-created at `place_code` if new."""
    household_id, _ = _person_identity(
        imp, values, labels, errors, "head_name", "head_id_number", "household_id", "H", "户主"
    )
    if household_id is None:
        return None, []
    if imp.exists("household", household_id):
        return household_id, []
    if create and place_code:
        return household_id, [
            (
                "household",
                {"household_id": household_id, "place_code": place_code, "categories": ""},
            )
        ]
    column = labels.get("head_name") or labels.get("household_id") or "户主姓名"
    errors.append(
        (
            column,
            imp.missing_reason(
                "household", household_id, "该家庭", "请先导入家庭名册，或在本行填写村居以新建家庭"
            ),
        )
    )
    raise _RowFailed


def _build_household(imp: Importer, spec, values, labels, errors):
    household_id, _ = _person_identity(
        imp, values, labels, errors, "head_name", "head_id_number", "household_id", "H", "户主"
    )
    if household_id is None:
        errors.append((labels.get("head_name", "户主姓名"), "缺少户主姓名和身份证号（或家庭编号）"))
        raise _RowFailed
    record = {"household_id": household_id}
    record.update({k: values[k] for k in ("place_code", "categories") if k in values})
    return record, []


def _build_person(imp: Importer, spec, values, labels, errors):
    person_id, number = _person_identity(
        imp, values, labels, errors, "name", "id_number", "person_id", "P", "对象"
    )
    if person_id is None:
        errors.append((labels.get("name", "姓名"), "缺少姓名和身份证号（或对象编号）"))
        raise _RowFailed
    record = {"person_id": person_id}
    record.update(
        {k: values[k] for k in ("place_code", "categories", "sex", "birth_year") if k in values}
    )
    if number is not None:
        # The ID number states sex and year of birth: fill them, and refuse a row that contradicts it.
        sex, year = pseudonym.id_sex(number), pseudonym.id_birth_year(number)
        if record.get("sex", sex) != sex:
            errors.append((labels["sex"], "性别与身份证号不符"))
        if record.get("birth_year", year) != year:
            errors.append((labels["birth_year"], "出生年份与身份证号不符"))
        if errors:
            raise _RowFailed
        record["sex"], record["birth_year"] = sex, year
    household_id, extras = _household_ref(
        imp, values, labels, errors, values.get("place_code"), create=True
    )
    if household_id is not None:
        record["household_id"] = household_id
    return record, extras


def _person_ref(imp, values, labels, errors) -> str:
    person_id, _ = _person_identity(
        imp, values, labels, errors, "name", "id_number", "person_id", "P", "对象"
    )
    if person_id is None:
        errors.append((labels.get("name", "对象姓名"), "缺少对象姓名和身份证号（或对象编号）"))
        raise _RowFailed
    if not imp.exists("person", person_id):
        column = labels.get("name") or labels.get("person_id")
        errors.append(
            (
                column,
                imp.missing_reason(
                    "person", person_id, "该对象", "请先导入对象名册（姓名、身份证号须与名册一致）"
                ),
            )
        )
        raise _RowFailed
    return person_id


def _build_pairing(imp: Importer, spec, values, labels, errors):
    record = {k: v for k, v in values.items() if k in RECORD_TABLES["pairing"].columns}
    record["person_id"] = _person_ref(imp, values, labels, errors)
    return record, []


def _build_contact(imp: Importer, spec, values, labels, errors):
    record = {k: values[k] for k in ("date", "mode")}
    pairing_id = values.get("pairing_id")
    if pairing_id is not None:
        if not imp.exists("pairing", pairing_id):
            errors.append((labels["pairing_id"], f"找不到结对编号“{pairing_id}”"))
            raise _RowFailed
    else:
        person_id = _person_ref(imp, values, labels, errors)
        pairing_id = _find_pairing(
            imp, person_id, values.get("org_id"), values["date"], labels, errors
        )
    record["pairing_id"] = pairing_id
    return record, []


def _find_pairing(imp, person_id, org_id, date, labels, errors) -> str:
    """The one pairing of a person (with an organisation) that was running on a date."""
    candidates = {}
    for pk, record in imp.catalog.existing("pairing").items():
        candidates[pk[0]] = record
    for pk, (record, _, _) in imp.batch.get("pairing", {}).items():
        candidates[pk[0]] = record
    found = [
        pid
        for pid, r in candidates.items()
        if r["person_id"] == person_id
        and (org_id is None or r["org_id"] == org_id)
        and r["start_date"] <= date
        and (r.get("end_date") is None or date <= r["end_date"])
    ]
    column = labels.get("name") or labels.get("person_id")
    if not found:
        errors.append((column, "该对象在此日期没有进行中的结对"))
        raise _RowFailed
    if len(found) > 1:
        errors.append((column, "该对象在此日期有多个结对，请填写帮扶组织或结对编号"))
        raise _RowFailed
    return found[0]


def _build_household_event(imp: Importer, spec, values, labels, errors):
    """A visit or a screening: a record about a household."""
    record = {k: v for k, v in values.items() if k in RECORD_TABLES[spec.kind].columns}
    record.pop("place_code", None)
    household_id, extras = _household_ref(
        imp, values, labels, errors, values.get("place_code"), create=True
    )
    if household_id is None:
        errors.append((labels.get("head_name", "户主姓名"), "缺少户主姓名和身份证号（或家庭编号）"))
        raise _RowFailed
    record["household_id"] = household_id
    return record, extras


def _build_recommendation(imp: Importer, spec, values, labels, errors):
    record = {k: v for k, v in values.items() if k in RECORD_TABLES["recommendation"].columns}
    ref = values["inspection_id"]
    if not imp.exists("inspection", ref):
        try:
            day = parse_date(ref)
        except ValueError:
            day = None
        found = []
        if day is not None:
            stored = imp.catalog.existing("inspection")
            found = [pk[0] for pk, r in stored.items() if r["date"] == day]
            found += [
                pk[0]
                for pk, (r, _, _) in imp.batch.get("inspection", {}).items()
                if r["date"] == day and pk[0] not in found
            ]
        if len(found) != 1:
            reason = (
                f"{day.isoformat()} 有多次视察，请填写视察编号"
                if len(found) > 1
                else f"找不到视察“{ref}”（可填视察编号或视察日期）"
            )
            errors.append((labels["inspection_id"], reason))
            raise _RowFailed
        record["inspection_id"] = found[0]
    return record, []


_BUILDERS: dict[str, Callable] = {
    "place": _build_place,
    "org": _build_org,
    "household": _build_household,
    "person": _build_person,
    "pairing": _build_pairing,
    "contact": _build_contact,
    "visit": _build_household_event,
    "screening": _build_household_event,
    "recommendation": _build_recommendation,
}


# ===================================================================================== header detection


def _complete(kind: str, mapping: dict[int, str]) -> bool:
    """Whether a header mapping has every required column of a kind."""
    spec, fields = KIND_SPECS[kind], set(mapping.values())
    return all(f.key in fields for f in spec.fields if f.required) and all(
        any(g in fields for g in group) for group in spec.one_of
    )


def detect_header(rows: list[list], kind: str | None, sheet_name: str = ""):
    """(kind, header row index, {column index: field key}) of a sheet, or a reason (str) if none.

    The header is the row among the first few that names the most fields of a kind; titles and
    notes above it are skipped. Without a given kind, the kind whose required columns are all
    present and which matches the most columns wins; a tie is an error, not a guess.
    """
    kinds = [kind] if kind else list(KIND_SPECS)
    best: dict[str, tuple] = {}
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        norms = [normalise_header(v) if isinstance(v, str) else "" for v in row]
        if sum(1 for n in norms if n) < 2:
            continue
        for k in kinds:
            table = _header_index(k)
            mapping = {i: table[n] for i, n in enumerate(norms) if n in table}
            fields = set(mapping.values())
            if len(fields) < 2:
                continue
            spec = KIND_SPECS[k]
            complete = _complete(k, mapping)
            hinted = any(h in sheet_name for h in spec.hints)
            score = (complete, len(fields), hinted)
            if k not in best or score > best[k][0]:
                best[k] = (score, index, mapping)
    if not best:
        if kind:
            expected = "、".join(f.zh for f in KIND_SPECS[kind].fields if f.required)
            return (
                f"前 {HEADER_SCAN_ROWS} 行中找不到{KIND_SPECS[kind].zh}的表头（应含：{expected}）"
            )
        return "找不到可识别的表头"
    ranked = sorted(best.items(), key=lambda item: item[1][0], reverse=True)
    (top_kind, (top_score, index, mapping)) = ranked[0]
    if not kind and len(ranked) > 1:
        second = ranked[1][1][0]
        if second[:2] == top_score[:2] and second[2] == top_score[2]:
            names = "、".join(KIND_SPECS[k].zh for k, v in ranked if v[0] == top_score)
            return f"无法判断记录类型（可能是：{names}），请指定类型"
    if not kind and not top_score[0] and top_score[1] < MIN_FIELDS_FOR_INCOMPLETE:
        spec = KIND_SPECS[top_kind]
        missing = [f.zh for f in spec.fields if f.required and f.key not in mapping.values()]
        return f"像是{spec.zh}表，但缺少必填列：{'、'.join(missing) or '姓名或编号'}"
    return top_kind, index, mapping


# ===================================================================================== report files


def write_report_files(report: ImportReport, folder: Path, stem: str) -> None:
    """Write the report workbook and, if any row was rejected, the quarantine workbook beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = report.started.strftime("%Y%m%d-%H%M%S")
    mode = "试导入" if report.dry_run else "导入"
    report.report_path = folder / f"{stem}_{mode}报告_{stamp}.xlsx"
    errors = report.errors_frame()
    skipped = pd.DataFrame(
        [(s.name, row, why) for s in report.sheets for row, why in s.skipped],
        columns=["工作表", "行号", "原因"],
    )
    write_xlsx(
        {"汇总": report.summary_frame(), "错误明细": errors, "跳过的行": skipped},
        report.report_path,
    )
    rejected = [s for s in report.sheets if s.rejected_rows]
    if not rejected:
        report.quarantine_path = None
        return
    report.quarantine_path = folder / f"{stem}_待修正行_{stamp}.xlsx"
    sheets: dict[str, pd.DataFrame] = {}
    for sheet in rejected:
        width = max([len(sheet.header)] + [len(cells) for _, cells, _ in sheet.rejected_rows])
        header = [_header_label(h) or f"列{i + 1}" for i, h in enumerate(sheet.header)]
        header += [f"列{i + 1}" for i in range(len(header), width)]
        header = _unique(header)
        rows = [
            [*(_blank_to_none(list(cells)) + [None] * (width - len(cells))), row, reasons]
            for row, cells, reasons in sheet.rejected_rows
        ]
        frame = pd.DataFrame(rows, columns=[*header, QUARANTINE_ROW, QUARANTINE_REASON])
        frame = frame.astype(object).where(frame.notna(), None)
        sheets[_unique_name(sheet.name, sheets)] = frame
    write_xlsx(sheets, report.quarantine_path)
    # The quarantine holds the names and ID numbers as written: readable by the owner only.
    report.quarantine_path.chmod(0o600)


def _blank_to_none(cells: list) -> list:
    return [None if isinstance(v, str) and v == "" else v for v in cells]


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return out


def _unique_name(name: str, taken) -> str:
    candidate, n = name[:28], 1
    while candidate in taken:
        n += 1
        candidate = f"{name[:25]}_{n}"
    return candidate


# ===================================================================================== entry points


def import_file(
    store: Store,
    path: str | Path,
    *,
    kind: str | None = None,
    dry_run: bool = False,
    strict: bool = False,
    report_dir: str | Path | None = None,
    actor: str | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import one register file (or dry-run it); the report files go to `report_dir` or beside it."""
    importer = Importer(
        store, kind=kind, dry_run=dry_run, strict=strict, actor=actor, progress=progress
    )
    return importer.run(path, report_dir)


def imports_dir() -> Path:
    """Where uploads from the import page and their reports are kept: hehu_home()/imports."""
    folder = hehu_home() / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)  # uploads and quarantine files hold names and ID numbers
    return folder


MAX_UPLOAD_BYTES = int(float(os.environ.get("HEHU_MAX_UPLOAD_MB", "20")) * 1024 * 1024)
ZIP_MAGIC = b"PK\x03\x04"  # .xlsx, .xlsm and .ods are zip files
OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")  # .xls is an OLE compound file


def check_upload(file_name: str, content: bytes) -> str:
    """The upload's suffix if its size and its content agree with its name; HehuError if not."""
    name = Path(file_name).name
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise HehuError(
            f"不支持的文件类型：{suffix or name}（可导入 .xlsx、.xls、.csv）",
            f"unsupported file type: {suffix or name}",
        )
    if len(content) > MAX_UPLOAD_BYTES:
        raise HehuError(
            f"文件过大：{len(content) / 1048576:.1f} MB，上限 {MAX_UPLOAD_BYTES / 1048576:.0f} MB；请拆分后分批导入",
            f"file too large: {len(content) / 1048576:.1f} MB, limit {MAX_UPLOAD_BYTES / 1048576:.0f} MB",
        )
    if not content:
        raise HehuError("文件是空的", "the file is empty")
    # The name is only a claim: look at the bytes, so a renamed program or archive is refused.
    if suffix in (".xlsx", ".xlsm", ".ods"):
        ok = content.startswith(ZIP_MAGIC)
    elif suffix == ".xls":
        ok = content.startswith(OLE_MAGIC)
    else:
        ok = b"\x00" not in content[:65536] and not content.startswith((ZIP_MAGIC, OLE_MAGIC))
    if not ok:
        raise HehuError(
            f"文件内容与扩展名 {suffix} 不符，已拒绝：请用 Excel 另存为正确格式后再导入",
            f"the file's content does not match its {suffix} name; refused",
        )
    return suffix


def save_upload(file_name: str, content: bytes) -> Path:
    """Keep an uploaded register in the imports folder under a timestamped, harmless name."""
    name = Path(file_name).name  # never a path from the browser: only the last part, cleaned
    suffix = check_upload(file_name, content)
    stem = re.sub(r"[^\w\u4e00-\u9fff.-]+", "_", Path(name).stem)[:60] or "upload"
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    path = imports_dir() / f"{stamp}_{stem}{suffix}"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(content)
    return path


def import_upload(store: Store, file_name: str, content: bytes, **options) -> ImportReport:
    """Import a file uploaded from the import page; report files go to the imports folder."""
    path = save_upload(file_name, content)
    options.setdefault("report_dir", imports_dir())
    report = import_file(store, path, **options)
    report.source = Path(file_name).name
    return report


def read_output_file(path: str | Path) -> bytes:
    """The bytes of a report or quarantine file (for a download link on the import page)."""
    return Path(path).read_bytes()


# ===================================================================================== page state


class ImportSession:
    """The import page's one state object: the page observes it; all the work happens here.

    Listeners are called (with the session) on every change: a file chosen, progress, a result.
    """

    def __init__(self, store: Store, actor: str = "voila"):
        self.store = store
        self.actor = actor
        self.status = "idle"  # idle, ready, running, done, failed
        self.fraction = 0.0
        self.message = ""
        self.file_name: str | None = None
        self.report: ImportReport | None = None
        self.error: str | None = None
        self.error_en: str | None = None
        self._content: bytes | None = None
        self._saved: Path | None = None
        self._listeners: list[Callable[[ImportSession], None]] = []

    def observe(self, listener: Callable[[ImportSession], None]) -> None:
        """Call `listener(session)` after every change."""
        self._listeners.append(listener)

    def _changed(self) -> None:
        for listener in self._listeners:
            listener(self)

    def set_file(self, file_name: str, content: bytes) -> None:
        """A file was chosen (uploaded); nothing is read or written yet."""
        self.file_name, self._content, self._saved = file_name, bytes(content), None
        self.status, self.report, self.error, self.error_en = "ready", None, None, None
        self.fraction, self.message = 0.0, ""
        self._changed()

    def _progress(self, fraction: float, message: str) -> None:
        self.fraction, self.message = fraction, message
        self._changed()

    def run(self, kind: str | None = None, dry_run: bool = True) -> ImportReport | None:
        """Dry-run or import the chosen file; the outcome lands in `report` or `error`."""
        if self._content is None or self.status == "running":
            return None
        self.status, self.report, self.error, self.error_en = "running", None, None, None
        self._progress(0.0, "开始")
        try:
            if self._saved is None:
                self._saved = save_upload(self.file_name, self._content)
            report = import_file(
                self.store,
                self._saved,
                kind=kind,
                dry_run=dry_run,
                report_dir=imports_dir(),
                actor=self.actor,
                progress=self._progress,
            )
            report.source = Path(self.file_name).name
        except HehuError as exc:
            self.status, self.error, self.error_en = "failed", exc.zh, exc.en
            self._changed()
            return None
        except Exception as exc:  # noqa: BLE001 - the page must say what failed, not go silent
            self.status = "failed"
            self.error = f"导入时发生意外错误：{type(exc).__name__}: {exc}"
            self.error_en = f"unexpected error: {type(exc).__name__}: {exc}"
            self._changed()
            return None
        if report.committed and self._saved is not None:
            # Imported: the server's copy of the register (names, ID numbers) is no longer
            # needed; rejected rows live on in the quarantine file.
            self._saved.unlink(missing_ok=True)
            self._saved = None
        self.status, self.report = "done", report
        self._changed()
        return report
