"""`hehu serve --users`: people sign in; who they are, and so what they see, is the server's call.

One real server (a copy of the demo, five users) is driven over HTTP and in Chromium: signed-out
requests refused, the Chinese refusal, a sign-in, the lock-out through the page, tampered,
forged, expired and signed-out cookies refused, a disabled user stopped on the next request, a
role in a URL, a query, another cookie or a header changing nothing, a deputy and a staff member
on the same server at once each seeing their own page, each page's kernel its user's only, the
audit log naming the person, and no password in the server's log. A second server with a
sessions of seconds shows an old cookie refused once it has expired.
"""

from __future__ import annotations

import base64
import http.cookiejar
import json
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest
import sqlalchemy as sa
from hehu_fixtures import copy_sqlite
from test_kernel_lifecycle import (
    LOAD_TIMEOUT,
    hehu_serve,
    kernel_processes,
    serve_with_users,
    wait_for,
)
from tornado.web import create_signed_value

from hehu import accounts
from hehu.errors import HehuError
from hehu.records.schema import audit_log
from hehu.records.store import open_store

PASSWORDS = {
    "dep": "Dep-mima-7Qx!a",
    "stf": "Stf-mima-3Kp#b",
    "gone": "Gone-mima-9Wz$c",
    "lock1": "Lock-mima-5Rt%d",
    "police": "Unit-mima-2Yu&e",
}
ROLES = {"dep": "deputy", "stf": "staff", "gone": "deputy", "lock1": "deputy", "police": "unit"}
BAD_LOGIN = "用户名或密码不正确"
PLACE = "320826101000"


# --------------------------------------------------------------------------- without a server


def test_the_actor_is_the_signed_in_user_the_hub_user_or_the_role(monkeypatch):
    from hehu.disclosure import current_actor, current_role, current_unit

    for name in ("HEHU_USER", "JUPYTERHUB_USER", "HEHU_USERS", "HEHU_UNIT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HEHU_ROLE", "staff")
    assert current_actor() == "staff" and current_unit() is None  # one laptop: the role
    monkeypatch.setenv("JUPYTERHUB_USER", "li")
    assert current_actor() == "li"  # behind the hub: the hub user
    monkeypatch.setenv("HEHU_USERS", "1")
    monkeypatch.setenv("HEHU_USER", "王芳")
    monkeypatch.setenv("HEHU_UNIT", "公安局")
    assert current_actor() == "王芳" and current_unit() == "公安局"
    monkeypatch.delenv("HEHU_USER")
    monkeypatch.delenv("JUPYTERHUB_USER")
    monkeypatch.delenv("HEHU_ROLE")
    # a kernel that never got its user (a preheated kernel whose request did not arrive) sees
    # the least privilege and writes in nobody's name
    assert current_role() == "deputy"
    with pytest.raises(HehuError, match="未登录"):
        current_actor()


def test_the_session_secret_is_owner_only_and_replaced_when_others_could_read_it(tmp_path):
    from hehu.serve.sessions import SECRET_FILE, server_secret

    secret = server_secret(tmp_path)
    path = tmp_path / SECRET_FILE
    assert len(secret) == 32 and path.stat().st_mode & 0o777 == 0o600
    assert server_secret(tmp_path) == secret  # kept: sessions outlive a restart
    path.chmod(0o644)
    assert server_secret(tmp_path) != secret and path.stat().st_mode & 0o777 == 0o600


def test_users_mode_is_asked_for_or_follows_the_database(tmp_path, demo_db_file):
    from hehu.cli.main import build_parser, users_mode_wanted

    db = tmp_path / "d.sqlite"
    copy_sqlite(demo_db_file, db)
    url = f"sqlite:///{db}"

    def wanted(*options):
        return users_mode_wanted(build_parser().parse_args(["serve", "--db", url, *options]))

    assert not wanted()  # no users yet: the laptop's single role
    accounts.add_user(open_store(url, create=False), "a1", "a1-password-x", role="staff")
    assert wanted() and wanted("--users")
    assert not wanted("--role", "staff")  # --role keeps the one-role server
    with pytest.raises(HehuError, match="不能同时使用"):
        wanted("--users", "--role", "staff")


# --------------------------------------------------------------------------- the server


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Client:
    """One browser's worth of cookies, without following redirects."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect()
        )

    def request(self, path: str, data: dict | None = None, headers: dict | None = None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, headers=headers or {})
        try:
            with self.opener.open(req, timeout=120) as resp:
                return resp.status, resp.headers, resp.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers, exc.read().decode()

    def xsrf(self, path: str = "/hehu/login") -> str:
        status, _headers, body = self.request(path)
        assert status == 200, body
        return re.search(r'name="_xsrf" value="([^"]+)"', body).group(1)

    def sign_in(self, name: str, password: str, next_url: str = "/hehu/overview", headers=None):
        data = {"_xsrf": self.xsrf(), "name": name, "password": password, "next": next_url}
        return self.request("/hehu/login", data, headers)

    def session(self) -> http.cookiejar.Cookie | None:
        return next((c for c in self.jar if c.name.startswith("hehu-session-")), None)


@pytest.fixture(scope="module")
def server(tmp_path_factory, demo_db_file):
    tmp = tmp_path_factory.mktemp("login")
    people = {
        name: (ROLES[name], "公安局" if ROLES[name] == "unit" else None, password)
        for name, password in PASSWORDS.items()
    }
    os.environ["HEHU_SWEEP_SECONDS"] = "2"  # kernels of ended sessions go within seconds
    try:  # no password in the server's log, checked once every test has run
        with serve_with_users(tmp, demo_db_file, people) as running:
            running.home = tmp / "home"
            yield running
    finally:
        os.environ.pop("HEHU_SWEEP_SECONDS", None)


def audit_rows(db: str) -> list[dict]:
    store = open_store(db, create=False)
    with store.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(sa.select(audit_log))]
    store.engine.dispose()
    return rows


def test_signed_out_requests_to_pages_light_pages_and_the_api_are_refused(server):
    client = Client(server)
    for path in (f"/voila/render/briefing.ipynb?place={PLACE}", "/hehu/overview", "/voila/tree"):
        status, headers, _ = client.request(path)
        assert status == 302, path
        assert headers["Location"].startswith("/hehu/login?next=")
    assert client.request("/api/kernels")[0] == 403
    assert client.request(f"/api/kernels/{uuid.uuid4()}")[0] == 403
    assert client.request(f"/voila/api/shutdown/{uuid.uuid4()}", data={})[0] == 403
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    ws = server.replace("http://", "ws://") + f"/api/kernels/{uuid.uuid4()}/channels"
    with pytest.raises(InvalidStatus) as refused:
        connect(ws, open_timeout=30)
    assert refused.value.response.status_code == 403


def test_the_login_page_is_chinese_small_and_fetches_nothing(server):
    status, headers, body = Client(server).request("/hehu/login")
    assert status == 200 and 'lang="zh-CN"' in body
    assert "用户名" in body and "密码" in body and 'name="_xsrf"' in body
    assert 'name="viewport" content="width=device-width' in body
    assert not re.search(r"(src|href)=\"(https?:)?//", body) and "<script" not in body
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    english = Client(server).request("/hehu/login?lang=en")[2]
    assert "User name" in english and "Sign in" in english
    # a ?lang= that is not text is no language asked for: the page, not an empty 400
    status, _headers, body = Client(server).request("/hehu/login?lang=%ff")
    assert status == 200 and "用户名" in body


def test_a_wrong_password_is_refused_in_chinese_and_the_right_one_signs_in(server):
    client = Client(server)
    status, _headers, body = client.sign_in("dep", "not-the-password")
    assert status == 403 and BAD_LOGIN in body and client.session() is None
    # an unknown name gets the very same words
    assert BAD_LOGIN in client.sign_in("nobody-here", "not-the-password")[2]
    status, headers, _ = client.sign_in("dep", PASSWORDS["dep"], next_url="/hehu/overview")
    assert status == 303 and headers["Location"] == "/hehu/overview"
    cookie = headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "expires=" in cookie
    assert "Secure" not in cookie  # plain http on localhost; https sets it
    assert client.request("/hehu/overview")[0] == 200
    # an address elsewhere is never where a sign-in leads
    other = Client(server)
    assert other.sign_in("dep", PASSWORDS["dep"], "https://evil.example/")[1]["Location"] == (
        "/voila/render/overview.ipynb"
    )


def test_a_sign_in_without_the_xsrf_token_is_refused(server):
    client = Client(server)
    client.xsrf()
    status, _h, _b = client.request("/hehu/login", {"name": "dep", "password": PASSWORDS["dep"]})
    assert status == 403 and client.session() is None


def test_five_failures_through_the_page_lock_the_account(server):
    client = Client(server)
    for _ in range(accounts.MAX_FAILED_ATTEMPTS):
        assert BAD_LOGIN in client.sign_in("lock1", "wrong-password-1")[2]
    status, _headers, body = client.sign_in("lock1", PASSWORDS["lock1"])
    assert status == 403 and BAD_LOGIN in body and client.session() is None
    store = open_store(server.db, create=False)
    assert accounts.get_user(store, "lock1").locked()
    store.engine.dispose()
    assert any(r["action"] == "account" and "lock1" in r["what"] for r in audit_rows(server.db))


def _cookie_header(client: Client) -> dict:
    session = client.session()
    return {"Cookie": f"{session.name}={session.value}"}


def test_a_tampered_forged_expired_or_signed_out_cookie_is_refused(server):
    client = Client(server)
    client.sign_in("stf", PASSWORDS["stf"])
    session = client.session()
    bare = Client(server)
    assert bare.request("/hehu/overview", headers=_cookie_header(client))[0] == 200

    def refused(value: str) -> bool:
        status, _h, _b = bare.request(
            "/hehu/overview", headers={"Cookie": f"{session.name}={value}"}
        )
        return status == 302

    parts = session.value.strip('"').split("|")
    payload = json.loads(base64.b64decode(parts[4].split(":", 1)[1]))
    # the payload changed, the signature kept: another name, a later expiry
    for change in ({"name": "dep"}, {"exp": payload["exp"] + 86400}):
        altered = base64.b64encode(json.dumps({**payload, **change}).encode()).decode()
        forged = "|".join([*parts[:4], f"{len(altered)}:{altered}", parts[5]])
        assert refused(forged)
    secret = bytes.fromhex((server.home / "serve-secret").read_text().strip())

    def signed(with_secret: bytes, **change) -> str:
        value = json.dumps({**payload, **change})
        return create_signed_value(with_secret, session.name, value, version=2).decode()

    assert not refused(signed(secret))  # the test signs as the server does
    assert refused(signed(bytes(32)))  # a secret of one's own
    assert refused(signed(secret, exp=time.time() - 1))  # expired: refused on the server
    assert refused(signed(secret, name="dep"))  # another user's name, not their session
    # signing out ends the session: a copy of the cookie is refused afterwards
    copy = session.value
    client.request("/hehu/logout", {"_xsrf": client.xsrf("/hehu/logout")})
    assert client.session() is None
    assert refused(copy)


def _page_kernel(client: Client, path: str) -> str:
    """Open a Voila page as the client (the whole page, as a script would); its kernel's id."""
    status, _headers, body = client.request(path)
    assert status == 200, body[-2000:]
    config = re.search(r'id="jupyter-config-data"[^>]*>(.*?)</script>', body, re.S).group(1)
    return json.loads(config)["kernelId"]


def test_a_disabled_users_session_and_page_stop(server):
    client = Client(server)
    client.sign_in("gone", PASSWORDS["gone"])
    assert client.request("/hehu/overview")[0] == 200
    kernel_id = _page_kernel(client, f"/voila/render/briefing.ipynb?place={PLACE}")
    assert kernel_processes(server, kernel_id)
    store = open_store(server.db, create=False)
    accounts.disable(store, "gone")
    store.engine.dispose()
    assert client.request("/hehu/overview")[0] == 302  # the next request
    # and the page left open: its kernel is shut down (the server looks every 2 s here)
    wait_for(lambda: not kernel_processes(server, kernel_id), 60, "the kernel to go", server)


def test_code_sent_to_ones_own_kernel_is_not_run(server, tmp_path):
    """A page's widgets talk to its kernel; code sent over the same websocket is dropped, so
    nothing in a page can set its own role or name."""
    from websockets.sync.client import connect

    client = Client(server)
    client.sign_in("dep", PASSWORDS["dep"])
    kernel_id = _page_kernel(client, f"/voila/render/briefing.ipynb?place={PLACE}")
    marker = tmp_path / "ran"
    ws = server.replace("http://", "ws://") + f"/api/kernels/{kernel_id}/channels"

    def message(msg_type: str, content: dict) -> str:
        header = {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "session": "t",
                  "username": "", "date": "", "version": "5.3"}  # fmt: skip
        return json.dumps({"header": header, "parent_header": {}, "metadata": {},
                           "content": content, "channel": "shell", "buffers": []})  # fmt: skip

    with connect(ws, additional_headers=_cookie_header(client), open_timeout=30) as socket:
        code = f"import os; os.environ['HEHU_ROLE'] = 'staff'; open({str(marker)!r}, 'w')"
        socket.send(message("execute_request", {"code": code, "silent": False}))
        socket.send(message("kernel_info_request", {}))
        replies = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and "kernel_info_reply" not in replies:
            replies.append(json.loads(socket.recv(timeout=30))["header"]["msg_type"])
    assert "kernel_info_reply" in replies  # the connection works: the kernel answered
    assert "execute_reply" not in replies and "execute_input" not in replies
    time.sleep(2)
    assert not marker.exists()


def test_a_role_in_the_url_a_cookie_or_a_header_changes_nothing(server):
    deputy, staff = Client(server), Client(server)
    deputy.sign_in("dep", PASSWORDS["dep"])
    staff.sign_in("stf", PASSWORDS["stf"])
    page = f"/hehu/briefing/{PLACE}"
    as_deputy = deputy.request(page)[2]
    as_staff = staff.request(page)[2]
    assert as_deputy.count("&lt;5") > as_staff.count("&lt;5")  # deputies see small counts hidden
    port = server.rsplit(":", 1)[1]
    tricks = {
        "Cookie": "; ".join(
            [
                _cookie_header(deputy)["Cookie"],
                "role=staff",
                "HEHU_ROLE=staff",
                "HEHU_UNIT=公安局".encode().decode("latin-1"),
                f"username-127-0-0-1-{port}=staff",
            ]
        ),
        "X-Hehu-Role": "staff",
        "X-Forwarded-User": "stf",
    }
    bare = Client(server)
    for query in ("", "?role=staff", "?HEHU_ROLE=staff&unit=公安局&user=stf"):
        shown = bare.request(page + urllib.parse.quote(query, safe="?=&"), headers=tricks)[2]
        assert shown.count("&lt;5") == as_deputy.count("&lt;5")
    # without the signed session, the same tricks reach nothing
    del tricks["Cookie"]
    assert bare.request(page + "?role=staff", headers=tricks)[0] == 302


# --------------------------------------------------------------------------- Chromium


def _sign_in_page(context, server, name: str, path: str):
    page = context.new_page()
    page.goto(f"{server}{path}")
    page.fill("#name", name)
    page.fill("#password", PASSWORDS[name])
    page.click("button[type=submit]")
    return page


def _kernel_id(page) -> str:
    return page.evaluate(
        "JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId"
    )


@pytest.mark.browser
def test_a_deputy_and_a_staff_member_at_once_each_with_their_own_page_and_kernel(server, browser):
    contexts = {name: browser.new_context(locale="zh-CN") for name in ("dep", "stf")}
    try:
        # both at once, with a role in the URL that changes nothing
        path = f"/voila/render/briefing.ipynb?place={PLACE}&role=staff&unit=x"
        pages = {n: _sign_in_page(c, server, n, path) for n, c in contexts.items()}
        for name, page in pages.items():
            page.locator('[data-hehu="briefing-place"]').wait_for(timeout=LOAD_TIMEOUT)
            sub = page.inner_text(".hehu-sub >> nth=0")
            assert ("人大代表" in sub) == (name == "dep") and ("妇联工作人员" in sub) == (
                name == "stf"
            )
            assert page.inner_text('[data-hehu="signed-in-user"]') == name
        kernels = {name: _kernel_id(page) for name, page in pages.items()}
        for name, context in contexts.items():
            other = "stf" if name == "dep" else "dep"
            own = context.request.get(f"{server}/api/kernels/{kernels[name]}")
            assert own.status == 200
            wait_for(
                lambda c=context, k=kernels[name]: (
                    c.request.get(f"{server}/api/kernels/{k}").json().get("connections", 0) > 0
                ),
                60,
                "the page's websocket",
                server,
            )
            # another user's kernel: neither its model nor a shutdown
            assert context.request.get(f"{server}/api/kernels/{kernels[other]}").status == 403
            xsrf = next(c["value"] for c in context.cookies() if c["name"] == "_xsrf")
            refused = context.request.post(
                f"{server}/voila/api/shutdown/{kernels[other]}", form={"_xsrf": xsrf}
            )
            assert refused.status == 403
        # a staff page started for its request (not preheated): its export names the person
        staff = contexts["stf"].new_page()  # signed in already: straight to the page
        staff.goto(f"{server}/voila/render/courses.ipynb")
        button = staff.get_by_role("button", name="导出 Excel").first
        button.wait_for(timeout=LOAD_TIMEOUT)
        wait_for(
            lambda: (
                contexts["stf"]
                .request.get(f"{server}/api/kernels/{_kernel_id(staff)}")
                .json()
                .get("connections", 0)
                > 0
            ),
            60,
            "the courses page's websocket",
            server,
        )
        button.click()
        wait_for(
            lambda: any(
                r["action"] == "export" and r["actor"] == "stf" for r in audit_rows(server.db)
            ),
            60,
            "the export in the audit log",
            server,
        )
        assert not any(
            r["action"] == "export" and r["actor"] in ("staff", "deputy")
            for r in audit_rows(server.db)
        )
    finally:
        for context in contexts.values():
            context.close()


@pytest.mark.browser
def test_signing_in_on_a_390_px_phone_shows_the_briefing(server, browser):
    from conftest import REPO

    artifacts = REPO / "tests" / "artifacts"
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, locale="zh-CN"
    )
    try:
        page = context.new_page()
        outside = []
        page.on(
            "request",
            lambda r: outside.append(r.url) if not r.url.startswith(server) else None,
        )
        page.goto(f"{server}/voila/render/briefing.ipynb?place={PLACE}")
        assert "/hehu/login" in page.url
        page.fill("#name", "police")
        page.fill("#password", "wrong-password-2")
        page.click("button[type=submit]")
        assert BAD_LOGIN in page.inner_text('[data-hehu="login-error"]')
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=str(artifacts / "login_390_form.png"), full_page=True)
        page.fill("#password", PASSWORDS["police"])
        page.click("button[type=submit]")
        place = page.locator('[data-hehu="briefing-place"]')
        place.wait_for(timeout=LOAD_TIMEOUT)
        assert place.inner_text() == "高沟镇"
        assert "承办单位" in page.inner_text(".hehu-sub >> nth=0")
        page.wait_for_timeout(1500)
        page.screenshot(path=str(artifacts / "login_390.png"))
        assert outside == []
    finally:
        context.close()


def test_no_password_is_in_the_servers_log(server):
    # after every test above: sign-ins right and wrong, the lock-out, tampered cookies
    log = server.log.read_text(errors="replace")
    assert "signed in as deputy" in log and "a sign-in was refused" in log
    for password in PASSWORDS.values():
        assert password not in log


# --------------------------------------------------------------------------- expiry


def test_an_old_cookie_is_refused_once_its_session_expired(tmp_path, demo_db_file):
    db = tmp_path / "demo.sqlite"
    copy_sqlite(demo_db_file, db)
    url = f"sqlite:///{db}"
    store = open_store(url, create=False)
    accounts.add_user(store, "dep", PASSWORDS["dep"], role="deputy")
    store.engine.dispose()
    seconds = 6
    options = (
        "--users",
        "--session-hours",
        str(seconds / 3600),
        "--no-preheat",
        "--warm-every",
        "0",
    )
    with hehu_serve(url, tmp_path, *options) as running:
        client = Client(running)
        client.sign_in("dep", PASSWORDS["dep"])
        replay = _cookie_header(client)
        started = time.monotonic()
        assert Client(running).request("/hehu/overview", headers=replay)[0] == 200
        time.sleep(max(0.0, seconds + 1 - (time.monotonic() - started)))
        assert Client(running).request("/hehu/overview", headers=replay)[0] == 302
        log = running.log.read_text(errors="replace")
    assert PASSWORDS["dep"] not in log
    assert os.environ.get("HEHU_USERS") is None
