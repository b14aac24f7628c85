"""Bytes one WebSocket client receives: the demo's first minutes, and a quiet hour.

    python bench/ws_bytes.py demo [--seconds 120] [--then 480]
    python bench/ws_bytes.py quiet [--members 100] [--hours 1] [--step 1]

`demo`: the real `clanactors serve` in demo mode on a fresh SQLite database in a temporary
folder; one client connects as soon as the port answers and sends `{"resume": 0}`. Every
frame is counted as it travels (payload plus the RFC 6455 header), by type, for the first
`--seconds`; then the client stays on for `--then` seconds more, the demo's steady state,
counted apart (and per hour).

`quiet`: the same actor system and hub on a hand-stepped clock (`clanactors.testing.rig`),
the simulated clan (seed 7, `--members`) at the quietest hour of its day (fewest members
online, found by stepping the world alone). After 45 simulated minutes of start-up, one
client counts what it receives over `--hours`. The hub's one-patch-a-second limit runs on
real time and the rig steps much faster than that, so the patch interval is set to 0 here
and the clock is stepped `--step` seconds at a time: at most one patch frame per simulated
second, as the real limit allows, and never fewer frames than the real server would send.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import free_port  # bench/common.py, beside this script
from tornado.websocket import WebSocketClientConnection, websocket_connect


def wire_size(payload: int) -> int:
    """A server frame's size on the wire: unmasked header plus payload."""
    return payload + (2 if payload < 126 else 4 if payload <= 0xFFFF else 10)


class Tally:
    """Frames a client received: (seconds since connect, type, bytes on the wire, parts)."""

    def __init__(self) -> None:
        self.frames: list[tuple[float, str, int, dict[str, int]]] = []
        self.started = time.monotonic()
        self.texts: list[str] = []  # every frame, for --dump

    def add(self, text: str) -> None:
        payload = len(text.encode())
        self.texts.append(text)
        frame = json.loads(text)
        kind = frame.get("type", "?")
        parts: dict[str, int] = {}
        if kind == "patch":
            for key, value in frame.items():
                if key not in ("type", "version", "serverTime"):
                    parts[key] = len(json.dumps(value, ensure_ascii=False).encode())
        self.frames.append((time.monotonic() - self.started, kind, wire_size(payload), parts))

    def table(self, since: float, until: float, per_hour: bool = False) -> None:
        window = [f for f in self.frames if since <= f[0] < until]
        frames: Counter[str] = Counter(f[1] for f in window)
        size: Counter[str] = Counter()
        for f in window:
            size[f[1]] += f[2]
        scale = 3600 / (until - since) if per_hour else 1.0
        unit = " per hour" if per_hour else ""
        print(f"{'type':<10} {'frames' + unit:>18} {'KB' + unit:>14} {'mean bytes':>11}")
        for kind in sorted(frames, key=lambda k: -size[k]):
            print(
                f"{kind:<10} {frames[kind] * scale:>18.0f} {size[kind] * scale / 1024:>14.1f} "
                f"{size[kind] / frames[kind]:>11.0f}"
            )
        total = sum(size.values())
        print(f"{'total':<10} {sum(frames.values()) * scale:>18.0f} {total * scale / 1024:>14.1f}")
        parts: Counter[str] = Counter()
        for f in window:
            parts.update(f[3])
        if parts:
            shares = ", ".join(f"{k} {v / 1024:.1f} KB" for k, v in parts.most_common())
            print(f"patch contents (JSON of each field, summed): {shares}")


async def listen(url: str, tally: Tally, seconds: float, resume: bool = True) -> None:
    deadline = time.monotonic() + 30
    conn: WebSocketClientConnection | None = None
    while conn is None:
        try:
            conn = await websocket_connect(url)
        except OSError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.02)
    tally.started = time.monotonic()
    if resume:
        await conn.write_message(json.dumps({"resume": 0}))
    end = tally.started + seconds
    while (left := end - time.monotonic()) > 0:
        try:
            message = await asyncio.wait_for(conn.read_message(), left)
        except TimeoutError:
            break
        if message is None:
            print("the server closed the connection", file=sys.stderr)
            break
        assert isinstance(message, str)
        tally.add(message)
    conn.close()


# ------------------------------------------------------------------ demo


def demo(seconds: float, then: float) -> None:
    folder = tempfile.mkdtemp(prefix="clanactors-wsbytes-")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLANACTORS_", "BUNGIE_"))}
    env.pop("DATABASE_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "clanactors", "serve", "--port", str(port)],
        cwd=folder,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    tally = Tally()
    try:
        asyncio.run(listen(f"ws://127.0.0.1:{port}/ws", tally, seconds + then))
    finally:
        proc.terminate()
        proc.wait(20)
    print(f"demo, one client from start with resume 0: the first {seconds:g} s\n")
    tally.table(0, seconds)
    if then:
        print(f"\nthe same client from {seconds:g} s to {seconds + then:g} s, per hour\n")
        tally.table(seconds, seconds + then, per_hour=True)
    minutes: defaultdict[int, int] = defaultdict(int)
    for at, _kind, size, _parts in tally.frames:
        minutes[int(at // 60)] += size
    print("\nKB per minute:", ", ".join(f"{minutes[m] / 1024:.1f}" for m in sorted(minutes)))


# ------------------------------------------------------------------ quiet hour


def quietest_hour(day: datetime, members: int) -> tuple[datetime, float]:
    from clanactors.core.clock import FakeClock
    from clanactors.sim.world import World

    clock = FakeClock(day)
    world = World(seed=7, members=members, clock=clock)
    online: list[int] = []
    for _ in range(24 * 60):
        clock.advance(60)
        world.sync()
        online.append(len(world.online_members()))
    hours = [statistics.mean(online[h * 60 : (h + 1) * 60]) for h in range(24)]
    best = min(range(24), key=lambda h: hours[h])
    return day + timedelta(hours=best), hours[best]


def quiet(hours: float, step: float, members: int, dump: str | None = None) -> None:
    from clanactors.testing.rig import Rig
    from clanactors.testing.web import WebServer

    day = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    hour, mean_online = quietest_hour(day, members)
    warmup = 45 * 60
    folder = Path(tempfile.mkdtemp(prefix="clanactors-quiet-"))
    rig = Rig(
        f"sqlite:///{folder / 'quiet.db'}",
        members=members,
        start=hour - timedelta(seconds=warmup),
    )
    rig.profile_interval, rig.roster_interval = 30.0, 60.0  # the defaults of `serve`
    web = WebServer(rig.db).start()
    rig.start(listeners=(web.listener,))
    started = time.perf_counter()
    rig.run(warmup, step=10)
    web.call(lambda: setattr(web.hub, "patch_every", 0.0))
    online_at_start = len(rig.world.online_members())
    tally = Tally()

    def client() -> None:
        asyncio.run(listen(web.ws_url, tally, 10**6, resume=False))

    thread = threading.Thread(target=client, daemon=True)
    thread.start()
    while not tally.frames:
        time.sleep(0.01)  # the snapshot on connect
    events_before = rig.event_count()
    rig.run(hours * 3600, step=step)
    time.sleep(0.5)
    frames = list(tally.frames)
    if dump:
        Path(dump).write_text("\n".join(tally.texts) + "\n")
    events = rig.event_count() - events_before
    online_at_end = len(rig.world.online_members())
    rig.stop()
    web.stop()
    rig.close()
    tally.frames = [(0.0, *f[1:]) for f in frames]
    print(
        f"quietest hour of the simulated {members}-member clan's day (seed 7): {hour:%H:%M} UTC, "
        f"{mean_online:.1f} members online on average ({online_at_start} at its start, "
        f"{online_at_end} at its end); {events} events stored in it; wall time "
        f"{time.perf_counter() - started:.0f} s\n"
    )
    tally.table(0, 1)
    total = sum(f[2] for f in frames) / hours / 1024
    print(f"\nper hour: {total:.1f} KB (the snapshot on connect included)")


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="what", required=True)
    d = sub.add_parser("demo")
    d.add_argument("--seconds", type=float, default=120)
    d.add_argument("--then", type=float, default=480)
    q = sub.add_parser("quiet")
    q.add_argument("--hours", type=float, default=1.0)
    q.add_argument("--step", type=float, default=1.0)
    q.add_argument("--members", type=int, default=100)
    q.add_argument("--dump", help="write every frame received to this file, one a line")
    args = parser.parse_args()
    if args.what == "demo":
        demo(args.seconds, args.then)
    else:
        quiet(args.hours, args.step, args.members, args.dump)


if __name__ == "__main__":
    main()
