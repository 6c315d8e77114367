"""The light briefing and overview: plain HTML for reading, from the shared figure cache, with no
kernel and no script.

Twenty deputies opening a township's Voila briefing at once start twenty kernels; these pages are
what a phone in a village asks for first. Each is the offline pack's rendering (the same figures
and disclosure), made once per place × period × role × language × data version and kept in the
figure cache, so that every later request is a database read. `hehu serve` serves them at
``/hehu/briefing/PLACE_CODE`` and ``/hehu/overview`` (``?period=``, ``?lang=``); the warmer
makes the county's and each township's after a change, before anyone asks.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass

from hehu import i18n
from hehu.clock import local_today
from hehu.errors import HehuError
from hehu.figures.cache import (
    PageRecords,
    default_period_key,
    period_from_key,
    period_options,
)
from hehu.figures.places import choosable_periods, disclosed_place_figures
from hehu.records.store import SHOWN_UNTIL_REMADE, Store
from hehu.render.formatting import format_value
from hehu.render.html import demo_banner, html_text
from hehu.render.packs import (
    PAGE_START,
    briefing_pack_html,
    html_document,
    map_img_html,
    stamp_html,
)
from hehu.serve.routes import light_url

# Bumped when the rendering changes: pages kept by an older Hehu are made again, never served.
LIGHT_FORMAT = 4  # 2: findings carried forward, since last time, units and ratings; 3: cells
# hidden with all equations together; 4: overdue follow-ups of screenings too
# Names of the light pages kept in the figure cache: they outlive a write until made again.
NAME_PREFIX = f"{SHOWN_UNTIL_REMADE}l{LIGHT_FORMAT}/"
# The figures a row of the light overview shows for each township.
OVERVIEW_METRICS = (
    "cases_received",
    "course_sessions",
    "households_visited",
    "must_visit_coverage",
    "left_behind_children_paired",
)
# What a light page may contain: its own inline style and inline images, nothing else (no
# script runs, nothing is fetched). Sent as the page's Content-Security-Policy.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
)


class NotFound(HehuError):
    """No such place, or a period the pages do not offer."""


@dataclass(frozen=True)
class LightPage:
    """A rendered light page: gzip-compressed HTML and the keys it was kept under."""

    gzipped: bytes
    name: str
    key: str
    data_version: int
    stale: bool = False  # made before the last write, shown while the page is made again

    def html(self) -> str:
        """The page as text."""
        return gzip.decompress(self.gzipped).decode("utf-8")


def _link(base: str, code: str | None, period_key: str, lang: str) -> str:
    """A light page's address, escaped for an href."""
    return html_text(base + light_url(code, period_key, lang))


def _nav(records, base: str, code: str | None, period_key: str, lang: str) -> str:
    """Links above a light page: the overview, the interactive page, the other periods, the
    other language. Plain links: they work with no script."""
    links = []
    if code is not None:
        links.append(
            f'<a href="{_link(base, None, period_key, lang)}">{html_text(i18n.t("light_to_overview", lang))}</a>'
        )
        page = f"{base}voila/render/briefing.ipynb?place={code}" + (
            "&lang=en" if lang == "en" else ""
        )
    else:
        page = f"{base}voila/render/overview.ipynb" + ("?lang=en" if lang == "en" else "")
    links.append(f'<a href="{html_text(page)}">{html_text(i18n.t("light_interactive", lang))}</a>')
    other = "en" if lang != "en" else "zh"
    links.append(
        f'<a href="{_link(base, code, period_key, other)}" lang="{"en" if other == "en" else "zh-CN"}">'
        f"{html_text(i18n.t('light_language', lang))}</a>"
    )
    periods = " ".join(
        f'<a href="{_link(base, code, key, lang)}"{" aria-current=page" if key == period_key else ""}>'
        f"{html_text(label)}</a>"
        for label, key in period_options(records, lang)
    )
    return (
        '<nav class="hehu-light-nav" style="display:flex;flex-wrap:wrap;gap:6px 14px;'
        'font-size:15px;margin-bottom:8px">'
        + "".join(links)
        + f'</nav><div class="hehu-sub">{html_text(i18n.t("light_periods", lang))}：{periods}</div>'
    )


def to_root(code: str | None) -> str:
    """From a light page to the server's root, as a relative link: the pages are kept in the
    cache and served under any base URL (JupyterHub's /user/NAME/), so no link is absolute."""
    return "../../" if code is not None else "../"


def overview_html(records, period_key: str, lang: str, role: str) -> str:
    """The read-only overview: the county map, and each township's headline figures with a
    link to its light briefing, as disclosed to the role."""
    base = to_root(None)
    period = period_from_key(period_key)
    shown = disclosed_place_figures(records, period_key, role)
    places = records.places
    townships = places[places["parent_code"] == records.root]
    head = "".join(
        f'<th class="{"num" if i else ""}">{html_text(h)}</th>'
        for i, h in enumerate(
            [i18n.t("light_place_col", lang)]
            + [i18n.metric_label(m, lang) for m in OVERVIEW_METRICS]
        )
    )
    body = "".join(
        f'<tr data-code="{code}"><td><a href="{_link(base, code, period_key, lang)}">{html_text(name)}</a></td>'
        + "".join(
            f'<td class="num">{html_text(format_value(shown.at[code, m], m))}</td>'
            for m in OVERVIEW_METRICS
        )
        + "</tr>"
        for code, name in zip(townships["code"], townships["name"], strict=True)
    )
    county = places.set_index("code").at[records.root, "name"]
    title = f"{i18n.t('app', lang)} · {county} · {i18n.t('light_overview_title', lang)}"
    parts = [
        _nav(records, base, None, period_key, lang),
        f'<div class="hehu-title">{html_text(title)}</div>',
        stamp_html(records, period, lang),
        demo_banner(records, lang),
        map_img_html(records, None, lang),
        '<div class="hehu-table-wrap"><table class="hehu-table" data-hehu="light-overview">'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>",
    ]
    return html_document(title, "".join(parts), lang)


@dataclass(frozen=True)
class _Catalogue:
    """What a request is checked against, for one data version and day: the periods offered,
    the default one, the places. Worked out once, so that a cached page costs two reads."""

    data_version: int
    offered: tuple[str, ...]
    default: str
    codes: frozenset[str]


_CATALOGUES: dict[tuple[str, int, str], _Catalogue] = {}


def _catalogue(store: Store) -> _Catalogue:
    today = f"{local_today():%Y%m%d}"
    found = _CATALOGUES.get((store.url, store.data_version(), today))
    if found is not None:
        return found
    records = PageRecords(store)
    made = _Catalogue(
        records.data_version,
        tuple(choosable_periods(records)),
        default_period_key(records),
        frozenset(records.places["code"]),
    )
    if len(_CATALOGUES) > 16:  # older versions and days are never asked for again
        _CATALOGUES.clear()
    _CATALOGUES[(store.url, made.data_version, today)] = made
    return made


def light_page(
    store: Store,
    code: str | None,
    period_key: str | None,
    lang: str,
    role: str,
    *,
    older_ok: bool = False,
) -> LightPage:
    """The light briefing of a place (the overview when `code` is None), from the figure cache
    or made now and kept there; NotFound for an unknown place or a period not offered.

    `older_ok`: the page as it was before the last write, if one is kept, marked `stale` and
    saying so on the page, instead of making it now (the caller has it made again)."""
    lang = i18n.language(lang)
    catalogue = _catalogue(store)
    key = period_key or catalogue.default
    if key not in catalogue.offered:
        # Only the periods the pages offer: any other would undo their protection of small
        # counts (hehu.disclosure.every_count_hidden says why).
        raise NotFound(f"没有这个期间：{key}", f"no such period: {key}")
    if code is not None and code not in catalogue.codes:
        raise NotFound(f"未知的地点代码：{code}", f"no such place: {code}")
    # The day is in the key: open periods are judged on it, and every page says when it was made.
    # Well under figure_cache.name's 64 characters: "~l1/320826101000/presenter/zh" is 29.
    name = f"{NAME_PREFIX}{code or 'overview'}/{role}/{lang}"
    cache_key = f"{key}@{local_today():%Y%m%d}"
    gzipped = store.cached_figures(name, cache_key, catalogue.data_version)
    version = catalogue.data_version
    if gzipped is None and older_ok:
        kept = store.kept_figures(name, cache_key)
        if kept is not None and kept[1] < version:
            return LightPage(_with_stale_note(kept[0], lang), name, cache_key, kept[1], stale=True)
    if gzipped is None:
        records = PageRecords(store)
        version = records.data_version  # a write may have come in between: file it under its own
        if code is None:
            text = overview_html(records, key, lang, role)
        else:
            nav = _nav(records, to_root(code), code, key, lang)
            text = briefing_pack_html(
                records, [code], period_from_key(key), lang, role=role, before=nav
            )
        gzipped = gzip.compress(text.encode("utf-8"), mtime=0)
        store.keep_figures(name, cache_key, version, gzipped)
        store.forget_figures(name, f"{key}@%", keep=cache_key)  # earlier days of this period
    return LightPage(gzipped, name, cache_key, version)


def _with_stale_note(gzipped: bytes, lang: str) -> bytes:
    """A kept page with a note at its top that newer figures are being made."""
    note = (
        '<div class="hehu-sub" data-hehu="light-stale" style="background:#fff3cd;padding:6px 8px">'
        f"{html_text(i18n.t('light_stale', lang))}</div>"
    )
    text = gzip.decompress(gzipped).decode("utf-8")
    text = text.replace(PAGE_START, PAGE_START + note, 1)
    return gzip.compress(text.encode("utf-8"), mtime=0)


def warm_light_pages(store: Store, role: str, langs=("zh", "en"), progress=None) -> int:
    """Make the light overview and the county's and every township's light briefing for the
    default period, so that the first deputy to open one after a change does not wait; how many."""
    # Pages of an earlier LIGHT_FORMAT are kept through writes like any light page, but their
    # names are never asked for again: without this they would stay in the cache for good.
    store.forget_names_like(f"{SHOWN_UNTIL_REMADE}l%/%", keep_prefix=NAME_PREFIX)
    records = PageRecords(store)
    codes = [None, records.root] + list(
        records.places.loc[records.places["parent_code"] == records.root, "code"]
    )
    made = 0
    for lang in langs:
        for code in codes:
            light_page(store, code, None, lang, role)
            made += 1
            if progress is not None:
                progress(f"{code or 'overview'} {lang}")
    return made
