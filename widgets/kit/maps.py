"""Map builders: they return a folium.Map; the caller decides where to show it."""

from __future__ import annotations

import math

import folium
import pandas as pd

from hehu import i18n
from hehu.disclosure import shown_number, shows_some
from hehu.figures.places import has_gap
from hehu.records import vocab
from hehu.records.outlines import (
    COUNTY_TOLERANCE_DEG,
    REGION_TOLERANCE_DEG,
    division_outline,
    outline_bounds,
)
from hehu.render.formatting import format_value
from hehu.serve.routes import light_url_from_page
from widgets.kit.common import html_text
from widgets.kit.offline_map import OfflineMap, tile_layer_for

# Viridis in five steps: ordered in lightness, so it reads in greyscale print and for the common
# kinds of colour blindness. Darker means more.
PALETTE = ["#fde725", "#5ec962", "#21918c", "#3b528b", "#440154"]
NO_DATA_COLOUR = "#bbbbbb"
GAP_COLOUR = "#d62728"
STATION_COLOUR = "#8c564b"
STATION_PANE = "hehu-stations"
OUTLINE_COLOUR = "#555555"
POPUP_METRICS = [
    "cases_received",
    "course_sessions",
    "course_attendance",
    "left_behind_children",
    "left_behind_children_paired",
    "households_must_visit",
    "must_visit_coverage",
    "pairings_lapsed",
]


def colour_classes(values: pd.Series) -> tuple[list[float], pd.Series]:
    """Five equal-count (quantile) class breaks over the positive values, and each value's colour."""
    positive = values[values.notna()]
    if positive.empty or positive.max() == positive.min():
        colours = values.map(lambda v: NO_DATA_COLOUR if pd.isna(v) else PALETTE[2])
        return ([float(positive.max())] if len(positive) else []), colours
    breaks = sorted(set(positive.quantile([0.2, 0.4, 0.6, 0.8, 1.0]).round(4)))

    def colour(v):
        if pd.isna(v):
            return NO_DATA_COLOUR
        for i, b in enumerate(breaks):
            if v <= b:
                return PALETTE[min(i * len(PALETTE) // len(breaks), len(PALETTE) - 1)]
        return PALETTE[-1]

    return breaks, values.map(colour)


def marker_radius(value, max_value, smallest: float, largest: float) -> float:
    """Circle radius in pixels, area proportional to the value."""
    if value is None or pd.isna(value) or not max_value:
        return smallest
    return smallest + (largest - smallest) * math.sqrt(max(float(value), 0) / float(max_value))


def _popup_html(row, figures, metric: str, lang: str, drill_down: bool = False) -> str:
    """A place's popup: its figures as disclosed (`figures` is its row of them)."""
    lines = [
        f'<div class="hehu-popup" style="font-size:13px;min-width:180px">'
        f"<b>{html_text(row['name'])}</b> <span style='color:#666'>{html_text(vocab.label(vocab.LEVELS, row['level'], lang))}</span><br>"
        f"<b>{html_text(i18n.metric_label(metric, lang))}{i18n.colon(lang)}{html_text(format_value(figures[metric], metric))}</b><br>"
    ]
    for m in POPUP_METRICS:
        if m != metric:
            lines.append(
                f"{html_text(i18n.metric_label(m, lang))}{i18n.colon(lang)}{html_text(format_value(figures[m], m))}<br>"
            )
    gap_lines = []
    if figures is not None and has_gap(figures, bool(row["key_village"])):
        if row["key_village"] and shown_number(figures["no_course"]):
            gap_lines.append(i18n.t("gap_no_course", lang))
        for column, key in (
            ("unpaired_left_behind", "gap_unpaired"),
            ("overdue_follow_ups", "gap_overdue"),
        ):
            value = figures[column]
            if shows_some(value):
                gap_lines.append(f"{i18n.t(key, lang)}（{format_value(value, column)}）")
    if gap_lines:
        lines.append(
            f"<span style='color:{GAP_COLOUR}'>⚠ "
            + "；".join(html_text(g) for g in gap_lines)
            + "</span><br>"
        )
    quality = row["coord_quality"]
    if quality in vocab.UNCERTAIN_COORDS:
        lines.append(
            f"<span style='color:#666'>{html_text(i18n.t('coord', lang))}{i18n.colon(lang)}{html_text(vocab.label(vocab.COORD_QUALITIES, quality, lang))}</span><br>"
        )
    lang_q = "&lang=en" if lang == "en" else ""
    if drill_down:
        lines.append(
            f'<a class="hehu-overview-link" target="_top" href="overview.ipynb?place={row["code"]}{lang_q}">{html_text(i18n.t("open_overview", lang))}</a><br>'
        )
    lines.append(
        f'<a class="hehu-briefing-link" target="_top" href="briefing.ipynb?place={row["code"]}{lang_q}">{html_text(i18n.t("open_briefing", lang))}</a><br>'
        # the same briefing as plain HTML, no kernel: quick on a phone with a weak signal
        f'<a class="hehu-light-link" target="_top" href="{light_url_from_page(row["code"], lang)}">{html_text(i18n.t("open_light_briefing", lang))}</a></div>'
    )
    return "".join(lines)


def _legend_html(
    metric: str, breaks: list[float], lang: str, stations: bool = True, outline: bool = False
) -> str:
    kind = vocab.METRICS[metric][2]
    fmt = (lambda v: f"{v:.0%}") if kind == "rate" else (lambda v: f"{v:,.0f}")
    swatches = []
    lower = None
    for i, b in enumerate(breaks):
        # one class only (every value equal): colour_classes draws it in the middle colour
        colour = (
            PALETTE[2]
            if len(breaks) == 1
            else PALETTE[min(i * len(PALETTE) // len(breaks), len(PALETTE) - 1)]
        )
        text = f"≤ {fmt(b)}" if lower is None else f"{fmt(lower)} – {fmt(b)}"
        swatches.append(
            f'<div><span style="display:inline-block;width:12px;height:12px;background:{colour};border:1px solid #333;margin-right:4px"></span>{html_text(text)}</div>'
        )
        lower = b
    swatches.append(
        f'<div><span style="display:inline-block;width:12px;height:12px;background:{NO_DATA_COLOUR};border:1px solid #333;margin-right:4px"></span>{html_text(i18n.t("no_value", lang))}</div>'
    )
    # Bottom right, above the attribution: bottom left is Leaflet's scale, which it used to cover.
    # On a phone the full legend hid half the county: there only its title shows, and a tap on
    # it (focus) opens it.
    return (
        "<style>.hehu-legend{position:absolute;bottom:24px;right:10px;z-index:1000;"
        "background:rgba(255,255,255,.93);padding:6px 8px;border:1px solid #999;border-radius:4px;"
        "font-size:12px;max-width:240px;line-height:1.35;outline:none}"
        "@media (max-width:500px){.hehu-legend{max-width:70%;font-size:11px}"
        ".hehu-legend:not(:focus-within) .hehu-legend-body{display:none}"
        ".hehu-legend:not(:focus-within) .hehu-legend-title::after{content:' ▸'}}</style>"
        '<div class="hehu-legend" tabindex="0">'
        f"<b class='hehu-legend-title'>{html_text(i18n.t('legend_title', lang))}{i18n.colon(lang)}{html_text(i18n.metric_label(metric, lang))}</b>"
        + '<div class="hehu-legend-body">'
        + "".join(swatches)
        + f"<div>◯ <i>{html_text(i18n.t('legend_uncertain', lang))}</i></div>"
        + f"<div>● {html_text(i18n.t('legend_surveyed', lang))}</div>"
        + f"<div style='color:{GAP_COLOUR}'>◎ {html_text(i18n.t('legend_gap', lang))}</div>"
        + (f"<div>■ {html_text(i18n.t('legend_station', lang))}</div>" if stations else "")
        + (
            f"<div style='color:#666;font-size:11px'>{html_text(i18n.t('outline_source', lang))}</div>"
            if outline
            else ""
        )
        + "</div></div>"
    )


def _gap_ring(row, radius: float, lang: str) -> folium.CircleMarker:
    """A red ring around a place's circle: there is a gap to ask about."""
    return folium.CircleMarker(
        location=[row["lat"], row["lon"]],
        radius=radius + 4,
        color=GAP_COLOUR,
        weight=2,
        fill=False,
        class_name="hehu-gap",
        tooltip=html_text(f"{row['name']}{i18n.colon(lang)}{i18n.t('gaps', lang)}"),
    )


def _name_label(row, offset_px: int) -> folium.Marker:
    """A place's short name beside its circle."""
    return folium.Marker(
        [row["lat"], row["lon"]],
        icon=folium.DivIcon(
            html=f'<div style="font-size:12px;font-weight:600;color:#222;white-space:nowrap;transform:translate({offset_px}px,-8px);text-shadow:0 0 3px #fff">{html_text(row["short_name"])}</div>',
            icon_size=(0, 0),
        ),
    )


def _outlines(codes, tolerance: float) -> list[dict]:
    """The boundaries of these places that have one (counties, cities, provinces)."""
    found = (division_outline(code, tolerance) for code in codes)
    return [geometry for geometry in found if geometry is not None]


def _framed_map(
    located: pd.DataFrame, zoom: int, tiles: str, tianditu_key, outlines: list[dict], lang: str
) -> folium.Map:
    """An offline map with the server's tiles and the outlines under everything, framed on both."""
    centre = (
        [float(located["lat"].mean()), float(located["lon"].mean())] if len(located) else [0, 0]
    )
    fmap = OfflineMap(location=centre, zoom_start=zoom, control_scale=True)
    for layer in tile_layer_for(tiles, tianditu_key):
        folium.TileLayer(**layer).add_to(fmap)
    corners = [[lat, lon] for lat, lon in zip(located["lat"], located["lon"], strict=True)]
    if outlines:
        # Added before every marker, so drawn under them; not interactive, so a tap on the
        # county goes to the marker beneath the finger, never to the outline.
        layer = folium.FeatureGroup(name=i18n.t("layer_outline", lang), show=True)
        for geometry in outlines:
            folium.GeoJson(
                geometry,
                interactive=False,
                style_function=lambda _feature: {
                    "color": OUTLINE_COLOUR,
                    "weight": 2,
                    "fill": True,
                    "fillColor": "#ffffff",
                    "fillOpacity": 0.35,
                    "className": "hehu-outline",
                },
            ).add_to(layer)
            south, west, north, east = outline_bounds(geometry)
            corners += [[south, west], [north, east]]
        layer.add_to(fmap)
    if len(corners) > 1:  # one place: the zoom above, not a frame of zero size
        lats, lons = [c[0] for c in corners], [c[1] for c in corners]
        fmap.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]])
    return fmap


def shown_values(figures: pd.DataFrame, metric: str) -> pd.Series:
    """A metric's shown values as numbers; NaN where hidden (drawn as "no data": neither a
    circle's size nor its colour may tell a hidden count)."""
    return figures[metric].map(shown_number).astype("float64")


def build_overview_map(
    places: pd.DataFrame,
    figures: pd.DataFrame,
    stations: pd.DataFrame,
    metric: str,
    *,
    lang: str = "zh",
    tiles: str = "none",
    tianditu_key: str | None = None,
    outlined: tuple[str, ...] = (),
) -> folium.Map:
    """The county map: townships and key villages sized and coloured by a metric, gaps, stations.

    `figures` are every place's figures as the role may see them (disclosed_place_figures);
    `outlined` the codes whose boundary is drawn under the markers (the county's).
    """
    located = places[places["lat"].notna() & places["lon"].notna()]
    townships = located[located["level"].isin(vocab.TOWNSHIP_LEVELS)]
    keys = located[located["key_village"].astype(bool)]
    outlines = _outlines(outlined, COUNTY_TOLERANCE_DEG)
    fmap = _framed_map(located, 10, tiles, tianditu_key, outlines, lang)

    values = shown_values(figures, metric)
    shown = pd.concat([townships["code"], keys["code"]])
    breaks, colours = colour_classes(values.reindex(shown).astype(float))
    layer_town = folium.FeatureGroup(name=i18n.t("layer_townships", lang), show=True)
    layer_key = folium.FeatureGroup(name=i18n.t("layer_key_villages", lang), show=True)
    layer_gap = folium.FeatureGroup(name=i18n.t("layer_gaps", lang), show=True)
    layer_station = folium.FeatureGroup(name=i18n.t("layer_stations", lang), show=True)

    def add_place(row, layer, smallest, largest, max_value):
        code = row["code"]
        value = values.get(code)
        uncertain = row["coord_quality"] in vocab.UNCERTAIN_COORDS
        colour = colours.get(code, NO_DATA_COLOUR)
        place = figures.loc[code]
        popup = folium.Popup(_popup_html(row, place, metric, lang), max_width=300)
        folium.CircleMarker(
            location=[row["lat"], row["lon"]],
            radius=marker_radius(value, max_value, smallest, largest),
            color="#333333" if not uncertain else colour if colour != PALETTE[0] else "#8a7a00",
            weight=2 if uncertain else 1,
            dash_array="4 3" if uncertain else None,
            fill=True,
            fill_color=colour,
            fill_opacity=0.35 if uncertain else 0.85,
            tooltip=html_text(
                f"{row['name']}{i18n.colon(lang)}{format_value(place[metric], metric)}"
            ),
            popup=popup,
            class_name=f"hehu-marker hehu-{row['level']}"
            + (" hehu-uncertain" if uncertain else ""),
        ).add_to(layer)
        if row["level"] in vocab.VILLAGE_LEVELS and has_gap(place, bool(row["key_village"])):
            _gap_ring(row, marker_radius(value, max_value, smallest, largest), lang).add_to(
                layer_gap
            )

    town_max = values.reindex(townships["code"]).max()
    for row in townships.to_dict("records"):
        add_place(row, layer_town, 7, 22, town_max)
        _name_label(row, 10).add_to(layer_town)
    key_max = values.reindex(keys["code"]).max()
    for row in keys.to_dict("records"):
        add_place(row, layer_key, 4, 11, key_max)

    by_code = located.set_index("code")
    # Stations sit in a pane below the circles: they never hide a town or village marker or take
    # its click, and stay clickable beside it.
    folium.map.CustomPane(STATION_PANE, z_index=390).add_to(fmap)
    per_place: dict[str, int] = {}
    for org in stations.to_dict("records"):
        if org["place_code"] not in by_code.index:
            continue
        where = by_code.loc[org["place_code"]]
        nth = per_place[org["place_code"]] = per_place.get(org["place_code"], -1) + 1
        # several stations at one place (the county studios): a short row under the point
        folium.Marker(
            [where["lat"] - 0.008, where["lon"] + 0.006 * (nth - 2)],
            icon=folium.DivIcon(
                html=f'<div class="hehu-station" style="width:10px;height:10px;background:{STATION_COLOUR};border:1px solid #fff"></div>',
                icon_size=(10, 10),
            ),
            tooltip=html_text(org["name"]),
            popup=folium.Popup(
                f"<b>{html_text(org['name'])}</b><br>{html_text(vocab.label(vocab.ORG_KINDS, org['kind'], lang))}",
                max_width=240,
            ),
            pane=STATION_PANE,
        ).add_to(layer_station)

    for layer in (layer_town, layer_key, layer_gap, layer_station):
        layer.add_to(fmap)
    folium.LayerControl(collapsed=True).add_to(fmap)
    fmap.get_root().html.add_child(
        folium.Element(_legend_html(metric, breaks, lang, outline=bool(outlines)))
    )
    return fmap


def build_region_map(
    regions: pd.DataFrame,
    figures: pd.DataFrame,
    metric: str,
    *,
    lang: str = "zh",
    tiles: str = "none",
    tianditu_key: str | None = None,
) -> folium.Map:
    """A province's or city's map: one marker per place below it, with everything under it added.

    Each popup opens that place's own overview (and its briefing), so a province of a hundred
    counties is a hundred markers, not every village.
    """
    located = regions[regions["lat"].notna() & regions["lon"].notna()]
    outlines = _outlines(regions["code"], REGION_TOLERANCE_DEG)
    fmap = _framed_map(located, 7, tiles, tianditu_key, outlines, lang)
    values = shown_values(figures, metric)
    breaks, colours = colour_classes(values.reindex(located["code"]).astype(float))
    largest = values.reindex(located["code"]).max()
    layer = folium.FeatureGroup(name=i18n.t("layer_regions", lang), show=True)
    layer_gap = folium.FeatureGroup(name=i18n.t("layer_gaps", lang), show=True)
    for row in located.to_dict("records"):
        code = row["code"]
        value = values.get(code)
        uncertain = row["coord_quality"] in vocab.UNCERTAIN_COORDS
        colour = colours.get(code, NO_DATA_COLOUR)
        place = figures.loc[code]
        radius = marker_radius(value, largest, 8, 26)
        folium.CircleMarker(
            location=[row["lat"], row["lon"]],
            radius=radius,
            color="#333333",
            weight=2 if uncertain else 1,
            dash_array="4 3" if uncertain else None,
            fill=True,
            fill_color=colour,
            fill_opacity=0.8,
            tooltip=html_text(
                f"{row['name']}{i18n.colon(lang)}{format_value(place[metric], metric)}"
            ),
            popup=folium.Popup(
                _popup_html(row, place, metric, lang, drill_down=True), max_width=300
            ),
            class_name=f"hehu-marker hehu-{row['level']}"
            + (" hehu-uncertain" if uncertain else ""),
        ).add_to(layer)
        _name_label(row, 12).add_to(layer)
        if has_gap(place, bool(row["key_village"])):
            _gap_ring(row, radius, lang).add_to(layer_gap)
    layer.add_to(fmap)
    layer_gap.add_to(fmap)
    folium.LayerControl(collapsed=True).add_to(fmap)
    fmap.get_root().html.add_child(
        folium.Element(_legend_html(metric, breaks, lang, stations=False, outline=bool(outlines)))
    )
    return fmap


def map_html(fmap: folium.Map, height: str = "560px") -> str:
    """The map as an iframe for an ipywidgets HTML widget (Voila shows it with no server calls)."""
    html = fmap.get_root().render()
    srcdoc = html.replace("&", "&amp;").replace('"', "&quot;")
    return (
        f'<iframe class="hehu-map" srcdoc="{srcdoc}" style="width:100%;height:{height};border:1px solid #ccc;'
        'border-radius:4px" title="map"></iframe>'
    )
