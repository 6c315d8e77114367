"""A real JupyterHub, started with the repository's deploy/jupyterhub_config.py, driven in Chromium.

The hub loads deploy/jupyterhub_config.py itself (through `load_subconfig` in a small test config
written next to it) and the test config changes only what a test machine cannot have:

- SharedPasswordAuthenticator (JupyterHub's testing login: one password for users, another for
  the hub's admins) instead of PAM, for there are no system accounts here;
- SimpleLocalProcessSpawner (every server runs as the test's own user, with a home in a temporary
  folder) instead of LocalProcessSpawner, and `--allow-root` when the test runs as root (CI);
- the users put in the hub's groups with load_groups, as an administrator would;
- free ports for the hub, its proxy's API and the hub's internal API, and a real
  configurable-http-proxy from npm (installed once into ~/.cache/hehu-test/chp when missing).

Everything else is the shipped configuration: jupyterhub-singleuser with Voila inside it, the
overview as the landing page, terminals off, and hehu.serve.hub.pre_spawn_hook setting each server's
role from the user's groups, and with it JupyterLab for staff or the pages only for deputies. The hub's own environment holds HEHU_ROLE=admin on purpose: it must
reach nobody. Hehu's database is a SQLite copy of the demo.

Screenshots land in tests/artifacts/hub-*.png, the hub's log in tests/artifacts/hub.log.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest
from conftest import free_port, missing, tail
from hehu_fixtures import copy_sqlite
from playwright.sync_api import expect

pytestmark = [pytest.mark.hub, pytest.mark.browser]

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "deploy" / "jupyterhub_config.py"
# 4.x declares Node >= 10 (Debian 12 ships 18); 5.x declares Node >= 20. Tested here on Node 20.
CHP_VERSION = "4.6.3"
CHP_DIR = Path(os.environ.get("HEHU_CHP_DIR", Path.home() / ".cache" / "hehu-test" / "chp"))
PASSWORD, ADMIN_PASSWORD = "hehu-e2e-password", "hehu-e2e-admin-password-at-least-32-chars"
DEPUTY, STAFF = "daibiao-li", "fulian-wang"
# In no Hehu group, and the hub's administrator (admin_users in the shipped configuration).
NOBODY = "hehu-it"
HUB_START_TIMEOUT = 60
LOAD_TIMEOUT = 60_000
MARKERS = "path.leaflet-interactive"
REFUSED = "操作日志仅供妇联工作人员和管理员查看。"
ROLE_LABEL = {"deputy": "人大代表（仅汇总数据）", "staff": "妇联工作人员"}

# The hub loads this file; it loads the repository's configuration, then changes only what a
# test machine needs. Values come from the environment the test starts the hub with.
TEST_CONFIG = """\
import os

c = get_config()  # noqa: F821
load_subconfig(os.environ["HEHU_E2E_CONFIG"])  # noqa: F821 — deploy/jupyterhub_config.py

c.JupyterHub.bind_url = f"http://127.0.0.1:{os.environ['HEHU_HUB_PORT']}"
c.JupyterHub.hub_port = int(os.environ["HEHU_E2E_HUB_API_PORT"])
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{os.environ['HEHU_E2E_PROXY_API_PORT']}"
c.ConfigurableHTTPProxy.command = [os.environ["HEHU_E2E_CHP"]]

c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = os.environ["HEHU_E2E_PASSWORD"]
c.SharedPasswordAuthenticator.admin_password = os.environ["HEHU_E2E_ADMIN_PASSWORD"]

c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
c.SimpleLocalProcessSpawner.home_dir_template = os.environ["HEHU_E2E_HOMES"] + "/{username}"
if os.geteuid() == 0:  # CI runs as root; jupyter_server refuses root without this
    c.Spawner.args = [*c.Spawner.args, "--allow-root"]

# As an administrator would fill them in. The shipped file lets members of load_groups log in
# when it is read, so these two are added to allowed_users the same way; the hub's admin
# (admin_users, in no Hehu group) may always log in.
c.JupyterHub.load_groups["hehu-deputy"]["users"] = [os.environ["HEHU_E2E_DEPUTY"]]
c.JupyterHub.load_groups["hehu-staff"]["users"] = [os.environ["HEHU_E2E_STAFF"]]
c.Authenticator.allowed_users |= {os.environ["HEHU_E2E_DEPUTY"], os.environ["HEHU_E2E_STAFF"]}
"""


# --------------------------------------------------------------------------- the proxy


def configurable_http_proxy() -> str:
    """The `configurable-http-proxy` command: on PATH, in the cache, or installed there with npm."""
    on_path = shutil.which("configurable-http-proxy")
    if on_path:
        return on_path
    cached = CHP_DIR / "node_modules" / ".bin" / "configurable-http-proxy"
    if cached.exists():
        return str(cached)
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        missing(
            "JupyterHub's proxy needs Node.js and npm (apt-get install nodejs npm); "
            f"configurable-http-proxy is then installed into {CHP_DIR}"
        )
    # Into a folder of its own, moved into place when complete: a half install is never used.
    CHP_DIR.parent.mkdir(parents=True, exist_ok=True)
    partial = CHP_DIR.with_name(f"{CHP_DIR.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    proc = subprocess.run(
        [npm, "install", "--prefix", str(partial), "--no-audit", "--no-fund",
         "--loglevel=error", f"configurable-http-proxy@{CHP_VERSION}"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    if proc.returncode != 0:
        shutil.rmtree(partial, ignore_errors=True)
        raise RuntimeError(f"npm install configurable-http-proxy failed:\n{proc.stderr}")
    try:
        partial.rename(CHP_DIR)
    except OSError:  # another run got there first
        shutil.rmtree(partial, ignore_errors=True)
    return str(cached)


# --------------------------------------------------------------------------- the hub


class Hub(str):
    """The hub's public URL (a plain ``str``), with its log file attached."""

    log: Path
    db_url: str

    def log_tail(self, lines: int = 60) -> str:
        return tail(self.log, lines)


@pytest.fixture(scope="module")
def chp() -> str:
    """The proxy's command; skips (fails under CI) early, before the demo database is built."""
    if importlib.util.find_spec("jupyterhub") is None:
        missing("jupyterhub is not installed (pip install -e '.[test]' brings it)")
    return configurable_http_proxy()


@pytest.fixture(scope="module")
def hub(chp, demo_db_file, tmp_path_factory, artifacts_dir):
    """Start JupyterHub with deploy/jupyterhub_config.py on the demo database; yield its URL."""
    base = tmp_path_factory.mktemp("hub")
    (base / "homes").mkdir()
    db = base / "hehu.sqlite"
    copy_sqlite(demo_db_file, db)
    test_config = base / "jupyterhub_e2e_config.py"
    test_config.write_text(TEST_CONFIG, encoding="utf-8")
    port = free_port()
    # The users' kernel socket folders: /run/hehu-kernels is root's, and a pytest tmp path is
    # too long for a socket's (hehu/serve/hub.py).
    sockets = Path(tempfile.mkdtemp(prefix="hk-", dir="/tmp"))
    env = {
        **os.environ,
        "HEHU_KERNEL_SOCKETS": str(sockets),
        "HEHU_DB": f"sqlite:///{db}",
        "HEHU_LANG": "zh",
        "HEHU_HUB_PORT": str(port),
        "HEHU_HUB_DB": f"sqlite:///{base / 'jupyterhub.sqlite'}",
        # In the hub's environment on purpose: no user's server may inherit it.
        "HEHU_ROLE": "admin",
        "HEHU_E2E_CONFIG": str(CONFIG),
        "HEHU_E2E_HUB_API_PORT": str(free_port()),
        "HEHU_E2E_PROXY_API_PORT": str(free_port()),
        "HEHU_E2E_CHP": chp,
        "HEHU_E2E_PASSWORD": PASSWORD,
        "HEHU_E2E_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "HEHU_E2E_HOMES": str(base / "homes"),
        "HEHU_E2E_DEPUTY": DEPUTY,
        "HEHU_E2E_STAFF": STAFF,
    }
    log = base / "jupyterhub.log"
    with log.open("wb") as out:
        # cwd=base: the cookie secret and the proxy's pid file are written there.
        proc = subprocess.Popen(
            [sys.executable, "-m", "jupyterhub", "-f", str(test_config)],
            cwd=base, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
    url = Hub(f"http://127.0.0.1:{port}")
    url.log = log
    url.db_url = f"sqlite:///{db}"
    url.sockets = sockets
    try:
        deadline = time.monotonic() + HUB_START_TIMEOUT
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"JupyterHub exited with {proc.returncode}:\n{tail(log)}")
            try:
                # Through the proxy: both the hub and the proxy answer.
                with urllib.request.urlopen(f"{url}/hub/api", timeout=2):
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"JupyterHub did not answer in {HUB_START_TIMEOUT} s:\n{tail(log)}"
                )
            time.sleep(0.3)
        yield url
    finally:
        # Everything the hub started, taken before it stops: users' servers and services run in
        # sessions of their own, and a hub that does not stop in time leaves them running.
        try:
            started = psutil.Process(proc.pid).children(recursive=True)
        except psutil.Error:
            started = []
        # SIGTERM: the hub stops every user's server and its proxy before it exits.
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        for child in started:
            with contextlib.suppress(psutil.Error):
                child.kill()
        shutil.copy(log, artifacts_dir / "hub.log")  # to read after a run, in CI too
        shutil.rmtree(sockets, ignore_errors=True)


def start_log_in(browser, hub: Hub, name: str, password: str = PASSWORD):
    """Send the hub's login form as ``name`` in a fresh browser context; return its page."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{hub}/hub/login")
    page.fill("#username_input", name)
    page.fill("#password_input", password)
    page.click("#login_submit")
    return page


def wait_for_overview(hub: Hub, page, name: str) -> None:
    """Wait until the hub has spawned the server and the browser shows the overview's map."""
    try:
        # The hub spawns the server, then sends the browser to Spawner.default_url.
        page.wait_for_url(
            re.compile(rf"/user/{name}/voila/render/overview\.ipynb"), timeout=LOAD_TIMEOUT
        )
        page.frame_locator("iframe.hehu-map").locator(MARKERS).first.wait_for(timeout=LOAD_TIMEOUT)
    except Exception:
        print(hub.log_tail())
        raise


@pytest.fixture(scope="module")
def users(browser, hub):
    """Everyone logged in at once (the hub spawns their servers side by side): name -> page."""
    pages = {DEPUTY: start_log_in(browser, hub, DEPUTY), STAFF: start_log_in(browser, hub, STAFF)}
    pages[NOBODY] = start_log_in(browser, hub, NOBODY, ADMIN_PASSWORD)
    try:
        for name, page in pages.items():
            wait_for_overview(hub, page, name)
        yield pages
    finally:
        for page in pages.values():
            page.context.close()


@pytest.fixture(scope="module")
def deputy(users):
    return users[DEPUTY]


@pytest.fixture(scope="module")
def staff(users):
    return users[STAFF]


def role_line(page):
    return page.locator(".hehu-sub").first


def open_audit(page, hub: Hub, name: str, query: str = ""):
    page.goto(f"{hub}/user/{name}/voila/render/audit.ipynb{query}")
    page.locator('[data-hehu="audit"], [data-hehu="error"]').first.wait_for(timeout=LOAD_TIMEOUT)


# --------------------------------------------------------------------------- the tests


def test_a_deputy_logs_in_and_lands_on_the_overview(hub, deputy, artifacts_dir):
    expect(role_line(deputy)).to_contain_text(ROLE_LABEL["deputy"])
    frame = deputy.frame_locator("iframe.hehu-map")
    assert frame.locator("path.hehu-marker").count() > 0
    deputy.screenshot(path=artifacts_dir / "hub-deputy-overview.png")
    assert f"hehu: {DEPUTY} starts as deputy" in hub.log.read_text(errors="replace")


def test_a_deputy_reads_the_light_briefing_behind_the_hubs_login(hub, deputy, artifacts_dir):
    deputy.goto(f"{hub}/user/{DEPUTY}/hehu/briefing/320826101000")
    expect(deputy.locator("[data-metric=cases_received]")).to_be_visible(timeout=LOAD_TIMEOUT)
    assert deputy.locator("script").count() == 0
    # its links are relative: made once (by the hub's warmer) for every user's address
    deputy.get_by_role("link", name="← 全县概览").click()
    expect(deputy.locator("table[data-hehu=light-overview] tbody tr")).to_have_count(
        16, timeout=LOAD_TIMEOUT
    )
    assert deputy.url.startswith(f"{hub}/user/{DEPUTY}/hehu/overview")
    deputy.screenshot(path=artifacts_dir / "hub-deputy-light-overview.png")
    # nobody logged in: the hub's login, never the page
    try:
        with urllib.request.urlopen(f"{hub}/user/{DEPUTY}/hehu/overview", timeout=60) as answer:
            text = answer.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as refused:
        text = refused.read().decode("utf-8", "replace")
    assert "light-overview" not in text


def test_a_deputy_is_refused_the_audit_log(hub, deputy, artifacts_dir):
    open_audit(deputy, hub, DEPUTY)
    expect(deputy.locator('[data-hehu="error"]')).to_have_text(REFUSED)
    expect(deputy.locator('[data-hehu="audit"]')).to_have_count(0)
    deputy.screenshot(path=artifacts_dir / "hub-deputy-audit-refused.png")


def test_a_query_string_cannot_raise_the_role(hub, deputy):
    open_audit(deputy, hub, DEPUTY, "?role=staff&HEHU_ROLE=admin")
    expect(deputy.locator('[data-hehu="error"]')).to_have_text(REFUSED)
    deputy.goto(f"{hub}/user/{DEPUTY}/voila/render/overview.ipynb?role=admin")
    expect(role_line(deputy)).to_contain_text(ROLE_LABEL["deputy"], timeout=LOAD_TIMEOUT)


def test_staff_read_the_audit_log(hub, staff, artifacts_dir):
    expect(role_line(staff)).to_contain_text(ROLE_LABEL["staff"])
    open_audit(staff, hub, STAFF)
    expect(staff.locator('[data-hehu="audit"]')).to_be_visible()
    expect(staff.locator('[data-hehu="error"]')).to_have_count(0)
    expect(role_line(staff)).to_contain_text(ROLE_LABEL["staff"])
    staff.screenshot(path=artifacts_dir / "hub-staff-audit.png")
    assert f"hehu: {STAFF} starts as staff" in hub.log.read_text(errors="replace")


def test_a_deputy_cannot_reach_someone_elses_server(hub, deputy, staff):
    # The staff member's server is running (the fixture logged them in); the deputy asks for it.
    # jupyterhub-singleuser sends them through the hub's OAuth, which refuses: 403.
    deputy.goto(f"{hub}/user/{STAFF}/voila/render/audit.ipynb")
    expect(deputy.locator("body")).to_contain_text(
        f"You do not have permission to access Server at /user/{STAFF}/"
    )
    expect(deputy.locator('[data-hehu="audit"]')).to_have_count(0)
    assert deputy.request.get(f"{hub}/user/{STAFF}/api/contents").status == 403


def test_terminals_are_off(hub, deputy):
    response = deputy.request.get(f"{hub}/user/{DEPUTY}/api/terminals")
    assert response.status == 404, response.status


def test_a_user_in_no_group_is_a_deputy_even_the_hubs_admin(hub, users, artifacts_dir):
    page = users[NOBODY]
    assert page.request.get(f"{hub}/hub/api/user").json()["admin"] is True
    expect(role_line(page)).to_contain_text(ROLE_LABEL["deputy"])
    open_audit(page, hub, NOBODY)
    expect(page.locator('[data-hehu="error"]')).to_have_text(REFUSED)
    page.screenshot(path=artifacts_dir / "hub-nogroup-audit-refused.png")
    assert f"hehu: {NOBODY} starts as deputy (groups [])" in hub.log.read_text(errors="replace")


def test_the_hubs_figure_warmer_service_prepares_the_overview(hub):
    """The hub runs hehu.serve.warmer as a managed service: the shared figures appear without a page."""
    import sqlalchemy as sa

    from hehu.figures.cache import FIGURES_FORMAT
    from hehu.records.schema import figure_cache
    from hehu.records.store import open_store

    store = open_store(hub.db_url, create=False)
    deadline = time.monotonic() + 240  # every figure of every period, and what is hidden
    while True:
        with store.engine.connect() as conn:
            names = set(
                conn.execute(
                    sa.select(figure_cache.c.name).where(
                        figure_cache.c.data_version == store.data_version()
                    )
                ).scalars()
            )
        if {f"{n}/{FIGURES_FORMAT}" for n in ("metrics", "gaps", "years", "place_hidden")} <= names:
            break
        assert time.monotonic() < deadline, f"no figures from the warmer:\n{hub.log_tail()}"
        time.sleep(0.5)
    assert "Starting managed service hehu-figure-warmer" in hub.log.read_text()


def kernel_processes(kernel_id: str) -> list[psutil.Process]:
    """The processes of the kernel with this id on this machine (servers run as the test's user).

    Read from the processes, not from /api/kernels: a deputy's server refuses to list them.
    """
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if f"kernel-{kernel_id}.json".encode() in cmdline.read_bytes():
                found.append(psutil.Process(int(cmdline.parent.name)))
        except (OSError, psutil.Error):  # the process ended while we looked
            continue
    return found


def kernel_running(kernel_id: str) -> bool:
    """Whether a process of the kernel with this id runs on this machine."""
    return bool(kernel_processes(kernel_id))


def page_kernel(page) -> str:
    """The id of the kernel Voila started for the page (in the page's Jupyter config)."""
    return page.evaluate(
        "JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId"
    )


def test_closing_a_page_behind_the_hub_ends_its_kernel(hub, deputy):
    """The page's own shutdown request is accepted behind the hub (the hub sets the _xsrf
    cookie at login), so a deputy's closed pages do not pile up kernels on the server."""
    page = deputy.context.new_page()
    page.goto(f"{hub}/user/{DEPUTY}/voila/render/overview.ipynb")
    page.frame_locator("iframe.hehu-map").locator(MARKERS).first.wait_for(timeout=LOAD_TIMEOUT)
    kernel = page_kernel(page)
    assert kernel_running(kernel), kernel
    page.close(run_before_unload=True)
    deadline = time.monotonic() + 60
    while kernel_running(kernel):
        assert time.monotonic() < deadline, f"kernel {kernel} still running:\n{hub.log_tail()}"
        time.sleep(0.5)
    assert "403 POST" not in hub.log.read_text()


def test_a_deputys_kernels_talk_over_sockets_only_they_can_reach(hub, deputy):
    """No TCP port of a kernel on the hub's machine, where any user's process could connect
    (its iopub port publishes every output): Unix sockets in a folder of the user's own."""
    page = deputy.context.new_page()
    page.goto(f"{hub}/user/{DEPUTY}/voila/render/overview.ipynb")
    page.frame_locator("iframe.hehu-map").locator(MARKERS).first.wait_for(timeout=LOAD_TIMEOUT)
    kernel = page_kernel(page)
    folder = hub.sockets / DEPUTY
    # Private (jupyter_client adds the sticky bit to a runtime folder: 0o1700).
    assert stat.S_IMODE(os.lstat(folder).st_mode) & 0o777 == 0o700
    connection = json.loads((folder / f"kernel-{kernel}.json").read_text())
    assert connection["transport"] == "ipc"
    sockets = sorted(p.name for p in folder.glob(f"kernel-{kernel}-ipc-*"))
    assert len(sockets) == 5 and all(stat.S_ISSOCK(os.lstat(folder / n).st_mode) for n in sockets)
    (process,) = kernel_processes(kernel)
    # Over TCP each of the five channels listens on a port of its own, and iopub's pipe for
    # forked processes' output besides. That pipe alone stays (ipykernel binds it on 127.0.0.1
    # whatever the transport): a PULL socket, which publishes nothing and takes only messages
    # carrying a random 16-byte key of the kernel's (ipykernel/iostream.py).
    listening = [c for c in process.net_connections("tcp") if c.status == psutil.CONN_LISTEN]
    assert len(listening) <= 1, listening
    page.close()


# --------------------------------------------------------------------------- JupyterLab by role


def xsrf_headers(page, name: str) -> dict[str, str]:
    """The header a POST to NAME's server needs (the _xsrf cookie the hub set at login), so
    that a refusal below is the server's decision, not a missing XSRF token."""
    cookies = [
        c for c in page.context.cookies() if c["name"] == "_xsrf"
        and f"/user/{name}/".startswith(c["path"].rstrip("/") + "/")
    ]  # fmt: skip
    assert cookies, page.context.cookies()
    # The most specific path is the one the browser would send first.
    return {"X-XSRFToken": max(cookies, key=lambda c: len(c["path"]))["value"]}


def test_a_deputy_gets_no_jupyterlab(hub, deputy, artifacts_dir):
    for path in ("lab", "lab/tree/overview.ipynb", "tree", "notebooks/overview.ipynb"):
        response = deputy.request.get(f"{hub}/user/{DEPUTY}/{path}")
        assert response.status == 404, (path, response.status)
    deputy.goto(f"{hub}/user/{DEPUTY}/lab")
    expect(deputy.locator("body")).to_contain_text("404")
    expect(deputy.locator(".jp-LabShell, #jupyter-config-data")).to_have_count(0)
    deputy.screenshot(path=artifacts_dir / "hub-deputy-lab-404.png")


def test_staff_start_a_kernel_of_their_own(hub, staff):
    """The request refused to a deputy (test_a_deputys_server_refuses_the_jupyter_api), accepted
    on a staff server: the deputy's 403 is the authorizer's, not a missing XSRF token."""
    api = f"{hub}/user/{STAFF}/api/kernels"
    response = staff.request.post(api, headers=xsrf_headers(staff, STAFF), data="{}")
    assert response.status == 201, (response.status, response.text()[:200])
    # Left to run: deleted while it still imports, it dies with a long traceback in the log;
    # never connected, it is shut down within minutes (hehu.serve.kernels), or with the hub.
    assert response.json()["id"]


def test_staff_open_jupyterlab(hub, staff, artifacts_dir):
    page = staff.context.new_page()
    try:
        page.goto(f"{hub}/user/{STAFF}/lab")
        # The launcher or the file browser listing the pages: JupyterLab has started.
        page.locator(".jp-Launcher, .jp-DirListing-item").first.wait_for(timeout=LOAD_TIMEOUT * 2)
        expect(page.locator(".jp-DirListing-item", has_text="overview.ipynb")).to_be_visible(
            timeout=LOAD_TIMEOUT
        )
        page.screenshot(path=artifacts_dir / "hub-staff-lab.png")
    finally:
        page.close()


# --------------------------------------------------------------------------- a page's kernel

# Sends the kernel an execute_request over its websocket, as a page's own code could, then a
# kernel_info_request; returns the types of the replies to the first, once the second is
# answered (the kernel answers its shell requests in order) or the execute_reply came.
SEND_CODE = """async ([url, code]) => {
  const ws = new WebSocket(url);
  await new Promise((ok, fail) => { ws.onopen = ok; ws.onerror = () => fail(new Error(url)); });
  const replies = [];
  const done = new Promise((resolve) => {
    ws.onmessage = (event) => {
      const msg = JSON.parse(event.data);
      const parent = (msg.parent_header || {}).msg_id;
      if (parent === "probe-code") replies.push(msg.msg_type);
      if (msg.msg_type === "execute_reply" && parent === "probe-code") resolve();
      if (msg.msg_type === "kernel_info_reply" && parent === "probe-info") resolve();
    };
  });
  const send = (id, type, content) => ws.send(JSON.stringify({
    header: {msg_id: id, msg_type: type, session: "probe", username: "probe",
             date: new Date().toISOString(), version: "5.3"},
    parent_header: {}, metadata: {}, content, channel: "shell", buffers: [],
  }));
  send("probe-code", "execute_request", {code, silent: false, store_history: false,
       user_expressions: {}, allow_stdin: false, stop_on_error: true});
  send("probe-info", "kernel_info_request", {});
  const late = new Promise((_, fail) => setTimeout(() => fail(new Error("no reply")), 30000));
  await Promise.race([done, late]);
  ws.close();
  return replies;
}"""


def send_code(hub: Hub, context, name: str, marker: Path) -> list[str]:
    """Open a page of NAME's, send its kernel code that writes ``marker``; the replies' types."""
    page = context.new_page()
    try:
        page.goto(f"{hub}/user/{name}/voila/render/overview.ipynb")
        page.frame_locator("iframe.hehu-map").locator(MARKERS).first.wait_for(timeout=LOAD_TIMEOUT)
        ws = f"{hub.replace('http', 'ws', 1)}/user/{name}/api/kernels/{page_kernel(page)}/channels"
        code = f"open({str(marker)!r}, 'w').write('ran')"
        return page.evaluate(SEND_CODE, [f"{ws}?session_id=probe", code])
    finally:
        page.close()


def test_a_deputys_page_kernel_runs_no_code_of_theirs(hub, deputy, staff, tmp_path):
    """The websocket of a page's kernel takes the widgets' messages, not code: a deputy cannot
    turn the kernel of their page into a Python prompt (and read the database's password)."""
    marker = tmp_path / "deputy-ran-code"
    replies = send_code(hub, deputy.context, DEPUTY, marker)
    time.sleep(1)  # had it run, the file would be there by now
    assert "execute_reply" not in replies, replies
    assert not marker.exists()
    assert 'Received message of type "execute_request", which is not allowed' in hub.log.read_text(
        errors="replace"
    )
    # The same request on a staff server runs (they have JupyterLab): the probe itself works.
    marker = tmp_path / "staff-ran-code"
    assert "execute_reply" in send_code(hub, staff.context, STAFF, marker)
    assert marker.read_text() == "ran"


def test_a_deputys_page_widgets_still_answer(hub, deputy):
    """Through the pages-only server the widgets still talk to the kernel: a new metric redraws
    the card (comm messages, allowed)."""
    page = deputy.context.new_page()
    try:
        page.goto(f"{hub}/user/{DEPUTY}/voila/render/overview.ipynb")
        page.frame_locator("iframe.hehu-map").locator(MARKERS).first.wait_for(timeout=LOAD_TIMEOUT)
        dropdown = page.locator(".hehu-controls .widget-dropdown").filter(has_text="指标")
        dropdown.locator("select").first.select_option(label="女童保护课程场次")
        expect(page.locator('[data-hehu="county-value"] .k')).to_contain_text(
            "女童保护课程场次", timeout=LOAD_TIMEOUT
        )
    finally:
        page.close()


# Last: were it not refused, POST api/shutdown would stop the deputy's server for the tests after.
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "api/kernels"),  # start a kernel of one's own, to run any code in it
        ("GET", "api/kernels"),
        ("GET", "api/sessions"),
        ("POST", "api/sessions"),
        ("GET", "api/contents"),  # read the notebooks' folder
        ("GET", "api/contents/overview.ipynb"),
        ("PUT", "api/contents/mine.ipynb"),  # write a notebook of one's own
        ("GET", "files/overview.ipynb"),
        ("GET", "api/kernelspecs"),
        ("GET", "nbconvert/html/overview.ipynb"),
        ("POST", "api/shutdown"),
    ],
)
def test_a_deputys_server_refuses_the_jupyter_api(hub, deputy, method, path):
    response = deputy.request.fetch(
        f"{hub}/user/{DEPUTY}/{path}",
        method=method,
        headers=xsrf_headers(deputy, DEPUTY),
        data="{}" if method != "GET" else None,
    )
    assert response.status == 403, (method, path, response.status, response.text()[:200])
    assert f"hehu: refused {method} /user/{DEPUTY}/{path}" in hub.log.read_text(errors="replace")
