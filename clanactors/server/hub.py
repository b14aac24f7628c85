"""The hub: where actor broadcasts meet Tornado.

`HubListener` is a Pykka actor subscribed to the actor system. It serialises each event or
snapshot once, on its own thread, and hands the text to the IOLoop with `add_callback`,
the only thread-safe door into Tornado. Everything else here runs on the IOLoop thread:
the newest snapshot (read by pages and the JSON API) and the set of WebSocket clients.
"""

from __future__ import annotations

import gc
import json
import logging
import struct
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import pykka
from tornado.ioloop import IOLoop

from clanactors.actors.messages import EventStored, SnapshotChanged
from clanactors.snapshot import EMPTY, Snapshot

if TYPE_CHECKING:
    from clanactors.events import StoredEvent

log = logging.getLogger(__name__)

SNAPSHOT_PARTS = frozenset({"members", "fireteams", "stats"})


class Client(Protocol):
    def send_live(self, event_id: int, frame: str, wire: bytes | None = None) -> None: ...

    def send_frame(self, frame: str, wire: bytes | None = None) -> None: ...


def wire_frame(text: str) -> bytes:
    """One unmasked, uncompressed WebSocket text frame (RFC 6455 §5.2), built once per
    broadcast and written to every client's stream as it is."""
    payload = text.encode("utf-8")
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", 0x81, size)
    elif size <= 0xFFFF:
        header = struct.pack("!BBH", 0x81, 126, size)
    else:
        header = struct.pack("!BBQ", 0x81, 127, size)
    return header + payload


def snapshot_frame(snapshot: Snapshot) -> str:
    return json.dumps(
        {
            "type": "snapshot",
            "members": snapshot.members,
            "fireteams": snapshot.fireteams,
            "stats": snapshot.stats,
            "recent": snapshot.recent,
            "clan": snapshot.clan,
            "bungie": snapshot.bungie,
            "polling": snapshot.polling,
        },
        ensure_ascii=False,
    )


API_PARTS = ("clan", "members", "fireteams", "stats", "recent")


@dataclass(frozen=True)
class Published:
    """A snapshot with everything served from it already serialised, once, off the IOLoop."""

    snapshot: Snapshot
    frame: str  # the WebSocket snapshot frame
    bodies: dict[str, bytes]  # JSON API bodies by part

    @classmethod
    def of(cls, snapshot: Snapshot) -> Published:
        bodies = {
            part: json.dumps(getattr(snapshot, part), ensure_ascii=False).encode()
            for part in API_PARTS
        }
        return cls(snapshot, snapshot_frame(snapshot), bodies)


def event_frame(event: StoredEvent) -> str:
    return json.dumps({"type": "event", "event": event.to_json()}, ensure_ascii=False)


FEED_MEMORY = 50


class Hub:
    """Lives on the IOLoop thread; never touched from another thread."""

    def __init__(self, snapshot: Snapshot = EMPTY) -> None:
        self.current = Published.of(snapshot)
        self.last_event_id = 0
        self.clients: set[Client] = set()
        self.page_cache: tuple[object, bytes] | None = None  # (key, rendered front page)
        # The newest event frames, so the front page has a feed while the database is down.
        self.recent_frames: deque[str] = deque(maxlen=FEED_MEMORY)

    @property
    def snapshot(self) -> Snapshot:
        return self.current.snapshot

    def add(self, client: Client) -> None:
        self.clients.add(client)

    def remove(self, client: Client) -> None:
        self.clients.discard(client)

    def on_event(self, event_id: int, frame: str) -> None:
        self.last_event_id = max(self.last_event_id, event_id)
        self.recent_frames.append(frame)
        wire = wire_frame(frame)
        for client in list(self.clients):
            client.send_live(event_id, frame, wire)

    def on_snapshot(self, published: Published, parts: frozenset[str]) -> None:
        if published.snapshot.version < self.snapshot.version:
            return  # an older one overtaken on the way
        self.current = published
        if parts & (SNAPSHOT_PARTS | {"recent", "clan", "health"}):
            wire = wire_frame(published.frame)
            for client in list(self.clients):
                client.send_frame(published.frame, wire)


def tune_gc() -> None:
    """Fewer, smaller collections for a server holding thousands of connections.

    With Python's default thresholds a full collection walks every connection's objects
    every few broadcasts: a 350 ms pause at 5,000 WebSocket clients (bench/ws_fanout.py).
    Start-up objects are frozen out of collection, and young generations are collected
    less often, so full passes become rare.
    """
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


class HubListener(pykka.ThreadingActor):
    """Receives the actor system's broadcasts and forwards them to the hub's IOLoop."""

    def __init__(self, hub: Hub, io_loop: IOLoop) -> None:
        super().__init__()
        self.hub = hub
        self.io_loop = io_loop

    def on_receive(self, message: Any) -> Any:
        if isinstance(message, EventStored):
            stored = message.event
            self.io_loop.add_callback(self.hub.on_event, stored.id, event_frame(stored))
        elif isinstance(message, SnapshotChanged):
            published = Published.of(message.snapshot)
            self.io_loop.add_callback(self.hub.on_snapshot, published, message.parts)
        return None
