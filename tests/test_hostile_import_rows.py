"""Hostile and careless rows: personal data outside its columns, control characters, numbers too
large to store, a report that cannot be written, imports running at once.

Every register is a real file imported into a real SQLite store; each test says what the clerk
(or the attacker) did and asserts what they get: the row refused with its row and column and a
reason that does not repeat what was written, or the value cleaned and said, and the database
holding only what it should.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from test_import_support import make_id, org_rows, snapshot, write_book

from hehu.cli.main import main
from hehu.errors import HehuError
from hehu.importing import import_file
from hehu.importing.engine import PAUSE_ENV
from hehu.importing.templates import export_frame, write_template
from hehu.records.schema import RECORD_TABLES
from hehu.records.store import open_store

pytest_plugins = ["test_import_support"]  # fixtures: home, db_url, store
REPO = Path(__file__).resolve().parents[1]

CHILD_ID = make_id("20120518", "002")
HEAD_ID = make_id("19800101", "013")
PHONE = "13812345678"
PERSONAL = "含身份证号/手机号，请删除后再导入"


def write_csv(path: Path, rows: list[list]) -> Path:
    """A CSV exactly as written (control characters and all), UTF-8 as Excel saves it."""
    text = "\n".join(",".join(str(v) for v in row) for row in rows) + "\n"
    path.write_bytes(text.encode("utf-8-sig"))
    return path


def stored_text(store) -> str:
    """Every value of every record table, as one text to search for leaked numbers."""
    with store.engine.connect() as conn:
        return " ".join(
            str(v)
            for table in RECORD_TABLES.values()
            for row in conn.execute(sa.select(table))
            for v in row
        )


def workbook_text(path: Path) -> str:
    """Every cell of an .xlsx, as one text."""
    book = openpyxl.load_workbook(path, read_only=True)
    return " ".join(
        str(v) for sheet in book for row in sheet.iter_rows(values_only=True) for v in row if v
    )


def with_orgs(store, tmp_path) -> None:
    import_file(store, write_book(tmp_path / "orgs.xlsx", {"组织": org_rows()}))


# ============================================================ (a) personal data outside its columns


def test_an_id_or_phone_typed_as_a_code_becomes_a_pseudonym_and_references_still_find_it(
    store, tmp_path
):
    with_orgs(store, tmp_path)
    people = [
        ["对象编号", "性别", "出生年份", "村居", "家庭编号"],
        [CHILD_ID, "女", 2012, "高沟镇花园村", "138-1234-5678"],
    ]
    pairings = [
        ["帮扶组织", "对象编号", "帮扶类型", "开始日期"],
        # the same ID number, written with spaces: the same person
        [
            "帼彤之家维权协会",
            f"{CHILD_ID[:6]} {CHILD_ID[6:14]} {CHILD_ID[14:]}",
            "圆梦助学",
            "2022-03-01",
        ],
    ]
    book = write_book(
        tmp_path / "名册.xlsx", {"对象": people, "结对": pairings}, text_columns={"对象": [1, 5]}
    )
    report = import_file(store, book)
    assert report.rejected == 0, report.errors
    person = store.read("person").iloc[0]
    assert person["person_id"].startswith("P-") and person["household_id"].startswith("H-")
    assert store.read("pairing").iloc[0]["person_id"] == person["person_id"]
    text = stored_text(store)
    assert CHILD_ID not in text and PHONE not in text and "1234-5678" not in text
    # Stable: the same register again changes nothing and makes no second person.
    again = import_file(store, book)
    assert again.count("added") == 0 and store.count("person") == 1


def test_a_register_keyed_by_hehus_own_ids_finds_them_even_with_a_phone_shaped_run(store, tmp_path):
    """About one pseudonym in 1,600 holds a run of 11 decimal digits from 13 ("P-13855583195c5793"):
    it is an identifier, not a number, and a register that names it finds the person."""
    with_orgs(store, tmp_path)
    own = "P-13855583195c5793"
    store.write({"person": [{"person_id": own, "place_code": "320826101211", "sex": "F",
                             "birth_year": 2012, "categories": "left_behind_child"}]})  # fmt: skip
    pairings = [
        ["帮扶组织", "对象编号", "帮扶类型", "开始日期"],
        ["帼彤之家维权协会", own, "圆梦助学", "2022-03-01"],
    ]
    report = import_file(store, write_book(tmp_path / "结对.xlsx", {"结对": pairings}))
    assert report.rejected == 0, report.errors
    assert store.read("pairing").iloc[0]["person_id"] == own


def test_a_phone_number_in_the_shape_of_an_id_the_store_does_not_hold_is_never_stored(
    store, tmp_path
):
    """Only an identifier the store holds is taken as one: 138 1234 5678 written as
    "P-13812345678abcde" is a code holding a number, made a pseudonym like any other."""
    disguised = f"P-{PHONE}abcde"
    people = [["对象编号", "性别", "出生年份", "村居"], [disguised, "女", 2012, "高沟镇花园村"]]
    report = import_file(store, write_book(tmp_path / "名册.xlsx", {"对象": people}))
    assert report.rejected == 0, report.errors
    stored = store.read("person")["person_id"].tolist()
    assert len(stored) == 1 and stored[0] != disguised and PHONE not in stored_text(store)


def test_a_name_typed_into_a_code_beside_the_name_column_is_never_stored(store, tmp_path):
    # A register that names its people checks every code against the name and ID number it
    # hashes them from: a code holding the name ("张大山家") is refused, never stored.
    with_orgs(store, tmp_path)
    heads = [
        ["家庭编号", "户主姓名", "户主身份证号", "村居"],
        ["张大山家", "张大山", HEAD_ID, "高沟镇花园村"],
    ]
    report = import_file(store, write_book(tmp_path / "家庭.xlsx", {"家庭": heads}))
    assert [(e.row, e.column) for e in report.errors] == [(2, "家庭编号")]
    assert "张大山" not in " ".join(e.reason for e in report.errors)
    assert store.count("household") == 0 and "张大山" not in stored_text(store)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("主题", f"张三 {CHILD_ID} 电话{PHONE}"),
        ("场所", "+86 139 1234 5678家"),
        ("场所", "１３８ １２３４ ５６７８"),  # full-width, as an IME types it
        ("主题", f"户主{HEAD_ID[:6]}-{HEAD_ID[6:14]}-{HEAD_ID[14:]}"),
        ("村居", PHONE),
        ("人次", PHONE),
    ],
)
def test_an_id_or_phone_in_free_text_is_refused_and_never_repeated(store, tmp_path, column, value):
    with_orgs(store, tmp_path)
    header = ["日期", "村居", "组织", "主题", "场所", "人次"]
    good = ["2022-05-01", "高沟镇花园村", "高沟镇妇联", "女童保护", "花园小学", 30]
    bad = ["2022-05-02", "高沟镇花园村", "高沟镇妇联", "女童保护", "花园小学", 20]
    bad[header.index(column)] = value
    rows = [header, good, bad, [f"填表人：张三 {PHONE}"]]
    path = write_csv(tmp_path / "课程.csv", rows)
    report = import_file(store, path)
    assert report.accepted == 1 and report.rejected == 1
    assert [(e.row, e.column, e.reason) for e in report.errors] == [(3, column, PERSONAL)]
    assert store.count("course") == 1
    digits = (CHILD_ID, HEAD_ID[6:14], PHONE, "1234", "5678")
    said = report.summary_text() + workbook_text(report.report_path)
    assert not [d for d in digits if d in said] and "张三" not in said
    courses = [str(v) for v in store.read("course").to_numpy().ravel()]
    assert not [d for d in digits for v in courses if d in v]
    # The quarantine keeps the row as written, for its owner only.
    assert (report.quarantine_path.stat().st_mode & 0o777) == 0o600


def test_numbers_that_only_look_personal_are_kept(store, tmp_path):
    with_orgs(store, tmp_path)
    case_no = "320826202205180001"  # 18 digits, a date inside, but not a valid ID number
    cases = [
        ["事项编号", "受理日期", "受理单位", "村居", "类别", "状态"],
        [case_no, "2022-05-18", "高沟镇妇联", "高沟镇花园村", "婚姻家庭纠纷", "办理中"],
    ]
    places = [
        ["区划代码", "纬度", "经度", "坐标质量"],
        ["320826101211", 33.13812345678, 119.2, "近似位置"],
    ]
    book = write_book(
        tmp_path / "杂.xlsx", {"维权": cases, "地点": places}, text_columns={"维权": [1]}
    )
    report = import_file(store, book)
    assert report.rejected == 0, report.errors
    assert store.read("case").iloc[0]["case_id"] == case_no


# ============================================================ (c) control characters


def test_control_characters_are_dropped_said_and_never_reach_an_export(store, tmp_path):
    orgs = [
        ["组织名称", "类型", "层级", "所在地"],
        ["帼彤\x07之家", "协会", "县级", "涟水县"],
        ["\x00高沟镇\u202e妇联\x1b[0m", "妇联", "镇级", "高沟镇"],
    ]
    report = import_file(store, write_csv(tmp_path / "组织.csv", orgs))
    assert report.accepted == 2
    assert sorted(store.read("org")["name"]) == sorted(["帼彤之家", "高沟镇妇联[0m"])
    assert [(w.row, w.column, w.reason) for w in report.warnings] == [
        (2, "组织名称", "已删除不可见的控制字符"),
        (3, "组织名称", "已删除不可见的控制字符"),
    ]
    # The template lists the organisations; an export writes what is stored.
    write_template("course", tmp_path / "课程模板.xlsx", store)
    export_frame(store.read("org"), tmp_path / "组织.xlsx")


def test_a_control_character_stored_before_does_not_stop_an_export(store, tmp_path):
    store.write(
        {
            "org": [
                {
                    "org_id": "O-old",
                    "name": "旧\x07妇联",
                    "kind": "federation",
                    "level": "town",
                    "place_code": "320826101000",
                }
            ]
        }
    )
    write_template("course", tmp_path / "课程模板.xlsx", store)
    export_frame(store.read("org"), tmp_path / "组织.xlsx")
    assert "旧妇联" in workbook_text(tmp_path / "组织.xlsx")


def test_a_rejected_row_with_a_control_character_still_gets_its_report(
    db_url, home, tmp_path, capsys
):
    store = open_store(db_url)
    with_orgs(store, tmp_path)
    rows = [
        ["日期", "村居", "组织", "主题", "人次"],
        ["2022-05-01", "高沟镇花园村", "高沟镇妇联", "女童保护", 30],
        ["2022-05-02", "高沟镇花园村", "高沟镇妇联", "主题\x07", "很多"],
    ]
    path = write_csv(tmp_path / "课程.csv", rows)
    assert main(["import", str(path), "--db", db_url]) == 1
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "第 3 行，列“人次”" in out
    quarantine = next(tmp_path.glob("课程_待修正行_*.xlsx"))
    assert "主题" in workbook_text(quarantine) and "\x07" not in workbook_text(quarantine)
    assert store.count("course") == 1


def test_a_report_that_cannot_be_written_stops_the_import_before_anything_is_written(
    store, tmp_path
):
    with_orgs(store, tmp_path)
    before = snapshot(store)
    path = write_csv(
        tmp_path / "课程.csv",
        [["日期", "村居", "组织", "人次"], ["2022-05-01", "高沟镇花园村", "高沟镇妇联", 30]],
    )
    blocked = tmp_path / "reports"
    blocked.write_text("a file where the report folder should be")
    with pytest.raises(HehuError, match="无法写入导入报告") as caught:
        import_file(store, path, report_dir=blocked)
    assert caught.value.zh.endswith("未写入任何数据") and "\n" not in caught.value.zh
    assert snapshot(store) == before


# ============================================================ (d) numbers too large


@pytest.mark.parametrize("count", ["1e308", "99999999999999999999", 1e308, 10**12])
def test_a_count_too_large_to_store_is_a_row_error(db_url, home, tmp_path, capsys, count):
    store = open_store(db_url)
    with_orgs(store, tmp_path)
    rows = [
        ["日期", "村居", "组织", "人次"],
        ["2022-05-01", "高沟镇花园村", "高沟镇妇联", 30],
        ["2022-05-02", "高沟镇花园村", "高沟镇妇联", count],
    ]
    path = write_book(tmp_path / "课程.xlsx", {"课程": rows})
    assert main(["import", str(path), "--db", db_url]) == 1
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    assert "工作表“课程”第 3 行，列“人次”：数值过大" in out
    assert store.count("course") == 1


# ============================================================ (e) counts of imports at once


def test_two_imports_at_once_count_only_what_their_own_transaction_added(db_url, home, tmp_path):
    os.chmod(db_url.removeprefix("sqlite:///"), 0o600)
    store = open_store(db_url)
    with_orgs(store, tmp_path)
    store.engine.dispose()
    rows = [["日期", "村居", "组织", "课程编号", "人次"]]
    rows += [["2022-05-01", "高沟镇花园村", "高沟镇妇联", f"K{i}", 10] for i in range(50)]
    path = write_book(tmp_path / "课程.xlsx", {"课程": rows})
    env = {**os.environ, "HEHU_HOME": str(home)}

    def command(folder: str) -> list[str]:
        return [sys.executable, "-m", "hehu.cli", "import", str(path), "--db", db_url,
                "--report-dir", str(tmp_path / folder)]  # fmt: skip

    first = subprocess.Popen(
        command("first"),
        cwd=REPO,
        env={**env, PAUSE_ENV: "4"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    inside = threading.Event()

    def watch():
        for line in first.stderr:
            if "HEHU-IN-TRANSACTION" in line:
                inside.set()

    threading.Thread(target=watch, daemon=True).start()
    assert inside.wait(120)
    # The second import reads the store while the first is inside its transaction.
    second = subprocess.run(command("second"), cwd=REPO, env=env, capture_output=True, text=True)
    assert first.wait(120) == 0 and second.returncode == 0, second.stderr
    audit = open_store(db_url).read("audit_log")
    added = [
        json.loads(w[w.index("{") :])["values"]["added"]
        for w in audit["what"]
        if '"import"' in w and "课程.xlsx" in w
    ]
    assert sorted(added) == [0, 50]
    # What each says, on the screen and in its report, is what its own transaction did.
    said = {"first": first.stdout.read(), "second": second.stdout}
    for folder in ("first", "second"):
        report_file = next((tmp_path / folder).glob("课程_导入报告_*.xlsx"))
        summary = dict(openpyxl.load_workbook(report_file)["汇总"].iter_rows(values_only=True))
        new = summary["新增记录"]
        assert f"新增 {new}，" in said[folder]
        assert new == (50 if folder == "first" else 0), (folder, summary)


# ============================================================ (f) a full disk


def test_a_full_disk_is_one_line_and_leaves_the_database_as_it_was(db_url, home, tmp_path):
    # The disk fills while the import writes: the database file may not grow past its size
    # now (RLIMIT_FSIZE; SIGXFSZ ignored, so the write fails with EFBIG as on a full disk).
    store = open_store(db_url)
    with_orgs(store, tmp_path)
    before = snapshot(store)
    store.engine.dispose()
    rows = [["日期", "村居", "组织", "课程编号", "人次", "主题"]]
    rows += [
        ["2022-05-01", "高沟镇花园村", "高沟镇妇联", f"K{i}", 10, "自护" * 40] for i in range(3000)
    ]
    path = write_book(tmp_path / "课程.xlsx", {"课程": rows})
    database = Path(db_url.removeprefix("sqlite:///"))
    limit = database.stat().st_size + 64 * 1024  # room for the report file, not for 3,000 rows

    def full_disk():
        import resource
        import signal

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    done = subprocess.run(
        [sys.executable, "-m", "hehu.cli", "import", str(path), "--db", db_url,
         "--report-dir", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=300, preexec_fn=full_disk,
        env={**os.environ, "HEHU_HOME": str(home)},
    )  # fmt: skip
    assert done.returncode != 0
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    errors = [line for line in done.stderr.splitlines() if line.startswith("错误")]
    assert len(errors) == 1 and "写入数据库失败，未写入任何数据" in errors[0], done.stderr[-2000:]
    assert snapshot(open_store(db_url)) == before
