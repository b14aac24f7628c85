"""The hub: where actor broadcasts meet Tornado.

`HubListener` is a Pykka actor subscribed to the actor system. It serialises each event and
the newest snapshot once, on its own thread, and hands the text to the IOLoop with
`add_callback`, the only thread-safe door into Tornado. Everything else here runs on the
IOLoop thread: the newest snapshot (read by pages and the JSON API) and the set of
WebSocket clients.
"""

from __future__ import annotations

import ctypes
import gc
import json
import logging
import struct
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol, assert_never

import pykka
from tornado.ioloop import IOLoop

from clanactors.actors.messages import EventStored, ListenerMessage, Ping, SnapshotChanged
from clanactors.core import metrics
from clanactors.core.repeats import Repeats, held_back
from clanactors.render.events import event_json
from clanactors.render.wire import EMPTY, ClanState, patch_between, state_of
from clanactors.server.pagecache import PageCache

if TYPE_CHECKING:
    from clanactors.domain.events import StoredEvent
    from clanactors.domain.snapshot import Snapshot

log = logging.getLogger(__name__)

PATCH_EVERY = 1.0  # seconds: at most one patch frame a second, for every client
FAN_OUT_SLICE = 500  # clients handed a patch in one IOLoop callback
# A mass drop (at least this many clients gone, and at least as many as remain) has what
# its connections held collected and given back. Only then: a full collection walks every
# open connection's objects and pauses the IOLoop (bench/ws_fanout.py), so ordinary churn
# on a busy server never triggers one.
GIVE_BACK_AFTER = 200
GIVE_BACK_DELAY = 2.0  # seconds: the rest of a mass drop goes in the same pass


def release_heap() -> None:
    """Return free heap pages to the system (glibc's malloc_trim); elsewhere, nothing."""
    try:
        libc = ctypes.CDLL(None)
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)


class Client(Protocol):
    def send_live(self, event_id: int, frame: str, wire: bytes | None = None) -> bool: ...

    def send_frame(self, frame: str, wire: bytes | None = None, kind: str = "other") -> bool: ...


def server_time() -> str:
    """Now, to the millisecond: browsers correct their timers by it (docs/api.md,
    "WebSocket /ws")."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


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


def count_frames(kind: str, frames: int, size: int) -> None:
    """A broadcast in the metrics: counted once for every client that took it."""
    if frames:
        metrics.WEBSOCKET_FRAMES.labels(kind).inc(frames)
        metrics.WEBSOCKET_BYTES.inc(frames * size)


API_PARTS = ("clan", "members", "fireteams", "stats", "recent")


@dataclass(frozen=True)
class Published:
    """A clan state with its JSON API bodies already serialised, once, off the IOLoop."""

    state: ClanState
    bodies: dict[str, bytes]

    @classmethod
    def of(cls, state: ClanState) -> Published:
        bodies = {
            part: json.dumps(getattr(state, part), ensure_ascii=False).encode()
            for part in API_PARTS
        }
        return cls(state, bodies)


def event_frame(event: StoredEvent) -> str:
    return json.dumps({"type": "event", "event": event_json(event)}, ensure_ascii=False)


FEED_MEMORY = 50


class Hub:
    """Lives on the IOLoop thread; never touched from another thread.

    `current` is the newest state (pages and the JSON API serve it); `sent` is the state
    every WebSocket client holds at `version`. Changes are sent as one patch frame from
    `sent` to `current`, at most once every PATCH_EVERY seconds: a burst of changes becomes
    one small frame. A client connecting or asking gets `sent` whole, at `version`.
    """

    def __init__(self, state: ClanState = EMPTY, patch_every: float = PATCH_EVERY) -> None:
        self.current = Published.of(state)
        self.sent = state
        self.version = 0  # of the frames sent: one more with each patch
        self.patch_every = patch_every
        self.last_patch = -patch_every
        self.flush_pending = False
        self.last_event_id = 0
        self.clients: set[Client] = set()
        self.dropped = 0  # clients gone since memory was last given back
        self.giving_back = False
        # The front page, by the second it was built in: one build a second at most.
        self.pages: PageCache[bytes] = PageCache()  # every page body, the front page's too
        # What slow pages count (leaderboards from a year of history), kept a minute.
        self.counts: PageCache[Any] = PageCache(size=16)
        self.frame_cache: tuple[object, str, bytes] | None = None  # (key, frame, framed)
        # The newest event frames, so the front page has a feed while the database is down.
        self.recent_frames: deque[str] = deque(maxlen=FEED_MEMORY)

    @property
    def snapshot(self) -> ClanState:
        return self.current.state

    def page_key(
        self, page: str, query: tuple[Any, ...], now: datetime, viewer: str | None = None
    ) -> tuple[Any, ...]:
        """The key `pages` keeps a body under, for the clan pages and the API answers built
        like them: the page, its query, the clan state version, the newest event, the second
        (no body outlives it) and who is signed in (None: anyone)."""
        second = int(now.timestamp())
        return (page, query, self.snapshot.version, self.last_event_id, second, viewer)

    def add(self, client: Client) -> None:
        self.clients.add(client)

    def remove(self, client: Client) -> None:
        if client in self.clients:
            self.clients.discard(client)
            self.dropped += 1
            mass = self.dropped >= max(GIVE_BACK_AFTER, len(self.clients))
            if mass and not self.giving_back:
                self.giving_back = True
                IOLoop.current().call_later(GIVE_BACK_DELAY, self._give_back)

    def _give_back(self) -> None:
        """After many clients went (a proxy restart, a stuck crowd cut off): collect what
        their connections left and hand the freed heap back to the system."""
        self.dropped = 0
        self.giving_back = False
        gc.collect()
        release_heap()

    def snapshot_wire(self) -> tuple[str, bytes]:
        """The `snapshot` frame, as text and framed for the wire; every client connecting
        in the same second shares the one copy."""
        now = server_time()
        key = (self.version, self.sent.version, now[:19])
        if self.frame_cache is None or self.frame_cache[0] != key:
            frame = {"type": "snapshot", "version": self.version, "serverTime": now}
            text = json.dumps({**frame, **self.sent.parts()}, ensure_ascii=False)
            self.frame_cache = (key, text, wire_frame(text))
        return self.frame_cache[1], self.frame_cache[2]

    def on_event(self, event_id: int, frame: str) -> None:
        self.last_event_id = max(self.last_event_id, event_id)
        self.recent_frames.append(frame)
        wire = wire_frame(frame)
        taken = sum(client.send_live(event_id, frame, wire) for client in list(self.clients))
        count_frames("event", taken, len(wire))

    def on_snapshot(self, published: Published) -> None:
        if published.state.version < self.snapshot.version:
            return  # an older one overtaken on the way
        self.current = published
        if not self.clients:
            self.sent = published.state  # nobody holds the old one
            return
        if not self.flush_pending:
            self.flush_pending = True
            delay = max(0.0, self.last_patch + self.patch_every - time.monotonic())
            IOLoop.current().call_later(delay, self._send_patch)

    def _send_patch(self) -> None:
        self.flush_pending = False
        new = self.current.state
        patch = patch_between(self.sent, new)
        self.sent = new
        if not patch:
            return
        self.version += 1
        self.last_patch = time.monotonic()
        text = json.dumps(
            {"type": "patch", "version": self.version, "serverTime": server_time(), **patch},
            ensure_ascii=False,
        )
        self._fan_out(text, wire_frame(text), list(self.clients))

    def _fan_out(self, text: str, wire: bytes, clients: list[Client]) -> None:
        """A patch to `clients`, FAN_OUT_SLICE at a time: an event that comes in meanwhile
        goes out between two slices instead of waiting behind thousands of writes."""
        now, rest = clients[:FAN_OUT_SLICE], clients[FAN_OUT_SLICE:]
        taken = sum(client.send_frame(text, wire, "patch") for client in now)
        count_frames("patch", taken, len(wire))
        if rest:
            IOLoop.current().add_callback(self._fan_out, text, wire, rest)


def tune_gc() -> None:
    """Fewer, smaller collections for a server holding thousands of connections.

    With Python's default thresholds a full collection walks every connection's objects
    every few broadcasts: a 350 ms pause at 5,000 WebSocket clients (bench/ws_fanout.py).
    Start-up objects are frozen out of collection, and young generations are collected
    less often, so full passes become rare.
    """
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


@dataclass(frozen=True)
class ConvertNewest:
    """The hub listener's note to itself: convert the newest snapshot it has seen."""


class HubListener(pykka.ThreadingActor):
    """Receives the actor system's broadcasts and forwards them to the hub's IOLoop.

    Events are forwarded each, in order. Snapshots are not: a `SnapshotChanged` only
    replaces the one remembered, and the first of a burst tells the listener a
    `ConvertNewest`, which its inbox delivers after every snapshot already queued. A burst
    costs one conversion, of its newest snapshot.

    A message that fails does not stop the listener (nobody would restart it): the failure
    is counted as a restart, logged with its traceback once a minute per exception type
    (with how many were held back), and the next message is handled.
    """

    role = "hub_listener"  # its name in the actor restart metric

    def __init__(self, hub: Hub, io_loop: IOLoop, failures: Repeats | None = None) -> None:
        super().__init__()
        self.hub = hub
        self.io_loop = io_loop
        self.failures = failures or Repeats()
        self.newest: Snapshot | None = None  # the newest snapshot not yet converted
        self.converting = False  # a ConvertNewest is in the inbox

    def on_receive(self, message: Any) -> Any:
        try:
            self.handle(message)
        except Exception as exc:
            metrics.ACTOR_RESTARTS.labels(self.role).inc()
            held = self.failures.admit(type(exc).__qualname__)
            if held is not None:
                log.exception(
                    "hub listener: handling %s failed; going on with the next message%s",
                    type(message).__name__,
                    held_back(held),
                )
        return None

    def handle(self, message: ListenerMessage | ConvertNewest | Ping) -> None:
        match message:
            case Ping():
                pass  # asked by whoever waits for every actor to be idle (test rigs)
            case EventStored(event=stored):
                self.io_loop.add_callback(self.hub.on_event, stored.id, event_frame(stored))
            case SnapshotChanged(snapshot=snapshot):
                self.newest = snapshot
                if not self.converting:
                    self.converting = True
                    self.actor_ref.tell(ConvertNewest())
            case ConvertNewest():
                self.converting = False
                newest, self.newest = self.newest, None
                if newest is not None:
                    published = Published.of(state_of(newest))
                    self.io_loop.add_callback(self.hub.on_snapshot, published)
            case _:
                assert_never(message)
