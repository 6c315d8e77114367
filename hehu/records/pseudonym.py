"""Pseudonymous IDs: names and ID-card numbers become stable keyed hashes and are never stored.

A person's ID is HMAC-SHA256 over the normalised name and the normalised ID-card number, keyed by
a secret that lives only in the local configuration (`hehu_home()/pseudonym.key`, created on first
use with 0600 permissions). The same person imported twice gets the same ID; without the key
nobody can test a guessed name and ID number against the database. The database keeps only a
fingerprint of the key (an HMAC of a fixed text), so an import with a different key is refused
instead of silently creating a second ID for everyone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import re
import secrets
import unicodedata
from functools import lru_cache
from pathlib import Path

import numpy as np

from hehu.errors import HehuError
from hehu.records.store import hehu_home

KEY_FILE_NAME = "pseudonym.key"
KEY_BYTES = 32
# The meta-table entry holding the key's fingerprint (never the key itself).
KEY_CHECK_META = "pseudonym_key_check"
ID_HEX_CHARS = 16  # 64 bits: collisions stay negligible for a county's millions of people

# Middle dots written between the parts of a minority or foreign name, in all their variants.
_MIDDLE_DOTS = re.compile("[\u00b7\u2022\u2027\u2219\u22c5\u30fb\uff65\u0387\u16eb\u2e31]")
_SPACES = re.compile(r"\s+")
_ID_LENGTH = 17  # digits before the check character
_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_ID_CHECK_BYTES = np.frombuffer(b"10X98765432", dtype=np.uint8)
_ID_15 = re.compile(r"\d{15}")
_ID_18 = re.compile(r"\d{17}[\dX]")
# An ID-card number written plainly: ASCII digits (\d takes any script), nothing to fold.
PLAIN_ID_NUMBER = re.compile(r"[0-9]{17}[0-9X]")
# A column of them joined by newlines: checked in one pass (`plain_id_numbers`).
_PLAIN_ID_COLUMN = re.compile(r"(?:[0-9]{17}[0-9X]\n)*[0-9]{17}[0-9X]")
_WRONG_CHECK = "身份证号校验位不正确，请核对"


class KeyMismatch(HehuError):
    """The local key is not the one the database's pseudonyms were made with."""

    def __init__(self):
        super().__init__(
            "本机的假名化密钥与数据库中已有数据所用的密钥不一致，导入会产生重复对象，已停止。"
            "请从首次导入的电脑复制 pseudonym.key 到本机的呵护配置目录。",
            "this machine's pseudonymisation key differs from the one the database was built with; "
            "copy pseudonym.key from the machine that made the first import",
        )


def key_path() -> Path:
    """Where the pseudonymisation key lives: hehu_home()/pseudonym.key."""
    return hehu_home() / KEY_FILE_NAME


def load_key(create: bool = True) -> bytes | None:
    """The local key; created (0600) on first use when `create`, else None if there is none yet."""
    path = key_path()
    if not path.exists():
        if not create:
            return None
        try:
            # O_EXCL: two kernels importing at once must not each write a different key.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w", encoding="ascii") as out:
                out.write(secrets.token_hex(KEY_BYTES) + "\n")
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)  # a key readable by others would make the pseudonyms guessable
    text = path.read_text(encoding="ascii").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError as exc:
        raise HehuError(
            f"假名化密钥文件已损坏：{path}", f"the pseudonymisation key file is damaged: {path}"
        ) from exc
    if len(key) < 16:
        raise HehuError(
            f"假名化密钥文件过短：{path}", f"the pseudonymisation key file is too short: {path}"
        )
    return key


def matching_key(key: bytes, stored_check: str | None) -> bytes:
    """`key`, if the database's pseudonyms were made with it or it has none yet (its
    `KEY_CHECK_META`); else KeyMismatch: pseudonyms made with another key would be new people."""
    if stored_check and stored_check != key_check(key):
        raise KeyMismatch()
    return key


def new_ephemeral_key() -> bytes:
    """A throwaway key for a dry run on a machine that has none yet (so a dry run writes nothing)."""
    return secrets.token_bytes(KEY_BYTES)


def key_check(key: bytes) -> str:
    """A fingerprint of the key, safe to store: it reveals nothing about the key."""
    return hmac.new(key, b"hehu pseudonym key check", hashlib.sha256).hexdigest()[:ID_HEX_CHARS]


@lru_cache(maxsize=1 << 16, typed=True)
def normalise_name(name: str) -> str:
    """A name as compared: compatibility forms folded, spaces removed, one kind of middle dot.

    Kept per distinct name: an import folds each name when it reads the column and again for
    its pseudonym, and a register repeats names (a household's head on each child's row)."""
    text = unicodedata.normalize("NFKC", str(name))
    text = _SPACES.sub("", text)
    return _MIDDLE_DOTS.sub("·", text).casefold()


def id_check_chars(first17s: list[str]) -> list[str]:
    """The check character (GB 11643) of each 18-character ID-card number from its first 17
    digits, a whole column at once with numpy (`_check_bytes`)."""
    if any(len(first17) != _ID_LENGTH for first17 in first17s):
        raise ValueError("身份证号前17位应为数字")
    joined = "".join(first17s)
    if not (joined.isascii() and joined.isdigit()):  # other digits (full-width, Arabic-Indic)
        joined = "".join(str(int(c)) for c in joined)  # ValueError for what is not a digit
    digits = np.frombuffer(joined.encode("ascii"), dtype=np.uint8).reshape(-1, _ID_LENGTH)
    return list(_check_bytes(digits).tobytes().decode("ascii"))


def _check_bytes(digits: np.ndarray) -> np.ndarray:
    """The check character, as an ASCII byte, of each row of 17 ASCII digits: the one place
    the check digit is computed."""
    totals = (digits.astype(np.int64) - ord("0")) @ _ID_WEIGHTS
    return _ID_CHECK_BYTES[totals % 11]


def plain_id_numbers(texts: list[str]) -> list[str | ValueError] | None:
    """`normalise_id_numbers` of a column in which every text is an 18-character number written
    plainly (the common case: nothing to fold), read in one pass with every check digit compared
    at once; None if any text is not, or a cell is not text."""
    if not texts or set(map(type, texts)) != {str}:
        return None
    joined = "\n".join(texts)
    # Each text is one number: n numbers of 18 characters and n - 1 newlines, nothing else.
    if len(joined) != 19 * len(texts) - 1 or not _PLAIN_ID_COLUMN.fullmatch(joined):
        return None
    table = np.frombuffer((joined + "\n").encode("ascii"), dtype=np.uint8).reshape(-1, 19)
    right = _check_bytes(table[:, :_ID_LENGTH]) == table[:, _ID_LENGTH]
    if right.all():
        return list(texts)
    return [
        t if ok else ValueError(_WRONG_CHECK) for t, ok in zip(texts, right.tolist(), strict=True)
    ]


def id_check_char(first17: str) -> str:
    """The check character of one ID-card number from its first 17 digits (`id_check_chars`)."""
    return id_check_chars([first17])[0]


def normalise_id_numbers(texts: list[str]) -> list[str | ValueError]:
    """Each text's ID-card number in its 18-character form, or the ValueError (reason in
    Chinese) saying why it is not one; the check digits of the whole column computed at once.

    Full-width digits, digits of other scripts and spaces are folded, a lower-case x is raised,
    and an old 15-digit number is extended to 18 characters, so the same person gets the same ID
    whichever form was written.
    """
    plain = plain_id_numbers(texts)
    if plain is not None:
        return plain
    out: list = []
    first17s: list[str] = []
    for text in texts:
        if type(text) is str and PLAIN_ID_NUMBER.fullmatch(text):
            first17s.append(text[:17])  # as written, the common case: nothing to fold
            out.append(text)
            continue
        text = str(text)
        if not (text.isascii() and text.isalnum()):  # plain letters and digits fold to themselves
            text = _SPACES.sub("", unicodedata.normalize("NFKC", text)).replace("-", "")
            # Digits of other scripts (Arabic-Indic, Devanagari…) NFKC leaves as they are.
            text = "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in text)
        raw = text.upper()
        if _ID_15.fullmatch(raw):
            first17s.append(raw[:6] + "19" + raw[6:])
            out.append(None)
        elif _ID_18.fullmatch(raw):
            first17s.append(raw[:17])
            out.append(raw)
        else:
            out.append(ValueError("身份证号应为18位（最后一位可为X）或15位数字"))
    checks = iter(zip(first17s, id_check_chars(first17s), strict=True))
    for i, raw in enumerate(out):
        if raw is None:  # an old 15-digit number
            first17, check = next(checks)
            out[i] = first17 + check
        elif type(raw) is str and next(checks)[1] != raw[17]:  # checked in the same order
            out[i] = ValueError(_WRONG_CHECK)
    return out


def normalise_id_number(text: str) -> str:
    """An ID-card number in its 18-character form (`normalise_id_numbers` for one); raises
    ValueError (reason in Chinese) if invalid."""
    number = normalise_id_numbers([text])[0]
    if isinstance(number, ValueError):
        raise number
    return number


# An ID-card number or a mainland mobile number written anywhere in a text (folded: full-width
# forms and invisible characters, `_folded`; other scripts' digits and Chinese numerals read as
# digits, `_digit_readings`), its digits grouped as people write them: by spaces and dashes, mixed as
# they like, or by one of the other separators below. Between a number's own groups (a mobile's
# 3-4-4, an ID's 6-8-4 or 6-4-4-4) also a wider gap (`_GROUP_GAP`): up to six dashes or tildes,
# or an ellipsis, with up to two spaces either side, as a Chinese input method types its dash
# (——) and people space one out (138 —— 1234 —— 5678, 138 ～ 1234 ～ 5678, 138  1234  5678,
# 138……1234……5678). Only there: between any two digits it would join a time to the next date
# (09:30 - 2023-01-14 11:00) or a spaced list of counts into a number. Not inside a longer run
# of digits, nor after a decimal point (a coordinate's decimals are not a phone number).
_OTHER_SEPARATORS = (
    "./_\u2010\u2012\u2013\u2014\u2015\u2212\u00b7"
    "\u3001\u3002,;*:|#~+"  # 、。，and ；(NFKC: , ;) of Chinese text, and what else people type
)
# Read one for one (`_digit_readings`): the middle dots as ·, which a name also holds, and the midline
# ellipsis (which NFKC leaves) as a point, as NFKC makes … three.
_POINTS = str.maketrans(
    {**dict.fromkeys("\u2022\u2027\u2219\u22c5\u30fb", "\u00b7"), "\u22ef": "."}
)
_POINT_LIKE = re.compile(f"[{''.join(map(chr, _POINTS))}]")  # what _POINTS rewrites
# Points: the decimal point, the Chinese full stop, the middle dot. One alone between a
# number's groups makes it a decimal (`_grouped`, which says when one 。 or · does not); a list or
# version going on after the number with the same point is one too (150。1200。1300。1400, as
# 150.1200.1300.1400), but another point is a sentence's end (138.1234.5678。3月5日回访), and an
# 11-digit group after it is the next number, not the list's.
_POINT_CHARS = ".\u3002\u00b7"
_GOES_ON = {p: re.compile(rf"{re.escape(p)}+[0-9]{{1,10}}(?![0-9])") for p in _POINT_CHARS}
_OTHER = re.compile(f"[{re.escape(_OTHER_SEPARATORS)}]")
_SEP = rf"[\s\-{re.escape(_OTHER_SEPARATORS)}]"
_DASHES = "\\-\u2010\u2011\u2012\u2013\u2014\u2015\u2212"  # NFKC folds － and ﹣ to -
# Points (an ellipsis: … or ……, which NFKC makes three or six) stand there as a dash does.
_GROUP_GAP = rf"(?:\s{{0,2}}(?:[{_DASHES}~]{{0,6}}|[{_POINT_CHARS}]{{1,9}})\s{{0,2}})"
_NOT_AFTER = r"(?<![0-9])(?<![0-9]\.)"
_ID_SHAPED = re.compile(
    rf"{_NOT_AFTER}(?:[1-9](?:{_SEP}?[0-9]){{16}}{_SEP}?[0-9Xx]"
    rf"|[1-9][0-9]{{5}}{_GROUP_GAP}[0-9]{{4}}{_GROUP_GAP}[0-9]{{4}}{_GROUP_GAP}[0-9]{{3}}[0-9Xx])"
    r"(?![0-9])"
)
# The old 15-digit number: a 6-digit area, YYMMDD of 19YY and a 3-digit sequence, written
# plainly or in those three groups (it has no check digit: any other grouping is too loose).
_OLD_ID_SHAPED = re.compile(
    rf"{_NOT_AFTER}[1-8][0-9]{{5}}({_SEP}?|{_GROUP_GAP})[0-9]{{6}}\1[0-9]{{3}}(?![0-9])"
)
# An ID-card number that a spreadsheet kept as a number and the import reads as a float's text.
_FLOAT_ID = re.compile(rf"{_NOT_AFTER}([1-8])\.([0-9]{{1,17}})[eE]\+?(1[47])(?![0-9])")
# After a +86 prefix, the number itself (`number`) is what must be grouped as a number.
_MOBILE_SHAPED = re.compile(
    rf"{_NOT_AFTER}(?:(?:\+|00)?86[\s-]?)?(?P<number>"
    rf"1[3-9](?:[\s-]?[0-9]){{9}}"  # 138 1234-5678
    rf"|1\s[3-9](?:\s[0-9]){{9}}"  # 1 3 8 1 2 3 4 5 6 7 8: one digit per space, a disguise
    rf"|1[3-9][0-9](?P<sep>{_OTHER.pattern})[0-9]{{4}}(?P=sep)[0-9]{{4}}"  # 138.1234.5678: 3-4-4
    rf"|1[3-9][0-9]{_GROUP_GAP}[0-9]{{4}}{_GROUP_GAP}[0-9]{{4}}"  # 138 —— 1234——5678, 138——12345678
    rf"|\(1[3-9][0-9]\)(?:{_SEP}?|{_GROUP_GAP})[0-9]{{4}}(?:{_SEP}?|{_GROUP_GAP})[0-9]{{4}})"
    r"(?![0-9])"  # (138) 1234 5678
)
_SHORTEST_NUMBER = 11  # a mobile number's digits
# Hehu's own identifiers: a pseudonym "P-13855583195c5793", a record's "RF-…" (`derive_id`).
# 16 hex digits hold a run of 11 decimal ones shaped like a mobile number about once in 1,600:
# the rule finds it (a number written as "P-13812345678abcde" must not slip through), and where
# a whole cell or key is an identifier the store already holds, its caller knows better.
OWN_IDENTIFIER = re.compile(rf"[A-Z]{{1,2}}-[0-9a-f]{{{ID_HEX_CHARS}}}")
_ANY_DIGIT = re.compile("[0-9]")
_NOT_ID_CHARS = re.compile("[^0-9X]")
_GROUPS = re.compile(f"{_SEP}+")
# Invisible format characters (Unicode category Cf: zero-width space, joiners, soft hyphen, BOM,
# direction marks, …), which NFKC keeps and a paste from WeChat or the web leaves inside a number.
# Written out as of Unicode 15 (collecting them from unicodedata costs half a second at import).
_FORMAT = re.compile(
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
    "\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001"
    "\U000e0020-\U000e007f]"
)
_OTHER_DECIMAL = re.compile(r"[^\D0-9]")  # one NFKC leaves as it is: ٣, ३, …
# Chinese numerals as people say a number digit by digit (幺 for 1), read as digits only in a run
# as long as a mobile number's digits, perhaps grouped: text with numerals in it is not a number.
# A run may mix them with digits (139一二三四〇〇〇四); it is read several ways (`_run_readings`),
# as a numeral beside a number may be a word (13812345678一直未接, 一三八…七八两次, 陆 a surname).
# 大写 (the forms of amounts: 壹贰叁…, traditional 貳參陸 too) and 两 for 2 read as digits alike.
_NUMERAL_DIGITS = str.maketrans(
    {**dict(zip("〇零一二三四五六七八九幺", "001234567891", strict=True)), **dict.fromkeys("两兩贰貳", "2"),
     **dict(zip("壹叁參肆伍陆陸柒捌玖", "1334566789", strict=True))}
)  # fmt: skip
_NUMERALS = "".join(map(chr, _NUMERAL_DIGITS))
_WORD_NUMERALS = frozenset(_NUMERALS) - frozenset("〇零一二三四五六七八九幺")  # `_run_readings`
_DIGIT_OR_NUMERAL = re.compile(rf"[\d{_NUMERALS}]")  # \d: a decimal digit of any script
# Between two of a run's digits any separators a number's groups may have (`_SEP`, `_GROUP_GAP`),
# taken possessively: a run only says where numerals are read as digits (the patterns above
# then say what is a number), and one way to read each gap keeps a long text linear.
_RUN_GAP = rf"[\s{_DASHES}{re.escape(_OTHER_SEPARATORS)}]{{0,13}}+"
_NUMERAL_RUN = re.compile(
    rf"(?<![0-9{_NUMERALS}])[0-9{_NUMERALS}](?:{_RUN_GAP}[0-9{_NUMERALS}])"
    rf"{{{_SHORTEST_NUMBER - 1},}}(?![0-9{_NUMERALS}])"
)


def personal_numbers(text: str) -> list[str]:
    """The ID-card numbers and mainland mobile numbers written in a text, normalised.

    An ID-card number counts when its check character is right and its digits 7–14 are a real
    date of birth. An 18-digit number with a wrong check character is deliberately not one: a
    case number "area + date + sequence" looks just like it, and refusing (or pseudonymising)
    every such code costs more than keeping the rare ID number mistyped in one digit, a
    trade-off. An old 15-digit number counts when its area starts 1–8 and its YYMMDD is a real date (19YY);
    it is normalised to the 18-character form. An 18-digit number that a spreadsheet kept as a
    number (3.208261990010112e+17, or its digits with the last ones zero: 320826199001011200)
    has lost its check digit: it counts without it, area starting 1–8 and a real date of birth
    sufficing, normalised to its 18 digits as read. A mobile number is 11 digits from 13 to 19,
    perhaps after +86, grouped as people write it (138.1234.5678, (138) 1234 5678), or one digit
    per space (1 3 8 1 2 3 4 5 6 7 8). Between a number's own groups up to six dashes or
    tildes, or an ellipsis, may stand, with up to two spaces either side (138——1234——5678, the
    dash of a Chinese input method; 138 - 1234 - 5678; 138 ～ 1234 ～ 5678; 138……1234……5678);
    or one Chinese full stop (138。1234。5678).

    The text is read folded (`_folded`: NFKC, invisible format characters such as a zero-width
    space dropped), any script's decimal digits as 0–9 (١٣٨…, १३८…), and a run of 11 or more
    Chinese numerals written digit by digit (一三八一二三四五六七八, 〇/零 for 0, 幺 for 1) as
    digits; numerals in ordinary text (二〇二二年, 三十八个) are too few in a row to be a number.

    Digits grouped by . / _ – — · 、 , * : | # ~ + count only as people group a number
    (`_grouped`): in groups of two digits or more, with at least two points (one makes a decimal
    number; but 138。1234 5678 is one) and not continued by a point and a digit (a version, an
    address), by commas not in
    thousands (money), a mobile number as 3-4-4 with one separator (an IP address is not one);
    a date, a time or a list of small numbers does not pass.
    """
    if len(text) < _SHORTEST_NUMBER:
        return []
    return [number for _, _, number in _numbers_in(_folded(text, quick=True))]


def _folded(text: str, *, quick: bool = False) -> str:
    """The text in NFKC, the invisible format characters (Unicode Cf) dropped; `quick`: "" for
    a text with no digit and no Chinese numeral (most cells of an import, cheaply)."""
    if not unicodedata.is_normalized("NFKC", text):  # quick: normalize() does not check first
        text = unicodedata.normalize("NFKC", text)
    if text.isascii():
        return text
    if quick and _DIGIT_OR_NUMERAL.search(text) is None:
        return ""
    return _FORMAT.sub("", text)


def _numbers_in(text: str) -> list[tuple[int, int, str]]:
    """(start, end, normalised number) of each ID-card or mobile number in the folded text."""
    if len(text) < _SHORTEST_NUMBER:
        return []
    found: list[tuple[int, int, str]] = []
    for reading in [text] if text.isascii() else _digit_readings(text):
        if _ANY_DIGIT.search(reading) is not None:
            _find_numbers(reading, found)
    return sorted(found)


def _find_numbers(text: str, found: list[tuple[int, int, str]]) -> None:
    """Add to `found` each number in a text read as digits that overlaps none found already."""
    scans = [(_ID_SHAPED, _read_id), (_OLD_ID_SHAPED, _read_old_id)] if len(text) >= 15 else []
    if "e" in text or "E" in text:
        scans.append((_FLOAT_ID, _read_float_id))
    for pattern, read in [*scans, (_MOBILE_SHAPED, _read_mobile)]:
        at = 0
        while (match := pattern.search(text, at)) is not None:
            start, end = match.span()
            number = read(text, match)
            if number is None or any(a < end and start < b for a, b, _ in found):
                at = start + 1  # a number may start inside what is not one: look again there
            else:
                found.append((start, end, number))
                at = end


def _digit_readings(text: str) -> list[str]:
    """The text with other scripts' decimal digits written as ASCII digits, and middle dots and
    the midline ellipsis as · and . (`_POINTS`), character for character (what is found keeps
    its place); with runs of Chinese numerals (`_NUMERAL_RUN`) read as digits each way
    `_run_readings` gives, one reading a way."""
    if _POINT_LIKE.search(text) is not None:
        text = text.translate(_POINTS)
    if _OTHER_DECIMAL.search(text) is not None:
        text = _OTHER_DECIMAL.sub(lambda digit: str(unicodedata.decimal(digit[0])), text)
    if _NUMERAL_RUN.search(text) is None:
        return [text]
    readings = [
        _NUMERAL_RUN.sub(lambda run, way=way: _run_readings(run[0])[way], text)
        for way in range(_RUN_WAYS)
    ]
    return list(dict.fromkeys(readings))


_RUN_WAYS = 5


@lru_cache(maxsize=1024)  # each run is read once, not once for each way
def _run_readings(run: str) -> tuple[str, ...]:
    """A run of numerals, perhaps mixed with digits (`_NUMERAL_RUN`), read `_RUN_WAYS` ways:
    every numeral a digit; then without the numeral at its end, at its start, or at both (a
    numeral beside a number is often a word: 一三八…七八两次, 陆 a surname, 一直); then as
    written, a run of numerals alone as digits (13812345678一二三月: the months are words)."""
    digits = run.translate(_NUMERAL_DIGITS)
    # Only a numeral the plain digit-by-digit ones are not (一三八…九十 past a number's length is
    # not one): a 大写 one, 两 (两次, 两人), 陆 and 伍 (surnames).
    end = len(run) - (run[-1] in _WORD_NUMERALS)
    start = int(run[0] in _WORD_NUMERALS)
    last, first = digits[:end] + run[end:], run[:start] + digits[start:]
    both = run[:start] + digits[start:end] + run[end:]
    written = digits if _ANY_DIGIT.search(run) is None else run
    return digits, last, first, both, written


def _grouped(text: str, start: int, end: int) -> bool:
    """Whether the digits from start to end, if grouped by a separator other than a space or a
    dash, are grouped as people group a number's digits: in groups of two digits or more (the
    last may be one), not by commas in thousands (groups of three after the first: money), not
    by one point alone (a decimal, 131。25678912 typed in a Chinese input method too), and with
    no point and digit after the last group (a version, an address, a longer list; a digit and
    a point before the first is refused by the patterns). One 。 or · among groups parted by
    spaces or dashes is a number's (138。1234 5678), unless a year follows it: a count ending a
    sentence before a span of years (受益学生：156。2023-2024学年)."""
    if _OTHER.search(text, start, end) is None:
        return True  # plainly, or by spaces and dashes: as people like
    written = text[start:end]
    groups = _GROUPS.split(written)
    if any(len(group) < 2 for group in groups[:-1]):
        return False
    if "," in written and all(len(group) == 3 for group in groups[1:]):
        return False
    used = [p for p in _POINT_CHARS if p in written]
    if sum(written.count(p) for p in used) == 1 and not _one_point_parts(written, used[0], groups):
        return False
    return not any(_GOES_ON[p].match(text, end) for p in used)


_YEAR = re.compile("(?:19|20)[0-9]{2}")


def _one_point_parts(written: str, point: str, groups: list[str]) -> bool:
    """Whether the one point in a number's digits parts its groups (`_grouped`): a 。 or ·
    among other groups parted by spaces or dashes, no year after it."""
    after = _GROUPS.split(written.partition(point)[2].lstrip())[0]
    return point != "." and len(groups) > 2 and not _YEAR.fullmatch(after)


def _read_id(text: str, match: re.Match) -> str | None:
    """The 18-character number of an ID-shaped match, or None if it is not one."""
    raw = _NOT_ID_CHARS.sub("", match[0].upper())
    if not (_grouped(text, *match.span()) and _is_birth_date(raw[6:14])):
        return None
    if id_check_char(raw[:17]) == raw[17]:
        return raw
    # A float's digits: the check digit lost, the last ones written as zeros.
    return raw if raw == match[0] and raw.endswith("00") and _real_area(raw) else None


def _read_float_id(_text: str, match: re.Match) -> str | None:
    """The number of a float's text (3.208261990010112e+17), or None if it is not an ID's."""
    digits = match[1] + match[2]
    length = int(match[3]) + 1
    if len(digits) > length:
        return None  # not a whole number
    digits = digits.ljust(length, "0")
    if length == 15:
        return _old_id_number(digits)
    return digits if _real_area(digits) and _is_birth_date(digits[6:14]) else None


def _read_old_id(text: str, match: re.Match) -> str | None:
    """The 18-character form of an old 15-digit number, or None if it is not one."""
    if not _grouped(text, *match.span()):
        return None
    return _old_id_number(_NOT_ID_CHARS.sub("", match[0]))


def _old_id_number(digits: str) -> str | None:
    """The 18-character form of 15 digits (`normalise_id_numbers`) if they start with a
    province's code and their YYMMDD is a date."""
    if not (_real_area(digits) and _is_birth_date("19" + digits[6:12])):
        return None
    return normalise_id_numbers([digits])[0]


# The provinces' codes (GB/T 2260) an ID number starts with: a number with no check character
# to guard it (an old 15-digit one, one a spreadsheet made a float) must start with one.
_PROVINCES = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
    ]
)


def _real_area(digits: str) -> bool:
    """Whether the digits start with a province's code."""
    return digits[:2] in _PROVINCES


def _read_mobile(text: str, match: re.Match) -> str | None:
    """The 11 digits of a mobile-shaped match, or None if it is not grouped as a number (after
    its +86: a + may also group the digits)."""
    return _NOT_ID_CHARS.sub("", match[0])[-11:] if _grouped(text, *match.span("number")) else None


def _is_birth_date(digits: str) -> bool:
    year, month, day = int(digits[:4]), int(digits[4:6]), int(digits[6:])
    if not 1900 <= year <= 2100:
        return False
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def is_own_identifier(text: str) -> bool:
    """Whether the text is exactly one of Hehu's identifiers in form (`OWN_IDENTIFIER`)."""
    return OWN_IDENTIFIER.fullmatch(text) is not None


def code_pseudonym(prefix: str, text: str, key: bytes) -> str:
    """A code that holds an ID-card or mobile number (an ID number typed as 对象编号, a phone
    number as 家庭编号), as a stable keyed ID such as 'P-3f9a…'.

    The numbers in it are normalised first (138-1234-5678 and +86 13812345678 are one number),
    so the same code gives the same ID in every import and rows pointing at it still find it;
    the number itself is never stored.
    """
    material = "code\x1f" + _SPACES.sub("", _numbers_as(text, str)).casefold()
    return f"{prefix}-{_keyed_hash(key, material.encode())[:ID_HEX_CHARS]}"


def without_personal_numbers(text: str) -> str:
    """The text with each ID-card or mobile number in it (`personal_numbers`) written "…", the
    rest as it was written (its full-width commas stay)."""
    if not personal_numbers(text):
        return text
    # Folded character by character (as `_folded` folds the whole), each folded character
    # remembering the written one it came from, so that a number found is cut from the text.
    folded, source = [], []
    for at, char in enumerate(text):
        char = unicodedata.normalize("NFKC", char)
        if _FORMAT.fullmatch(char) is None:
            folded.append(char)
            source += [at] * len(char)
    parts, at = [], 0
    for start, end, _ in _numbers_in("".join(folded)):
        first, last = source[start], source[end - 1] + 1
        while first > at and _FORMAT.match(text, first - 1):  # invisible marks around it too
            first -= 1
        while last < len(text) and _FORMAT.match(text, last):
            last += 1
        parts += [text[at:first], "…"]
        at = last
    parts.append(text[at:])
    kept = "".join(parts)
    # Character by character and whole, NFKC differ only where characters compose: should that
    # ever leave a number, the folded text is given instead.
    return _numbers_as(text, lambda _: "…") if personal_numbers(kept) else kept


def _numbers_as(text: str, written) -> str:
    """The folded text (`_folded`) with each personal number in it replaced by
    `written(normalised number)`: a code written two ways is one code."""
    folded = _folded(text)
    parts, at = [], 0
    for start, end, number in _numbers_in(folded):
        parts += [folded[at:start], written(number)]
        at = end
    parts.append(folded[at:])
    return "".join(parts)


def id_birth_year(id_number: str) -> int:
    """The year of birth written in a normalised 18-character ID-card number."""
    return int(id_number[6:10])


def id_sex(id_number: str) -> str:
    """'M' or 'F' from the 17th character of a normalised ID-card number (odd: male)."""
    return "M" if int(id_number[16]) % 2 else "F"


def pseudonym(prefix: str, name: str, id_number: str, key: bytes, *, checked: bool = False) -> str:
    """A stable pseudonymous ID such as 'P-3f9a…' from a name and an ID-card number.

    `checked=True` says the number already went through `normalise_id_number`.
    """
    number = id_number if checked else normalise_id_number(id_number)
    material = f"{normalise_name(name)}\x1f{number}".encode()
    return f"{prefix}-{_keyed_hash(key, material)[:ID_HEX_CHARS]}"


def _keyed_hash(key: bytes, material: bytes) -> str:
    """HMAC-SHA256 (RFC 2104) of `material` under `key`, in hex, from the two SHA-256 states the
    key starts (made once a key: keying again for each of 100,000 people costs more than the
    hash)."""
    inner, outer = _keyed(key)
    inner, outer = inner.copy(), outer.copy()
    inner.update(material)
    outer.update(inner.digest())
    return outer.hexdigest()


@lru_cache(maxsize=4)
def _keyed(key: bytes) -> tuple:
    """SHA-256 after the key XOR the inner pad, and after the key XOR the outer pad."""
    block = hashlib.sha256().block_size
    padded = (hashlib.sha256(key).digest() if len(key) > block else key).ljust(block, b"\0")
    return (
        hashlib.sha256(bytes(b ^ 0x36 for b in padded)),
        hashlib.sha256(bytes(b ^ 0x5C for b in padded)),
    )
