"""Typed references between actors: a slot per role that survives the actor's restarts.

Actors reach each other through `Peers` attributes (`peers.recorder.tell(...)`), so a
misspelt peer is an AttributeError and a mypy error, never a silently dropped message.
A slot always points at the role's current actor; the supervisor swaps it on restart.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

import pykka

log = logging.getLogger(__name__)


class Slot:
    def __init__(self, role: str) -> None:
        self.role = role
        self._ref: pykka.ActorRef[Any] | None = None
        self._lock = threading.Lock()

    def set(self, ref: pykka.ActorRef[Any] | None) -> None:
        with self._lock:
            self._ref = ref

    @property
    def ref(self) -> pykka.ActorRef[Any] | None:
        with self._lock:
            return self._ref

    def tell(self, message: Any) -> bool:
        """Tell the role's actor; False when it is down (restarting or stopped)."""
        ref = self.ref
        if ref is None:
            log.debug("%s is down; dropped %s", self.role, type(message).__name__)
            return False
        try:
            ref.tell(message)
        except pykka.ActorDeadError:
            log.debug("%s is stopped; dropped %s", self.role, type(message).__name__)
            return False
        return True

    def ask(self, message: Any, timeout: float) -> Any:
        """Ask the role's actor and wait; None when it is down or does not answer in time.
        Only for asks that can never form a cycle (the asked actor never asks back)."""
        ref = self.ref
        if ref is None:
            return None
        try:
            return ref.ask(message, timeout=timeout)
        except (pykka.ActorDeadError, pykka.Timeout):
            return None


class Listeners:
    """Subscribers of stored events and snapshot changes (the web hub's actor)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._refs: list[pykka.ActorRef[Any]] = []

    def add(self, ref: pykka.ActorRef[Any]) -> None:
        with self._lock:
            self._refs.append(ref)

    def publish(self, message: Any) -> None:
        with self._lock:
            refs = list(self._refs)
        for ref in refs:
            try:
                ref.tell(message)
            except pykka.ActorDeadError:
                with self._lock:
                    if ref in self._refs:
                        self._refs.remove(ref)


@dataclass(frozen=True)
class Peers:
    supervisor: Slot = field(default_factory=lambda: Slot("supervisor"))
    feed: Slot = field(default_factory=lambda: Slot("feed"))
    view: Slot = field(default_factory=lambda: Slot("view"))
    stats: Slot = field(default_factory=lambda: Slot("stats"))
    recorder: Slot = field(default_factory=lambda: Slot("recorder"))
    reconciler: Slot = field(default_factory=lambda: Slot("reconciler"))
    tracker: Slot = field(default_factory=lambda: Slot("tracker"))
    roster: Slot = field(default_factory=lambda: Slot("roster"))
    notifier: Slot = field(default_factory=lambda: Slot("notifier"))
    importer: Slot = field(default_factory=lambda: Slot("importer"))
    listeners: Listeners = field(default_factory=Listeners)

    def slot(self, role: str) -> Slot:
        slot = getattr(self, role)
        assert isinstance(slot, Slot)
        return slot
