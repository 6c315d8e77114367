"""Every figure a page offers, computed and kept ahead of the pages (`hehu warm`, the server's
warmer after a change of data)."""

from __future__ import annotations

import time
from collections.abc import Callable

from hehu.figures.cache import (
    PageRecords,
    overview_period_keys,
    page_gaps,
    page_metrics,
    period_from_key,
)
from hehu.figures.places import (
    campaign_events,
    place_figures,
    place_hidden_cells,
    shared_station_cases,
)
from hehu.figures.splits import SPLITS, split_frame, split_hidden_cells
from hehu.records.store import Store


def warm_figures(store: Store, progress: Callable[[str], None] = lambda _: None) -> dict:
    """Compute and keep every figure a page offers for the current data: metrics, gaps and
    place figures of every period, the pages' tables split by station, organisation or month,
    and which of them are hidden from aggregate-only roles.

    Run after a large import, or by the server when the data change, so that no user waits
    for them. Returns what it did: periods computed, whether records had to be read, seconds.
    """
    start = time.perf_counter()
    records = PageRecords(store)
    keys = overview_period_keys(records)
    for key in keys:
        progress(key)
        period = period_from_key(key)
        page_metrics(records, period)
        page_gaps(records, period)
        place_figures(records, period)
        campaign_events(records, period)  # the briefing's legal events and towns without
        shared_station_cases(records, key)
        for split in SPLITS:
            split_frame(records, split, key)
    progress("disclosure")
    place_hidden_cells(records, keys)
    for split in SPLITS:
        split_hidden_cells(records, split, keys)
    return {
        "data_version": records.data_version,
        "periods": keys,
        "records_read": records.fully_loaded,
        "seconds": round(time.perf_counter() - start, 2),
    }
