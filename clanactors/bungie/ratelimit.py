"""Process-wide request pacing and request collapsing, shared by every thread."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import TypeVar

from clanactors.bungie.errors import ClientClosedError
from clanactors.clock import Clock, RealClock

T = TypeVar("T")


class RateLimiter:
    """Lets callers through one at a time, at least 1/`rate` seconds apart, across threads.

    Spacing is measured from when each caller was actually let through, so a late waker
    never lets the next caller bunch up behind it: no burst exceeds the ceiling.
    `pause(seconds)` holds every caller back, e.g. after Bungie says ThrottleSeconds.
    `close()` wakes waiters with ClientClosedError so shutdown never waits on a slot.
    """

    def __init__(self, rate: float, clock: Clock | None = None) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self._interval = 1.0 / rate
        self._clock = clock or RealClock()
        self._turn = threading.Lock()  # one caller waits for the next slot at a time
        self._lock = threading.Lock()  # guards _next_slot
        self._next_slot = 0.0
        self._closed = threading.Event()

    def acquire(self) -> None:
        with self._turn:
            while True:
                with self._lock:
                    delay = self._next_slot - self._clock.monotonic()
                if delay <= 0:
                    break
                self._wait(delay)
            with self._lock:
                self._next_slot = self._clock.monotonic() + self._interval

    def pause(self, seconds: float) -> None:
        """No caller is let through for `seconds` from now."""
        with self._lock:
            self._next_slot = max(self._next_slot, self._clock.monotonic() + seconds)

    def sleep(self, seconds: float) -> None:
        """Wait `seconds` (a retry backoff), cut short by `close()`."""
        self._wait(seconds)

    def close(self) -> None:
        self._closed.set()

    def _wait(self, seconds: float) -> None:
        deadline = self._clock.monotonic() + seconds
        while True:
            if self._closed.is_set():
                raise ClientClosedError("client closed")
            remaining = deadline - self._clock.monotonic()
            if remaining <= 0:
                return
            if isinstance(self._clock, RealClock):
                self._closed.wait(remaining)
            else:
                self._clock.sleep(remaining)


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
