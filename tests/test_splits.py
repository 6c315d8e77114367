"""Page tables split by station, organisation or month (hehu.figures.splits): every place's
rows counted once, with the hierarchy, own rows and the place figures their totals repeat."""

from __future__ import annotations

import pytest
from hehu_fixtures import V1, C, T, small_records

from hehu import suppression
from hehu.figures import tracking
from hehu.figures.cache import period_from_key
from hehu.figures.metrics import Period, load_records
from hehu.figures.places import (
    choosable_periods,
    family_column,
    place_figures,
    place_hidden_cells,
)
from hehu.figures.splits import (
    PAIRINGS_BY_MONTH,
    PAIRINGS_BY_ORG,
    SPLITS,
    STATIONS,
    pairing_org_key,
    split_frame,
    split_hidden_cells,
    split_row,
)
from hehu.figures.tracking import own_row_code
from hehu.records.store import open_store

YEAR = Period.year(2022)


@pytest.fixture
def records(small_store):
    return load_records(small_store)


def test_pairings_by_organisation_of_every_place(records):
    frame = split_frame(records, PAIRINGS_BY_ORG, "2022")
    columns = ["lapsed:", "started:", "ended:"]
    assert frame.loc[split_row(C), columns].tolist() == [1, 2, 1]
    assert frame.loc[split_row(C, pairing_org_key("assoc", "material")), columns].tolist() == [
        1,
        1,
        0,
    ]
    assert frame.loc[split_row(C, pairing_org_key("fed", "study")), columns].tolist() == [0, 1, 0]
    # r4's child is not left-behind
    assert frame.loc[split_row(C), "started:left_behind_child"] == 1


def test_pairings_by_month_of_every_place(records):
    frame = split_frame(records, PAIRINGS_BY_MONTH, "2022")
    at = lambda month: frame.loc[split_row(C, month), ["started:", "ended:"]].tolist()  # noqa: E731
    assert at("2022-01") == [1, 0]  # r3 starts
    assert at("2022-02") == [1, 0]  # r4
    assert at("2022-03") == [0, 1]  # r2 ends
    assert split_row(C, "2022-04") not in frame.index  # nothing then
    assert frame.loc[split_row(C), ["started:", "ended:"]].tolist() == [2, 1]


@pytest.mark.parametrize("split", SPLITS, ids=lambda s: s.name)
def test_a_place_at_every_key_is_its_place_figure_and_the_sum_of_its_keys(demo_records, split):
    # the totals a split's disclosure takes from the place figures' (hidden_cells' elsewhere)
    for key in ("2022", "all"):
        frame = split_frame(demo_records, split, key)
        figures = place_figures(demo_records, period_from_key(key))
        totals = frame[frame.index.str.endswith("@")]
        places = [row[:-1] for row in totals.index]
        keyed = frame[~frame.index.str.endswith("@") & ~frame.index.str.contains("#")]
        by_place = keyed.groupby([row.split("@")[0] for row in keyed.index]).sum()
        for column in split.columns:
            figure, category = column.split(":")
            expected = figures.loc[places, family_column(split.family, figure, category)]
            assert totals[column].tolist() == expected.tolist(), (key, column)
            assert totals[column].tolist() == by_place[column].reindex(places).tolist()


def test_the_pages_tables_are_the_split_rows(demo_records):
    period = Period.year(2022)
    town = demo_records.places.query("level == 'town'")["code"].iloc[0]
    org = split_frame(demo_records, PAIRINGS_BY_ORG, "2022")
    table = tracking.pairings_by_org(demo_records, period, town, tracking.lapse_days_setting())
    for row in table.itertuples():
        at = org.loc[split_row(town, pairing_org_key(row.org_id, row.support_type))]
        assert [at["lapsed:"], at["started:"], at["ended:"]] == [row.lapsed, row.started, row.ended]
    month = split_frame(demo_records, PAIRINGS_BY_MONTH, "2022")
    flow = tracking.pairing_flow(demo_records, period, town)
    for row in flow.itertuples():
        counts, at = [row.started, row.ended], split_row(town, row.month)
        found = month.loc[at, ["started:", "ended:"]].tolist() if at in month.index else [0, 0]
        assert found == counts
    stations = split_frame(demo_records, STATIONS, "2022")
    table = tracking.cases_by_station(demo_records, period, town)
    assert len(table)
    for row in table.itertuples():
        assert stations.at[split_row(town, str(row.org_id)), "received:"] == row.received


def test_a_place_own_records_at_a_key_are_a_row_of_their_own(tmp_path):
    # p4 placed at the town itself, not at a village: the town at 县妇联 is its villages there
    # and its own row there (the hierarchy's equations need it)
    tables = small_records()
    for person in tables["person"]:
        if person["person_id"] == "p4":
            person["place_code"] = T
    store = open_store(f"sqlite:///{tmp_path / 'own.sqlite'}")
    store.write(tables)
    frame = split_frame(load_records(store), PAIRINGS_BY_ORG, "2022")
    study = pairing_org_key("fed", "study")
    assert frame.at[split_row(own_row_code(T), study), "started:"] == 1
    assert frame.at[split_row(T, study), "started:"] == 1
    assert split_row(V1, study) not in frame.index
    assert split_row(own_row_code(T), pairing_org_key("assoc", "companionship")) not in frame.index
    assert frame.index.is_unique


def test_a_split_the_solver_cannot_protect_is_hidden_whole(records, monkeypatch, caplog):
    """When the solver runs out of rounds (a province of 100 counties' pairings by
    organisation did), every count of the table is hidden: the page opens, and shows no count
    that was not protected."""
    keys = choosable_periods(records)
    place_hidden_cells(records, keys)  # the place figures' own disclosure, as it is
    monkeypatch.setattr(suppression, "JOINT_ROUNDS_MAX", 0)
    masks = split_hidden_cells(records, PAIRINGS_BY_ORG, keys)
    for key, mask in zip(keys, masks, strict=True):
        frame = split_frame(records, PAIRINGS_BY_ORG, key)
        assert (mask.loc[frame.index, list(PAIRINGS_BY_ORG.columns)] != 0).all().all()
    assert "place_pairings_by_org: every count hidden" in caplog.text
