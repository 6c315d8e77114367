"""With users signed in, a page's kernel is its user's: started or taken for them, theirs alone.

Voila's page handler starts a kernel for the request, or takes a preheated one from its pool. In
users mode (hehu/serve/sessions.py) the handler sees Voila's kernel manager through
`PageKernels`, which

- starts a kernel with the user's role, unit and name in its environment (HEHU_ROLE, HEHU_UNIT,
  HEHU_USER: hehu.disclosure reads them), and
- for a preheated kernel, which ran before any request and waits in `voila.utils.wait_for_request`
  for the request's details, records them against the kernel before Voila sends those details:
  `RequestInfoHandler` (Voila's /voila/query/<kernel> websocket, which only the kernel itself
  opens) adds them to what it sends, and the kernel sets them in its environment before the
  page's code reads a role.

Either way the kernel is claimed for the user (`PageKernelManager.claim`) before the page is
sent. Only that user may then read it, connect to it (`sessions.OwnKernelsAuthorizer`) or shut
it down (`OwnKernelShutdownHandler`); a pooled kernel no page took belongs to nobody. The pool
is kept: it serves every user, since no user's details are in a kernel before a page takes it.

`end_lapsed_kernels` shuts down, every `SWEEP_SECONDS`, the kernels of users disabled or locked
out since and of sessions that expired: a page left open stops working, as its next request would.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import time

from jupyter_core.utils import ensure_async
from jupyter_server.base.handlers import APIHandler
from tornado import web
from voila.request_info_handler import RequestInfoSocketHandler
from voila.shutdown_kernel_handler import VoilaShutdownKernelHandler

from hehu.serve.sessions import HehuUser, active_account, kernel_identity

SWEEP_SECONDS = float(os.environ.get("HEHU_SWEEP_SECONDS", "30"))


class PageKernels:
    """Voila's kernel manager as one signed-in user's page request uses it."""

    def __init__(self, manager, user: HehuUser):
        self._manager = manager
        self._user = user

    def __getattr__(self, name):
        return getattr(self._manager, name)

    def _claim(self, kernel_id: str) -> None:
        user = self._user
        self._manager.claim(kernel_id, user.username, kernel_identity(user), user.expires)

    async def start_kernel(self, **kwargs) -> str:
        """A kernel started for the page, with the user in its environment."""
        kwargs["env"] = {**(kwargs.get("env") or {}), **kernel_identity(self._user)}
        kernel_id = await ensure_async(self._manager.start_kernel(**kwargs))
        self._claim(kernel_id)
        return kernel_id

    async def get_rendered_notebook(self, *args, **kwargs):
        """A preheated kernel taken for the page: claimed before Voila tells it the request."""
        render_task, rendered, kernel_id = await self._manager.get_rendered_notebook(
            *args, **kwargs
        )
        self._claim(kernel_id)
        return render_task, rendered, kernel_id


class RequestInfoHandler(RequestInfoSocketHandler):
    """Voila's websocket that tells a preheated kernel its request, with the user added.

    Only the kernel opens it: from this machine, for a kernel the server runs, once at a time
    (a second listener could otherwise take the message meant for the kernel)."""

    kernel_id = ""

    async def get(self, *args, **kwargs):
        kernel_id = kwargs.get("kernel_id") or (args[0] if args else "")
        manager = self.settings["kernel_manager"]
        try:
            local = ipaddress.ip_address(self.request.remote_ip).is_loopback
        except ValueError:
            local = False
        if not local or kernel_id not in manager or kernel_id in self._waiters:
            raise web.HTTPError(403)
        return await super().get(*args, **kwargs)

    def open(self, kernel_id: str) -> None:
        self.kernel_id = kernel_id
        super().open(kernel_id)

    def write_message(self, message, binary: bool = False):
        if isinstance(message, dict):
            identity = self.settings["kernel_manager"].identity(self.kernel_id)
            message = {**message, **identity}
        return super().write_message(message, binary)


class OwnKernelShutdownHandler(VoilaShutdownKernelHandler):
    """Voila's shutdown request of a closing page, for the page's own user only."""

    @web.authenticated
    async def post(self, kernel_id):
        user = self.current_user
        if self.kernel_manager.owner(kernel_id) != getattr(user, "username", None):
            self.log.warning("hehu: refused to shut kernel %s down for %s", kernel_id, user)
            raise web.HTTPError(403)
        await super().post(kernel_id)


class NoKernelListHandler(APIHandler):
    """GET /api/kernels (every kernel's id) and POST (a kernel of one's own choosing): no."""

    @web.authenticated
    def get(self):
        raise web.HTTPError(403)

    @web.authenticated
    def post(self):
        raise web.HTTPError(403)


async def end_lapsed_kernels(manager, log, now: float | None = None) -> list[str]:
    """Shut down the kernels whose session expired or whose user may no longer sign in."""
    now = time.time() if now is None else now
    active: dict[str, bool] = {}
    ended = []
    for kernel_id, owner in manager.owned_kernels().items():
        until = manager.claim_ends(kernel_id)
        if owner not in active:
            active[owner] = active_account(owner)
        if (until is not None and until <= now) or not active[owner]:
            log.warning("hehu: kernel %s of %s shut down: session over", kernel_id, owner)
            with contextlib.suppress(KeyError, RuntimeError):  # gone meanwhile
                await ensure_async(manager.shutdown_kernel(kernel_id))
            ended.append(kernel_id)
    return ended
