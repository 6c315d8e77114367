"""Who is signed in to `hehu serve --users`, decided on the server for every request.

A session is one cookie signed with the server's secret (tornado's signed cookies, HMAC-SHA256;
the secret is kept owner-only in HEHU_HOME/serve-secret). It names the user and holds an absolute
expiry (``HEHU_SESSION_HOURS``, 12 by default), a random session id that signing out revokes, the
time the password was last set and a mark of the database. Every request checks all of it and
reads the user again from the database: an expired, revoked or altered cookie, a cookie of
another database, a user disabled, locked out or given a new password since, are all refused on
their next request. Nothing else the browser sends (a URL, a query, another cookie, a header,
a widget) says who anyone is or what they may see.

The role, unit and name a page's kernel runs as come from here (``kernel_identity``): Voila's
page handler gives them to the kernel it starts, or to the preheated kernel it takes
(hehu/serve/voila_app.py), and that kernel is the user's alone (``OwnKernelsAuthorizer``).

Used by hehu/serve/voila_app.py when ``HEHU_USERS=1`` (set by `hehu serve --users`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import secrets
import tempfile
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from jupyter_server.auth import Authorizer
from jupyter_server.auth.identity import IdentityProvider, User
from traitlets import default

from hehu import accounts
from hehu.disclosure import DEFAULT_ROLE, USERS_MODE_VARIABLE, current_role
from hehu.errors import HehuError
from hehu.records.store import Store, hehu_home, open_store
from hehu.serve.voila_xsrf import set_page_xsrf

SESSION_HOURS = 12.0  # a working day; then the user signs in again
SECRET_FILE = "serve-secret"
REVOKED_FILE = "serve-revoked.json"
COOKIE_PREFIX = "hehu-session-"
COOKIE_VERSION = 1


def users_mode() -> bool:
    """Whether this server's people sign in (`hehu serve --users`)."""
    return os.environ.get(USERS_MODE_VARIABLE) == "1"


def session_seconds() -> float:
    """How long a session lasts, from sign-in: $HEHU_SESSION_HOURS (default 12)."""
    try:
        hours = float(os.environ.get("HEHU_SESSION_HOURS", SESSION_HOURS))
    except ValueError:
        hours = SESSION_HOURS
    return max(1.0, hours * 3600) if hours > 0 else SESSION_HOURS * 3600


# --------------------------------------------------------------------------- the secret


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` owner-only, all at once (written aside, then linked in)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="ascii") as out:  # mkstemp: 0600
            out.write(text)
        with contextlib.suppress(FileExistsError):  # another process made it first: theirs
            os.link(tmp, path)
    finally:
        os.unlink(tmp)


def server_secret(home: Path | None = None) -> bytes:
    """The secret that signs sessions: HEHU_HOME/serve-secret, made (0600) on first use.

    A secret others could read would let them write a session for anyone: it is replaced (every
    session then ends), never used."""
    path = (home or hehu_home()) / SECRET_FILE
    if path.exists() and path.stat().st_mode & 0o077:
        path.unlink()
    if not path.exists():
        _write_private(path, secrets.token_hex(32) + "\n")
    text = path.read_text(encoding="ascii").strip()
    if not re.fullmatch(r"[0-9a-f]{64}", text):
        raise HehuError(
            f"会话密钥文件已损坏：{path}（删除它后重启，所有用户需重新登录）",
            f"the session secret is damaged: {path} (delete it and restart)",
        )
    return bytes.fromhex(text)


# --------------------------------------------------------------------------- revoked sessions


class Revoked:
    """Session ids signed out before their expiry, kept (owner-only) until they expire."""

    def __init__(self, path: Path):
        self.path = path
        self._ids: dict[str, float] = {}
        with contextlib.suppress(OSError, ValueError, AttributeError):  # none yet, or unreadable
            self._ids = {
                str(k): float(v) for k, v in json.loads(path.read_text(encoding="utf-8")).items()
            }

    def __contains__(self, sid: str) -> bool:
        return sid in self._ids

    def add(self, sid: str, until: float) -> None:
        now = time.time()
        self._ids = {k: v for k, v in self._ids.items() if v > now}
        self._ids[sid] = until
        self.path.unlink(missing_ok=True)
        _write_private(self.path, json.dumps(self._ids))


@lru_cache(maxsize=1)
def revoked() -> Revoked:
    return Revoked(hehu_home() / REVOKED_FILE)


@lru_cache(maxsize=1)
def server_store() -> Store:
    """The server's database ($HEHU_DB), where the users are."""
    return open_store(os.environ.get("HEHU_DB"), create=False)


def store_mark(store: Store) -> str:
    """A short mark of the database, so that a session of one server's users means nothing to
    a server of another database."""
    return hashlib.sha256(str(store.url).encode()).hexdigest()[:16]


# --------------------------------------------------------------------------- users and cookies


@dataclass
class HehuUser(User):
    """A signed-in user as Jupyter's handlers see one, with what decides their pages."""

    role: str = DEFAULT_ROLE
    unit: str | None = None
    session_id: str = ""
    expires: float = 0.0


def kernel_identity(user: HehuUser) -> dict[str, str]:
    """The environment that makes a page's kernel the user's (hehu.disclosure reads it)."""
    return {"HEHU_ROLE": user.role, "HEHU_UNIT": user.unit or "", "HEHU_USER": user.username}


def request_role(handler) -> str:
    """The role a request is served as: the signed-in user's, or the server's without users."""
    if not users_mode():
        return current_role()
    user = handler.current_user
    return user.role if isinstance(user, HehuUser) else DEFAULT_ROLE


def cookie_name(handler) -> str:
    """One session cookie per host and port (browsers share cookies across ports)."""
    return COOKIE_PREFIX + re.sub(r"[^A-Za-z0-9]+", "-", handler.request.host)


def _changed(account: accounts.User) -> str:
    return account.password_changed_at.isoformat()


def start_session(handler, account: accounts.User) -> None:
    """Give the browser a new session for ``account`` (after `accounts.verify`)."""
    expires = time.time() + session_seconds()
    value = json.dumps(
        {
            "v": COOKIE_VERSION,
            "id": account.id,
            "name": account.name,
            "sid": secrets.token_urlsafe(16),
            "exp": expires,
            "pw": _changed(account),
            "db": store_mark(server_store()),
        }
    )
    handler.set_signed_cookie(
        cookie_name(handler),
        value,
        expires_days=None,
        expires=dt.datetime.fromtimestamp(expires, dt.UTC),
        path=handler.base_url,
        httponly=True,
        samesite="Lax",
        # over https; behind a proxy that ends TLS, HEHU_SECURE_COOKIE=1 says so
        secure=handler.request.protocol == "https" or os.environ.get("HEHU_SECURE_COOKIE") == "1",
    )


def end_session(handler) -> None:
    """Sign out: the session id is revoked (a copy of the cookie is refused) and cleared."""
    user = handler.current_user
    if isinstance(user, HehuUser) and user.session_id:
        revoked().add(user.session_id, user.expires)
    handler.clear_cookie(cookie_name(handler), path=handler.base_url)


def session_user(handler) -> HehuUser | None:
    """The user of the request's session, checked now; None if there is no valid one."""
    raw = handler.get_signed_cookie(
        cookie_name(handler), max_age_days=session_seconds() / 86400 + 1 / 1440
    )
    if not raw:
        return None
    try:
        session = json.loads(raw)
        if session.get("v") != COOKIE_VERSION:
            return None
        expires, sid, name = float(session["exp"]), str(session["sid"]), str(session["name"])
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    if expires <= time.time() or sid in revoked():
        return None
    store = server_store()
    if session.get("db") != store_mark(store):
        return None
    try:
        account = accounts.get_user(store, name)
    except HehuError:
        return None
    if (
        account.id != session.get("id")
        or account.disabled
        or account.locked()
        or _changed(account) != session.get("pw")
    ):
        return None
    return HehuUser(
        username=account.name,
        name=account.name,
        display_name=account.name,
        role=account.role,
        unit=account.unit,
        session_id=sid,
        expires=expires,
    )


def active_account(name: str) -> bool:
    """Whether a user may still use the server (exists, enabled, not locked out)."""
    try:
        account = accounts.get_user(server_store(), name)
    except HehuError:
        return False
    return not account.disabled and not account.locked()


class UserIdentityProvider(IdentityProvider):
    """Jupyter's identity provider for signed-in users: the session cookie, nothing else (no
    token, no anonymous user). A request without a valid session is redirected to the sign-in
    page (a page) or refused with 403 (the API, websockets)."""

    @default("token")
    def _token_default(self):
        return ""

    @property
    def auth_enabled(self) -> bool:
        return True

    @property
    def login_available(self) -> bool:
        return True

    def get_handlers(self) -> list:
        return []  # /hehu/login and /hehu/logout, below the base URL (hehu/serve/voila_app.py)

    def get_cookie_name(self, handler) -> str:
        return cookie_name(handler)

    async def _get_user(self, handler) -> User | None:
        if getattr(handler, "_jupyter_current_user", None):
            return handler._jupyter_current_user
        user = session_user(handler)
        if user is None and handler.get_cookie(cookie_name(handler)) is not None:
            handler.clear_cookie(cookie_name(handler), path=handler.base_url)
        if user is not None:
            set_page_xsrf(handler, user)
        return user


class OwnKernelsAuthorizer(Authorizer):
    """Allows a signed-in user their own pages' kernels (the model, the websocket) and nothing
    else of Jupyter's API: not another user's kernel, not a pooled one no page took."""

    def is_authorized(self, handler, user, action: str, resource: str) -> bool:
        kernel_id = getattr(handler, "path_kwargs", {}).get("kernel_id")
        if resource == "kernels" and kernel_id and action in ("read", "execute"):
            owner = getattr(handler.kernel_manager, "owner", lambda _k: None)(kernel_id)
            if owner is not None and owner == getattr(user, "username", None):
                return True
        request = getattr(handler, "request", None)
        self.log.warning(
            "hehu: refused %s %s (%s %s) to %s",
            getattr(request, "method", "?"),
            getattr(request, "path", "?"),
            action,
            resource,
            getattr(user, "username", user),
        )
        return False
