"""Pickers every page offers: a place (the county and everything under it) and a period."""

from __future__ import annotations

from hehu import i18n
from hehu.figures.cache import overview_period_keys
from hehu.figures.metrics import Records


def period_options(records: Records, lang: str) -> list[tuple[str, str]]:
    """(label, key) choices: each year with records, the source report's period, all time."""
    options = []
    # The years come from the shared figures: no records are read for them.
    for key in overview_period_keys(records):
        if key == "all":
            options.append((i18n.t("all_time", lang), key))
        elif ":" in key:  # a period a stored report speaks of
            start, end = key.split(":")
            options.append((i18n.t("source_period", lang, start=start, end=end), key))
        else:
            options.append((i18n.t("year_n", lang, year=key), key))
    return options


def place_options(records: Records, lang: str) -> list[tuple[str, str]]:
    """(label, code) for the county, its townships and their villages, indented by level."""
    places = records.places
    parent = places.set_index("code")["parent_code"]
    options = []

    def walk(code, depth):
        row = places.loc[places["code"] == code].iloc[0]
        mark = " ★" if row["key_village"] else ""
        options.append(("\u3000" * depth + row["name"] + mark, code))
        for child in places.loc[parent.reindex(places["code"]).to_numpy() == code, "code"]:
            walk(child, depth + 1)

    walk(records.root, 0)
    return options
