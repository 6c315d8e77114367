"""`hehu lab`: JupyterLab for Federation staff, on this machine, with the records and examples.

JupyterLab runs with the staff role (pseudonymous person-level rows, exact counts), the database
chosen as for `hehu serve`, a token always (a random one unless given), on localhost unless told
otherwise (then only with a token given on purpose). Its folder is HEHU_HOME/lab (owner-only),
where the example notebooks of docs/examples are copied under 示例/ on first start: staff edit
their copies, never the repository's.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
EXAMPLES_FOLDER = "示例"
LAB_ROLE = "staff"


def add_commands(subparsers, add_db, commands) -> None:
    """Add `lab` to the command line."""
    from hehu.cli import port_number

    p = subparsers.add_parser(
        "lab",
        help="在 JupyterLab 中查询记录（妇联工作人员角色，本机） / explore the records in JupyterLab",
    )
    add_db(p)
    p.add_argument("--port", type=port_number, default=8888, help="端口 / port (default 8888)")
    p.add_argument("--ip", default="127.0.0.1", help="监听地址（默认本机） / address to listen on")
    p.add_argument(
        "--token",
        default=os.environ.get("HEHU_TOKEN"),
        help="访问口令（默认随机生成；非本机地址时必须给出） / access token (random by default)",
    )
    p.add_argument(
        "--dir",
        metavar="FOLDER",
        help="笔记本所在文件夹（默认 $HEHU_HOME/lab） / notebook folder (default $HEHU_HOME/lab)",
    )
    commands["lab"] = cmd_lab


def lab_folder(folder: str | None) -> Path:
    """The lab's folder, owner-only, holding a copy of each example notebook it does not have yet."""
    from hehu.errors import HehuError
    from hehu.records.store import hehu_home, private_folder

    path = Path(folder) if folder else hehu_home() / "lab"
    if path.exists() and not path.is_dir():
        raise HehuError(
            f"{path} 是一个文件，不是文件夹：请用 --dir 指定文件夹", f"{path} is not a folder"
        )
    root = private_folder(path)
    examples = root / EXAMPLES_FOLDER
    examples.mkdir(exist_ok=True)
    for notebook in sorted(EXAMPLES.glob("*.ipynb")):
        if not (examples / notebook.name).exists():  # a staff member's edits are kept
            shutil.copyfile(notebook, examples / notebook.name)
    return root


def lab_command(root: Path, ip: str, port: int, token: str, state: Path) -> list[str]:
    """The JupyterLab command: this port or none, a token, nothing fetched from outside, its
    workspaces and settings in ``state`` (Hehu's own, apart from any other JupyterLab)."""
    from hehu.serve.lab import LAB_OPTIONS

    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        f"--ServerApp.ip={ip}",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",  # the printed address is the served one (serve/process.py)
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        f"--LabApp.workspaces_dir={state / 'workspaces'}",
        f"--LabApp.user_settings_dir={state / 'settings'}",
        *LAB_OPTIONS,  # Chinese menus; no news, update check or PyPI search (hehu/serve/lab.py)
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # a container or CI runs as root; Jupyter refuses otherwise
    return command


def cmd_lab(args) -> int:
    """Start JupyterLab for staff and print its address (with the token) until Ctrl+C."""
    from hehu.cli import ready_store
    from hehu.errors import shown_url
    from hehu.serve.process import claim_port, require_token_off_loopback, run_server
    from hehu.serve.voila import LOOPBACK, voila_environment

    require_token_off_loopback(args.ip, args.token)
    claim_port(args.ip, args.port)
    store = ready_store(args.db)
    from hehu.records.store import hehu_home, private_folder

    root = lab_folder(args.dir)
    state = private_folder(hehu_home() / "jupyterlab")
    token = args.token or secrets.token_urlsafe(24)
    # The role travels to every kernel in the environment, as for `hehu serve`; JUPYTER_PATH lets
    # a staff member open the Voila pages from the lab too.
    env = voila_environment(dict(os.environ, HEHU_DB=store.url, HEHU_ROLE=LAB_ROLE))
    host = "localhost" if args.ip in LOOPBACK else args.ip
    url = f"http://{host}:{args.port}/lab/tree/{EXAMPLES_FOLDER}?token={token}"
    print(
        f"呵护 JupyterLab 已启动（角色 role：{LAB_ROLE}；数据库 {shown_url(store.url)}；文件夹 {root}），"
        f"请在浏览器打开 / open in your browser:\n  {url}\n按 Ctrl+C 停止 / Ctrl+C to stop",
        flush=True,
    )
    return run_server(lab_command(root, args.ip, args.port, token, state), env, args.port)
