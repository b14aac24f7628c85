"""WebSocket fan-out: N clients (in a separate process) on one server; one event broadcast.

    python bench/ws_fanout.py [--clients 2000 5000] [--broadcasts 5]

Prints, per client count: delivery latency p50/p99/max (server send -> client receive,
same machine clock) and the server's resident memory per connection.
"""

from __future__ import annotations

import argparse
import base64
import gc
import json
import os
import resource
import selectors
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests


def raise_fd_limit() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


# ------------------------------------------------------------------ server process


def serve(port: int) -> None:
    import tornado.httpserver
    import tornado.web
    from tornado.ioloop import IOLoop

    from clanactors.server.app import make_app
    from clanactors.server.base import WebContext
    from clanactors.server.hub import Hub, tune_gc
    from clanactors.store.db import Database, migrate

    raise_fd_limit()
    url = f"sqlite:///{tempfile.mkdtemp()}/fanout.db"
    migrate(url)
    hub = Hub()
    # Thousands of clients from one address: no per-address cap here.
    app = make_app(WebContext(Database(url), hub), ws_per_address=10**6)
    counter = {"id": 0}

    class Broadcast(tornado.web.RequestHandler):
        def post(self) -> None:
            counter["id"] += 1
            event = {
                "type": "event",
                "event": {
                    "id": counter["id"],
                    "kind": "member_online",
                    "sentAt": time.time(),
                    "text": "bench",
                },
            }
            started = time.perf_counter()
            hub.on_event(counter["id"], json.dumps(event))
            spent = time.perf_counter() - started
            self.finish({"clients": len(hub.clients), "fanout_ms": spent * 1000})

    app.add_handlers(r".*", [(r"/bench/broadcast", Broadcast)])
    server = tornado.httpserver.HTTPServer(app)
    server.listen(port, "127.0.0.1", backlog=8192)
    if os.environ.get("FANOUT_DEFAULT_GC") is None:
        tune_gc()  # as `clanactors serve` does
    print("serving", flush=True)
    IOLoop.current().start()


# ------------------------------------------------------------------ client process


class RawClient:
    """A minimal WebSocket client on a plain socket: the handshake, then frame parsing in
    one epoll loop for all clients, so the measuring side is not the bottleneck."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            f"Sec-WebSocket-Version: 13\r\nOrigin: http://127.0.0.1:{port}\r\n\r\n".encode()
        )
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self.sock.recv(65536)
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head[:80]
        self.sock.setblocking(False)

    def frames(self) -> list[tuple[int, bytes]]:
        """Whole frames in the buffer: (opcode, payload)."""
        found = []
        while len(self.buffer) >= 2:
            opcode, size = self.buffer[0] & 0x0F, self.buffer[1] & 0x7F
            offset = 2
            if size == 126:
                if len(self.buffer) < 4:
                    break
                size, offset = struct.unpack("!H", self.buffer[2:4])[0], 4
            elif size == 127:
                if len(self.buffer) < 10:
                    break
                size, offset = struct.unpack("!Q", self.buffer[2:10])[0], 10
            if len(self.buffer) < offset + size:
                break
            found.append((opcode, self.buffer[offset : offset + size]))
            self.buffer = self.buffer[offset + size :]
        return found

    def pong(self, payload: bytes) -> None:
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.send(bytes([0x8A, 0x80 | len(payload)]) + mask + masked)


def clients(port: int, count: int, broadcasts: int) -> None:
    raise_fd_limit()
    conns = [RawClient(port) for _ in range(count)]
    selector = selectors.DefaultSelector()
    for conn in conns:
        selector.register(conn.sock, selectors.EVENT_READ, conn)
    latencies: list[list[float]] = [[] for _ in range(broadcasts)]
    received = 0
    gc.freeze()  # the measuring side must not pause to collect 5,000 clients' garbage
    gc.disable()
    print("ready", flush=True)
    deadline = time.monotonic() + 120
    while received < count * broadcasts and time.monotonic() < deadline:
        for key, _ in selector.select(timeout=1.0):
            conn = key.data
            try:
                data = conn.sock.recv(65536)
            except BlockingIOError:
                continue
            now = time.time()
            conn.buffer += data
            for opcode, payload in conn.frames():
                if opcode == 0x9:
                    conn.pong(payload)
                elif opcode == 0x1 and payload.startswith(b'{"type": "event"'):
                    event = json.loads(payload)["event"]
                    latencies[event["id"] - 1].append(now - event["sentAt"])
                    received += 1
    print(json.dumps({"latencies": latencies, "received": received}), flush=True)
    for conn in conns:
        conn.sock.close()


# ------------------------------------------------------------------ driver


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def run(count: int, broadcasts: int, port: int) -> dict[str, float]:
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None and server.stdout.readline().strip() == "serving"
    time.sleep(0.3)
    base_rss = rss_kb(server.pid)
    client = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--client",
            "--port",
            str(port),
            "--count",
            str(count),
            "--broadcasts",
            str(broadcasts),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert client.stdout is not None
    connect_started = time.perf_counter()
    assert client.stdout.readline().strip() == "ready"
    connect_time = time.perf_counter() - connect_started
    time.sleep(1.5)  # past the first-frame grace period of every connection
    connected_rss = rss_kb(server.pid)
    fanout_ms = []
    for _ in range(broadcasts):
        answer = requests.post(f"http://127.0.0.1:{port}/bench/broadcast", timeout=60).json()
        assert answer["clients"] == count, answer
        fanout_ms.append(answer["fanout_ms"])
        time.sleep(1.0)
    result = json.loads(client.stdout.readline())
    client.wait(60)
    server.terminate()
    server.wait(10)
    flat = [x for batch in result["latencies"] for x in batch]
    per_broadcast = [round(percentile(batch, 0.99) * 1000) for batch in result["latencies"]]
    return {
        "clients": count,
        "delivered": result["received"] / (count * broadcasts),
        "p50_ms": statistics.median(flat) * 1000,
        "p99_ms": percentile(flat, 0.99) * 1000,
        "max_ms": max(flat) * 1000,
        "rss_per_conn_kb": (connected_rss - base_rss) / count,
        "server_rss_mb": connected_rss / 1024,
        "connect_s": connect_time,
        "fanout_ms": statistics.median(fanout_ms),
        "p99_each": per_broadcast,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--serve", action="store_true")
    parser.add_argument("--client", action="store_true")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--count", type=int, default=0)
    parser.add_argument("--clients", type=int, nargs="*", default=[2000, 5000])
    parser.add_argument("--broadcasts", type=int, default=5)
    args = parser.parse_args()
    if args.serve:
        serve(args.port)
        return
    if args.client:
        clients(args.port, args.count, args.broadcasts)
        return
    print(
        f"{'clients':>8} {'delivered':>9} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} "
        f"{'KB/conn':>8} {'server MB':>9} {'connect s':>9} {'hub ms':>7}"
    )
    for count in args.clients:
        r = run(count, args.broadcasts, args.port)
        print(
            f"{r['clients']:>8} {r['delivered']:>9.1%} {r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f} "
            f"{r['max_ms']:>8.1f} {r['rss_per_conn_kb']:>8.1f} {r['server_rss_mb']:>9.1f} "
            f"{r['connect_s']:>9.1f} {r['fanout_ms']:>7.1f}"
        )
        print(f"{'':>8} p99 of each broadcast, ms: {r['p99_each']}")
    print(
        f"\n{args.broadcasts} broadcasts per row; one server process, clients in another; "
        f"{os.cpu_count()} cores. 'hub ms': time the server takes to hand one event to "
        "every client's stream (median). Target: 5,000 clients, p99 under 250 ms."
    )


if __name__ == "__main__":
    main()
