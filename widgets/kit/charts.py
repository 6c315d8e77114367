"""Charts: matplotlib drawn to inline SVG, shown in an ipywidgets HTML widget.

Why matplotlib → SVG: it needs no JavaScript and no CDN, so a chart appears in Voila with no
network and prints, scales and screenshots like the rest of the page; text is drawn as paths, so
Chinese reads the same on a phone or projector whatever fonts it has. Builders return HTML strings
and never display anything: the caller decides where a chart goes.

Counts hidden from aggregate-only roles are drawn as hatched bars with the page's own text (the
disclosure markers), so a chart never shows what the table hides: a small count up to the
threshold (it is below it), a complement with no length (it may be any count: drawn at 5, 140
households read as few).
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib
from matplotlib import font_manager

# Figure, not pyplot: no global figure state, no GUI backend, safe in a kernel serving widgets.
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from hehu.disclosure import HIDDEN_SMALL, MARKERS
from widgets.kit.common import html_text

# Tried in order; matplotlib falls back glyph by glyph, so Latin text keeps DejaVu's look when a
# CJK font lacks a glyph. Debian: fonts-noto-cjk or fonts-wqy-microhei; Windows: Microsoft YaHei.
CJK_FONTS = [
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "SimHei",
]
STYLE = {
    "font.family": "sans-serif",
    "font.sans-serif": [*CJK_FONTS, "DejaVu Sans"],
    "font.size": 11,
    "axes.unicode_minus": False,  # CJK fonts lack U+2212; a hyphen reads the same
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 12,
    "axes.titleweight": "normal",  # WenQuanYi has no bold face; a bold request logs a warning
    "axes.titlelocation": "left",
    "svg.fonttype": "path",
    "svg.hashsalt": "hehu",  # stable ids: the same data gives the same SVG
}
# Viridis steps (as the maps): ordered in lightness, readable in greyscale and by most
# colour-blind readers. SERIES_COLOURS are picked far apart for bars side by side.
SERIES_COLOURS = ["#3b528b", "#5ec962", "#21918c", "#440154", "#fde725"]
TARGET_COLOUR = "#d62728"
HIDDEN_COLOUR = "#bbbbbb"
HIDDEN_HEIGHT = 5  # a hidden small count is 1..4: drawn up to the threshold
FIGURE_WIDTH = 6.0  # inches; SVG scales to the page, this sets the text size relative to it


@dataclass
class Series:
    """One series of a chart: values, optional texts to print on bars, cells hidden by privacy."""

    name: str
    values: Sequence[float]
    texts: Sequence[str] | None = None
    hidden: Sequence[bool] | None = None
    colour: str | None = None


def _drawn(values: list[float], hidden: list[bool], texts: Sequence[str] | None) -> list[float]:
    """Each bar's length: its value, or for a hidden one up to the threshold if it is a small
    count (`HIDDEN_SMALL`) and none if it may be any count (a complement, or no text said)."""
    texts = texts or [""] * len(values)
    return [
        (HIDDEN_HEIGHT if text == HIDDEN_SMALL else 0.0) if h else v
        for v, h, text in zip(values, hidden, texts, strict=True)
    ]


def cjk_font_name() -> str | None:
    """The first CJK font of CJK_FONTS installed here, or None (Chinese would show as boxes)."""
    for name in CJK_FONTS:
        try:
            font_manager.findfont(
                font_manager.FontProperties(family=name), fallback_to_default=False
            )
        except ValueError:
            continue
        return name
    return None


def _figure(height: float) -> Figure:
    # No layout engine: savefig's tight bounding box fits labels at a third of the cost of
    # constrained layout, which matters when a filter change redraws several charts.
    return Figure(figsize=(FIGURE_WIDTH, max(height, 1.6)))


def _below_axes(fig: Figure, ax, inches: float) -> float:
    """An offset below the axes in axes-height units, `inches` down whatever the chart's height."""
    return -inches / (ax.get_position().height * fig.get_figheight())


def svg_html(fig: Figure, label: str, key: str) -> str:
    """A figure as inline SVG inside a <figure> that scales to its container."""
    buffer = io.StringIO()
    with matplotlib.rc_context(STYLE):
        fig.savefig(
            buffer, format="svg", metadata={"Date": None}, bbox_inches="tight", pad_inches=0.08
        )
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    # the RDF block only names matplotlib and links to Dublin Core: nothing a reader needs
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, count=1, flags=re.S)
    # width/height in pt would fix the size; the viewBox keeps the shape while CSS sets the width
    svg = re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r"<svg\1", svg, count=1)
    svg = svg.replace("<svg", '<svg style="width:100%;height:auto;display:block"', 1)
    return (
        f'<figure class="hehu-chart" data-hehu="chart-{html_text(key)}" role="img" '
        f'aria-label="{html_text(label)}" style="margin:4px 0;max-width:720px;width:100%">'
        f"{svg}</figure>"
    )


def _empty(title: str, message: str, key: str) -> str:
    with matplotlib.rc_context(STYLE):
        fig = _figure(1.4)
        ax = fig.add_subplot()
        ax.set_title(title)
        ax.axis("off")
        ax.text(0.5, 0.4, message, ha="center", va="center", color="#666")
    return svg_html(fig, f"{title}: {message}", key)


def _number(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def bar_chart(
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    key: str,
    xlabel: str = "",
    target: float | None = None,
    target_label: str = "",
    empty_text: str = "—",
) -> str:
    """Horizontal bars, one group per category (place names read well and fit a phone)."""
    if not categories:
        return _empty(title, empty_text, key)
    with matplotlib.rc_context(STYLE):
        rows = len(categories)
        # rows get thinner past 20 places, so a town's 60 villages stay a scrollable length
        per_row = (0.2 + 0.16 * len(series)) if rows <= 20 else (0.1 + 0.09 * len(series))
        fig = _figure(0.9 + rows * per_row)
        ax = fig.add_subplot()
        band = 0.8 / len(series)
        top = 0.0
        for i, s in enumerate(series):
            colour = s.colour or SERIES_COLOURS[i % len(SERIES_COLOURS)]
            hidden = list(s.hidden or [False] * rows)
            values = [0.0 if v is None or math.isnan(float(v)) else float(v) for v in s.values]
            drawn = _drawn(values, hidden, s.texts)
            top = max(top, *drawn)
            ys = [r + (i - (len(series) - 1) / 2) * band for r in range(rows)]
            bars = ax.barh(ys, drawn, height=band * 0.9, color=colour, label=s.name)
            for bar, is_hidden in zip(bars, hidden, strict=True):
                if is_hidden:
                    bar.set_facecolor("white")
                    bar.set_edgecolor(HIDDEN_COLOUR)
                    bar.set_hatch("///")
            texts = s.texts or [_number(v) for v in s.values]
            for y, width, text in zip(ys, drawn, texts, strict=True):
                ax.text(width, y, f" {text}", va="center", fontsize=9, color="#333")
        if target is not None:
            ax.axvline(target, color=TARGET_COLOUR, linestyle="--", linewidth=1.2)
            top = max(top, target)
            ax.text(
                target,
                -0.7,
                f" {target_label}",
                color=TARGET_COLOUR,
                fontsize=9,
                va="bottom",
            )
        ax.set_yticks(range(rows), list(categories))
        ax.invert_yaxis()
        ax.set_xlim(0, (top or 1) * 1.18)  # room for the value texts
        ax.set_title(title)
        if xlabel:
            ax.set_xlabel(xlabel)
        handles = ax.get_legend_handles_labels()[0]
        if any(any(s.hidden or []) for s in series):
            handles.append(
                Patch(
                    facecolor="white",
                    edgecolor=HIDDEN_COLOUR,
                    hatch="///",
                    label=" / ".join(MARKERS),
                )
            )
        if len(series) > 1 or len(handles) > len(series):
            # below the bars, so a legend never covers one
            ax.legend(
                handles=handles,
                loc="upper center",
                bbox_to_anchor=(0.5, _below_axes(fig, ax, 0.55 if xlabel else 0.3)),
                ncol=min(len(handles), 3),
                fontsize=9,
                frameon=False,
            )
        ax.grid(axis="x", color="#e5e5e5")
        ax.set_axisbelow(True)
    return svg_html(fig, title, key)


def _tick_every(n: int, most: int = 12) -> int:
    return max(1, math.ceil(n / most))


def column_chart(
    x: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    key: str,
    ylabel: str = "",
    empty_text: str = "—",
) -> str:
    """Vertical bars over time (months), series side by side."""
    if not x:
        return _empty(title, empty_text, key)
    with matplotlib.rc_context(STYLE):
        fig = _figure(3.0)
        ax = fig.add_subplot()
        band = 0.8 / len(series)
        for i, s in enumerate(series):
            colour = s.colour or SERIES_COLOURS[i % len(SERIES_COLOURS)]
            xs = [j + (i - (len(series) - 1) / 2) * band for j in range(len(x))]
            values = [0.0 if v is None or math.isnan(float(v)) else float(v) for v in s.values]
            hidden = list(s.hidden or [False] * len(x))
            drawn = _drawn(values, hidden, s.texts)
            bars = ax.bar(xs, drawn, width=band * 0.9, color=colour, label=s.name)
            for bar, is_hidden, text in zip(bars, hidden, s.texts or [""] * len(x), strict=True):
                if is_hidden:
                    bar.set_facecolor("white")
                    bar.set_edgecolor(HIDDEN_COLOUR)
                    bar.set_hatch("///")
                    ax.text(bar.get_x() + bar.get_width() / 2, bar.get_height(), text,
                            ha="center", va="bottom", fontsize=8, color="#333")  # fmt: skip
        every = _tick_every(len(x))
        ax.set_xticks(range(0, len(x), every), [x[j] for j in range(0, len(x), every)])
        ax.tick_params(axis="x", labelrotation=45, labelsize=9)
        ax.set_title(title)
        if ylabel:
            ax.set_ylabel(ylabel)
        if len(series) > 1:
            ax.legend(fontsize=9, frameon=False)
        ax.grid(axis="y", color="#e5e5e5")
        ax.set_axisbelow(True)
    return svg_html(fig, title, key)


def line_chart(
    x: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    key: str,
    ylabel: str = "",
    target: float | None = None,
    target_label: str = "",
    empty_text: str = "—",
) -> str:
    """Lines over time (months), with an optional target drawn as a dashed line."""
    if not x:
        return _empty(title, empty_text, key)
    with matplotlib.rc_context(STYLE):
        fig = _figure(3.0)
        ax = fig.add_subplot()
        for i, s in enumerate(series):
            colour = s.colour or SERIES_COLOURS[i % len(SERIES_COLOURS)]
            hidden = list(s.hidden or [False] * len(x))
            # a hidden point is left out: the line breaks there rather than reveal it
            values = [math.nan if h else v for v, h in zip(s.values, hidden, strict=True)]
            ax.plot(range(len(x)), values, color=colour, marker="o", ms=3, label=s.name)
        if target is not None:
            ax.axhline(target, color=TARGET_COLOUR, linestyle="--", linewidth=1.2)
            # under the line at the left, where a running total is still low
            ax.text(0, target, target_label, color=TARGET_COLOUR, fontsize=9, ha="left", va="top")
        every = _tick_every(len(x))
        ax.set_xticks(range(0, len(x), every), [x[j] for j in range(0, len(x), every)])
        ax.tick_params(axis="x", labelrotation=45, labelsize=9)
        ax.set_ylim(bottom=0)
        ax.set_title(title)
        if ylabel:
            ax.set_ylabel(ylabel)
        ax.legend(fontsize=9, frameon=False, loc="upper left")
        ax.grid(axis="y", color="#e5e5e5")
    return svg_html(fig, title, key)


def heat_table(
    rows: Sequence[str],
    columns: Sequence[str],
    values: Sequence[Sequence[float]],
    *,
    title: str,
    key: str,
    zero_label: str = "0",
    empty_text: str = "—",
) -> str:
    """A grid of counts (places × campaigns), darker for more; zero cells outlined in red."""
    if not rows or not columns:
        return _empty(title, empty_text, key)
    with matplotlib.rc_context(STYLE):
        fig = _figure(1.0 + 0.34 * len(rows))
        ax = fig.add_subplot()
        peak = max([max(r) for r in values] + [1])
        cmap = matplotlib.colormaps["viridis_r"]
        for i, row in enumerate(values):
            for j, value in enumerate(row):
                if value == 0:
                    face, edge, colour, text = "#fff5f3", TARGET_COLOUR, TARGET_COLOUR, zero_label
                else:
                    shade = 0.15 + 0.75 * value / peak
                    face, edge = cmap(shade), "white"
                    colour = "white" if shade > 0.5 else "#1d1d1d"
                    text = _number(value)
                ax.add_patch(Rectangle((j, i), 1, 1, facecolor=face, edgecolor=edge, lw=1.2))
                ax.text(j + 0.5, i + 0.5, text, ha="center", va="center", color=colour, fontsize=9)
        ax.set_xlim(0, len(columns))
        ax.set_ylim(len(rows), 0)
        # "5·15 国际家庭日" over two lines, so neighbouring headings do not run together
        headings = [str(c).replace(" ", "\n", 1) for c in columns]
        ax.set_xticks([j + 0.5 for j in range(len(columns))], headings, fontsize=9)
        ax.xaxis.tick_top()
        ax.set_yticks([i + 0.5 for i in range(len(rows))], list(rows), fontsize=9)
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.set_title(title, pad=22)
    return svg_html(fig, title, key)
