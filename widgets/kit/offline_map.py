"""A folium map that renders with no network access.

Stock folium pages load Leaflet, jQuery, Bootstrap and Font Awesome from CDNs; with no
internet the whole map is blank (``L is not defined``), not just the tiles. The offices
this runs in are often offline, so the map inlines Leaflet and jQuery from the PyPI
packages XStatic-Leaflet and XStatic-jQuery as ``data:`` URLs and needs no JavaScript
committed to this repository.
"""

from __future__ import annotations

import base64
import functools
import re
from pathlib import Path
from urllib.parse import quote

import folium
import xstatic.pkg.jquery
import xstatic.pkg.leaflet
from branca.element import MacroElement
from jinja2 import Template

__all__ = ["TILE_SETTINGS", "OfflineMap", "tile_layer_for"]

_LEAFLET_DIR = Path(xstatic.pkg.leaflet.BASE_DIR)
_JQUERY_DIR = Path(xstatic.pkg.jquery.BASE_DIR)

# With tiles=None Leaflet shows a flat grey (#ddd) that looks broken; a paper-like tone
# makes a blank base look intentional. !important so notebook/Voila CSS cannot undo it.
_BASE_CSS = ".leaflet-container { background: #f4f1ea !important; }\n"

TILE_SETTINGS = ("none", "osm", "tianditu")


def _tianditu_url(layer: str, key: str) -> str:
    """Return the Leaflet URL template of one Tianditu Web Mercator WMTS layer."""
    # {s},{z},{x},{y} stay as Leaflet placeholders; the key is quoted as users paste it.
    return (
        f"https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
        f"&VERSION=1.0.0&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
        f"&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={quote(key, safe='')}"
    )


def _data_url(mime: str, payload: bytes) -> str:
    """Return ``payload`` as a base64 ``data:`` URL."""
    return f"data:{mime};base64,{base64.b64encode(payload).decode('ascii')}"


def _strip_source_map(js: bytes) -> bytes:
    """Remove the ``sourceMappingURL`` comment so DevTools does not try to fetch the map."""
    return re.sub(rb"\n//# sourceMappingURL=\S+\s*$", b"\n", js)


def _png(name: str) -> str:
    """Return one of Leaflet's bundled images as a ``data:`` URL."""
    return _data_url("image/png", (_LEAFLET_DIR / "images" / name).read_bytes())


@functools.lru_cache(maxsize=1)
def leaflet_js_url() -> str:
    """Return Leaflet's minified JavaScript as a ``data:`` URL (cached, ~190 KB)."""
    js = _strip_source_map((_LEAFLET_DIR / "leaflet.js").read_bytes())
    return _data_url("text/javascript", js)


@functools.lru_cache(maxsize=1)
def jquery_js_url() -> str:
    """Return jQuery's minified JavaScript as a ``data:`` URL (cached, ~115 KB)."""
    js = _strip_source_map((_JQUERY_DIR / "jquery.min.js").read_bytes())
    return _data_url("text/javascript", js)


@functools.lru_cache(maxsize=1)
def leaflet_icons_js_url() -> str:
    """Return a script pointing Leaflet's default marker icon at inlined images."""
    # Leaflet guesses the icon folder from leaflet.css and appends "marker-icon.png",
    # which cannot work for a data: stylesheet; give it complete URLs instead so a plain
    # folium.Marker still shows its pin offline.
    js = (
        'L.Icon.Default.imagePath = "";\n'
        "L.Icon.Default.mergeOptions({"
        f'iconUrl: "{_png("marker-icon.png")}", '
        f'iconRetinaUrl: "{_png("marker-icon-2x.png")}", '
        f'shadowUrl: "{_png("marker-shadow.png")}"'
        "});\n"
    )
    return _data_url("text/javascript", js.encode("ascii"))


@functools.lru_cache(maxsize=1)
def leaflet_css_url() -> str:
    """Return Leaflet's stylesheet, its images inlined, plus the base colour as a ``data:`` URL."""
    css = (_LEAFLET_DIR / "leaflet.css").read_text(encoding="utf-8")
    # Relative url(images/...) cannot resolve against a data: URL, so inline them too
    # (layer-control icon and the default marker).
    css = re.sub(r"url\(images/([\w.-]+\.png)\)", lambda m: f"url({_png(m.group(1))})", css)
    return _data_url("text/css", (css + _BASE_CSS).encode("utf-8"))


# The two uses folium makes of jQuery in the maps Hehu draws: `$(\`<div…>\`)[0]` to build a popup's
# element and `$(document).ready(fn)`. Answering those in a few lines instead of shipping jQuery
# (~115 KB again in every map, re-sent on every redraw) keeps a county map under 500 KB.
# GeoJson(embed=False) needs $.ajax: pass full_jquery=True for such a map.
_JQUERY_SHIM = """
window.$ = window.jQuery = function (arg) {
  if (typeof arg === "string") {
    var t = document.createElement("template");
    t.innerHTML = arg.trim();
    return Array.prototype.slice.call(t.content.childNodes);
  }
  return { ready: function (fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  } };
};
"""


@functools.lru_cache(maxsize=1)
def jquery_shim_url() -> str:
    """Return the few lines of jQuery folium's popups need, as a ``data:`` URL."""
    return _data_url("text/javascript", _JQUERY_SHIM.encode("ascii"))


class OfflineMap(folium.Map):
    """A ``folium.Map`` whose page loads nothing from the network (blank base by default)."""

    def __init__(self, *args, tiles=None, full_jquery: bool = False, **kwargs):
        """Create the map like ``folium.Map`` but with ``tiles=None`` and no zooming by the
        mouse wheel by default: a wheel turned over a map the width of a page scrolled the
        map out to a blob of the county instead of scrolling the page (the buttons and a
        pinch still zoom)."""
        kwargs.setdefault("scroll_wheel_zoom", False)
        super().__init__(*args, tiles=tiles, **kwargs)
        # Per-instance lists: folium's add_js_link/add_css_link mutate these in place,
        # and a class-level list would leak one map's additions into every other map.
        # Bootstrap, Font Awesome and awesome-markers are dropped: they exist only for
        # folium.Icon; use CircleMarker or DivIcon (a plain Marker works too, see below).
        self.default_js = [
            ("leaflet", leaflet_js_url()),
            ("jquery", jquery_js_url() if full_jquery else jquery_shim_url()),  # popups call $
            ("leaflet_offline_icons", leaflet_icons_js_url()),
        ]
        self.default_css = [("leaflet_css", leaflet_css_url())]
        # Leaflet 1.9 prefixes its attribution with a national flag: a county's map credits
        # the software by name only.
        _PlainAttribution().add_to(self)


class _PlainAttribution(MacroElement):
    """Sets the map's attribution prefix to the word "Leaflet"."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.attributionControl.setPrefix("Leaflet");
        {% endmacro %}
        """
    )


def tile_layer_for(setting: str = "none", tianditu_key: str | None = None) -> list[dict]:
    """Return ``folium.TileLayer`` kwargs (one dict per layer) for a base-map setting."""
    setting = (setting or "none").strip().lower()
    if setting == "none":
        return []
    if setting == "osm":
        return [
            {
                "tiles": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                "attr": '&copy; <a href="https://www.openstreetmap.org/copyright">'
                "OpenStreetMap</a> contributors",
                "name": "OpenStreetMap",
                "max_zoom": 19,
            }
        ]
    if setting == "tianditu":
        key = (tianditu_key or "").strip()
        if not key:
            raise ValueError("使用天地图底图需要天地图密钥（tk），请先在设置中填写密钥。")
        # Tianditu serves the road map (vec) and its Chinese labels (cva) as two layers;
        # the labels go on top as an overlay. "_w" is Web Mercator, which Leaflet uses.
        attr = '&copy; <a href="https://www.tianditu.gov.cn/">天地图</a>'
        common = {"attr": attr, "subdomains": "01234567", "max_zoom": 18}
        return [
            {
                **common,
                "tiles": _tianditu_url("vec", key),
                "name": "天地图",
            },
            {
                **common,
                "tiles": _tianditu_url("cva", key),
                "name": "天地图注记",
                "overlay": True,
                "control": False,
            },
        ]
    raise ValueError(f"未知的底图设置：{setting!r}，可选：{'、'.join(TILE_SETTINGS)}")
