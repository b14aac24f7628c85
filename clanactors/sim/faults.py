"""Fault injection for the simulated API: maintenance, throttling, slow and broken bodies.

Tests flip these from Python while the server runs; every switch is thread-safe.
Bungie's own per-IP ceiling (25 requests/s averaged over 10 s, API-NOTES §9) is on by
default, so a client that floods is throttled here as it would be there.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field

THROTTLE_WINDOW = 10.0


@dataclass
class Faults:
    maintenance: bool = False  # ErrorCode 5 on every call
    maintenance_html: bool = False  # ... as an HTML page instead of JSON
    throttle_next: int = 0  # answer this many next calls with a throttle code
    throttle_code: int = 36
    throttle_seconds: int = 10
    delay: float = 0.0  # seconds before each answer
    truncate_next: int = 0  # cut this many next JSON bodies in half
    rate_limit: float | None = 25.0  # requests/s averaged over 10 s, then code 51
    rejected_keys: frozenset[str] = frozenset()  # answered 2101 ApiInvalidOrExpiredKey
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _recent: deque[float] = field(default_factory=deque, repr=False)

    def take_throttle(self) -> bool:
        with self._lock:
            if self.throttle_next > 0:
                self.throttle_next -= 1
                return True
            return False

    def take_truncate(self) -> bool:
        with self._lock:
            if self.truncate_next > 0:
                self.truncate_next -= 1
                return True
            return False

    def over_rate_limit(self) -> bool:
        """Record one request; True when the 10-second average is above the limit."""
        now = time.monotonic()
        with self._lock:
            self._recent.append(now)
            while self._recent and self._recent[0] < now - THROTTLE_WINDOW:
                self._recent.popleft()
            if self.rate_limit is None:
                return False
            return len(self._recent) > self.rate_limit * THROTTLE_WINDOW

    def set(self, **changes: object) -> None:
        with self._lock:
            for name, value in changes.items():
                if name.startswith("_") or not hasattr(self, name):
                    raise AttributeError(f"no fault named {name}")
                setattr(self, name, value)
