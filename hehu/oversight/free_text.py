"""The free text of the oversight cycle: kept clean, of a sane length, with no personal number.

An inspection's summary, its findings and recommendations, a unit's answer and its reason,
a deputy's rating comment and the comment of a reopening or a closing are printed on briefings,
reports and 交办单. Each is kept as `kept` makes it: without the invisible control characters
an import drops too (`importing.cells.CONTROL_CHARS`: pasted from Word or a PDF, a vertical tab
made every Word document that printed it fail), trimmed. A text longer than MAX_FREE_TEXT, or
holding a personal number (the import's rule for a text cell, `hehu.records.pseudonym.
personal_numbers`, which says what counts as an ID-card or mobile number), is refused before
anything is written, and the number is never echoed.
"""

from __future__ import annotations

from hehu import i18n
from hehu.errors import InvalidRecord
from hehu.importing.cells import strip_controls
from hehu.records.pseudonym import personal_numbers

# Characters of one free text: a page of findings is about 2,000; a pasted document is refused.
MAX_FREE_TEXT = 10_000

# Each free text of the cycle is named in a refusal by i18n's text "free_text_" + its name
# (committee, deputies, summary, finding, recommendation, response, reason, comment).


def kept(text) -> str:
    """A free text as it is kept: without invisible control characters, trimmed."""
    return strip_controls("" if text is None else str(text)).strip()


def problem(what: str, text, **values) -> tuple[str, str] | None:
    """(zh, en) refusal of the text named `what` if it is too long or holds a personal number,
    else None."""
    if "free_text_" + what not in i18n.TEXT:
        raise KeyError(what)
    text = kept(text)
    if len(text) > MAX_FREE_TEXT:
        key, more = "free_text_too_long", {"n": len(text), "limit": MAX_FREE_TEXT}
    elif personal_numbers(text):
        key, more = "free_text_refused", {}
    else:
        return None
    zh, en = (i18n.t("free_text_" + what, lang, **values) for lang in ("zh", "en"))
    return i18n.t(key, "zh", what=zh, **more), i18n.t(key, "en", what=en, **more)


def refuse(**texts) -> None:
    """Raise InvalidRecord (nothing saved) if one of the texts, keyed by their names, is too
    long or holds a personal number."""
    for what, text in texts.items():
        found = problem(what, text)
        if found:
            raise InvalidRecord(*found)
