"""How every Voila that serves Hehu's pages is started: one command line, one template, one path.

``hehu serve``, the tests' Voila and the JupyterHub deployment all take their Voila options from
here, so that what the tests check (no outside request, the page's XSRF cookie) is what runs.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# A Jupyter data folder inside the package: voila/templates/hehu is Voila's lab template with
# nothing fetched from outside the server (no Font Awesome, MathJax or Mermaid from a CDN).
JUPYTER_DATA = Path(__file__).resolve().parent / "jupyter"
TEMPLATE = "hehu"

# Options for Voila as an application and as a Jupyter server extension (behind JupyterHub):
# Hehu's template, and no other a page's address could ask for. Voila lets ?template= pick
# any installed template (its stock ones fetch from CDNs) and ?theme= reach the page's markup
# unescaped (a script run with the session of whoever opens a crafted link).
TEMPLATE_OPTIONS = (
    f"--VoilaConfiguration.template={TEMPLATE}",
    "--VoilaConfiguration.allow_template_override=NO",
    "--VoilaConfiguration.allow_theme_override=NO",
)
# Closing a page shuts its kernel down: the page's shutdown request needs the _xsrf cookie,
# which Voila's page handler does not set by itself (hehu/serve/voila_xsrf.py).
XSRF_OPTION = "--Voila.identity_provider_class=hehu.serve.voila_xsrf.PageXsrfIdentityProvider"
# With users signed in (`hehu serve --users`): who a request is comes from the signed session
# cookie only, and a user may reach only the kernels of their own pages (hehu/serve/sessions.py).
USERS_OPTIONS = (
    "--Voila.identity_provider_class=hehu.serve.sessions.UserIdentityProvider",
    "--Voila.authorizer_class=hehu.serve.sessions.OwnKernelsAuthorizer",
)


def voila_environment(env: dict[str, str] | None = None) -> dict[str, str]:
    """``env`` (default: this process's) with Hehu's template folder first on JUPYTER_PATH."""
    env = dict(os.environ if env is None else env)
    paths = [str(JUPYTER_DATA)] + [p for p in env.get("JUPYTER_PATH", "").split(os.pathsep) if p]
    env["JUPYTER_PATH"] = os.pathsep.join(dict.fromkeys(paths))
    return env


# Kernels of pages no browser opened are given back within minutes (hehu/serve/kernels.py).
KERNEL_MANAGER_OPTION = (
    "--VoilaConfiguration.multi_kernel_manager_class=hehu.serve.kernels.PageKernelManager"
)
# Kernels talk to the server over Unix sockets in Voila's runtime folder, not TCP ports: no
# other process on the machine can reach a kernel's port, and no kernel dies at start because
# another process took the port Jupyter had picked for it between picking and binding.
KERNEL_TRANSPORT_OPTION = "--KernelManager.transport=ipc"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def host_check_option(ip: str) -> list[str]:
    """On a loopback address, the option that refuses a request whose Host is not this machine.

    Voila turns Jupyter's Host check off; without it a web page the user visits can make its own
    name resolve to 127.0.0.1 (DNS rebinding) and read the pages and widgets of a server that has
    no token. HEHU_ALLOWED_HOSTS (comma-separated) adds names that may reach it. On another
    address `hehu serve` requires a token instead.
    """
    if ip not in LOOPBACK:
        return []
    names = ["localhost"] + [
        name.strip() for name in os.environ.get("HEHU_ALLOWED_HOSTS", "").split(",") if name.strip()
    ]
    settings = {"allow_remote_access": False, "local_hostnames": names}
    return [f"--Voila.tornado_settings={settings!r}"]


def voila_command(notebook_dir: Path | str, port: int, ip: str, users: bool = False) -> list[str]:
    """The command that serves ``notebook_dir`` with Voila on ``ip:port`` the way Hehu needs
    (``users``: people sign in; the environment must then hold HEHU_USERS=1 too)."""
    return [
        sys.executable,
        "-m",
        "hehu.serve.voila_app",  # Voila, and the light pages beside it (hehu/serve/light.py)
        str(notebook_dir),
        "--no-browser",
        f"--port={port}",
        f"--Voila.ip={ip}",
        # That port or none: Voila would otherwise move to the next one, away from the
        # address `hehu serve` printed (hehu/serve/process.py).
        "--Voila.port_retries=0",
        *TEMPLATE_OPTIONS,
        *(USERS_OPTIONS if users else (XSRF_OPTION,)),
        KERNEL_MANAGER_OPTION,
        KERNEL_TRANSPORT_OPTION,
        *host_check_option(ip),
    ]
