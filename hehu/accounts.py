"""Named users of `hehu serve`: add, list, set a password, verify one, lock out, disable.

Passwords are never stored, logged or shown: only their argon2id hash (argon2-cffi, RFC 9106
parameters) is kept in `app_user`, whose CHECK refuses anything else. `verify` spends the time
of one hash whether the name exists or not, so names cannot be probed by timing, and says the
same thing of an unknown name, a wrong password and a locked account. After `MAX_FAILED_ATTEMPTS`
failures in a row an account is locked for `LOCK_MINUTES`. Every change is one transaction with
its audit-log entry; the actor is whoever made it (the admin's name or role).

Times come from hehu.clock (UTC as stored); every function takes `now=` so tests set the clock.
"""

from __future__ import annotations

import datetime as dt
import getpass
import unicodedata
from dataclasses import dataclass

import argon2
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from hehu import clock
from hehu.errors import HehuError
from hehu.i18n import audit_what
from hehu.records import vocab
from hehu.records.schema import app_user, audit_log
from hehu.records.store import Store


def cli_actor() -> str:
    """Who acts from the command line, for the audit log: `cli:<the OS login name>` (just `cli`
    where the system has none, as in some containers). The one rule for every command that
    writes or audits; on a server's page the signed-in user acts (hehu.disclosure.current_actor).
    """
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # noqa: BLE001 - no login name: OSError, KeyError (no passwd entry), …
        return "cli"


# The rules of accounts, in one place.
MAX_FAILED_ATTEMPTS = 5  # failures in a row that lock an account
LOCK_MINUTES = 15  # how long it stays locked
# Failed sign-ins from one network address (hehu.serve.throttle): past MAX_FAILED_PER_ADDRESS in
# ADDRESS_WINDOW_MINUTES that address may not try again until the oldest failure is that old. 20
# is four accounts' lock-outs: room for an office of deputies behind one address mistyping, while
# spraying one password over every name (4 a name, never locking one) gets 20 tries a quarter hour
# instead of 4 times the number of accounts; the window matches LOCK_MINUTES.
MAX_FAILED_PER_ADDRESS = 20
ADDRESS_WINDOW_MINUTES = LOCK_MINUTES
MAX_ADDRESSES_TRACKED = 10_000  # memory bound: past it the address failing longest ago is dropped
MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_BYTES = 1024  # longer is refused before any hashing (UTF-8 bytes)
MAX_NAME_CHARS = 64  # app_user.name and app_user.unit are String(64)

# argon2id with argon2-cffi's defaults (RFC 9106's low-memory profile: t=3, 64 MiB, p=4).
HASHER = argon2.PasswordHasher()

AUDIT_ACTION = "account"

# Every message of this module, in Chinese and English.
TEXT: dict[str, tuple[str, str]] = {
    "bad_login": (
        "用户名或密码不正确；连续输错 {n} 次，账户将锁定 {minutes} 分钟",
        "wrong user name or password; {n} failures in a row lock the account for {minutes} minutes",
    ),
    "disabled": ("该账户已停用，请联系管理员", "this account is disabled; ask an administrator"),
    "no_user": ("没有这个用户：{name}", "no such user: {name}"),
    "exists": ("用户名已被使用：{name}", "user name already taken: {name}"),
    "bad_name": (
        "用户名应为 1–{n} 个字符，不含空格和控制字符",
        "a user name is 1–{n} characters, without spaces or control characters",
    ),
    "bad_unit": (
        "单位名称应为 1–{n} 个字符，不含控制字符",
        "a unit name is 1–{n} characters, without control characters",
    ),
    "bad_role": ("未知的角色：{role}（可选：{roles}）", "unknown role: {role} (one of {roles})"),
    "unit_needed": (
        "承办单位用户必须指定所属单位（--unit）",
        "a responsible-unit user needs a unit (--unit)",
    ),
    "unknown_unit": (
        "不是承办单位：{unit}（可选：{units}）",
        "not a unit responsible: {unit} (one of {units})",
    ),
    "unit_refused": (
        "只有承办单位（unit）用户可以指定单位",
        "only a responsible-unit user has a unit",
    ),
    "short_password": ("密码至少 {n} 个字符", "a password has at least {n} characters"),
    "long_password": ("密码过长（最多 {n} 字节）", "the password is too long (at most {n} bytes)"),
    "name_password": ("密码不能与用户名相同", "the password cannot be the user name"),
}
# What the audit log says of each change is in hehu.i18n.AUDIT_TEXT ("user_add" …).


def _error(key: str, **values) -> HehuError:
    zh, en = TEXT[key]
    return HehuError(zh.format(**values), en.format(**values))


def bad_login() -> HehuError:
    """The one refusal of a sign-in: unknown name, wrong password or locked account alike."""
    return _error("bad_login", n=MAX_FAILED_ATTEMPTS, minutes=LOCK_MINUTES)


@dataclass(frozen=True)
class User:
    """A user as the rest of Hehu sees one: never the hash."""

    id: int
    name: str
    role: str
    unit: str | None
    disabled: bool
    failed_attempts: int
    locked_until: dt.datetime | None
    created_at: dt.datetime
    password_changed_at: dt.datetime

    def locked(self, now: dt.datetime | None = None) -> bool:
        """Whether the account is locked at `now` (UTC)."""
        return self.locked_until is not None and self.locked_until > (now or clock.utc_now())


_PUBLIC = [c for c in app_user.c if c.name != "password_hash"]


def _user(row) -> User:
    return User(**{c.name: row._mapping[c.name] for c in _PUBLIC})


# --------------------------------------------------------------------------- checks


def clean_name(name: str) -> str:
    """A login name as stored: NFKC-normalised (full-width letters become ASCII), trimmed; a
    HehuError when empty, too long, or holding spaces or control characters."""
    text = unicodedata.normalize("NFKC", str(name)).strip()
    if (
        not text
        or len(text) > MAX_NAME_CHARS
        or any(ch.isspace() or not ch.isprintable() for ch in text)
    ):
        raise _error("bad_name", n=MAX_NAME_CHARS)
    return text


def _clean_unit(role: str, unit: str | None) -> str | None:
    if role not in vocab.ROLES:
        raise _error("bad_role", role=role, roles="、".join(vocab.ROLES))
    unit = None if unit is None else unicodedata.normalize("NFKC", str(unit)).strip()
    if role == vocab.UNIT_ROLE:
        if not unit:
            raise _error("unit_needed")
        if len(unit) > MAX_NAME_CHARS or not unit.isprintable():
            raise _error("bad_unit", n=MAX_NAME_CHARS)
        return unit
    if unit:
        raise _error("unit_refused")
    return None


def _known_unit(store: Store, unit: str | None) -> str | None:
    """A unit user's unit as stored: the id of the unit responsible (an organisation of a kind
    in vocab.UNIT_ORG_KINDS, hehu.oversight.cycle) it names by id or by name; a HehuError if
    it names none. A database with no unit at all yet (organisations not loaded) keeps the
    name as given: the cycle resolves it when the user acts, and refuses it if still unknown."""
    if unit is None:
        return None
    from hehu.oversight.cycle import unit_id, units_frame

    orgs = store.read("org")
    units = units_frame(orgs)
    if units.empty:
        return unit
    try:
        return unit_id(orgs, unit)
    except HehuError:
        names = units["name"].tolist()
        listed = "、".join(names[:12]) + ("……" if len(names) > 12 else "")
        raise _error("unknown_unit", unit=unit, units=listed) from None


def _too_long(password: str) -> bool:
    # Characters first: a string of a million characters is refused without encoding it.
    return len(password) > MAX_PASSWORD_BYTES or len(password.encode("utf-8")) > MAX_PASSWORD_BYTES


def check_password(password: str, name: str = "") -> None:
    """A HehuError unless the password may be set (length, not the user name)."""
    if _too_long(password):
        raise _error("long_password", n=MAX_PASSWORD_BYTES)
    if len(password) < MIN_PASSWORD_CHARS:
        raise _error("short_password", n=MIN_PASSWORD_CHARS)
    if name and password.casefold() == name.casefold():
        raise _error("name_password")


def _hash(password: str, name: str) -> str:
    check_password(password, name)
    return HASHER.hash(password)


# --------------------------------------------------------------------------- writes


def _audit(conn: sa.Connection, actor: str, key: str, now: dt.datetime, **values) -> None:
    conn.execute(
        audit_log.insert().values(
            at=now, actor=actor, action=AUDIT_ACTION, what=audit_what(key, **values), places=""
        )
    )


def _by_name(name: str):
    return sa.func.lower(app_user.c.name) == sa.func.lower(sa.literal(name, sa.String))


def add_user(
    store: Store,
    name: str,
    password: str,
    *,
    role: str,
    unit: str | None = None,
    actor: str = "admin",
    now: dt.datetime | None = None,
) -> User:
    """Add a user (a HehuError if the name is taken, in any case, even by a concurrent add).

    A unit user's `unit` names a unit responsible by org id or name; its id is stored."""
    name = clean_name(name)
    unit = _known_unit(store, _clean_unit(role, unit))
    password_hash = _hash(password, name)
    now = now or clock.utc_now()
    try:
        with store.engine.begin() as conn:
            conn.execute(
                app_user.insert().values(
                    name=name,
                    role=role,
                    unit=unit,
                    password_hash=password_hash,
                    failed_attempts=0,
                    created_at=now,
                    password_changed_at=now,
                    disabled=False,
                )
            )
            if unit:
                _audit(conn, actor, "user_add_unit", now, name=name, role=role, unit=unit)
            else:
                _audit(conn, actor, "user_add", now, name=name, role=role)
    except IntegrityError as exc:
        if _exists(store, name):
            raise _error("exists", name=name) from None
        raise HehuError(
            f"用户不符合数据规则，未添加：{exc.orig}".splitlines()[0],
            f"the user breaks a rule of the store; not added: {exc.orig}".splitlines()[0],
        ) from None
    return get_user(store, name)


def _exists(store: Store, name: str) -> bool:
    with store.engine.connect() as conn:
        return conn.execute(sa.select(app_user.c.id).where(_by_name(name))).first() is not None


def _change(store: Store, name: str, values: dict, key: str, actor: str, now: dt.datetime) -> User:
    name = clean_name(name)
    with store.engine.begin() as conn:
        row = conn.execute(
            app_user.update().where(_by_name(name)).values(**values).returning(app_user.c.name)
        ).first()
        if row is None:
            raise _error("no_user", name=name)
        _audit(conn, actor, key, now, name=row.name)
    return get_user(store, name)


def set_password(
    store: Store, name: str, password: str, *, actor: str = "admin", now: dt.datetime | None = None
) -> User:
    """Set a user's password; it also clears failures and a lock."""
    user = get_user(store, name)
    now = now or clock.utc_now()
    values = {
        "password_hash": _hash(password, user.name),
        "password_changed_at": now,
        "failed_attempts": 0,
        "locked_until": None,
    }
    return _change(store, user.name, values, "user_passwd", actor, now)


def disable(
    store: Store, name: str, *, actor: str = "admin", now: dt.datetime | None = None
) -> User:
    """Disable a user: they can no longer sign in (their entries in the audit log stay)."""
    return _change(store, name, {"disabled": True}, "user_disable", actor, now or clock.utc_now())


def enable(
    store: Store, name: str, *, actor: str = "admin", now: dt.datetime | None = None
) -> User:
    """Enable a disabled user again."""
    return _change(store, name, {"disabled": False}, "user_enable", actor, now or clock.utc_now())


def unlock(
    store: Store, name: str, *, actor: str = "admin", now: dt.datetime | None = None
) -> User:
    """Lift a lock-out and forget the failures before it."""
    values = {"failed_attempts": 0, "locked_until": None}
    return _change(store, name, values, "user_unlock", actor, now or clock.utc_now())


# --------------------------------------------------------------------------- reads


def get_user(store: Store, name: str) -> User:
    """A user by login name (case-blind); a HehuError when there is none."""
    name = clean_name(name)
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(*_PUBLIC).where(_by_name(name))).first()
    if row is None:
        raise _error("no_user", name=name)
    return _user(row)


def list_users(store: Store) -> list[User]:
    """Every user, by name (never a hash)."""
    with store.engine.connect() as conn:
        return [_user(r) for r in conn.execute(sa.select(*_PUBLIC).order_by(app_user.c.name))]


# --------------------------------------------------------------------------- signing in

_dummy_hash: str | None = None


def _dummy() -> str:
    """A hash of nothing anyone types, made with the current parameters, to verify against
    when there is no real one: an unknown or locked account costs as long as a real one."""
    global _dummy_hash
    if _dummy_hash is None or HASHER.check_needs_rehash(_dummy_hash):
        _dummy_hash = HASHER.hash("\x00hehu: no such user\x00")
    return _dummy_hash


def _matches(password_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(password_hash, password)
    except argon2.exceptions.VerificationError:
        return False
    except argon2.exceptions.InvalidHashError:
        return False


def verify(store: Store, name: str, password: str, *, now: dt.datetime | None = None) -> User:
    """The user whose name and password these are, or a HehuError.

    An unknown name, a wrong password and a locked account get the same message and take the
    same time (one argon2 verification). A disabled account is said to be so only to someone who
    knows its password. A failure counts towards the lock-out; a success clears the count.
    """
    now = now or clock.utc_now()
    if _too_long(str(password)):
        raise bad_login()  # no hashing of a megabyte, and nothing learnt about the name
    try:
        name = clean_name(name)
    except HehuError:
        _matches(_dummy(), password)
        raise bad_login() from None
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(app_user).where(_by_name(name))).first()
    if row is None or (row.locked_until is not None and row.locked_until > now):
        _matches(_dummy(), password)
        raise bad_login()
    if not _matches(row.password_hash, password):
        _count_failure(store, row.id, row.name, now)
        raise bad_login()
    if row.disabled:
        raise _error("disabled")
    with store.engine.begin() as conn:
        values: dict = {"failed_attempts": 0, "locked_until": None}
        if HASHER.check_needs_rehash(row.password_hash):  # parameters raised since it was set
            values["password_hash"] = HASHER.hash(password)
        conn.execute(app_user.update().where(app_user.c.id == row.id).values(**values))
    return get_user(store, row.name)


def _count_failure(store: Store, user_id: int, name: str, now: dt.datetime) -> None:
    """One more failure, counted in the database (concurrent failures all count); the
    MAX_FAILED_ATTEMPTS-th locks the account and starts a new count."""
    with store.engine.begin() as conn:
        failures = conn.execute(
            app_user.update()
            .where(app_user.c.id == user_id)
            .values(failed_attempts=app_user.c.failed_attempts + 1)
            .returning(app_user.c.failed_attempts)
        ).scalar_one()
        if failures >= MAX_FAILED_ATTEMPTS:
            until = now + dt.timedelta(minutes=LOCK_MINUTES)
            conn.execute(
                app_user.update()
                .where(app_user.c.id == user_id)
                .values(failed_attempts=0, locked_until=until)
            )
            _audit(conn, "system", "user_locked", now, name=name, n=failures, minutes=LOCK_MINUTES)
