"""What every actor shares: the context it runs in, message dispatch and failure reports."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from traceback import format_exception
from types import TracebackType
from typing import Any

import pykka

from clanactors.activity_names import ActivityNames
from clanactors.actors.messages import ChildFailed, Ping
from clanactors.actors.refs import Peers
from clanactors.bungie.client import BungieClient
from clanactors.clock import Clock
from clanactors.discord.delivery import NotifySettings
from clanactors.health import Health
from clanactors.scheduler import Scheduler, Timer
from clanactors.store.db import DATABASE_TROUBLE, Database

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
    peers: Peers = field(default_factory=Peers)
    health: Health = field(default_factory=Health)
    notify: NotifySettings | None = None  # Discord webhooks, when configured (CONTRACT §8)
    handled: int = 0  # messages handled by all actors: tests wait for it to stop moving
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def note_handled(self) -> None:
        with self._lock:
            self.handled += 1


class BaseActor(pykka.ThreadingActor):
    # A stop never waits on an actor stuck in a Bungie call: the process may exit.
    use_daemon_thread = True
    role = "actor"  # the supervisor's name for this kind of child

    def __init__(self, ctx: Context) -> None:
        super().__init__()
        self.ctx = ctx
        self._timers: list[Timer] = []
        self._doing = "starting"

    def on_receive(self, message: Any) -> Any:
        if isinstance(message, Ping):
            return True
        self.ctx.note_handled()
        self._doing = type(message).__name__
        try:
            result = self.handle(message)
        except DATABASE_TROUBLE:
            # The database is down or locked (its state logs that once): nothing is lost,
            # the same message is tried again later (handlers are idempotent: upserts
            # and dedupe keys). Any other database error is a bug: the actor crashes and
            # is restarted.
            self.later(DB_RETRY, message)
            return None
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

    def key(self) -> str:
        """This child's name in the supervisor's books (a role, or role:member)."""
        return self.role

    def on_failure(
        self,
        exception_type: type[BaseException] | None,
        exception_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """A handler raised: the actor stops, and its supervisor hears why and when."""
        self.on_stop()
        error = f"{type(exception_value).__name__}: {exception_value}"
        trace = "".join(format_exception(exception_type, exception_value, traceback))
        self.ctx.peers.supervisor.tell(
            ChildFailed(self.role, self.key(), error, self._doing, trace)
        )


class _PykkaFailureFilter(logging.Filter):
    """Pykka logs every actor failure with a traceback; the supervisor already reports
    each one once with what the actor was doing, so pykka's copy is dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Unhandled exception in")


def quiet_pykka_failures() -> None:
    logger = logging.getLogger("pykka")
    if not any(isinstance(f, _PykkaFailureFilter) for f in logger.filters):
        logger.addFilter(_PykkaFailureFilter())
