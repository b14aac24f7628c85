"""What every actor shares: the context it runs in and message dispatch."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

import pykka

from clanactors.activity_names import ActivityNames
from clanactors.actors.messages import Ping
from clanactors.bungie.client import BungieClient
from clanactors.clock import Clock
from clanactors.scheduler import Scheduler, Timer
from clanactors.store.db import Database

log = logging.getLogger(__name__)


@dataclass
class Context:
    """Everything an actor reaches besides its own state; built once by the ActorSystem."""

    clan_id: str
    roster_interval: float
    profile_interval: float
    max_rps: float
    db: Database
    client: BungieClient
    names: ActivityNames
    clock: Clock
    scheduler: Scheduler
    refs: dict[str, pykka.ActorRef[Any]] = field(default_factory=dict)
    listeners: list[pykka.ActorRef[Any]] = field(default_factory=list)
    handled: int = 0  # messages handled by all actors: tests wait for it to stop moving
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def note_handled(self) -> None:
        with self._lock:
            self.handled += 1

    def tell(self, name: str, message: Any) -> None:
        """Tell one of the system's singleton actors (feed, view, stats, recorder, supervisor)."""
        ref = self.refs.get(name)
        if ref is None:
            return
        try:
            ref.tell(message)
        except pykka.ActorDeadError:
            log.debug("%s is stopped; dropped %s", name, type(message).__name__)

    def publish(self, message: Any) -> None:
        """Tell every listener (the web hub); a stopped listener is forgotten."""
        with self._lock:
            listeners = list(self.listeners)
        for ref in listeners:
            try:
                ref.tell(message)
            except pykka.ActorDeadError:
                with self._lock:
                    if ref in self.listeners:
                        self.listeners.remove(ref)

    def add_listener(self, ref: pykka.ActorRef[Any]) -> None:
        with self._lock:
            self.listeners.append(ref)


class BaseActor(pykka.ThreadingActor):
    def __init__(self, ctx: Context) -> None:
        super().__init__()
        self.ctx = ctx
        self._timers: list[Timer] = []

    def on_receive(self, message: Any) -> Any:
        if isinstance(message, Ping):
            return True
        self.ctx.note_handled()
        return self.handle(message)

    def handle(self, message: Any) -> Any:
        raise NotImplementedError

    def later(self, seconds: float, message: Any) -> Timer:
        """Tell myself `message` after `seconds` on the system clock."""
        self._timers = [t for t in self._timers if not t.cancelled and t.due > 0]
        timer = self.ctx.scheduler.after(seconds, self.actor_ref, message)
        self._timers.append(timer)
        return timer

    def on_stop(self) -> None:
        for timer in self._timers:
            timer.cancel()
