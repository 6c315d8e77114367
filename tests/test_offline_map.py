"""The offline folium map: no network URLs in its page, and it really draws in Chromium."""

import re

import folium
import pytest

from widgets.kit.offline_map import OfflineMap, tile_layer_for

# Any <script src=...> or <link href=...> that points at the network.
NETWORK_TAG = re.compile(r"<(?:script|link)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//", re.I)

SQUARE = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"name": "涟城镇"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [
                        [119.35, 33.85],
                        [119.5, 33.85],
                        [119.5, 33.95],
                        [119.35, 33.95],
                        [119.35, 33.85],
                    ]
                ],
            },
        }
    ],
}


def make_map(**kwargs):
    """Build the map the pages use: a circle marker with a popup and a GeoJSON layer."""
    m = OfflineMap(location=[33.77, 119.26], zoom_start=9, **kwargs)
    folium.GeoJson(SQUARE, name="乡镇", tooltip=folium.GeoJsonTooltip(fields=["name"])).add_to(m)
    folium.CircleMarker(
        [33.77, 119.26],
        radius=8,
        fill=True,  # without fill only the ring is clickable
        popup=folium.Popup("<b>涟水县</b> 3 件"),
        tooltip="涟水县",
        class_name="test-circle",
    ).add_to(m)
    return m


def test_rendered_page_has_no_network_script_or_stylesheet():
    html = make_map().get_root().render()
    assert not NETWORK_TAG.search(html), NETWORK_TAG.search(html).group(0)
    assert "L.map(" in html
    assert '<script src="data:text/javascript;base64,' in html
    assert '<link rel="stylesheet" href="data:text/css;base64,' in html
    # Nothing Bootstrap/Font Awesome-ish sneaks back in, and no tiles by default.
    for absent in ("bootstrap", "fontawesome", "awesome-markers", "L.tileLayer("):
        assert absent not in html


def test_the_pattern_catches_stock_folium():
    # Guards the guard: an ordinary folium.Map must trip the network-tag check.
    assert NETWORK_TAG.search(folium.Map().get_root().render())


def test_osm_setting_adds_its_tile_url():
    m = make_map()
    for kwargs in tile_layer_for("osm"):
        folium.TileLayer(**kwargs).add_to(m)
    html = m.get_root().render()
    assert "https://tile.openstreetmap.org/{z}/{x}/{y}.png" in html
    assert "L.tileLayer(" in html


def test_tile_settings():
    assert tile_layer_for() == [] == tile_layer_for("none")
    vec, cva = tile_layer_for("tianditu", tianditu_key="abc123")
    assert "vec_w" in vec["tiles"] and "tk=abc123" in vec["tiles"]
    assert "cva_w" in cva["tiles"] and cva["overlay"] is True
    for layer in (vec, cva):
        folium.TileLayer(**layer)  # the kwargs are accepted by folium as-is
    with pytest.raises(ValueError, match="天地图"):
        tile_layer_for("tianditu")
    with pytest.raises(ValueError, match="天地图"):
        tile_layer_for("tianditu", tianditu_key="  ")
    with pytest.raises(ValueError, match="底图"):
        tile_layer_for("google")


def test_maps_do_not_share_link_lists():
    a, b = OfflineMap(), OfflineMap()
    a.add_js_link("extra", "data:text/javascript;base64,")
    assert all(name != "extra" for name, _ in b.default_js)


@pytest.mark.browser
def test_map_draws_in_chromium_with_network_blocked(page, tmp_path):
    path = tmp_path / "map.html"
    make_map().save(str(path))

    blocked, errors = [], []

    def only_local(route):
        # file: and data: are the page itself; anything else would be a network fetch.
        if route.request.url.startswith(("file:", "data:")):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(path.as_uri())

    paths = page.locator("path.leaflet-interactive")
    paths.first.wait_for(timeout=10_000)
    assert paths.count() == 2  # the circle marker and the GeoJSON square
    background = page.eval_on_selector(
        ".leaflet-container", "el => getComputedStyle(el).backgroundColor"
    )
    assert background == "rgb(244, 241, 234)"

    # The popup needs jQuery: clicking the circle must open it.
    page.locator("path.test-circle").click(timeout=5_000)
    page.locator(".leaflet-popup-content", has_text="涟水县").wait_for(timeout=5_000)

    assert errors == []
    assert blocked == []


@pytest.mark.browser
def test_a_wheel_over_the_map_scrolls_the_page_not_the_map(page, tmp_path):
    """On the forum the map fills the screen: one turn of the wheel zoomed it out to a blob of
    the county and the page stayed put (a review, 2026-12-04). The buttons still zoom."""
    path = tmp_path / "map.html"
    make_map().save(str(path))
    page.set_viewport_size({"width": 800, "height": 600})
    page.goto(path.as_uri())
    page.locator("path.leaflet-interactive").first.wait_for(timeout=10_000)
    zoom = "() => Object.values(window).find(v => v instanceof L.Map).getZoom()"
    before = page.evaluate(zoom)
    page.mouse.move(400, 300)
    page.mouse.wheel(0, 600)
    page.wait_for_timeout(500)  # Leaflet zooms after a short debounce
    assert page.evaluate(zoom) == before
    page.locator(".leaflet-control-zoom-out").click()
    page.wait_for_function(f"({zoom})() === {before - 1}", timeout=5_000)
