"""Serving Hehu with JupyterHub: each user's role comes from the hub's groups, set at spawn time.

The role is set on the server, never by a page or URL; behind JupyterHub it comes from the login.
The hub knows who logged in and which groups they are in; `pre_spawn_hook` turns that into the
single-user server's environment ($HEHU_ROLE, $HEHU_DB …) before the server starts, so nothing the
user does in the browser can change it. This module never imports jupyterhub: it runs inside the
hub's process through deploy/jupyterhub_config.py, and the tests drive it with a plain object.

Group → role (names compared after trimming spaces and ignoring case):

    hehu-admin → admin,  hehu-staff → staff,  hehu-presenter → presenter,  hehu-deputy → deputy

A user in several Hehu groups gets the highest of them (admin > staff > presenter > deputy):
membership of a group is a grant an administrator made on purpose, so the user has each role they
were given, and the highest is the one that covers the others. A user in no Hehu group, or only in
other groups, gets deputy: aggregates only, the least privilege. Being a JupyterHub administrator
gives no Hehu role by itself.

The role also decides what else the server offers (`spawner_arguments`): staff and admin get
JupyterLab beside the Voila pages, to explore the records in notebooks; deputies and presenters
get the pages only: JupyterLab and every other notebook frontend are off,
hehu.serve.authorizer refuses Jupyter's own API (starting kernels, files, sessions …), and a
page's kernel takes only the widgets' messages from the browser, never code to run.
"""

from __future__ import annotations

import contextlib
import os
import pwd
from collections.abc import Iterable
from pathlib import Path

from hehu.disclosure import DEFAULT_ROLE, ROLES
from hehu.serve.voila import KERNEL_TRANSPORT_OPTION

GROUP_PREFIX = "hehu-"
GROUP_ROLES = {f"{GROUP_PREFIX}{role}": role for role in ROLES}
# Highest first: the first role found in a user's groups is theirs.
ROLE_ORDER = ("admin", "staff", "presenter", "deputy")
# Roles whose servers import registers and so need the shared pseudonymisation key ($HEHU_HOME).
KEY_ROLES = ("staff", "admin")
LANGS = ("zh", "en")
# Roles whose servers offer JupyterLab beside the pages; every other role gets the pages only.
LAB_ROLES = ("staff", "admin")
# The Jupyter server extensions that are a notebook frontend or its helpers, turned off for the
# other roles. Listed whether installed or not (jupyter_server never imports a disabled one, so
# a missing one costs nothing): the hub cannot know what the user's environment holds, and an
# extension left out of this list would be on.
NOTEBOOK_FRONTENDS = (
    "jupyterlab",
    "notebook",
    "nbclassic",
    "jupyter_lsp",
    "jupyter_server_terminals",
)
PAGES_ONLY_AUTHORIZER = "hehu.serve.authorizer.PagesOnlyAuthorizer"
# What a page's browser may send the kernel that ran the page, over its websocket: the widgets'
# messages, the very list standalone Voila allows (voila/app.py). jupyter_server drops any other
# type unread, execute_request (code of the user's own) first of all. Voila runs the notebook
# itself on the server, not through the websocket, so the pages are unaffected.
PAGE_MESSAGES = (
    "comm_open",
    "comm_close",
    "comm_msg",
    "comm_info_request",
    "kernel_info_request",
    "shutdown_request",
)
AUTHORIZER_OPTION = "--ServerApp.authorizer_class="
# Kernels talk to their user's server over Unix sockets, as `hehu serve`'s do, not TCP ports: on a
# hub every user's kernels share one machine, and any process on it may connect to a port on
# 127.0.0.1; a kernel's iopub port publishes each output (staff's rows too) to whoever
# subscribes. The sockets go in a folder of the user's own (mode 0700) under this root, made by
# the hub (`kernel_socket_folder`): short, for a socket's path holds at most 107 bytes and
# ~/.local/share/jupyter/runtime/kernel-<uuid>-ipc-1 already takes 95 of them for
# /home/daibiao-li. The root must be the hub's own (root's /run by default); $HEHU_KERNEL_SOCKETS
# moves it.
KERNEL_SOCKETS_ENV = "HEHU_KERNEL_SOCKETS"
KERNEL_SOCKETS_DEFAULT = "/run/hehu-kernels"
SOCKET_PATH_MAX = 107
# What jupyter_client adds to the folder: /kernel-<uuid>-ipc-<n>, n a small number (two digits kept).
SOCKET_NAME_CHARS = len("/kernel-") + 36 + len("-ipc-") + 2


def role_from_groups(groups: Iterable[str]) -> str:
    """The Hehu role of a user in these hub groups: the highest Hehu group, else deputy."""
    found = {GROUP_ROLES.get(str(name).strip().lower()) for name in groups or ()}
    return next((role for role in ROLE_ORDER if role in found), DEFAULT_ROLE)


def spawner_environment(
    user_name: str,
    groups: Iterable[str],
    db_url: str | None,
    lang: str | None = None,
    home: str | None = None,
) -> dict[str, str]:
    """The environment of one user's Voila server: role from the groups, the shared database."""
    if not db_url:
        # Fail closed: without it each server would quietly make its own empty SQLite file.
        raise ValueError(
            f"HEHU_DB is not set in the hub's environment; cannot start {user_name}'s server "
            "(在 JupyterHub 的环境中设置 HEHU_DB=postgresql+psycopg://…)"
        )
    role = role_from_groups(groups)
    env = {"HEHU_DB": db_url, "HEHU_ROLE": role, "HEHU_USER": user_name}  # the audit log's actor
    if lang in LANGS:
        env["HEHU_LANG"] = lang
    if home and role in KEY_ROLES:
        env["HEHU_HOME"] = home
    return env


def spawner_arguments(role: str) -> list[str]:
    """What the role adds to the configuration's c.Spawner.args (the server's command line).

    Staff and admin: nothing; the server is the configuration's, JupyterLab included (pip
    installed, it is on). Any other role, an unknown one too: no notebook frontend (a dict trait
    takes one `--ServerApp.jpserver_extensions=NAME=False` per entry), the pages-only authorizer,
    and only the widgets' messages to a page's kernel (a list trait: one option per item). The
    landing page is the Voila overview for everyone (c.Spawner.default_url).
    """
    if role in LAB_ROLES:
        return []
    return [
        *(f"--ServerApp.jpserver_extensions={name}=False" for name in NOTEBOOK_FRONTENDS),
        f"{AUTHORIZER_OPTION}{PAGES_ONLY_AUTHORIZER}",
        *(f"--MappingKernelManager.allowed_message_types={t}" for t in PAGE_MESSAGES),
    ]


def _server_uid(spawner) -> int | None:
    """The user id the spawner runs the server as, for a spawner starting a local process
    (jupyterhub's LocalProcessSpawner: the user's own account; its Simple variant: the hub's);
    None for any other (a container's kernels are out of other users' reach)."""
    names = {cls.__name__ for cls in type(spawner).__mro__}
    if "SimpleLocalProcessSpawner" in names:
        return os.getuid()
    if "LocalProcessSpawner" in names:
        return pwd.getpwnam(spawner.user.name).pw_uid
    return None


def kernel_socket_folder(spawner, root: str | None = None) -> Path | None:
    """The user's private folder for kernel sockets (`KERNEL_SOCKETS_ENV`), made if need be, or
    None (with the reason logged) where kernels keep TCP: not a local process, a path too long
    for a socket, or a folder the hub cannot make its user's alone. Never stops a start."""
    log = getattr(spawner, "log", None)
    name = spawner.user.name
    try:
        # The administrator's own choice, links and all (/var/run -> /run): read once, here.
        base = Path(
            os.path.realpath(root or os.environ.get(KERNEL_SOCKETS_ENV) or KERNEL_SOCKETS_DEFAULT)
        )
        uid = _server_uid(spawner)
        if uid is None:
            return None
        if len(os.fsencode(base / name)) + SOCKET_NAME_CHARS > SOCKET_PATH_MAX:
            why = f"{base / name} is too long for a socket's path"
        else:
            why = _make_private(base, name, uid)
    except (OSError, KeyError, ValueError) as exc:  # no such account, a NUL in the path, …
        why = f"cannot make a folder for {name}: {exc!r}"
    if why is None:
        return base / name
    if log is not None:
        log.warning("hehu: %s's kernels use TCP ports: %s", name, why)
    return None


def _make_private(base: Path, name: str, uid: int) -> str | None:
    """Make base/name a folder of `uid` alone: None once done, else why not.

    The root must be a folder of the hub's (or root's) that nobody else may write to: then
    nobody else can plant a link in it or swap the folder between the steps below, which go
    through the open folders themselves, never a path followed twice."""
    base.mkdir(mode=0o755, parents=True, exist_ok=True)
    root_fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        info = os.fstat(root_fd)
        if info.st_uid not in (0, os.getuid()) or info.st_mode & 0o022:
            return f"{base} is not the hub's, or others may write to it"
        with contextlib.suppress(FileExistsError):
            os.mkdir(name, 0o700, dir_fd=root_fd)
        try:
            fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=root_fd)
        except OSError:  # a link (ELOOP) or a file (ENOTDIR) where the folder goes
            return f"{base / name} is not a folder"
        try:
            if os.getuid() == 0:
                os.fchown(fd, uid, -1)
            if os.fstat(fd).st_uid != uid:
                return f"{base / name} is not a folder of uid {uid}"
            os.fchmod(fd, 0o700)
        finally:
            os.close(fd)
    finally:
        os.close(root_fd)
    return None


def pre_spawn_hook(spawner) -> None:
    """`c.Spawner.pre_spawn_hook`: the server's environment and options from the user's groups."""
    groups = [group.name for group in spawner.user.groups]
    env = spawner_environment(
        spawner.user.name,
        groups,
        os.environ.get("HEHU_DB"),
        lang=os.environ.get("HEHU_LANG"),
        home=os.environ.get("HEHU_HOME"),
    )
    # Dropped first: a role or home left in c.Spawner.environment must not survive the groups.
    environment = {
        k: v
        for k, v in dict(spawner.environment or {}).items()
        if k not in ("HEHU_ROLE", "HEHU_HOME", "JUPYTER_RUNTIME_DIR")
    }
    environment.update(env)
    sockets = kernel_socket_folder(spawner)
    if sockets is not None:  # the connection files and the sockets beside them
        environment["JUPYTER_RUNTIME_DIR"] = str(sockets)
    spawner.environment = environment
    # Appended: the configuration's own options (terminals off, the culler …) all stay, and the
    # role's come last, so that they win over an earlier value of the same option. Only those not
    # there yet: the hook runs again on a spawner restarted after a failure, and a single-valued
    # option given twice (the authorizer) stops the server at start.
    args = [a for a in spawner.args or [] if sockets is not None or a != KERNEL_TRANSPORT_OPTION]
    added = spawner_arguments(env["HEHU_ROLE"])
    if sockets is not None:
        added.append(KERNEL_TRANSPORT_OPTION)
    theirs = {a for a in args if a.startswith(AUTHORIZER_OPTION)} - set(added)
    if theirs and any(a.startswith(AUTHORIZER_OPTION) for a in added):
        # Never dropped for ours (and two would stop the server anyway): say why, here.
        raise ValueError(
            f"c.Spawner.args sets its own authorizer ({', '.join(sorted(theirs))}); "
            f"{spawner.user.name}'s server needs {PAGES_ONLY_AUTHORIZER}"
        )
    spawner.args = args + [a for a in added if a not in args]
    log = getattr(spawner, "log", None)
    if log is not None:
        log.info("hehu: %s starts as %s (groups %s)", spawner.user.name, env["HEHU_ROLE"], groups)
