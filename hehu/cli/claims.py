"""`hehu check-claims`: check a work report's figures against the records (报告数据核对)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable

from hehu.cli import say_if_nothing_recorded
from hehu.errors import HehuError
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
    add_extract_command(subparsers, add_db, commands)


def add_extract_command(subparsers, add_db, commands) -> None:
    """Add `extract-claims` to the `hehu` command."""
    parser = subparsers.add_parser(
        "extract-claims",
        help="从报告文字中提取待核对的数字 / propose claims from a work report's text",
        description=(
            "读取报告正文（UTF-8 或 GB18030 文本，简体或繁体），逐句找出数字及其指标、地点、期间"
            "（“年均”按年拆分），输出报告数据文件的各列；--out 写成 CSV，可直接用 hehu check-claims "
            "核对。“以来”“今年”的数字截至报告日期的前一日。退出码：0 已提取；2 文件或数据库错误。 / "
            "Read a report's text (UTF-8 or GB18030, Simplified or Traditional), find each figure "
            "with its metric, place and period (a yearly average as one claim a year), and print "
            "them in the claims file's columns; --out writes a CSV for hehu check-claims. Figures "
            "'to date' count to the day before the report date. Exit 0 done, 2 file or database "
            "error."
        ),
    )
    parser.add_argument("file", metavar="FILE", help="报告文字文件 / the report's text (.txt)")
    add_db(parser)
    parser.add_argument(
        "--report-date",
        metavar="YYYY-MM-DD",
        help="报告日期（默认取正文开头的日期，否则今天） / the report's date "
        "(default: a date in its first lines, else today)",
    )
    parser.add_argument(
        "--document",
        metavar="NAME",
        help="文件名称（默认文件名） / document name (default: file name)",
    )
    parser.add_argument(
        "--json", action="store_true", help="输出 JSON，每条一行 / print JSON, one claim a line"
    )
    parser.add_argument(
        "--out", metavar="CLAIMS.csv", help="写出报告数据文件 / write the claims file (CSV)"
    )
    commands["extract-claims"] = cmd_extract_claims


def why_unwritable(path, exc: OSError) -> str:
    """Why a file could not be written, in Chinese (pandas raises OSError with no strerror)."""
    from pathlib import Path

    parent = Path(path).expanduser().parent
    if isinstance(exc, FileNotFoundError) or not parent.is_dir():
        return f"目录 {parent} 不存在"
    if isinstance(exc, PermissionError):
        return "没有写入权限"
    if isinstance(exc, IsADirectoryError) or Path(path).is_dir():
        return "这是一个目录"
    return exc.strerror or str(exc)


def cmd_extract_claims(args: argparse.Namespace) -> int:
    """Propose the claims of a report's text; print them, and write them with --out."""
    from pathlib import Path

    from hehu.figures.cache import PageRecords
    from hehu.importing.cells import parse_date
    from hehu.oversight.claims import claims_table, extract_claims, read_report_file
    from hehu.records.store import open_store

    text = read_report_file(args.file)  # file errors fail before the database is touched
    report_date = None
    if args.report_date:
        try:
            report_date = parse_date(args.report_date)
        except ValueError as exc:
            raise HehuError(f"报告日期有误：{exc}", f"bad report date: {exc}") from None
    places = PageRecords(open_store(args.db, create=False)).places
    proposals = extract_claims(text, places, report_date)
    document = args.document or Path(args.file).stem
    table = claims_table(proposals, document)
    if args.json:
        lines = [json.dumps(p.as_dict(), ensure_ascii=False) for p in proposals]
        print("[\n" + ",\n".join(lines) + "\n]" if lines else "[]")
    else:
        print(format_proposals(proposals, places))
    if args.out:
        try:
            table.to_csv(args.out, index=False, encoding="utf-8-sig")
        except OSError as exc:
            raise HehuError(
                f"无法写入 {args.out}：{why_unwritable(args.out, exc)}",
                f"cannot write {args.out}: {exc}",
            ) from None
        print(f"已写入 {len(table)} 条：{args.out}", file=sys.stderr)
    return 0


def format_proposals(proposals, places) -> str:
    """Proposals as a tab-separated table in Chinese, with what was left out at the end."""
    from hehu.oversight.claims.extract import CONFIDENCES, KINDS

    if not proposals:
        return "未在文字中找到带单位的数字（如“90起”“1.8万人次”“95%”）"
    names = dict(zip(places["code"].astype(str), places["name"].astype(str), strict=True))
    lines = ["序号\t原文数字\t指标\t地点\t起始日期\t截止日期\t数值\t合计/年均\t把握\t依据"]
    for number, p in enumerate(proposals, 1):
        metric = f"{vocab.label(vocab.METRICS, p.metric)}（{p.metric}）" if p.metric else "？"
        value = p.as_dict()["value"]
        lines.append(
            "\t".join(
                str(x)
                for x in (
                    number,
                    p.written,
                    metric,
                    f"{names.get(p.place_code, '')}（{p.place_code}）",
                    p.start.isoformat(),
                    p.end.isoformat(),
                    f"{value * 100:g}%" if p.unit == "%" else value,
                    vocab.label(KINDS, p.kind),
                    vocab.label(CONFIDENCES, p.confidence),
                    p.why,
                )
            )
        )
    unknown = sum(p.metric is None for p in proposals)
    lines.append(
        f"合计：提出 {len(proposals)} 条"
        + (f"，其中 {unknown} 个数字未能识别指标（不写入报告数据文件）" if unknown else "")
    )
    return "\n".join(lines)


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
