"""The tornado handlers that serve the light pages (hehu/serve/light.py) beside Voila's.

They sit in the same server as the pages, behind the same token or sign-in and Host check, and
read the role from the server's environment as the pages' kernels do, or with users signed in
from the user's session (hehu/serve/sessions.py): no URL, other cookie or header sets it.
Rendering runs in a small thread pool, so a page being made never stalls the widgets of others.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import url_path_join
from sqlalchemy.exc import SQLAlchemyError
from tornado import web

from hehu import i18n
from hehu.errors import HehuError
from hehu.records.store import Store, open_store
from hehu.render.html import html_text
from hehu.render.packs import html_document
from hehu.serve.light import CONTENT_SECURITY_POLICY, NotFound, light_page
from hehu.serve.routes import (
    BRIEFING_ROUTE,
    LIGHT_EXTENSION,
    OVERVIEW_ROUTE,
    accepts_gzip,
    requested_language,
)
from hehu.serve.sessions import request_role

# Two threads: a cache miss takes about a second (figures, map); hits are a database read.
_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="hehu-light")
# Pages made again after a write, one at a time, while readers get the kept one at once: 20
# deputies opening township pages right after an inspection was recorded waited p50 9.6 s
# (the demo, each request making its page) instead of 0.05 s.
_REMAKE = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hehu-light-remake")
_REMAKING: set[tuple] = set()


@lru_cache(maxsize=1)
def _store() -> Store:
    return open_store(os.environ.get("HEHU_DB"), create=False)


class LightPageHandler(JupyterHandler):
    """GET /hehu/briefing/CODE and /hehu/overview, with ?period= and ?lang=."""

    @property
    def content_security_policy(self) -> str:
        return CONTENT_SECURITY_POLICY

    def _lang(self) -> str:
        return requested_language(self.request.query_arguments)

    def _message(self, status: int, key: str) -> None:
        lang = self._lang()
        body = f'<div class="hehu-title">{html_text(i18n.t(key, lang))}</div>'
        if status == 404:
            body += f'<p><a href="{self.base_url}hehu/overview">{html_text(i18n.t("light_to_overview", lang))}</a></p>'
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(html_document(i18n.t("app", lang), body, lang))

    def write_error(self, status_code: int, **kwargs) -> None:
        """Any other refusal (a foreign Host, no token) as a short page, never Jupyter's
        template (which needs static files this server does not have)."""
        lang = self._lang()
        text = "拒绝访问" if lang != "en" else "Refused"
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(
            html_document(
                i18n.t("app", lang), f'<div class="hehu-title">{text} ({status_code})</div>', lang
            )
        )

    @web.authenticated
    async def get(self, code: str | None = None) -> None:
        lang, period, role = self._lang(), self.get_argument("period", None), request_role(self)
        try:
            page = await asyncio.get_running_loop().run_in_executor(
                _POOL,
                lambda: light_page(_store(), code, period, lang, role, older_ok=True),
            )
        except NotFound:
            self._message(404, "light_not_found")
            return
        except (HehuError, SQLAlchemyError, OSError):
            # the database is unreachable (or went away): say what to do, never its address
            self.log.warning("hehu light page: database unavailable")
            self._message(503, "light_unavailable")
            return
        if page.stale:
            _remake(code, period, lang, role)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "private, no-cache")
        self.set_header("Vary", "Accept-Encoding")
        if accepts_gzip(self.request.headers.get("Accept-Encoding", "")):
            self.set_header("Content-Encoding", "gzip")
            self.finish(page.gzipped)
        else:
            self.finish(page.html().encode("utf-8"))


class LightNotFoundHandler(LightPageHandler):
    """Any other address below /hehu/briefing/ or /hehu/overview: the light pages' own "not
    found" in the page's language, never the server's English one."""

    @web.authenticated
    async def get(self, *_) -> None:
        self._message(404, "light_not_found")


def _remake(code: str | None, period: str | None, lang: str, role: str) -> None:
    """Make a page again for the current data in the background, once however many ask."""
    key = (code, period, lang, role)
    if key in _REMAKING:  # only the event loop's thread adds and removes: no lock needed
        return
    _REMAKING.add(key)
    loop = asyncio.get_running_loop()

    def make() -> None:
        with contextlib.suppress(HehuError, SQLAlchemyError, OSError):  # the next reader asks
            light_page(_store(), code, period, lang, role)

    future = loop.run_in_executor(_REMAKE, make)
    future.add_done_callback(lambda _: _REMAKING.discard(key))


def light_handlers(server_url: str) -> list[tuple]:
    """The routes of the light pages below a server's base URL."""
    return [
        (url_path_join(server_url, BRIEFING_ROUTE), LightPageHandler),
        (url_path_join(server_url, OVERVIEW_ROUTE), LightPageHandler),
        (url_path_join(server_url, r"/hehu/(?:briefing|overview)(?:/.*)?"), LightNotFoundHandler),
    ]


# Behind JupyterHub the pages run in jupyterhub-singleuser (a Jupyter server with Voila as an
# extension): this module is an extension too, enabled for every role in
# deploy/jupyterhub_config.py, and its routes sit behind the hub's login like the pages'.
def _jupyter_server_extension_points() -> list[dict]:
    return [{"module": LIGHT_EXTENSION}]


def _load_jupyter_server_extension(serverapp) -> None:
    serverapp.web_app.add_handlers(".*$", light_handlers(serverapp.base_url))
