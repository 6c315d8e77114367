"""JupyterHub configuration for serving Hehu to many users (呵护多用户部署).

Start with `jupyterhub -f deploy/jupyterhub_config.py` (see deploy/README.md). Each user who logs
in gets their own single-user server showing the Hehu pages with Voila; their Hehu role comes from
the hub's groups (hehu-admin, hehu-staff, hehu-presenter, hehu-deputy; none → deputy), set by
hehu.serve.hub.pre_spawn_hook before the server starts. No page or URL can change it.

The role also decides what the server offers besides the pages (hehu.serve.hub.spawner_arguments,
appended to c.Spawner.args below): staff and admin get JupyterLab at /user/NAME/lab as well;
deputies and presenters get the Voila pages only (JupyterLab and the other notebook frontends
off, Jupyter's REST API refused by hehu.serve.authorizer, no code sent to a page's kernel).

Needs, in the hub's Python environment: jupyterhub, hehu (pip install -e .), which brings voila.
Reads from the hub's environment: HEHU_DB (required: the shared PostgreSQL URL), and optionally
HEHU_LANG (zh|en), HEHU_HOME (the shared folder holding pseudonym.key, for staff and admin only),
HEHU_TILES, HEHU_TIANDITU_KEY, HEHU_HUB_PORT, HEHU_HUB_IP, HEHU_KERNEL_SOCKETS (the root of
each user's folder of kernel sockets, /run/hehu-kernels by default: hehu.serve.hub).
"""

import os
import sys
from pathlib import Path

c = get_config()  # noqa: F821 — provided by JupyterHub when it loads this file

REPO = Path(__file__).resolve().parents[1]
# The hub's Python must import hehu (pip install -e . in the hub's venv); this line also lets a
# checkout run the hub straight from the repository.
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from hehu.cli.main import CULL_IDLE_DEFAULT, cull_options  # noqa: E402
from hehu.serve.hub import pre_spawn_hook  # noqa: E402
from hehu.serve.lab import LAB_OPTIONS  # noqa: E402
from hehu.serve.routes import LIGHT_EXTENSION  # noqa: E402
from hehu.serve.voila import TEMPLATE_OPTIONS, voila_environment  # noqa: E402

NOTEBOOKS = os.environ.get("HEHU_NOTEBOOKS", str(REPO / "notebooks"))
BIN = Path(sys.executable).parent  # the hub's venv: jupyterhub-singleuser and voila live there

# --------------------------------------------------------------------------- the hub itself

# One address for everyone; put nginx with HTTPS in front of it (deploy/README.md, step 6).
# HEHU_HUB_IP=127.0.0.1 when nginx runs on the same server: then plain HTTP is not reachable
# from the network at all, only through nginx's HTTPS. Empty (the default) listens everywhere.
c.JupyterHub.bind_url = (
    f"http://{os.environ.get('HEHU_HUB_IP', '')}:{os.environ.get('HEHU_HUB_PORT', '8000')}"
)
# The hub's own state (users, groups, tokens) — not Hehu's records, which live in HEHU_DB.
c.JupyterHub.db_url = os.environ.get("HEHU_HUB_DB", "sqlite:///jupyterhub.sqlite")

# --------------------------------------------------------------------------- who logs in

# Placeholder: PAM, i.e. the server's own accounts (`adduser wang`). Replace it with the county's
# login (LDAP: ldapauthenticator; OAuth/统一身份认证: oauthenticator) when there is one.
c.JupyterHub.authenticator_class = "jupyterhub.auth.PAMAuthenticator"
# Only listed people may log in; an empty list here plus allow_all=False lets nobody in but admins.
c.Authenticator.allowed_users = set()
c.Authenticator.allow_all = False
# Hub administrators manage users and groups on /hub/admin. Being a hub admin gives NO Hehu role:
# put them in hehu-admin as well if they should see person-level rows.
c.Authenticator.admin_users = {"hehu-it"}

# Where roles come from. Two ways, pick one:
#  (a) the county's login knows the groups (LDAP groups, OAuth claims): set this to True and the
#      authenticator assigns hub groups at each login; the group API and load_groups are then off.
#  (b) the hub keeps them: False, and groups are created below and edited on /hub/admin.
GROUPS_FROM_LOGIN = os.environ.get("HEHU_GROUPS_FROM_LOGIN", "") == "1"
c.Authenticator.manage_groups = GROUPS_FROM_LOGIN
if not GROUPS_FROM_LOGIN:
    # load_groups only ever adds: removing someone is done on /hub/admin (or the REST API).
    # Members listed here are also allowed to log in.
    c.JupyterHub.load_groups = {
        "hehu-admin": {"users": []},
        "hehu-staff": {"users": []},  # e.g. ["fulian-wang"] 妇联工作人员
        "hehu-presenter": {"users": []},  # e.g. ["huiyi-touying"] 会议投影
        "hehu-deputy": {"users": []},  # e.g. ["daibiao-li"] 人大代表
    }
    c.Authenticator.allowed_users |= {
        user for group in c.JupyterHub.load_groups.values() for user in group["users"]
    }

# --------------------------------------------------------------------------- each user's server

# Voila has no hub login of its own: standalone `voila` spawned by the hub would not check who
# opens it. jupyterhub-singleuser does (only the owner reaches /user/NAME/), and Voila runs inside
# it as a Jupyter server extension (enabled when voila is pip-installed) at /voila/render/….
# JupyterLab runs in it too (also pip-installed, a Hehu dependency), but only for staff and admin:
# pre_spawn_hook adds the options that turn it off, with the rest of Jupyter's API, for deputies
# and presenters (hehu.serve.hub.spawner_arguments).
c.Spawner.cmd = [str(BIN / "jupyterhub-singleuser")]
c.Spawner.notebook_dir = NOTEBOOKS
# Where a user lands after login: the county overview, for every role; staff and admin reach
# JupyterLab at /user/NAME/lab.
c.Spawner.default_url = "/voila/render/overview.ipynb"
# A user's own ~/.jupyter config files are not read: nothing in a home folder may change how the
# server starts (its authorizer, its extensions, its message filter).
c.Spawner.disable_user_config = True
# Everyone's options. pre_spawn_hook appends the role's after these, never removing one: keep
# the role's own (jpserver_extensions, authorizer_class, allowed_message_types) out of this list.
c.Spawner.args = [
    # No shell in the browser: a terminal would reach the database credentials directly.
    "--ServerApp.terminals_enabled=False",
    # The pages, nothing else, in the file browser of /voila/tree.
    "--ContentsManager.allow_hidden=False",
    # A page that vanished without closing (a phone dropping the tab, a crash) leaves its kernel
    # disconnected: shut it down after the same idle minutes as `hehu serve`. Open pages keep
    # theirs however long they sit unused (cull_connected=False); a closed page's own shutdown
    # request ends its kernel at once (behind the hub the _xsrf cookie is set at login).
    *cull_options(CULL_IDLE_DEFAULT),
    # Hehu's Voila template and no other: nothing fetched from outside the server, nothing of
    # the address in the page's markup (hehu/serve/voila.py).
    *TEMPLATE_OPTIONS,
    # The light briefing and overview, plain HTML with no kernel, at /user/NAME/hehu/briefing/CODE
    # and /user/NAME/hehu/overview (hehu/serve/light.py), for every role.
    f"--ServerApp.jpserver_extensions={LIGHT_EXTENSION}=True",
    # A page fetched without a browser (a script, a link preview) gives its kernel back within
    # minutes instead of waiting for the culler above (hehu/serve/kernels.py).
    "--ServerApp.kernel_manager_class=hehu.serve.kernels.PageKernelManager",
    # Staff's JupyterLab as `hehu lab` serves it: menus in Chinese, no news, update check or
    # PyPI search (hehu/serve/lab.py). Unused where the role's options turn JupyterLab off.
    *LAB_OPTIONS,
]
# The figure warmer (hehu/warmer.py): after every change of the records it computes the
# overview's figures in the background, so that no deputy's page waits for them. A service the hub
# starts and stops with itself; it needs HEHU_DB in the hub's environment.
if os.environ.get("HEHU_DB"):
    c.JupyterHub.services = [
        {
            "name": "hehu-figure-warmer",
            # The light pages of deputies and presenters too, the many who read at once.
            "command": [
                sys.executable,
                "-m",
                "hehu.serve.warmer",
                "--every",
                "30",
                "--light-role",
                "deputy",
                "--light-role",
                "presenter",
            ],  # fmt: skip
            "environment": {"HEHU_DB": os.environ["HEHU_DB"], "PYTHONPATH": str(REPO)},
        }
    ]

# The role, database and language, and the role's server options (JupyterLab or the pages only):
# set per user from the hub's groups before each start.
c.Spawner.pre_spawn_hook = pre_spawn_hook
# Server-wide map settings pass through unchanged (never the role: pre_spawn_hook owns that).
# JUPYTER_PATH: where Voila finds Hehu's template.
c.Spawner.environment = {
    key: os.environ[key] for key in ("HEHU_TILES", "HEHU_TIANDITU_KEY") if key in os.environ
} | {"JUPYTER_PATH": voila_environment({})["JUPYTER_PATH"]}
# A Voila page with the county map takes a while on a cold start on a small server.
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 60
# Many users on a county server: cap each one (enforced by spawners that support it, e.g. systemd).
c.Spawner.mem_limit = "1G"
