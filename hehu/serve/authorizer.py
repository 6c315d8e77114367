"""The Jupyter server of a deputy or presenter serves the Voila pages and refuses Jupyter's own API.

Behind JupyterHub each user has a whole Jupyter server (jupyterhub-singleuser), and Voila runs in
it as an extension. Deputies and presenters only need the pages: hehu.serve.hub.spawner_arguments
gives their servers ``--ServerApp.authorizer_class=hehu.serve.authorizer.PagesOnlyAuthorizer``
(and turns JupyterLab off). jupyter_server asks the authorizer before every request to its own
handlers (``/api/…``, ``/files/…``, ``/nbconvert/…`` and those of other extensions), naming an
action (read, write, execute) and a resource (kernels, contents, sessions, kernelspecs, …); this
one allows only what a Voila page needs, and refuses the rest with 403: starting or deleting a
kernel, listing kernels, sessions, reading or writing files, kernelspecs, terminals, nbconvert,
the server's config, events and shutdown.

Voila's own handlers (``/voila/render/…``, ``/voila/tree``, ``/voila/static/…``,
``/voila/api/shutdown/<kernel>``) never ask the authorizer: the hub's login, checked for every
request, is all they need. A page's kernel is started by Voila on the server, not through
``POST /api/kernels``.

Two things a page asks of jupyter_server itself, both about the kernel Voila started for it: the
kernel's model, ``GET /api/kernels/<id>`` (``read`` on ``kernels``), which the page's kernel
connection fetches before connecting, and the kernel's websocket, ``/api/kernels/<id>/channels``
(``execute`` on ``kernels``), over which the page's widgets (pickers, maps, tables) talk to it.
Reading one kernel by its id is allowed, never the list of all kernels (``GET /api/kernels``).
Over that websocket the server forwards only the widgets' messages to the kernel, never an
``execute_request`` (``--MappingKernelManager.allowed_message_types``, also set by
spawner_arguments): holding a page's kernel does not let its user run code of their own.

Only hehu/serve imports jupyter_server; this module is named on the command line, never imported
by Hehu's other code.
"""

from __future__ import annotations

from jupyter_server.auth import Authorizer


def page_needs(handler, action: str, resource: str) -> bool:
    """Whether a Voila page needs this of jupyter_server: its own kernel, nothing else."""
    if resource != "kernels":
        return False
    if action == "execute":  # /api/kernels/<id>/channels, the only handler asking for execute
        return True
    # GET /api/kernels/<id>: one kernel, named by its id; not GET /api/kernels, the list.
    return action == "read" and bool(getattr(handler, "path_kwargs", {}).get("kernel_id"))


class PagesOnlyAuthorizer(Authorizer):
    """Allows what a Voila page needs; refuses Jupyter's own API (403) and says so in the log."""

    def is_authorized(self, handler, user, action: str, resource: str) -> bool:
        if page_needs(handler, action, resource):
            return True
        request = getattr(handler, "request", None)
        self.log.warning(
            "hehu: refused %s %s (%s %s) to %s: pages only",
            getattr(request, "method", "?"),
            getattr(request, "path", "?"),
            action,
            resource,
            getattr(user, "username", user),
        )
        return False
