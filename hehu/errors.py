"""Errors a user can read: each carries a one-line message in Chinese (and English)."""

from __future__ import annotations

import re


def first_line(reason: object) -> str:
    """The first line of an error's text, at most 200 characters (a driver's or a reader's
    message may run to a traceback); the error's type name if it says nothing."""
    lines = str(reason).strip().splitlines()
    return lines[0][:200] if lines else type(reason).__name__


class HehuError(Exception):
    """An error whose message is meant for the user, in Chinese first."""

    def __init__(self, zh: str, en: str | None = None):
        super().__init__(zh)
        self.zh = zh
        self.en = en or zh

    def message(self, lang: str = "zh") -> str:
        """The message in the given language."""
        return self.en if lang == "en" else self.zh


class UnknownPlace(HehuError):
    """A place code that is not in the gazetteer."""

    def __init__(self, code: str):
        super().__init__(f"未知的地点代码：{code}", f"unknown place code: {code}")
        self.code = code


class BadDate(HehuError):
    """A date that cannot be read."""

    def __init__(self, text: str):
        super().__init__(
            f"日期格式不正确：{text}（应为 YYYY-MM-DD，例如 2022-05-18）",
            f"bad date: {text} (expected YYYY-MM-DD, e.g. 2022-05-18)",
        )


_PASSWORD_IN_URL = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s]*@", re.I)


def shown_url(text: str) -> str:
    """A text with every database address's password masked: what people may see of it.

    The one rule for showing a URL, in messages, command output, pages and logs alike
    (postgresql+psycopg://hehu:***@db/hehu).
    """
    return _PASSWORD_IN_URL.sub(lambda m: f"{m['head']}***@", str(text))


class StoreUnavailable(HehuError):
    """The database cannot be opened or reached (its address shown with the password masked)."""

    def __init__(self, url: str, reason: str = ""):
        url, reason = shown_url(url), shown_url(reason)
        super().__init__(
            f"无法打开数据库：{url}{('（' + reason + '）') if reason else ''}",
            f"cannot open the database: {url}{(' (' + reason + ')') if reason else ''}",
        )


class InvalidRecord(HehuError):
    """A record that breaks a rule of the store (unknown code, bad vocabulary, bad date)."""
