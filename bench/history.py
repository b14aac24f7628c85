"""History from before the install: the import of a year for a 100-member clan.

    python bench/history.py [--days 365] [--limit-minutes 45] [--seed 7]

Runs the simulated Bungie API in this process (a year of history before its first day,
at real pace) and one `clanactors serve` against it at default settings (profile every
30 s, roster every 60 s, 10 requests per second) on a fresh SQLite database, with a
WebSocket client stamping each event's arrival. Prints, once `/healthz` says every
member's history is read:
- wall time of the import;
- its Bungie calls (the process's own count of `history_import` reads, from /metrics)
  against the pages needed (per character of a readable member: one page per 250
  activities in range, at least one), and every endpoint's calls meanwhile;
- live detection latency while it ran: the world's own record of starts and finishes
  against the WebSocket's events (p50, p95), as bench/bungie_calls.py measures it.
Targets: done within 30 minutes, calls within 1.2x of the pages needed, live p95 <= 31 s.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from common import EventReader, Happening, detect, free_port, iso, percentile

from clanactors.core.clock import ScaledClock
from clanactors.sim.server import RunningSimulator, Simulator

PAGE = 250


def metric(text: str, name: str, **labels: str) -> float:
    """The sum of a Prometheus counter's samples with these labels."""
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def pages_needed(sim: Simulator, floor: datetime | None) -> tuple[int, int]:
    """History pages a complete import needs, and the rows in range, by the world."""
    world, archive = sim.world, sim.archive
    pages = rows = 0
    for member in world.roster():
        if member.private:
            continue
        for character in member.characters:
            live = [r for r in character.history if floor is None or r.period >= floor]
            past = [
                r
                for r in archive.rows(character.character_id, archive.oldest)
                if floor is None or r.period >= floor
            ]
            count = len(live) + len(past)
            rows += count
            pages += max(1, math.ceil((count + 1) / PAGE))  # a full last page needs one more
    return pages, rows


SCENE_LOGINS = 24  # members brought online early on, then started one by one
SCENE_FIRST_PLAY = 150.0  # seconds after start: online members have been polled by then
SCENE_EVERY = 15.0
SCENE_MINUTES = 3.0
SCENE_TAIL = 120.0


def play_scene(sim: Simulator, began: float) -> None:
    """Enough starts and ends to measure while the import runs: members come online
    early, then one every SCENE_EVERY seconds starts a short strike (at real pace the
    clan's own life brings only a few a minute)."""
    world = sim.world
    strikes = [a.hash for a in world.catalog.activities.values() if a.category == "strike"]
    crew = [m.membership_id for m in world.idle_members(SCENE_LOGINS)]
    for membership_id in crew:
        world.script_login(membership_id, hours=2)
    time.sleep(max(0.0, SCENE_FIRST_PLAY - (time.monotonic() - began)))
    for index, membership_id in enumerate(crew):
        # One already in an activity of its own is skipped: that start is measured anyway.
        with contextlib.suppress(ValueError):
            world.script_play([membership_id], strikes[index % len(strikes)], SCENE_MINUTES)
        time.sleep(SCENE_EVERY)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=365, help="the simulated clan's past")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--limit-minutes", type=float, default=45.0)
    args = parser.parse_args()

    sim = Simulator(seed=args.seed, members=100, clock=ScaledClock(1.0), history_days=args.days)
    running = RunningSimulator(sim).start()
    clan_id = requests.get(f"{running.url}/sim/clan", timeout=5).json()["groupId"]
    folder = Path(tempfile.mkdtemp(prefix="clanactors-history-"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLANACTORS_", "BUNGIE_"))}
    env.update(
        {
            "BUNGIE_API_KEY": "bench-key",
            "CLAN_ID": clan_id,
            "BUNGIE_API_ROOT": f"{running.url}/Platform",
            "BUNGIE_STATS_ROOT": f"{running.url}/Platform",
            "DATABASE_URL": f"sqlite:///{folder / 'history.db'}",
            "CLANACTORS_PORT": str(port),
        }
    )
    log = (folder / "serve.log").open("w")
    began = time.monotonic()
    started_at = datetime.now(UTC)
    proc = subprocess.Popen(
        [sys.executable, "-m", "clanactors", "serve"], env=env, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                requests.get(f"{url}/healthz", timeout=2)
                break
            except requests.RequestException:
                time.sleep(0.2)
        reader = EventReader(f"ws://127.0.0.1:{port}/ws", url, lambda: datetime.now(UTC))
        scene = threading.Thread(target=play_scene, args=(sim, began), daemon=True)
        scene.start()
        done_at = None
        progress: dict[str, Any] = {}
        while time.monotonic() - began < args.limit_minutes * 60:
            time.sleep(10)
            try:
                progress = requests.get(f"{url}/healthz", timeout=10).json().get("history", {})
            except requests.RequestException:
                continue
            total, done = progress.get("membersTotal") or 0, progress.get("membersDone") or 0
            print(
                f"  {time.monotonic() - began:6.0f} s: {done} of {total} members, archive "
                f"played to day {sim.archive.played_through()} (oldest {sim.archive.oldest})",
                flush=True,
            )
            if total and done >= total:
                done_at = time.monotonic()
                break
        import_done = datetime.now(UTC)
        time.sleep(SCENE_TAIL)  # the scene's last activities end and are read
        ended_at = datetime.now(UTC)
        metrics = requests.get(f"{url}/metrics", timeout=10).text
        stats = requests.get(f"{running.url}/sim/stats", timeout=10).json()["requests"]
        reader.close()
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()

    wall = (done_at or time.monotonic()) - began
    imported = metric(metrics, "clanactors_bungie_requests_total", endpoint="history_import")
    # The product's default (CLANACTORS_HISTORY_DAYS=all) reads everything there is.
    pages, rows = pages_needed(sim, None)
    print(
        f"\n{args.days} days of history before the first day, 100 members (seed {args.seed}), "
        f"default settings"
    )
    print(
        f"import: {'done' if done_at else 'NOT DONE'} in {wall / 60:.1f} min wall "
        f"({progress.get('membersDone')} of {progress.get('membersTotal')} members)"
    )
    print(
        f"history pages: {imported:.0f} import reads for {pages} pages needed "
        f"({rows} activities in range): {imported / max(pages, 1):.2f}x"
    )
    print("Bungie calls meanwhile, by endpoint (the simulator's count):")
    for endpoint, count in sorted(stats.items(), key=lambda p: -p[1]):
        print(f"  {endpoint:<40} {count:>7}")

    # Live detection while the import ran: the world's record against the WebSocket.
    window_end = min(import_done, ended_at - timedelta(minutes=2))
    record = requests.get(
        f"{running.url}/sim/record",
        params={"kinds": "started,finished", "since": started_at.isoformat()},
        timeout=30,
    ).json()["record"]
    print(f"\nthe world recorded {len(record)} starts and finishes meanwhile")
    settle = started_at + timedelta(minutes=2)  # the first roster and profile reads
    detection = detect(
        (
            Happening(
                iso(h["at"]), h["kind"], tuple(h["members"]), h["activityHash"], h["instanceId"]
            )
            for h in record
            if settle <= iso(h["at"]) <= window_end
        ),
        reader.arrivals,
    )
    print("\nlive detection while importing, seconds (world happening -> WebSocket client):")
    print(f"{'kind':<10} {'n':>5} {'p50':>7} {'p95':>7} {'missed':>7}")
    for kind, values, key in (
        ("starts", detection.starts, "started"),
        ("ends", detection.ends, "finished"),
    ):
        print(
            f"{kind:<10} {len(values):>5} {percentile(values, 0.5):>7.1f} "
            f"{percentile(values, 0.95):>7.1f} {detection.missed[key]:>7}"
        )
    print("\ntargets: done within 30 min, reads within 1.2x of pages needed, live p95 <= 31 s")
    text = (folder / "serve.log").read_text(errors="replace")
    print(f"serve log: {folder / 'serve.log'} ({len(re.findall('Traceback', text))} tracebacks)")
    running.stop()


if __name__ == "__main__":
    main()
