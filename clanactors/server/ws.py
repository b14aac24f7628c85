"""`/ws`: live events and snapshots (docs/api.md, "WebSocket /ws").

Frames go straight into each client's stream; the frames and bytes written but not yet
flushed to the socket are that client's outgoing queue, and a client whose queue passes
either limit cannot keep up: it is closed with 1013 (it can come back and resume). The
byte limit bounds what a client that stops reading can hold in this process. An optional first frame
`{"resume": LAST_EVENT_ID}` replays every stored event after that id, in order, before
live ones. Live events wait from the moment a client connects until its first frame (or
a short grace period without one), and anything already replayed is skipped by id, so
none is missing and none comes twice.

One client address may hold `PerAddress.limit` connections at once; the next is closed
at once with 1013 (Try Again Later), and admitted again once one of the others closes.

A client frame that cannot be read or is not a request (deep nesting, garbage, wrong
types: whatever decoding it raises) gets an error frame; a text frame that is not UTF-8
closes the connection with 1007. Neither writes a traceback, and the log says so at most
once a minute per client address, with a count of what it held back (`Repeats`).
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from typing import Any

import tornado.websocket
from tornado.iostream import IOStream, StreamClosedError
from tornado.websocket import WebSocketProtocol, WebSocketProtocol13

from clanactors.core import metrics
from clanactors.core.repeats import Repeats, held_back
from clanactors.server.base import no_content_headers
from clanactors.server.hub import Hub, event_frame
from clanactors.server.proxies import address_key
from clanactors.store.db import Database
from clanactors.store.eventlog import events_after, last_event_id

log = logging.getLogger(__name__)

MAX_FRAME = 64 * 1024  # larger client frames get an error frame
FIRST_FRAME_GRACE = 1.0  # seconds live events wait for a possible resume frame
QUEUE_LIMIT = 512  # frames not yet flushed to a slow client before it is cut off
QUEUE_BYTES = 1024 * 1024  # bytes not yet flushed to a slow client before it is cut off
REPLAY_PAGE = 500
# A ping every PING_INTERVAL seconds; no pong within PING_TIMEOUT closes the connection
# (a client that vanished, or never reads, holds its buffers no longer than that).
PING_INTERVAL = 20.0
PING_TIMEOUT = 20.0
PER_ADDRESS = 20  # concurrent connections per client address (CLANACTORS_WS_PER_ADDRESS)
REFUSED = (1013, "too many connections from your address; try again later")
NOT_UTF8 = (1007, "a text frame must be UTF-8")  # RFC 6455 §7.4.1


class BadFrame(Exception):
    """A client frame that is not a request; the message goes back in an error frame."""

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.extra = extra


class PerAddress:
    """Concurrent connections per client address (an IPv6 /64 counts as one address).
    Lives on the IOLoop thread, like the hub."""

    def __init__(self, limit: int = PER_ADDRESS) -> None:
        self.limit = limit
        self.counts: dict[str, int] = {}
        self.refusing: set[str] = set()  # addresses at the cap that were refused, logged once

    def take(self, key: str) -> bool:
        held = self.counts.get(key, 0)
        if held >= self.limit:
            if key not in self.refusing:
                self.refusing.add(key)
                log.warning("websocket connections refused: %d open already peer=%s", held, key)
            return False
        self.counts[key] = held + 1
        return True

    def give_back(self, key: str) -> None:
        held = self.counts.get(key, 0) - 1
        if held > 0:
            self.counts[key] = held
        else:
            self.counts.pop(key, None)
        if key in self.refusing and held < self.limit:
            self.refusing.discard(key)
            log.info("websocket connections admitted again peer=%s", key)


class LiveSocket(tornado.websocket.WebSocketHandler):
    def initialize(
        self,
        hub: Hub,
        db: Database,
        queue_limit: int = QUEUE_LIMIT,
        per_address: PerAddress | None = None,
        queue_bytes: int = QUEUE_BYTES,
        bad_frames: Repeats | None = None,
    ) -> None:
        self.hub = hub
        self.db = db
        self.queue_limit = queue_limit
        self.queue_bytes = queue_bytes
        self.per_address = per_address or PerAddress()
        # Lines a client can make us log again and again: bad frames by client address
        # (shared by the app's connections, so a client that reconnects after each bad
        # frame is still one client), failures handling a frame by kind.
        self.bad_frames = bad_frames or Repeats()
        self.address: str | None = None  # the slot this connection holds, once admitted
        self.unflushed = 0  # frames handed to the stream and not yet written to the socket
        self.unflushed_bytes = 0  # and their size
        self.drained: asyncio.Future[None] | None = None  # a replay waiting for the queue
        self.last_sent = 0  # the newest event id this client has been sent
        self.holding = True  # live events wait: for the first frame, then for a replay
        self.held: list[tuple[int, str]] = []
        self.grace: object | None = None
        self.frames_seen = 0
        self.closed = False
        self.stream: IOStream | None = None

    # ------------------------------------------------------------------ lifecycle

    def set_default_headers(self) -> None:
        no_content_headers(self)

    def get_websocket_protocol(self) -> WebSocketProtocol | None:
        protocol = super().get_websocket_protocol()
        if type(protocol) is WebSocketProtocol13:
            return CheckedText(self, False, protocol.params)
        return protocol

    def open(self, *args: Any, **kwargs: Any) -> None:
        if self.ws_connection is not None:
            self.stream = getattr(self.ws_connection, "stream", None)
        key = address_key(self.request.remote_ip or "")
        if not self.per_address.take(key):
            self.closed = True
            self.close(*REFUSED)
            return
        self.address = key
        self.last_sent = self.hub.last_event_id
        self.hub.add(self)
        self._send_snapshot()
        self.grace = asyncio.get_running_loop().call_later(FIRST_FRAME_GRACE, self._release)

    def on_close(self) -> None:
        self.closed = True
        self.hub.remove(self)
        self._wake()
        if self.stream is not None and self.stream.error is not None:
            # The error that closed the stream holds, through its traceback, the frame
            # that read from the socket: the stream and a 64 KB read buffer in a cycle that
            # only a full collection would free. Without the traceback they go at once.
            self.stream.error.__traceback__ = None
        self.stream = None
        if self.address is not None:
            self.per_address.give_back(self.address)
            self.address = None

    # ------------------------------------------------------------------ incoming

    async def on_message(self, message: str | bytes) -> None:
        if self.address is None:
            return  # refused: closing already
        self.frames_seen += 1
        first = self.frames_seen == 1
        try:
            await self._handle(message, first)
        except Exception as exc:
            # Not the frame's fault (it was read): a failure of ours, logged with its
            # traceback once a minute per kind; the client may come back and resume.
            held = self.bad_frames.admit(("failed", type(exc)))
            if held is not None:
                log.exception(
                    "websocket frame could not be handled; closing peer=%s%s",
                    self.request.remote_ip,
                    held_back(held),
                )
            self.close(code=1011, reason="server error; reconnect and resume")
        finally:
            if first:
                self._release()

    async def _handle(self, message: str | bytes, first: bool) -> None:
        try:
            resume = self._parse(message, first)
        except BadFrame as bad:
            self._refuse(str(bad), **bad.extra)
            return
        except Exception as exc:
            # Whatever else a frame can make decoding raise: a RecursionError for deep
            # nesting, a MemoryError, a bug of ours. The client hears of it, the log
            # (once a minute) names it, without a traceback.
            self._refuse("frame could not be read", cause=type(exc).__name__)
            return
        if resume is None:
            self._send_snapshot()
        else:
            await self._replay(resume)

    def _parse(self, message: str | bytes, first: bool) -> int | None:
        """The event id a frame resumes after, or None when it asks for a snapshot."""
        if len(message) > MAX_FRAME:
            raise BadFrame("frame too large", limit=MAX_FRAME)
        try:
            data = json.loads(message)
        except (ValueError, UnicodeDecodeError):
            raise BadFrame("frame is not JSON") from None
        if isinstance(data, dict) and set(data) == {"snapshot"} and data["snapshot"] is True:
            return None
        if not isinstance(data, dict) or set(data) != {"resume"}:
            raise BadFrame('expected {"resume": LAST_EVENT_ID} or {"snapshot": true}')
        resume = data["resume"]
        if isinstance(resume, bool) or not isinstance(resume, int) or resume < 0:
            raise BadFrame("resume must be a non-negative integer event id")
        if not first:
            raise BadFrame("resume is only accepted as the first frame")
        return resume

    def _refuse(self, message: str, **extra: Any) -> None:
        """An error frame for a bad frame, and a line of log at most once a minute for
        this client address, however many it sends."""
        self._error(message, **extra)
        self._log_bad(message, **extra)

    def _log_bad(self, message: str, **extra: Any) -> None:
        held = self.bad_frames.admit(self.address)
        if held is not None:
            detail = "".join(f" {key}={value}" for key, value in extra.items())
            log.info(
                "websocket frame refused: %s%s peer=%s%s",
                message,
                detail,
                self.request.remote_ip,
                held_back(held),
            )

    def refuse_text(self) -> None:
        """A text frame that is not UTF-8: the connection closes with 1007 (RFC 6455)."""
        if self.address is not None:
            self._log_bad("text frame is not UTF-8")
        self.close(*NOT_UTF8)

    async def _replay(self, after: int) -> None:
        loop = asyncio.get_running_loop()
        try:
            newest = await loop.run_in_executor(None, self._newest)
            if after > newest:
                # An id this log never gave out (a reset database, another site): tell the
                # client to reload its state, and go on from here.
                self.last_sent = newest
                self.send_frame(json.dumps({"type": "resync", "lastEventId": newest}))
                return
            self.last_sent = after
            while not self.closed:
                page = await loop.run_in_executor(None, self._load, after)
                for stored in page:
                    if stored.id > self.last_sent:
                        self._enqueue(event_frame(stored), None, "event")
                        self.last_sent = stored.id
                if len(page) < REPLAY_PAGE:
                    break
                after = page[-1].id
                await self._drain()  # one page at a time in the queue, however far back
        except Exception as exc:
            # Every client resuming during a database outage fails alike: one line (with
            # its traceback) a minute for each kind of failure, not one per client.
            held = self.bad_frames.admit(("replay", type(exc)))
            if held is not None:
                log.exception(
                    "replay failed; closing so the client can resume again%s", held_back(held)
                )
            self.close(code=1011, reason="replay failed")

    def _release(self) -> None:
        """Stop holding live events: deliver what waited, in order, skipping what was sent."""
        if self.grace is not None:
            self.grace.cancel()  # type: ignore[attr-defined]
            self.grace = None
        if not self.holding:
            return
        self.holding = False
        held, self.held = self.held, []
        for event_id, frame in held:
            self.send_live(event_id, frame)

    def _newest(self) -> int:
        with self.db.session() as session:
            return last_event_id(session)

    def _load(self, after: int) -> list[Any]:
        with self.db.session() as session:
            return events_after(session, after, REPLAY_PAGE)

    def _error(self, message: str, **extra: Any) -> None:
        self.send_frame(json.dumps({"type": "error", "error": message, **extra}))

    # ------------------------------------------------------------------ outgoing

    # A frame handed over with its wire bytes is a broadcast: framed once by the hub, which
    # also counts it in the metrics for all clients at once (True: this one took it).

    def send_live(self, event_id: int, frame: str, wire: bytes | None = None) -> bool:
        if self.holding:
            self.held.append((event_id, frame))
            return False
        if event_id <= self.last_sent:
            return False
        self.last_sent = event_id
        return self._enqueue(frame, wire, "event")

    def send_frame(self, frame: str, wire: bytes | None = None, kind: str = "other") -> bool:
        return self._enqueue(frame, wire, kind)

    def _send_snapshot(self) -> None:
        # Framed once a second for every client that connects or asks in it.
        text, wire = self.hub.snapshot_wire()
        if self._enqueue(text, wire, "snapshot"):
            metrics.WEBSOCKET_FRAMES.labels("snapshot").inc()
            metrics.WEBSOCKET_BYTES.inc(len(wire))

    async def _drain(self) -> None:
        """Until what was queued so far is written to the socket (or the client is gone)."""
        while not self.closed and self.unflushed_bytes > self.queue_bytes // 4:
            self.drained = asyncio.get_running_loop().create_future()
            await self.drained

    def _enqueue(self, frame: str, wire: bytes | None, kind: str) -> bool:
        if self.closed:
            return False
        if self.unflushed >= self.queue_limit or self.unflushed_bytes >= self.queue_bytes:
            log.info(
                "websocket client too slow, closing (it can resume) peer=%s",
                self.request.remote_ip,
            )
            self.closed = True
            self.hub.remove(self)
            self.close(code=1013, reason="too slow; reconnect and resume")
            self._wake()
            return False
        connection = self.ws_connection
        try:
            if wire is not None and isinstance(connection, WebSocketProtocol13):
                # Framed once for everyone (no compression is offered, server frames are
                # unmasked): straight to the socket, or into the stream behind what waits.
                written = self._write(connection.stream, wire)
                if written is None:
                    return True  # all of it is in the socket already
                size = len(wire)
            else:
                written = self.write_message(frame)
                size = len(frame)  # characters: near enough
                metrics.WEBSOCKET_FRAMES.labels(kind).inc()
                metrics.WEBSOCKET_BYTES.inc(size)
        except (tornado.websocket.WebSocketClosedError, StreamClosedError):
            self.closed = True
            self.hub.remove(self)
            return False
        self.unflushed += 1
        self.unflushed_bytes += size
        written.add_done_callback(functools.partial(self._flushed, size))
        return True

    @staticmethod
    def _write(stream: IOStream, wire: bytes) -> asyncio.Future[None] | None:
        """Write `wire` to the socket at once when nothing else waits to be written (the
        common case: no future, no buffer, one system call), else behind what waits in
        the stream's buffer. None when it is all in the socket."""
        if type(stream) is IOStream and not stream.writing() and not stream.closed():
            try:
                sent = stream.socket.send(wire)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError:
                return stream.write(wire)  # the stream sees the error and closes
            if sent == len(wire):
                return None
            return stream.write(memoryview(wire)[sent:])
        return stream.write(wire)

    def _flushed(self, size: int, written: asyncio.Future[None]) -> None:
        self.unflushed -= 1
        self.unflushed_bytes -= size
        if not written.cancelled() and written.exception() is not None:
            self.closed = True
            self.hub.remove(self)
        if self.closed or self.unflushed_bytes <= self.queue_bytes // 4:
            self._wake()

    def _wake(self) -> None:
        if self.drained is not None and not self.drained.done():
            self.drained.set_result(None)
        self.drained = None


class CheckedText(WebSocketProtocol13):
    """Tornado's protocol, except that a text frame that is not UTF-8 closes the connection
    with 1007 and a line of log (Tornado would drop the connection without a word)."""

    handler: LiveSocket

    def _handle_message(self, opcode: int, data: bytes) -> asyncio.Future[None] | None:
        if opcode == 0x1 and not self.client_terminated:
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                self.handler.refuse_text()
                return None
        return super()._handle_message(opcode, data)
