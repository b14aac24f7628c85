"""One backoff for every poll loop: re-arm at the interval, back off while failing, log
the way down once and the way back once (Home Assistant's DataUpdateCoordinator habit)."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


class Backoff:
    def __init__(self, interval: float, cap: float, what: str) -> None:
        self.interval = interval
        self.cap = max(cap, interval)
        self.what = what
        self.failures = 0

    def failed(self, reason: str) -> float:
        """A failed run: the delay before the next one."""
        self.failures += 1
        if self.failures == 1:
            log.warning("%s failing, backing off: %s", self.what, reason)
        return min(self.interval * 2**self.failures, self.cap)

    def succeeded(self) -> float:
        if self.failures:
            log.info("%s recovered after %d failed tries", self.what, self.failures)
        self.failures = 0
        return self.interval
