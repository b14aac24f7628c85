"""Fault injection for the simulated API: maintenance, throttling, slow and broken bodies.

Tests flip these from Python while the server runs, harnesses over HTTP (`/sim/faults`);
every switch is thread-safe. Bungie's own per-IP ceiling (25 requests/s averaged over
10 s) is on by default, so a client that floods is throttled here as it
would be there.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field

THROTTLE_WINDOW = 10.0
MAX_DELAY = 300.0

# The switches a harness may read and set, by name: what each accepts.
SWITCHES: dict[str, str] = {
    "maintenance": "bool",
    "maintenance_html": "bool",
    "throttle_next": "count",
    "throttle_code": "count",
    "throttle_seconds": "count",
    "delay": "seconds",
    "truncate_next": "count",
    "rate_limit": "rate or null",
}


class FaultError(ValueError):
    """A switch that does not exist, or a value it cannot take."""


def check_switch(name: str, value: object, kind: str) -> object:
    """The value as the switch keeps it, or FaultError naming what was wrong."""
    if kind == "bool" and isinstance(value, bool):
        return value
    if isinstance(value, bool):
        pass  # JSON true/false is not a number here
    elif kind == "count" and isinstance(value, int) and value >= 0:
        return value
    elif isinstance(value, int | float) and math.isfinite(value):
        if kind == "seconds" and 0 <= value <= MAX_DELAY:
            return float(value)
        if kind == "rate or null" and value > 0:
            return float(value)
    elif kind == "rate or null" and value is None:
        return None
    wanted = {
        "bool": "true or false",
        "count": "a whole number, 0 or more",
        "seconds": f"a number of seconds from 0 to {MAX_DELAY:g}",
        "rate or null": "a number of requests per second above 0, or null",
    }[kind]
    raise FaultError(f"{name} must be {wanted}, not {value!r}")


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

    def switches(self) -> dict[str, object]:
        """The switches a harness may see (not the rejected keys), by their SWITCHES name."""
        with self._lock:
            return {name: getattr(self, name) for name in SWITCHES}

    def update(self, changes: Mapping[str, object]) -> None:
        """Set several switches at once, or none: FaultError for an unknown name or a bad
        value, before anything changes."""
        checked = {}
        for name, value in changes.items():
            if name not in SWITCHES:
                raise FaultError(f"no fault switch named {name!r}")
            checked[name] = check_switch(name, value, SWITCHES[name])
        with self._lock:
            for name, value in checked.items():
                setattr(self, name, value)
