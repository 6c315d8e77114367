"""The `hehu template` and `hehu import` commands (registered through hehu.cli.main.COMMAND_MODULES)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from hehu.errors import HehuError

MAX_ERRORS_SHOWN = 20


def add_commands(subparsers, add_db, commands: dict) -> None:
    """Add the `template` and `import` parsers and register their functions in `commands`."""
    from hehu.importing.kinds import KIND_SPECS

    kinds = "、".join(f"{k}（{s.zh}）" for k, s in KIND_SPECS.items())
    p = subparsers.add_parser(
        "template",
        help="生成 Excel 导入模板 / write an .xlsx import template",
        description=f"生成导入模板（含说明页和下拉选项）。类型：{kinds}，或 all",
    )
    add_db(p)
    p.add_argument(
        "kind", metavar="KIND", help="记录类型（英文或中文，或 all） / record kind or all"
    )
    p.add_argument(
        "-o",
        "--output",
        metavar="PATH",
        help="输出文件（all 时为文件夹；默认当前目录） / output file (a folder for all)",
    )

    p = subparsers.add_parser(
        "import",
        help="从 Excel 或 CSV 导入登记表 / import a register from Excel or CSV",
        description="导入登记表：校验每一行，有效行一次全部写入（要么全部写入，要么都不写入），问题行另存待修正文件。"
        "退出码：0 全部通过，1 有被拒绝的行，2 出错未导入。",
    )
    add_db(p)
    p.add_argument("file", metavar="FILE", help="登记表（.xlsx、.xls、.csv） / register file")
    p.add_argument(
        "--kind",
        metavar="KIND",
        help="记录类型（默认按表头自动识别） / record kind (default: detected from the headers)",
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="试导入：只校验并生成报告，不写入数据库 / validate and report, write nothing",
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="有任何被拒绝的行就什么也不写 / write nothing if any row is rejected",
    )
    p.add_argument(
        "--report-dir",
        metavar="DIR",
        help="报告和待修正文件的位置（默认与登记表同一文件夹） / where the report goes",
    )
    p.add_argument(
        "--actor", metavar="NAME", help="审计日志中的操作人 / who imports, for the audit log"
    )
    commands["template"] = cmd_template
    commands["import"] = cmd_import


def cmd_template(args: argparse.Namespace) -> int:
    """Write one template (or all of them)."""
    from hehu.importing.kinds import KIND_SPECS, resolve_kind
    from hehu.importing.templates import template_file_name, write_template

    store = _optional_store(args.db)
    if args.kind.strip().lower() == "all":
        folder = Path(args.output or ".")
        folder.mkdir(parents=True, exist_ok=True)
        for kind in KIND_SPECS:
            path = write_template(kind, folder / template_file_name(kind), store)
            print(f"已生成模板 / template written: {path}")
        return 0
    kind = resolve_kind(args.kind)
    path = Path(args.output) if args.output else Path(template_file_name(kind))
    if path.is_dir():
        path = path / template_file_name(kind)
    write_template(kind, path, store)
    print(f"已生成模板 / template written: {path}")
    return 0


def _optional_store(url):
    """The store if one exists (its places and organisations fill the choice lists), else None."""
    from hehu.records.store import open_store

    try:
        return open_store(url, create=False)
    except HehuError:
        return None


def cmd_import(args: argparse.Namespace) -> int:
    """Import (or dry-run) a register; print the summary, the first errors and the report paths."""
    from hehu.importing.engine import import_file
    from hehu.records.store import open_store

    store = open_store(args.db, create=False, migrate=not args.dry_run)
    report = import_file(
        store,
        args.file,
        kind=args.kind,
        dry_run=args.dry_run,
        strict=args.strict,
        report_dir=args.report_dir,
        actor=args.actor,
        progress=_StderrProgress(),
    )
    print(report.summary_text())
    for error in report.errors[:MAX_ERRORS_SHOWN]:
        print(f"  工作表“{error.sheet}”第 {error.row} 行，列“{error.column}”：{error.reason}")
    if len(report.errors) > MAX_ERRORS_SHOWN:
        print(f"  …… 另有 {len(report.errors) - MAX_ERRORS_SHOWN} 条，见导入报告")
    print(f"导入报告 / report: {report.report_path}")
    if report.quarantine_path:
        print(f"待修正行 / quarantine: {report.quarantine_path}")
    return 1 if report.rejected else 0


class _StderrProgress:
    """Progress lines on stderr, at most a few a second, so a long import shows it is alive."""

    def __init__(self, interval: float = 0.5):
        self.interval = interval
        self.last = 0.0

    def __call__(self, fraction: float, message: str) -> None:
        now = time.monotonic()
        if fraction in (0.0, 1.0) or now - self.last >= self.interval or "写入" in message:
            self.last = now
            print(f"[{fraction * 100:5.1f}%] {message}", file=sys.stderr, flush=True)
