"""One restart policy for every supervised actor: backoff, and a cap on restart storms.

Erlang/OTP's idea of intensity: a child may fail a few times within a period and is
restarted after a growing delay; beyond that the storm is contained by waiting much
longer before the next try. Nothing is given up for good: a crashed actor always comes
back. Pure and clock-free (callers pass monotonic seconds), so it is a unit test away.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Restart:
    delay: float  # seconds before starting the child again
    first: bool  # the first failure of a quiet spell: log it
    storm: bool  # the intensity was exceeded: log that once, then wait long


@dataclass
class RestartPolicy:
    base: float = 1.0
    cap: float = 30.0
    intensity: int = 5  # failures allowed within `period`...
    period: float = 60.0
    storm_pause: float = 300.0  # ...beyond that, the wait before the next try
    _failures: dict[str, deque[float]] = field(default_factory=dict)
    _in_storm: set[str] = field(default_factory=set)
    _last: dict[str, float] = field(default_factory=dict)

    def failed(self, key: str, now: float) -> Restart:
        last, self._last[key] = self._last.get(key), now
        if key in self._in_storm:
            # A storm lasts until the child, restarted after a pause, runs for a period.
            if last is not None and now - last <= self.storm_pause + self.period:
                return Restart(self.storm_pause, first=False, storm=False)
            self._in_storm.discard(key)
            self._failures.pop(key, None)
        recent = self._failures.setdefault(key, deque())
        while recent and recent[0] < now - self.period:
            recent.popleft()
        recent.append(now)
        count = len(recent)
        if count > self.intensity:
            self._in_storm.add(key)
            return Restart(self.storm_pause, first=False, storm=True)
        delay = min(self.base * 2 ** (count - 1), self.cap)
        return Restart(delay, first=count == 1, storm=False)

    def forget(self, key: str) -> None:
        """The child is gone for a good reason (the member went offline)."""
        self._failures.pop(key, None)
        self._in_storm.discard(key)
        self._last.pop(key, None)
