"""The sign-in and sign-out pages of `hehu serve --users`: /hehu/login and /hehu/logout.

In Chinese (English with ?lang=en), readable on a 390 px phone, nothing fetched from outside
(no script, no web font), both forms POSTed with the XSRF token jupyter_server checks. The
password is checked by hehu.accounts.verify, which also counts failures, locks the account after
five and words every refusal the same way. The one check of this page's own is the throttle of
failed sign-ins per client address (hehu/serve/throttle.py): an address past its limit gets a 429
page saying so, whatever name and password it sends, and accounts.verify is not asked. The
password is never logged, and a refused sign-in is logged without the name typed (a password
typed into the name box by mistake must not end up in the log).
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode, urlparse

from jupyter_server.auth.decorator import allow_unauthenticated
from jupyter_server.base.handlers import JupyterHandler

from hehu import accounts
from hehu.errors import HehuError
from hehu.i18n import t
from hehu.render.html import html_text
from hehu.render.packs import html_document
from hehu.serve.routes import requested_language
from hehu.serve.sessions import HehuUser, end_session, server_store, start_session
from hehu.serve.throttle import AddressThrottle, client_address

LOGIN_ROUTE = r"/hehu/login"
LOGOUT_ROUTE = r"/hehu/logout"
FIRST_PAGE = "voila/render/overview.ipynb"  # where a sign-in goes when no page was asked for
# Each check is one argon2 hash (64 MiB, a fraction of a second of a core): two at a time, so a
# flood of sign-ins waits in line instead of taking the server's memory.
_VERIFY = ThreadPoolExecutor(max_workers=2, thread_name_prefix="hehu-login")
# Failed sign-ins per client address, for the life of this process (the one serving this page).
THROTTLE = AddressThrottle()

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)

FORM_CSS = (
    "<style>.hehu-login{max-width:380px;margin:24px auto}"
    ".hehu-login label{display:block;margin:14px 0 4px;font-weight:600}"
    ".hehu-login input{width:100%;font-size:17px;padding:10px;border:1px solid #999;"
    "border-radius:4px}"
    ".hehu-login button{width:100%;margin-top:18px;font-size:18px;padding:12px;border:0;"
    "border-radius:4px;background:#b03a5b;color:#fff}"
    ".hehu-login .hehu-sub{margin-top:14px}.hehu-login .hehu-error{margin-top:12px}</style>"
)


class _PageHandler(JupyterHandler):
    """What both pages share: their language, headers and the safe place to go next."""

    @property
    def content_security_policy(self) -> str:
        return CONTENT_SECURITY_POLICY

    def _request_summary(self) -> str:
        # the access log: the path only, never a query (a password typed into a URL)
        return f"{self.request.method} {self.request.path} ({self.request.remote_ip})"

    def lang(self) -> str:
        return requested_language(self.request.query_arguments)

    def next_url(self) -> str:
        """Where to go after signing in: a path of this server, else the overview."""
        default = self.base_url + FIRST_PAGE
        url = self.get_argument("next", "") or default
        parsed = urlparse(url)
        if (
            "\\" in url
            or parsed.scheme
            or parsed.netloc
            or url.startswith("//")
            or not url.startswith(self.base_url)
            or url.startswith(self.base_url + "hehu/log")
        ):
            return default
        return url

    def show(self, title_key: str, body: str, status: int = 200) -> None:
        lang = self.lang()
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Frame-Options", "DENY")
        title = f"{t(title_key, lang)} · {t('login_app', lang)}"
        self.finish(html_document(title, f'<div class="hehu-login">{body}</div>', lang, FORM_CSS))

    def write_error(self, status_code: int, **kwargs) -> None:
        """A refusal (an XSRF token missing, a foreign Host) as a short page of its own."""
        lang = self.lang()
        refused = t("login_refused", lang)
        link = self.base_url + "hehu/login" + ("?lang=en" if lang == "en" else "")
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(
            html_document(
                refused,
                f'<div class="hehu-title">{refused} ({status_code})</div>'
                f'<p><a href="{html_text(link)}">{html_text(t("login_title", lang))}</a></p>',
                lang,
            )
        )


class LoginHandler(_PageHandler):
    """GET: the form. POST: the name and password, checked by hehu.accounts.verify."""

    def form(self, message: str = "", notice: str = "", name: str = "") -> str:
        lang = self.lang()
        other = "zh" if lang == "en" else "en"
        query = urlencode({"lang": other, "next": self.next_url()})
        error = f'<div class="hehu-error" role="alert" data-hehu="login-error">{html_text(message)}</div>'
        return (
            f'<div class="hehu-title">{html_text(t("login_app", lang))}</div>'
            f'<div class="hehu-sub">{html_text(t("login_title", lang))} · '
            f'<a href="{html_text(self.base_url + "hehu/login?" + query)}">'
            f"{html_text(t('login_other_lang', lang))}</a></div>"
            + (f'<p data-hehu="login-notice">{html_text(notice)}</p>' if notice else "")
            + f'<form method="post" action="{html_text(self.base_url + "hehu/login")}">'
            + self.xsrf_form_html()
            + f'<input type="hidden" name="next" value="{html_text(self.next_url())}">'
            + f'<input type="hidden" name="lang" value="{lang}">'
            + f'<label for="name">{html_text(t("login_name", lang))}</label>'
            + f'<input id="name" name="name" autocomplete="username" autocapitalize="none" '
            f'spellcheck="false" required maxlength="64" value="{html_text(name)}">'
            + f'<label for="password">{html_text(t("login_password", lang))}</label>'
            + '<input id="password" name="password" type="password" '
            'autocomplete="current-password" required>'
            + (error if message else "")
            + f'<button type="submit">{html_text(t("login_submit", lang))}</button></form>'
            + f'<div class="hehu-sub">{html_text(t("login_hint", lang))}</div>'
        )

    @allow_unauthenticated
    def get(self) -> None:
        notice = t("login_signed_out", self.lang()) if self.get_argument("out", "") else ""
        self.show("login_title", self.form(notice=notice))

    def throttled(self, minutes: int, address: str) -> None:
        """The 429 page of an address past its failures: nothing of the name sent."""
        lang = self.lang()
        self.log.warning("hehu: a sign-in was refused: too many failed sign-ins from %s", address)
        self.set_header("Retry-After", str(minutes * 60))
        link = self.base_url + "hehu/login?" + urlencode({"lang": lang, "next": self.next_url()})
        body = (
            f'<div class="hehu-title">{html_text(t("login_app", lang))}</div>'
            f'<div class="hehu-error" role="alert" data-hehu="login-throttled">'
            f"{html_text(t('login_throttled', lang, minutes=minutes))}</div>"
            f'<p><a href="{html_text(link)}">{html_text(t("login_title", lang))}</a></p>'
        )
        self.show("login_title", body, status=429)

    @allow_unauthenticated
    async def post(self) -> None:
        name = self.get_body_argument("name", "")[:200]
        password = self.get_body_argument("password", "")
        address = client_address(
            self.request.remote_ip or "", self.request.headers.get("X-Forwarded-For")
        )
        minutes, ticket = THROTTLE.attempt(address)
        if ticket is None:
            self.throttled(minutes, address)
            return
        try:
            account = await asyncio.get_running_loop().run_in_executor(
                _VERIFY, accounts.verify, server_store(), name, password
            )
        except HehuError as exc:
            self.log.warning("hehu: a sign-in was refused (from %s)", address)
            shown = name if len(name) <= accounts.MAX_NAME_CHARS else ""
            self.show("login_title", self.form(exc.message(self.lang()), name=shown), status=403)
            return
        THROTTLE.succeeded(address, ticket)
        start_session(self, account)
        self.log.info("hehu: %s signed in as %s (from %s)", account.name, account.role, address)
        self.redirect(self.next_url(), status=303)


class LogoutHandler(_PageHandler):
    """GET: a button to sign out. POST: the session ends here and everywhere its cookie was."""

    @allow_unauthenticated
    def get(self) -> None:
        lang = self.lang()
        user = self.current_user
        if not isinstance(user, HehuUser):
            self.redirect(self.base_url + "hehu/login" + ("?lang=en" if lang == "en" else ""))
            return
        body = (
            f'<div class="hehu-title">{html_text(t("login_logout_title", lang))}</div>'
            f'<p data-hehu="logout-user">{html_text(t("login_logout_as", lang, name=user.name))}</p>'
            f'<form method="post" action="{html_text(self.base_url + "hehu/logout")}">'
            + self.xsrf_form_html()
            + f'<input type="hidden" name="lang" value="{lang}">'
            + f'<button type="submit">{html_text(t("login_logout_submit", lang))}</button></form>'
            + f'<p><a href="{html_text(self.base_url + FIRST_PAGE)}">'
            f"{html_text(t('login_back', lang))}</a></p>"
        )
        self.show("login_logout_title", body)

    @allow_unauthenticated
    def post(self) -> None:
        user = self.current_user
        end_session(self)
        if isinstance(user, HehuUser):
            self.log.info("hehu: %s signed out", user.name)
        query = {"out": "1", **({"lang": "en"} if self.lang() == "en" else {})}
        self.redirect(self.base_url + "hehu/login?" + urlencode(query), status=303)
