"""Voila with Hehu's light pages beside the dashboards and a limit on kernels:
`python -m hehu.serve.voila_app`.

Voila, run standalone, takes no server extensions; its application's handlers are the one place
to add routes, so this is Voila with two more (hehu/serve/light_handlers.py), and with its page
handler asking hehu/serve/admission.py before a page takes a kernel.

With users signed in (HEHU_USERS=1, `hehu serve --users`) it also serves the sign-in pages
(hehu/serve/login.py), signs sessions with the secret kept in HEHU_HOME (hehu/serve/sessions.py),
gives each page's kernel to its user (hehu/serve/own_kernels.py) and ends the kernels of sessions
that ended.
"""

from __future__ import annotations

import re
import secrets
import time

from jupyter_server.utils import url_path_join
from tornado import ioloop, web
from traitlets import Integer, default
from voila.app import Voila
from voila.request_info_handler import RequestInfoSocketHandler
from voila.shutdown_kernel_handler import VoilaShutdownKernelHandler
from voila.tornado.handler import TornadoVoilaHandler

from hehu.serve.admission import Admission, default_render_slots, machine_kernel_cap, wait_page
from hehu.serve.routes import requested_language
from hehu.serve.sessions import HehuUser, server_secret, users_mode

PLACE_CODE = re.compile(r"\d{12}")
WAIT_COOKIE = "hehu_wait"
WAIT_TOKEN = re.compile(r"[A-Za-z0-9_-]{16}")


class AdmittedVoilaHandler(TornadoVoilaHandler):
    """Voila's page handler: a page over the limits gets the wait page instead of a kernel;
    with users signed in, the kernel it starts or takes is the user's."""

    @property
    def kernel_manager(self):
        manager = super().kernel_manager
        if users_mode() and isinstance(self.current_user, HehuUser):
            from hehu.serve.own_kernels import PageKernels

            return PageKernels(manager, self.current_user)
        return manager

    @web.authenticated
    async def get(self, path=None):
        if users_mode() and not isinstance(self.current_user, HehuUser):
            raise web.HTTPError(403)  # never a kernel without its user
        admission: Admission = self.settings["hehu_admission"]
        # A preheated kernel that died as it waited would give a page that never opens.
        await self.settings["kernel_manager"].drop_dead_pooled(path)
        manager = self.kernel_manager
        # The wait page's cookie: a page asking again (a reload by hand too) keeps its place in
        # the line instead of counting once more. Not a secret, and only about this browser.
        token = self.get_cookie(WAIT_COOKIE) or ""
        token = token if WAIT_TOKEN.fullmatch(token) else secrets.token_urlsafe(12)
        decision = admission.decide(
            manager.page_kernel_count(), manager.seconds_to_next_cull(),
            waiter=(token, self.request.uri),
        )  # fmt: skip
        if not decision.admitted:
            self.log.warning(
                "hehu admission: %s refused (%s limit), likely wait %s s",
                path, decision.reason, decision.wait_seconds,
            )  # fmt: skip
            place = self.get_argument("place", "")
            lang = requested_language(self.request.query_arguments)
            self.set_status(503)
            self.set_header("Retry-After", str(decision.retry_seconds))
            self.set_header("Cache-Control", "no-cache, no-store, must-revalidate")
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.set_cookie(WAIT_COOKIE, token, httponly=True, samesite="Strict")
            self.finish(wait_page(decision, place if PLACE_CODE.fullmatch(place) else None, lang))
            return
        started = time.monotonic()
        render = admission.render_started(started)
        try:
            await super().get(path)
        finally:
            admission.render_finished(render, time.monotonic() - started)


class HehuVoila(Voila):
    """Voila serving /hehu/briefing/CODE and /hehu/overview too, and admitting pages."""

    max_kernels = Integer(
        0, help="Page kernels alive at once (0: as many as the memory holds)"
    ).tag(config=True)
    render_slots = Integer(0, help="Pages started at once (0: one per core)").tag(config=True)

    @default("cookie_secret")
    def _hehu_cookie_secret(self) -> bytes:
        # Sessions outlive a restart with users signed in; else Voila's own, new each start.
        return server_secret() if users_mode() else super()._default_cookie_secret()

    def init_handlers(self) -> list:
        """Voila's handlers, with the light pages' first and its page handler admitting."""
        from hehu.serve.light_handlers import light_handlers

        self.app.settings["hehu_admission"] = Admission(
            max_kernels=self.max_kernels or machine_kernel_cap(0),
            render_slots=self.render_slots or default_render_slots(),
        )
        replaced = {TornadoVoilaHandler: AdmittedVoilaHandler}
        first = light_handlers(self.server_url)
        if users_mode():
            first += self._users_handlers(replaced)
        handlers = [
            (rule[0], replaced.get(rule[1], rule[1]), *rule[2:]) for rule in super().init_handlers()
        ]
        return first + handlers

    def _users_handlers(self, replaced: dict) -> list:
        """Signing in and out, each kernel its user's, and the kernels of ended sessions ended."""
        from hehu.serve import login, own_kernels

        replaced[RequestInfoSocketHandler] = own_kernels.RequestInfoHandler
        replaced[VoilaShutdownKernelHandler] = own_kernels.OwnKernelShutdownHandler
        self.app.settings["login_url"] = url_path_join(self.server_url, "hehu/login")

        async def sweep():
            await own_kernels.end_lapsed_kernels(self.kernel_manager, self.log)

        ioloop.PeriodicCallback(sweep, own_kernels.SWEEP_SECONDS * 1000).start()
        return [
            (url_path_join(self.server_url, login.LOGIN_ROUTE), login.LoginHandler),
            (url_path_join(self.server_url, login.LOGOUT_ROUTE), login.LogoutHandler),
            (url_path_join(self.server_url, r"/api/kernels/?"), own_kernels.NoKernelListHandler),
        ]


main = HehuVoila.launch_instance

if __name__ == "__main__":
    main()
