"""Process-wide request pacing and request collapsing, shared by every thread."""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import TypeVar

from clanactors.bungie.errors import ClientClosedError
from clanactors.core.clock import Clock, RealClock

T = TypeVar("T")


# Who goes first when the ceiling binds: recording (history, PGCRs, names), then the
# live page (roster, profiles), then background work (stats).
RECORDING, LIVE, BACKGROUND = 0, 1, 2


class RateLimiter:
    """Lets callers through one at a time, at least 1/`rate` seconds apart, across threads.

    When several wait, the one with the lowest `priority` goes next (first come, first
    served within a priority), so recording is never starved by presence polls.
    Spacing is measured from when each caller was actually let through, so a late waker
    never lets the next caller bunch up behind it: no burst exceeds the ceiling.
    `pause(seconds)` holds every caller back, e.g. after Bungie says ThrottleSeconds.
    `close()` wakes waiters with ClientClosedError so shutdown never waits on a slot.

    Each waiter waits on its own condition. Only the first in line watches the time (a
    timed wait on the real clock; a test clock's `sleep` moves time on instead); the
    others sleep until the one ahead of them goes through and wakes the next in line, so
    a slot wakes one caller, not every caller.
    """

    def __init__(self, rate: float, clock: Clock | None = None) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self._interval = 1.0 / rate
        self._clock = clock or RealClock()
        self._real = isinstance(self._clock, RealClock)
        self._lock = threading.Lock()
        self._queue: list[tuple[int, int]] = []  # (priority, ticket) of waiting callers
        self._turns: dict[tuple[int, int], threading.Condition] = {}  # each one's own
        self._tickets = itertools.count()
        self._next_slot = 0.0
        self._closed = threading.Event()
        self.waited: dict[int, float] = {}  # the last wait (seconds) per priority
        self._since: dict[tuple[int, int], float] = {}  # when each waiter began to wait

    def acquire(self, priority: int = LIVE) -> float:
        """Wait for this caller's slot; returns how long it waited."""
        start = self._clock.monotonic()
        with self._lock:
            ticket = (priority, next(self._tickets))
            turn = threading.Condition(self._lock)
            heapq.heappush(self._queue, ticket)
            self._turns[ticket] = turn
            self._since[ticket] = start
            try:
                while True:
                    if self._closed.is_set():
                        raise ClientClosedError("client closed")
                    if self._queue[0] != ticket:
                        turn.wait()  # until the caller ahead goes through (or close)
                        continue
                    delay = self._next_slot - self._clock.monotonic()
                    if delay <= 0:
                        break
                    if self._real:
                        # Woken early by close, or by the caller ahead leaving when one
                        # with a higher priority came in after this one began to wait.
                        turn.wait(delay)
                    else:  # a test clock: its sleep moves time on
                        self._lock.release()
                        try:
                            self._clock.sleep(delay)
                        finally:
                            self._lock.acquire()
                self._next_slot = self._clock.monotonic() + self._interval
            finally:
                self._leave(ticket)
        waited = self._clock.monotonic() - start
        self.waited[priority] = waited
        return waited

    def _leave(self, ticket: tuple[int, int]) -> None:
        """Take `ticket` out of the line and wake whoever is first in it now (the lock
        is held)."""
        del self._since[ticket], self._turns[ticket]
        if self._queue[0] == ticket:
            heapq.heappop(self._queue)
        else:  # closed, or interrupted, while others were ahead
            self._queue.remove(ticket)
            heapq.heapify(self._queue)
        if self._queue:
            self._turns[self._queue[0]].notify()

    def wait_of(self, priority: int) -> float:
        """How long callers of this priority wait now: the longest current wait, or the
        last finished one."""
        now = self._clock.monotonic()
        with self._lock:
            current = [now - t for (p, _), t in self._since.items() if p == priority]
        return max([self.waited.get(priority, 0.0), *current])

    def pause(self, seconds: float) -> None:
        """No caller is let through for `seconds` from now."""
        with self._lock:
            self._next_slot = max(self._next_slot, self._clock.monotonic() + seconds)

    def sleep(self, seconds: float) -> None:
        """Wait `seconds` (a retry backoff), cut short by `close()`."""
        deadline = self._clock.monotonic() + seconds
        while True:
            if self._closed.is_set():
                raise ClientClosedError("client closed")
            remaining = deadline - self._clock.monotonic()
            if remaining <= 0:
                return
            if self._real:
                self._closed.wait(remaining)
            else:
                self._clock.sleep(remaining)

    def close(self) -> None:
        self._closed.set()
        with self._lock:
            for turn in self._turns.values():
                turn.notify()


class SingleFlight:
    """Concurrent calls with the same key share one execution and its result or error."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._inflight: dict[Hashable, Future[object]] = {}

    def do(self, key: Hashable, fn: Callable[[], T]) -> T:
        with self._lock:
            future = self._inflight.get(key)
            leader = future is None
            if future is None:
                future = Future()
                self._inflight[key] = future
        if not leader:
            return future.result()  # type: ignore[return-value]
        try:
            result = fn()
        except BaseException as exc:
            future.set_exception(exc)
            raise
        else:
            future.set_result(result)
            return result
        finally:
            with self._lock:
                del self._inflight[key]
