"""`hehu stored-text`: stored text read again under today's rules (hehu/records/stored_text.py)."""

from __future__ import annotations

import json
import sys


def add_commands(subparsers, add_db, commands) -> None:
    """Add `stored-text` to the command line."""
    p = subparsers.add_parser(
        "stored-text",
        help="检查已保存的文字是否含身份证号、手机号或不可见字符（--clean 清理） "
        "/ check stored text for personal numbers and control characters",
    )
    add_db(p)
    p.add_argument(
        "--clean",
        action="store_true",
        help="将号码改写为“…”、删去不可见字符（记入操作日志） / rewrite what is found",
    )
    p.add_argument("--json", action="store_true", help="以 JSON 输出 / print JSON")
    commands["stored-text"] = cmd_stored_text


def cmd_stored_text(args) -> int:
    """Say what stored text today's rules would refuse or clean; with --clean, clean it.

    Exit 1 while something found is still stored where it can be put right (by --clean, or by
    a person: a code whose pseudonym another record holds, another reference); the append-only
    audit log is only reported."""
    from dataclasses import asdict

    from hehu.accounts import cli_actor
    from hehu.records.store import open_store
    from hehu.records.stored_text import (
        CLEAN,
        REIMPORT,
        REKEY,
        REPORTED,
        check_stored_text,
        clean_stored_text,
        import_key,
    )

    store = open_store(args.db, create=False)
    no_key = ""
    if args.clean:
        key, no_key = import_key(store)
        findings = clean_stored_text(store, actor=cli_actor(), key=key)
        remaining = check_stored_text(store) if findings else []
    else:
        findings = remaining = check_stored_text(store)
    left = [f for f in remaining if f.action != REPORTED]
    if args.json:
        print(json.dumps([asdict(f) for f in findings], ensure_ascii=False))
        return 1 if left else 0
    if not findings:
        print("已保存的文字中没有身份证号、手机号或不可见字符 / no stored text to clean")
        return 0
    outcome = {
        CLEAN: "已清理" if args.clean else "可清理",
        REKEY: "是编号或指向编号，"
        + ("已改为导入时所用的编号" if args.clean else "可改为导入时所用的编号"),
        REIMPORT: "是引用，不能自动清理",
        REPORTED: "在操作日志中，只追加不改写",
    }
    still = {(f.table, f.column) for f in left}
    for f in findings:
        done = "未能全部改写（见下）" if args.clean and (f.table, f.column) in still else ""
        print(f"{f.table}.{f.column}：{f.numbers} 条含身份证号或手机号，{f.controls} 条含不可见字符，"
              f"{done or outcome[f.action]}")  # fmt: skip
    if not args.clean and any(f.cleanable for f in findings):
        print(
            "运行 hehu stored-text --clean 把号码改写为“…”、删去不可见字符，并把含号码的编号改为"
            "导入时所用的匿名编号（指向它的记录一并更新） / run with --clean to clean"
        )
    if args.clean and any(f.action == REKEY for f in left):
        reasons = [f"{no_key}（请在导入登记表的电脑上运行本命令）"] if no_key else []
        reasons += [
            "它应改为的编号已被另一条记录使用（可能是同一对象后来又导入了一次）",
            "导入时会把它读作空",
            "列表中的编号没有对应的记录",
        ]
        print(
            f"有编号未改写，请核对。可能的原因：{'；'.join(reasons)} / a code was not rewritten",
            file=sys.stderr,
        )
    if any(f.action == REIMPORT for f in left):
        print(
            "引用不能自动改写：请删除这些记录后重新导入 / references are not rewritten: delete "
            "those records and import them again",
            file=sys.stderr,
        )
    return 1 if left else 0
