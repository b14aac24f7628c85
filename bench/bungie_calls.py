"""Bungie calls per hour against the minimum and a naive design, and detection latency.

    python bench/bungie_calls.py [--hours 6] [--seed 7] [--step 2]

Runs the simulated 100-member clan and the real actor system on one hand-stepped clock
(faster than real time), with a WebSocket client stamping each event's arrival in
simulated time. Both references are computed from the simulator's own record of that run:
- minimum: one roster page set per roster interval, one profile call per online member
  per profile interval, one history call per finished activity per member, one PGCR per
  distinct instance, one stats call per member who finished something, one definition per
  distinct activity hash;
- naive: every member's profile and history every 5 minutes, PGCRs fetched per member.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import tempfile
import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import websocket

from clanactors.testing.rig import Rig
from clanactors.testing.web import WebServer

ENDPOINTS = [
    ("roster", "GroupV2.GetMembersOfGroup"),
    ("group", "GroupV2.GetGroup"),
    ("profile", "Destiny2.GetProfile"),
    ("history", "Destiny2.GetActivityHistory"),
    ("pgcr", "Destiny2.GetPostGameCarnageReport"),
    ("stats", "Destiny2.GetHistoricalStatsForAccount"),
    ("raid stats", "Destiny2.GetHistoricalStats"),
    ("definition", "Destiny2.GetDestinyEntityDefinition"),
]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hours", type=float, default=6.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--step", type=float, default=2.0, help="simulated seconds per step")
    parser.add_argument("--warmup", type=float, default=30.0, help="minutes left out at start")
    parser.add_argument("--profile-interval", type=float, default=30.0)
    parser.add_argument("--roster-interval", type=float, default=60.0)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="clanactors-bench-"))
    rig = Rig(
        f"sqlite:///{folder / 'bench.db'}",
        seed=args.seed,
        profile_interval=args.profile_interval,
        roster_interval=args.roster_interval,
    )
    web = WebServer(rig.db).start()
    arrivals: list[tuple[dict, datetime]] = []
    ws = websocket.create_connection(web.ws_url, timeout=30, origin=web.url)
    ws.send(json.dumps({"resume": 0}))

    def read() -> None:
        while True:
            try:
                frame = json.loads(ws.recv())
            except Exception:
                return
            if frame.get("type") == "event":
                arrivals.append((frame["event"], rig.clock.now()))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    wall = time.perf_counter()
    rig.start(listeners=(web.listener,))
    started_at = rig.clock.now()

    online_seconds = 0.0
    window_start = started_at + timedelta(minutes=args.warmup)
    at_window: Counter[str] | None = None
    total = args.hours * 3600
    elapsed = 0.0
    while elapsed < total:
        rig.run(args.step, args.step)
        elapsed += args.step
        now = rig.clock.now()
        if at_window is None and now >= window_start:
            at_window = rig.requests()
        if now >= window_start:
            online_seconds += len(rig.world.online_members()) * args.step
    rig.settle()
    time.sleep(0.5)
    wall = time.perf_counter() - wall
    used_all = rig.requests()
    used = used_all - (at_window or Counter())
    hours = (total - args.warmup * 60) / 3600
    record = [h for h in rig.world.record if h.at >= window_start]
    end = rig.clock.now()

    finished = [h for h in record if h.kind == "finished" and h.at <= end]
    member_finishes = sum(len(h.members) for h in finished)
    before = {h.activity_hash for h in rig.world.record if h.at < window_start}
    new_hashes = {h.activity_hash for h in record if h.kind == "started"} - before
    pages = math.ceil(len(rig.world.roster()) / 50)
    minimum = {
        "roster": hours * 3600 / args.roster_interval * pages,
        "group": 0,
        "profile": online_seconds / args.profile_interval,
        "history": member_finishes,
        "pgcr": len(finished),
        "stats": member_finishes,
        "raid stats": 0,
        "definition": len(new_hashes),  # hashes first seen after the warm-up
    }
    members = len(rig.world.roster())
    naive = {
        "roster": minimum["roster"],
        "group": 0,
        "profile": members * 12 * hours,
        "history": members * 12 * hours,
        "pgcr": member_finishes,
        "stats": member_finishes,
        "raid stats": 0,
        "definition": member_finishes,
    }

    print(
        f"simulated {args.hours:g} h of a {members}-member clan (seed {args.seed}) in "
        f"{wall:.0f} s wall; profile every {args.profile_interval:g} s, roster every "
        f"{args.roster_interval:g} s; figures per hour after the first {args.warmup:g} min\n"
    )
    print(f"{'endpoint':<12} {'ours/h':>8} {'minimum/h':>10} {'naive/h':>8} {'ours/min':>9}")
    totals = [0.0, 0.0, 0.0]
    for label, endpoint in ENDPOINTS:
        ours = used[endpoint] / hours
        low = minimum[label] / hours
        high = naive[label] / hours
        totals[0] += ours
        totals[1] += low
        totals[2] += high
        ratio = f"{ours / low:.2f}x" if low else "-"
        print(f"{label:<12} {ours:>8.1f} {low:>10.1f} {high:>8.1f} {ratio:>9}")
    print(
        f"{'total':<12} {totals[0]:>8.1f} {totals[1]:>10.1f} {totals[2]:>8.1f} "
        f"{totals[0] / totals[1]:>8.2f}x"
    )
    print(f"\nnaive / ours: {totals[2] / totals[0]:.1f}x fewer calls than naive")
    startup = used_all - used
    print(
        f"start-up (first {args.warmup:g} min, incl. backfill and everyone's stats): "
        f"{sum(startup.values())} calls"
    )

    # ------------------------------------------------------------- detection latency
    starts, clears, missed = [], [], Counter[str]()
    events = [(e, at) for e, at in arrivals]
    for happening in record:
        if happening.at > end - timedelta(minutes=5):
            continue
        if happening.kind == "finished":
            match = [at for e, at in events if e["instanceId"] == happening.instance_id]
            if match:
                clears.append((match[0] - happening.at).total_seconds())
            else:
                missed["finished"] += 1
        elif happening.kind == "started":
            match = [
                at
                for e, at in events
                if e["kind"] == "activity_started"
                and e["activity"]["hash"] == happening.activity_hash
                and set(e["members"]) & set(happening.members)
                and abs(
                    (
                        datetime.fromisoformat(e["occurredAt"].replace("Z", "+00:00"))
                        - happening.at
                    ).total_seconds()
                )
                < 120
            ]
            if match:
                starts.append((match[0] - happening.at).total_seconds())
            else:
                missed["started"] += 1
    print(
        f"\ndetection latency, simulated seconds (world happening -> WebSocket client), "
        f"step {args.step:g} s:"
    )
    print(f"{'kind':<10} {'n':>5} {'p50':>7} {'p95':>7} {'max':>7} {'missed':>7}")
    for name, values, key in (("started", starts, "started"), ("finished", clears, "finished")):
        print(
            f"{name:<10} {len(values):>5} {percentile(values, 0.5):>7.1f} "
            f"{percentile(values, 0.95):>7.1f} {max(values, default=float('nan')):>7.1f} "
            f"{missed[key]:>7}"
        )
    both = starts + clears
    print(
        f"{'all':<10} {len(both):>5} {statistics.median(both) if both else float('nan'):>7.1f} "
        f"{percentile(both, 0.95):>7.1f}   target p95 <= {args.profile_interval + 1:g}"
    )

    ws.close()
    rig.stop()
    web.stop()
    rig.close()


if __name__ == "__main__":
    main()
