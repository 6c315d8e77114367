"""`hehu user`: the named users of a server (add, list, passwd, disable, enable, unlock).

A password is read with getpass from the terminal, or as the first line of standard input with
--password-stdin (for scripts); never from an argument, which other users of the machine could
read in the process list. Nothing this command prints holds a password or a hash.
"""

from __future__ import annotations

import getpass
import json
import sys

from hehu.errors import HehuError

ACTOR_HELP = (
    "审计日志中的操作人（默认 cli:登录名） / who makes the change, for the audit log "
    "(default cli:LOGIN)"
)
STDIN_HELP = "从标准输入的第一行读取密码（供脚本使用） / read the password from stdin's first line"


def add_commands(subparsers, add_db, commands) -> None:
    """Add `user` and its sub-commands to the command line."""
    from hehu.records.vocab import ROLES

    p = subparsers.add_parser("user", help="管理登录用户 / manage the users who sign in")
    sub = p.add_subparsers(dest="user_command", required=True, metavar="子命令 subcommand")

    def command(name: str, help_text: str, *, password: bool = False):
        q = sub.add_parser(name, help=help_text)
        add_db(q)
        if name != "list":
            q.add_argument("name", metavar="NAME", help="登录名 / login name")
            q.add_argument("--actor", metavar="NAME", help=ACTOR_HELP)
        if password:
            q.add_argument("--password-stdin", action="store_true", help=STDIN_HELP)
        return q

    q = command("add", "添加用户 / add a user", password=True)
    q.add_argument("--role", required=True, choices=list(ROLES), help="角色 / role")
    q.add_argument(
        "--unit", metavar="UNIT", help="承办单位（仅 unit 角色） / unit (role unit only)"
    )
    command("passwd", "重设密码（同时解除锁定） / set a password (and unlock)", password=True)
    command("disable", "停用用户 / disable a user")
    command("enable", "启用用户 / enable a disabled user")
    command("unlock", "解除登录失败锁定 / lift a lock-out")
    q = command("list", "列出用户（不显示密码） / list users (no passwords)")
    q.add_argument("--json", action="store_true", help="输出 JSON / print JSON")
    commands["user"] = cmd_user


def read_password(from_stdin: bool, confirm: bool = True) -> str:
    """A new password: the first line of stdin (capped), or typed twice without echo."""
    from hehu.accounts import MAX_PASSWORD_BYTES, check_password

    if from_stdin:
        # readline with a limit: a megabyte on stdin is refused without being read whole.
        raw = sys.stdin.buffer.readline(MAX_PASSWORD_BYTES + 2)
        line = raw.rstrip(b"\r\n") if raw.endswith(b"\n") else raw
        if len(line) > MAX_PASSWORD_BYTES:
            check_password("x" * (MAX_PASSWORD_BYTES + 1))  # the one message for it
        try:
            return line.decode("utf-8")
        except UnicodeDecodeError:
            raise HehuError(
                "标准输入中的密码不是 UTF-8 文本", "the password on stdin is not UTF-8 text"
            ) from None
    if not sys.stdin.isatty():
        raise HehuError(
            "请在终端中运行以输入密码，或用 --password-stdin 从标准输入读取",
            "run in a terminal to type the password, or give --password-stdin",
        )
    password = getpass.getpass("密码 / password: ")
    check_password(password)
    if confirm and getpass.getpass("再次输入 / again: ") != password:
        raise HehuError("两次输入的密码不一致", "the two passwords differ")
    return password


def cmd_user(args) -> int:
    """Run one `hehu user` sub-command."""
    from hehu import accounts
    from hehu.records.store import open_store

    store = open_store(args.db, create=args.user_command == "add")
    what = args.user_command
    if what == "list":
        return _print_users(accounts.list_users(store), args.json)
    args.actor = args.actor or accounts.cli_actor()
    if what == "add":
        accounts.clean_name(args.name)  # a bad name is refused before a password is asked
        password = read_password(args.password_stdin)
        user = accounts.add_user(
            store, args.name, password, role=args.role, unit=args.unit, actor=args.actor
        )
        unit = f"，单位 {user.unit}" if user.unit else ""
        print(f"已添加用户 {user.name}（角色 {user.role}{unit}） / user added")
        return 0
    if what == "passwd":
        user = accounts.get_user(store, args.name)
        password = read_password(args.password_stdin)
        accounts.set_password(store, user.name, password, actor=args.actor)
        print(f"已重设用户 {user.name} 的密码 / password set")
        return 0
    change = {"disable": accounts.disable, "enable": accounts.enable, "unlock": accounts.unlock}
    user = change[what](store, args.name, actor=args.actor)
    done = {"disable": "已停用", "enable": "已启用", "unlock": "已解除锁定"}[what]
    print(f"{done}：{user.name} / {what}: done")
    return 0


def _print_users(users, as_json: bool) -> int:
    from hehu.clock import local_time, utc_now

    now = utc_now()

    def state(user) -> str:
        if user.disabled:
            return "已停用"
        if user.locked(now):
            return f"锁定至 {local_time(user.locked_until):%Y-%m-%d %H:%M}"
        return "正常"

    if as_json:
        for user in users:
            print(
                json.dumps(
                    {
                        "name": user.name,
                        "role": user.role,
                        "unit": user.unit,
                        "disabled": user.disabled,
                        "locked": user.locked(now),
                        "failed_attempts": user.failed_attempts,
                        "created_at": f"{local_time(user.created_at):%Y-%m-%d %H:%M}",
                    },
                    ensure_ascii=False,
                )
            )
        return 0
    if not users:
        print("尚无用户；用 hehu user add NAME --role ROLE 添加 / no users yet")
        return 0
    print("用户名\t角色\t单位\t状态\t连续失败\t创建时间")
    for user in users:
        created = f"{local_time(user.created_at):%Y-%m-%d %H:%M}"
        print(
            f"{user.name}\t{user.role}\t{user.unit or ''}\t{state(user)}\t"
            f"{user.failed_attempts}\t{created}"
        )
    return 0
