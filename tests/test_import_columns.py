"""A register is read column by column, each distinct cell once (`Importer._parse_columns`): what
a clerk gets back must still be said row by row, as if every row had been read on its own.

A village is found within its own row's town, a misspelt value repeated down the sheet is
refused on every row that has it, a bad cell near the end keeps its row number, and rows
skipped for different reasons come back in the order of the sheet.
"""

from __future__ import annotations

from pathlib import Path

from test_import_support import HUAYUAN_DONGHUJI, HUAYUAN_GAOGOU, make_id

from hehu.importing import import_file

pytest_plugins = ["test_import_support"]  # fixtures: home, db_url, store

ROWS = 5000
HEADER = ["姓名", "身份证号", "性别", "镇街", "村居", "类别"]


def write_csv(path: Path, rows: list[list]) -> Path:
    """A CSV as Excel saves it (UTF-8 with its mark)."""
    path.write_bytes(("\n".join(",".join(map(str, r)) for r in rows) + "\n").encode("utf-8-sig"))
    return path


def child(i: int) -> list:
    """Row `i` of the register: a child of 高沟镇 or of 东胡集镇, both with a 花园村."""
    number = make_id(f"2012{1 + i % 12:02d}{1 + i % 28:02d}", f"{i % 1000:03d}")
    town = "高沟镇" if i % 2 else "东胡集镇"
    return [f"王{i}", number, "男" if int(number[16]) % 2 else "女", town, "花园村", "留守儿童"]


def test_a_bad_cell_near_the_end_and_a_repeated_misspelling_keep_their_row_numbers(store, tmp_path):
    rows = [HEADER] + [child(i) for i in range(ROWS)]
    rows[3][4] = rows[ROWS - 10][4] = "花圆村"  # the same slip, twice, far apart
    rows[ROWS][5] = "留守儿"  # the last row (Excel row ROWS + 1): a category that is not one
    report = import_file(store, write_csv(tmp_path / "名册.csv", rows), dry_run=True)

    errors = sorted((e.row, e.column, e.reason) for e in report.errors)
    assert [(row, column) for row, column, _ in errors] == [
        (4, "村居"),
        (ROWS - 9, "村居"),
        (ROWS + 1, "类别"),
    ]
    # each within its own row's town (row 4 is of 东胡集镇, the other of 高沟镇)
    assert errors[0][2].startswith("在东胡集镇找不到地点“花圆村”")
    assert errors[1][2].startswith("在高沟镇找不到地点“花圆村”")
    assert "“留守儿”不是允许的类别" in errors[2][2]
    assert (report.rows_read, report.accepted, report.rejected) == (ROWS, ROWS - 3, 3)


def test_a_village_is_found_within_its_own_rows_town(store, tmp_path):
    rows = [HEADER] + [child(i) for i in range(200)]
    import_file(store, write_csv(tmp_path / "名册.csv", rows))
    persons = store.read("person").sort_values("birth_year")
    assert persons["place_code"].value_counts().to_dict() == {
        HUAYUAN_GAOGOU: 100,
        HUAYUAN_DONGHUJI: 100,
    }


def test_rows_skipped_for_different_reasons_are_listed_in_sheet_order(store, tmp_path):
    rows = [HEADER, child(1), child(2), child(1), HEADER, child(3), ["合计", "", "", "", "", ""]]
    report = import_file(store, write_csv(tmp_path / "名册.csv", rows), dry_run=True)
    (sheet,) = report.sheets
    assert [row for row, _ in sheet.skipped] == [4, 5, 7]
    assert "重复" in sheet.skipped[0][1] and "表头" in sheet.skipped[1][1]
    assert "合计" in sheet.skipped[2][1]
    assert report.accepted == 3
