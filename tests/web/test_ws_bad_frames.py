"""A client sending bad frames as fast as it can, against a real server: every frame gets an
error frame (a text frame that is not UTF-8: a 1007 close), the log gets a line at most,
never a traceback, and the server goes on serving."""

from __future__ import annotations

import json
import logging

import pytest
import websocket

from clanactors.testing.web import WebServer

ROUNDS = 25

BAD_TEXT = [
    "[" * 50_000,  # nested deeper than the decoder goes: a RecursionError
    '{"a":' * 10_000,
    '{"resume": ' * 5_000,
    "\x00\x01\x02 garbage \ufffd",
    "not json",
    "",
    '{"resume": "yesterday"}',
    '{"resume": 1.5}',
    '{"resume": NaN}',
    '{"resume": ' + "9" * 5_000 + "}",  # more digits than int() takes
    '{"resume": 0}',  # no longer the first frame
    '{"snapshot": 1}',
    '{"snapshot": true, "resume": 0}',
    '"snapshot"',
    "null",
    "[1, 2, 3]",
    "x" * (70 * 1024),
]
BAD_BINARY = [
    b"\xff\xfe\xfd garbage",
    b'{"resume": "\xc3\x28"}',  # invalid UTF-8 inside JSON
    b"[" * 50_000,
]


def connect(web: WebServer) -> websocket.WebSocket:
    return websocket.create_connection(web.ws_url, timeout=10, origin=web.url)


def logged(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """What the server logged, apart from the access log's line per connection."""
    return [r for r in caplog.records if r.name != "tornado.access"]


def test_a_flood_of_bad_frames_gets_error_frames_and_a_line_of_log(
    web_only: WebServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    ws = connect(web_only)
    try:
        assert json.loads(ws.recv())["type"] == "snapshot"
        ws.send(json.dumps({"resume": 0}))  # the first frame: every resume after it is bad
        errors = 0
        for _ in range(ROUNDS):
            for text in BAD_TEXT:
                ws.send(text)
                reply = json.loads(ws.recv())
                assert reply["type"] == "error", (text[:40], reply)
                errors += 1
            for data in BAD_BINARY:
                ws.send_binary(data)
                reply = json.loads(ws.recv())
                assert reply["type"] == "error", (data[:40], reply)
                errors += 1
        assert errors == ROUNDS * (len(BAD_TEXT) + len(BAD_BINARY))
        ws.send(json.dumps({"snapshot": True}))  # the same connection still answers
        assert json.loads(ws.recv())["type"] == "snapshot"
    finally:
        ws.close()
    other = connect(web_only)  # and the server serves others
    assert json.loads(other.recv())["type"] == "snapshot"
    other.close()

    lines = logged(caplog)
    assert len(lines) <= 1, [r.getMessage()[:200] for r in lines]
    assert all(r.exc_info is None for r in lines)
    assert "Traceback" not in caplog.text


def test_deep_nesting_is_named_in_the_error_frame(web_only: WebServer) -> None:
    ws = connect(web_only)
    try:
        ws.recv()
        ws.send("[" * 50_000)
        reply = json.loads(ws.recv())
        assert reply == {
            "type": "error",
            "error": "frame could not be read",
            "cause": "RecursionError",
        }
    finally:
        ws.close()


def close_code(ws: websocket.WebSocket) -> int:
    """The code of the close frame the server sends next."""
    while True:
        opcode, data = ws.recv_data(control_frame=True)
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            return int.from_bytes(data[:2], "big")


def test_text_frames_that_are_not_utf8_close_with_1007_and_log_once(
    web_only: WebServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for _ in range(20):  # a client that reconnects after each: still one client
        ws = connect(web_only)
        try:
            assert json.loads(ws.recv())["type"] == "snapshot"
            ws.send(b"\xff\xfe not UTF-8 \xc3\x28", opcode=websocket.ABNF.OPCODE_TEXT)
            assert close_code(ws) == 1007
        finally:
            ws.close()
    ok = connect(web_only)
    assert json.loads(ok.recv())["type"] == "snapshot"
    ok.send(json.dumps({"snapshot": True}))
    assert json.loads(ok.recv())["type"] == "snapshot"
    ok.close()

    lines = logged(caplog)
    assert len(lines) <= 1, [r.getMessage()[:200] for r in lines]
    assert "Traceback" not in caplog.text
