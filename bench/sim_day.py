"""Measure the simulated clan over one simulated day: members, online share, activity pace.

    python bench/sim_day.py [--seed 7] [--members 100] [--hours 24]

Runs the world on a hand-stepped clock (no HTTP) and prints a table.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter

from clanactors.core.clock import FakeClock
from clanactors.sim.world import World


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument("--hours", type=float, default=24)
    args = parser.parse_args()

    clock = FakeClock()
    started = time.perf_counter()
    world = World(seed=args.seed, members=args.members, clock=clock)
    start = clock.now()
    online, in_activity = [], []
    steps = int(args.hours * 60)
    for _ in range(steps):
        clock.advance(60)
        world.sync()
        online.append(len(world.online_members()))
        in_activity.append(sum(len(p.members) for p in world.plays.values()))
    elapsed = time.perf_counter() - started
    members = len(world.roster())
    record = [h for h in world.record if h.at >= start]
    kinds = Counter(h.kind for h in record)
    started_ = [h for h in record if h.kind == "started"]
    finished = [h for h in record if h.kind == "finished"]
    by_category = Counter(world.catalog.activities[h.activity_hash].category for h in started_)
    fireteams = [h for h in started_ if len(h.members) > 1]
    hours = args.hours
    feedworthy = len(started_) + len(finished) + kinds["online"] + kinds["offline"]
    rows = [
        ("seed / members at end", f"{args.seed} / {members}"),
        (
            "online share: mean / min / max",
            f"{statistics.mean(online) / members:.1%} / "
            f"{min(online) / members:.1%} / {max(online) / members:.1%}",
        ),
        ("members in an activity (mean)", f"{statistics.mean(in_activity):.1f}"),
        ("activities started per hour", f"{len(started_) / hours:.1f}"),
        ("  of which clan fireteams (2+ members)", f"{len(fireteams) / hours:.1f}"),
        ("activities finished per hour", f"{len(finished) / hours:.1f}"),
        ("  cleared share", f"{sum(1 for h in finished if h.cleared) / max(len(finished), 1):.0%}"),
        ("sessions started per hour", f"{kinds['online'] / hours:.1f}"),
        ("joins / leaves", f"{kinds['joined']} / {kinds['left']}"),
        ("feed-worthy happenings per minute", f"{feedworthy / (hours * 60):.2f}"),
        ("starts by category", ", ".join(f"{c} {n}" for c, n in by_category.most_common())),
        ("wall time for the run", f"{elapsed:.2f} s"),
    ]
    width = max(len(r[0]) for r in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
