"""Serving with JupyterHub: roles from the hub's groups, and the shipped hub configuration."""

from __future__ import annotations

import logging
import os
import shutil
import stat
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from traitlets.config import Config

from hehu.serve import hub
from hehu.serve.hub import (
    pre_spawn_hook,
    role_from_groups,
    spawner_arguments,
    spawner_environment,
)
from hehu.serve.lab import LAB_OPTIONS
from hehu.serve.voila import JUPYTER_DATA, KERNEL_TRANSPORT_OPTION, TEMPLATE_OPTIONS

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "deploy" / "jupyterhub_config.py"
PG = "postgresql+psycopg://hehu@db.example/hehu"


@pytest.mark.parametrize(
    ("groups", "role"),
    [
        (["hehu-admin"], "admin"),
        (["hehu-staff"], "staff"),
        (["hehu-presenter"], "presenter"),
        (["hehu-deputy"], "deputy"),
        (["hehu-deputy", "hehu-staff"], "staff"),
        (["hehu-presenter", "hehu-deputy"], "presenter"),
        (["hehu-deputy", "hehu-presenter", "hehu-staff", "hehu-admin"], "admin"),
        ([], "deputy"),
        (None, "deputy"),
        (["teachers", "admin", "staff", "hehu-root"], "deputy"),
        (["teachers", "hehu-staff"], "staff"),
        ([" Hehu-Staff "], "staff"),
        (["HEHU-ADMIN\t"], "admin"),
        (["hehu staff", "hehu_staff", "hehu-staff-extra"], "deputy"),
    ],
)
def test_role_from_groups(groups, role):
    assert role_from_groups(groups) == role


def test_every_hehu_role_has_a_group():
    from hehu.disclosure import DEFAULT_ROLE, ROLES

    hub_roles = [r for r in ROLES if r != "unit"]
    assert {role_from_groups([f"hehu-{r}"]) for r in hub_roles} == set(hub_roles)
    # A unit's users sign in to `hehu serve` by name (issue 14); the hub cannot tell which
    # unit a group member belongs to yet, so its group gives the least privilege.
    assert role_from_groups(["hehu-unit"]) == DEFAULT_ROLE


def test_spawner_environment():
    env = spawner_environment("li", ["hehu-deputy"], PG)
    # the hub user is the person: their writes name them (hehu.disclosure.current_actor)
    assert env == {"HEHU_DB": PG, "HEHU_ROLE": "deputy", "HEHU_USER": "li"}
    assert spawner_environment("li", [], PG, lang="en")["HEHU_LANG"] == "en"
    assert "HEHU_LANG" not in spawner_environment("li", [], PG, lang="fr")


def test_spawner_environment_gives_the_key_folder_only_to_roles_that_import():
    assert (
        spawner_environment("w", ["hehu-staff"], PG, home="/srv/hehu")["HEHU_HOME"] == "/srv/hehu"
    )
    assert (
        spawner_environment("a", ["hehu-admin"], PG, home="/srv/hehu")["HEHU_HOME"] == "/srv/hehu"
    )
    assert "HEHU_HOME" not in spawner_environment("l", ["hehu-deputy"], PG, home="/srv/hehu")
    assert "HEHU_HOME" not in spawner_environment("p", ["hehu-presenter"], PG, home="/srv/hehu")


@pytest.mark.parametrize("db_url", [None, ""])
def test_spawner_environment_refuses_to_start_without_the_shared_database(db_url):
    with pytest.raises(ValueError, match="HEHU_DB"):
        spawner_environment("li", ["hehu-staff"], db_url)


def fake_spawner(name, groups, environment=None, args=None):
    """The attributes of a JupyterHub spawner that the hook reads and writes."""
    user = SimpleNamespace(name=name, groups=[SimpleNamespace(name=g) for g in groups])
    return SimpleNamespace(
        user=user,
        environment=dict(environment or {}),
        args=list(args or []),
        log=logging.getLogger("test-hub"),
    )


def test_pre_spawn_hook_sets_the_role_from_the_users_groups(monkeypatch):
    monkeypatch.setenv("HEHU_DB", PG)
    monkeypatch.setenv("HEHU_LANG", "en")
    monkeypatch.setenv("HEHU_HOME", "/srv/hehu")
    spawner = fake_spawner("wang", ["other", "hehu-staff"], {"HEHU_TILES": "osm"})
    pre_spawn_hook(spawner)
    assert spawner.environment == {
        "HEHU_DB": PG,
        "HEHU_ROLE": "staff",
        "HEHU_USER": "wang",
        "HEHU_LANG": "en",
        "HEHU_HOME": "/srv/hehu",
        "HEHU_TILES": "osm",
    }


def test_pre_spawn_hook_overrides_a_role_left_in_the_configuration(monkeypatch):
    monkeypatch.setenv("HEHU_DB", PG)
    monkeypatch.delenv("HEHU_LANG", raising=False)
    monkeypatch.setenv("HEHU_HOME", "/srv/hehu")
    spawner = fake_spawner("li", [], {"HEHU_ROLE": "admin", "HEHU_HOME": "/elsewhere"})
    pre_spawn_hook(spawner)
    assert spawner.environment == {"HEHU_DB": PG, "HEHU_ROLE": "deputy", "HEHU_USER": "li"}


def test_pre_spawn_hook_without_a_log_or_database(monkeypatch):
    monkeypatch.delenv("HEHU_DB", raising=False)
    spawner = fake_spawner("li", ["hehu-deputy"])
    del spawner.log
    with pytest.raises(ValueError, match="HEHU_DB"):
        pre_spawn_hook(spawner)
    monkeypatch.setenv("HEHU_DB", PG)
    pre_spawn_hook(spawner)
    assert spawner.environment["HEHU_ROLE"] == "deputy"


# --------------------------------------------------------------------------- kernels' sockets


class SimpleLocalProcessSpawner(SimpleNamespace):
    """Named as jupyterhub's: the hook knows a spawner starting a local process by its class."""


@pytest.fixture
def sockets_root(monkeypatch):
    """A short root for the users' socket folders (a pytest tmp path is too long for one)."""
    root = tempfile.mkdtemp(prefix="hk-", dir="/tmp")
    monkeypatch.setenv("HEHU_KERNEL_SOCKETS", root)
    monkeypatch.setenv("HEHU_DB", PG)
    yield Path(root)
    shutil.rmtree(root, ignore_errors=True)


def local_spawner(name: str, args=None) -> SimpleLocalProcessSpawner:
    return SimpleLocalProcessSpawner(**vars(fake_spawner(name, ["hehu-deputy"], args=args)))


def test_a_local_servers_kernels_use_sockets_in_a_folder_of_its_own(sockets_root):
    spawner = local_spawner("daibiao-li", args=["--ServerApp.terminals_enabled=False"])
    pre_spawn_hook(spawner)
    folder = sockets_root / "daibiao-li"
    assert spawner.environment["JUPYTER_RUNTIME_DIR"] == str(folder)
    info = os.lstat(folder)
    assert stat.S_ISDIR(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o700
    assert info.st_uid == os.getuid()
    assert server_config(spawner.args).KernelManager.transport == "ipc"
    pre_spawn_hook(spawner)  # started again: the option once
    assert spawner.args.count(KERNEL_TRANSPORT_OPTION) == 1


def test_kernels_keep_tcp_where_a_socket_path_would_not_fit_or_the_folder_is_not_theirs(
    sockets_root, monkeypatch, caplog
):
    spawner = local_spawner("daibiao-li")
    pre_spawn_hook(spawner)
    assert KERNEL_TRANSPORT_OPTION in spawner.args
    # 107 bytes at most in a socket's path: this root leaves no room for kernel-<uuid>-ipc-1.
    monkeypatch.setenv("HEHU_KERNEL_SOCKETS", str(sockets_root / ("x" * 50)))
    with caplog.at_level(logging.WARNING, logger="test-hub"):
        pre_spawn_hook(spawner)
    assert "too long" in caplog.text
    assert "JUPYTER_RUNTIME_DIR" not in spawner.environment  # nor left from the last start
    assert KERNEL_TRANSPORT_OPTION not in spawner.args
    assert spawner.environment["HEHU_ROLE"] == "deputy"  # the server still starts
    # A link planted where the folder goes is not followed.
    monkeypatch.setenv("HEHU_KERNEL_SOCKETS", str(sockets_root))
    elsewhere = sockets_root / "elsewhere"
    elsewhere.mkdir()
    mode = os.stat(elsewhere).st_mode
    (sockets_root / "zhang").symlink_to(elsewhere)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="test-hub"):
        pre_spawn_hook(planted := local_spawner("zhang"))
    assert "not a folder" in caplog.text
    assert "JUPYTER_RUNTIME_DIR" not in planted.environment
    assert os.stat(elsewhere).st_mode == mode  # not made private for zhang: not theirs


class LocalProcessSpawner(SimpleNamespace):
    """Named as jupyterhub's: the server runs as the user's own account."""


def test_kernels_keep_tcp_where_the_root_is_not_the_hubs_alone_or_the_user_has_no_account(
    sockets_root, caplog
):
    sockets_root.chmod(0o777)  # anyone could swap a user's folder for a link of theirs
    with caplog.at_level(logging.WARNING, logger="test-hub"):
        pre_spawn_hook(spawner := local_spawner("daibiao-li"))
    assert "others may write" in caplog.text
    assert "JUPYTER_RUNTIME_DIR" not in spawner.environment
    assert not (sockets_root / "daibiao-li").exists()
    sockets_root.chmod(0o700)
    nobody = LocalProcessSpawner(**vars(fake_spawner("no-such-account-hehu", ["hehu-deputy"])))
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="test-hub"):
        pre_spawn_hook(nobody)  # starts, as it would have (and fails there, not here)
    assert "KeyError" in caplog.text
    assert KERNEL_TRANSPORT_OPTION not in nobody.args


def test_a_root_named_through_a_link_is_followed_once(sockets_root, monkeypatch):
    """/var/run -> /run on some systems: the administrator's root may be a link."""
    (sockets_root / "real").mkdir(mode=0o755)
    (sockets_root / "named").symlink_to(sockets_root / "real")
    monkeypatch.setenv("HEHU_KERNEL_SOCKETS", str(sockets_root / "named"))
    pre_spawn_hook(spawner := local_spawner("li"))
    assert spawner.environment["JUPYTER_RUNTIME_DIR"] == str(sockets_root / "real" / "li")


def test_a_server_in_a_container_keeps_its_settings():
    """Not a local process (DockerSpawner, KubeSpawner): other users' processes are elsewhere."""
    assert hub.kernel_socket_folder(fake_spawner("li", [])) is None


# --------------------------------------------------------------------------- the server by role


def server_config(args: list[str]) -> Config:
    """The configuration jupyter_server makes of these command-line options."""
    from jupyter_server.serverapp import ServerApp

    app = ServerApp()
    app.parse_command_line(args)
    return app.config


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_staff_and_admin_servers_are_the_configurations_with_jupyterlab(role):
    # Nothing added: JupyterLab is on as installed, Jupyter's API open to its owner.
    assert spawner_arguments(role) == []


@pytest.mark.parametrize("role", ["deputy", "presenter", "unknown", ""])
def test_deputies_and_presenters_get_the_pages_only(role):
    config = server_config(spawner_arguments(role))
    assert config.ServerApp.jpserver_extensions == {
        "jupyterlab": False,
        "notebook": False,
        "nbclassic": False,
        "jupyter_lsp": False,
        "jupyter_server_terminals": False,
    }
    assert config.ServerApp.authorizer_class == "hehu.serve.authorizer.PagesOnlyAuthorizer"
    # The widgets' messages reach the page's kernel; code does not.
    allowed = config.MappingKernelManager.allowed_message_types
    assert {"comm_open", "comm_msg", "comm_close", "kernel_info_request"} <= set(allowed)
    assert not {"execute_request", "inspect_request", "complete_request"} & set(allowed)


def test_the_pages_only_authorizer_is_a_jupyter_authorizer():
    from jupyter_server.auth import Authorizer
    from traitlets.utils.importstring import import_item

    assert issubclass(import_item(hub.PAGES_ONLY_AUTHORIZER), Authorizer)


def handler(method: str, path: str, **path_kwargs):
    return SimpleNamespace(
        request=SimpleNamespace(method=method, path=path), path_kwargs=path_kwargs
    )


@pytest.mark.parametrize(
    ("request_", "action", "resource", "allowed"),
    [
        # The page's own kernel: its websocket and its model, by id.
        (handler("GET", "/api/kernels/k/channels", kernel_id="k"), "execute", "kernels", True),
        (handler("GET", "/api/kernels/k", kernel_id="k"), "read", "kernels", True),
        # Everything else of Jupyter's.
        (handler("GET", "/api/kernels"), "read", "kernels", False),
        (handler("POST", "/api/kernels"), "write", "kernels", False),
        (handler("DELETE", "/api/kernels/k", kernel_id="k"), "write", "kernels", False),
        (handler("POST", "/api/kernels/k/restart", kernel_id="k"), "write", "kernels", False),
        (handler("GET", "/api/contents"), "read", "contents", False),
        (handler("PUT", "/api/contents/a.ipynb"), "write", "contents", False),
        (handler("GET", "/files/a.ipynb"), "read", "contents", False),
        (handler("GET", "/api/sessions"), "read", "sessions", False),
        (handler("GET", "/api/kernelspecs"), "read", "kernelspecs", False),
        (handler("GET", "/api/terminals"), "read", "terminals", False),
        (handler("GET", "/lsp/status"), "read", "lsp", False),
        (handler("POST", "/api/shutdown"), "write", "server", False),
        (handler("GET", "/api/status"), "read", "api", False),
        (SimpleNamespace(), "execute", "contents", False),
    ],
)
def test_pages_only_authorizer(request_, action, resource, allowed, caplog):
    from hehu.serve.authorizer import PagesOnlyAuthorizer

    authorizer = PagesOnlyAuthorizer(log=logging.getLogger("test-authorizer"))
    user = SimpleNamespace(username="li")
    with caplog.at_level(logging.WARNING, logger="test-authorizer"):
        assert authorizer.is_authorized(request_, user, action, resource) is allowed
    assert ("hehu: refused" in caplog.text) is not allowed


def test_pre_spawn_hook_appends_the_roles_arguments_to_the_configurations(monkeypatch):
    c = load_config(monkeypatch)
    configured = list(c.Spawner.args)
    monkeypatch.setenv("HEHU_DB", PG)
    deputy = fake_spawner("li", ["hehu-deputy"], args=configured)
    pre_spawn_hook(deputy)
    # Every security option of the configuration stays, in its place; the role's come after.
    assert deputy.args == configured + spawner_arguments("deputy")
    assert "--ServerApp.terminals_enabled=False" in deputy.args
    assert c.Spawner.args == configured  # the configuration itself is not changed
    staff = fake_spawner("wang", ["hehu-staff"], args=configured)
    pre_spawn_hook(staff)
    assert staff.args == configured


def test_pre_spawn_hook_may_run_again_on_the_same_spawner(monkeypatch):
    # A spawner whose start failed is started again as it is: its options are not doubled (the
    # server refuses a single-valued option given twice).
    monkeypatch.setenv("HEHU_DB", PG)
    spawner = fake_spawner("li", ["hehu-deputy"], args=["--ServerApp.terminals_enabled=False"])
    pre_spawn_hook(spawner)
    once = list(spawner.args)
    pre_spawn_hook(spawner)
    assert spawner.args == once
    config = server_config(spawner.args)
    assert config.ServerApp.terminals_enabled is False
    assert config.ServerApp.authorizer_class == hub.PAGES_ONLY_AUTHORIZER
    assert config.ServerApp.jpserver_extensions["jupyterlab"] is False


def test_pre_spawn_hook_never_replaces_an_authorizer_of_the_configuration(monkeypatch):
    monkeypatch.setenv("HEHU_DB", PG)
    theirs = ["--ServerApp.authorizer_class=county.CountyAuthorizer"]
    with pytest.raises(ValueError, match="county.CountyAuthorizer"):
        pre_spawn_hook(fake_spawner("li", ["hehu-deputy"], args=theirs))
    staff = fake_spawner("wang", ["hehu-staff"], args=theirs)
    pre_spawn_hook(staff)  # staff add no authorizer: theirs stays, alone
    assert staff.args == theirs


def load_config(monkeypatch, **env) -> Config:
    """Execute deploy/jupyterhub_config.py the way JupyterHub does, into a real traitlets Config."""
    for key in ("HEHU_TILES", "HEHU_TIANDITU_KEY", "HEHU_GROUPS_FROM_LOGIN", "HEHU_HUB_PORT",
                "HEHU_HUB_IP", "HEHU_DB"):  # fmt: skip
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    c = Config()
    namespace = {"get_config": lambda: c, "__file__": str(CONFIG), "__name__": "__config__"}
    exec(compile(CONFIG.read_text(encoding="utf-8"), str(CONFIG), "exec"), namespace)
    return c


def test_hub_config_spawns_voila_pages_with_the_group_roles(monkeypatch):
    c = load_config(monkeypatch, HEHU_TILES="osm")
    assert c.Spawner.pre_spawn_hook is hub.pre_spawn_hook
    assert c.Spawner.default_url == "/voila/render/overview.ipynb"
    assert Path(c.Spawner.cmd[0]).name == "jupyterhub-singleuser"
    assert Path(c.Spawner.notebook_dir) == REPO / "notebooks"
    assert (Path(c.Spawner.notebook_dir) / "overview.ipynb").exists()
    assert "--ServerApp.terminals_enabled=False" in c.Spawner.args
    # Never a role in the static environment: it comes from the groups only.
    # and Hehu's Voila template, with nothing fetched from outside the server.
    assert c.Spawner.environment == {"HEHU_TILES": "osm", "JUPYTER_PATH": str(JUPYTER_DATA)}
    assert set(TEMPLATE_OPTIONS) <= set(c.Spawner.args)
    assert "--ServerApp.kernel_manager_class=hehu.serve.kernels.PageKernelManager" in c.Spawner.args
    assert set(c.JupyterHub.load_groups) == {f"hehu-{r}" for r in hub.ROLE_ORDER}
    assert c.Authenticator.manage_groups is False
    assert c.Authenticator.allow_all is False
    # nothing in a user's home folder may change how their server starts
    assert c.Spawner.disable_user_config is True
    # staff's JupyterLab as `hehu lab` serves it: Chinese menus, nothing asked of the internet
    assert set(LAB_OPTIONS) <= set(c.Spawner.args)


def test_hub_config_can_take_groups_from_the_login(monkeypatch):
    c = load_config(monkeypatch, HEHU_GROUPS_FROM_LOGIN="1")
    assert c.Authenticator.manage_groups is True
    assert "load_groups" not in c.JupyterHub


def test_hub_config_listens_where_it_is_told(monkeypatch):
    assert load_config(monkeypatch).JupyterHub.bind_url == "http://:8000"
    c = load_config(monkeypatch, HEHU_HUB_IP="127.0.0.1", HEHU_HUB_PORT="8100")
    assert c.JupyterHub.bind_url == "http://127.0.0.1:8100"


def test_hub_config_culls_vanished_pages_and_runs_the_warmer(monkeypatch):
    assert "services" not in load_config(monkeypatch).JupyterHub  # no database, no warmer
    c = load_config(monkeypatch, HEHU_DB="postgresql+psycopg://hehu@db/hehu")
    assert "--MappingKernelManager.cull_connected=False" in c.Spawner.args
    # vanished pages' kernels go within minutes (issue 16), as with `hehu serve`
    assert "--MappingKernelManager.cull_idle_timeout=180" in c.Spawner.args
    assert "--MappingKernelManager.cull_interval=60" in c.Spawner.args
    (service,) = c.JupyterHub.services
    assert service["command"][1:3] == ["-m", "hehu.serve.warmer"]
    assert "postgresql" not in " ".join(service["command"])  # the URL only in the environment
    assert service["environment"]["HEHU_DB"] == "postgresql+psycopg://hehu@db/hehu"
