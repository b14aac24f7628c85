"""One poll chain per poll loop: a PollNow that races a Poll already on its way (popped by
the scheduler, so not cancellable) must not leave two self-re-arming chains; and the
roster reads again at once when Bungie comes back."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pykka
import pytest

from clanactors.actors.base import Context
from clanactors.actors.member import MemberActor
from clanactors.actors.messages import Ping, Poll, PollNow
from clanactors.actors.roster import RosterActor
from clanactors.bungie.errors import MaintenanceError, PrivacyError
from clanactors.bungie.models import RosterMember
from clanactors.core.clock import FakeClock
from clanactors.domain.pacing import Pacing
from clanactors.runtime.scheduler import Scheduler

PROFILE = 30.0
ROSTER = 60.0
FAR = Pacing(PROFILE).far  # how often a private profile is read
MEMBER = RosterMember("4611", 3, "Zoë", "Zoë#0042", "Member", None, True, None, True)


class FakeBungie:
    """Counts calls; profiles are private (the cheapest answer to handle), the roster
    fails with maintenance while `down`."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.down = False

    def get_profile(self, membership_type: int, membership_id: str) -> Any:
        self.calls["profile"] += 1
        raise PrivacyError("private", code=1665)

    def get_group(self, group_id: str) -> Any:
        self.calls["group"] += 1
        raise MaintenanceError("down", code=5)

    def get_roster(self, group_id: str) -> list[RosterMember]:
        self.calls["roster"] += 1
        if self.down:
            raise MaintenanceError("down for maintenance", code=5)
        return []


class Clocked:
    def __init__(self) -> None:
        self.clock = FakeClock()
        self.scheduler = Scheduler(self.clock)
        self.bungie = FakeBungie()
        self.ctx = Context(
            clan_id="1",
            roster_interval=ROSTER,
            profile_interval=PROFILE,
            max_rps=10,
            db=None,  # type: ignore[arg-type]  # these actors never reach the database here
            client=self.bungie,  # type: ignore[arg-type]
            names=None,  # type: ignore[arg-type]
            clock=self.clock,
            scheduler=self.scheduler,
        )

    def run(self, ref: pykka.ActorRef[Any], seconds: float, step: float = 1.0) -> None:
        elapsed = 0.0
        while elapsed < seconds:
            self.clock.advance(step)
            elapsed += step
            self.scheduler.fire_due()
            ref.ask(Ping())


@pytest.fixture
def rig() -> Iterator[Clocked]:
    yield Clocked()
    pykka.ActorRegistry.stop_all()


class HeldMember(MemberActor):
    """A member actor that can be held busy, to line up the race exactly."""

    gate = threading.Event()

    def handle(self, message: Any) -> Any:
        if message == "hold":
            self.gate.wait(10)
            return None
        return super().handle(message)


def test_a_poll_now_racing_a_due_poll_leaves_one_chain(rig: Clocked) -> None:
    ref = HeldMember.start(rig.ctx, MEMBER)
    ref.ask(Ping())
    assert rig.bungie.calls["profile"] == 1
    rig.clock.advance(FAR)
    ref.tell("hold")
    ref.tell(PollNow())
    # The race: the scheduler pops the due Poll (too late to cancel) and its message
    # lands behind PollNow.
    assert rig.scheduler.fire_due() == 1
    HeldMember.gate.set()
    ref.ask(Ping())
    assert rig.bungie.calls["profile"] == 2  # the first poll and PollNow's; the stale one dropped
    # A private profile is read at the far pace: one chain polls ten times in ten of
    # those; two chains would poll twenty times.
    rig.run(ref, 10 * FAR)
    assert rig.bungie.calls["profile"] == 12


def test_a_stale_poll_is_dropped_once_a_new_chain_began(rig: Clocked) -> None:
    ref = MemberActor.start(rig.ctx, MEMBER)
    ref.ask(Ping())
    ref.tell(PollNow())  # chain 1 begins
    ref.tell(Poll(0))  # a Poll of chain 0, sent before it was cancelled
    ref.ask(Ping())
    assert rig.bungie.calls["profile"] == 2  # the first poll and PollNow's; chain 0's dropped


def test_the_roster_is_read_at_once_when_bungie_comes_back(rig: Clocked) -> None:
    rig.bungie.down = True
    ref = RosterActor.start(rig.ctx)
    ref.ask(Ping())
    rig.run(ref, 10 * ROSTER)
    # While down it keeps asking at the roster interval (the client answers at once
    # without a request, except its probe): never a growing backoff.
    assert rig.bungie.calls["roster"] == 11
    rig.bungie.down = False
    rig.clock.advance(ROSTER / 2)
    ref.tell(PollNow())  # what the actor system says when another call saw Bungie back
    ref.ask(Ping())
    assert rig.bungie.calls["roster"] == 12
    # ...and its chain goes on at the interval from there, one chain only.
    rig.run(ref, 5 * ROSTER)
    assert rig.bungie.calls["roster"] == 17
    ref.tell(PollNow())  # Bungie is fine: no extra read
    ref.ask(Ping())
    assert rig.bungie.calls["roster"] == 17
