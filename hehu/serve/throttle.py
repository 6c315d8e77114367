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

The address is tornado's `request.remote_ip`; an IPv6 address counts with its /64 (one host
holds a whole /64 and could change address at every try). `hehu serve` does not trust
X-Forwarded-For (no xheaders), so behind a reverse proxy every client has the proxy's address
and the limit then counts everyone's failures together: MAX_FAILED_PER_ADDRESS failures from
anyone make everyone wait.
"""

from __future__ import annotations

import collections
import ipaddress
import math
import threading
import time
from collections.abc import Callable

from hehu import accounts


def address_key(address: str) -> str:
    """What is counted for a client address: itself, an IPv6 address's /64, an IPv4-mapped
    IPv6 address's IPv4 address; anything unparsed as given."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


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
