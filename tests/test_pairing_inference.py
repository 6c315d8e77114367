"""The pairings running stand for the children paired: a deputy who reads one takes it for the
other, as a child has one pairing, mostly.

A review (2026-12-04) read 高沟镇's 14 pairings running on its briefing and 55 children unpaired
on the pairings page, and had the 69 children registered that both pages hide (14 + 55; the
children paired, hidden too, were the 14). Every place and period of the demo, as a deputy
sees the place figures: where the pairings running are as many as the children paired, the
one is hidden with the other, so registered = paired + unpaired never comes back through them.
"""

from __future__ import annotations

import pytest

from hehu.disclosure import is_hidden
from hehu.figures.cache import period_from_key
from hehu.figures.metrics import load_records
from hehu.figures.places import (
    choosable_periods,
    disclosed_place_figures,
    family_column,
    place_figures,
)
from hehu.figures.tracking.common import CHILD_CATEGORIES
from hehu.records.store import open_store

pytestmark = pytest.mark.attack


def test_the_pairings_running_never_give_the_children_paired_back(demo_url):
    records = load_records(open_store(demo_url))
    checked, given_back = 0, []
    for key in choosable_periods(records):
        true = place_figures(records, period_from_key(key))
        shown = disclosed_place_figures(records, key, "deputy")
        for category in ("", *CHILD_CATEGORIES):
            active, paired = (family_column("pairing", f, category) for f in ("active", "paired"))
            same = true.index[true[active] == true[paired]]
            for place in same:
                checked += 1
                if is_hidden(shown.at[place, paired]) and not is_hidden(shown.at[place, active]):
                    given_back.append((key, place, category, true.at[place, paired]))
    assert checked > 5000
    assert given_back == []
