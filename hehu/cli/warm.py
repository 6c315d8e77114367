"""`hehu warm`: compute the figures every overview needs now, so that no user waits for them."""

from __future__ import annotations

import json
import sys


def add_commands(subparsers, add_db, commands) -> None:
    """Add `warm` to the command line."""
    p = subparsers.add_parser(
        "warm",
        help="预先计算各期间的概览数据（大批导入后运行） / precompute the overview's figures",
    )
    add_db(p)
    p.add_argument("--json", action="store_true", help="以 JSON 输出 / print JSON")
    p.add_argument(
        "--light-role",
        action="append",
        default=[],
        choices=["deputy", "presenter", "staff", "admin"],
        help="同时生成该角色的简版简报（/hehu/briefing） / also make the light pages for this role",
    )
    commands["warm"] = cmd_warm


def cmd_warm(args) -> int:
    """Compute and keep the figures of every period an overview offers; say how long it took."""
    from hehu.figures.warm import warm_figures
    from hehu.records.store import open_store

    store = open_store(args.db, create=False)
    done = warm_figures(store, progress=lambda key: print(f"… {key}", file=sys.stderr))
    if args.light_role:
        from hehu.serve.light import warm_light_pages

        done["light_pages"] = sum(
            warm_light_pages(store, role, progress=lambda what: print(f"… {what}", file=sys.stderr))
            for role in dict.fromkeys(args.light_role)
        )
    if args.json:
        print(json.dumps(done, ensure_ascii=False))
    else:
        read = "已读取全部记录" if done["records_read"] else "数据未变，沿用已存结果"
        print(
            f"已备好 {len(done['periods'])} 个期间的概览数据（数据版本 {done['data_version']}，"
            f"{read}，用时 {done['seconds']} 秒） / figures ready"
        )
    return 0
