"""WebSocket fan-out with churn: N clients that parse JSON, on one server whose clan state
changes every second while events are broadcast.

    python bench/ws_fanout.py [--clients 2000 5000] [--churn 3 10] [--seconds 30]
                              [--events 30] [--procs 2]

The server process is built as `serve` builds it (the app, the hub, its garbage-collector
tuning). A driver thread inside it plays the actor system's part: every second it changes
`--churn` members (online, activity, stats), upserts or removes a fireteam, moves the
clan's stats and now and then the recent list, and publishes the new state the way the
`HubListener` actor does (serialised off the IOLoop, handed over with `add_callback`); the
hub turns that into one patch frame a second. `--events` events are "stored" at random
moments over `--seconds` and handed to the hub the same way. Clients run in `--procs`
processes; each parses every frame with `json.loads`, applies patches to its copy of the
members (counting version gaps) and stamps each event on arrival. Latency is from the
moment the event was stored (before its JSON was written) to the client parsing it, on
the same machine clock; "last client" is, per event, the latest of all clients.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import gc
import json
import os
import random
import resource
import selectors
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from common import percentile  # bench/common.py, beside this script


def raise_fd_limit() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


# ------------------------------------------------------------------ the clan that churns


ACTIVITIES = [
    (313828469, "Ghosts of the Deep: Standard", 82),
    (300092127, "Vesper's Host: Normal", 82),
    (2122313384, "Last Wish: Normal", 4),
    (1374392663, "Control", 10),
    (2693136600, "Vanguard Ops", 18),
]


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class Churn:
    """A 100-member clan in the contract's shapes (as the demo's), changed a little each step."""

    def __init__(self, members: int = 100, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        now = datetime.now(UTC)
        self.members: dict[str, dict[str, Any]] = {}
        for i in range(members):
            mid = str(4611686018000000000 + i * 7919)
            self.members[mid] = {
                "membershipId": mid,
                "membershipType": 3,
                "displayName": f"Guardian{i:03d}",
                "bungieName": f"Guardian{i:03d}#{1000 + i}",
                "rank": "Member",
                "joinedAt": iso(now - timedelta(days=30 + i)),
                "isOnline": i < 18,
                "lastOnlineAt": iso(now - timedelta(minutes=i * 13)),
                "currentActivity": None,
                "checking": False,
                "isPrivate": i % 33 == 0,
                "stats": {
                    "kills": 70000 + i * 911,
                    "deaths": 9000 + i * 97,
                    "activitiesCleared": 480 + i,
                    "raidClears": 24 + i % 40,
                    "timePlayedSeconds": 1600000 + i * 9973,
                },
            }
        self.fireteams: dict[str, dict[str, Any]] = {}
        self.recent: list[dict[str, Any]] = []
        self.version = 0
        self.stats = {
            "members": members,
            "membersCounted": members,
            "kills": 19317433,
            "deaths": 2911685,
            "activitiesCleared": 183428,
            "raidClears": 6526,
            "timePlayedSeconds": 501251727,
            "updatedAt": iso(now),
        }
        for _ in range(10):
            self._finish_one(now)
        for _ in range(4):
            self._start_fireteam(now)

    def _start_fireteam(self, now: datetime) -> None:
        idle = [m for m in self.members.values() if m["currentActivity"] is None]
        if len(idle) < 3:
            return
        crew = self.rng.sample(idle, 3)
        hash_, name, mode = self.rng.choice(ACTIVITIES)
        fid = f"{hash_}-{self.rng.randrange(10**9)}-{crew[0]['membershipId']}"
        self.fireteams[fid] = {
            "id": fid,
            "activity": {"hash": hash_, "name": name, "mode": mode},
            "startedAt": iso(now),
            "members": [m["membershipId"] for m in crew],
            "guests": 0,
        }
        for m in crew:
            m["isOnline"] = True
            m["currentActivity"] = {
                "hash": hash_,
                "name": name,
                "mode": mode,
                "startedAt": iso(now),
                "fireteamId": fid,
            }

    def _end_fireteam(self, now: datetime) -> None:
        if not self.fireteams:
            return
        fid = self.rng.choice(sorted(self.fireteams))
        team = self.fireteams.pop(fid)
        for mid in team["members"]:
            self.members[mid]["currentActivity"] = None
        self._finish_one(now, team)

    def _finish_one(self, now: datetime, team: dict[str, Any] | None = None) -> None:
        hash_, name, mode = self.rng.choice(ACTIVITIES)
        self.recent.insert(
            0,
            {
                "instanceId": str(15853446662 + self.rng.randrange(10**6)),
                "activity": {"hash": hash_, "name": name, "mode": mode, "modeName": "Dungeon"},
                "period": iso(now),
                "durationSeconds": self.rng.randrange(600, 3600),
                "completed": self.rng.random() < 0.8,
                "members": team["members"] if team else [],
            },
        )
        del self.recent[10:]

    def step(self, count: int) -> None:
        """One second of churn: `count` members change, a fireteam starts or ends, the
        clan's stats move."""
        now = datetime.now(UTC)
        for m in self.rng.sample(
            sorted(self.members.values(), key=lambda m: m["displayName"]), count
        ):
            roll = self.rng.random()
            if roll < 0.2:
                m["isOnline"] = not m["isOnline"]
                m["lastOnlineAt"] = iso(now)
                if not m["isOnline"]:
                    m["currentActivity"] = None
            elif roll < 0.5 and m["isOnline"] and m["currentActivity"] is None:
                hash_, name, mode = self.rng.choice(ACTIVITIES)
                m["currentActivity"] = {
                    "hash": hash_,
                    "name": name,
                    "mode": mode,
                    "startedAt": iso(now),
                    "fireteamId": None,
                }
            else:
                stats = m["stats"]
                gained = self.rng.randrange(10, 200)
                stats["kills"] += gained
                stats["deaths"] += self.rng.randrange(0, 20)
                stats["timePlayedSeconds"] += self.rng.randrange(60, 900)
                self.stats["kills"] += gained
        if self.rng.random() < 0.5:
            self._start_fireteam(now)
        else:
            self._end_fireteam(now)
        self.stats["updatedAt"] = iso(now)
        self.stats["timePlayedSeconds"] += count * 60
        self.version += 1

    def state(self) -> Any:
        from clanactors.render.wire import ClanState, sort_members

        members = [json.loads(json.dumps(m)) for m in self.members.values()]  # fresh copies
        return ClanState(
            version=self.version,
            clan={
                "id": "6433012",
                "name": "Lighthouse Keepers",
                "motto": "Eyes up, Guardian.",
                "memberCount": len(self.members),
            },
            members=sort_members(members, self.stats["updatedAt"]),
            fireteams=sorted(
                (json.loads(json.dumps(f)) for f in self.fireteams.values()),
                key=lambda f: (f["startedAt"], f["id"]),
            ),
            stats=dict(self.stats),
            recent=json.loads(json.dumps(self.recent)),
        )


# ------------------------------------------------------------------ server process


def serve(port: int, churn_count: int) -> None:
    import tornado.httpserver
    import tornado.web
    from tornado.ioloop import IOLoop

    from clanactors.server.app import make_app
    from clanactors.server.base import WebContext
    from clanactors.server.hub import Hub, Published, tune_gc

    raise_fd_limit()
    from clanactors.store.db import Database, migrate

    url = f"sqlite:///{tempfile.mkdtemp()}/fanout.db"
    migrate(url)
    churn = Churn()
    hub = Hub(churn.state())
    loop = IOLoop.current()
    # Thousands of clients from one address: no per-address cap here.
    app = make_app(WebContext(Database(url), hub), ws_per_address=10**6)
    handoff: dict[str, list[float]] = {"event": [], "diff": [], "patch": [], "written": []}

    profile_to = os.environ.get("FANOUT_PROFILE")  # a file: cProfile of the hand-offs
    profiler = cProfile.Profile() if profile_to else None

    def timed(kind: str, fn: Any) -> Any:
        def run(*args: Any) -> None:
            started = time.perf_counter()
            if profiler is not None:
                profiler.enable()
            fn(*args)
            if profiler is not None:
                profiler.disable()
            handoff[kind].append((time.perf_counter() - started) * 1000)

        return run

    timed_event = timed("event", hub.on_event)

    def on_event(event_id: int, frame: str) -> None:
        # From the event being stored to the last client's socket holding it (or its
        # stream's buffer): the server's share of the delay.
        timed_event(event_id, frame)
        handoff["written"].append((time.time() - json.loads(frame)["event"]["storedAt"]) * 1000)

    hub._send_patch = timed("diff", hub._send_patch)  # type: ignore[method-assign]
    fan_out = getattr(hub, "_fan_out", None)  # (code before the patch fan-out in slices)
    patch_ms: dict[int, float] = {}

    def slices(*args: Any) -> None:  # a patch goes out in slices: their time, summed
        started = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        fan_out(*args)
        if profiler is not None:
            profiler.disable()
        spent = (time.perf_counter() - started) * 1000
        patch_ms[hub.version] = patch_ms.get(hub.version, 0.0) + spent

    if fan_out is not None:
        hub._fan_out = slices  # type: ignore[method-assign]
    else:
        hub._send_patch = timed("patch", hub._send_patch)  # type: ignore[method-assign]

    def drive(seconds: float, events: int) -> None:
        rng = random.Random(11)
        start = time.monotonic()
        at = sorted(rng.uniform(0.5, seconds) for _ in range(events))
        next_event = 0
        for tick in range(int(seconds) + 1):
            while time.monotonic() < start + tick:
                if next_event < events and time.monotonic() >= start + at[next_event]:
                    next_event += 1
                    stored = {
                        "id": next_event,
                        "kind": "activity_started",
                        "storedAt": time.time(),
                        "text": "a raid started",
                    }
                    frame = json.dumps({"type": "event", "event": stored}, ensure_ascii=False)
                    loop.add_callback(on_event, next_event, frame)
                time.sleep(0.002)
            if churn_count:
                churn.step(churn_count)
                published = Published.of(churn.state())
                loop.add_callback(hub.on_snapshot, published)

    class Run(tornado.web.RequestHandler):
        def post(self) -> None:
            seconds = float(self.get_argument("seconds"))
            events = int(self.get_argument("events"))
            threading.Thread(target=drive, args=(seconds, events), daemon=True).start()
            self.finish({"clients": len(hub.clients)})

    class Stats(tornado.web.RequestHandler):
        def get(self) -> None:
            if profiler is not None and profile_to:
                profiler.dump_stats(profile_to)
            handoff["patch"] = list(patch_ms.values()) or handoff["patch"]
            self.finish({"handoff": handoff, "version": hub.version})

    app.add_handlers(r".*", [(r"/bench/run", Run), (r"/bench/stats", Stats)])
    server = tornado.httpserver.HTTPServer(app)
    server.listen(port, "127.0.0.1", backlog=8192)
    if os.environ.get("FANOUT_DEFAULT_GC") is None:
        tune_gc()  # as `clanactors serve` does
    print("serving", flush=True)
    loop.start()


# ------------------------------------------------------------------ client processes


class RawClient:
    """A minimal WebSocket client on a plain socket: the handshake, then frame parsing in
    one epoll loop for all of a process's clients."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=60)
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
        self.version = -1
        self.members: dict[str, Any] = {}
        self.gaps = 0

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

    def apply(self, frame: dict[str, Any]) -> None:
        """What the page does with a snapshot or patch, minus the DOM."""
        if frame["type"] == "snapshot":
            self.members = {
                m["membershipId"]: m
                for group in ("online", "offline")
                for m in frame["members"][group]
            }
        else:
            if frame["version"] != self.version + 1:
                self.gaps += 1
            members = frame.get("members", {})
            for m in members.get("upsert", ()):
                self.members[m["membershipId"]] = m
            for mid in members.get("remove", ()):
                self.members.pop(mid, None)
        self.version = frame["version"]


def clients(port: int, count: int, events: int, deadline_s: float) -> None:
    raise_fd_limit()
    conns = [RawClient(port) for _ in range(count)]
    selector = selectors.DefaultSelector()
    for conn in conns:
        selector.register(conn.sock, selectors.EVENT_READ, conn)
    latencies: list[list[float]] = [[] for _ in range(events)]
    counts = {"snapshot": 0, "patch": 0, "event": 0, "bytes": 0}
    received = 0
    gc.freeze()  # the measuring side must not pause to collect its clients' garbage
    gc.disable()
    print("ready", flush=True)
    deadline = time.monotonic() + deadline_s
    while received < count * events and time.monotonic() < deadline:
        for key, _ in selector.select(timeout=1.0):
            conn = key.data
            try:
                data = conn.sock.recv(262144)
            except BlockingIOError:
                continue
            counts["bytes"] += len(data)
            conn.buffer += data
            for opcode, payload in conn.frames():
                if opcode == 0x9:
                    conn.pong(payload)
                elif opcode == 0x1:
                    frame = json.loads(payload)
                    kind = frame["type"]
                    counts[kind] = counts.get(kind, 0) + 1
                    if kind == "event":
                        event = frame["event"]
                        latencies[event["id"] - 1].append(time.time() - event["storedAt"])
                        received += 1
                    elif kind in ("snapshot", "patch"):
                        conn.apply(frame)
    counts["gaps"] = sum(c.gaps for c in conns)
    print(json.dumps({"latencies": latencies, "received": received, "counts": counts}), flush=True)
    for conn in conns:
        conn.sock.close()


# ------------------------------------------------------------------ driver


def run(args: argparse.Namespace, count: int, churn: int) -> dict[str, Any]:
    port = args.port
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--port", str(port), "--churn", str(churn)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None and server.stdout.readline().strip() == "serving"
    time.sleep(0.3)
    base_rss = rss_kb(server.pid)
    shares = [count // args.procs + (1 if i < count % args.procs else 0) for i in range(args.procs)]
    procs = []
    connect_started = time.perf_counter()
    for share in shares:
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    __file__,
                    "--client",
                    "--port",
                    str(port),
                    "--count",
                    str(share),
                    "--events",
                    str(args.events),
                    "--deadline",
                    str(args.seconds + 60),
                ],
                stdout=subprocess.PIPE,
                text=True,
            )
        )
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    connect_time = time.perf_counter() - connect_started
    time.sleep(2.0)  # past the first-frame grace period of every connection
    connected_rss = rss_kb(server.pid)
    answer = requests.post(
        f"http://127.0.0.1:{port}/bench/run",
        params={"seconds": args.seconds, "events": args.events},
        timeout=60,
    ).json()
    assert answer["clients"] == count, answer
    results = []
    for proc in procs:
        assert proc.stdout is not None
        results.append(json.loads(proc.stdout.readline()))
        proc.wait(60)
    stats = requests.get(f"http://127.0.0.1:{port}/bench/stats", timeout=10).json()
    server.terminate()
    server.wait(10)
    per_event: list[list[float]] = [[] for _ in range(args.events)]
    for result in results:
        for i, batch in enumerate(result["latencies"]):
            per_event[i].extend(batch)
    flat = [x for batch in per_event for x in batch]
    last = [max(batch) for batch in per_event if batch]
    counts = {k: sum(r["counts"].get(k, 0) for r in results) for k in results[0]["counts"]}
    return {
        "clients": count,
        "delivered": sum(r["received"] for r in results) / (count * args.events),
        "p50_ms": statistics.median(flat) * 1000,
        "p99_ms": percentile(flat, 0.99) * 1000,
        "last_p50_ms": statistics.median(last) * 1000,
        "last_p99_ms": percentile(last, 0.99) * 1000,
        "last_max_ms": max(last) * 1000,
        "rss_per_conn_kb": (connected_rss - base_rss) / count,
        "server_rss_mb": connected_rss / 1024,
        "connect_s": connect_time,
        "event_handoff_ms": statistics.median(stats["handoff"]["event"]),
        "patch_handoff_ms": statistics.median(stats["handoff"]["patch"] or [0.0]),
        "patches": stats["version"],
        "written_p50_ms": statistics.median(stats["handoff"]["written"]),
        "written_p99_ms": percentile(stats["handoff"]["written"], 0.99),
        "last_each": [round(x * 1000) for x in last],
        "counts": counts,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--serve", action="store_true")
    parser.add_argument("--client", action="store_true")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--count", type=int, default=0)
    parser.add_argument("--clients", type=int, nargs="*", default=[2000, 5000])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--events", type=int, default=30)
    parser.add_argument(
        "--churn", type=int, nargs="*", default=[3, 10], help="members changed per second"
    )
    parser.add_argument("--procs", type=int, default=2, help="client processes")
    parser.add_argument("--deadline", type=float, default=120)
    args = parser.parse_args()
    if args.serve:
        serve(args.port, args.churn[0])
        return
    if args.client:
        clients(args.port, args.count, args.events, args.deadline)
        return
    print(
        f"{'churn':>5} {'clients':>8} {'delivered':>9} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'last p50':>9} {'last p99':>9} {'last max':>9} {'KB/conn':>8} {'server MB':>9} "
        f"{'connect s':>9} {'event ms':>8} {'patch ms':>8}"
    )
    for churn in args.churn:
        for count in args.clients:
            r = run(args, count, churn)
            print(
                f"{churn:>5} {r['clients']:>8} {r['delivered']:>9.1%} {r['p50_ms']:>7.1f} "
                f"{r['p99_ms']:>7.1f} {r['last_p50_ms']:>9.1f} {r['last_p99_ms']:>9.1f} "
                f"{r['last_max_ms']:>9.1f} {r['rss_per_conn_kb']:>8.1f} "
                f"{r['server_rss_mb']:>9.1f} {r['connect_s']:>9.1f} "
                f"{r['event_handoff_ms']:>8.1f} {r['patch_handoff_ms']:>8.1f}",
                flush=True,
            )
            c = r["counts"]
            print(
                f"{'':>14} {r['patches']} patch frames sent; received per client: "
                f"{c['patch'] / count:.1f} patches, {c['event'] / count:.1f} events, "
                f"{c['snapshot'] / count:.1f} snapshots, {c['bytes'] / count / 1024:.0f} KB; "
                f"version gaps: {c['gaps']}",
                flush=True,
            )
            print(
                f"{'':>14} server side, stored to written to the last socket: p50 "
                f"{r['written_p50_ms']:.1f} ms, p99 {r['written_p99_ms']:.1f} ms; last client "
                f"per event, ms: {r['last_each']}",
                flush=True,
            )
    print(
        f"\n{args.events} events over {args.seconds:g} s per row while 'churn' members, a "
        f"fireteam and the stats change every second; clients parse every frame, in "
        f"{args.procs} processes; {os.cpu_count()} cores. 'last': per event, the latest of "
        "all clients. 'event ms' / 'patch ms': the IOLoop's time to hand one event / one "
        "patch to every client's stream (median). Target: p99 under 250 ms at 5,000."
    )


if __name__ == "__main__":
    main()
