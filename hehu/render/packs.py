"""Briefing packs: self-contained HTML (one place or many) and Word, for the field and the forum.

A pack leaves the server, so it is always made as for a presenter: aggregates only, small counts
suppressed, whatever the role of the person who asks for it. Every pack made is audited.
"""

from __future__ import annotations

import base64

from hehu import i18n
from hehu.accounts import cli_actor
from hehu.clock import local_today
from hehu.disclosure import legend as disclosure_legend
from hehu.figures.cache import period_choice_key
from hehu.figures.metrics import Period, Records
from hehu.i18n import audit_what
from hehu.oversight.briefing import build_briefing
from hehu.records.store import Store
from hehu.render.html import PAGE_STYLESHEET, briefing_html, demo_banner, html_text
from hehu.render.word import briefing_docx, static_map_png

PACK_ROLE = "presenter"  # packs carry no person-level data and suppress small counts


# Where a page's content begins (hehu/serve/light.py puts a note there).
PAGE_START = '<div class="hehu-page">'


def html_document(title: str, body: str, lang: str, head: str = "") -> str:
    """A whole HTML file around a body: the page stylesheet inline, nothing fetched; ``head``
    is more of its head (markup, trusted)."""
    return (
        f'<!DOCTYPE html><html lang="{"en" if lang == "en" else "zh-CN"}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"{head}<title>{html_text(title)}</title><style>{PAGE_STYLESHEET}"
        "body{margin:0;padding:12px;background:#fff} .hehu-pack-map{max-width:100%;height:auto;"
        "border:1px solid #ccc} .hehu-toc a{margin-right:10px} .hehu-place{break-before:page}"
        f"</style></head><body>{PAGE_START}{body}</div></body></html>"
    )


def map_img_html(records: Records, code: str | None, lang: str) -> str:
    """The county's map as an inline PNG, the place (if any) outlined."""
    png = base64.b64encode(static_map_png(records, code)).decode("ascii")
    alt = "示意地图" if lang != "en" else "schematic map"
    return f'<img class="hehu-pack-map" alt="{alt}" src="data:image/png;base64,{png}">'


def stamp_html(records: Records, period: Period, lang: str) -> str:
    """The line under a pack's title: the day it was made, the period, what the markers mean."""
    made = local_today().isoformat()  # the county's day, as every date Hehu writes
    text = (
        f"生成日期 {made} · 期间 {period.label(lang)} · {disclosure_legend(lang)}"
        if lang != "en"
        else f"Made {made} · period {period.label(lang)} · {disclosure_legend(lang)}"
    )
    return f'<div class="hehu-sub">{html_text(text)}</div>'


def briefing_pack_html(
    records: Records,
    codes: list[str],
    period: Period,
    lang: str = "zh",
    role: str = PACK_ROLE,
    before: str = "",
) -> str:
    """One self-contained HTML file (no script, no network) with the briefings of several places;
    `before` is HTML put above the title (the light briefing's links)."""
    for code in codes:
        records.check_place(code)
    title = f"{i18n.t('app', lang)} · {i18n.t('briefing_title', lang)}"
    briefings = [build_briefing(records, code, period, role) for code in codes]
    toc = " ".join(f'<a href="#place-{b.code}">{html_text(b.name)}</a>' for b in briefings)
    parts = [
        before,
        f'<div class="hehu-title">{html_text(title)}</div>',
        stamp_html(records, period, lang),
        demo_banner(records, lang),
        f'<div class="hehu-toc">{toc}</div>' if len(briefings) > 1 else "",
        map_img_html(records, codes[0] if len(codes) == 1 else None, lang),
    ]
    for b in briefings:
        parts.append(
            f'<section class="hehu-place" id="place-{b.code}">{briefing_html(b, lang)}</section>'
        )
    return html_document(title, "".join(parts), lang)


def make_pack(
    store: Store,
    records: Records,
    codes: list[str],
    period: Period,
    fmt: str = "html",
    lang: str = "zh",
    actor: str | None = None,
) -> bytes:
    """A pack as bytes (html for any number of places, docx for one) and its audit entry, in
    the name of `actor` (by default whoever runs the command, `cli_actor`)."""
    if fmt == "html":
        data = briefing_pack_html(records, codes, period, lang).encode("utf-8")
    elif fmt == "docx":
        if len(codes) != 1:
            from hehu.errors import HehuError

            raise HehuError(
                "Word 简报一次只能生成一个地点", "a Word briefing is for one place at a time"
            )
        records.check_place(codes[0])
        data = briefing_docx(build_briefing(records, codes[0], period, PACK_ROLE), records, lang)
    else:
        from hehu.errors import HehuError

        raise HehuError(f"不支持的格式：{fmt}（可选 html、docx）", f"unsupported format: {fmt}")
    store.audit(
        "briefing",
        audit_what("briefing", format=fmt, period=period_choice_key(period)),
        places=";".join(codes),
        actor=actor or cli_actor(),
    )
    return data
