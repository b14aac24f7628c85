"""What every actor shares: the context it runs in, message dispatch and failure reports."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from traceback import format_exception
from types import TracebackType
from typing import Any, Generic, TypeVar

import pykka

from clanactors.actors.activity_names import ActivityNames
from clanactors.actors.durations import ActivityDurations
from clanactors.actors.messages import ChildFailed, ChildStarted, Ping
from clanactors.bungie.client import BungieClient
from clanactors.core.clock import Clock
from clanactors.domain.pacing import Pacing
from clanactors.notify.delivery import NotifySettings
from clanactors.runtime.health import Health
from clanactors.runtime.refs import Peers
from clanactors.runtime.scheduler import Scheduler, Timer
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
    notify: NotifySettings | None = None  # Discord webhooks, when configured (README, "Discord")
    history_days: int | None = None  # how far back history is imported; None: all of it
    # When members' profiles are read (`domain.pacing`); None: Pacing(profile_interval).
    pacing: Pacing | None = None
    # How soon activities may end, for poll pacing; None: unknown (tests' bare actors).
    durations: ActivityDurations | None = None
    handled: int = 0  # messages handled by all actors: tests wait for it to stop moving
    # The root supervisor's failure goes here (the actor system), having no supervisor.
    root_failed: Callable[[ChildFailed], None] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def note_handled(self) -> None:
        with self._lock:
            self.handled += 1


M = TypeVar("M")


class BaseActor(pykka.ThreadingActor, Generic[M]):
    # A stop never waits on an actor stuck in a Bungie call: the process may exit.
    use_daemon_thread = True
    role = "actor"  # the supervisor's name for this kind of child

    def __init__(self, ctx: Context) -> None:
        super().__init__()
        self.ctx = ctx
        self._timers: list[Timer] = []
        self._doing = "starting"

    def on_start(self) -> None:
        """Pykka calls this, but not `on_failure` when it raises: a failure here is
        reported to the supervisor like any crash, so the actor is restarted too."""
        try:
            self.started()
        except Exception as exc:
            _mark_reported(exc)
            self._report_failure(type(exc), exc, exc.__traceback__)
            raise
        self.report_started()

    def started(self) -> None:
        """What the actor does at its start (in its own thread, before any message)."""

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
        except Exception as exc:
            # A told message's failure reaches on_failure, and so the supervisor; an
            # asked one's goes back to the caller. Either way pykka's own log line of it
            # is redundant.
            _mark_reported(exc)
            raise
        return result

    def handle(self, message: M) -> Any:
        """Handle one of this actor's messages (its union in `actors.messages`)."""
        raise NotImplementedError

    def later(self, seconds: float, message: M) -> Timer:
        """Tell myself `message` after `seconds` on the system clock. Only timers that
        have neither fired nor been cancelled are kept (to cancel them at stop), so what
        an actor holds does not grow with uptime."""
        self._timers = [t for t in self._timers if t.pending]
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
        self._report_failure(exception_type, exception_value, traceback)

    def _report_failure(
        self,
        exception_type: type[BaseException] | None,
        exception_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.on_stop()
        error = f"{type(exception_value).__name__}: {exception_value}"
        trace = "".join(format_exception(exception_type, exception_value, traceback))
        transient = isinstance(exception_value, DATABASE_TROUBLE)
        urn = self.actor_urn
        self.report(ChildFailed(self.role, self.key(), error, self._doing, trace, transient, urn))

    def report(self, failure: ChildFailed) -> None:
        """Tell whoever supervises this actor that it failed."""
        self.ctx.peers.supervisor.tell(failure)

    def report_started(self) -> None:
        self.ctx.peers.supervisor.tell(ChildStarted(self.key(), self.actor_urn))


REPORTED = "_clanactors_reported"


def _mark_reported(exc: BaseException) -> None:
    with contextlib.suppress(AttributeError, TypeError):
        setattr(exc, REPORTED, True)


class _PykkaFailureFilter(logging.Filter):
    """Pykka logs every actor failure with a traceback. A failure our supervision has
    reported (with what the actor was doing) is dropped here; any other, such as a crash
    of an actor that is not ours, stays in the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not (exc is not None and getattr(exc, REPORTED, False))


def quiet_pykka_failures() -> None:
    logger = logging.getLogger("pykka")
    if not any(isinstance(f, _PykkaFailureFilter) for f in logger.filters):
        logger.addFilter(_PykkaFailureFilter())
