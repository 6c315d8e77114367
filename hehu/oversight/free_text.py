"""The free text of the oversight cycle holds no personal number.

An inspection's summary, its findings and recommendations, a unit's answer and its reason,
a deputy's rating comment and the comment of a reopening or a closing are printed on briefings,
reports and 交办单. The rule is the import's for a text cell (`hehu.records.pseudonym.
personal_numbers`: an ID-card number with a right check character and date of birth, a mainland
mobile number, full-width or grouped as people write them): a text holding one is refused
before anything is written, and the number is never echoed.
"""

from __future__ import annotations

from hehu.errors import InvalidRecord
from hehu.records.pseudonym import personal_numbers

# Each free text of the cycle, as a refusal names it.
WHAT: dict[str, tuple[str, str]] = {
    "committee": ("牵头委员会", "the committee"),
    "deputies": ("参加人员", "the deputies"),
    "summary": ("视察情况", "the summary"),
    "finding": ("第 {n} 条发现", "finding {n}"),
    "recommendation": ("第 {n} 条意见建议", "recommendation {n}"),
    "response": ("办理情况", "the answer"),
    "reason": ("理由", "the reason"),
    "comment": ("意见", "the comment"),
}

REFUSED = (
    "{what}含身份证号或手机号，未保存：请删除后再保存",
    "{what} holds an ID-card or mobile number: nothing saved; remove it and save again",
)


def problem(what: str, text, **values) -> tuple[str, str] | None:
    """(zh, en) refusal of a text of `WHAT` that holds a personal number, else None."""
    if not personal_numbers("" if text is None else str(text)):
        return None
    zh, en = WHAT[what]
    return (
        REFUSED[0].format(what=zh.format(**values)),
        REFUSED[1].format(what=en.format(**values)),
    )


def refuse(**texts) -> None:
    """Raise InvalidRecord (nothing saved) if one of the texts, keyed by `WHAT`, holds a
    personal number."""
    for what, text in texts.items():
        found = problem(what, text)
        if found:
            raise InvalidRecord(*found)
