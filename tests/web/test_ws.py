"""/ws against a real Tornado server: resume without gaps or duplicates, slow clients cut
off alone, bad frames answered with error frames."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import websocket

from clanactors.actors.messages import Record
from clanactors.domain import events
from clanactors.store.db import Database, migrate
from clanactors.store.eventlog import events_after
from clanactors.testing.web import WebServer
from tests.web.conftest import Live

T0 = datetime(2026, 11, 1, 20, 0, tzinfo=UTC)


def connect(url: str, **kw: object) -> websocket.WebSocket:
    return websocket.create_connection(
        url, timeout=10, origin=url.replace("ws://", "http://").removesuffix("/ws"), **kw
    )


def frames_until(ws: websocket.WebSocket, predicate, limit: float = 10.0) -> list[dict]:
    seen: list[dict] = []
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        seen.append(json.loads(ws.recv()))
        if predicate(seen):
            return seen
    raise AssertionError(f"no matching frame in {len(seen)} frames")


def event_ids(frames: list[dict]) -> list[int]:
    return [f["event"]["id"] for f in frames if f["type"] == "event"]


def record(live: Live, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        live.h.system.ctx.peers.feed.tell(
            Record(
                events.member_online(
                    str(4611686018000000000 + i), f"M{i}", T0 + timedelta(seconds=i)
                )
            ),
        )
    live.h.settle()


def test_snapshot_then_live_events(live: Live) -> None:
    ws = connect(live.web.ws_url)
    try:
        first = json.loads(ws.recv())
        assert first["type"] == "snapshot"
        assert {"members", "fireteams", "stats"} <= set(first)
        assert len(first["members"]["online"]) == len(live.h.world.online_members())
        record(live, 2)
        frames = frames_until(ws, lambda fs: len(event_ids(fs)) == 2)
        event = next(f for f in frames if f["type"] == "event")["event"]
        assert event["kind"] == "member_online" and event["text"] == "M0 came online"
    finally:
        ws.close()


def test_resume_delivers_exactly_the_missed_events_in_order(live: Live) -> None:
    record(live, 3)
    ws = connect(live.web.ws_url)
    ws.send(json.dumps({"resume": 0}))
    frames = frames_until(ws, lambda fs: len(event_ids(fs)) == 3)
    seen = event_ids(frames)
    ws.close()

    record(live, 4, start=100)  # while disconnected
    with live.h.db.session() as session:
        stored = [e.id for e in events_after(session, seen[-1], 100)]
    assert len(stored) >= 4
    ws = connect(live.web.ws_url)
    ws.send(json.dumps({"resume": seen[-1]}))
    frames = frames_until(ws, lambda fs: len(event_ids(fs)) == len(stored))
    missed = event_ids(frames)
    assert missed == stored
    record(live, 1, start=200)  # and live again, once
    frames = frames_until(ws, lambda fs: len(event_ids(fs)) == 1)
    (live_id,) = event_ids(frames)
    assert live_id > missed[-1]
    ws.close()


def test_resume_while_events_pour_in_has_no_gap_and_no_duplicate(live: Live) -> None:
    record(live, 5)
    producer = threading.Thread(target=record, args=(live, 60, 1000))
    producer.start()
    ws = connect(live.web.ws_url)
    ws.send(json.dumps({"resume": 2}))
    producer.join()
    with live.h.db.session() as session:
        expected = [e.id for e in events_after(session, 2, 1000)]
    frames = frames_until(ws, lambda fs: len(event_ids(fs)) >= len(expected))
    assert event_ids(frames) == expected
    ws.settimeout(0.5)
    with pytest.raises(websocket.WebSocketTimeoutException):
        while True:
            extra = json.loads(ws.recv())
            assert extra["type"] != "event", extra
    ws.close()


def test_resume_from_an_id_the_log_never_gave_is_a_resync(live: Live) -> None:
    record(live, 2)
    with live.h.db.session() as session:
        newest = events_after(session, 0, 100_000)[-1].id
    ws = connect(live.web.ws_url)
    ws.send(json.dumps({"resume": newest + 1000}))
    frames = frames_until(ws, lambda fs: fs[-1]["type"] == "resync")
    assert frames[-1] == {"type": "resync", "lastEventId": newest}
    record(live, 1, start=500)  # and it goes on live from there
    assert event_ids(frames_until(ws, lambda fs: len(event_ids(fs)) == 1))[0] > newest
    ws.close()


@pytest.mark.parametrize(
    ("frame", "error"),
    [
        ("not json", "not JSON"),
        ('{"resume": "yesterday"}', "non-negative integer"),
        ('{"resume": -1}', "non-negative integer"),
        ('{"subscribe": "all"}', "expected"),
        ("[1, 2, 3]", "expected"),
        ("x" * (70 * 1024), "too large"),
    ],
)
def test_bad_frames_get_error_frames_and_the_connection_lives(
    live: Live, frame: str, error: str
) -> None:
    ws = connect(live.web.ws_url)
    try:
        assert json.loads(ws.recv())["type"] == "snapshot"
        ws.send(frame)
        reply = json.loads(ws.recv())
        assert reply["type"] == "error" and error in reply["error"]
        ws.send(json.dumps({"resume": 0}))  # no longer the first frame
        assert json.loads(ws.recv())["type"] == "error"
        record(live, 1, start=300)
        assert event_ids(frames_until(ws, lambda fs: len(event_ids(fs)) == 1))
    finally:
        ws.close()


def test_binary_and_oversized_frames(live: Live) -> None:
    ws = connect(live.web.ws_url)
    try:
        json.loads(ws.recv())
        ws.send_binary(b"\x00\x01\x02")
        assert json.loads(ws.recv())["type"] == "error"
    finally:
        ws.close()
    huge = connect(live.web.ws_url)
    json.loads(huge.recv())
    # Past the hard cap: the server closes (maybe while the frame is still being sent: a
    # reset), it does not crash.
    with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError, OSError)):
        huge.send("y" * (2 * 1024 * 1024))
        for _ in range(10):
            huge.recv()
    ok = connect(live.web.ws_url)
    assert json.loads(ok.recv())["type"] == "snapshot"
    ok.close()


def test_cross_origin_is_refused(live: Live) -> None:
    with pytest.raises(websocket.WebSocketBadStatusException):
        websocket.create_connection(live.web.ws_url, timeout=10, origin="http://evil.example")


@pytest.fixture
def small_queue_server(sqlite_url: str) -> Iterator[WebServer]:
    migrate(sqlite_url)
    db = Database(sqlite_url)
    server = WebServer(db, ws_queue_limit=16).start()
    yield server
    server.stop()
    db.dispose()


def test_a_slow_client_is_cut_off_without_affecting_others(small_queue_server: WebServer) -> None:
    server = small_queue_server
    slow = connect(server.ws_url, sockopt=((socket.SOL_SOCKET, socket.SO_RCVBUF, 4096),))
    fast = connect(server.ws_url)
    fast.recv()  # snapshot
    received: list[int] = []

    def read_fast() -> None:
        while len(received) < 400:
            frame = json.loads(fast.recv())
            if frame["type"] == "event":
                received.append(frame["event"]["id"])

    reader = threading.Thread(target=read_fast)
    reader.start()
    padding = "x" * 60_000
    for i in range(1, 401):
        frame = json.dumps({"type": "event", "event": {"id": i, "text": padding}})
        server.call(server.hub.on_event, i, frame)
        if i % 8 == 0:  # a reader that keeps up: never more than a few frames behind
            deadline = time.monotonic() + 10
            while len(received) < i and time.monotonic() < deadline:
                time.sleep(0.001)
    reader.join(30)
    assert received == list(range(1, 401))
    assert server.call(lambda: len(server.hub.clients)) == 1  # the slow one is gone
    slow.close()
    fast.close()
