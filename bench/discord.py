"""Events to Discord: latency with Discord answering normally, and a burst drained politely.

    python bench/discord.py [--spaced 48] [--gap 2.5] [--burst 200] [--seed 3]

Real time throughout: the simulated clan, the real actor system and a local Discord
stand-in (tests/notify/standin.py: Discord's webhook bucket of 5 messages per 2 s, with
its `X-RateLimit-*` headers, and a 429 to whoever goes faster). Events are stored through
the feed actor, as the recorder and roster actors store them; latency runs from the
moment the feed's transaction committed to the stand-in receiving the message.
1. `--spaced` events, one every `--gap` seconds (joins, leaves and clears mixed);
2. a burst of `--burst` events stored as fast as the feed takes them (a raid night:
   mostly clears), then the time until the last one reached Discord, how many messages
   carried them, and how many 429s the client caused.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from clanactors.actors.messages import Record
from clanactors.bungie.client import BungieClient
from clanactors.domain import events
from clanactors.domain.events import ActivityRef, Event
from clanactors.notify.delivery import NotifySettings, Webhook
from clanactors.process.app import actor_system
from clanactors.process.config import Settings
from clanactors.sim.faults import Faults
from clanactors.sim.server import RunningSimulator, Simulator
from clanactors.store.db import Database, migrate
from clanactors.store.roster import claim_clan
from tests.notify.standin import StandIn

ACTIVITIES = [
    ActivityRef(3881495763, "Vault of Glass", 4),
    ActivityRef(1374392663, "King's Fall", 4),
    ActivityRef(1077850348, "Prophecy", 82),
]


def make_event(rng: random.Random, n: int, clears: float) -> tuple[Event, str]:
    """An event and the text that finds its message at the stand-in."""
    now = datetime.now(UTC)
    if rng.random() < clears:
        instance = f"8{n:09d}"
        names = {f"7{n:08d}{k}": f"Bench{n}x{k}" for k in range(rng.randint(1, 6))}
        activity = rng.choice(ACTIVITIES)
        event = events.activity_finished(names, activity, instance, now, True)
        return event, f"/activities/{instance}"
    if rng.random() < 0.6:
        event = events.member_joined(f"6{n:09d}", f"Bench{n}", now - timedelta(seconds=n))
        return event, f"Bench{n} joined the clan"
    return events.member_left(f"6{n:09d}", f"Bench{n}", None, now), f"Bench{n} left the clan"


def arrivals(standin: StandIn) -> dict[str, float]:
    """Marker -> when the stand-in first accepted a message carrying it."""
    seen: dict[str, float] = {}
    for post in standin.accepted():
        for line in post.lines:
            seen.setdefault(line, post.at)
        for embed in post.embeds:
            url = embed.get("url", "")
            seen.setdefault(url[url.index("/activities/") :], post.at)
    return seen


def wait_all(standin: StandIn, markers: list[str], limit: float) -> dict[str, float]:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        seen = arrivals(standin)
        if all(m in seen for m in markers):
            return seen
        time.sleep(0.05)
    raise SystemExit(f"not everything arrived within {limit:.0f} s")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--spaced", type=int, default=48)
    parser.add_argument("--gap", type=float, default=2.5)
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    folder = Path(tempfile.mkdtemp(prefix="clanactors-discord-"))
    url = f"sqlite:///{folder / 'clan.db'}"
    migrate(url)
    db = Database(url)
    sim = RunningSimulator(Simulator(seed=7, faults=Faults(rate_limit=None))).start()
    standin = StandIn().start()
    notify = NotifySettings(
        (Webhook.of(standin.url("1")),),
        ("member_joined", "member_left", "activity_cleared"),
        "https://clan.example",
    )
    root = f"{sim.url}/Platform"
    client = BungieClient("bench-key", api_root=root, stats_root=root, max_rps=20)
    with db.session() as session:
        claim_clan(session, sim.clan_id, False, datetime.now(UTC))
    settings = Settings(clan_id=sim.clan_id, roster_interval=60, profile_interval=30, max_rps=20)
    system = actor_system(settings, db, client, notify=notify)
    system.start()
    feed = system.ctx.peers.feed
    try:
        time.sleep(notify.start_pause + 0.5)
        # 1. Spaced events: latency from stored to Discord.
        stored: dict[str, float] = {}
        for n in range(args.spaced):
            event, marker = make_event(rng, n, clears=0.5)
            feed.ask(Record(event), timeout=10)
            stored[marker] = time.monotonic()
            time.sleep(args.gap)
        seen = wait_all(standin, list(stored), 60)
        latency = [seen[m] - t for m, t in stored.items()]
        spaced_messages = len(standin.accepted())
        print(f"spaced: {args.spaced} events, one per {args.gap} s, {spaced_messages} messages")
        print(
            f"  latency p50 {statistics.median(latency):.3f} s, p95 {pct(latency, 0.95):.3f} s, "
            f"max {max(latency):.3f} s"
        )
        time.sleep(65)  # let the per-minute window empty before the burst

        # 2. A burst.
        before = len(standin.accepted())
        began = time.monotonic()
        markers = []
        for n in range(10_000, 10_000 + args.burst):
            event, marker = make_event(rng, n, clears=0.8)
            feed.ask(Record(event), timeout=10)
            markers.append(marker)
        stored_in = time.monotonic() - began
        seen = wait_all(standin, markers, 600)
        drained = max(seen[m] for m in markers) - began
        messages = len(standin.accepted()) - before
        posts = standin.accepted()[before:]
        per_minute = max(sum(1 for p in posts if 0 <= p.at - first.at < 60) for first in posts)
        print(
            f"burst: {args.burst} events stored in {stored_in:.2f} s, delivered in "
            f"{messages} messages, drained {drained:.1f} s after the first was stored"
        )
        print(f"  busiest 60 s: {per_minute} messages; 429s caused by us: {standin.our_429s}")
    finally:
        system.stop()
        client.close()
        standin.stop()
        sim.stop()
        db.dispose()


if __name__ == "__main__":
    main()
