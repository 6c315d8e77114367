"""Give every Voila page the ``_xsrf`` cookie, so that closing the page shuts its kernel down.

On leaving a page, Voila's JavaScript posts ``/voila/api/shutdown/<kernel>`` with the value of
the ``_xsrf`` cookie as the form's ``_xsrf`` field (``navigator.sendBeacon`` on
``beforeunload``). Tornado only sets that cookie when a handler reads ``xsrf_token``, and
Voila 0.5's page handler never does (its tree page does), so on a page opened directly the
cookie is missing, the server answers 403 "'_xsrf' argument missing from POST" and the kernel
stays (voila-dashboards/voila#1458). This identity provider, Voila's default one otherwise,
reads ``xsrf_token`` on every page request: the cookie is set, the shutdown request passes the
usual XSRF check (which stays on), and the kernel goes with the page.

Used by ``hehu serve`` as ``--Voila.identity_provider_class=hehu.serve.voila_xsrf.PageXsrfIdentityProvider``.
"""

from __future__ import annotations

from jupyter_server.auth.identity import PasswordIdentityProvider, User
from voila.handler import VoilaHandler


def set_page_xsrf(handler, user: User) -> None:
    """On a Voila page's GET by ``user``, set the ``_xsrf`` cookie (unless the browser sent one)."""
    if handler.request.method == "GET" and isinstance(handler, VoilaHandler):
        # Tornado's xsrf_token asks for current_user, which jupyter_server only sets after
        # the identity provider returns: set it now (prepare() sets the same user again).
        handler.current_user = user
        handler.xsrf_token  # noqa: B018 - sets the cookie unless the browser sent one


class PageXsrfIdentityProvider(PasswordIdentityProvider):
    """Voila's identity provider (token or none), which also sets ``_xsrf`` on page loads."""

    async def _get_user(self, handler) -> User | None:
        user = await super()._get_user(handler)
        if user is not None:
            set_page_xsrf(handler, user)
        return user
