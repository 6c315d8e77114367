"""Kernels of pages no browser ever opened are shut down within minutes, not half an hour.

Every plain GET of a Voila page starts a kernel and runs the page in it. A browser then opens the
kernel's websocket; a script, a link preview or a crawler never does, and its kernel used to wait
for the idle culler (30 minutes): eight such requests held 3.5 GB. A kernel that has never had a
connection is shut down once the cull checks have seen it so for `NEVER_OPENED_SECONDS`. A page
that was opened keeps the usual rules (hehu.cli.main.cull_options): however long it sits unused,
its kernel stays while it is connected. Voila's own subclass spares its preheated pool before
this code sees a kernel, so a pooled kernel's time starts when a page takes it. A pooled kernel
that died as it waited, or that Jupyter started again empty, is never given to a page
(`drop_dead_pooled`, asked by hehu/serve/voila_app.py before each page).

Used by `hehu serve` as ``--Voila.kernel_manager_class=hehu.serve.kernels.PageKernelManager``.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from functools import partial

from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager

# Long enough for a phone on a weak link to load the page's scripts and connect.
NEVER_OPENED_SECONDS = int(os.environ.get("HEHU_NEVER_OPENED_SECONDS", "120"))


class PageKernelManager(AsyncMappingKernelManager):
    """Jupyter's kernel manager, remembering which kernels a browser ever connected to."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._ever_connected: set[str] = set()
        self._unopened_since: dict[str, datetime] = {}
        # With users signed in (hehu/serve/sessions.py): whose page each kernel serves, and the
        # environment that makes it theirs (role, unit, name). A pooled kernel has no owner
        # until a page takes it; no other user may reach it then.
        self._owners: dict[str, str] = {}
        self._identities: dict[str, dict[str, str]] = {}
        self._until: dict[str, float] = {}
        # Kernels Jupyter's restarter started again after they died: alive, and empty.
        self._restarted: set[str] = set()

    async def start_kernel(self, *args, **kwargs):
        """Start a kernel, remembering if Jupyter ever has to start it again."""
        kernel_id = await super().start_kernel(*args, **kwargs)
        self.get_kernel(kernel_id).add_restart_callback(
            partial(self._restarted.add, kernel_id), "restart"
        )
        return kernel_id

    async def drop_dead_pooled(self, notebook: str) -> int:
        """Take out of ``notebook``'s preheated pool every kernel that died as it waited (or
        that Jupyter started again, empty), so that no page gets one; start others. How many."""
        pool = getattr(self, "_pools", {}).get(notebook, [])
        dead = []
        for entry in [entry for entry in pool if entry.done()]:
            failed = entry.cancelled() or entry.exception() is not None
            kernel_id = None if failed else entry.result()["kernel_id"]
            if kernel_id is None or not await self._kernel_usable(kernel_id):
                dead.append((entry, kernel_id))
        for entry, kernel_id in dead:
            pool.remove(entry)
            self.log.warning("hehu: preheated kernel %s of %s is dead; starting another",
                             kernel_id, notebook)  # fmt: skip
            if kernel_id in self:
                await self.shutdown_kernel(kernel_id, now=True)
        if dead:
            self.fill_if_needed(delay=0, notebook_name=notebook)
        return len(dead)

    async def _kernel_usable(self, kernel_id: str) -> bool:
        """Whether the kernel still holds what it ran: alive, and never started again."""
        return (
            kernel_id in self
            and kernel_id not in self._restarted
            and await self.get_kernel(kernel_id).is_alive()
        )

    def claim(
        self, kernel_id: str, user_name: str, identity: dict[str, str], until: float | None = None
    ) -> None:
        """The kernel now serves ``user_name``'s page, and only theirs (until ``until``, the
        end of the session that opened it, as seconds since the epoch)."""
        self._owners[kernel_id] = user_name
        self._identities[kernel_id] = dict(identity)
        if until is not None:
            self._until[kernel_id] = until

    def claim_ends(self, kernel_id: str) -> float | None:
        """When the session that took the kernel ends; None if it does not."""
        return self._until.get(kernel_id)

    def owner(self, kernel_id: str) -> str | None:
        """The user whose page the kernel serves; None for a kernel no page took."""
        return self._owners.get(kernel_id)

    def identity(self, kernel_id: str) -> dict[str, str]:
        """The environment that makes the kernel its owner's ({} if it has none)."""
        return dict(self._identities.get(kernel_id, {}))

    def owned_kernels(self) -> dict[str, str]:
        """Every kernel a page took, and its owner."""
        return dict(self._owners)

    def notify_connect(self, kernel_id):
        """A browser connected: from now on the kernel lives by the usual rules."""
        self._ever_connected.add(kernel_id)
        super().notify_connect(kernel_id)

    async def cull_kernel_if_idle(self, kernel_id):
        """Shut down a kernel no browser opened in time; else cull it as Jupyter would."""
        now = datetime.now(UTC)
        unopened = kernel_id not in self._ever_connected and not self._kernel_connections.get(
            kernel_id, 0
        )
        since = self._unopened_since.setdefault(kernel_id, now) if unopened else None
        if since is not None and (now - since).total_seconds() > NEVER_OPENED_SECONDS:
            self.log.warning(
                "Culling kernel %s: no browser opened its page in %d s", kernel_id,
                NEVER_OPENED_SECONDS,
            )  # fmt: skip
            await self.shutdown_kernel(kernel_id)
            return
        await super().cull_kernel_if_idle(kernel_id)

    async def shutdown_kernel(self, kernel_id, *args, **kwargs):
        """Shut a kernel down and forget it."""
        self._ever_connected.discard(kernel_id)
        self._unopened_since.pop(kernel_id, None)
        self._owners.pop(kernel_id, None)
        self._identities.pop(kernel_id, None)
        self._until.pop(kernel_id, None)
        self._restarted.discard(kernel_id)
        return await super().shutdown_kernel(kernel_id, *args, **kwargs)

    def pooled_kernel_count(self) -> int:
        """Kernels in Voila's preheated pools, ready or starting; none without preheating."""
        return sum(len(pool) for pool in getattr(self, "_pools", {}).values())

    def page_kernel_count(self) -> int:
        """Kernels that pages hold: all of them but the preheated pool's."""
        return max(0, len(self.list_kernel_ids()) - self.pooled_kernel_count())

    def seconds_to_next_cull(self) -> float | None:
        """When the culler will likely free the next kernel of a page that vanished (never
        opened, or disconnected); None if every page kernel has its page connected."""
        now = datetime.now(UTC)
        waits = []
        for kernel_id in self.list_kernel_ids():
            if self._kernel_connections.get(kernel_id, 0):
                continue
            if kernel_id not in self._ever_connected:
                # Only those the culler already counts as unopened: not the pool's, nor a
                # page's whose browser is still loading it.
                if kernel_id in self._unopened_since:
                    since = self._unopened_since[kernel_id]
                    waits.append(NEVER_OPENED_SECONDS - (now - since).total_seconds())
            elif self.cull_idle_timeout > 0 and kernel_id in self:  # not shut down meanwhile
                idle = (now - self.get_kernel(kernel_id).last_activity).total_seconds()
                waits.append(self.cull_idle_timeout - idle)
        if not waits:
            return None
        # the culler looks every cull_interval seconds
        return max(0.0, min(waits)) + self.cull_interval
