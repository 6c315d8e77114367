"""The period a page opens on: the latest year with records up to today, never a future slip."""

from __future__ import annotations

import datetime as dt

from hehu_fixtures import V1

from hehu.figures.cache import default_period_key, overview_period_keys
from hehu.figures.metrics import load_records
from widgets.pages.overview import build_overview_page

TODAY = dt.date(2026, 12, 1)


def add_course(store, course_id: str, date: dt.date) -> None:
    store.write(
        {
            "course": [
                {
                    "course_id": course_id,
                    "date": date,
                    "place_code": V1,
                    "org_id": "fed",
                    "attendance": 10,
                }
            ]
        }
    )


def test_a_future_date_is_offered_but_never_the_default(small_store):
    before = load_records(small_store)
    latest = max(int(k) for k in overview_period_keys(before) if k.isdigit())
    assert default_period_key(before, TODAY) == str(latest)
    add_course(small_store, "slip", dt.date(2032, 5, 18))  # 2022 mistyped
    records = load_records(small_store)
    assert "2032" in overview_period_keys(records)  # still there to look at
    assert default_period_key(records, TODAY) == str(latest)
    # the year the slip lands in becomes the default once that day has come
    assert default_period_key(records, dt.date(2032, 5, 18)) == "2032"


def test_this_year_is_the_default_once_it_has_a_record_up_to_today(small_store):
    add_course(small_store, "now", dt.date(2026, 3, 1))
    add_course(small_store, "later", dt.date(2026, 12, 24))
    assert default_period_key(load_records(small_store), TODAY) == "2026"


def test_with_no_dated_record_the_default_is_all_time(small_store):
    for kind in ("course", "visit", "case_record", "event", "contact", "pairing"):
        with small_store.engine.begin() as conn:
            conn.exec_driver_sql(f"DELETE FROM {kind}")
    records = load_records(small_store)
    assert default_period_key(records, TODAY) in ("all", *overview_period_keys(records))
    assert default_period_key(records, TODAY) == (
        next((k for k in overview_period_keys(records) if ":" in k), "all")
    )


def test_the_overview_opens_on_the_default_not_on_a_future_year(small_store, monkeypatch):
    monkeypatch.setenv("HEHU_ROLE", "staff")
    add_course(small_store, "slip", dt.date(2099, 1, 1))
    page = build_overview_page(small_store.url, params={})
    assert page.state.period_key == default_period_key(load_records(small_store))
    assert page.state.period_key != "2099"
