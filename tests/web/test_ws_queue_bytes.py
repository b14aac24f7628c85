"""A client that stops reading is cut off by the bytes it leaves unflushed, not only by the
number of frames: what one stuck client can hold in the server is bounded."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import pytest
import websocket

from clanactors.store.db import Database, migrate
from clanactors.testing.web import WebServer


@pytest.fixture
def byte_limited_server(sqlite_url: str) -> Iterator[WebServer]:
    migrate(sqlite_url)
    db = Database(sqlite_url)
    # Frames alone would never cut anyone off here: only the byte limit can.
    server = WebServer(db, ws_queue_limit=10**6, ws_queue_bytes=256 * 1024).start()
    yield server
    server.stop()
    db.dispose()


def connect(url: str, **kw: object) -> websocket.WebSocket:
    return websocket.create_connection(
        url, timeout=10, origin=url.replace("ws://", "http://").removesuffix("/ws"), **kw
    )


def test_a_stuck_client_is_closed_by_its_unflushed_bytes(byte_limited_server: WebServer) -> None:
    server = byte_limited_server
    stuck = connect(server.ws_url, sockopt=((socket.SOL_SOCKET, socket.SO_RCVBUF, 4096),))
    reader = connect(server.ws_url)
    assert json.loads(reader.recv())["type"] == "snapshot"
    padding = "x" * 20_000
    sent = 0
    deadline = time.monotonic() + 30
    while server.call(lambda: len(server.hub.clients)) == 2 and time.monotonic() < deadline:
        sent += 1
        frame = json.dumps({"type": "event", "event": {"id": sent, "text": padding}})
        server.call(server.hub.on_event, sent, frame)
        assert json.loads(reader.recv())["event"]["id"] == sent  # the reader keeps up
    assert server.call(lambda: len(server.hub.clients)) == 1  # the stuck one is gone
    # Well before 10**6 frames: at most the byte limit, plus what the kernel buffers took.
    assert sent < 1000
    held = server.call(lambda: [c.unflushed_bytes for c in server.hub.clients])
    assert held == [0] or held[0] < 256 * 1024
    stuck.close()
    reader.close()
