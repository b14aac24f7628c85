"""Start the actors in dependency order, ping each so a failing start surfaces at once,
and stop them in reverse order."""

from __future__ import annotations

import logging
from typing import Any, cast

import pykka

from clanactors.activity_names import ActivityNames
from clanactors.actors.base import Context
from clanactors.actors.feed import FeedActor
from clanactors.actors.messages import Ping, ViewHealth
from clanactors.actors.recorder import RecorderActor
from clanactors.actors.stats import StatsActor
from clanactors.actors.supervisor import Supervisor
from clanactors.actors.view import ViewActor
from clanactors.bungie.client import BungieClient
from clanactors.clock import Clock, RealClock
from clanactors.scheduler import Scheduler
from clanactors.snapshot import Snapshot
from clanactors.store.db import Database

log = logging.getLogger(__name__)

ORDER = (
    ("feed", FeedActor),
    ("view", ViewActor),
    ("stats", StatsActor),
    ("recorder", RecorderActor),
    ("supervisor", Supervisor),
)


class ActorSystem:
    def __init__(
        self,
        *,
        clan_id: str,
        db: Database,
        client: BungieClient,
        roster_interval: float,
        profile_interval: float,
        max_rps: float,
        clock: Clock | None = None,
    ) -> None:
        clock = clock or RealClock()
        self.scheduler = Scheduler(clock)
        self.ctx = Context(
            clan_id=clan_id,
            roster_interval=roster_interval,
            profile_interval=profile_interval,
            max_rps=max_rps,
            db=db,
            client=client,
            names=ActivityNames(db, client, clock),
            clock=clock,
            scheduler=self.scheduler,
        )

    def add_listener(self, ref: pykka.ActorRef[Any]) -> None:
        """Subscribe an actor to EventStored and SnapshotChanged messages."""
        self.ctx.add_listener(ref)

    def start(self) -> None:
        self.ctx.client.on_status_change = lambda status: self.ctx.tell("view", ViewHealth(status))
        self.scheduler.start()
        try:
            for name, cls in ORDER:
                ref = cls.start(self.ctx)
                self.ctx.refs[name] = ref
                ref.ask(Ping(), timeout=30)
        except Exception:
            self.stop()
            raise
        log.info("actor system started for clan %s", self.ctx.clan_id)

    def snapshot(self) -> Snapshot:
        return cast(Snapshot, self.ctx.refs["view"].ask("snapshot", timeout=10))

    def stop(self) -> None:
        self.ctx.client.on_status_change = None
        self.scheduler.stop()
        for name, _cls in reversed(ORDER):
            ref = self.ctx.refs.pop(name, None)
            if ref is None:
                continue
            try:
                ref.stop(block=True, timeout=15)
            except pykka.Timeout:
                log.warning("%s actor did not stop within 15 s", name)
            except pykka.ActorDeadError:
                pass
        log.info("actor system stopped")
