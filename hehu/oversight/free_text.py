"""The free text of the oversight cycle holds no personal number.

An inspection's summary, its findings and recommendations, a unit's answer and its reason,
a deputy's rating comment and the comment of a reopening or a closing are printed on briefings,
reports and 交办单. The rule is the import's for a text cell (`hehu.records.pseudonym.
personal_numbers`, which says what counts as an ID-card or mobile number): a text holding one
is refused before anything is written, and the number is never echoed.
"""

from __future__ import annotations

from hehu import i18n
from hehu.errors import InvalidRecord
from hehu.records.pseudonym import personal_numbers

# Each free text of the cycle is named in a refusal by i18n's text "free_text_" + its name
# (committee, deputies, summary, finding, recommendation, response, reason, comment).


def problem(what: str, text, **values) -> tuple[str, str] | None:
    """(zh, en) refusal of the text named `what` if it holds a personal number, else None."""
    if "free_text_" + what not in i18n.TEXT:
        raise KeyError(what)
    if not personal_numbers("" if text is None else str(text)):
        return None
    zh, en = (i18n.t("free_text_" + what, lang, **values) for lang in ("zh", "en"))
    return i18n.t("free_text_refused", "zh", what=zh), i18n.t("free_text_refused", "en", what=en)


def refuse(**texts) -> None:
    """Raise InvalidRecord (nothing saved) if one of the texts, keyed by their names, holds a
    personal number."""
    for what, text in texts.items():
        found = problem(what, text)
        if found:
            raise InvalidRecord(*found)
