"""The import's cell parsers: dates, numbers, headers, ID numbers, vocabularies, places.

Property-based (hypothesis) where a rule holds for every input: any way a register writes a date
or a number reads back as that date or number, and garbage is refused with a reason, never a crash.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.utils.datetime import from_excel, to_excel
from test_import_support import (
    DONGMEN,
    GAOGOU,
    HUAYUAN_DONGHUJI,
    HUAYUAN_GAOGOU,
    YINDANG_GAOGOU,
    make_id,
    to_fullwidth,
)

from hehu.importing import KIND_SPECS
from hehu.importing.cells import (
    chinese_numeral,
    parse_bool,
    parse_date,
    parse_id_numbers,
    parse_int,
    parse_multi,
    parse_number,
    parse_vocab,
    parse_year,
)
from hehu.importing.headers import match_header, normalise_header
from hehu.importing.resolve import PlaceResolver
from hehu.records import pseudonym, vocab
from hehu.records.gazetteer import read_gazetteer

DATES = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31))
SPACES = st.sampled_from(["", " ", "\u3000", "  ", "\t"])


def _cn_digits(n: int) -> str:
    return "".join("〇一二三四五六七八九"[int(d)] for d in str(n))


def _cn_small(n: int) -> str:
    """1..31 as written in dates: 五, 十, 十八, 二十, 三十一."""
    tens, ones = divmod(n, 10)
    return ("" if tens == 0 else ("十" if tens == 1 else "一二三四五六七八九"[tens - 1] + "十")) + (
        "" if ones == 0 else "一二三四五六七八九"[ones - 1]
    )


def _cn_number(n: int) -> str:
    """0..99999 in standard positional Chinese (一万零五, 一千零一十, 十八)."""
    if n == 0:
        return "零"
    digits = "零一二三四五六七八九"
    units = ["", "十", "百", "千", "万"]
    out, zero = "", False
    text = str(n)
    for i, d in enumerate(text):
        place = len(text) - 1 - i
        if d == "0":
            zero = True
            continue
        if zero and out:
            out += "零"
        zero = False
        out += digits[int(d)] + units[place]
    return out[1:] if out.startswith("一十") else out


# ----------------------------------------------------------------------------------- dates


@given(DATES, st.sampled_from(["ymd_cn", "dot", "slash", "iso", "compact"]), SPACES, st.booleans())
def test_any_written_form_of_a_date_reads_back(date, form, pad, fullwidth):
    y, m, d = date.year, date.month, date.day
    text = {
        "ymd_cn": f"{y}年{m}月{d}日",
        "dot": f"{y}.{m}.{d}",
        "slash": f"{y}/{m}/{d}",
        "iso": f"{y}-{m:02d}-{d:02d}",
        "compact": f"{y}{m:02d}{d:02d}",
    }[form]
    if fullwidth:
        text = to_fullwidth(text)
    assert parse_date(pad + text + pad) == date


@given(st.dates(min_value=dt.date(1910, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_excel_serials_agree_with_openpyxl(date):
    serial = to_excel(dt.datetime(date.year, date.month, date.day))
    assert from_excel(serial).date() == date
    assert parse_date(serial) == date
    assert parse_date(float(serial) + 0.75) == date  # a time of day is dropped
    assert parse_date(str(serial)) == date  # a serial that arrived as CSV text


@given(DATES)
def test_chinese_numeral_dates(date):
    text = f"{_cn_digits(date.year)}年{_cn_small(date.month)}月{_cn_small(date.day)}日"
    assert parse_date(text) == date


@given(DATES)
def test_date_objects_and_datetimes(date):
    assert parse_date(date) == date
    assert parse_date(dt.datetime(date.year, date.month, date.day, 13, 5)) == date
    assert parse_date(f"{date.isoformat()} 10:30:00") == date


@pytest.mark.parametrize(
    "text",
    [
        "2022年2月30日",
        "2022-13-01",
        "5/18/2022",
        "18.5.2022",
        "22.5.18",
        "下周一",
        "2022年5月",
        "0",
        "5.18",  # Excel's 1900-01-05: a month and day without the year
        "2022",  # Excel's 1905-07-14: a year without the day
        2022,
        "1.5",
    ],
)
def test_impossible_or_ambiguous_dates_are_refused(text):
    with pytest.raises(ValueError) as info:
        parse_date(text)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in str(info.value))  # the reason is in Chinese


@settings(max_examples=300)
@given(st.one_of(st.text(), st.integers(), st.floats()))
def test_garbage_is_a_date_or_a_reason_never_a_crash(value):
    try:
        date = parse_date(value)
    except ValueError:
        return
    assert dt.date(1900, 1, 1) <= date <= dt.date(2100, 12, 31)
    if isinstance(value, int | float) and not 19000101 <= value <= 21001231:  # a serial
        assert date >= dt.date(1910, 1, 1)


@given(st.integers(1900, 2100), st.integers(1, 12))
def test_years_from_year_month_and_dates(year, month):
    assert parse_year(year) == year
    assert parse_year(f"{year}年") == year
    assert parse_year(f"{year}年{month}月") == year
    assert parse_year(f"{year}.{month:02d}") == year
    assert parse_year(dt.date(year, month, 1)) == year


# ----------------------------------------------------------------------------------- numbers


@given(
    st.integers(-(10**9), 10**9), SPACES, st.booleans(), st.sampled_from(["", "人次", "人", "场"])
)
def test_integers_read_back_in_every_written_form(n, pad, fullwidth, unit):
    for text in (str(n), f"{n:,}"):
        written = to_fullwidth(text) if fullwidth else text
        assert parse_int(pad + written + unit + pad) == n
    assert parse_int(float(n)) == n


@given(st.floats(allow_nan=False, allow_infinity=False, width=64))
def test_floats_read_back(x):
    assert parse_number(repr(x)) == x
    assert parse_number(x) == x


@given(st.integers(0, 10_000))
def test_percentages(n):
    assert parse_number(f"{n}%") == pytest.approx(n / 100)


@given(st.integers(0, 99_999), st.sampled_from(["", "人次", "场"]))
def test_ten_thousands_as_reports_write_them(n, unit):
    """'1.8万' (what the 2022 report writes for 18,000 attendances) is 18000 exactly."""
    written = f"{n // 10_000}.{n % 10_000:04d}".rstrip("0").rstrip(".") + "万" + unit
    assert parse_int(written) == n


def test_ten_thousands_examples():
    assert parse_int("1.8万") == 18000
    assert parse_int("2万人次") == 20000
    assert parse_number("1.1万") == 11000.0
    assert parse_number("-0.5万") == -5000.0


@given(st.integers(0, 99_999))
def test_chinese_numerals(n):
    assert chinese_numeral(_cn_number(n)) == n
    assert parse_int(_cn_number(n) + "人") == n


@settings(max_examples=300)
@given(st.text())
def test_garbage_is_a_number_or_a_reason_never_a_crash(text):
    try:
        number = parse_number(text)
    except ValueError:
        return
    assert math.isfinite(number)


@pytest.mark.parametrize("text", ["12.5", "约100", "1.2.3", "一二三四五六七八九十百千万亿"])
def test_not_whole_numbers_are_refused(text):
    with pytest.raises(ValueError):
        parse_int(text)


# ----------------------------------------------------------------------------------- headers

ALL_HEADERS = [(kind, f.key, text) for kind, spec in KIND_SPECS.items() for f in spec.fields
               for text in (f.zh, *f.synonyms)]  # fmt: skip


@given(
    st.sampled_from(ALL_HEADERS),
    st.lists(SPACES, min_size=8, max_size=8),
    st.sampled_from(["", "*", "＊", "※"]),
    st.sampled_from(["", "（必填）", "(选填)", "【必填】", "：", ":"]),
    st.booleans(),
)
def test_headers_match_however_they_are_decorated(entry, pads, mark, note, fullwidth):
    kind, key, text = entry
    spaced = "".join(ch + pads[i % len(pads)] for i, ch in enumerate(text))
    written = mark + spaced + note
    if fullwidth:
        written = to_fullwidth(written)
    assert match_header(written, kind) == key


@given(st.text())
def test_header_normalisation_is_idempotent(text):
    once = normalise_header(text)
    assert normalise_header(once) == once


def test_no_header_means_two_fields_of_one_kind():
    for kind, spec in KIND_SPECS.items():
        seen: dict[str, str] = {}
        for f in spec.fields:
            for text in (f.zh, f.key, *f.synonyms):
                norm = normalise_header(text)
                assert seen.setdefault(norm, f.key) == f.key, (kind, text)


def test_header_variants_of_real_registers():
    assert match_header("姓 名", "person") == "name"
    assert match_header("名字", "person") == "name"
    assert match_header("村（居）", "person") == "place_code"
    assert match_header("所在村", "person") == "place_code"
    assert match_header("镇（街道）", "person") == "town"
    assert match_header("身份证号码（18位）", "person") == "id_number"
    assert match_header("监护人电话", "person") is None


# ----------------------------------------------------------------------------------- ID numbers


@given(st.text("0123456789", min_size=17, max_size=17))
def test_id_numbers_normalise_and_catch_single_digit_errors(first17):
    number = first17 + pseudonym.id_check_char(first17)
    assert pseudonym.normalise_id_number(number) == number
    assert pseudonym.normalise_id_number(to_fullwidth(number.lower())) == number
    assert pseudonym.normalise_id_number(f" {number[:6]} {number[6:14]} {number[14:]} ") == number
    for i in range(17):
        wrong = first17[:i] + str((int(first17[i]) + 1) % 10) + first17[i + 1 :]
        with pytest.raises(ValueError):
            pseudonym.normalise_id_number(wrong + number[17])


@given(st.text("0123456789", min_size=17, max_size=17))
def test_a_column_of_id_cells_reads_each_written_form_as_its_number(first17):
    # A column is read at once, plain 18-character texts taking a short path: every other
    # form must still be folded, and what only looks plain still refused for its own reason.
    number = first17 + pseudonym.id_check_char(first17)
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    cells = [number, number.lower(), to_fullwidth(number), f" {number} ", number + "\u200b",
             "3E" + first17[:16], wrong, int("3" + first17), None]  # fmt: skip
    read = parse_id_numbers(cells, blank="blank")
    assert read[:4] == [number] * 4
    assert isinstance(read[4], ValueError)  # a zero-width space is not folded away here
    assert "科学计数法" in str(read[5]) and "校验位" in str(read[6])
    assert "Excel" in str(read[7]) and read[8] == "blank"
    assert pseudonym.normalise_id_numbers([number, number.lower()]) == [number, number]
    arabic_indic = number[:17].translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")) + number[17]
    assert parse_id_numbers([arabic_indic]) == [number]  # the same person, the same number


@given(st.lists(st.text("0123456789", min_size=17, max_size=17), min_size=1, max_size=6), st.data())
def test_a_column_all_written_plainly_is_read_at_once_as_each_cell_alone(first17s, data):
    # A column of plain numbers is checked in one pass over the joined text: a wrong check digit
    # anywhere, two numbers in one cell or a cell that only looks plain must still be told apart
    # exactly as when each cell is read alone.
    numbers = [f + pseudonym.id_check_char(f) for f in first17s]
    spoil = data.draw(st.sampled_from(["none", "check", "two in one", "short", "newline", "x"]))
    at = data.draw(st.integers(0, len(numbers) - 1))
    if spoil == "check":
        numbers[at] = numbers[at][:17] + ("0" if numbers[at][17] != "0" else "1")
    elif spoil == "two in one":
        numbers[at] = numbers[at] + "\n" + numbers[at]
    elif spoil == "short":
        numbers[at] = numbers[at][:17]
    elif spoil == "newline":
        numbers[at] = numbers[at] + "\n"
    elif spoil == "x":
        numbers[at] = numbers[at][:17] + "x"
    alone = [parse_id_numbers([n])[0] for n in numbers]
    together = parse_id_numbers(numbers)
    assert [str(r) for r in together] == [str(r) for r in alone]
    assert [type(r) for r in together] == [type(r) for r in alone]
    if spoil in ("none", "check"):  # the short path was taken, and answers per cell
        assert pseudonym.plain_id_numbers(numbers) is not None
    if spoil == "check":
        assert isinstance(together[at], ValueError) and "校验位" in str(together[at])


@given(st.text("0123456789", min_size=15, max_size=15))
def test_old_15_digit_numbers_become_18(old):
    new = pseudonym.normalise_id_number(old)
    assert new[:6] == old[:6] and new[6:8] == "19" and new[8:17] == old[6:]
    assert pseudonym.normalise_id_number(new) == new


def test_sex_and_year_from_an_id_number():
    girl, boy = make_id("20120518", "002"), make_id("20110101", "013")
    assert (pseudonym.id_sex(girl), pseudonym.id_birth_year(girl)) == ("F", 2012)
    assert (pseudonym.id_sex(boy), pseudonym.id_birth_year(boy)) == ("M", 2011)


@given(st.sampled_from(["张小花", "阿依古丽·买买提", "Li Ming"]), st.booleans(), SPACES)
def test_pseudonyms_ignore_how_the_name_and_number_were_typed(name, fullwidth, pad):
    key = b"k" * 32
    number = make_id()
    typed_name = pad.join(name.replace("·", "・"))
    typed_number = to_fullwidth(number.lower()) if fullwidth else number
    same = pseudonym.pseudonym("P", name, number, key)
    assert pseudonym.pseudonym("P", typed_name, typed_number, key) == same
    assert pseudonym.pseudonym("P", name, number, b"x" * 32) != same
    assert name not in same and number not in same


# ----------------------------------------------------------------------------------- vocabularies


@pytest.mark.parametrize(
    "table",
    [vocab.SEXES, vocab.SUPPORT_TYPES, vocab.CASE_STATUSES, vocab.CAMPAIGNS, vocab.METRICS],
    ids=["sexes", "support", "status", "campaigns", "metrics"],
)
def test_vocab_cells_accept_key_and_labels(table):
    for key, entry in table.items():
        assert parse_vocab(key, table) == key
        assert parse_vocab(entry[0], table) == key
        assert parse_vocab(f" {entry[1].upper()} ", table) == key


def test_several_categories_with_any_separator():
    expected = "child_in_difficulty;left_behind_child"
    for text in ["留守儿童、困境儿童", "留守儿童，困境儿童", "留守儿童; 困境儿童", "留守儿童/困境儿童",
                 "left_behind_child;child_in_difficulty", "留守儿童 困境儿童"]:  # fmt: skip
        assert parse_multi(text, vocab.CATEGORIES) == expected
    with pytest.raises(ValueError, match="留守"):
        parse_multi("留守、困境儿童", vocab.CATEGORIES)
    assert parse_multi("无", vocab.CATEGORIES) == ""


def test_booleans():
    assert [parse_bool(v) for v in ["是", "√", "Y", 1, "TRUE"]] == [True] * 5
    assert [parse_bool(v) for v in ["否", "×", "n", 0, "false"]] == [False] * 5
    with pytest.raises(ValueError):
        parse_bool("也许")


# ----------------------------------------------------------------------------------- places


@pytest.fixture(scope="module")
def places() -> PlaceResolver:
    frame = read_gazetteer()
    return PlaceResolver(frame.astype(object).where(pd.notna(frame), None))


def test_places_by_code_and_by_name(places):
    assert places.resolve("320826101211") == HUAYUAN_GAOGOU
    assert places.resolve(320826101211.0) == HUAYUAN_GAOGOU  # a code stored as a number
    assert places.resolve("320826101") == GAOGOU  # the 9-digit township code
    for text in ["高沟镇", "高沟", " 高 沟 镇 "]:
        assert places.resolve(text) == GAOGOU
    for text in ["东门社区", "东门社区居委会", "东门"]:
        assert places.resolve(text) == DONGMEN
    for text in ["高沟镇花园村", "高沟镇 花园村", "高沟镇/花园村委会", "涟水县高沟镇花园村"]:
        assert places.resolve(text) == HUAYUAN_GAOGOU
    assert places.resolve("花园村", town="东胡集镇") == HUAYUAN_DONGHUJI
    assert places.resolve("尹荡村委会", town="高沟") == YINDANG_GAOGOU


@pytest.mark.parametrize(
    ("text", "town", "reason"),
    [
        ("花园村", None, "多处同名"),
        ("尹荡", None, "多处同名"),
        ("不存在村", None, "找不到"),
        ("320826999999", None, "不在本县"),
        ("12345", None, "不是有效的区划代码"),
        ("花园村", "唐集镇", "不在"),
        ("花园村", "高沟镇花园村", "不是镇或街道"),
    ],
)
def test_unknown_or_ambiguous_places_are_errors_never_guesses(places, text, town, reason):
    with pytest.raises(ValueError, match=reason):
        places.resolve(text, town=town)


def test_every_place_resolves_by_its_display_name(places):
    from hehu.importing.resolve import place_choices

    frame = read_gazetteer()
    frame = frame.astype(object).where(pd.notna(frame), None)
    for code, name in zip(sorted(frame["code"]), place_choices(frame), strict=True):
        assert places.resolve(name) == code


@pytest.mark.parametrize("written", ["30左右", "30以上", "七成", "90%以上", "约30"])
def test_a_register_figure_is_exact_no_hedge_is_read(written):
    # In a register a figure is exact: a hedge is read only in a report's sentence (hedged=True).
    for parse in (parse_int, parse_number):
        with pytest.raises(ValueError, match="不是数字"):
            parse(written)
