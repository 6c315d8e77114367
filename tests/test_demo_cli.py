"""The demo reproduces every figure of the source report, through the `hehu` command."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from hehu.figures.metrics import Period, load_records, place_metrics
from hehu.records.demo import SOURCE_FIGURES, build_demo, load_demo
from hehu.records.gazetteer import load_gazetteer, read_gazetteer
from hehu.records.store import open_store


def hehu(*args, env=None, check=True):
    proc = subprocess.run(
        [sys.executable, "-m", "hehu.cli.main", *args], capture_output=True, text=True, env=env
    )
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture(scope="module")
def cli_db(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('cli') / 'cli.sqlite'}"
    assert "388" in hehu("init", "--db", url).stdout
    hehu("demo", "--db", url)
    return url


def metrics(url, *args):
    return json.loads(hehu("metrics", "--db", url, *args, "--json").stdout)


def test_the_source_period_reproduces_the_report(cli_db):
    got = metrics(cli_db, "--start", "2021-01-01", "--end", "2022-11-10")
    assert {k: got[k] for k in SOURCE_FIGURES} == SOURCE_FIGURES == {
        "towns": 12, "subdistricts": 4, "key_villages": 38, "households_visited": 45,
        "left_behind_children_paired": 80, "cases_received": 90, "legal_lectures": 70,
    }  # fmt: skip
    assert got["resolution_rate"] == 1.0  # all resolved or referred


@pytest.mark.parametrize("year", [2021, 2022])
def test_two_hundred_courses_and_eighteen_thousand_attendances_a_year(cli_db, year):
    got = metrics(cli_db, "--start", f"{year}-01-01", "--end", f"{year}-12-31")
    assert (got["course_sessions"], got["course_attendance"]) == (200, 18000)


def test_a_town_is_part_of_the_county(cli_db):
    county = metrics(cli_db, "--start", "2022-01-01", "--end", "2022-12-31")
    town = metrics(
        cli_db, "--place", "320826101000", "--start", "2022-01-01", "--end", "2022-12-31"
    )
    assert 0 < town["course_sessions"] < county["course_sessions"]
    assert town["towns"] == 1 and town["subdistricts"] == 0


def test_same_seed_same_data_other_seed_other_data():
    places = read_gazetteer()
    first, again, other = build_demo(places, 7), build_demo(places, 7), build_demo(places, 8)
    assert first == again
    assert first["visit"] != other["visit"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_any_seed_reproduces_the_report(tmp_path, seed):
    store = open_store(f"sqlite:///{tmp_path / 'seed.sqlite'}")
    load_gazetteer(store)
    load_demo(store, seed)
    records = load_records(store)
    got = place_metrics(records, None, Period.of("2021-01-01", "2022-11-10"))
    assert {k: got[k] for k in SOURCE_FIGURES} == SOURCE_FIGURES
    assert place_metrics(records, None, Period.year(2022))["course_attendance"] == 18000


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--place", "123456789012"], "未知的地点代码：123456789012"),
        (["--start", "2022-13-01"], "日期格式不正确"),
        (["--start", "2022-05-18", "--end", "2021-01-01"], "日期格式不正确"),
    ],
)
def test_bad_input_is_one_chinese_line(cli_db, args, message):
    proc = hehu("metrics", "--db", cli_db, *args, "--json", check=False)
    assert proc.returncode == 2
    assert proc.stderr.startswith("错误：") and message in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "url", ["postgresql+psycopg://nobody@127.0.0.1:9/none", "sqlite:////nonexistent/dir/x.sqlite"]
)
def test_an_unreachable_database_is_one_chinese_line(url):
    proc = hehu("metrics", "--db", url, "--json", check=False)
    assert proc.returncode == 2
    assert proc.stderr.startswith("错误：无法打开数据库") and "Traceback" not in proc.stderr


def test_help_is_chinese_then_english():
    out = hehu("--help").stdout
    assert "妇女儿童权益保护监督工作台" in out and "oversight workbench" in out
