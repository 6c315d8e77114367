"""Failed sign-ins counted per client address (hehu/serve/throttle.py): spraying one password
over every name, and locking accounts out by their names, stop at the address's limit.

The throttle itself with a clock the tests move (the window passing, successes, other addresses,
bounded memory, IPv6 /64s, tries sent at once); then a real `hehu serve --users` driven over HTTP
from 127.0.0.1: a spray refused with 429 and no account locked, a right password refused after
the limit without accounts.verify being asked, the refusal in Chinese and in English naming no
account, and the address logged without names or passwords. Behind a reverse proxy
(HEHU_TRUSTED_PROXIES): each client counted by the address the proxy saw, a forged
X-Forwarded-For changing nothing, with or without a trusted proxy.
"""

from __future__ import annotations

import os
import re

import pytest
from test_kernel_lifecycle import serve_with_users
from test_login import Client

from hehu import accounts
from hehu.errors import HehuError
from hehu.records.store import open_store
from hehu.serve.throttle import AddressThrottle, address_key, client_address, trusted_networks

LIMIT = accounts.MAX_FAILED_PER_ADDRESS
WINDOW = accounts.ADDRESS_WINDOW_MINUTES * 60
THROTTLED_ZH = "来自此网络地址的登录失败次数过多"
THROTTLED_EN = "Too many failed sign-ins came from this network address"
BAD_LOGIN = "用户名或密码不正确"

# --------------------------------------------------------------------------- the throttle


def fail(throttle: AddressThrottle, address: str, times: int, now: float) -> None:
    for _ in range(times):
        minutes, ticket = throttle.attempt(address, now=now)
        assert ticket is not None and minutes == 0


def test_the_limits_are_named_and_sensible():
    assert LIMIT > accounts.MAX_FAILED_ATTEMPTS  # an office mistyping is not stopped at once
    assert accounts.ADDRESS_WINDOW_MINUTES == accounts.LOCK_MINUTES
    assert accounts.MAX_ADDRESSES_TRACKED >= 1000


def test_past_the_limit_an_address_waits_until_the_window_has_passed():
    throttle = AddressThrottle(clock=lambda: pytest.fail("every call here is given now="))
    t0 = 1000.0
    fail(throttle, "203.0.113.7", LIMIT - 1, now=t0)
    fail(throttle, "203.0.113.7", 1, now=t0 + 60)  # the limit-th, a minute later
    minutes, ticket = throttle.attempt("203.0.113.7", now=t0 + 60)
    assert ticket is None and minutes == accounts.ADDRESS_WINDOW_MINUTES - 1
    assert throttle.attempt("203.0.113.7", now=t0 + 61)[0] == accounts.ADDRESS_WINDOW_MINUTES - 1
    # refused tries are not counted: refused until the oldest failures are a window old
    assert throttle.attempt("203.0.113.7", now=t0 + WINDOW - 1) == (1, None)
    minutes, ticket = throttle.attempt("203.0.113.7", now=t0 + WINDOW)
    assert ticket is not None and minutes == 0  # the window has passed: it may sign in
    # the sliding window: the minute-later failure still counts, with this one
    fail(throttle, "203.0.113.7", LIMIT - 2, now=t0 + WINDOW + 1)
    assert throttle.attempt("203.0.113.7", now=t0 + WINDOW + 2)[1] is None
    assert throttle.attempt("203.0.113.7", now=t0 + WINDOW + 60)[1] is not None


def test_a_success_is_not_a_failure_and_resets_no_other_address():
    throttle = AddressThrottle()
    fail(throttle, "198.51.100.1", LIMIT, now=0.0)
    for _ in range(3 * LIMIT):  # another address signing in again and again
        _minutes, ticket = throttle.attempt("198.51.100.2", now=1.0)
        throttle.succeeded("198.51.100.2", ticket)
    assert throttle.attempt("198.51.100.2", now=2.0)[1] is not None
    assert throttle.attempt("198.51.100.1", now=2.0)[1] is None  # its count kept
    # a success of its own does not reset an address's failures either
    other = AddressThrottle()
    fail(other, "198.51.100.3", LIMIT - 1, now=0.0)
    _minutes, ticket = other.attempt("198.51.100.3", now=1.0)
    other.succeeded("198.51.100.3", ticket)
    fail(other, "198.51.100.3", 1, now=2.0)
    assert other.attempt("198.51.100.3", now=3.0)[1] is None


def test_tries_sent_at_once_count_before_they_have_failed():
    throttle = AddressThrottle()
    tickets = [throttle.attempt("192.0.2.9", now=0.0)[1] for _ in range(LIMIT + 5)]
    assert sum(t is not None for t in tickets) == LIMIT  # the rest refused, still unchecked


def test_memory_is_bounded_expired_addresses_forgotten_and_the_oldest_dropped():
    throttle = AddressThrottle(max_addresses=100)
    for i in range(250):
        fail(throttle, f"10.0.{i // 256}.{i % 256}", 1, now=float(i))
    assert len(throttle) == 100  # the 150 failing longest ago dropped
    fail(throttle, "10.9.9.9", 1, now=249.0 + WINDOW)  # every other failure has expired
    assert len(throttle) == 1


def test_an_ipv6_host_counts_with_its_64_and_a_mapped_ipv4_as_ipv4():
    assert address_key("2001:db8:1:2:aaaa::1") == address_key("2001:db8:1:2:ffff::9")
    assert address_key("2001:db8:1:3::1") != address_key("2001:db8:1:2::1")
    assert address_key("::ffff:192.0.2.1") == "192.0.2.1" == address_key("192.0.2.1")
    throttle = AddressThrottle()
    for i in range(LIMIT):
        fail(throttle, f"2001:db8:1:2::{i + 1:x}", 1, now=0.0)
    assert throttle.attempt("2001:db8:1:2:dead:beef:0:1", now=1.0)[1] is None
    assert throttle.attempt("2001:db8:1:3::1", now=1.0)[1] is not None


def test_behind_a_trusted_proxy_the_client_is_the_last_address_it_did_not_add_itself():
    proxies = "127.0.0.1, 10.0.0.0/8"
    # the proxy's peer as given; a client's own header is never read without a trusted peer
    assert client_address("203.0.113.5", "198.51.100.1", proxies) == "203.0.113.5"
    assert client_address("127.0.0.1", "198.51.100.1", "") == "127.0.0.1"
    assert client_address("127.0.0.1", None, proxies) == "127.0.0.1"
    # through the proxy (and a second one inside): the last entry not a proxy's
    assert client_address("127.0.0.1", "198.51.100.1", proxies) == "198.51.100.1"
    assert client_address("127.0.0.1", "198.51.100.1, 10.1.2.3", proxies) == "198.51.100.1"
    # a client writing its own X-Forwarded-For: its entries come first and are never reached
    forged = "1.2.3.4, 5.6.7.8, 198.51.100.1"
    assert client_address("127.0.0.1", forged, proxies) == "198.51.100.1"
    # nor can it pass for a proxy to reach further left: the proxy appends the real peer
    assert client_address("127.0.0.1", "9.9.9.9, 10.0.0.1, 198.51.100.1", proxies) == (
        "198.51.100.1"
    )
    assert client_address("::ffff:127.0.0.1", "2001:db8::1", proxies) == "2001:db8::1"
    with pytest.raises(HehuError, match="不是地址或网段"):
        trusted_networks("127.0.0.1, localhost")


# --------------------------------------------------------------------------- the server

SPRAYED = "Spring2026!"  # the one common password tried on every name
TARGETS = {f"tgt-deputy-{i}": f"Target-mima-{i}Qz!x" for i in range(1, 6)}


@pytest.fixture(scope="module")
def server(tmp_path_factory, demo_db_file):
    people = {name: ("deputy", None, password) for name, password in TARGETS.items()}
    tmp = tmp_path_factory.mktemp("throttle")
    with serve_with_users(tmp, demo_db_file, people, "--no-preheat") as running:
        yield running


def users(server) -> dict[str, accounts.User]:
    store = open_store(server.db, create=False)
    try:
        return {name: accounts.get_user(store, name) for name in TARGETS}
    finally:
        store.engine.dispose()


@pytest.fixture(scope="module")
def sprayed(server):
    """One address has sprayed SPRAYED over every name, up to the limit: 4 tries a name, so
    each account is one failure short of its lock-out."""
    client = Client(server)
    per_name = accounts.MAX_FAILED_ATTEMPTS - 1
    assert per_name * len(TARGETS) == LIMIT  # the spray ends at the limit exactly
    for _ in range(per_name):
        for name in TARGETS:
            status, _h, body = client.sign_in(name, SPRAYED)
            assert status == 403 and BAD_LOGIN in body
    return server


def test_a_spray_is_refused_past_the_limit_with_429_and_locks_no_account(sprayed):
    client = Client(sprayed)
    for name in [*TARGETS, "no-such-name-x"]:  # the fifth round, that would lock them all
        status, headers, body = client.sign_in(name, SPRAYED)
        assert status == 429 and THROTTLED_ZH in body and client.session() is None
        assert 1 <= int(headers["Retry-After"]) <= accounts.ADDRESS_WINDOW_MINUTES * 60
    for user in users(sprayed).values():
        assert user.failed_attempts == accounts.MAX_FAILED_ATTEMPTS - 1
        assert user.locked_until is None and not user.locked()


def test_past_the_limit_the_right_password_is_refused_without_asking_the_accounts(sprayed):
    before = users(sprayed)
    client = Client(sprayed)
    for name, password in TARGETS.items():
        status, _h, body = client.sign_in(name, password)
        assert status == 429 and THROTTLED_ZH in body and client.session() is None
        assert client.sign_in(name, "another-wrong-one")[0] == 429
    # accounts.verify would have cleared each count (right) or locked each account (wrong)
    assert users(sprayed) == before


def test_the_refusal_is_chinese_or_english_and_names_no_account(sprayed):
    client = Client(sprayed)
    name = "tgt-deputy-1"
    status, _h, chinese = client.sign_in(name, SPRAYED)
    assert status == 429 and 'lang="zh-CN"' in chinese and THROTTLED_ZH in chinese
    assert f"{accounts.ADDRESS_WINDOW_MINUTES} 分钟" in chinese
    data = {"_xsrf": client.xsrf(), "name": name, "password": SPRAYED, "lang": "en"}
    status, _h, english = client.request("/hehu/login?lang=en", data)
    assert status == 429 and THROTTLED_EN in english and THROTTLED_ZH not in english
    assert f"{accounts.ADDRESS_WINDOW_MINUTES} minutes" in english
    for page in (chinese, english):
        assert "tgt-deputy" not in page and "no-such-name" not in page and SPRAYED not in page
    # the same page for an unknown name (but for the minutes): nothing learnt of which exist
    unknown = client.sign_in("no-such-name-y", SPRAYED)[2]
    assert re.sub(r"\d+", "", unknown) == re.sub(r"\d+", "", chinese)


def test_the_refusal_is_logged_with_the_address_never_the_name(sprayed):
    assert Client(sprayed).sign_in("tgt-deputy-2", SPRAYED)[0] == 429
    log = sprayed.log.read_text(errors="replace")
    assert "too many failed sign-ins from 127.0.0.1" in log
    assert "tgt-deputy" not in log and "no-such-name" not in log
    for password in [SPRAYED, *TARGETS.values()]:
        assert password not in log


def test_a_client_s_own_x_forwarded_for_changes_nothing(sprayed):
    """The server trusts no proxy: a header naming another address is still 127.0.0.1."""
    status, _h, _body = Client(sprayed).sign_in(
        "tgt-deputy-3", SPRAYED, headers={"X-Forwarded-For": "198.51.100.77"}
    )
    assert status == 429


@pytest.fixture(scope="module")
def behind_proxy(tmp_path_factory, demo_db_file):
    """A server told that 127.0.0.1 is its reverse proxy (HEHU_TRUSTED_PROXIES)."""
    people = {name: ("deputy", None, password) for name, password in TARGETS.items()}
    os.environ["HEHU_TRUSTED_PROXIES"] = "127.0.0.1"
    try:
        tmp = tmp_path_factory.mktemp("throttle_proxy")
        with serve_with_users(tmp, demo_db_file, people, "--no-preheat") as running:
            yield running
    finally:
        os.environ.pop("HEHU_TRUSTED_PROXIES", None)


def test_behind_a_proxy_each_client_counts_alone_and_cannot_forge_its_way_out(behind_proxy):
    client = Client(behind_proxy)
    sprayer = {"X-Forwarded-For": "198.51.100.7"}
    for _ in range(LIMIT):
        assert client.sign_in("tgt-deputy-1", SPRAYED, headers=sprayer)[0] == 403
    assert client.sign_in("tgt-deputy-1", SPRAYED, headers=sprayer)[0] == 429
    # the sprayer prepending addresses of its own is still the address the proxy saw
    forged = {"X-Forwarded-For": "203.0.113.9, 198.51.100.7"}
    assert client.sign_in("tgt-deputy-1", SPRAYED, headers=forged)[0] == 429
    # everyone else behind the same proxy still signs in
    other = {"X-Forwarded-For": "198.51.100.8"}
    assert client.sign_in("tgt-deputy-2", TARGETS["tgt-deputy-2"], headers=other)[0] == 303
    log = behind_proxy.log.read_text(errors="replace")
    assert "too many failed sign-ins from 198.51.100.7" in log
    assert "(from 198.51.100.8)" in log
