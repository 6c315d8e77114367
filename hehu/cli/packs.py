"""`hehu briefing`: a place's briefing as a file (HTML or Word), or an offline pack of several places."""

from __future__ import annotations

import sys
from pathlib import Path

from hehu.cli import period_from_args, say_if_nothing_recorded
from hehu.errors import HehuError


def add_commands(subparsers, add_db, commands) -> None:
    """Add `briefing` to the command line."""
    p = subparsers.add_parser(
        "briefing",
        help="生成调研简报文件（HTML 或 Word；多个地点合成离线简报包） / briefing file or offline pack",
    )
    add_db(p)
    p.add_argument(
        "--place",
        required=True,
        metavar="CODE[,CODE…]",
        help="地点代码，多个用逗号分隔 / place code(s), comma-separated",
    )
    p.add_argument("--format", choices=["html", "docx"], default="html", help="格式 / format")
    p.add_argument("--start", metavar="YYYY-MM-DD", help="起始日期 / first day")
    p.add_argument("--end", metavar="YYYY-MM-DD", help="截止日期 / last day")
    p.add_argument("--year", type=int, help="年度（代替起止日期） / a calendar year instead")
    p.add_argument("--lang", choices=["zh", "en"], default="zh", help="语言 / language")
    p.add_argument("--out", metavar="FILE", help="输出文件（默认当前目录） / output file")
    commands["briefing"] = cmd_briefing


def cmd_briefing(args) -> int:
    """Write a briefing or pack to a file and say where."""
    from hehu.figures.cache import PageRecords
    from hehu.records.store import open_store
    from hehu.render.packs import make_pack

    period = period_from_args(args)
    codes = [c.strip() for c in args.place.split(",") if c.strip()]
    if not codes:
        raise HehuError("请给出至少一个地点代码", "give at least one place code")
    store = open_store(args.db, create=False)
    records = PageRecords(store)  # figures (and what is hidden) from the shared cache
    data = make_pack(store, records, codes, period, args.format, args.lang)
    name = f"hehu-briefing-{codes[0]}{'-etc' if len(codes) > 1 else ''}.{args.format}"
    out = Path(args.out or name)
    out.write_bytes(data)
    say_if_nothing_recorded(store)
    print(f"已生成 {out}（{len(data) // 1024} KB） / written", file=sys.stderr)
    print(out)
    return 0
