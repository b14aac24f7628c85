"""Timers do not pile up: an actor keeps only timers that have neither fired nor been
cancelled, and the scheduler sweeps cancelled ones out of its heap."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pykka
import pytest

from clanactors.actors.base import BaseActor, Context
from clanactors.actors.messages import Ping
from clanactors.core.clock import FakeClock
from clanactors.runtime.scheduler import SWEEP_EVERY, Scheduler


@dataclass(frozen=True)
class Tick:
    n: int


class Ticker(BaseActor):
    """Re-arms itself on every tick, like every poll loop of the app."""

    role = "ticker"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.ticks = 0

    def started(self) -> None:
        self.later(1.0, Tick(0))

    def handle(self, message: Any) -> Any:
        match message:
            case Tick():
                self.ticks += 1
                self.later(1.0, Tick(message.n + 1))
                return None
            case "count":
                return self.ticks, len(self._timers)
            case "cancel-and-rearm":
                for timer in list(self._timers):
                    timer.cancel()
                self.later(1.0, Tick(-1))
                return None
        raise TypeError(message)


def context(scheduler: Scheduler, clock: FakeClock) -> Context:
    return Context(
        clan_id="1",
        roster_interval=60,
        profile_interval=30,
        max_rps=10,
        db=None,  # type: ignore[arg-type]  # never touched by these actors
        client=None,  # type: ignore[arg-type]
        names=None,  # type: ignore[arg-type]
        clock=clock,
        scheduler=scheduler,
    )


Running = tuple[pykka.ActorRef[Any], Scheduler, FakeClock]


@pytest.fixture
def ticker() -> Iterator[Running]:
    clock = FakeClock()
    scheduler = Scheduler(clock)
    ref = Ticker.start(context(scheduler, clock))
    yield ref, scheduler, clock
    ref.stop()


def test_fired_timers_are_not_kept(ticker: Running) -> None:
    ref, scheduler, clock = ticker
    for _ in range(500):
        clock.advance(1.0)
        scheduler.fire_due()
        ref.ask(Ping())
    ticks, kept = ref.ask("count")
    assert ticks == 500
    assert kept == 1  # the next tick's timer, nothing else
    assert scheduler.pending() == 1 and scheduler.size() == 1


def test_cancelled_timers_are_swept_from_the_heap(ticker: Running) -> None:
    ref, scheduler, _clock = ticker
    for _ in range(3 * SWEEP_EVERY):
        ref.tell("cancel-and-rearm")
    ref.ask(Ping())
    _ticks, kept = ref.ask("count")
    assert kept == 1
    assert scheduler.pending() == 1
    assert scheduler.size() <= SWEEP_EVERY + 1  # without the sweep: 3 * SWEEP_EVERY + 1
