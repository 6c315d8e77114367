"""What every page shares: the query string, the language, the store, the demo banner, the shell."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import threading
import time
from collections.abc import Sequence
from urllib.parse import parse_qs

import ipywidgets as w

from hehu import i18n
from hehu.disclosure import USERS_MODE_VARIABLE, current_actor, current_role
from hehu.errors import HehuError, StoreUnavailable, shown_url
from hehu.figures.cache import PageRecords
from hehu.figures.metrics import Records
from hehu.records.store import Store, open_store
from hehu.render.html import PAGE_STYLESHEET, demo_banner, html_text

# One stylesheet for all pages and packs (hehu/page.css): readable on a 390 px phone with no
# sideways scroll, large on a projector, printable to A4.
PAGE_CSS = f"<style>\n{PAGE_STYLESHEET}</style>\n"


def query_params() -> dict[str, str]:
    """The page's URL query parameters (Voila passes them to the kernel), first value each."""
    query = os.environ.get("QUERY_STRING", "")
    if os.environ.get("VOILA_PREHEAT") == "True":
        # A preheated kernel ran before its request: the query only arrives by asking.
        query = preheated_request()
    return {k: v[0] for k, v in parse_qs(query or "").items() if v}


# Voila's own wait (voila.utils.wait_for_request) gives up after 5 s of connecting, and on a
# connection that drops: the page then showed its default place instead of the one asked for
# (20 deputies at once on a busy server, bench/load_test.py). Here the wait goes on.
PREHEAT_CONNECT_SECONDS = 60.0
PREHEAT_GIVE_UP_SECONDS = 180.0  # of connections failing one after another


def preheated_request(
    url: str | None = None, give_up_after: float = PREHEAT_GIVE_UP_SECONDS
) -> str:
    """The query string of the request that took this preheated kernel, waited for as Voila's
    `wait_for_request` does (its variables, the user's with `hehu serve --users`, set in the
    environment) but connecting again until `give_up_after` seconds of failures in a row."""
    if url is None:  # where Voila's wait_for_request connects
        env = os.environ.get
        base = env("VOILA_WS_BASE_URL", env("VOILA_SERVER_URL", "/"))
        url = (
            f"{env('VOILA_WS_PROTOCOL', 'ws')}://{env('VOILA_APP_IP', '127.0.0.1')}:"
            f"{env('VOILA_APP_PORT', '8866')}{base}voila/query"
        )
    url = f"{url}/{os.environ.get('VOILA_KERNEL_ID')}"
    failing_since = None
    while True:
        started = time.monotonic()
        message = _request_info(url)
        if message is not None:
            for key, value in json.loads(message).items():
                os.environ[key] = value
            return os.environ.get("QUERY_STRING", "")
        now = time.monotonic()
        if failing_since is None or now - started > PREHEAT_CONNECT_SECONDS:
            failing_since = started  # a first failure, or one after a long wait connected
        if now - failing_since > give_up_after:
            raise HehuError(
                "页面没有收到所请求的地点和参数（连接服务器失败），请刷新页面",
                "the page never received its request (the server could not be reached): reload",
            )
        time.sleep(min(1.0, give_up_after / 10))


def _request_info(url: str) -> str | None:
    """One wait for the request's message on Voila's websocket; None if the connection failed
    or closed first. In a thread of its own: the kernel's loop runs in this one."""
    # Voila's own dependency; only preheated kernels need it
    from websockets.asyncio.client import connect
    from websockets.exceptions import WebSocketException

    async def receive() -> str:
        # No keepalive pings: a server too busy to answer one in time must not end the wait.
        async with connect(url, open_timeout=PREHEAT_CONNECT_SECONDS, ping_interval=None) as socket:
            return await socket.recv()

    got: list[str] = []

    def wait() -> None:
        # refused, timed out, closed before the message: the caller asks again
        with contextlib.suppress(OSError, TimeoutError, WebSocketException):
            got.append(asyncio.run(receive()))

    thread = threading.Thread(target=wait, name="hehu-request-info", daemon=True)
    thread.start()
    thread.join()
    return got[0] if got else None


def page_language(params: dict[str, str] | None = None) -> str:
    """'en' when asked for by ?lang=en or HEHU_LANG=en, else 'zh'."""
    params = query_params() if params is None else params
    return i18n.language(params.get("lang") or os.environ.get("HEHU_LANG", "zh"))


def page_store(url: str | None = None) -> Store:
    """The store the server was started on ($HEHU_DB)."""
    return open_store(url, create=False)


def page_records(store: Store, place: str | None = None) -> PageRecords:
    """The records of a page: the gazetteer now, the rest when first needed, and figures from
    the cache shared by every kernel when it has them. A page of a place (`place`: its code,
    or "" for the top) reads only the records of its scope (`gazetteer.record_scope`: its
    county's), each kind when first needed; move it to another place with `for_place`."""
    return PageRecords(store, place)


def error_box(message: str) -> w.HTML:
    """A readable error in the page instead of a traceback."""
    return w.HTML(f'<div class="hehu-error" data-hehu="error">{html_text(message)}</div>')


def empty_notice(store: Store, kinds: Sequence[str], lang: str, what: str = "") -> list[w.Widget]:
    """A note that nothing of `what` (else no work at all) is recorded yet, when none of `kinds`
    has a record; [] when some has. Pages put it first, above their zeros."""
    if store.has_records(kinds):
        return []
    text = i18n.t("empty_topic", lang, what=what) if what else i18n.t("empty_work", lang)
    return [w.HTML(f'<div class="hehu-empty" data-hehu="empty">{html_text(text)}</div>')]


def page_shell(
    title: str, subtitle: str, records: Records | None, lang: str, body: list[w.Widget]
) -> w.VBox:
    """The frame of every page: style, title, demo banner, role, the page's own widgets."""
    role = current_role()
    header = w.HTML(
        PAGE_CSS
        + f'<div class="hehu-title">{html_text(title)}</div>'
        + f'<div class="hehu-sub">{html_text(subtitle)} · {html_text(i18n.t("role", lang))}{i18n.colon(lang)}'
        + f"{html_text(i18n.t('role_' + role, lang))}{signed_in_html(lang)}</div>"
        + (demo_banner(records, lang) if records is not None else "")
    )
    box = w.VBox([header, *body], layout=w.Layout(width="100%"))
    box.add_class("hehu-page")
    return box


def signed_in_html(lang: str) -> str:
    """With users signed in (`hehu serve --users`): who is signed in, and a link to sign out."""
    if os.environ.get(USERS_MODE_VARIABLE) != "1":
        return ""
    try:
        name = current_actor()
    except HehuError:
        name = "?"
    label, out = ("用户", "退出登录") if lang != "en" else ("user", "sign out")
    query = "?lang=en" if lang == "en" else ""
    return (
        f' · {label}{i18n.colon(lang)}<span data-hehu="signed-in-user">{html_text(name)}</span>'
        f' · <a href="../../hehu/logout{query}" target="_top">{out}</a>'
    )


def failure_page(title: str, lang: str, exc: Exception) -> w.VBox:
    """A page that only says, in the user's language, what went wrong and what to do.

    Never the database's address (nor its password): a deputy can do nothing with it, and
    whoever reads over their shoulder must not see it. The command line shows it, masked.
    """
    if isinstance(exc, StoreUnavailable):
        message = i18n.t("store_unavailable", lang)
    else:
        message = shown_url(exc.message(lang) if hasattr(exc, "message") else str(exc))
    return page_shell(title, "", None, lang, [error_box(message)])
