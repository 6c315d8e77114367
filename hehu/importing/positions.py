"""Cell positions as an .xlsx writes them (r="B12"): column letters and numbers, and regexes
of the positions beyond a farthest one, for the check of a file before it is read
(`workbook.check_spreadsheet`)."""

from __future__ import annotations


def column_number(letters: bytes) -> int:
    """A column's number from its letters (b"A" is 1, b"XFD" 16,384)."""
    number = 0
    for ch in letters.upper():
        number = number * 26 + ch - 64
    return number


def column_letters(number: int) -> str:
    """A column's letters from its number (1 is "A")."""
    text = ""
    while number:
        number, rest = divmod(number - 1, 26)
        text = chr(65 + rest) + text
    return text


def positions_above(value: str, letters: bool = False) -> str:
    """A regex of the numbers (or column letters, either case) greater than `value`."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if letters else "0123456789"

    def span(low: str) -> str:  # the characters from `low` to the last, in either case
        high = alphabet[-1]
        return f"[{low}-{high}{low.lower()}-{high.lower()}]" if letters else f"[{low}-{high}]"

    def same(ch: str) -> str:
        return f"[{ch}{ch.lower()}]" if letters else ch

    any_ = span(alphabet[0])
    options = [f"{span(alphabet[0] if letters else '1')}{any_}{{{len(value)},}}"]
    for i, ch in enumerate(value):
        if ch != alphabet[-1]:
            nxt = alphabet[alphabet.index(ch) + 1]
            head = "".join(map(same, value[:i]))
            options.append(f"{head}{span(nxt)}{any_}{{{len(value) - i - 1}}}")
    return "|".join(options)
