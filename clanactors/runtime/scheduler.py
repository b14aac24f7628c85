"""One timer thread that tells actors when their next poll is due.

Pykka has no timers; this is them. Deadlines are on the injected clock's monotonic time,
so tests step a FakeClock by hand and the due messages go out at once (the thread polls a
non-real clock every few milliseconds instead of sleeping until the deadline).
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import threading
from dataclasses import dataclass, field
from typing import Any

import pykka

from clanactors.core.clock import Clock, RealClock

log = logging.getLogger(__name__)
FAKE_CLOCK_POLL = 0.005
# Cancelled timers wait in the heap until they are due; past this many pushes since the
# last sweep, they are swept out at once, so a burst of re-armed polls cannot pile up.
SWEEP_EVERY = 1024


@dataclass(order=True)
class Timer:
    due: float
    seq: int
    target: pykka.ActorRef[Any] = field(compare=False)
    message: Any = field(compare=False)
    cancelled: bool = field(default=False, compare=False)
    fired: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        self.cancelled = True

    @property
    def pending(self) -> bool:
        """Neither fired nor cancelled: the only timers worth keeping a reference to."""
        return not (self.fired or self.cancelled)


class Scheduler:
    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or RealClock()
        self._real = isinstance(self.clock, RealClock)
        self._heap: list[Timer] = []
        self._seq = itertools.count()
        self._pushes = 0
        self._cond = threading.Condition()
        self._running = False
        self._thread: threading.Thread | None = None

    def after(self, seconds: float, target: pykka.ActorRef[Any], message: Any) -> Timer:
        """Tell `target` `message` once `seconds` have passed on the clock."""
        timer = Timer(self.clock.monotonic() + max(seconds, 0.0), next(self._seq), target, message)
        with self._cond:
            heapq.heappush(self._heap, timer)
            self._pushes += 1
            if self._pushes >= SWEEP_EVERY:
                self._pushes = 0
                self._heap = [t for t in self._heap if not t.cancelled]
                heapq.heapify(self._heap)
            self._cond.notify()
        return timer

    def start(self) -> None:
        with self._cond:
            if self._running:
                return
            self._running = True
        self._thread = threading.Thread(target=self._run, name="scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._running = False
            self._heap.clear()
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(5)

    def pending(self) -> int:
        with self._cond:
            return sum(1 for t in self._heap if not t.cancelled)

    def size(self) -> int:
        """Timers in the heap, cancelled ones not swept yet included (for benchmarks)."""
        with self._cond:
            return len(self._heap)

    def next_due_in(self) -> float | None:
        """Seconds until the next live timer, or None when there is none."""
        with self._cond:
            live = [t.due for t in self._heap if not t.cancelled]
        return min(live) - self.clock.monotonic() if live else None

    def fire_due(self) -> int:
        """Send every message that is due now; returns how many went out."""
        due: list[Timer] = []
        with self._cond:
            now = self.clock.monotonic()
            while self._heap and self._heap[0].due <= now:
                timer = heapq.heappop(self._heap)
                timer.fired = True
                if not timer.cancelled:
                    due.append(timer)
        for timer in due:
            with contextlib.suppress(pykka.ActorDeadError):  # it stopped meanwhile: fine
                timer.target.tell(timer.message)
        return len(due)

    def _run(self) -> None:
        while True:
            with self._cond:
                if not self._running:
                    return
                wait = self._heap[0].due - self.clock.monotonic() if self._heap else 1.0
                if not self._real:
                    wait = min(wait, FAKE_CLOCK_POLL)
                if wait > 0:
                    self._cond.wait(wait)
                if not self._running:
                    return
            self.fire_due()
