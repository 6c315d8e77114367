"""The figure warmer: after a write, the overview's figures are computed without anyone asking."""

from __future__ import annotations

import datetime as dt
import time

import sqlalchemy as sa

from hehu.figures.cache import (
    FIGURES_FORMAT,
    PageRecords,
    page_gaps,
    page_metrics,
    period_from_key,
    period_key,
)
from hehu.records.schema import figure_cache
from hehu.records.store import open_store
from hehu.serve.warmer import WARMED, start_warmer


def _versions(store) -> set[int]:
    with store.engine.connect() as conn:
        return set(conn.execute(sa.select(figure_cache.c.data_version)).scalars())


def _warmed(store) -> bool:
    """Whether the figures a page reads for 2022 and all time are there for the current data."""
    wanted = {
        (f"{name}/{FIGURES_FORMAT}", period_key(period_from_key(key)))
        for name in ("metrics", "gaps", "place_figures")
        for key in ("2022", "all")
    } | {(f"years/{FIGURES_FORMAT}", "")}
    with store.engine.connect() as conn:
        have = set(
            conn.execute(
                sa.select(figure_cache.c.name, figure_cache.c.period).where(
                    figure_cache.c.data_version == store.data_version()
                )
            ).all()
        )
    return wanted <= have


def _wait_for(condition, seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the warmer did not warm in time"
        time.sleep(0.3)


def test_the_warmer_follows_every_change_of_the_records(demo_db_copy, capsys):
    store = open_store(demo_db_copy, create=False)
    with store.engine.begin() as conn:  # pages of earlier tests may have filled it
        conn.execute(sa.delete(figure_cache))
    stop = start_warmer(demo_db_copy, every=0.5)
    try:
        _wait_for(lambda: _warmed(store))
        course = store.read("course").iloc[0]
        store.write(
            {
                "course": [
                    {
                        "course_id": "warmer-test",
                        "date": dt.date(2022, 6, 1),
                        "place_code": course["place_code"],
                        "org_id": course["org_id"],
                        "attendance": 30,
                    }
                ]
            }  # fmt: skip
        )
        _wait_for(lambda: _warmed(store))
        assert _versions(store) == {store.data_version()}  # nothing kept of the older data
        # The log says when the figures are ready, once a warm (bench/load_test.py waits on it).
        _wait_for(lambda: capsys.readouterr().err.count(WARMED) >= 1)
    finally:
        stop.set()
    page = PageRecords(store)
    for key in ("2022", "all"):
        page_metrics(page, period_from_key(key)), page_gaps(page, period_from_key(key))
    assert not page.fully_loaded  # a page after the write read no record: all was warmed


def test_the_warmer_backs_off_while_the_database_is_unreachable(tmp_path, capsys):
    """Not a full read of every record every few seconds while something is wrong."""
    missing = f"sqlite:///{tmp_path / 'no-such-dir' / 'nothing.sqlite'}"
    stop = start_warmer(missing, every=0.1)
    time.sleep(2.5)
    stop.set()
    attempts = capsys.readouterr().err.count("hehu warmer:")
    # waits 0.2, 0.4, 0.8, 1.6 s: four or five tries in 2.5 s, not 25
    assert 2 <= attempts <= 6, attempts
