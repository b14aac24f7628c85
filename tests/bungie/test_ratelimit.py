"""The rate limiter's waiters: woken in turn (priority, then arrival), one per slot, not
all of them for every slot; close wakes every one."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator

import pytest

from clanactors.bungie.errors import ClientClosedError
from clanactors.bungie.ratelimit import BACKGROUND, LIVE, RECORDING, RateLimiter
from clanactors.core.clock import FakeClock


class GatedClock(FakeClock):
    """A test clock whose `sleep` waits until the test opens the gate, then moves time on:
    the first caller in line is held there while the others queue behind it. (The gate is
    a plain lock: waiting on it is no Condition wait, which the test counts.)"""

    def __init__(self) -> None:
        super().__init__()
        self._gate = threading.Lock()
        self._gate.acquire()

    def open(self) -> None:
        self._gate.release()

    def sleep(self, seconds: float) -> None:
        assert self._gate.acquire(timeout=10)
        self._gate.release()
        super().sleep(seconds)


WAKEUPS: Counter[str] = Counter()
COUNTING = threading.Lock()


class CountingCondition(threading.Condition):
    """A Condition that counts, per waiter thread, how often a wait returns."""

    def wait(self, timeout: float | None = None) -> bool:
        try:
            return super().wait(timeout)
        finally:
            name = threading.current_thread().name
            if name.startswith("waiter-"):
                with COUNTING:
                    WAKEUPS[name] += 1


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """Every Condition made from here on counts its waiters' wake-ups."""
    WAKEUPS.clear()
    monkeypatch.setattr(threading, "Condition", CountingCondition)
    yield WAKEUPS


def queued(limiter: RateLimiter) -> int:
    """Callers in line (a peek inside: nothing public says so)."""
    return len(limiter._queue)


def wait_until_queued(limiter: RateLimiter, count: int) -> None:
    pause = threading.Event()
    for _ in range(1000):
        if queued(limiter) == count:
            return
        pause.wait(0.005)
    raise AssertionError(f"never {count} callers in line")


# Arrival order, with mixed priorities; the first is held in the gated clock's sleep.
CALLERS = [
    ("stats-1", BACKGROUND),
    ("profile-1", LIVE),
    ("history-1", RECORDING),
    ("stats-2", BACKGROUND),
    ("profile-2", LIVE),
    ("pgcr-1", RECORDING),
    ("profile-3", LIVE),
    ("stats-3", BACKGROUND),
    ("pgcr-2", RECORDING),
    ("profile-4", LIVE),
    ("history-2", RECORDING),
    ("stats-4", BACKGROUND),
]


def test_each_slot_wakes_the_next_caller_in_line_not_every_caller(
    counted: Counter[str],
) -> None:
    clock = GatedClock()
    limiter = RateLimiter(10.0, clock)  # a slot every 0.1 s of the test clock
    limiter.acquire()  # the first slot is used: the next is 0.1 s away
    order: list[str] = []
    lock = threading.Lock()

    def caller(name: str, priority: int) -> None:
        limiter.acquire(priority)
        with lock:
            order.append(name)

    threads = []
    for i, (name, priority) in enumerate(CALLERS):
        thread = threading.Thread(target=caller, args=(name, priority), name=f"waiter-{name}")
        thread.start()
        threads.append(thread)
        wait_until_queued(limiter, i + 1)  # in line, in this order
    counted.clear()  # from here: what the slots cost
    clock.open()
    for thread in threads:
        thread.join(10)
    assert not any(thread.is_alive() for thread in threads)

    by_turn = sorted(range(len(CALLERS)), key=lambda i: (CALLERS[i][1], i))
    assert order == [CALLERS[i][0] for i in by_turn]
    # Each waiter is woken once at most, when its turn comes; waking every waiter at
    # every slot (and every 50 ms) wakes those at the back again and again.
    assert max(counted.values(), default=0) <= 1, counted
    assert sum(counted.values()) <= len(CALLERS), counted


def test_close_wakes_every_waiter(counted: Counter[str]) -> None:
    limiter = RateLimiter(0.01)  # one caller per 100 s, on the real clock
    limiter.acquire()
    errors: list[BaseException] = []

    def caller(priority: int) -> None:
        try:
            limiter.acquire(priority)
        except ClientClosedError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=caller, args=(i % 3,), name=f"waiter-{i}") for i in range(8)]
    for i, thread in enumerate(threads):
        thread.start()
        wait_until_queued(limiter, i + 1)
    limiter.close()
    for thread in threads:
        thread.join(10)
    assert not any(thread.is_alive() for thread in threads)
    assert len(errors) == 8
    assert queued(limiter) == 0
    with pytest.raises(ClientClosedError):
        limiter.acquire()


def test_a_pause_holds_the_first_in_line_and_the_clock_moving_lets_it_through() -> None:
    clock = FakeClock()
    limiter = RateLimiter(10.0, clock)
    limiter.acquire()
    limiter.pause(30)
    assert limiter.acquire(RECORDING) == pytest.approx(30.0)  # its sleep moved the clock
    assert clock.slept == [pytest.approx(30.0)]
    assert limiter.wait_of(RECORDING) == pytest.approx(30.0)
