"""The hub listener: a burst of snapshots costs one conversion, of the newest; events are
all forwarded, in order; and a message that fails does not stop it."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pykka
import pytest

from clanactors.actors.messages import EventStored, SnapshotChanged
from clanactors.core import metrics
from clanactors.core.repeats import Repeats
from clanactors.domain import events
from clanactors.domain.events import StoredEvent
from clanactors.domain.snapshot import Snapshot, empty
from clanactors.render.wire import ClanState
from clanactors.server import hub as hub_module
from clanactors.server.hub import Hub, HubListener

T0 = datetime(2026, 11, 1, 20, 0, tzinfo=UTC)


class Loop:
    """Stands in for the IOLoop: records what the listener hands over, in order."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: list[tuple[str, Any]] = []

    def add_callback(self, fn: Callable[..., Any], *args: Any) -> None:
        with self.lock:
            self.calls.append((fn.__name__, args))

    def events(self) -> list[int]:
        with self.lock:
            return [args[0] for name, args in self.calls if name == "on_event"]

    def versions(self) -> list[int]:
        with self.lock:
            return [args[0].state.version for name, args in self.calls if name == "on_snapshot"]


def snapshot(version: int) -> Snapshot:
    return replace(empty("4471"), version=version)


def stored(event_id: int) -> StoredEvent:
    return StoredEvent(event_id, events.member_online(str(event_id), f"M{event_id}", T0))


def restarts() -> float:
    value = metrics.REGISTRY.get_sample_value(
        "clanactors_actor_restarts_total", {"actor": "hub_listener"}
    )
    return value or 0.0


def wait_for(predicate: Callable[[], bool], what: str) -> None:
    done = threading.Event()
    for _ in range(1000):
        if predicate():
            return
        done.wait(0.01)
    raise AssertionError(f"never happened: {what}")


@pytest.fixture
def loop() -> Loop:
    return Loop()


@pytest.fixture
def start(loop: Loop) -> Iterator[Callable[..., pykka.ActorRef[Any]]]:
    refs: list[pykka.ActorRef[Any]] = []

    def started(**kwargs: Any) -> pykka.ActorRef[Any]:
        ref = HubListener.start(Hub(), loop, **kwargs)
        refs.append(ref)
        return ref

    yield started
    for ref in refs:
        if ref.is_alive():
            ref.stop()


def test_a_burst_of_snapshots_is_one_conversion_of_the_newest(
    loop: Loop, start: Callable[..., pykka.ActorRef[Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    converted: list[int] = []
    gate = threading.Event()
    convert = hub_module.state_of

    def counted(snapshot: Snapshot) -> ClanState:
        converted.append(snapshot.version)
        if len(converted) == 1:
            assert gate.wait(10)  # the first conversion is slow: a burst piles up meanwhile
        return convert(snapshot)

    monkeypatch.setattr(hub_module, "state_of", counted)
    listener = start()
    listener.tell(SnapshotChanged(snapshot(1)))
    wait_for(lambda: converted == [1], "the first conversion")
    for version in range(2, 52):  # the burst, events in between
        listener.tell(SnapshotChanged(snapshot(version)))
        if version % 5 == 0:
            listener.tell(EventStored(stored(version)))
    gate.set()
    wait_for(lambda: len(converted) >= 2, "the burst's conversion")
    listener.ask(EventStored(stored(1000)))  # everything told before has been handled
    assert converted == [1, 51]
    assert loop.versions() == [1, 51]
    assert loop.events() == [*range(5, 52, 5), 1000]


def test_a_failing_message_does_not_stop_the_listener(
    loop: Loop,
    start: Callable[..., pykka.ActorRef[Any]],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    frame = hub_module.event_frame

    def fragile(event: StoredEvent) -> str:
        if event.id % 2:
            raise ValueError(f"cannot serialise event {event.id}")
        return frame(event)

    monkeypatch.setattr(hub_module, "event_frame", fragile)
    before = restarts()
    listener = start()
    for event_id in range(1, 21):
        listener.tell(EventStored(stored(event_id)))
    listener.tell(SnapshotChanged(snapshot(7)))
    listener.ask(EventStored(stored(100)))
    assert listener.is_alive()
    assert loop.events() == [*range(2, 21, 2), 100]  # every other one went on, in order
    wait_for(lambda: loop.versions() == [7], "the snapshot after the failures")
    assert restarts() - before == 10
    failures = [r for r in caplog.records if r.name == "clanactors.server.hub"]
    assert len(failures) == 1  # once a minute per exception type
    assert failures[0].exc_info is not None  # with its traceback
    assert "EventStored" in failures[0].getMessage()


def test_a_failure_is_logged_again_after_a_minute_with_the_count_held_back(
    loop: Loop,
    start: Callable[..., pykka.ActorRef[Any]],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    now = [0.0]
    failures = Repeats(monotonic=lambda: now[0])

    def broken(snapshot: Snapshot) -> ClanState:
        raise RuntimeError("no conversion today")

    monkeypatch.setattr(hub_module, "state_of", broken)
    listener = start(failures=failures)
    for version in range(1, 6):
        listener.ask(SnapshotChanged(snapshot(version)))  # each converted on its own
        listener.ask(EventStored(stored(version)))
    listener.ask(EventStored(stored(1000)))  # the fifth ConvertNewest handled: it failed
    now[0] += 60
    listener.ask(SnapshotChanged(snapshot(6)))
    listener.ask(EventStored(stored(1001)))
    lines = [r.getMessage() for r in caplog.records if r.name == "clanactors.server.hub"]
    assert len(lines) == 2, lines
    assert "ConvertNewest" in lines[0]
    assert "(4 more like it since the last line)" in lines[1]
    assert loop.events() == [1, 2, 3, 4, 5, 1000, 1001]
    assert listener.is_alive()
