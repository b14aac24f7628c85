"""A rig: the simulated Bungie API, a database and the actor system on one hand-stepped
clock, talking over loopback. Tests drive scenes with it; benchmarks run hours of clan
life faster than real time."""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from datetime import datetime
from typing import Any

import pykka
from sqlalchemy import select

from clanactors.actors.messages import Ping
from clanactors.actors.system import ActorSystem
from clanactors.bungie.client import BungieClient, probe_interval
from clanactors.core.clock import FakeClock, RealClock
from clanactors.domain.events import StoredEvent
from clanactors.domain.pacing import Pacing
from clanactors.notify.delivery import NotifySettings
from clanactors.process.app import actor_system
from clanactors.process.config import Settings
from clanactors.sim.faults import Faults
from clanactors.sim.server import RunningSimulator, Simulator
from clanactors.store.db import Database, migrate
from clanactors.store.eventlog import events_after
from clanactors.store.models import EventRow
from clanactors.store.roster import claim_clan


class Rig:
    def __init__(
        self,
        database_url: str,
        *,
        seed: int = 7,
        members: int = 100,
        profile_interval: float = 10.0,
        roster_interval: float = 20.0,
        start: datetime | None = None,
        notify: NotifySettings | None = None,
        history_days: int = 0,
    ) -> None:
        self.clock = FakeClock(start)
        self.sim = RunningSimulator(
            Simulator(
                seed=seed,
                members=members,
                clock=self.clock,
                faults=Faults(rate_limit=None),
                hostile_names=True,  # every page test meets markup for a name
                history_days=history_days,  # the world's past before its first day
            )
        ).start()
        self.world = self.sim.world
        migrate(database_url)
        self.db = Database(database_url)
        self.profile_interval = profile_interval
        self.roster_interval = roster_interval
        self.notify = notify
        self.system: ActorSystem | None = None
        self.client: BungieClient | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(
        self,
        listeners: tuple[pykka.ActorRef[Any], ...] = (),
        history_days: int | None = None,
        pacing: Pacing | None = None,
    ) -> ActorSystem:
        root = f"{self.sim.url}/Platform"
        self.client = BungieClient(
            "test-key",
            api_root=root,
            stats_root=root,
            max_rps=1000,
            backoff=0.01,
            throttle_floor=0.2,
            probe_every=probe_interval(self.roster_interval),
            # Maintenance probes follow the scene's simulated time; request pacing stays
            # on real time (a simulated sleep would move the scene's clock).
            clock=self.clock,
            pace_clock=RealClock(),
        )
        settings = Settings(
            clan_id=self.sim.clan_id,
            roster_interval=self.roster_interval,
            profile_interval=self.profile_interval,
            max_rps=1000,
            history_days=history_days,
        )
        self.system = actor_system(
            settings, self.db, self.client, clock=self.clock, notify=self.notify
        )
        with self.db.session() as session:
            claim_clan(session, self.sim.clan_id, False, self.clock.now())
        if pacing is not None:
            self.system.ctx.pacing = pacing  # another poll policy (bench/bungie_calls.py)
        for listener in listeners:
            self.system.add_listener(listener)
        self.system.start()
        self.settle()
        return self.system

    def stop(self) -> None:
        if self.system is not None:
            self.system.stop()
            self.system = None
        if self.client is not None:
            self.client.close()
            self.client = None

    def close(self) -> None:
        self.stop()
        self.sim.stop()
        self.db.dispose()
        assert not pykka.ActorRegistry.get_all(), "actors left running"

    # ------------------------------------------------------------------ time

    def settle(self, timeout: float = 30.0) -> None:
        """Wait until every due message is handled and nothing new is moving."""
        assert self.system is not None
        ctx = self.system.ctx
        deadline = time.monotonic() + timeout
        quiet = 0
        while time.monotonic() < deadline:
            before = ctx.handled
            self.system.scheduler.fire_due()
            for ref in pykka.ActorRegistry.get_all():
                with contextlib.suppress(pykka.ActorDeadError, pykka.Timeout):
                    ref.ask(Ping(), timeout=10)
            due = self.system.scheduler.next_due_in()
            if ctx.handled == before and (due is None or due > 0):
                quiet += 1
                if quiet >= 2:
                    return
            else:
                quiet = 0
        raise AssertionError("the actors did not settle")

    def run(self, seconds: float, step: float = 5.0) -> None:
        """Let `seconds` of simulated time pass, settling after every step."""
        elapsed = 0.0
        while elapsed < seconds:
            self.clock.advance(step)
            elapsed += step
            if self.system is not None:
                self.settle()
            else:
                self.world.sync()

    def run_until(self, predicate: Any, limit: float, step: float = 5.0) -> None:
        elapsed = 0.0
        while not predicate():
            assert elapsed < limit, "condition not met in simulated time"
            self.run(step, step)
            elapsed += step

    # ------------------------------------------------------------------ reading

    def events(self, kind: str | None = None) -> list[StoredEvent]:
        with self.db.session() as session:
            found = events_after(session, 0, 100_000)
        return [e for e in found if kind is None or e.event.kind == kind]

    def event_count(self) -> int:
        with self.db.session() as session:
            return len(list(session.scalars(select(EventRow.id))))

    def requests(self) -> Counter[str]:
        return Counter(self.sim.sim.requests)

    def paths(self) -> Counter[str]:
        return Counter(self.sim.sim.paths)
