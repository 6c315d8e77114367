"""`hehu inspection-report`: an inspection's 视察报告 or 审议意见 as a Word draft, and a 交办单 for
each unit its recommendations are assigned to."""

from __future__ import annotations

import sys
from pathlib import Path

from hehu.disclosure import DEFAULT_ROLE, ROLES
from hehu.errors import HehuError


def add_commands(subparsers, add_db, commands) -> None:
    """Add `inspection-report` to the command line."""
    p = subparsers.add_parser(
        "inspection-report",
        help="视察报告或审议意见草稿及各承办单位交办单（Word） / an inspection's report and "
        "assignment sheets",
        description=(
            "由一次视察记录生成视察报告或审议意见草稿（记录数据、工作报告数字核对、发现的问题、"
            "意见建议及承办单位和时限），并可为每个承办单位生成交办单。 / From an inspection, "
            "draft its report or deliberation opinions, and an assignment sheet per unit."
        ),
    )
    add_db(p)
    p.add_argument("inspection", metavar="INSPECTION_ID", help="视察编号 / inspection id")
    p.add_argument(
        "--kind",
        choices=["report", "opinion"],
        default="report",
        help="report：视察报告（主送县人大常委会）；opinion：审议意见（主送县人民政府）",
    )
    p.add_argument(
        "--role",
        choices=ROLES,
        default=DEFAULT_ROLE,
        help="按哪个角色显示数字（默认人大代表：不足5的人数不显示） / role the figures are shown for",
    )
    p.add_argument("--lang", choices=["zh", "en"], default="zh", help="语言 / language")
    p.add_argument("--out", metavar="FILE.docx", help="输出文件 / output file")
    p.add_argument(
        "--sheets",
        metavar="DIR",
        help="同时为每个承办单位生成交办单，写入此文件夹 / also write each unit's sheet here",
    )
    commands["inspection-report"] = cmd_inspection_report


def _write(path: Path, data: bytes) -> None:
    from hehu.cli.claims import why_unwritable

    try:
        path.write_bytes(data)
    except OSError as exc:
        raise HehuError(
            f"无法写入 {path}：{why_unwritable(path, exc)}", f"cannot write {path}: {exc}"
        ) from None


def cmd_inspection_report(args) -> int:
    """Write the inspection's draft (and its units' sheets), and say so in the audit log."""
    from hehu.accounts import cli_actor
    from hehu.figures.cache import PageRecords
    from hehu.i18n import audit_what
    from hehu.oversight.inspection_report import inspection_document
    from hehu.records.store import open_store
    from hehu.render.inspection_word import assignment_docx, inspection_docx

    store = open_store(args.db, create=False)
    records = PageRecords(store)
    document = inspection_document(records, args.inspection, args.role)
    out = Path(args.out or f"hehu-{args.kind}-{args.inspection}.docx")
    _write(out, inspection_docx(document, records, args.kind, args.lang))
    written = [out]
    if args.sheets:
        folder = Path(args.sheets)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise HehuError(
                f"无法创建文件夹 {folder}：{exc}", f"cannot create {folder}: {exc}"
            ) from None
        for org_id, name in document.units():
            sheet = folder / f"交办单-{args.inspection}-{org_id}.docx"
            _write(sheet, assignment_docx(document, org_id, records, args.lang))
            written.append(sheet)
            print(f"已生成 {name} 的交办单 {sheet} / sheet written", file=sys.stderr)
    store.audit(
        "inspection_report",
        audit_what(
            "inspection_report",
            id=args.inspection,
            kind=args.kind,
            sheets=len(written) - 1,
            role=args.role,
        ),
        places=";".join(code for code, _name in document.places),
        actor=cli_actor(),
    )
    print(f"已生成 {out}（{out.stat().st_size // 1024} KB） / written", file=sys.stderr)
    print("\n".join(str(p) for p in written))
    return 0
