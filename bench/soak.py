"""A week of simulated uptime: does anything the app keeps grow with it?

    python bench/soak.py [--days 7] [--seed 7] [--members 100] [--step 30] [--trace]

Runs the simulated clan and the real actor system on one hand-stepped clock (the rig of
bench/bungie_calls.py: simulated Bungie API over loopback, SQLite in a temp folder) at the
default intervals, and prints one row after each simulated day:

- app objects: live objects whose type is defined in a `clanactors.*` module, counted with
  gc.get_objects() after gc.collect(); the simulator and the rig (`clanactors.sim`,
  `clanactors.testing`) share the process but are counted apart ("sim"), and the top
  types of the app are listed under the row;
- RSS (VmRSS) and OS threads from /proc/self/status; RSS holds the simulator too, which
  keeps every activity instance it has played (some 3.7 MB a day; see `--trace`);
- scheduler timers: live (`pending()`) / in the heap, cancelled ones included;
- CPU seconds (process_time, every thread of the process, the simulator's included) and
  wall seconds spent on that day.

The last lines judge the run against the target: the last day's app objects and RSS within
5% of day 2's, and CPU per simulated day flat. Day 1 holds the start-up (backfill, everyone's
stats), hence day 2 as the reference. It prints figures; it asserts nothing.

The step is how far the clock moves between two settles. Profiles are polled every 30 s,
so a step of 30 s or less keeps every poll (several due messages in one step simply go out
together); a coarser step skips polls and no longer shows the app's real work. Step 30 is
the coarsest that keeps them all: the same Bungie calls as step 15 in 80% of its wall time.
Even so, a simulated day is some 34,000 Bungie calls and 240-320 s of CPU (the app's real
work, the simulator's answers included), 5-8 minutes of wall time on a shared two-core
machine, so the week takes about 40 minutes; `--days 3` shows a trend in 18-25. `--step 60`
is a third quicker but polls every member once a minute (40% fewer calls): it measures
another app. `--day` shortens the "day" for a quick try.

`--trace` runs tracemalloc and prints where the memory Python allocated grew between the end
of day 2 and the last day, by file and by line (it slows the run and inflates RSS): for
growth that is not an app object, such as strings and bytes, or the simulator's.
"""

from __future__ import annotations

import argparse
import gc
import shutil
import sysconfig
import tempfile
import time
import tracemalloc
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import clanactors
from clanactors.actors.system import ActorSystem
from clanactors.testing.rig import Rig

DAY = 86_400.0
APP = "clanactors"
NOT_APP = ("clanactors.sim", "clanactors.testing")  # in the process, but not the app


@dataclass
class Sample:
    day: int
    app: Counter[str]  # app objects by type name
    sim: int  # simulator and rig objects
    rss_mb: float
    threads: int
    pending: int
    heap: int | None
    cpu: float  # seconds of CPU spent on this day
    wall: float  # seconds of wall time spent on this day
    calls: int  # Bungie requests the simulator served on this day


def proc_status() -> dict[str, str]:
    with open("/proc/self/status") as status:
        return dict(line.rstrip("\n").split(":\t", 1) for line in status if ":\t" in line)


def live_objects() -> tuple[Counter[str], int]:
    """The app's live objects by type name, and how many belong to the simulator/rig."""
    gc.collect()
    app: Counter[str] = Counter()
    sim = 0
    for obj in gc.get_objects():
        kind = type(obj)
        module = getattr(kind, "__module__", None)  # a descriptor on a few odd types
        if not isinstance(module, str) or module.split(".", 1)[0] != APP:
            continue
        if module.startswith(NOT_APP):
            sim += 1
        else:
            app[kind.__qualname__] += 1
    return app, sim


def sample(system: ActorSystem, day: int, cpu: float, wall: float, calls: int) -> Sample:
    app, sim = live_objects()
    status = proc_status()
    return Sample(
        day=day,
        app=app,
        sim=sim,
        rss_mb=int(status["VmRSS"].split()[0]) / 1024,
        threads=int(status["Threads"]),
        pending=system.scheduler.pending(),
        heap=heap_size(system),
        cpu=cpu,
        wall=wall,
        calls=calls,
    )


def heap_size(system: ActorSystem) -> int | None:
    """Timers in the scheduler's heap, cancelled ones not yet dropped included."""
    size = getattr(system.scheduler, "size", None)
    if callable(size):
        return int(size())
    heap = getattr(system.scheduler, "_heap", None)  # before the scheduler told its size
    return len(heap) if isinstance(heap, list) else None


HEADER = (
    f"{'day':>3} {'app objs':>9} {'sim objs':>9} {'RSS MB':>7} {'threads':>7} "
    f"{'timers':>13} {'calls':>7} {'CPU s':>7} {'wall s':>7}"
)


def row(s: Sample, top: int) -> str:
    timers = f"{s.pending}/{s.heap}" if s.heap is not None else f"{s.pending}"
    line = (
        f"{s.day:>3} {sum(s.app.values()):>9,} {s.sim:>9,} {s.rss_mb:>7.1f} {s.threads:>7} "
        f"{timers:>13} {s.calls:>7,} {s.cpu:>7.1f} {s.wall:>7.1f}"
    )
    types = ", ".join(f"{name} {n:,}" for name, n in s.app.most_common(top))
    return f"{line}\n    {types}"


def change(new: float, old: float) -> str:
    return f"{(new - old) / old:+.1%}" if old else "n/a"


def verdict(samples: list[Sample], tolerance: float) -> list[str]:
    days = [s for s in samples if s.day >= 1]
    if len(days) < 3:
        return ["verdict: needs 3 days or more (day 1 holds the start-up; day 2 is the base)"]
    base, last = days[1], days[-1]
    objs_base, objs_last = sum(base.app.values()), sum(last.app.values())

    def within(new: float, old: float) -> str:
        return "within" if abs(new - old) <= tolerance * old else "OUTSIDE"

    lines = [
        f"verdict (target: day {last.day} within {tolerance:.0%} of day 2, "
        "CPU per simulated day flat):",
        f"  app objects  day 2 {objs_base:,} -> day {last.day} {objs_last:,} "
        f"({change(objs_last, objs_base)}, {within(objs_last, objs_base)})",
        f"  RSS          day 2 {base.rss_mb:.1f} MB -> day {last.day} {last.rss_mb:.1f} MB "
        f"({change(last.rss_mb, base.rss_mb)}, {within(last.rss_mb, base.rss_mb)})",
        f"  CPU per day  day 1 {days[0].cpu:.1f} s, day 2 {base.cpu:.1f} s -> "
        f"day {last.day} {last.cpu:.1f} s ({change(last.cpu, base.cpu)}, "
        f"{within(last.cpu, base.cpu)})",
        # The clan's days differ (how many online, how many activities): CPU per Bungie
        # call served sets the clan's pace aside.
        f"  CPU per call day 2 {per_call(base):.2f} ms -> day {last.day} "
        f"{per_call(last):.2f} ms ({change(per_call(last), per_call(base))}, "
        f"{within(per_call(last), per_call(base))})",
    ]
    return lines


def per_call(s: Sample) -> float:
    return 1000 * s.cpu / s.calls if s.calls else 0.0


def growth(samples: list[Sample], count: int) -> list[str]:
    """The app types that grew most from day 1 to the last day, with every day's count."""
    days = [s for s in samples if s.day >= 1]
    if len(days) < 2:
        return []
    first, last = days[0].app, days[-1].app
    grown = sorted(
        (name for name in set(first) | set(last) if last[name] > first[name]),
        key=lambda name: last[name] - first[name],
        reverse=True,
    )[:count]
    if not grown:
        return ["no app type grew after day 1"]
    width = max(len(name) for name in grown)
    head = f"{'type':<{width}} " + " ".join(f"{'day ' + str(s.day):>9}" for s in samples)
    lines = ["app types that grew after day 1 (count at the end of each day):", head]
    for name in grown:
        lines.append(f"{name:<{width}} " + " ".join(f"{s.app[name]:>9,}" for s in samples))
    return lines


def short(filename: str) -> str:
    """A source file's path from its package root: clanactors/..., sqlalchemy/..."""
    roots = [
        str(Path(clanactors.__file__).parent.parent),
        sysconfig.get_paths()["purelib"],
        sysconfig.get_paths()["stdlib"],
    ]
    for root in roots:
        if filename.startswith(root + "/"):
            return filename[len(root) + 1 :]
    return filename


def traced_growth(base: tracemalloc.Snapshot, last: tracemalloc.Snapshot) -> list[str]:
    """Where the memory Python allocated grew between two snapshots: by file, then by line."""
    lines = []
    for key, count in (("filename", 12), ("lineno", 12)):
        lines.append(f"memory grown since day 2, by {key} (tracemalloc, KB):")
        for stat in last.compare_to(base, key)[:count]:
            place = stat.traceback[0]
            where = short(place.filename) + (f":{place.lineno}" if key == "lineno" else "")
            lines.append(
                f"  {stat.size_diff / 1024:>+9.0f} KB {stat.count_diff:>+8,} blocks  {where}"
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--days", type=int, default=7, help="simulated days to run")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument(
        "--step",
        type=float,
        default=30.0,
        help="simulated seconds between settles; above the profile interval, polls are skipped",
    )
    parser.add_argument(
        "--day", type=float, default=DAY, help="simulated seconds per row (shorter for a try)"
    )
    parser.add_argument("--profile-interval", type=float, default=30.0)
    parser.add_argument("--roster-interval", type=float, default=60.0)
    parser.add_argument("--top", type=int, default=8, help="app types listed under each row")
    parser.add_argument("--tolerance", type=float, default=0.05)
    parser.add_argument(
        "--trace",
        action="store_true",
        help="trace allocations (slower, more RSS) and print where memory grew after day 2",
    )
    args = parser.parse_args()

    if args.trace:
        tracemalloc.start()
    snapshots: dict[int, tracemalloc.Snapshot] = {}

    folder = Path(tempfile.mkdtemp(prefix="clanactors-soak-"))
    wall0, cpu0 = time.perf_counter(), time.process_time()
    rig = Rig(
        f"sqlite:///{folder / 'soak.db'}",
        seed=args.seed,
        members=args.members,
        profile_interval=args.profile_interval,
        roster_interval=args.roster_interval,
    )
    system = rig.start()
    print(
        f"soak: {args.days} x {args.day / 3600:g} h of a {len(rig.world.roster())}-member clan "
        f"(seed {args.seed}), profile every {args.profile_interval:g} s, roster every "
        f"{args.roster_interval:g} s, step {args.step:g} s, SQLite in {folder}",
        flush=True,
    )
    if args.step > args.profile_interval:
        print(
            f"note: a step above the profile interval polls each online member once per step, "
            f"not every {args.profile_interval:g} s",
            flush=True,
        )
    print(HEADER)
    calls = rig.requests().total()
    samples = [sample(system, 0, time.process_time() - cpu0, time.perf_counter() - wall0, calls)]
    print(row(samples[-1], args.top), flush=True)
    for day in range(1, args.days + 1):
        wall, cpu = time.perf_counter(), time.process_time()
        rig.run(args.day, args.step)
        rig.settle()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        calls, before = rig.requests().total(), calls
        samples.append(sample(system, day, cpu, wall, calls - before))
        print(row(samples[-1], args.top), flush=True)
        if args.trace and (day == 2 or day == args.days):
            snapshots[day] = tracemalloc.take_snapshot().filter_traces(
                [tracemalloc.Filter(False, tracemalloc.__file__)]
            )

    rig.close()
    shutil.rmtree(folder, ignore_errors=True)
    total = time.perf_counter() - wall0
    walls = [s.wall for s in samples if s.day >= 1]
    print(
        f"\nwall time: {total:.0f} s in all, {sum(walls) / max(len(walls), 1):.0f} s per "
        f"simulated day (step {args.step:g} s)\n"
    )
    for line in [*growth(samples, 12), "", *verdict(samples, args.tolerance)]:
        print(line)
    if 2 in snapshots and args.days > 2:
        print()
        for line in traced_growth(snapshots[2], snapshots[args.days]):
            print(line)


if __name__ == "__main__":
    main()
