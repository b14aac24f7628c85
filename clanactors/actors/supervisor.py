"""The supervisor: owns every other actor and restarts the ones that crash.

It starts the singletons (feed, notifier, view, stats, recorder, reconciler, tracker, roster) in
dependency order, and member and fireteam actors when the tracker asks. A child that
raises is restarted after the one shared `RestartPolicy` delay; the crash is logged once
per quiet spell with what the child was doing, and a restart storm is logged once and
then slowed down, never given up for good. Stopping goes in reverse order.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, assert_never

import pykka

from clanactors.actors.base import DB_RETRY, BaseActor, Context
from clanactors.actors.feed import FeedActor
from clanactors.actors.fireteam import FireteamActor
from clanactors.actors.importer import ImporterActor
from clanactors.actors.member import MemberActor
from clanactors.actors.messages import (
    ChildFailed,
    ChildStarted,
    FireteamEnded,
    Ping,
    RestartChild,
    StartFireteam,
    StartMember,
    StopMember,
    SupervisorMessage,
    ToAllMembers,
    ToFireteam,
    ToMember,
)
from clanactors.actors.notifier import NotifierActor
from clanactors.actors.reconciler import ReconcilerActor
from clanactors.actors.recorder import RecorderActor
from clanactors.actors.roster import RosterActor
from clanactors.actors.stats import StatsActor
from clanactors.actors.tracker import TrackerActor
from clanactors.actors.view import ViewActor
from clanactors.core import metrics
from clanactors.runtime.refs import Slot
from clanactors.runtime.supervision import RestartPolicy

log = logging.getLogger(__name__)

SINGLETONS: tuple[type[BaseActor], ...] = (
    FeedActor,
    NotifierActor,
    ViewActor,
    StatsActor,
    RecorderActor,
    ReconcilerActor,
    ImporterActor,
    TrackerActor,
    RosterActor,
)
STOP_WITHIN = 6.0  # seconds for all children to stop before the supervisor moves on
START_WAIT = 10.0  # seconds a singleton may take to start before the next one starts


@dataclass
class Child:
    role: str
    key: str
    start: Callable[[], pykka.ActorRef[Any]]
    ref: pykka.ActorRef[Any] | None = None
    slot: Slot | None = None
    name: str = ""  # for log lines: the member's Bungie name


class Supervisor(BaseActor[SupervisorMessage]):
    role = "supervisor"

    def __init__(self, ctx: Context, policy: RestartPolicy | None = None) -> None:
        super().__init__(ctx)
        self.policy = policy or RestartPolicy()
        self.children: dict[str, Child] = {}

    def started(self) -> None:
        # Children report to the supervisor's slot from their first moment.
        self.ctx.peers.supervisor.set(self.actor_ref)
        # Singletons start in dependency order, each given time to finish its start before
        # the next. One that fails at its start reports it like any crash and is
        # restarted; one that is slow (a stalled database) does not hold up the rest.
        for cls in SINGLETONS:
            child = Child(
                cls.role, cls.role, _starter(cls, self.ctx), slot=self.ctx.peers.slot(cls.role)
            )
            self.children[child.key] = child
            self._start(child)
            assert child.ref is not None
            with contextlib.suppress(pykka.ActorDeadError, pykka.Timeout):
                child.ref.ask(Ping(), timeout=START_WAIT)

    def report(self, failure: ChildFailed) -> None:
        """The root of the tree has no supervisor: its failure goes to the actor system,
        which stops everything and lets the process start a fresh system."""
        self.ctx.health.actor_failed(self.role, self.role)
        metrics.ACTOR_RESTARTS.labels(self.role).inc()
        if self.ctx.root_failed is not None:
            self.ctx.root_failed(failure)

    def report_started(self) -> None:
        pass

    def on_stop(self) -> None:
        super().on_stop()
        order = [c for c in self.children.values() if c.role in ("member", "fireteam")]
        order += [
            self.children[cls.role] for cls in reversed(SINGLETONS) if cls.role in self.children
        ]
        refs = []
        for child in order:
            if child.slot is not None:
                child.slot.set(None)
            if child.ref is not None:
                with contextlib.suppress(pykka.ActorDeadError):
                    refs.append(child.ref)
                    child.ref.stop(block=False)
        deadline = self.ctx.clock.monotonic() + STOP_WITHIN
        for ref in refs:
            remaining = max(deadline - self.ctx.clock.monotonic(), 0.05)
            try:
                ref.stop(block=True, timeout=remaining)
            except pykka.Timeout:
                log.warning("%s did not stop in time; leaving it behind", ref.actor_class.__name__)
            except pykka.ActorDeadError:
                pass

    def handle(self, message: SupervisorMessage) -> Any:
        match message:
            case ChildFailed():
                self._failed(message)
            case ChildStarted():
                child = self.children.get(message.key)
                ref = child.ref if child is not None else None
                if ref is not None and ref.actor_urn == message.urn:
                    self.ctx.health.actor_back(message.key)
            case RestartChild():
                child = self.children.get(message.key)
                if child is not None and child.ref is None:
                    self._start(child)
            case StartMember():
                self._start_member(message)
            case StopMember():
                self._forget(f"member:{message.membership_id}", stop=True)
            case StartFireteam():
                spec = message.spec
                key = f"fireteam:{spec.fireteam_id}"
                if key not in self.children:
                    child = Child("fireteam", key, lambda: FireteamActor.start(self.ctx, spec))
                    self.children[key] = child
                    self._start(child)
            case ToMember():
                self._tell(f"member:{message.membership_id}", message.message)
            case ToAllMembers():
                members = [key for key, child in self.children.items() if child.role == "member"]
                for key in members:
                    self._tell(key, message.message)
            case ToFireteam():
                key = f"fireteam:{message.fireteam_id}"
                self._tell(key, message.message)
                if isinstance(message.message, FireteamEnded):
                    self._forget(key, stop=False)  # it stops itself once it handed over
            case _:
                assert_never(message)

    # ------------------------------------------------------------------ children

    def _start(self, child: Child) -> None:
        child.ref = child.start()
        if child.slot is not None:
            child.slot.set(child.ref)

    def _start_member(self, message: StartMember) -> None:
        member = message.member
        key = f"member:{member.membership_id}"
        if key in self.children:
            return
        child = Child(
            "member", key, lambda: MemberActor.start(self.ctx, member), name=member.bungie_name
        )
        self.children[key] = child
        self._start(child)

    def _forget(self, key: str, *, stop: bool) -> None:
        child = self.children.pop(key, None)
        self.policy.forget(key)
        self.ctx.health.actor_back(key)
        if child is not None and child.ref is not None and stop:
            with contextlib.suppress(pykka.ActorDeadError):
                child.ref.stop(block=False)

    def _tell(self, key: str, message: Any) -> None:
        child = self.children.get(key)
        if child is not None and child.ref is not None:
            with contextlib.suppress(pykka.ActorDeadError):
                child.ref.tell(message)

    def _failed(self, message: ChildFailed) -> None:
        child = self.children.get(message.key)
        if child is None:
            return  # a child that was being stopped anyway
        if child.ref is None or (message.urn and child.ref.actor_urn != message.urn):
            return  # a report from an earlier start of this child
        child.ref = None
        if child.slot is not None:
            child.slot.set(None)
        self.ctx.health.actor_failed(message.role, message.key)
        metrics.ACTOR_RESTARTS.labels(message.role).inc()
        who = f"{message.key} ({child.name})" if child.name else message.key
        if message.transient:
            # The database cannot answer (its state logs the outage once): try again at
            # the database retry pace, without counting toward a restart storm.
            log.debug("actor %s waits for the database: %s", who, message.error)
            self.later(DB_RETRY, RestartChild(message.key))
            return
        restart = self.policy.failed(message.key, self.ctx.clock.monotonic())
        if restart.first:
            log.error(
                "actor %s crashed while handling %s, restarting in %.0f s: %s\n%s",
                who,
                message.doing,
                restart.delay,
                message.error,
                message.trace.rstrip(),
            )
        elif restart.storm:
            log.error(
                "actor %s keeps crashing (%d times in %.0f s); next restart in %.0f s: %s",
                who,
                self.policy.intensity + 1,
                self.policy.period,
                restart.delay,
                message.error,
            )
        else:
            log.debug("actor %s crashed again: %s", who, message.error)
        self.later(restart.delay, RestartChild(message.key))


def _starter(cls: type[BaseActor], ctx: Context) -> Callable[[], pykka.ActorRef[Any]]:
    return lambda: cls.start(ctx)
