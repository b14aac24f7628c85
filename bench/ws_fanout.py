"""WebSocket fan-out: N clients (in a separate process) on one server; one event broadcast.

    python bench/ws_fanout.py [--clients 2000 5000] [--broadcasts 5]

Prints, per client count: delivery latency p50/p99/max (server send -> client receive,
same machine clock) and the server's resident memory per connection.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

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
    from clanactors.server.hub import Hub
    from clanactors.store.db import Database, migrate

    raise_fd_limit()
    url = f"sqlite:///{tempfile.mkdtemp()}/fanout.db"
    migrate(url)
    hub = Hub()
    app = make_app(WebContext(Database(url), hub))
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
            hub.on_event(counter["id"], json.dumps(event))
            self.finish({"clients": len(hub.clients)})

    app.add_handlers(r".*", [(r"/bench/broadcast", Broadcast)])
    server = tornado.httpserver.HTTPServer(app)
    server.listen(port, "127.0.0.1", backlog=8192)
    print("serving", flush=True)
    IOLoop.current().start()


# ------------------------------------------------------------------ client process


async def clients(port: int, count: int, broadcasts: int) -> None:
    from tornado.websocket import websocket_connect

    raise_fd_limit()
    url = f"ws://127.0.0.1:{port}/ws"
    latencies: list[list[float]] = [[] for _ in range(broadcasts)]
    done = asyncio.Event()
    received = 0

    async def one() -> Any:
        conn = await websocket_connect(url, max_message_size=1 << 22)
        await conn.read_message()  # the snapshot
        return conn

    conns = []
    for start in range(0, count, 200):
        conns += await asyncio.gather(*(one() for _ in range(min(200, count - start))))

    async def listen(conn: Any) -> None:
        nonlocal received
        while True:
            message = await conn.read_message()
            if message is None:
                return
            now = time.time()
            frame = json.loads(message)
            if frame.get("type") == "event":
                event = frame["event"]
                latencies[event["id"] - 1].append(now - event["sentAt"])
                received += 1
                if received == count * broadcasts:
                    done.set()

    tasks = [asyncio.ensure_future(listen(c)) for c in conns]
    print("ready", flush=True)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(done.wait(), timeout=120)
    print(json.dumps({"latencies": latencies, "received": received}), flush=True)
    for task in tasks:
        task.cancel()
    for conn in conns:
        conn.close()


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
    for _ in range(broadcasts):
        answer = requests.post(f"http://127.0.0.1:{port}/bench/broadcast", timeout=60).json()
        assert answer["clients"] == count, answer
        time.sleep(1.0)
    result = json.loads(client.stdout.readline())
    client.wait(60)
    server.terminate()
    server.wait(10)
    flat = [x for batch in result["latencies"] for x in batch]
    return {
        "clients": count,
        "delivered": result["received"] / (count * broadcasts),
        "p50_ms": statistics.median(flat) * 1000,
        "p99_ms": percentile(flat, 0.99) * 1000,
        "max_ms": max(flat) * 1000,
        "rss_per_conn_kb": (connected_rss - base_rss) / count,
        "server_rss_mb": connected_rss / 1024,
        "connect_s": connect_time,
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
        asyncio.run(clients(args.port, args.count, args.broadcasts))
        return
    print(
        f"{'clients':>8} {'delivered':>9} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} "
        f"{'KB/conn':>8} {'server MB':>9} {'connect s':>9}"
    )
    for count in args.clients:
        r = run(count, args.broadcasts, args.port)
        print(
            f"{r['clients']:>8} {r['delivered']:>9.1%} {r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f} "
            f"{r['max_ms']:>8.1f} {r['rss_per_conn_kb']:>8.1f} {r['server_rss_mb']:>9.1f} "
            f"{r['connect_s']:>9.1f}"
        )
    print(
        f"\n{args.broadcasts} broadcasts per row; one server process, clients in another; "
        f"{os.cpu_count()} cores. Target: 5,000 clients, p99 under 250 ms."
    )


if __name__ == "__main__":
    main()
