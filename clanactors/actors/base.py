"""What every actor shares: the context it runs in and message dispatch."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import pykka
from sqlalchemy.exc import SQLAlchemyError

from clanactors.activity_names import ActivityNames
from clanactors.actors.messages import ChildFailed, Ping
from clanactors.bungie.client import BungieClient
from clanactors.clock import Clock
from clanactors.scheduler import Scheduler, Timer
from clanactors.store.db import Database

log = logging.getLogger(__name__)
DB_RETRY = 10.0  # seconds before a message that met a database error is handled again


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
    database_down: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def note_handled(self) -> None:
        with self._lock:
            self.handled += 1

    def database_trouble(self, exc: Exception) -> None:
        with self._lock:
            first, self.database_down = not self.database_down, True
        if first:
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            log.error("database unavailable, retrying every %.0f s: %s", DB_RETRY, reason)

    def database_fine(self) -> None:
        if self.database_down:
            with self._lock:
                was, self.database_down = self.database_down, False
            if was:
                log.info("database recovered")

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
        try:
            result = self.handle(message)
        except SQLAlchemyError as exc:
            # The database is down or locked: nothing is lost, the same message is tried
            # again later (handlers are idempotent: upserts and dedupe keys).
            self.ctx.database_trouble(exc)
            self.later(DB_RETRY, message)
            return None
        self.ctx.database_fine()
        return result

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

    # Supervised children (member and fireteam actors) name themselves for the report.
    child_kind: str | None = None

    def child_key(self) -> str:
        raise NotImplementedError

    def on_failure(
        self,
        exception_type: type[BaseException] | None,
        exception_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """A told message raised: the actor stops; its supervisor hears why, once."""
        self.on_stop()
        if self.child_kind is not None:
            failed = ChildFailed(self.child_kind, self.child_key(), repr(exception_value))
            self.ctx.tell("supervisor", failed)
