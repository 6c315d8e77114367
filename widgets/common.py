"""What every page shares: the query string, the language, the store, the demo banner, the shell."""

from __future__ import annotations

import html
import os
from urllib.parse import parse_qs

import ipywidgets as w

from hehu import i18n
from hehu.metrics import Records, load_records
from hehu.privacy import current_role
from hehu.store import Store, open_store

# One stylesheet for all pages: readable on a 390 px phone (no sideways scroll), large on a
# projector, and printable to A4 (widgets' fixed heights released, controls hidden).
PAGE_CSS = """
<style>
.hehu-page { max-width: 1400px; margin: 0 auto; font-family: "Noto Sans CJK SC", "WenQuanYi Micro Hei",
  "Microsoft YaHei", "PingFang SC", sans-serif; font-size: 15px; color: #1d1d1d; }
.hehu-page, .hehu-page * { box-sizing: border-box; }
/* min-width 0: a wide table scrolls inside its .hehu-table-wrap instead of widening the page. */
.hehu-page .widget-html-content { white-space: normal; line-height: 1.5; min-width: 0; }
/* ipywidgets gives every widget 2px side margins: with width 100% the map and briefing overflowed
   the page by 4px (a sideways scroll, the map's right edge cut off). */
.hehu-page .widget-html { margin-left: 0; margin-right: 0; }
.hehu-title { font-size: 22px; font-weight: 700; margin: 4px 0 2px; line-height: 1.3; }
.hehu-sub { color: #555; font-size: 13px; margin-bottom: 6px; }
.hehu-banner { background: #fff3cd; border: 1px solid #e0c36a; color: #5c4400; padding: 6px 10px;
  border-radius: 4px; font-size: 14px; margin: 4px 0; }
.hehu-error { background: #fde8e8; border: 1px solid #e3a0a0; color: #7a1d1d; padding: 8px 12px;
  border-radius: 4px; }
.hehu-cards { display: flex; flex-wrap: wrap; gap: 8px; margin: 6px 0; }
.hehu-card { flex: 1 1 150px; min-width: 140px; border: 1px solid #ddd; border-radius: 6px;
  padding: 8px 10px; background: #fafafa; }
.hehu-card .v { font-size: 24px; font-weight: 700; }
.hehu-card .k { font-size: 13px; color: #444; }
.hehu-card .t { font-size: 12px; color: #666; }
.hehu-card.gap { border-color: #c0392b; background: #fff5f3; }
.hehu-table-wrap { width: 100%; overflow-x: auto; }
table.hehu-table { border-collapse: collapse; width: 100%; font-size: 14px; }
table.hehu-table th, table.hehu-table td { border-bottom: 1px solid #e5e5e5; padding: 4px 6px;
  text-align: left; vertical-align: top; }
table.hehu-table td.num, table.hehu-table th.num { text-align: right; font-variant-numeric: tabular-nums; }
.hehu-section { font-size: 18px; font-weight: 700; margin: 14px 0 4px; border-left: 4px solid #2c6e8f;
  padding-left: 8px; }
.hehu-list li { margin: 2px 0; }
.hehu-foot { color: #666; font-size: 12px; margin-top: 10px; }
.hehu-controls { gap: 8px; }
.hehu-controls .widget-dropdown, .hehu-controls .widget-select { max-width: 100%; }
@media (max-width: 600px) {
  .hehu-page { font-size: 14px; }
  .hehu-title { font-size: 19px; }
  .hehu-card { flex: 1 1 45%; min-width: 0; }
  .hehu-card .v { font-size: 20px; }
  .hehu-controls { flex-direction: column !important; }
  .hehu-controls > * { width: 100% !important; margin-left: 0 !important; margin-right: 0 !important; }
  iframe.hehu-map { height: 440px !important; }
  /* Squeezed to the screen, tables broke every name one character per line: keep columns
     readable and let the table scroll sideways in its wrap. */
  table.hehu-table th, table.hehu-table td { min-width: 4em; }
  table.hehu-table td:first-child { min-width: 7em; }
  table[data-hehu="recommendations"] td:nth-child(2),
  table[data-hehu="recommendations"] td:nth-child(6) { min-width: 12em; }
}
@media print {
  .hehu-controls, .hehu-noprint { display: none !important; }
  .hehu-page { max-width: none; font-size: 11pt; }
  .hehu-card { break-inside: avoid; }
  .hehu-section { break-after: avoid; }
  table.hehu-table tr { break-inside: avoid; }
  .jp-OutputArea-output, .widget-box, .widget-html { height: auto !important; overflow: visible !important; }
  /* Voila scrolls the page inside fixed-size containers: release them or only page 1 prints. */
  html, body, #main, #jp-main-content-panel, #rendered_cells { position: static !important;
    width: auto !important; height: auto !important; overflow: visible !important; contain: none !important; }
}
</style>
"""


def query_params() -> dict[str, str]:
    """The page's URL query parameters (Voila passes them to the kernel), first value each."""
    query = os.environ.get("QUERY_STRING", "")
    try:  # with preheated kernels the query only arrives through this call
        from voila.utils import get_query_string

        query = get_query_string() or query
    except Exception:  # noqa: BLE001 - outside Voila there is no query string to fetch
        pass
    return {k: v[0] for k, v in parse_qs(query or "").items() if v}


def page_language(params: dict[str, str] | None = None) -> str:
    """'en' when asked for by ?lang=en or HEHU_LANG=en, else 'zh'."""
    params = query_params() if params is None else params
    lang = params.get("lang") or os.environ.get("HEHU_LANG", "zh")
    return "en" if lang.lower().startswith("en") else "zh"


def page_store(url: str | None = None) -> Store:
    """The store the server was started on ($HEHU_DB)."""
    return open_store(url, create=False)


def page_records(store: Store) -> Records:
    """A snapshot of the records for a page."""
    return load_records(store)


def html_text(text) -> str:
    """Escape text for HTML."""
    return html.escape("" if text is None else str(text))


def demo_banner(records: Records, lang: str) -> str:
    """The 示例数据 banner while demo data is loaded (HTML, empty otherwise)."""
    if not records.is_demo:
        return ""
    return f'<div class="hehu-banner" data-hehu="demo-banner">⚠ {html_text(i18n.t("demo_banner", lang))}</div>'


def error_box(message: str) -> w.HTML:
    """A readable error in the page instead of a traceback."""
    return w.HTML(f'<div class="hehu-error" data-hehu="error">{html_text(message)}</div>')


def page_shell(
    title: str, subtitle: str, records: Records | None, lang: str, body: list[w.Widget]
) -> w.VBox:
    """The frame of every page: style, title, demo banner, role, the page's own widgets."""
    role = current_role()
    header = w.HTML(
        PAGE_CSS
        + f'<div class="hehu-title">{html_text(title)}</div>'
        + f'<div class="hehu-sub">{html_text(subtitle)} · {html_text(i18n.t("role", lang))}：'
        + f"{html_text(i18n.t('role_' + role, lang))}</div>"
        + (demo_banner(records, lang) if records is not None else "")
    )
    box = w.VBox([header, *body], layout=w.Layout(width="100%"))
    box.add_class("hehu-page")
    return box


def failure_page(title: str, lang: str, exc: Exception) -> w.VBox:
    """A page that only says, in the user's language, what went wrong."""
    message = exc.message(lang) if hasattr(exc, "message") else str(exc)
    return page_shell(title, "", None, lang, [error_box(message)])
