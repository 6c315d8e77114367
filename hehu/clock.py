"""The county's clock: what "today" and "now" are, in Beijing time unless configured otherwise.

Every date a user sees or a rule decides on (today's period, an overdue recommendation, the time
of an audit entry) comes from here. Stored timestamps stay in UTC (`utc_now`); they are shown in
the county's zone (`local_time`). HEHU_TZ names another IANA zone (e.g. Asia/Urumqi).
"""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "Asia/Shanghai"


def zone() -> ZoneInfo:
    """The county's time zone: HEHU_TZ, else Asia/Shanghai (a name Python does not know falls back)."""
    try:
        return ZoneInfo(os.environ.get("HEHU_TZ") or DEFAULT_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


def utc_now() -> dt.datetime:
    """Now in UTC, without a zone: how timestamps are stored."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def local_now() -> dt.datetime:
    """Now on the county's clock, without a zone."""
    return dt.datetime.now(zone()).replace(tzinfo=None)


def local_today() -> dt.date:
    """Today's date on the county's clock (at 07:00 in Beijing it is already tomorrow in UTC terms)."""
    return dt.datetime.now(zone()).date()


def local_time(stored_utc) -> dt.datetime:
    """A stored UTC timestamp (naive or aware) on the county's clock, without a zone."""
    moment = stored_utc.to_pydatetime() if hasattr(stored_utc, "to_pydatetime") else stored_utc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(zone()).replace(tzinfo=None)


def time_text(stored_utc, lang: str) -> str:
    """A stored UTC timestamp as a page shows it: on the county's clock, to the minute, its zone
    named (2022-05-18 10:00 北京时间)."""
    return f"{local_time(stored_utc):%Y-%m-%d %H:%M} {zone_label(lang)}"


def zone_label(lang: str) -> str:
    """How the zone is named beside a time: 北京时间 for Asia/Shanghai, else the zone's name."""
    from hehu.i18n import t  # the words live with every other interface text

    name = zone().key
    return t("beijing_time", lang) if name == DEFAULT_ZONE else name
