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

    Exit 1 while something found is still stored where it can be put right (cleaned by --clean,
    or a record to import again); the append-only audit log is only reported."""
    from dataclasses import asdict

    from hehu.accounts import cli_actor
    from hehu.records.store import open_store
    from hehu.records.stored_text import (
        CLEAN,
        REIMPORT,
        REPORTED,
        check_stored_text,
        clean_stored_text,
    )

    store = open_store(args.db, create=False)
    if args.clean:
        findings = clean_stored_text(store, actor=cli_actor())
    else:
        findings = check_stored_text(store)
    left = [f for f in findings if f.action == REIMPORT or (f.action == CLEAN and not args.clean)]
    if args.json:
        print(json.dumps([asdict(f) for f in findings], ensure_ascii=False))
        return 1 if left else 0
    if not findings:
        print("已保存的文字中没有身份证号、手机号或不可见字符 / no stored text to clean")
        return 0
    outcome = {
        CLEAN: "已清理" if args.clean else "可清理",
        REIMPORT: "是编号或引用，不能自动清理",
        REPORTED: "在操作日志中，只追加不改写",
    }
    for f in findings:
        print(f"{f.table}.{f.column}：{f.numbers} 条含身份证号或手机号，{f.controls} 条含不可见字符，"
              f"{outcome[f.action]}")  # fmt: skip
    if not args.clean and any(f.action == CLEAN for f in findings):
        print(
            "运行 hehu stored-text --clean 把号码改写为“…”并删去不可见字符 / run with --clean to clean"
        )
    if any(f.action == REIMPORT for f in findings):
        print(
            "编号或引用不能自动改写：请删除这些记录后重新导入（导入会把含号码的编号转为匿名编号、"
            "删去不可见字符） / identifiers and references are not rewritten: delete those "
            "records and import them again",
            file=sys.stderr,
        )
    return 1 if left else 0
