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

import os
from collections.abc import Iterable

from hehu.disclosure import DEFAULT_ROLE, ROLES

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
        if k not in ("HEHU_ROLE", "HEHU_HOME")
    }
    environment.update(env)
    spawner.environment = environment
    # Appended: the configuration's own options (terminals off, the culler …) all stay, and the
    # role's come last, so that they win over an earlier value of the same option. Only those not
    # there yet: the hook runs again on a spawner restarted after a failure, and a single-valued
    # option given twice (the authorizer) stops the server at start.
    args = list(spawner.args or [])
    added = spawner_arguments(env["HEHU_ROLE"])
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
