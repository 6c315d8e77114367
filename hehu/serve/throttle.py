"""Failed sign-ins counted per client address: the one rule of refusing an address that fails.

hehu.accounts locks an account after MAX_FAILED_ATTEMPTS failures in a row; that alone lets one
address try a common password on every account (four tries each, never locking one) and lock any
account it names. Here the sign-in page (hehu.serve.login) counts the failures of each address in
a sliding window of ADDRESS_WINDOW_MINUTES; past MAX_FAILED_PER_ADDRESS it refuses that address's
sign-ins, a right password too, without asking hehu.accounts.verify (no argon2 spent, no account
pushed into its lock-out), until its oldest failure in the window is that old. A success is not
counted and resets nothing, neither its own address's count nor another's.

In memory, in the one process that serves the sign-in page (`hehu serve` is one process): a
restart forgets the counts. Memory is bounded: an address whose failures are all older than the
window is forgotten, each keeps at most the limit's timestamps, and past MAX_ADDRESSES_TRACKED
the address that failed longest ago is dropped.

The address is the peer's (tornado's `request.remote_ip`); an IPv6 address counts with its /64
(one host holds a whole /64 and could change address at every try). Behind a reverse proxy every
peer is the proxy, and the limit would count everyone's failures together (MAX_FAILED_PER_ADDRESS
failures from anyone making everyone wait): naming the proxy in HEHU_TRUSTED_PROXIES (addresses or
networks, comma-separated) makes the address the last one of X-Forwarded-For that is not a
trusted proxy (`client_address`). Nothing else is trusted: a client's own X-Forwarded-For is
ignored, and the entries a client puts before the proxy's are never read.
"""

from __future__ import annotations

import collections
import ipaddress
import math
import os
import threading
import time
from collections.abc import Callable
from functools import lru_cache

from hehu import accounts
from hehu.errors import HehuError


def _parsed(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """A client address as an IP (a zone dropped, an IPv4-mapped IPv6 address as its IPv4
    address); None for what is not one."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def address_key(address: str) -> str:
    """What is counted for a client address: itself, an IPv6 address's /64, an IPv4-mapped
    IPv6 address's IPv4 address; anything unparsed as given."""
    ip = _parsed(address)
    if ip is None:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


TRUSTED_PROXIES_ENV = "HEHU_TRUSTED_PROXIES"


@lru_cache(maxsize=8)
def trusted_networks(text: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """The networks of HEHU_TRUSTED_PROXIES' text; HehuError names an entry that is not one
    (`hehu serve` asks before it starts, so a typo stops it instead of every sign-in)."""
    networks = []
    for entry in filter(None, (part.strip() for part in text.split(","))):
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise HehuError(
                f"{TRUSTED_PROXIES_ENV} 中的“{entry}”不是地址或网段（例如 127.0.0.1 或 10.0.0.0/8）",
                f"{TRUSTED_PROXIES_ENV}: “{entry}” is not an address or network",
            ) from None
    return tuple(networks)


def _trusted(address: str, networks) -> bool:
    ip = _parsed(address)
    return ip is not None and any(ip in network for network in networks)


def client_address(peer: str, forwarded_for: str | None, trusted: str | None = None) -> str:
    """Where a request came from: the peer, or where the peer is a trusted proxy (`trusted`,
    else HEHU_TRUSTED_PROXIES) the last X-Forwarded-For entry that is not one; the entries
    before it are the client's own word, never read."""
    text = os.environ.get(TRUSTED_PROXIES_ENV, "") if trusted is None else trusted
    networks = trusted_networks(text) if text else ()
    if not networks or not _trusted(peer, networks):
        return peer
    for entry in reversed((forwarded_for or "").split(",")):
        entry = entry.strip()
        if not _trusted(entry, networks):
            return entry or peer  # an empty entry: the proxy's own address, as without it
    return peer


class AddressThrottle:
    """Failures of each address within the window; times are seconds of `clock` (monotonic),
    and every method takes `now=` so tests move the clock instead of sleeping."""

    def __init__(
        self,
        limit: int = accounts.MAX_FAILED_PER_ADDRESS,
        window_minutes: float = accounts.ADDRESS_WINDOW_MINUTES,
        max_addresses: int = accounts.MAX_ADDRESSES_TRACKED,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.limit = limit
        self.window = window_minutes * 60
        self.max_addresses = max_addresses
        self.clock = clock
        # address -> times of its failures (and of its tries still being checked), oldest
        # first; the addresses in the order of their latest failure
        self._failures: collections.OrderedDict[str, collections.deque[float]] = (
            collections.OrderedDict()
        )
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._failures)

    def _forget_expired(self, now: float) -> None:
        while self._failures:
            address, times = next(iter(self._failures.items()))
            while times and times[0] <= now - self.window:
                times.popleft()
            if times:
                return
            del self._failures[address]

    def _current(self, key: str, now: float) -> collections.deque[float] | None:
        times = self._failures.get(key)
        if times is not None:
            while times and times[0] <= now - self.window:
                times.popleft()
        return times

    def attempt(self, address: str, now: float | None = None) -> tuple[int, float | None]:
        """Begin a sign-in from `address`: (minutes to wait, None) when it is refused, else
        (0, a ticket). The try counts as a failure until `succeeded(address, ticket)`, so many
        tries sent at once cannot all pass before the first of them has failed."""
        now = self.clock() if now is None else now
        key = address_key(address)
        with self._lock:
            self._forget_expired(now)
            times = self._current(key, now)
            if times is not None and len(times) >= self.limit:  # refused tries are not counted
                return max(1, math.ceil((times[0] + self.window - now) / 60)), None
            if times is None:
                times = self._failures[key] = collections.deque()
            times.append(now)
            self._failures.move_to_end(key)
            while len(self._failures) > self.max_addresses:
                self._failures.popitem(last=False)
        return 0, now

    def succeeded(self, address: str, ticket: float) -> None:
        """The sign-in begun with `ticket` succeeded: it is not a failure."""
        key = address_key(address)
        with self._lock:
            times = self._failures.get(key)
            if times is None:
                return
            try:
                times.remove(ticket)
            except ValueError:
                return
            if not times:
                del self._failures[key]
