"""Bungie calls per hour against the minimum and a naive design, and detection latency,
for the poll pacing of today (`clanactors.domain.pacing`) and the flat pacing before it
(every online member at the profile interval, fireteam mates resting at 4x), one after
the other on the same simulated hours, each after importing the same days of history.

    python bench/bungie_calls.py [--hours 6] [--seed 7] [--step 2] [--only paced]
                                 [--history-days 14]

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
import math
import statistics
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from common import Detection, EventReader, Happening, detect, percentile

from clanactors.domain.pacing import Pacing, PastRuns, Read
from clanactors.domain.presence import Presence
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


@dataclass(frozen=True)
class Counted(Pacing):
    """A pacing that counts its reads by why they were paced so."""

    whys: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)  # many member threads

    def next_read(
        self,
        presence: Presence,
        now: datetime,
        runs: PastRuns | None,
        *,
        resting: bool = False,
    ) -> Read:
        read = super().next_read(presence, now, runs, resting=resting)
        with self.lock:
            self.whys[read.why] += 1
        return read


@dataclass(frozen=True)
class FlatPacing(Counted):
    """The pacing before: every member at the interval, a resting mate at FAR_FACTOR times it."""

    def next_read(
        self,
        presence: Presence,
        now: datetime,
        runs: PastRuns | None,
        *,
        resting: bool = False,
    ) -> Read:
        read = super().next_read(presence, now, runs, resting=resting)
        return Read(self.far if resting else self.interval, read.why)


@dataclass
class Measured:
    wall: float
    members: int
    hours: float
    ours: dict[str, float]  # calls per hour by label
    minimum: dict[str, float]
    naive: dict[str, float]
    startup: int
    detection: Detection = field(default_factory=Detection)
    whys: Counter[str] = field(default_factory=Counter)  # profile reads by pace


def measure(args: argparse.Namespace, pacing: Counted) -> Measured:
    folder = Path(tempfile.mkdtemp(prefix="clanactors-bench-"))
    rig = Rig(
        f"sqlite:///{folder / 'bench.db'}",
        seed=args.seed,
        profile_interval=args.profile_interval,
        roster_interval=args.roster_interval,
        history_days=args.history_days,
    )
    web = WebServer(rig.db).start()
    reader = EventReader(web.ws_url, web.url, rig.clock.now)
    wall = time.perf_counter()
    rig.start(listeners=(web.listener,), history_days=args.history_days, pacing=pacing)
    started_at = rig.clock.now()

    online_seconds = 0.0
    window_start = started_at + timedelta(minutes=args.warmup)
    at_window: Counter[str] | None = None
    whys_at_window: Counter[str] = Counter()
    total = args.hours * 3600
    elapsed = 0.0
    while elapsed < total:
        rig.run(args.step, args.step)
        elapsed += args.step
        now = rig.clock.now()
        if at_window is None and now >= window_start:
            at_window = rig.requests()
            with pacing.lock:
                whys_at_window = Counter(pacing.whys)
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
    naive = {
        "roster": minimum["roster"],
        "group": 0,
        "profile": len(rig.world.roster()) * 12 * hours,
        "history": len(rig.world.roster()) * 12 * hours,
        "pgcr": member_finishes,
        "stats": member_finishes,
        "raid stats": 0,
        "definition": member_finishes,
    }
    result = Measured(
        wall=wall,
        members=len(rig.world.roster()),
        hours=hours,
        ours={label: used[endpoint] / hours for label, endpoint in ENDPOINTS},
        minimum={label: value / hours for label, value in minimum.items()},
        naive={label: value / hours for label, value in naive.items()},
        startup=sum((used_all - used).values()),
        whys=pacing.whys - whys_at_window,
    )

    # ------------------------------------------------------------- detection latency
    detection = detect(
        (
            Happening(h.at, h.kind, h.members, h.activity_hash, h.instance_id)
            for h in record
            if h.at <= end - timedelta(minutes=5)
        ),
        reader.arrivals,
    )
    result.detection = detection
    reader.close()
    rig.stop()
    web.stop()
    rig.close()
    return result


def report(name: str, m: Measured, args: argparse.Namespace) -> None:
    print(f"\n== {name}: {m.wall:.0f} s wall")
    print(f"{'endpoint':<12} {'ours/h':>8} {'minimum/h':>10} {'naive/h':>8} {'ours/min':>9}")
    totals = [0.0, 0.0, 0.0]
    for label, _endpoint in ENDPOINTS:
        ours, low, high = m.ours[label], m.minimum[label], m.naive[label]
        totals[0] += ours
        totals[1] += low
        totals[2] += high
        ratio = f"{ours / low:.2f}x" if low else "-"
        print(f"{label:<12} {ours:>8.1f} {low:>10.1f} {high:>8.1f} {ratio:>9}")
    print(
        f"{'total':<12} {totals[0]:>8.1f} {totals[1]:>10.1f} {totals[2]:>8.1f} "
        f"{totals[0] / totals[1]:>8.2f}x"
    )
    print(f"naive / ours: {totals[2] / totals[0]:.1f}x fewer calls than naive")
    print(
        f"start-up (first {args.warmup:g} min, incl. backfill and everyone's stats): "
        f"{m.startup} calls"
    )
    paced = sum(m.whys.values())
    shares = ", ".join(f"{why} {n / paced:.0%}" for why, n in m.whys.most_common())
    print(f"profile reads by the state they were paced for: {shares}")
    print(
        f"detection latency, simulated seconds (world happening -> WebSocket client), "
        f"step {args.step:g} s:"
    )
    print(f"{'kind':<10} {'n':>5} {'p50':>7} {'p95':>7} {'max':>7} {'missed':>7}")
    d = m.detection
    for kind, values, key in (("started", d.starts, "started"), ("finished", d.ends, "finished")):
        print(
            f"{kind:<10} {len(values):>5} {percentile(values, 0.5):>7.1f} "
            f"{percentile(values, 0.95):>7.1f} {max(values, default=float('nan')):>7.1f} "
            f"{d.missed[key]:>7}"
        )
    both = d.starts + d.ends
    print(
        f"{'all':<10} {len(both):>5} {statistics.median(both) if both else float('nan'):>7.1f} "
        f"{percentile(both, 0.95):>7.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hours", type=float, default=6.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--step", type=float, default=2.0, help="simulated seconds per step")
    parser.add_argument("--warmup", type=float, default=30.0, help="minutes left out at start")
    parser.add_argument("--profile-interval", type=float, default=30.0)
    parser.add_argument("--roster-interval", type=float, default=60.0)
    parser.add_argument("--only", choices=("flat", "paced"), help="measure one pacing only")
    parser.add_argument(
        "--history-days",
        type=int,
        default=14,
        help="days of the world's past the app imports first, as an install does",
    )
    args = parser.parse_args()

    print(
        f"simulated {args.hours:g} h of the 100-member clan (seed {args.seed}) per pacing, "
        f"{args.history_days} days of history imported first; profile interval "
        f"{args.profile_interval:g} s, roster every {args.roster_interval:g} s; figures per "
        f"hour after the first {args.warmup:g} min"
    )
    runs = {
        "flat (before)": FlatPacing(args.profile_interval),
        "paced (now)": Counted(args.profile_interval),
    }
    results = {}
    for name, pacing in runs.items():
        if args.only and not name.startswith(args.only):
            continue
        results[name] = measure(args, pacing)
        report(name, results[name], args)
    if len(results) == 2:
        print("\n== side by side")
        head = f"{'':<16} {'calls/h':>8} {'x minimum':>10}"
        print(f"{head} {'starts p50/p95':>16} {'ends p50/p95':>14}")
        for name, m in results.items():
            ours = sum(m.ours.values())
            low = sum(m.minimum.values())
            d = m.detection
            starts = f"{percentile(d.starts, 0.5):.1f} / {percentile(d.starts, 0.95):.1f}"
            ends = f"{percentile(d.ends, 0.5):.1f} / {percentile(d.ends, 0.95):.1f}"
            print(f"{name:<16} {ours:>8.1f} {ours / low:>9.2f}x {starts:>16} {ends:>14}")


if __name__ == "__main__":
    main()
