"""Build the actor system and run it: the supervisor starts every actor in dependency
order (pinging each, so a failing start surfaces at once) and stops them in reverse."""

from __future__ import annotations

import logging
from typing import Any, cast

import pykka

from clanactors.actors.activity_names import ActivityNames
from clanactors.actors.base import Context, quiet_pykka_failures
from clanactors.actors.durations import ActivityDurations
from clanactors.actors.messages import (
    ChildFailed,
    GetSnapshot,
    Ping,
    PollNow,
    Reconcile,
    Record,
    ToAllMembers,
    ViewHealth,
)
from clanactors.actors.supervisor import STOP_WITHIN, Supervisor
from clanactors.bungie.client import BungieClient
from clanactors.core.clock import Clock, RealClock
from clanactors.domain.events import Event
from clanactors.domain.pacing import Pacing
from clanactors.domain.snapshot import Snapshot
from clanactors.notify.delivery import NotifySettings
from clanactors.render.wire import ClanState, state_of
from clanactors.runtime.health import Health
from clanactors.runtime.scheduler import Scheduler
from clanactors.runtime.supervision import RestartPolicy
from clanactors.store.db import Database

log = logging.getLogger(__name__)
DOWN = frozenset({"maintenance", "error"})


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
        health: Health | None = None,
        policy: RestartPolicy | None = None,
        notify: NotifySettings | None = None,
        history_days: int | None = None,
    ) -> None:
        clock = clock or RealClock()
        self.scheduler = Scheduler(clock)
        self.policy = policy
        self.ctx = Context(
            clan_id=clan_id,
            roster_interval=roster_interval,
            profile_interval=profile_interval,
            max_rps=max_rps,
            db=db,
            client=client,
            names=ActivityNames(db, client, clock),
            pacing=Pacing(profile_interval),
            durations=ActivityDurations(db, clock),
            clock=clock,
            scheduler=self.scheduler,
            health=health or Health(),
            notify=notify,
            history_days=history_days,
        )
        self.supervisor: pykka.ActorRef[Any] | None = None
        self._bungie = client.status
        # Why the root supervisor failed, once it has: the owner stops this system and
        # starts a fresh one (Pollers in `serve`).
        self.failed: str | None = None
        self.ctx.root_failed = self._root_failed

    def add_listener(self, ref: pykka.ActorRef[Any]) -> None:
        """Subscribe an actor to EventStored and SnapshotChanged messages."""
        self.ctx.peers.listeners.add(ref)

    def start(self) -> None:
        quiet_pykka_failures()
        self.ctx.client.on_status_change = self._bungie_status
        self.ctx.db.state.on_recovered.append(self._database_back)
        self.scheduler.start()
        try:
            self.supervisor = Supervisor.start(self.ctx, self.policy)
            self.ctx.peers.supervisor.set(self.supervisor)
            self.supervisor.ask(Ping(), timeout=60)
        except Exception:
            self.stop()
            raise
        log.info("actor system started for clan %s", self.ctx.clan_id)

    def _bungie_status(self, status: str) -> None:
        previous, self._bungie = self._bungie, status
        self.ctx.peers.view.tell(ViewHealth(status))
        if status == "ok" and previous in DOWN:
            # What finished while Bungie was away is read from history now, and every
            # member actor polls at once instead of sitting out its failure backoff
            # (blind, it could miss what starts and ends just after the recovery).
            self.ctx.peers.reconciler.tell(Reconcile(f"Bungie is back after {previous}"))
            self.ctx.peers.supervisor.tell(ToAllMembers(PollNow()))
            self.ctx.peers.roster.tell(PollNow())

    def _root_failed(self, failure: ChildFailed) -> None:
        log.error(
            "the actor system's supervisor crashed while handling %s: %s\n%s",
            failure.doing,
            failure.error,
            failure.trace.rstrip(),
        )
        self.failed = failure.error

    def _database_back(self) -> None:
        self.ctx.peers.reconciler.tell(Reconcile("the database recovered"))

    def record(self, event: Event, timeout: float = 10.0) -> int | None:
        """Have the feed store and publish `event` (the admin pages' actions); None when
        the feed is down, does not answer in time, or already had it."""
        answer = self.ctx.peers.feed.ask(Record(event), timeout)
        return answer if isinstance(answer, int) else None

    def snapshot(self) -> ClanState:
        """The clan view now, as the web would serve it."""
        ref = self.ctx.peers.view.ref
        assert ref is not None, "the view actor is not running"
        return state_of(cast(Snapshot, ref.ask(GetSnapshot(), timeout=10)))

    def stop(self) -> None:
        self.ctx.client.on_status_change = None
        if self._database_back in self.ctx.db.state.on_recovered:
            self.ctx.db.state.on_recovered.remove(self._database_back)
        self.scheduler.stop()
        supervisor, self.supervisor = self.supervisor, None
        if supervisor is not None:
            try:
                supervisor.stop(block=True, timeout=STOP_WITHIN + 2)
            except pykka.Timeout:
                log.warning("the actors did not stop within %.0f s", STOP_WITHIN + 2)
            except pykka.ActorDeadError:
                pass
        self.ctx.peers.supervisor.set(None)
        log.info("actor system stopped")
