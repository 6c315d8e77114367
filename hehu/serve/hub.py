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
    env = {"HEHU_DB": db_url, "HEHU_ROLE": role}
    if lang in LANGS:
        env["HEHU_LANG"] = lang
    if home and role in KEY_ROLES:
        env["HEHU_HOME"] = home
    return env


def pre_spawn_hook(spawner) -> None:
    """`c.Spawner.pre_spawn_hook`: set the server's environment from the user's hub groups."""
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
    log = getattr(spawner, "log", None)
    if log is not None:
        log.info("hehu: %s starts as %s (groups %s)", spawner.user.name, env["HEHU_ROLE"], groups)
