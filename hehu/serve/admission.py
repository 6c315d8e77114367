"""Admission control: how many pages may have a kernel at once, and what the others are told.

Every Voila page holds a kernel (about 200 MiB for the demo county) and its first run is CPU
work. Twenty deputies opening a briefing at once on two cores used to wait 48–97 s on pages
that showed nothing. Two limits decide instead:

- **kernels**: page kernels alive at once, derived from the machine's memory (or set);
- **renders**: pages being started at once (a kernel starting and running the notebook),
  one per core by default, so that an admitted page opens in seconds.

A request over either limit gets at once a short page in Chinese saying how long the wait is
likely to be, with links to the light pages (no kernel), and retries by itself: after about
half the likely wait, from ``RETRY_SECONDS`` to ``RETRY_SECONDS_MAX`` (a phone slowed by a
crowd paints the page before it asks again, and asks less often while the wait is long).
A page that asks again (by itself or reloaded by hand) takes its own place in the line, not
one more: the caller names who is waiting (the wait page's cookie). The decision is here,
pure and timed by the caller, so it is tested without a server; hehu/serve/voila_app.py asks
it for every page request.
"""

from __future__ import annotations

import itertools
import math
import os
import time
from collections import OrderedDict, deque
from collections.abc import Hashable, Iterator
from dataclasses import dataclass, field

import psutil

from hehu import i18n
from hehu.render.html import html_text
from hehu.render.packs import html_document
from hehu.serve.routes import light_url_from_page

# Measured: a demo-county briefing kernel holds 185–190 MiB after its figures
# (bench/bench_memory.py); room for a larger county and the widgets' state.
KERNEL_MIB = 250
# Left to the server itself, the database, the warmer and the system.
RESERVE_MIB = 1024
# The wait page asks again after half the likely wait, within these bounds; when nobody can
# tell the wait (every kernel has its page open), after UNKNOWN_RETRY_SECONDS.
RETRY_SECONDS = 5
RETRY_SECONDS_MAX = 30
UNKNOWN_RETRY_SECONDS = 15
# Before any page has been rendered, a render is assumed to take this long (measured 2–5 s
# for a briefing on two cores, bench/soak_preheat.py).
FIRST_RENDER_SECONDS = 4.0
# A render not finished after this long holds no render slot any more: Voila may never finish
# a request (an unknown template name once left it waiting for good, and two such requests
# shut every page out until the server was restarted).
RENDER_STUCK_SECONDS = 300
# Pages remembered as waiting (the oldest forgotten first): far more than ever wait at once.
WAITERS_KEPT = 500


def kernel_cap(total_mib: float, pool_kernels: int, kernel_mib: int = KERNEL_MIB) -> int:
    """Page kernels the memory holds: what is left after the reserve and the preheated pool,
    in kernels of ``kernel_mib``; at least one."""
    room = (total_mib - RESERVE_MIB) // kernel_mib - pool_kernels
    return max(1, int(room))


def machine_kernel_cap(pool_kernels: int) -> int:
    """`kernel_cap` for this machine's memory."""
    return kernel_cap(psutil.virtual_memory().total / 2**20, pool_kernels)


def default_render_slots() -> int:
    """Pages started at once: one per core the server may run on (its CPU affinity, which
    taskset, a container's cpuset or systemd's CPUAffinity narrow; os.cpu_count ignores it)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        cores = os.cpu_count() or 1
    return max(1, cores)


@dataclass(frozen=True)
class Decision:
    """Whether a page request gets a kernel now; if not, why and the likely wait."""

    admitted: bool
    reason: str = ""  # "kernels" or "renders" when refused
    wait_seconds: int | None = None  # None: nobody can tell (every kernel has an open page)

    @property
    def retry_seconds(self) -> int:
        """How soon a refused page asks again: half the likely wait, within bounds."""
        if self.wait_seconds is None:
            return UNKNOWN_RETRY_SECONDS
        return min(RETRY_SECONDS_MAX, max(RETRY_SECONDS, math.ceil(self.wait_seconds / 2)))


@dataclass
class Admission:
    """The server's two limits and what it has seen lately (one per server process)."""

    max_kernels: int
    render_slots: int
    _renders: dict = field(default_factory=dict)  # renders running: token -> when started
    _tokens: Iterator[int] = field(default_factory=itertools.count)
    _render_seconds: deque = field(default_factory=lambda: deque(maxlen=20))
    # who is waiting -> (when refused, seconds until that page asks again)
    _waiting: OrderedDict = field(default_factory=OrderedDict)

    def decide(
        self,
        page_kernels: int,
        seconds_to_next_cull: float | None = None,
        now: float | None = None,
        waiter: Hashable | None = None,
    ) -> Decision:
        """Admit a page request, or say why not and how long the wait is likely to be.

        ``page_kernels``: kernels pages hold now (the preheated pool not counted);
        ``seconds_to_next_cull``: when the culler will next free the kernel of a page that
        vanished (None: no such kernel). A page whose kernel is preheated waits for a render
        slot like any other: a Hehu page reads its request before anything else, so the pool
        saves the imports, not the page's work (20 deputies taking pooled kernels on one core
        all rendered at once and saw nothing for 3 minutes, bench/load_test.py --split-cores).
        ``waiter``: who asks (None: someone new each time); a page asking again is not
        counted ahead of itself.
        """
        now = time.monotonic() if now is None else now
        self._waiting.pop(waiter, None)
        if page_kernels >= self.max_kernels:
            wait = None if seconds_to_next_cull is None else max(1, math.ceil(seconds_to_next_cull))
            return self._refuse("kernels", wait, now, waiter)
        if self.renders_running(now) >= self.render_slots:
            # Those refused whose page has not asked again yet are queued before this one.
            waiting = sum(1 for t, retry in self._waiting.values() if now - t < retry)
            rounds = 1 + waiting // self.render_slots
            wait = max(1, math.ceil(rounds * self.render_seconds()))
            return self._refuse("renders", wait, now, waiter)
        return Decision(True)

    def _refuse(self, reason: str, wait: int | None, now: float, waiter) -> Decision:
        decision = Decision(False, reason, wait)
        self._waiting[object() if waiter is None else waiter] = (now, decision.retry_seconds)
        while len(self._waiting) > WAITERS_KEPT:
            self._waiting.popitem(last=False)
        return decision

    def render_started(self, now: float | None = None) -> int:
        """A page was admitted and its kernel is starting: the token its end is told with."""
        token = next(self._tokens)
        self._renders[token] = time.monotonic() if now is None else now
        return token

    def render_finished(self, token: int, seconds: float) -> None:
        """A page's render ended (shown, failed or abandoned) after ``seconds``."""
        if self._renders.pop(token, None) is not None:  # not one forgotten as stuck
            self._render_seconds.append(seconds)

    def renders_running(self, now: float) -> int:
        """Renders started and not finished, those older than RENDER_STUCK_SECONDS forgotten."""
        for token in [t for t, at in self._renders.items() if now - at >= RENDER_STUCK_SECONDS]:
            del self._renders[token]
        return len(self._renders)

    def render_seconds(self) -> float:
        """How long a render takes lately (the median of the last 20)."""
        if not self._render_seconds:
            return FIRST_RENDER_SECONDS
        ordered = sorted(self._render_seconds)
        return ordered[len(ordered) // 2]


def wait_page(decision: Decision, place_code: str | None, lang: str = "zh") -> str:
    """The page a refused request gets: the likely wait, the light pages, a retry by itself."""
    if decision.wait_seconds is None:
        wait = i18n.t("wait_unknown", lang)
    elif decision.wait_seconds < 60:
        wait = i18n.t("wait_seconds", lang, n=decision.wait_seconds)
    else:
        wait = i18n.t("wait_minutes", lang, n=math.ceil(decision.wait_seconds / 60))
    links = [(light_url_from_page(None, lang), i18n.t("wait_light_overview", lang))]
    if place_code:
        links.insert(
            0, (light_url_from_page(place_code, lang), i18n.t("wait_light_briefing", lang))
        )
    body = (
        f'<div class="hehu-title" data-hehu="wait">{html_text(i18n.t("wait_title", lang))}</div>'
        f'<p data-hehu="wait-reason">{html_text(i18n.t("wait_" + decision.reason, lang))}</p>'
        f'<p data-hehu="wait-time"><b>{html_text(wait)}</b></p>'
        f"<p>{html_text(i18n.t('wait_retry', lang, n=decision.retry_seconds))}</p>"
        + "".join(f'<p><a href="{href}">{html_text(text)}</a></p>' for href, text in links)
    )
    # A meta refresh, not a script: it retries with scripts off, on any phone.
    head = f'<meta http-equiv="refresh" content="{decision.retry_seconds}">'
    return html_document(i18n.t("app", lang), body, lang, head=head)
