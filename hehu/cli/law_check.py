"""`hehu law-check`: a place's law-enforcement inspection (执法检查) against the checklist, as a
Word draft or JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from hehu.cli import period_from_args, say_if_nothing_recorded
from hehu.disclosure import DEFAULT_ROLE, ROLES
from hehu.errors import HehuError


def add_commands(subparsers, add_db, commands) -> None:
    """Add `law-check` to the command line."""
    p = subparsers.add_parser(
        "law-check",
        help="按执法检查清单生成执法检查报告草稿（Word） / law-enforcement inspection draft",
        description=(
            "按清单逐项列出妇女权益保障法、反家庭暴力法、未成年人保护法规定的职责及其记录数据，"
            "生成执法检查报告草稿（Word）。 / For each duty of the three laws, its figures from "
            "the records, as a Word draft of the inspection report."
        ),
    )
    add_db(p)
    p.add_argument("--place", required=True, metavar="CODE", help="地点代码 / place code")
    p.add_argument("--start", metavar="YYYY-MM-DD", help="起始日期 / first day")
    p.add_argument("--end", metavar="YYYY-MM-DD", help="截止日期 / last day")
    p.add_argument("--year", type=int, help="年度（代替起止日期） / a calendar year instead")
    p.add_argument(
        "--role",
        choices=ROLES,
        default=DEFAULT_ROLE,
        help="按哪个角色显示数字（默认人大代表：不足5的人数不显示） / role the figures are shown for",
    )
    p.add_argument(
        "--marks",
        metavar="FILE.json",
        help='检查组的记录：{"职责编号": {"findings": "…", "documents": ["…"]}} / the group\'s marks',
    )
    p.add_argument("--lang", choices=["zh", "en"], default="zh", help="语言 / language")
    p.add_argument("--out", metavar="FILE.docx", help="输出文件 / output file")
    p.add_argument(
        "--json", action="store_true", help="输出 JSON（不写 Word，除非给出 --out） / print JSON"
    )
    commands["law-check"] = cmd_law_check


def read_marks(path: str | None) -> dict:
    """The inspector's marks from a JSON file ({} without one); HehuError if unreadable."""
    if not path:
        return {}
    try:
        marks = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HehuError(
            f"无法读取检查记录文件 {path}（{exc}）", f"cannot read the marks file {path} ({exc})"
        ) from exc

    def well_formed(mark) -> bool:
        documents = mark.get("documents", [])
        return isinstance(mark.get("findings", ""), str | None) and (
            isinstance(documents, str)
            or isinstance(documents, list)
            and all(isinstance(d, str) for d in documents)
        )

    if not isinstance(marks, dict) or not all(
        isinstance(v, dict) and well_formed(v) for v in marks.values()
    ):
        raise HehuError(
            f'检查记录文件 {path} 应为 {{职责编号: {{"findings": 文字, "documents": [文字, …]}}}}',
            f"the marks file {path} must map duty ids to {{findings: text, documents: [text]}}",
        )
    return marks


def cmd_law_check(args) -> int:
    """Run the checklist for a place and write the Word draft (or print JSON)."""
    from hehu.accounts import cli_actor
    from hehu.cli.claims import why_unwritable
    from hehu.figures.cache import PageRecords, period_choice_key
    from hehu.i18n import audit_what
    from hehu.oversight.law_check import evaluate_checklist
    from hehu.records.store import open_store
    from hehu.render.law_check_word import law_check_docx

    period = period_from_args(args)
    marks = read_marks(args.marks)  # bad input fails before the database is touched
    store = open_store(args.db, create=False)
    records = PageRecords(store)
    check = evaluate_checklist(records, args.place, period, args.role, marks)
    say_if_nothing_recorded(store)
    out = None
    if args.out or not args.json:
        data = law_check_docx(check, records, args.lang)
        out = Path(args.out or f"hehu-law-check-{args.place}.docx")
        try:
            out.write_bytes(data)
        except OSError as exc:
            raise HehuError(
                f"无法写入 {out}：{why_unwritable(out, exc)}", f"cannot write {out}: {exc}"
            ) from None
    store.audit(
        "law_check",
        audit_what(
            "law_check",
            format="docx" if out else "json",
            period=period_choice_key(period),
            role=args.role,
        ),
        places=args.place,
        actor=cli_actor(),
    )
    if args.json:
        print(json.dumps(check.as_dict(), ensure_ascii=False, default=str))
    if out is not None:
        print(f"已生成 {out}（{out.stat().st_size // 1024} KB） / written", file=sys.stderr)
        if not args.json:
            print(out)
    return 0
