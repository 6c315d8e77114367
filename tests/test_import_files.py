"""Importing real .xlsx and .csv registers, made here with openpyxl, with the mess real ones have."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import os
import stat
import zipfile
import zlib

import openpyxl
import pytest
from test_import_support import (
    COUNTY,
    GAOGOU,
    HUAYUAN_GAOGOU,
    YINDANG_GAOGOU,
    make_id,
    org_rows,
    snapshot,
    to_fullwidth,
    write_book,
)

from hehu.errors import HehuError
from hehu.importing import KIND_SPECS, engine, import_file, workbook
from hehu.importing.templates import export_frame, safe_cell, template_file_name, write_template
from hehu.records import pseudonym
from hehu.records.gazetteer import load_gazetteer
from hehu.records.store import open_store

pytest_plugins = ["test_import_support"]  # fixtures: home, db_url, store
D = dt.date
GIRL = make_id("20120518", "002")  # female, born 2012
BOY = make_id("20110101", "013")  # male, born 2011
HEAD1 = make_id("19800101", "011")
HEAD2 = make_id("19820202", "031")
NAMES = ["张小花", "王小明", "李四", "赵五", "钱六", "孙七", "周八", "张大山", "王大海"]


def id_ending_in_x() -> str:
    """A valid ID number whose check character is X (to test a lower-case x)."""
    for seq in range(1000):
        number = make_id("20100304", f"{seq:03d}")
        if number.endswith("X"):
            return number
    raise AssertionError("no X check digit found")


def messy_register(path):
    """A household sheet and a children's register with everything real registers do."""
    children = [
        ["涟水县高沟镇留守儿童花名册"],  # title row, merged across
        ["填报单位：高沟镇妇联", None, None, None, None, "填报日期：2022年5月18日"],
        [
            "序号",
            "姓 名",
            "身份证号码",
            "性别",
            "出生日期",
            "镇（街道）",
            "所在村",
            "类别",
            "户主姓名",
            "户主身份证号",
            "监护人电话",
        ],  # fmt: skip
        [
            1,
            "张小花",
            GIRL,
            "女",
            D(2012, 5, 18),
            "高沟镇",
            "花园村",
            "留守儿童、困境儿童",
            "张大山",
            HEAD1,
            "13800000000",
        ],  # fmt: skip
        # full-width space in the name, full-width digits in the ID, village merged from above
        [
            2,
            "王\u3000小明",
            to_fullwidth(BOY),
            "男",
            "2011.1.1",
            "高沟镇",
            None,
            "留守儿童",
            "王大海",
            HEAD2,
            None,
        ],  # fmt: skip
        [3, "李四", make_id("20120304", "022"), "", "2012年3月4日", "", "花园村", "留守儿童"],
        [4, "赵五", GIRL[:-1] + ("0" if GIRL[-1] != "0" else "1"), "女", None, "高沟镇", "花园村"],
        [5, "钱六", make_id("20100101", "051"), "女", None, "", "320826101231", "留守儿童"],
        [6, "孙七", make_id("20100101", "062"), "女", 44699, "", "320826101231", "留守"],
        [7, "周八", 320826201205180020, "女", None, "", "320826101231", "留守儿童"],
        ["合计", "7人"],
        ["填表人：某某某"],
    ]
    households = [
        ["必访家庭名册"],
        ["户主", "户主身份证号码", "乡镇（街道）", "村（居）", "家庭类型"],
        ["张大山", HEAD1, "高沟镇", "花园村", "单亲家庭、特困"],
    ]
    return write_book(
        path,
        {"说明": [["本表说明：……"]], "家庭": households, "高沟镇留守儿童": children},
        merges={"高沟镇留守儿童": ["A1:K1", "G4:G5"]},
        text_columns={"高沟镇留守儿童": [3], "家庭": [2]},
    )


def test_a_messy_register_imports_its_valid_rows_and_explains_the_rest(store, tmp_path):
    report = import_file(store, messy_register(tmp_path / "花名册.xlsx"))

    assert (report.rows_read, report.accepted, report.rejected) == (8, 3, 5)
    by_row = {(e.sheet, e.row, e.column): e.reason for e in report.errors}
    sheet = "高沟镇留守儿童"
    assert "多处同名" in by_row[(sheet, 6, "所在村")]
    assert "校验位" in by_row[(sheet, 7, "身份证号码")]
    assert "不符" in by_row[(sheet, 8, "性别")]
    assert "留守" in by_row[(sheet, 9, "类别")]
    assert "文本格式" in by_row[(sheet, 10, "身份证号码")]
    for reason in by_row.values():
        assert any("\u4e00" <= ch <= "\u9fff" for ch in reason)
        assert not any(secret in reason for secret in [*NAMES, GIRL, BOY, HEAD1])
    assert any("监护人电话" in n and "个人信息" in n for n in report.notices)
    assert any(row == 11 and "合计" in why for s in report.sheets for row, why in s.skipped)

    persons = store.read("person").set_index("birth_year")
    assert sorted(persons.index) == [2011, 2012]
    assert persons.loc[2012, "sex"] == "F" and persons.loc[2011, "sex"] == "M"  # from the ID
    assert set(persons["place_code"]) == {HUAYUAN_GAOGOU}  # the merged village cell counts
    assert persons.loc[2012, "categories"] == "child_in_difficulty;left_behind_child"
    households = store.read("household").set_index("household_id")
    assert set(persons["household_id"]) == set(households.index)  # one listed, one auto-created
    assert households.loc[persons.loc[2012, "household_id"], "categories"] == (
        "extreme_poverty;single_parent"
    )
    assert all(pid.startswith("P-") for pid in persons["person_id"])


def test_dry_run_writes_nothing_and_reports_the_same(store, tmp_path, home):
    path = messy_register(tmp_path / "花名册.xlsx")
    before = snapshot(store)
    dry = import_file(store, path, dry_run=True, report_dir=tmp_path / "dry")
    assert snapshot(store) == before
    assert not pseudonym.key_path().exists()  # not even the key file
    assert dry.dry_run and not dry.committed and dry.records_written == 0
    real = import_file(store, path, report_dir=tmp_path / "real")
    assert [(e.sheet, e.row, e.column, e.reason) for e in dry.errors] == [
        (e.sheet, e.row, e.column, e.reason) for e in real.errors
    ]
    assert (dry.accepted, dry.rejected, dry.count("added")) == (
        real.accepted,
        real.rejected,
        real.count("added"),
    )
    assert real.records_written == real.count("added") == 4  # 2 households, 2 children


def test_reimporting_the_same_file_changes_nothing(store, tmp_path):
    path = messy_register(tmp_path / "花名册.xlsx")
    import_file(store, path)
    records = {k: v for k, v in snapshot(store).items() if k not in ("audit_log", "meta")}
    again = import_file(store, path)
    assert again.count("added") == again.count("updated") == 0
    # the household created for the second child now exists, so it is no longer a record of its own
    assert again.count("unchanged") == 3 and again.records_written == 0
    assert {k: v for k, v in snapshot(store).items() if k not in ("audit_log", "meta")} == records


def test_names_and_id_numbers_are_never_stored(store, tmp_path, db_url):
    import_file(store, messy_register(tmp_path / "花名册.xlsx"), report_dir=tmp_path / "out")
    store.engine.dispose()
    db_files = list(tmp_path.glob("t.sqlite*"))
    assert db_files
    data = b"".join(p.read_bytes() for p in db_files)
    for secret in [*NAMES, "王\u3000小明", GIRL, BOY, HEAD1, HEAD2, to_fullwidth(BOY)]:
        for encoding in ("utf-8", "utf-16-le", "gb18030"):
            assert secret.encode(encoding) not in data, secret
    report = next((tmp_path / "out").glob("*导入报告*.xlsx"))
    with zipfile.ZipFile(report) as z:
        text = "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    assert not any(secret in text for secret in [*NAMES, GIRL, BOY, HEAD1])


def test_the_key_is_created_once_private_and_checked(store, tmp_path, home):
    import_file(store, messy_register(tmp_path / "a.xlsx"))
    key_file = pseudonym.key_path()
    assert key_file.parent == home
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert store.get_meta(pseudonym.KEY_CHECK_META) == pseudonym.key_check(pseudonym.load_key())
    key_file.write_text("ab" * 32 + "\n")  # another machine's key
    before = snapshot(store)
    with pytest.raises(pseudonym.KeyMismatch):
        import_file(store, messy_register(tmp_path / "b.xlsx"))
    assert snapshot(store) == before


def test_the_same_person_typed_differently_gets_the_same_id(store, tmp_path):
    x_id = id_ending_in_x()
    write_book(
        tmp_path / "p.xlsx",
        {
            "对象": [
                ["姓名", "身份证号", "村居", "类别"],
                ["欧阳·小雨", x_id, "高沟镇花园村", "留守儿童"],
            ]
        },
    )
    import_file(store, tmp_path / "p.xlsx")
    write_book(
        tmp_path / "pair.xlsx",
        {
            "组织": org_rows(),
            "结对": [
                ["结对组织", "对象姓名", "对象身份证号", "帮扶类型", "结对日期"],
                [
                    "帼彤之家维权协会",
                    " 欧阳・小 雨",
                    to_fullwidth(x_id.lower()),
                    "关爱陪伴",
                    "2022.3.1",
                ],
            ],
        },
    )
    report = import_file(store, tmp_path / "pair.xlsx")
    assert report.rejected == 0, report.errors
    (person_id,) = store.read("person")["person_id"]
    assert list(store.read("pairing")["person_id"]) == [person_id]


def test_quarantine_keeps_every_rejected_row_and_reimports_once_fixed(store, tmp_path):
    report = import_file(store, messy_register(tmp_path / "花名册.xlsx"), report_dir=tmp_path)
    quarantine = report.quarantine_path
    assert quarantine.parent == report.report_path.parent == tmp_path
    assert stat.S_IMODE(quarantine.stat().st_mode) == 0o600  # it holds names and ID numbers
    assert stat.S_IMODE(report.report_path.stat().st_mode) == 0o600  # it quotes cells too
    book = openpyxl.load_workbook(quarantine)
    sheet = book["高沟镇留守儿童"]
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["序号", "姓 名", "身份证号码"] and header[-2:] == ["原行号", "错误原因"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [r[-2] for r in rows] == [6, 7, 8, 9, 10]
    assert [r[1] for r in rows] == ["李四", "赵五", "钱六", "孙七", "周八"]  # nothing lost
    assert "多处同名" in rows[0][-1]

    # Staff fix the rows in the quarantine file and import it again.
    fixes = {
        2: {"F": "高沟镇"},
        3: {"C": make_id("20100909", "042")},
        4: {"D": None},
        5: {"H": "留守儿童", "E": None},  # 44699 is 2022: not the year in the ID number
        6: {"C": make_id("20120518", "020")},
    }
    for row, cells in fixes.items():
        for col, value in cells.items():
            sheet[f"{col}{row}"] = value
            sheet[f"{col}{row}"].number_format = "@"
    book.save(tmp_path / "fixed.xlsx")
    again = import_file(store, tmp_path / "fixed.xlsx", report_dir=tmp_path / "again")
    assert (again.accepted, again.rejected) == (5, 0), again.errors
    assert again.quarantine_path is None
    assert store.count("person") == 7


def test_a_failing_write_leaves_nothing_half_written(store, tmp_path, monkeypatch):
    write_book(tmp_path / "orgs.xlsx", {"组织": org_rows()})
    import_file(store, tmp_path / "orgs.xlsx")
    write_book(
        tmp_path / "c.xlsx",
        {
            "课程": [
                ["日期", "村居", "组织", "人次", "女童人次", "主题"],
                ["2022-05-18", "高沟镇花园村", "高沟镇妇联", 100, 50, "一"],
                ["2022-05-19", "高沟镇花园村", "高沟镇妇联", 100, 500, "二"],  # breaks a CHECK
            ]
        },
    )
    before = snapshot(store)
    # Let the broken row past validation, so the database itself refuses it mid-transaction.
    monkeypatch.setattr(engine, "check_record", lambda kind, record: [])
    with pytest.raises(HehuError):
        import_file(store, tmp_path / "c.xlsx", report_dir=tmp_path / "out")
    assert snapshot(store) == before  # not even the valid first row
    report = next((tmp_path / "out").glob("*导入报告*.xlsx"))
    assert "写入失败" in str([c.value for c in openpyxl.load_workbook(report)["汇总"]["B"]])


def test_strict_mode_writes_nothing_when_a_row_is_rejected(store, tmp_path):
    path = messy_register(tmp_path / "花名册.xlsx")
    before = snapshot(store)
    report = import_file(store, path, strict=True)
    assert report.strict_refused and report.records_written == 0
    assert snapshot(store) == before


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig", "utf-8"])
def test_csv_registers_in_gbk_or_utf8(store, tmp_path, encoding):
    write_book(tmp_path / "orgs.xlsx", {"组织": org_rows()})
    import_file(store, tmp_path / "orgs.xlsx")
    path = tmp_path / "courses.csv"
    with path.open("w", encoding=encoding, newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["2022年女童保护课程登记表"])
        writer.writerow(
            ["授课日期", "镇街", "村居", "场所", "授课单位", "课程主题", "受教育人次", "女童人数"]
        )
        writer.writerow(
            [
                "2022/5/18",
                "高沟镇",
                "花园村",
                "花园小学",
                "高沟镇妇联",
                "防性侵",
                "１２０人次",
                "60",
            ]
        )
        writer.writerow(["44700", "", "320826101231", "", "高沟镇妇联", "自护", "1,200", ""])
        writer.writerow(["2022年5月20日", "", "尹荡村", "", "高沟镇妇联", "x", "10", ""])
    report = import_file(store, path)
    assert (report.accepted, report.rejected) == (2, 1)
    assert report.errors[0].row == 5 and report.errors[0].column == "村居"
    courses = store.read("course").sort_values("date")
    assert list(courses["date"].dt.date) == [D(2022, 5, 18), D(2022, 5, 19)]
    assert list(courses["place_code"]) == [HUAYUAN_GAOGOU, YINDANG_GAOGOU]
    assert list(courses["attendance"]) == [120, 1200]


def test_excel_serial_dates_and_several_sheets_of_one_kind(store, tmp_path):
    write_book(tmp_path / "orgs.xlsx", {"组织": org_rows()})
    import_file(store, tmp_path / "orgs.xlsx")
    header = ["日期", "村居", "组织", "人次", "主题"]
    write_book(
        tmp_path / "c.xlsx",
        {
            "高沟镇": [header, [44699, "高沟镇花园村", "高沟镇妇联", 30, "a"]],
            "涟城街道": [
                ["涟城街道 2022"],
                [],
                header,
                ["2022.5.18", "东门社区", "帼彤之家维权协会", 40, "b"],
            ],
        },
    )
    report = import_file(store, tmp_path / "c.xlsx")
    assert report.accepted == 2 and [s.kind for s in report.sheets] == ["course", "course"]
    assert set(store.read("course")["date"].dt.date) == {D(2022, 5, 18)}


def test_rows_that_point_at_a_rejected_row_say_so(store, tmp_path):
    write_book(
        tmp_path / "all.xlsx",
        {
            "组织": org_rows(),
            "对象": [["姓名", "身份证号", "村居"], ["张小花", GIRL, "花园村"]],  # ambiguous village
            "结对": [
                ["帮扶组织", "对象姓名", "对象身份证号", "帮扶类型", "开始日期"],
                ["帼彤之家维权协会", "张小花", GIRL, "关爱陪伴", "2022-03-01"],
            ],
        },
    )
    report = import_file(store, tmp_path / "all.xlsx")
    pairing_error = next(e for e in report.errors if e.sheet == "结对")
    assert "工作表“对象”第 2 行" in pairing_error.reason and "被拒绝" in pairing_error.reason
    assert store.count("org") == 2 and store.count("pairing") == 0


def test_a_household_made_by_an_earlier_row_is_the_one_later_rows_find(store, tmp_path):
    # People are built many rows at once, but a household stays what the rows before each row
    # made of it: made by the first row naming its head, kept at that row's village, and not
    # made by a row that was refused.
    kid = [make_id("20100101", f"{n:03d}") for n in range(1, 4)]
    header = ["姓名", "身份证号", "性别", "村居", "户主姓名", "户主身份证号"]
    wrong_sex = "女" if int(kid[1][16]) % 2 else "男"
    rows = [
        ["张小花", GIRL, None, "高沟镇花园村", "张大山", HEAD1],  # makes the household
        ["李四", kid[0], None, "高沟镇尹荡村", "张大山", HEAD1],  # finds it: not moved
        ["赵五", kid[1], wrong_sex, "高沟镇花园村", "王大海", HEAD2],  # refused: makes nothing
        ["孙七", kid[2], None, "高沟镇尹荡村", "王大海", HEAD2],  # makes it
    ]
    write_book(tmp_path / "p.xlsx", {"对象": [header, *rows]})
    report = import_file(store, tmp_path / "p.xlsx")
    assert [(e.row, e.reason) for e in report.errors] == [(4, "性别与身份证号不符")]
    assert "按户主自动新建家庭 2 户" in report.notices
    households = store.read("household")["place_code"]
    assert sorted(households) == sorted([HUAYUAN_GAOGOU, YINDANG_GAOGOU])
    people = store.read("person").set_index("person_id")["household_id"]
    assert len(people) == 3 and people.nunique() == 2


def test_duplicates_within_a_file(store, tmp_path):
    write_book(tmp_path / "orgs.xlsx", {"组织": org_rows()})
    import_file(store, tmp_path / "orgs.xlsx")
    header = ["课程编号", "日期", "村居", "组织", "人次"]
    row = ["K1", "2022-05-18", "高沟镇花园村", "高沟镇妇联", 30]
    write_book(tmp_path / "c.xlsx", {"课程": [header, row, row, ["K1", *row[1:4], 31]]})
    report = import_file(store, tmp_path / "c.xlsx")
    assert (report.accepted, report.rejected, report.skipped) == (1, 1, 1)
    assert report.errors[0].row == 4 and "第 2 行" in report.errors[0].reason
    assert store.count("course") == 1


def test_store_rules_are_row_errors_not_a_failed_import(store, tmp_path):
    write_book(tmp_path / "orgs.xlsx", {"组织": org_rows()})
    import_file(store, tmp_path / "orgs.xlsx")
    write_book(
        tmp_path / "cases.xlsx",
        {
            "接访登记": [
                [
                    "事项编号",
                    "受理日期",
                    "受理单位",
                    "村居",
                    "类别",
                    "状态",
                    "办结日期",
                    "当事人姓名",
                ],
                [
                    "A1",
                    "2022-01-05",
                    "帼彤之家维权协会",
                    "高沟镇",
                    "家庭暴力",
                    "已化解",
                    "",
                    "李某",
                ],
                [
                    "A2",
                    "2022-01-05",
                    "帼彤之家维权协会",
                    "高沟镇",
                    "家庭暴力",
                    "已化解",
                    "2021-12-01",
                    "",
                ],
                [
                    "A3",
                    "2022-01-05",
                    "帼彤之家维权协会",
                    "高沟镇",
                    "婚姻家庭纠纷",
                    "办理中",
                    "",
                    "",
                ],
            ]
        },
    )
    report = import_file(store, tmp_path / "cases.xlsx")
    assert [(e.row, e.column) for e in report.errors] == [(2, "办结日期"), (3, "办结日期")]
    assert list(store.read("case")["case_id"]) == ["A3"]
    assert any("当事人姓名" in n for n in report.notices)


def test_place_figures_update_by_name(store, tmp_path):
    write_book(
        tmp_path / "places.xlsx",
        {
            "村居": [
                ["名称", "儿童数", "留守儿童数", "省定重点帮促村", "纬度"],
                ["高沟镇花园村", 120, 35, "是", None],
                ["东门社区", 80, 5, "否", 33.7],
            ]
        },
    )
    report = import_file(store, tmp_path / "places.xlsx", kind="地点")
    assert report.rejected == 1 and "坐标质量" in report.errors[0].reason
    place = store.read("place").set_index("code").loc[HUAYUAN_GAOGOU]
    assert (place["children"], place["left_behind_children"], bool(place["key_village"])) == (
        120,
        35,
        True,
    )
    assert place["name"] == "花园村"  # updating figures does not rename the place


def test_unrecognised_files_and_sheets(store, tmp_path):
    write_book(tmp_path / "x.xlsx", {"汇总": [["镇街", "备注"], ["高沟镇", "好"]]})
    with pytest.raises(HehuError, match="没有可识别"):
        import_file(store, tmp_path / "x.xlsx")
    (tmp_path / "y.pdf").write_bytes(b"%PDF")
    with pytest.raises(HehuError, match="不支持"):
        import_file(store, tmp_path / "y.pdf")
    write_book(
        tmp_path / "z.xlsx",
        {"课程": [["日期", "村居", "人次", "主题"], ["2022-05-18", "高沟镇", 3, "a"]]},
    )
    report = import_file(store, tmp_path / "z.xlsx", kind="course")
    assert report.rejected == 1 and "缺少必填列：组织" in report.errors[0].reason


# ----------------------------------------------------------------------------------- templates

SAMPLES: dict[str, dict[str, object]] = {
    "place": {"区划代码": HUAYUAN_GAOGOU, "儿童数": 40, "留守儿童数": 12},
    "org": {"组织名称": "帼彤之家维权协会", "类型": "协会", "层级": "县级", "所在地": "涟水县"},
    "household": {"户主姓名": "张大山", "户主身份证号": HEAD1, "村居": "高沟镇花园村", "类别": "单亲家庭"},
    "person": {"姓名": "张小花", "身份证号": GIRL, "村居": "高沟镇花园村", "类别": "留守儿童",
               "户主姓名": "张大山", "户主身份证号": HEAD1},
    "pairing": {"帮扶组织": "帼彤之家维权协会", "对象姓名": "张小花", "对象身份证号": GIRL,
                "帮扶类型": "关爱陪伴", "开始日期": "2022-03-01"},
    "contact": {"对象姓名": "张小花", "对象身份证号": GIRL, "日期": "2022年4月1日", "方式": "上门"},
    "course": {"日期": D(2022, 5, 18), "镇街": "高沟镇", "村居": "花园村", "场所": "花园小学",
               "组织": "帼彤之家维权协会", "主题": "防性侵", "人次": 120, "女童人次": 60},
    "visit": {"日期": "2022.5.18", "户主姓名": "张大山", "户主身份证号": HEAD1,
              "走访单位": "帼彤之家维权协会", "走访原因": "单亲家庭"},
    "screening": {"日期": "2022/5/18", "户主姓名": "张大山", "户主身份证号": HEAD1,
                  "风险类别": "家暴隐患", "风险等级": "高", "跟进期限": "2022-06-01"},
    "case": {"事项编号": "C-2022-001", "受理日期": "2022-05-18", "受理单位": "帼彤之家维权协会",
             "村居": "高沟镇花园村", "类别": "家庭暴力", "状态": "已化解", "办结日期": "2022-05-30"},
    "event": {"日期": "2022-05-15", "村居": "高沟镇", "组织": "帼彤之家维权协会", "活动": "守护花开",
              "形式": "普法宣讲", "受众人次": 80},
    "deliberation": {"日期": "2022-05-18", "村居": "高沟镇花园村", "品牌": "巾帼花", "议题": "托管",
                     "参与人数": 12},
    "protection_measure": {"日期": "2022-05-20", "村居": "高沟镇花园村", "办理单位": "涟水县人民法院",
                           "措施类型": "人身安全保护令", "结果": "已签发", "结果日期": "2022-05-21"},
    "referral": {"事项编号": "C-2022-001", "转介日期": "2022-05-20", "接收单位": "涟水县人民法院"},
    "target": {"指标": "女童保护课程场次", "地点": "涟水县", "年度": 2022, "目标值": 200,
               "来源": "2022年妇联工作要点"},
    "claim": {"文件": "2022年报道", "指标": "course_sessions", "地点": "涟水县",
              "起始日期": "2022-01-01", "截止日期": "2022-12-31", "数值": 200, "容差": "5%"},
    "inspection": {"视察编号": "INS-2022-05-18", "日期": "2022-05-18", "委员会": "县人大常委会教科文卫委",
                   "视察地点": "高沟镇、涟城街道", "被视察单位": "帼彤之家维权协会", "摘要": "视察"},
    "recommendation": {"视察": "2022-05-18", "地点": "涟水县", "内容": "常态化走访",
                       "责任单位": "帼彤之家维权协会", "办理期限": "2022-12-31", "状态": "办理中"},
}  # fmt: skip


def test_every_kind_has_a_template_that_imports_once_filled(store, tmp_path):
    assert list(SAMPLES) == list(KIND_SPECS)
    # the court, for the protection measure and the referral (the org sample is one row)
    court = [["组织名称", "类型", "层级", "所在地"], ["涟水县人民法院", "部门", "县级", "涟水县"]]
    import_file(store, write_book(tmp_path / "court.xlsx", {"组织": court}))
    for kind, sample in SAMPLES.items():
        path = write_template(kind, tmp_path / template_file_name(kind))
        book = openpyxl.load_workbook(path)
        data = book.worksheets[0]
        header = [c.value for c in data[1]]
        assert set(sample) <= set(header), kind
        assert "说明" in book.sheetnames and book["选项"].sheet_state == "hidden"
        for col, name in enumerate(header, start=1):
            if name in sample:
                data.cell(row=2, column=col, value=sample[name])
        book.save(path)
        report = import_file(store, path, report_dir=tmp_path / "reports")
        assert (report.accepted, report.rejected) == (1, 0), (kind, report.errors)
        assert report.sheets[0].kind == kind
    assert store.read("contact")["mode"].tolist() == ["home_visit"]
    assert store.read("target")["place_code"].tolist() == [COUNTY]
    assert store.read("inspection")["places"].tolist() == [f"320826001000;{GAOGOU}"]
    assert store.read("recommendation")["inspection_id"].tolist() == ["INS-2022-05-18"]
    assert store.read("protection_measure")["outcome"].tolist() == ["issued"]
    # the referral is from the case's receiving body, by default
    referral = store.read("referral").iloc[0]
    assert referral["from_org_id"] == store.read("case")["org_id"].iloc[0]


def test_templates_carry_choice_lists_help_and_text_id_columns(tmp_path):
    path = write_template("person", tmp_path / "t.xlsx")
    book = openpyxl.load_workbook(path)
    data = book["对象"]
    header = [c.value for c in data[1]]
    assert header[:3] == ["姓名", "身份证号", "对象编号"]
    validations = {str(v.sqref).split(":")[0][0]: v for v in data.data_validations.dataValidation}
    sex_col = openpyxl.utils.get_column_letter(header.index("性别") + 1)
    assert validations[sex_col].type == "list" and "选项!" in validations[sex_col].formula1
    id_col = header.index("身份证号") + 1
    assert data.cell(row=2, column=id_col).number_format == "@"
    notes = "\n".join(str(c.value) for row in book["说明"].iter_rows() for c in row if c.value)
    assert "留守儿童、困境儿童" in notes and "不会保存" in notes
    choices = [c.value for c in book["选项"]["A"]][1:]
    assert choices == ["女", "男"] or "高沟镇花园村" in str(
        [c.value for col in book["选项"].iter_cols() for c in col]
    )


# ----------------------------------------------------------------------------------- exports


def test_exports_escape_formula_cells(tmp_path):
    import pandas as pd

    frame = pd.DataFrame(
        {"a": ["=1+1", "+86 138", "-x", "@SUM(A1)", "ok", "\t=1"], "n": [-3, 1, 2, 3, 4, 5]}
    )
    xlsx = export_frame(frame, tmp_path / "e.xlsx")
    sheet = openpyxl.load_workbook(xlsx)["数据"]
    cells = [sheet.cell(row=r, column=1) for r in range(2, 8)]
    assert all(c.data_type == "s" for c in cells)  # text, never a formula
    assert [c.value for c in cells] == list(frame["a"])
    assert all(c.quotePrefix for c in cells[:4]) and not cells[4].quotePrefix
    assert sheet.cell(row=2, column=2).value == -3  # numbers stay numbers
    with zipfile.ZipFile(xlsx) as z:
        assert "<f>" not in z.read("xl/worksheets/sheet1.xml").decode()

    path = export_frame(frame, tmp_path / "e.csv")
    rows = list(csv.reader(path.open(encoding="utf-8-sig")))
    assert [r[0] for r in rows[1:]] == ["'=1+1", "'+86 138", "'-x", "'@SUM(A1)", "ok", "'\t=1"]
    assert rows[1][1] == "-3"
    assert safe_cell(5) == 5 and safe_cell("a=b") == "a=b"


def test_the_quarantine_file_escapes_formula_cells_too(store, tmp_path):
    write_book(
        tmp_path / "c.xlsx",
        {
            "课程": [
                ["日期", "村居", "组织", "人次", "主题"],
                ["bad", "高沟镇", "x", 1, "=cmd|' /C calc'!A0"],
            ]
        },
    )
    report = import_file(store, tmp_path / "c.xlsx")
    cell = openpyxl.load_workbook(report.quarantine_path)["课程"]["E2"]
    assert cell.data_type == "s" and cell.value.startswith("=cmd")


# ----------------------------------------------------------------------------------- PostgreSQL


@pytest.mark.postgres
def test_import_and_reimport_on_postgresql(pg_url, tmp_path, home):
    store = open_store(pg_url)
    try:
        load_gazetteer(store)
        path = messy_register(tmp_path / "花名册.xlsx")
        first = import_file(store, path)
        second = import_file(store, path)
        assert first.count("added") == 4 and second.count("unchanged") == 3
        assert store.count("person") == 2 and store.count("household") == 2
    finally:
        store.engine.dispose()


def test_the_reader_keeps_row_numbers_as_excel_shows_them(tmp_path):
    path = write_book(tmp_path / "r.xlsx", {"s": [[None], [None], ["a", "b"], ["x", "y"]]})
    (sheet,) = workbook.read_workbook(path)
    assert sheet.rows[2][:2] == ["a", "b"] and sheet.rows[3][:2] == ["x", "y"]
    assert os.path.getsize(path) > 0


# A real .xls (BIFF8) register, written once with xlwt (not a project dependency) and kept here
# compressed: a title row merged across, Chinese headers, a date cell, an ambiguous village.
XLS_REGISTER = (
    "eNrtWF1IU1Ec/5977+a23IemgQY6hMz8gG1W6IPOgvIpcRqpNTJta4VTY2b4EaUzQZAiiB6SQAx7iMD0JYui8q2HwMiH"
    "Igi08Cl6CIoi1Nv//HfvmmbgoATl/i7nf87/85x7vu99NZ00OzKRPgcrUAoiLMlG0MfIGCajytgA9bLMi2puwCRr2FAw"
    "GnAg9Tp4bH6ZwMeQj/ccCDAuTSEF+IDJC2ehorXFb19H7Kc2NDDehhKkDG6hxAJp1KpkoieJbiV6nyyfEC0jyRWiJWg7"
    "y47CtLsit0iZxbVCFukswONOks87kjghFV7wWXzpGovY6mBf6ExDcIMpMqREGAUc0HJ/iz/EeSvcARNAJ6KgubnA55uF"
    "FBzsUfgm2wG+qqv6uV2Tr6+cAcp/LJcn/EVuwEFcKb8uSAA9IJ+gRdKP+/JtiWskVtc+cMztme9agEmc6gBmTFZgw827"
    "g8+qVWX3+fHB0wMGuQOC0AZGGYPM1JkP64Ddu7pYMTX4vZp1SMB+ejLb5/2ZARFYWWNOjSeAdt0X8qqQt9dbvRPhZIBC"
    "l6PItdflcLoce5xFDoerWA/s7dBwsPzGRPjzEU8A46jVot9gm9VrORXr53TQU1iL2mJvQ58nYOInDu1QtmU7lJlWbiJS"
    "H74SLyfR+rVhFy3c/fL6UGOlu54kPXQqRc6uHbyrQIZe7oHOFtLoojSXPPKIhinqdiqnE01BG8yzK1OVwsE+srlM2mys"
    "p5Aw494ZU87Bcv8nz8OM/o/uXVgeK5/rShl74x6BLDxLfejPnz7IZ/ls6CbHI7eaM2Wfe0807Y89zyDYlLbLygFthUW+"
    "yhFJRJ/SwPPeiTwS+Qir+Ajkw3spwqk9GuEE5MQoJ1IklZOQ0ymtEVeJLFJkvWIvUmQ+kBcFzgn4jsd7BUXHIxuiljyy"
    "UYksrRJZosgmxV6iyFuUyBJFDncKio5HToxaqpHnkWPKUpKgVEiGB/yl8QT5DRNo0KBBgwYNGjRsJvDbD7/yiHQDityD"
    "+V0tQfmvs4hpSftNsmlRBa34nMOPygPQgnkIOuOaP9tAx9RYbI0+6v9CjhqsPQRN0EjtaIp7/uIXEot9nzU72v7dEoq3"
    "/qV42vmf6/8F3s8Rgw=="
)


def test_old_xls_registers(store, tmp_path):
    path = tmp_path / "登记表.xls"
    path.write_bytes(zlib.decompress(base64.b64decode(XLS_REGISTER)))
    report = import_file(store, path)
    assert (report.accepted, report.rejected) == (1, 1)
    assert (report.errors[0].row, report.errors[0].column) == (5, "所在村")
    person = store.read("person").iloc[0]
    assert (person["place_code"], person["birth_year"], person["sex"]) == (
        HUAYUAN_GAOGOU,
        2012,
        "F",
    )


@pytest.mark.parametrize("suffix", [".xls", ".xlsx"])
def test_fallback_readers_give_the_same_import(store, tmp_path, monkeypatch, suffix):
    if suffix == ".xls":
        path = tmp_path / "登记表.xls"
        path.write_bytes(zlib.decompress(base64.b64decode(XLS_REGISTER)))
    else:
        path = messy_register(tmp_path / "花名册.xlsx")

    def outcome():
        report = import_file(store, path, dry_run=True, report_dir=tmp_path / "r")
        errors = [(e.sheet, e.row, e.column, e.reason) for e in report.errors]
        return report.accepted, report.rejected, report.skipped, errors

    with_calamine = outcome()

    def unavailable(path):
        raise RuntimeError("python-calamine cannot read this file")

    monkeypatch.setattr(workbook, "_read_calamine", unavailable)  # xlrd / openpyxl instead
    assert outcome() == with_calamine


def test_a_date_after_the_import_day_is_imported_and_flagged_by_row_and_column(store, tmp_path):
    write_book(tmp_path / "orgs.xlsx", {"组织": org_rows()})
    import_file(store, tmp_path / "orgs.xlsx")
    header = ["日期", "村居", "组织", "人次", "主题"]
    write_book(
        tmp_path / "c.xlsx",
        {
            "课程": [
                header,
                ["2022-05-18", "高沟镇花园村", "高沟镇妇联", 30, "a"],
                ["2032-05-18", "高沟镇花园村", "高沟镇妇联", 40, "b"],  # 2022 mistyped
                ["2026-12-01", "高沟镇花园村", "高沟镇妇联", 50, "c"],  # the import day itself
            ]
        },
    )
    report = import_file(
        store, tmp_path / "c.xlsx", report_dir=tmp_path / "out", today=D(2026, 12, 1)
    )
    assert report.accepted == 3 and report.rejected == 0
    assert [(w.sheet, w.row, w.column) for w in report.warnings] == [("课程", 3, "日期")]
    assert "2032-05-18 晚于导入当天（2026-12-01）" in report.warnings[0].reason
    assert "请核对：工作表“课程”第 3 行“日期”" in report.summary_text()
    book = openpyxl.load_workbook(report.report_path)
    assert [c.value for c in book["待核对"][2]][:3] == ["课程", 3, "日期"]


def test_a_personal_number_in_the_file_name_never_reaches_the_audit_log(store, tmp_path):
    """The audit log keeps each import's file name for good (it refuses deletion): a clerk who
    names the file after a child's ID card must not put the number there (an audit found it
    kept as written)."""
    number = "320826199001011231"
    assert pseudonym.personal_numbers(number) == [number]
    path = write_book(tmp_path / f"组织_{number}.xlsx", {"组织": org_rows()})
    import_file(store, path)
    said = " ".join(store.read("audit_log")["what"].astype(str))
    assert "组织_….xlsx" in said and number not in said


def test_the_report_never_repeats_a_number_from_the_file_sheet_or_header_names(store, tmp_path):
    """A file, a sheet and an unrecognised column named with a phone number: the report (its
    summary, notices, rows, file names) and the page say them without it (an audit found all
    three in the report and its file name, while the audit log hid the file's)."""
    in_file, in_sheet, in_header = "13912340000", "13912349999", "13912348888"
    rows = [[*row, f"备注{in_header}" if n == 0 else "无"] for n, row in enumerate(org_rows())]
    rows.append(
        ["", "协会", "县级", "涟水县", "无"]
    )  # a row refused: the 错误明细 sheet names its sheet
    path = write_book(tmp_path / f"组织_张三{in_file}.xlsx", {f"组织{in_sheet}": rows})
    report = import_file(store, path, report_dir=tmp_path / "reports")
    assert report.accepted == 2 and report.rejected == 1
    said = [report.summary_text(), report.source, *report.notices, str(report.report_path)]
    said += [str(report.quarantine_path), *(f"{e.sheet} {e.column}" for e in report.errors)]
    for frame in (report.summary_frame(), report.errors_frame()):
        said.append(frame.to_csv())
    book = openpyxl.load_workbook(report.report_path)
    said += [str(c.value) for sheet in book for row in sheet.iter_rows() for c in row]
    said = "\n".join(said)
    assert "组织…" in said and "备注…" in said and "组织_张三…" in said
    for number in (in_file, in_sheet, in_header):
        assert number not in said


def test_a_reason_never_repeats_a_personal_number_from_another_cell(store, tmp_path):
    """An ID number typed in 镇街 is refused there without being repeated, and the 村居 reason,
    which names the town it was looked for in, did repeat it in full (an audit found it)."""
    number = make_id()
    rows = [
        ["姓名", "身份证号", "镇街", "村居", "类别"],
        ["张小花", make_id(seq="004"), number, "花园村", "留守儿童"],
    ]
    report = import_file(store, write_book(tmp_path / "名册.xlsx", {"对象": rows}))
    reasons = " ".join(e.reason for e in report.errors)
    assert report.rejected == 1 and "身份证号" in reasons and number not in reasons, reasons


def test_records_on_a_hidden_sheet_are_said_not_imported_unseen(store, tmp_path):
    """A hidden sheet holds choice lists, mostly; one that holds records was dropped without a
    word (an audit found it): the import says so, and still imports only what is shown."""
    path = write_book(
        tmp_path / "组织.xlsx",
        {"组织": org_rows(), "旧组织": org_rows(), "选项": [["妇联"], ["其他"]]},
    )
    book = openpyxl.load_workbook(path)
    book["旧组织"].sheet_state = "hidden"
    book["选项"].sheet_state = "veryHidden"
    book.save(path)
    report = import_file(store, path)
    assert report.accepted == len(org_rows()) - 1 and [s.name for s in report.sheets] == ["组织"]
    said = [n for n in report.notices if "隐藏" in n]
    assert said == [
        "隐藏的工作表“旧组织”像是组织表，未导入；如需导入，请在 Excel 中取消隐藏后再导入"
    ]


def test_a_re_import_that_changes_nothing_keeps_the_data_version(store, tmp_path):
    """Every page's figures are made again for a new data version (a province's in half an
    hour): a re-import that finds every record unchanged made one anyway (an audit found it).
    It still says in the audit log that it ran."""
    path = write_book(tmp_path / "组织.xlsx", {"组织": org_rows()})
    import_file(store, path)
    version, audited = store.data_version(), len(store.read("audit_log"))
    again = import_file(store, path)
    assert again.records_written == 0 and again.count("unchanged") == len(org_rows()) - 1
    assert store.data_version() == version and len(store.read("audit_log")) == audited + 1
    store.write({"org": [{**store.read("org").iloc[0].dropna().to_dict(), "name": "改名"}]})
    assert store.data_version() == version + 1  # a record changed: a new version
