"""What the poller knows about its own health, shared with the web side (thread-safe)."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class HealthView:
    restarts: int
    restarting: tuple[str, ...]
    restarts_by_actor: dict[str, int]
    presence_slowed: bool


class Health:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._restarts: Counter[str] = Counter()
        self._restarting: set[str] = set()
        self._presence_slowed = False

    def actor_failed(self, role: str, key: str) -> None:
        with self._lock:
            self._restarts[role] += 1
            self._restarting.add(key)

    def actor_back(self, key: str) -> None:
        with self._lock:
            self._restarting.discard(key)

    def set_presence_slowed(self, slowed: bool) -> None:
        with self._lock:
            self._presence_slowed = slowed

    def view(self) -> HealthView:
        with self._lock:
            return HealthView(
                sum(self._restarts.values()),
                tuple(sorted(self._restarting)),
                dict(self._restarts),
                self._presence_slowed,
            )
