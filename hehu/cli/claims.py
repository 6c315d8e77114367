"""`hehu check-claims`: check a work report's figures against the records (报告数据核对)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable

from hehu.cli import say_if_nothing_recorded
from hehu.records import vocab

# Exit codes: 0 every row was checked (whatever the statuses), 1 some rows of the file could
# not be read (reported per row), 2 a user error (unreadable file, no database).
EXIT_ROWS_INVALID = 1


def add_commands(
    subparsers: argparse._SubParsersAction,
    add_db: Callable[[argparse.ArgumentParser], None],
    commands: dict[str, Callable[[argparse.Namespace], int]],
) -> None:
    """Add `check-claims` to the `hehu` command."""
    parser = subparsers.add_parser(
        "check-claims",
        help="用记录核对工作报告中的数字 / check a work report's figures against the records",
        description=(
            "逐条核对报告数据文件（CSV 或 xlsx：文件、指标、地点、起始日期、截止日期、数值、容差）。"
            "结果：相符、在容差内、记录不支持、无相关记录、文件有误。"
            "退出码：0 全部已核对；1 有行无法读取；2 文件或数据库错误。 / "
            "Check every claim of a claims file (CSV or xlsx: document, metric, place, "
            "period_start, period_end, value, tolerance). Statuses: matched, within_tolerance, "
            "not_supported, no_records, invalid. Exit 0 all rows checked, 1 some rows "
            "unreadable, 2 file or database error."
        ),
    )
    parser.add_argument("file", metavar="FILE", help="报告数据文件 / claims file (CSV or xlsx)")
    add_db(parser)
    parser.add_argument(
        "--json", action="store_true", help="输出 JSON，每条一行 / print JSON, one claim a line"
    )
    commands["check-claims"] = cmd_check_claims


def cmd_check_claims(args: argparse.Namespace) -> int:
    """Run the check and print one result per claim."""
    from hehu.figures.cache import PageRecords
    from hehu.oversight.claims import check_claims, read_claims_table
    from hehu.records.store import open_store

    table = read_claims_table(args.file)  # file errors fail before the database is touched
    records = PageRecords(open_store(args.db, create=False))
    results = check_claims(records, table)
    say_if_nothing_recorded(records.store)
    if args.json:
        # A JSON array with one claim per line: readable, and json.loads takes it whole.
        lines = [json.dumps(r.as_dict(), ensure_ascii=False) for r in results]
        print("[\n" + ",\n".join(lines) + "\n]" if lines else "[]")
    else:
        print(format_results(results))
    return EXIT_ROWS_INVALID if any(r.status == "invalid" for r in results) else 0


def format_results(results) -> str:
    """The results as a tab-separated table in Chinese, with a count per status at the end."""
    from hehu.oversight.claims import STATUSES, status_label

    head = "行\t指标\t地点\t期间\t报告数值\t核算数值\t结果"
    lines = [head]
    for r in results:
        metric = vocab.label(vocab.METRICS, r.metric) if r.metric in vocab.METRICS else r.metric
        period = f"{r.period_start} 至 {r.period_end}" if r.period_end else r.period_start
        value = r.as_dict()
        status = status_label(r.status)
        if r.error:
            status += f"：{r.error}"
        lines.append(
            "\t".join(
                str(x)
                for x in (
                    r.row,
                    metric,
                    r.place_name or r.place_code,
                    period,
                    "" if value["claimed"] is None else value["claimed"],
                    "" if value["computed"] is None else value["computed"],
                    status,
                )
            )
        )
    counts = {s: sum(r.status == s for r in results) for s in STATUSES}
    lines.append(
        "合计："
        + "，".join(f"{status_label(s)} {n}" for s, n in counts.items() if n)
        + f"（共 {len(results)} 条）"
    )
    return "\n".join(lines)
