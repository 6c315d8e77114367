"""The `hehu` command: 初始化、示例数据、指标、服务 (init, demo, metrics, serve)."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from pathlib import Path

from hehu.cli import port_number, ready_store, say_if_nothing_recorded
from hehu.disclosure import DEFAULT_ROLE, ROLES
from hehu.errors import HehuError, shown_url
from hehu.serve.voila import LOOPBACK

REPO_ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO_ROOT / "notebooks"

PREHEATED_PAGES = ("overview.ipynb", "briefing.ipynb")
# Kernels of pages that are no longer connected (the browser crashed, a phone dropped the tab,
# the network went: the websocket's ping, every 30 s, finds out) are shut down after three
# idle minutes, so that twenty phones dropping their tabs at once free the server in under five
# (issue 16; it was half an hour). An open page keeps its kernel however long it sits unused.
CULL_IDLE_DEFAULT = 180
DB_HELP = "数据库地址（SQLite 文件路径或 postgresql+psycopg://…；默认 $HEHU_DB 或 ~/.hehu/hehu.sqlite） / database URL"


def _add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar="URL", help=DB_HELP)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, with Chinese help text followed by English."""
    parser = argparse.ArgumentParser(
        prog="hehu",
        description="呵护 Hehu：妇女儿童权益保护监督工作台 / oversight workbench for women's and children's rights",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="命令 command")

    p = sub.add_parser(
        "init", help="创建空数据库并载入地名表 / create an empty database with the gazetteer"
    )
    _add_db(p)
    p.add_argument(
        "--gazetteer",
        metavar="CSV",
        help="地名表文件（默认涟水县） / gazetteer CSV (default: Lianshui)",
    )

    p = sub.add_parser("demo", help="载入示例数据（合成） / load the synthetic demo data")
    _add_db(p)
    p.add_argument("--seed", type=int, default=None, help="随机种子 / random seed")

    p = sub.add_parser(
        "metrics", help="计算某地某期间的全部指标 / every metric for a place and period"
    )
    _add_db(p)
    p.add_argument(
        "--place", metavar="CODE", help="地点代码（默认全县） / place code (default: the county)"
    )
    p.add_argument("--start", metavar="YYYY-MM-DD", help="起始日期 / first day")
    p.add_argument("--end", metavar="YYYY-MM-DD", help="截止日期 / last day")
    p.add_argument("--json", action="store_true", help="输出 JSON / print JSON")

    p = sub.add_parser("serve", help="启动 Voila 工作台 / start the Voila workbench")
    _add_db(p)
    p.add_argument("--port", type=port_number, default=8866, help="端口 / port (default 8866)")
    p.add_argument("--ip", default="127.0.0.1", help="监听地址 / address to listen on")
    p.add_argument(
        "--demo",
        action="store_true",
        help="数据库为空时先载入示例数据 / load the demo into an empty database first",
    )
    p.add_argument(
        "--role",
        choices=ROLES,
        default=None,
        help="本服务所有人的角色（单机使用；页面与网址无法更改；默认 deputy） / the role of everyone on "
        "this server (one laptop; default deputy)",
    )
    p.add_argument(
        "--users",
        action="store_true",
        help="每人用自己的账户登录（hehu user add），角色和单位由账户决定；数据库中有用户且未给 --role 时"
        "自动启用 / people sign in with their own accounts; the default when the database has "
        "users and no --role is given",
    )
    p.add_argument(
        "--session-hours",
        type=float,
        default=12.0,
        metavar="HOURS",
        help="登录后多少小时需重新登录（默认 12） / hours a sign-in lasts (default 12)",
    )
    p.add_argument(
        "--preheat",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="为概览和简报页预热内核，打开更快（默认开启） / preheated kernels for overview and briefing",
    )
    p.add_argument(
        "--pool-size",
        type=int,
        default=2,
        metavar="N",
        help="概览和简报页各预热几个内核（默认 2） / preheated kernels kept for each of those pages",
    )
    p.add_argument(
        "--max-kernels",
        type=int,
        default=0,
        metavar="N",
        help="同时打开的交互页面上限，超出时显示等候页并自动重试（默认按内存计算） / page kernels "
        "alive at once; more requests get a wait page that retries (default: from memory)",
    )
    p.add_argument(
        "--render-slots",
        type=int,
        default=0,
        metavar="N",
        help="同时启动的页面数（默认每核一个） / pages started at once (default: one per core)",
    )
    p.add_argument(
        "--cull-idle",
        type=int,
        default=CULL_IDLE_DEFAULT,
        metavar="SECONDS",
        help="已断开的页面（关闭、断网、休眠）其内核空闲多少秒后关闭；打开着的页面不受影响；0 为从不"
        f"（默认 {CULL_IDLE_DEFAULT}） / shut the kernel of a disconnected page down after this many "
        "idle seconds; open pages keep theirs; 0: never",
    )
    p.add_argument(
        "--warm-every",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="每隔多少秒检查数据是否变化，变化后在后台预先计算概览数据；0 为不计算（默认 30） / "
        "check for changed records this often and precompute the overview's figures; 0: off",
    )
    p.add_argument(
        "--tiles",
        choices=["none", "osm", "tianditu"],
        default=os.environ.get("HEHU_TILES", "none"),
        help="地图底图（默认无，离线可用；天地图需 $HEHU_TIANDITU_KEY） / base map tiles",
    )
    p.add_argument(
        "--token",
        default=os.environ.get("HEHU_TOKEN"),
        help="访问口令（非本机地址时必填；或 $HEHU_TOKEN） / access token, required off localhost",
    )
    for module_name in COMMAND_MODULES:
        module = importlib.import_module(module_name)
        module.add_commands(sub, _add_db, COMMANDS)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; user errors print one Chinese line and exit non-zero."""
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except HehuError as exc:
        print(f"错误：{exc.zh}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def cmd_init(args) -> int:
    from hehu.accounts import cli_actor
    from hehu.records.gazetteer import LIANSHUI_GAZETTEER, load_gazetteer
    from hehu.records.store import open_store

    store = open_store(args.db)
    n = load_gazetteer(store, args.gazetteer or LIANSHUI_GAZETTEER, actor=cli_actor())
    print(f"已创建数据库 {shown_url(store.url)}，载入 {n} 个地点 / created, {n} places")
    return 0


def cmd_demo(args) -> int:
    from hehu.accounts import cli_actor
    from hehu.records.demo import DEFAULT_SEED, load_demo
    from hehu.records.store import open_store

    store = open_store(args.db)
    counts = load_demo(
        store,
        args.seed or DEFAULT_SEED,
        progress=lambda m: print(m, file=sys.stderr),
        actor=cli_actor(),
    )
    total = sum(counts.values())
    print(f"已载入示例数据 {total} 条记录 / demo loaded: {total} records ({shown_url(store.url)})")
    return 0


def cmd_metrics(args) -> int:
    from hehu.figures.metrics import Period, load_records, place_metrics
    from hehu.records import vocab
    from hehu.records.store import open_store

    period = Period.of(args.start, args.end)  # bad dates fail before the database is touched
    store = open_store(args.db, create=False)
    values = place_metrics(load_records(store), args.place, period)
    say_if_nothing_recorded(store)
    if args.json:
        print(json.dumps(values, ensure_ascii=False))
    else:
        for metric, value in values.items():
            print(f"{vocab.METRICS[metric][0]}\t{metric}\t{'' if value is None else value}")
    return 0


def cmd_serve(args) -> int:
    from hehu.accounts import cli_actor
    from hehu.records.demo import load_demo
    from hehu.serve.admission import machine_kernel_cap
    from hehu.serve.process import claim_port, require_token_off_loopback, run_server
    from hehu.serve.throttle import TRUSTED_PROXIES_ENV, trusted_networks
    from hehu.serve.voila import voila_command, voila_environment

    users = users_mode_wanted(args)
    if users:  # a typo in the proxies stops the server here, not every sign-in later
        trusted_networks(os.environ.get(TRUSTED_PROXIES_ENV, ""))
    else:
        require_token_off_loopback(args.ip, args.token)
    claim_port(args.ip, args.port)  # a previous server's leftovers stopped; a stranger refused
    store = ready_store(args.db)
    if args.demo and store.count("course") == 0 and store.count("case") == 0:
        print("首次使用：正在载入示例数据… / first use: loading demo data…", file=sys.stderr)
        load_demo(store, actor=cli_actor())
    role = args.role or DEFAULT_ROLE
    # The role travels to every kernel in the environment: no page, widget or URL can change it.
    # With users, each page's kernel gets its user's role, unit and name from the server instead.
    env = {k: v for k, v in os.environ.items() if k not in SERVER_IDENTITY}
    env.update(HEHU_DB=store.url, HEHU_TILES=args.tiles)
    if users:
        light_roles = prepare_users(store, args, env)
    else:
        env["HEHU_ROLE"] = role
        light_roles = (role,)
    env = voila_environment(env)
    if args.tiles == "tianditu" and not env.get("HEHU_TIANDITU_KEY"):
        raise HehuError(
            "使用天地图底图需要设置 HEHU_TIANDITU_KEY（天地图密钥）",
            "tianditu tiles need HEHU_TIANDITU_KEY",
        )
    host = "localhost" if args.ip in LOOPBACK else args.ip
    url = f"http://{host}:{args.port}/" + ("hehu/login" if users else "voila/render/overview.ipynb")
    command = voila_command(NOTEBOOKS, args.port, args.ip, users=users)
    if args.preheat:
        # Kernels kept warm only for the deputies' pages: a soak of 140 loads saw no hang
        # (bench/soak_preheat.py); the staff pages start a kernel on demand.
        others = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb") if p.name not in PREHEATED_PAGES)
        command += [
            "--preheat_kernel=True",
            f"--pool_size={args.pool_size}",
            f"--VoilaKernelManager.preheat_denylist={others!r}",
        ]
    pool_kernels = args.pool_size * len(PREHEATED_PAGES) if args.preheat else 0
    command += [
        f"--HehuVoila.max_kernels={args.max_kernels or machine_kernel_cap(pool_kernels)}",
        f"--HehuVoila.render_slots={args.render_slots}",
    ]
    command += cull_options(args.cull_idle)
    if args.token and not users:
        command.append(f"--token={args.token}")
        url += f"?token={args.token}"
    mode = "用户登录 users sign in" if users else f"角色 role：{role}"
    print(
        f"呵护工作台已启动（{mode}），请在浏览器打开 / open in your browser:\n  {url}\n按 Ctrl+C 停止 / Ctrl+C to stop",
        flush=True,
    )
    after_start = None
    if args.warm_every > 0:
        # Figures for every overview period, computed after each change in a separate process,
        # so that no user waits for them (hehu/warmer.py).
        from hehu.serve.warmer import start_warmer

        def after_start():
            start_warmer(store.url, args.warm_every, light_roles=light_roles)

    return run_server(command, env, args.port, after_start)


# Who a server or a page's kernel is for: never inherited from the shell that starts the server.
SERVER_IDENTITY = ("HEHU_ROLE", "HEHU_UNIT", "HEHU_USER", "HEHU_USERS", "HEHU_SESSION_HOURS")


def users_mode_wanted(args) -> bool:
    """Whether people sign in: --users, or a database with users and no --role (one laptop
    keeps --role, and a database without users)."""
    if args.users and args.role:
        raise HehuError(
            "--users 与 --role 不能同时使用：登录后角色由各人的账户决定",
            "--users and --role exclude each other: with users, each account has its role",
        )
    if args.users or args.role:
        return bool(args.users)
    from hehu.accounts import list_users
    from hehu.records.store import open_store

    try:
        return any(not u.disabled for u in list_users(open_store(args.db, create=False)))
    except Exception:  # noqa: BLE001 - no database yet, or one without users: no sign-in
        return False


def prepare_users(store, args, env: dict[str, str]) -> tuple[str, ...]:
    """Make ``env`` a users-mode server's; the roles of its users (for the light pages' cache)."""
    from hehu.accounts import list_users
    from hehu.serve.sessions import server_secret

    active = [u for u in list_users(store) if not u.disabled]
    if not active:
        raise HehuError(
            "还没有可以登录的用户：先用 hehu user add 用户名 --role 角色 添加",
            "no user can sign in yet: add one with hehu user add NAME --role ROLE",
        )
    if args.session_hours <= 0:
        raise HehuError("--session-hours 应大于 0", "--session-hours must be above 0")
    if args.token:
        print("用户登录模式不使用访问口令，已忽略 --token / HEHU_TOKEN", file=sys.stderr)
    if args.ip not in LOOPBACK:
        print(
            "提示：密码将通过网络发送，请在 HTTPS（反向代理）之后提供服务 / "
            "passwords cross the network: serve behind HTTPS",
            file=sys.stderr,
        )
    server_secret()  # made now (0600 in HEHU_HOME), read by the server
    env.update(HEHU_USERS="1", HEHU_SESSION_HOURS=str(args.session_hours))
    return tuple(sorted({u.role for u in active}))


def cull_options(idle_seconds: int) -> list[str]:
    """Voila options that shut down kernels idle and disconnected for ``idle_seconds`` (0: none).

    Only kernels without a connected page are culled (cull_connected, cull_busy stay False): an
    open page keeps its kernel however long it sits unused. Voila's kernel manager never culls
    the preheated kernels waiting in its pool.
    """
    if idle_seconds <= 0:
        return []
    interval = max(1, min(60, idle_seconds // 3))
    return [
        f"--MappingKernelManager.cull_idle_timeout={idle_seconds}",
        f"--MappingKernelManager.cull_interval={interval}",
        "--MappingKernelManager.cull_connected=False",
        "--MappingKernelManager.cull_busy=False",
    ]


COMMANDS = {"init": cmd_init, "demo": cmd_demo, "metrics": cmd_metrics, "serve": cmd_serve}

# Modules that add their own sub-commands: each has add_commands(subparsers, add_db, commands),
# which adds its parsers and puts {name: function(args) -> exit code} into `commands`.
COMMAND_MODULES: list[str] = []
COMMAND_MODULES.append("hehu.cli.claims")  # check-claims
COMMAND_MODULES.append("hehu.cli.imports")  # template, import
COMMAND_MODULES.append("hehu.cli.packs")  # briefing
COMMAND_MODULES.append("hehu.cli.warm")  # warm
COMMAND_MODULES.append("hehu.cli.lab")  # lab
COMMAND_MODULES.append("hehu.cli.law_check")  # law-check
COMMAND_MODULES.append("hehu.cli.inspection_docs")  # inspection-report
COMMAND_MODULES.append("hehu.cli.users")  # user add|list|passwd|disable|enable|unlock
COMMAND_MODULES.append("hehu.cli.stored_text")  # stored-text

if __name__ == "__main__":
    sys.exit(main())
