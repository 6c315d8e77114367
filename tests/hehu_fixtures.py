"""Fixtures over the domain: stores with the gazetteer, the demo database, a small hand-made county.

The shared databases (`demo_url`, `demo_db_copy`, `demo_records`, `small_store`) are SQLite files
by default; `--hehu-db=postgresql` (or HEHU_TEST_DB=postgresql) puts them on the test PostgreSQL
server instead, so the whole suite runs against both. `demo_db_file` is always a SQLite file.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import re
import sqlite3
import uuid
from pathlib import Path

import pytest

from hehu.figures.metrics import load_records
from hehu.records.demo import load_demo
from hehu.records.gazetteer import load_gazetteer
from hehu.records.store import open_store

D = dt.date
BACKENDS = ("sqlite", "postgresql")
GENERATE = Path(__file__).resolve().parents[1] / "bench" / "generate.py"


def bench_generator():
    """bench/generate.py, which builds a province of any number of counties, as a module
    (bench/ is not a package)."""
    spec = importlib.util.spec_from_file_location("hehu_bench_generate", GENERATE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite file that other processes may be writing (every page
    keeps its figure cache in the shared demo): SQLite's backup, since a copy of the file can
    catch a checkpoint half written, and misses what is still in its -wal file. The copy is
    owner-only, as the store makes its files."""
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    source_db, target_db = sqlite3.connect(source), sqlite3.connect(target)
    try:
        source_db.backup(target_db)
    finally:
        target_db.close()
        source_db.close()


@pytest.fixture(scope="session")
def province3_url(tmp_path_factory) -> str:
    """A generated province of three counties (seed 5) on SQLite, the one test_disclosure_scale
    records."""
    generate = bench_generator()
    url = f"sqlite:///{tmp_path_factory.mktemp('province3') / 'province3.sqlite'}"
    generate.write_store(generate.build_province(3, seed=5), url, counties=3, seed=5)
    return url


def pytest_addoption(parser):
    parser.addoption(
        "--hehu-db",
        choices=BACKENDS,
        default=None,
        help="database of the shared fixtures (demo_url, demo_db_copy, small_store): "
        "sqlite (default) or postgresql; also $HEHU_TEST_DB",
    )


def _backend(config) -> str:
    backend = config.getoption("--hehu-db") or os.environ.get("HEHU_TEST_DB") or "sqlite"
    if backend not in BACKENDS:
        raise pytest.UsageError(f"HEHU_TEST_DB must be one of {BACKENDS}, not {backend!r}")
    return backend


@pytest.fixture(scope="session")
def hehu_db(request) -> str:
    """The backend of the shared fixtures: 'sqlite' or 'postgresql'."""
    return _backend(request.config)


def pytest_collection_modifyitems(config, items):
    """On PostgreSQL, only the tests that use the shared fixtures' backend (`hehu_db`, of
    which `demo_url`, `small_store` and the rest are made): any other test runs the same on
    either backend, and has run on SQLite (CI's first step), as has a test that asks for a
    PostgreSQL server itself (`pg_url`)."""
    if _backend(config) != "postgresql":
        return
    keep, drop = [], []
    for item in items:
        (keep if "hehu_db" in getattr(item, "fixturenames", ()) else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def _pg_admin(server_url: str, sql: str) -> None:
    """Run one statement on the test server's `postgres` database, outside a transaction."""
    import psycopg
    from sqlalchemy.engine import make_url

    server = make_url(server_url)
    with psycopg.connect(
        host=server.host, port=server.port, user=server.username, dbname="postgres",
        autocommit=True,
    ) as conn:  # fmt: skip
        conn.execute(sql)


def _pg_name(prefix: str, request) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", request.node.name.lower())[:30].strip("_")
    return f"{prefix}_{slug}_{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def pg_demo_template(hehu_db, request) -> str:
    """With --hehu-db=postgresql: the name of a database holding the gazetteer and the demo.

    Nothing connects to it after it is made, so `CREATE DATABASE … TEMPLATE` can copy it.
    """
    server = request.getfixturevalue("pg_server")
    name = "hehu_demo_template"
    _pg_admin(server, f'CREATE DATABASE "{name}"')
    store = open_store(f"{server}/{name}")
    load_gazetteer(store)
    load_demo(store)
    store.engine.dispose()
    yield name
    _pg_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _pg_demo_copy(server: str, template: str, name: str) -> str:
    _pg_admin(server, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return f"{server}/{name}"


@pytest.fixture(scope="session")
def demo_db_file(tmp_path_factory) -> Path:
    """A SQLite file with the gazetteer and the demo, made once per test session."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    store = open_store(f"sqlite:///{path}")
    load_gazetteer(store)
    load_demo(store)
    store.engine.dispose()
    return path


@pytest.fixture
def demo_db_copy(hehu_db, tmp_path, request) -> str:
    """A private copy of the demo database a test may change; its SQLAlchemy URL."""
    if hehu_db == "postgresql":
        server = request.getfixturevalue("pg_server")
        template = request.getfixturevalue("pg_demo_template")
        name = _pg_name("c", request)
        yield _pg_demo_copy(server, template, name)
        _pg_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return
    path = tmp_path / "demo.sqlite"
    copy_sqlite(request.getfixturevalue("demo_db_file"), path)
    yield f"sqlite:///{path}"


@pytest.fixture(scope="session")
def demo_url(hehu_db, request) -> str:
    """The shared demo database's URL (read-only by convention)."""
    if hehu_db == "postgresql":
        server = request.getfixturevalue("pg_server")
        template = request.getfixturevalue("pg_demo_template")
        return _pg_demo_copy(server, template, "hehu_demo_shared")
    return f"sqlite:///{request.getfixturevalue('demo_db_file')}"


@pytest.fixture(scope="session")
def demo_records(demo_url):
    """The demo records as frames."""
    return load_records(open_store(demo_url, create=False))


# A county small enough to count by hand:
#   C (county) ── T (town) ── V1 (village, key), V2 (village, key), V3 (village)
#              └─ S (subdistrict) ── K (community)
C, T, S, V1, V2, V3, K = (
    "900000000000",
    "900000101000",
    "900000001000",
    "900000101001",
    "900000101002",
    "900000101003",
    "900000001001",
)

SMALL_PLACES = [
    {
        "code": C,
        "name": "示例县",
        "short_name": "示例",
        "level": "county",
        "parent_code": None,
        "lat": 33.0,
        "lon": 119.0,
        "coord_quality": "sourced",
    },
    {
        "code": T,
        "name": "甲镇",
        "short_name": "甲",
        "level": "town",
        "parent_code": C,
        "lat": 33.1,
        "lon": 119.1,
        "coord_quality": "schematic",
    },
    {
        "code": S,
        "name": "乙街道",
        "short_name": "乙",
        "level": "subdistrict",
        "parent_code": C,
        "lat": 33.0,
        "lon": 119.2,
        "coord_quality": "surveyed",
    },
    {
        "code": V1,
        "name": "一村",
        "short_name": "一村",
        "level": "village",
        "parent_code": T,
        "key_village": True,
        "lat": 33.11,
        "lon": 119.11,
        "coord_quality": "approximate",
        "children": 100,
        "left_behind_children": 20,
    },
    {
        "code": V2,
        "name": "二村",
        "short_name": "二村",
        "level": "village",
        "parent_code": T,
        "key_village": True,
        "lat": 33.12,
        "lon": 119.12,
        "coord_quality": "approximate",
        "children": 0,
    },
    {
        "code": V3,
        "name": "三村",
        "short_name": "三村",
        "level": "village",
        "parent_code": T,
        "lat": 33.13,
        "lon": 119.13,
        "coord_quality": "approximate",
    },
    {
        "code": K,
        "name": "丙社区",
        "short_name": "丙社区",
        "level": "community",
        "parent_code": S,
        "lat": 33.01,
        "lon": 119.21,
        "coord_quality": "surveyed",
    },
]


def small_records() -> dict[str, list[dict]]:
    """Every record of the hand-made county; expected figures are worked out in test_metrics.py."""
    return {
        "place": SMALL_PLACES,
        "org": [
            {
                "org_id": "fed",
                "name": "县妇联",
                "kind": "federation",
                "level": "county",
                "place_code": C,
            },
            {
                "org_id": "st_t",
                "name": "甲镇维权站",
                "kind": "station",
                "level": "town",
                "place_code": T,
            },
            {
                "org_id": "studio",
                "name": "调解室",
                "kind": "studio",
                "level": "county",
                "place_code": S,
            },
            {
                "org_id": "assoc",
                "name": "协会",
                "kind": "association",
                "level": "county",
                "place_code": C,
            },
        ],
        "household": [
            {"household_id": "h1", "place_code": V1, "categories": "left_behind_child"},
            {"household_id": "h2", "place_code": V1, "categories": "dv_risk;single_parent"},
            {"household_id": "h3", "place_code": V2, "categories": ""},
            {"household_id": "h4", "place_code": K, "categories": "grievance"},
            {"household_id": "h5", "place_code": V3, "categories": "empty_nest_elder"},
        ],
        "person": [
            {
                "person_id": "p1",
                "household_id": "h1",
                "place_code": V1,
                "sex": "F",
                "birth_year": 2012,
                "categories": "left_behind_child",
            },
            {
                "person_id": "p2",
                "household_id": "h1",
                "place_code": V1,
                "sex": "M",
                "birth_year": 2014,
                "categories": "left_behind_child",
            },
            {
                "person_id": "p3",
                "household_id": "h4",
                "place_code": K,
                "sex": "F",
                "birth_year": 2013,
                "categories": "left_behind_child",
            },
            {
                "person_id": "p4",
                "household_id": "h2",
                "place_code": V1,
                "sex": "F",
                "birth_year": 2011,
                "categories": "child_in_difficulty",
            },
        ],
        "pairing": [
            # p1: running all year, contacted recently -> active, not lapsed
            {
                "pairing_id": "r1",
                "org_id": "assoc",
                "person_id": "p1",
                "support_type": "companionship",
                "start_date": D(2021, 6, 1),
                "end_date": None,
            },
            # p2: ended in March 2022 -> paired in 2022, not active at year end
            {
                "pairing_id": "r2",
                "org_id": "assoc",
                "person_id": "p2",
                "support_type": "companionship",
                "start_date": D(2021, 1, 1),
                "end_date": D(2022, 3, 31),
            },
            # p3: running, last contact long ago -> lapsed
            {
                "pairing_id": "r3",
                "org_id": "assoc",
                "person_id": "p3",
                "support_type": "material",
                "start_date": D(2022, 1, 10),
                "end_date": None,
            },
            # p4 is not left-behind: counts as active but not as a left-behind child paired
            {
                "pairing_id": "r4",
                "org_id": "fed",
                "person_id": "p4",
                "support_type": "study",
                "start_date": D(2022, 2, 1),
                "end_date": None,
            },
        ],
        "contact": [
            {"pairing_id": "r1", "date": D(2022, 12, 1), "mode": "phone"},
            {"pairing_id": "r3", "date": D(2022, 2, 1), "mode": "home_visit"},
            {"pairing_id": "r4", "date": D(2022, 11, 15), "mode": "activity"},
        ],
        "course": [
            {
                "course_id": "k1",
                "date": D(2022, 1, 1),
                "place_code": V1,
                "venue": "村小",
                "org_id": "fed",
                "topic": "自护",
                "attendance": 50,
                "girls": 25,
            },
            {
                "course_id": "k2",
                "date": D(2022, 12, 31),
                "place_code": K,
                "venue": "社区",
                "org_id": "fed",
                "topic": "自护",
                "attendance": 30,
                "girls": 10,
            },
            {
                "course_id": "k3",
                "date": D(2021, 12, 31),
                "place_code": V2,
                "venue": "村小",
                "org_id": "fed",
                "topic": "自护",
                "attendance": 40,
                "girls": 20,
            },
        ],
        "visit": [
            # on the window's first day: inside 2022
            {
                "visit_id": "v1",
                "date": D(2022, 1, 1),
                "household_id": "h1",
                "org_id": "fed",
                "reasons": "left_behind_child",
                "follow_up_due": D(2022, 3, 1),
            },
            {
                "visit_id": "v2",
                "date": D(2022, 6, 1),
                "household_id": "h1",
                "org_id": "fed",
                "reasons": "",
                "follow_up_due": None,
            },
            # the day after the window: outside 2022
            {
                "visit_id": "v3",
                "date": D(2023, 1, 1),
                "household_id": "h4",
                "org_id": "fed",
                "reasons": "grievance",
                "follow_up_due": None,
            },
            {
                "visit_id": "v4",
                "date": D(2022, 5, 1),
                "household_id": "h3",
                "org_id": "fed",
                "reasons": "",
                "follow_up_due": D(2022, 6, 1),
            },
        ],
        "screening": [
            {
                "screening_id": "s1",
                "date": D(2022, 4, 1),
                "household_id": "h2",
                "risk_categories": "dv_risk",
                "risk_level": "high",
                "follow_up_due": D(2022, 4, 15),
            },
            {
                "screening_id": "s2",
                "date": D(2021, 12, 1),
                "household_id": "h1",
                "risk_categories": "",
                "risk_level": "high",
                "follow_up_due": None,
            },
            {
                "screening_id": "s3",
                "date": D(2022, 4, 2),
                "household_id": "h5",
                "risk_categories": "",
                "risk_level": "low",
                "follow_up_due": None,
            },
        ],
        "case": [
            {
                "case_id": "c1",
                "received_date": D(2022, 2, 1),
                "org_id": "st_t",
                "place_code": V1,
                "category": "family_dispute",
                "status": "resolved",
                "closed_date": D(2022, 2, 20),
            },
            {
                "case_id": "c2",
                "received_date": D(2022, 11, 1),
                "org_id": "studio",
                "place_code": K,
                "category": "domestic_violence",
                "status": "open",
                "closed_date": None,
            },
            {
                "case_id": "c3",
                "received_date": D(2021, 5, 1),
                "org_id": "studio",
                "place_code": V2,
                "category": "property",
                "status": "referred",
                "closed_date": D(2021, 5, 9),
            },
        ],
        "event": [
            {
                "event_id": "e1",
                "date": D(2022, 3, 5),
                "place_code": T,
                "org_id": "fed",
                "campaign": "womens_rights_week",
                "format": "performance",
                "audience": 200,
            },
            {
                "event_id": "e2",
                "date": D(2022, 7, 1),
                "place_code": V1,
                "org_id": "fed",
                "campaign": "shouhu_huakai",
                "format": "lecture",
                "audience": 40,
            },
            {
                "event_id": "e3",
                "date": D(2021, 7, 1),
                "place_code": K,
                "org_id": "fed",
                "campaign": "shouhu_huakai",
                "format": "lecture",
                "audience": None,
            },
        ],
        "inspection": [
            {
                "inspection_id": "i1",
                "date": D(2022, 5, 18),
                "committee": "教科文卫委",
                "deputies": "",
                "places": T,
                "orgs": "st_t",
                "summary": "",
            },
        ],
        "recommendation": [
            {
                "rec_id": "rec1",
                "inspection_id": "i1",
                "place_code": T,
                "text": "常态化走访",
                "responsible_org": "fed",
                "due_date": D(2022, 9, 30),
                "status": "open",
                "response": "",
            },
            {
                "rec_id": "rec2",
                "inspection_id": "i1",
                "place_code": V1,
                "text": "开课",
                "responsible_org": "fed",
                "due_date": D(2023, 3, 1),
                "status": "in_progress",
                "response": "",
            },
            {
                "rec_id": "rec3",
                "inspection_id": "i1",
                "place_code": C,
                "text": "已办",
                "responsible_org": "fed",
                "due_date": D(2022, 6, 1),
                "status": "done",
                "response": "已完成",
            },
        ],
    }


@pytest.fixture
def small_store(hehu_db, tmp_path, request):
    """A store holding the hand-made county (SQLite, or a fresh PostgreSQL database)."""
    if hehu_db == "postgresql":
        url = request.getfixturevalue("pg_url")
    else:
        url = f"sqlite:///{tmp_path / 'small.sqlite'}"
    store = open_store(url)
    store.write(small_records())
    yield store
    store.engine.dispose()
