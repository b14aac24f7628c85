"""What the poller knows about its own health, shared with the web side (thread-safe)."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class HealthView:
    restarts: int
    down: tuple[str, ...]  # actors that failed and have not started again yet
    restarts_by_actor: dict[str, int]
    polling: bool  # this process runs the pollers
    not_polling: str | None  # why it does not, when it does not
    trouble: bool  # it does not poll because something is wrong (not: another process polls)


class Health:
    def __init__(self, polling: bool = True) -> None:
        self._lock = threading.Lock()
        self._restarts: Counter[str] = Counter()
        self._down: set[str] = set()
        self._polling = polling
        self._not_polling: str | None = None if polling else "starting"
        self._trouble = False

    def actor_failed(self, role: str, key: str) -> None:
        with self._lock:
            self._restarts[role] += 1
            self._down.add(key)

    def actor_back(self, key: str) -> None:
        with self._lock:
            self._down.discard(key)

    def actors_gone(self) -> None:
        """The whole actor system stopped: none of its actors is down any more."""
        with self._lock:
            self._down.clear()

    def set_polling(self, polling: bool, why_not: str | None = None, trouble: bool = False) -> None:
        with self._lock:
            self._polling = polling
            self._not_polling = None if polling else why_not
            self._trouble = trouble and not polling

    def view(self) -> HealthView:
        with self._lock:
            return HealthView(
                sum(self._restarts.values()),
                tuple(sorted(self._down)),
                dict(self._restarts),
                self._polling,
                self._not_polling,
                self._trouble,
            )
