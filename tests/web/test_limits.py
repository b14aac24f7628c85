"""The public face under abuse, against a real Tornado server: security headers on every
answer, slow and oversized requests cut off (with 414/431 where there is an answer to
give), and a cap on WebSockets per client address that believes X-Forwarded-For only from
trusted proxies."""

from __future__ import annotations

import re
import select
import socket
import struct
import time
from collections.abc import Callable, Iterator

import pytest
import requests
import websocket

from clanactors.core.paths import web_dir
from clanactors.server.base import CONTENT_POLICY, HSTS, PAGE_POLICY
from clanactors.server.limits import HttpLimits
from clanactors.server.proxies import TrustedProxies, address_key
from clanactors.store.db import Database, migrate
from clanactors.testing.web import WebServer

FAST = HttpLimits(idle_timeout=1.0, body_timeout=1.0)

Serve = Callable[..., WebServer]


@pytest.fixture
def serve(sqlite_url: str) -> Iterator[Serve]:
    """Start web servers (no actors: an empty clan) with the given options."""
    migrate(sqlite_url)
    db = Database(sqlite_url)
    started: list[WebServer] = []

    def start(**options: object) -> WebServer:
        server = WebServer(db, **options).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
    db.dispose()


# ---------------------------------------------------------------- headers


def test_pages_get_the_page_policy_and_everything_else_a_closed_one(serve: Serve) -> None:
    url = serve().url
    for path, status, policy in [
        ("/", 200, PAGE_POLICY),
        ("/no/such/page", 404, PAGE_POLICY),
        ("/members/123", 404, PAGE_POLICY),
        ("/api/clan", 200, CONTENT_POLICY),
        ("/api/no/such", 404, CONTENT_POLICY),
        ("/healthz", 200, CONTENT_POLICY),
        ("/static/app.js", 200, CONTENT_POLICY),
        ("/static/favicon.svg", 200, CONTENT_POLICY),
        ("/ws", 400, CONTENT_POLICY),  # a GET that asks for no upgrade
    ]:
        response = requests.get(url + path, timeout=10)
        assert response.status_code == status, path
        assert response.headers["Content-Security-Policy"] == policy, path
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        assert "Strict-Transport-Security" not in response.headers, path
        assert "Server" not in response.headers, path  # no version for scanners


@pytest.mark.parametrize(
    ("public_url", "hsts"),
    [(None, False), ("http://clan.example", False), ("https://clan.example/", True)],
)
def test_hsts_only_for_an_https_public_url(
    serve: Serve, public_url: str | None, hsts: bool
) -> None:
    url = serve(public_url=public_url).url
    for path in ("/", "/api/stats", "/static/app.css"):
        response = requests.get(url + path, timeout=10)
        assert response.headers.get("Strict-Transport-Security") == (HSTS if hsts else None)


def test_templates_hold_no_inline_script_handler_or_style() -> None:
    """What the policy would block must not be in the page to begin with."""
    for template in (web_dir() / "templates").glob("*.html"):
        html = template.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag or 'type="application/json"' in tag, (template.name, tag)
        assert not re.search(r"\son[a-z]+\s*=", html), template.name
        assert not re.search(r"\sstyle\s*=", html), template.name
        assert "javascript:" not in html, template.name
    script = (web_dir() / "static" / "app.js").read_text(encoding="utf-8")
    for risky in ("innerHTML", "outerHTML", "insertAdjacentHTML", "eval(", "new Function"):
        assert risky not in script, risky


# ---------------------------------------------------------------- sizes and timeouts


def raw_request(port: int, head: bytes) -> bytes:
    """Send `head` and read the whole answer until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        return answer


def test_a_200k_request_line_is_answered_414(serve: Serve) -> None:
    server = serve()
    response = requests.get(f"{server.url}/{'a' * 200_000}", timeout=10)
    assert response.status_code == 414
    assert response.headers["Connection"] == "close"
    # The same over a raw socket, every byte sent before the answer is read.
    head = b"GET /" + b"b" * 200_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    assert raw_request(server.port, head).startswith(b"HTTP/1.1 414 URI Too Long\r\n")
    assert requests.get(server.url + "/api/clan", timeout=10).status_code == 200


def test_oversized_headers_are_answered_431(serve: Serve) -> None:
    server = serve()
    response = requests.get(server.url + "/", headers={"X-Big": "b" * 20_000}, timeout=10)
    assert response.status_code == 431
    many = {f"X-Header-{i}": "v" * 100 for i in range(300)}
    assert requests.get(server.url + "/", headers=many, timeout=10).status_code == 431
    # A long request line with room to spare is still a request (here, for no page).
    assert requests.get(f"{server.url}/{'c' * 8000}", timeout=10).status_code == 404
    assert requests.get(server.url + "/api/clan", timeout=10).status_code == 200


def test_a_large_body_is_refused(serve: Serve) -> None:
    server = serve()
    head = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n"
    assert raw_request(server.port, head).startswith(b"HTTP/1.1 400")


def closed_after(socks: list[socket.socket], trickle: bytes | None, limit: float) -> list[float]:
    """Seconds until the server closed each socket, sending `trickle` on every open one
    every 0.2 s meanwhile (a slow-loris client)."""
    start = time.monotonic()
    closed: dict[socket.socket, float] = {}
    while len(closed) < len(socks):
        assert time.monotonic() - start < limit, f"{len(socks) - len(closed)} still open"
        readable, _, _ = select.select([s for s in socks if s not in closed], [], [], 0.2)
        for sock in readable:
            try:
                data = sock.recv(65536)
            except ConnectionResetError:
                data = b""
            if not data:
                closed[sock] = time.monotonic() - start
        for sock in socks:
            if trickle and sock not in closed:
                try:
                    sock.sendall(trickle)
                except OSError:
                    closed[sock] = time.monotonic() - start
    return [closed[sock] for sock in socks]


def test_slow_loris_headers_are_cut_off_by_the_header_timeout(serve: Serve) -> None:
    server = serve(limits=FAST)
    slow = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(20)]
    try:
        for sock in slow:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        # Meanwhile everyone else is served.
        assert requests.get(server.url + "/api/clan", timeout=10).status_code == 200
        waited = closed_after(slow, b"X-Slow: 1\r\n", limit=5)
        assert max(waited) < FAST.idle_timeout + 1.0, waited
    finally:
        for sock in slow:
            sock.close()


def test_an_idle_keep_alive_connection_is_closed(serve: Serve) -> None:
    server = serve(limits=FAST)
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(b"GET /api/clan HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        (waited,) = closed_after([sock], None, limit=5)
        assert waited < FAST.idle_timeout + 1.0


def test_a_slow_body_is_cut_off_by_the_body_timeout(serve: Serve) -> None:
    server = serve(limits=FAST)
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
        (waited,) = closed_after([sock], b"x", limit=5)
        assert waited < FAST.body_timeout + 1.0


# ---------------------------------------------------------------- WebSockets per address


def ws_connect(server: WebServer, forwarded_for: str | None = None) -> websocket.WebSocket:
    header = [f"X-Forwarded-For: {forwarded_for}"] if forwarded_for else []
    return websocket.create_connection(server.ws_url, timeout=10, origin=server.url, header=header)


def admitted(ws: websocket.WebSocket) -> bool:
    """True when the first frame is the snapshot; False when it is a 1013 refusal."""
    opcode, frame = ws.recv_data_frame(True)
    if opcode == websocket.ABNF.OPCODE_CLOSE:
        (code,) = struct.unpack("!H", frame.data[:2])
        assert code == 1013, code
        assert b"too many connections" in frame.data[2:]
        return False
    assert opcode == websocket.ABNF.OPCODE_TEXT and b'"snapshot"' in frame.data
    return True


def test_the_cap_refuses_one_more_and_admits_again_after_one_closes(serve: Serve) -> None:
    server = serve(ws_per_address=3)
    held = [ws_connect(server) for _ in range(3)]
    assert all(admitted(ws) for ws in held)
    extra = ws_connect(server)
    assert not admitted(extra)  # closed with 1013 and a reason, nothing else sent
    extra.close()
    held.pop().close()
    deadline = time.monotonic() + 5
    while True:
        again = ws_connect(server)
        if admitted(again):
            break
        again.close()
        assert time.monotonic() < deadline, "never admitted again"
        time.sleep(0.05)
    held.append(again)
    assert not admitted(ws_connect(server))  # and the cap holds again
    for ws in held:
        ws.close()


def test_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(serve: Serve) -> None:
    server = serve(ws_per_address=2)
    held = [ws_connect(server, f"198.51.100.{i}") for i in (1, 2)]
    assert all(admitted(ws) for ws in held)
    assert not admitted(ws_connect(server, "198.51.100.3"))  # one address, however dressed
    for ws in held:
        ws.close()


def test_behind_a_trusted_proxy_each_client_has_its_own_cap(serve: Serve) -> None:
    server = serve(ws_per_address=1, trusted_proxies=("127.0.0.1",))
    first = ws_connect(server, "203.0.113.1")
    second = ws_connect(server, "203.0.113.2")
    assert admitted(first) and admitted(second)
    assert not admitted(ws_connect(server, "203.0.113.1"))
    # What the client writes left of the proxy's own entry is not believed.
    assert not admitted(ws_connect(server, "203.0.113.9, 203.0.113.1"))
    first.close()
    second.close()


# ---------------------------------------------------------------- addresses (units)


@pytest.mark.parametrize(
    ("trusted", "peer", "forwarded", "client"),
    [
        ((), "192.0.2.7", "203.0.113.1", "192.0.2.7"),  # by default never believed
        (("10.0.0.0/8",), "192.0.2.7", "203.0.113.1", "192.0.2.7"),  # peer not a proxy
        (("10.0.0.0/8",), "10.1.2.3", None, "10.1.2.3"),
        (("10.0.0.0/8",), "10.1.2.3", "203.0.113.1", "203.0.113.1"),
        (("10.0.0.0/8",), "10.1.2.3", "6.6.6.6, 203.0.113.1", "203.0.113.1"),
        (("10.0.0.0/8",), "10.1.2.3", "203.0.113.1, 10.9.9.9", "203.0.113.1"),  # two proxies
        (("10.0.0.0/8",), "10.1.2.3", "10.4.4.4, 10.9.9.9", "10.4.4.4"),  # all proxies
        (("10.0.0.0/8",), "10.1.2.3", "not-an-ip", "10.1.2.3"),
        (("10.0.0.0/8",), "10.1.2.3", "2001:db8::1", "2001:db8::1"),
        (("127.0.0.1",), "::ffff:127.0.0.1", "203.0.113.1", "203.0.113.1"),
        (("::1",), "::1", " 203.0.113.5 ", "203.0.113.5"),
    ],
)
def test_client_address(
    trusted: tuple[str, ...], peer: str, forwarded: str | None, client: str
) -> None:
    assert TrustedProxies(trusted).client(peer, forwarded) == client


def test_address_keys_count_an_ipv6_64_as_one_address() -> None:
    assert address_key("203.0.113.1") == "203.0.113.1"
    assert address_key("::ffff:203.0.113.1") == "203.0.113.1"
    assert address_key("2001:db8:1:2:aaaa::1") == address_key("2001:db8:1:2:bbbb::2")
    assert address_key("2001:db8:1:2::1") != address_key("2001:db8:1:3::1")
    assert address_key("") == ""
