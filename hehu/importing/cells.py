"""Reading one cell: text, numbers, dates, yes/no, vocabulary values and ID-card numbers.

This is the workbench's one reader of what people write in a cell: full-width digits, 1,200,
18人次, 85%, 十八, 1.8万, 2022年5月18日, Excel serials, 是/否, categories by key or by label.
Every reader raises ValueError with the reason in Chinese. A figure whose percent sign matters
(a claim's value or tolerance) is read by `parse_number_with_percent`.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from hehu.records import pseudonym, vocab

# Cells that mean "nothing written" in real registers.
EMPTY_MARKERS = frozenset(
    {"", "/", "-", "--", "—", "——", "－", "无", "暂无", "n/a", "na", "#n/a", "null", "none", "nan"}
)
_LONGEST_EMPTY_MARKER = max(map(len, EMPTY_MARKERS))
_WS = re.compile(r"\s+")
# What nobody types into a register and no spreadsheet can hold: control characters (but tab
# and line breaks), zero-width and direction marks, lone surrogates. Copied from other systems
# they are invisible; left in, a name breaks the Excel export and a template.
CONTROL_CHARS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064"
    "\u2066-\u2069\ufeff\ufff9-\ufffb\ufffe\uffff\ud800-\udfff]"
)
# The largest whole number a register may give: no count of a county comes near, and a larger
# one is a slip (a phone or ID number in the wrong column) that the store could not hold.
MAX_WHOLE_NUMBER = 10**9


def strip_controls(text: str) -> str:
    """The text without the invisible characters of `CONTROL_CHARS`."""
    return CONTROL_CHARS.sub("", text)


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
    if type(value) is int:  # a whole number's digits: nothing to fold, never an empty marker
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    text = unescape_formula(fold(str(value)))
    return None if text.casefold() in EMPTY_MARKERS else text


def is_blank(value) -> bool:
    """True for a cell with nothing in it (empty markers like / count as nothing)."""
    return cell_text(value) is None


def strip_spaces(text: str) -> str:
    """The text with every whitespace character removed."""
    return _WS.sub("", text)


# ===================================================================================== numbers

_CN_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_CN_DIGITS |= {"七": 7, "八": 8, "九": 9, "○": 0, "O": 0}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
# Units a figure may carry, as registers and reports write them ("90起" cases, "80余名").
_UNIT_SUFFIXES = (
    "人次", "余人", "余名", "余户", "余次", "余场", "余起", "余件", "余个",
    "人", "次", "场", "个", "户", "名", "岁", "期", "家", "份", "起", "件", "余", "多",
)  # fmt: skip


def chinese_numeral(text: str) -> int | float | None:
    """The value of a Chinese numeral such as 十八, 二十一, 一百零五, 两百, 二〇二二 or 九十五点五
    (95.5: the digits after 点 are read one by one); None if not one."""
    if "点" in text:
        whole, _, fraction = text.partition("点")
        integer = chinese_numeral(whole) if whole else None
        if integer is None or not fraction or any(ch not in _CN_DIGITS for ch in fraction):
            return None
        return float(f"{integer}." + "".join(str(_CN_DIGITS[ch]) for ch in fraction))
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


@dataclass(frozen=True)
class Figure:
    """A figure as a report writes it: 90% is (90.0, percent), 七成 is (70.0, percent), 两百余 is
    (200.0, approximate), 1.8万 is 18000.0 written to the nearest `step` of 1000."""

    value: float
    percent: bool = False
    approximate: bool = False  # 余, 多, 约, 近, 以上, 左右: at least, or about, the value
    step: float = 1.0  # the place value of the last digit written (1.8万 → 1000, 两百 → 100)
    rounded: bool = False  # written to a round place (1.8万, 七成, 两百余, 约8000): not exact
    hedge: str = ""  # how a hedge bounds the value: "more" (90余), "less" (近50), "about" (约)


# Words around a figure that hedge it, in a report's sentence (never in a register's cell):
# (word, sense). "more": at least the value (90余, 超过90, 90%以上); "less": just under it (近50,
# 将近50); "about": either side (约8000, 30左右). The one list: FIGURE_IN_TEXT is built from it.
HEDGE_PREFIXES = {"大约": "about", "将近": "less", "超过": "more", "约": "about", "近": "less",
                  "逾": "more", "超": "more"}  # fmt: skip
HEDGE_SUFFIXES = {"以上": "more", "左右": "about", "余": "more", "多": "more"}
_APPROX_PREFIXES = tuple(sorted(HEDGE_PREFIXES, key=len, reverse=True))
_APPROX_SUFFIXES = tuple(HEDGE_SUFFIXES)
_MULTIPLIERS = {"万": 10**4, "亿": 10**8}
_ARABIC = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_ARABIC_TIMES = re.compile(r"([+-]?\d+(?:\.(\d+))?)([万亿])")
_CN_NUM = "零〇一二两三四五六七八九十百千万亿"
# A figure inside running text (a work report's sentence), for the claim extractor: 90,
# 1,200, 1.8万, 两百余, 九十, 九十五点五, 七成, 百分之九十, 90%. Full-width digits are folded before.
FIGURE_IN_TEXT = re.compile(
    r"(?P<pre>" + "|".join(_APPROX_PREFIXES) + r")?"
    r"(?P<num>百分之(?:\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百]+(?:点[零〇一二三四五六七八九]+)?)"
    r"|\d{1,3}(?:,\d{3})+(?:\.\d+)?[万亿]?"
    r"|\d+(?:\.\d+)?[万亿]?"
    r"|[" + _CN_NUM + r"]+(?:点[零〇一二三四五六七八九]+)?)"
    r"(?P<approx>余|多)?(?P<pct>%|成)?"
)


def _numeral_step(text: str) -> float:
    """The place value of the last digit of a Chinese numeral: 两百 100, 三千二百 100, 一百零五 1,
    九十五点五 0.1."""
    if "点" in text:
        return 10.0 ** -len(text.partition("点")[2])
    if text[-1] in _CN_UNITS:
        return float(_CN_UNITS[text[-1]])
    return 1.0


def _whole_step(digits: str) -> float:
    """The place value of the last non-zero digit of a whole number: 8000 → 1000."""
    stripped = digits.rstrip("0")
    return float(10 ** (len(digits) - len(stripped))) if stripped else 1.0


def read_figure(value, *, hedged: bool = False) -> Figure:
    """A figure as written in a cell or a report: 1,200 / １２ / 18人次 / 85% / 十八 / 1.8万 /
    1.2亿 / 两百余 / 七成 / 百分之九十. Raises ValueError (in Chinese).

    A hedge (约8000, 近百, 90%以上, 30左右) and 七成 are read only when `hedged`: in a report's
    sentence they mark an approximate figure (`Figure.hedge` says which way); in a register or
    claims file cell a figure is exact and "30左右" is no number. 80余名 is read in both, as before.
    """
    if isinstance(value, bool):
        raise ValueError("应为数字")
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("应为数字")
        return Figure(float(value))
    text = cell_text(value)
    if text is None:
        raise ValueError("为空")
    text = _WS.sub("", text)
    approximate, percent, tenths, scaled, hedge = False, False, False, False, ""
    for prefix in _APPROX_PREFIXES if hedged else ():
        if text.startswith(prefix) and len(text) > len(prefix):
            text, approximate, hedge = text[len(prefix) :], True, HEDGE_PREFIXES[prefix]
            break
    if text.startswith("百分之") and len(text) > 3:
        text, percent = text[3:], True
    changed = True
    while changed and len(text) > 1:  # 90%以上, 两百余人次, 1,200余人: peel what follows
        changed = False
        # In a register a figure is exact: 30以上, 30左右, 七成 are refused there (not numbers).
        for suffix in _APPROX_SUFFIXES if hedged else ():
            if text.endswith(suffix) and len(text) > len(suffix):
                text, approximate, changed = text[: -len(suffix)], True, True
                hedge = hedge or HEDGE_SUFFIXES[suffix]
        if not percent and text.endswith("%"):
            text, percent, changed = text[:-1], True, True
        if hedged and not percent and text.endswith("成") and len(text) > 1:
            text, percent, tenths, changed = text[:-1], True, True, True
        for suffix in _UNIT_SUFFIXES:
            if text.endswith(suffix) and len(text) > len(suffix):
                text, changed = text[: -len(suffix)], True
                if suffix.startswith(("余", "多")):
                    approximate, hedge = True, hedge or "more"
                break
    number, step = _plain_figure(text, value)
    scaled = text[-1] in _MULTIPLIERS
    if tenths:  # 七成 is 70%, to the nearest 10 points
        if not 0 <= number <= 10:
            raise ValueError(f"“{value}”不是数字")
        number, step, scaled = number * 10, 10.0, True
    if not math.isfinite(number):
        raise ValueError(f"“{value}”不是数字")
    if approximate and step == 1.0 and float(number).is_integer():
        step = _whole_step(str(int(number)))
    return Figure(number, percent, approximate, step, rounded=approximate or scaled, hedge=hedge)


def _plain_figure(text: str, shown) -> tuple[float, float]:
    """A bare figure (no unit, percent or 余): its value and the place value of its last digit."""
    if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?", text):
        text = text.replace(",", "")
    if _ARABIC.fullmatch(text):
        decimals = len(text.split(".")[1]) if "." in text and "e" not in text.lower() else 0
        return float(text), 10.0**-decimals
    if match := _ARABIC_TIMES.fullmatch(text.replace(",", "")):
        # "1.8万" as reports write it; Decimal so 1.1万 is 11000, not 11000.000000000002
        times = _MULTIPLIERS[match[3]]
        decimals = len(match[2] or "")
        return float(Decimal(match[1]) * times), float(Decimal(times) / 10**decimals)
    if text.endswith("亿") and (numeral := chinese_numeral(text[:-1])) is not None:
        return float(numeral) * 10**8, 10.0**8
    numeral = chinese_numeral(text)
    if numeral is None:
        raise ValueError(f"“{shown}”不是数字")
    return float(numeral), _numeral_step(text)


def parse_number_with_percent(value) -> tuple[float, bool]:
    """A number from a cell and whether it was written as a percentage: 85% is (85.0, True).

    Reads 1,200 / １２ / 18人次 / 85% / 十八 / 1.8万 / 两百余 / 七成 / 百分之九十 (see `read_figure`);
    raises ValueError (in Chinese).
    """
    figure = read_figure(value)
    return figure.value, figure.percent


def parse_number(value) -> float:
    """A number from a cell: 1,200 / １２ / 18人次 / 85% / 十八 / 1.8万; raises ValueError (in Chinese).

    A percentage is a fraction: 85% is 0.85.
    """
    number, percent = parse_number_with_percent(value)
    return number / 100 if percent else number


def parse_int(value) -> int:
    """A whole number from a cell (see `parse_number`); 12.0 is 12, 12.5 is an error."""
    number = parse_number(value)
    if abs(number) > MAX_WHOLE_NUMBER:
        raise ValueError(f"数值过大（超过 {MAX_WHOLE_NUMBER:,}），请核对")
    if not float(number).is_integer():
        raise ValueError(f"“{value}”应为整数")
    return int(number)


# ===================================================================================== dates

EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 is 1900-01-01, counting Excel's phantom 1900-02-29
MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(2100, 12, 31)
MAX_SERIAL = (MAX_DATE - EXCEL_EPOCH).days + 1
# A serial before 1910 is a year or a number typed in a date column, not a date: 2022 is
# 1905-07-14 and "5.18" 1900-01-05 to Excel, and the pages would offer 1905 as a period.
MIN_SERIAL = (dt.date(1910, 1, 1) - EXCEL_EPOCH).days
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
    if 1 <= serial < MIN_SERIAL:
        shown = int(serial) if float(serial).is_integer() else serial
        raise ValueError(f"“{shown}”不是日期（是年份或数字吗？）；{DATE_HINT}")
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


def vocab_key(text: str) -> str:
    """A name or vocabulary value as compared: folded, without spaces, case-folded."""
    return _WS.sub("", fold(text)).casefold()


_EXTRA_ALIASES: dict[int, dict[str, str]] = {
    id(vocab.SEXES): {"女性": "F", "男性": "M", "女孩": "F", "男孩": "M"},
    # A law as registers write it: 《中华人民共和国宪法》, 中华人民共和国民法典, 反家暴法 …
    id(vocab.LAWS): {
        **{
            alias: key
            for key, (zh, _) in vocab.LAWS.items()
            for alias in (f"《{zh}》", f"中华人民共和国{zh}", f"《中华人民共和国{zh}》")
        },
        "妇女法": "womens_rights",
        "反家暴法": "anti_dv",
        "未保法": "minors",
        "其他": "other",
    },
    id(vocab.EVENT_CHANNELS): {
        "线下": "on_site",
        "现场活动": "on_site",
        "微信": "wechat",
        "公众号": "wechat",
        "微信专栏": "wechat",
        "视频号": "video",
    },
    # Measures as police, court and procuratorate registers write them.
    id(vocab.MEASURES): {
        "告诫书": "dv_warning",
        "家暴告诫书": "dv_warning",
        "反家暴告诫书": "dv_warning",
        "保护令": "protection_order",
        "人身保护令": "protection_order",
        "人身安全保护令申请": "protection_order",
        "强制报告线索": "mandatory_report",
        "侵害未成年人案件强制报告": "mandatory_report",
    },
    id(vocab.MEASURE_OUTCOMES): {
        "签发": "issued",
        "已出具": "issued",
        "出具": "issued",
        "作出": "issued",
        "准予": "issued",
        "驳回": "refused",
        "不予签发": "refused",
        "处置": "handled",
        "已处理": "handled",
        "已办结": "handled",
        "办结": "handled",
        "受理": "pending",
        "已受理": "pending",
        "待处理": "pending",
        "审查中": "pending",
    },
}
_BOOL_WORDS = {
    **dict.fromkeys(("是", "√", "✓", "✔", "y", "yes", "true", "1", "有", "对"), True),
    **dict.fromkeys(("否", "×", "✗", "n", "no", "false", "0", "不是", "非"), False),
}
# 、，, ; / | or spaces, and between titles written one after another (《宪法》《民法典》)
_MULTI_SPLIT = re.compile(r"[、,，;；/|\s]+|(?<=》)(?=《)")


@lru_cache(maxsize=64)
def _vocab_index(table_id: int) -> dict[str, str]:
    table = _VOCABS_BY_ID[table_id]
    index: dict[str, str] = {}
    for key, entry in table.items():
        index[vocab_key(key)] = key
        index[vocab_key(entry[0])] = key
        index[vocab_key(entry[1])] = key
    index.update({vocab_key(k): v for k, v in _EXTRA_ALIASES.get(table_id, {}).items()})
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
        vocab.LAWS,
        vocab.EVENT_CHANNELS,
        vocab.MEASURES,
        vocab.MEASURE_OUTCOMES,
        vocab.REC_STATUSES,
        vocab.METRICS,
    )
}


def _allowed(table: dict) -> str:
    return "、".join(entry[0] for entry in table.values())


def split_list(text: str | None) -> list[str]:
    """The non-empty parts of a cell listing several values (separated by 、，, ; / | or spaces)."""
    return [p for p in _MULTI_SPLIT.split(text or "") if p]


def parse_vocab(value, table: dict) -> str:
    """The vocabulary key for a cell holding the key, the Chinese label or the English label."""
    text = cell_text(value)
    if text is None:
        raise ValueError("为空")
    key = _vocab_index(id(table)).get(vocab_key(text))
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
        key = _vocab_index(id(table)).get(vocab_key(part))
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


_SCIENTIFIC = re.compile(r"\d(\.\d+)?[eE]\+?\d+")
_EXCEL_ID_NUMBER = "身份证号被 Excel 存成了数字，末几位已丢失；请把该列设为文本格式后重新填写"


def parse_id_numbers(values: list, blank: object = None) -> list:
    """Each cell's normalised ID-card number, or the ValueError saying why not, a column at once
    (one check-digit computation for all); a number cell of 16+ digits has already lost digits
    in Excel. A blank cell (`is_blank`) gives `blank` when one is given, else a ValueError."""
    plain = pseudonym.plain_id_numbers(values)  # every cell a number written plainly
    if plain is not None:
        return plain
    out: list = []
    texts: list[str] = []
    for value in values:
        if type(value) is str and pseudonym.PLAIN_ID_NUMBER.fullmatch(value):
            out.append(None)  # no space to strip, no empty marker, not scientific notation
            texts.append(value)
            continue
        if isinstance(value, int | float) and not isinstance(value, bool) and value == value:
            if abs(value) >= 1e15:
                out.append(ValueError(_EXCEL_ID_NUMBER))
                continue
            value = str(int(value))
        text = cell_text(value)
        if text is None:
            out.append(ValueError("为空") if blank is None else blank)
        elif _SCIENTIFIC.fullmatch(text if text.isalnum() else _WS.sub("", text)):
            out.append(
                ValueError("身份证号被写成科学计数法（如 3.2E+17），末几位已丢失，请重新填写")
            )
        else:
            out.append(None)
            texts.append(text)
    numbers = iter(pseudonym.normalise_id_numbers(texts))
    return [next(numbers) if got is None else got for got in out]


def parse_id_number(value) -> str:
    """A normalised ID-card number (`parse_id_numbers` for one cell)."""
    number = parse_id_numbers([value])[0]
    if isinstance(number, ValueError):
        raise number
    return number
