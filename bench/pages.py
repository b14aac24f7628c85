"""The clan pages under load, against a bare Tornado handler sending the same bytes.

    python bench/pages.py [--database sqlite|postgres|both] [--seconds 5] [--connections 50]

Fills a fresh database (SQLite in a temporary folder; PostgreSQL: a database created on
the server of TEST_DATABASE_URL and dropped afterwards) with a 1,000-member clan, 25,000
activity instances and 100,000 events, serves the real app from it on one IOLoop with a
bare handler beside it, then loads each page with wrk, alternating with the bare handler
answering that page's size, two rounds, best of two. "cold" is one request's time with the
page cache emptied first: the queries and the render, what each second's first visitor
waits for.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
import tornado.netutil
import tornado.web
from load import wrk  # bench/load.py, beside this script
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url
from tornado.httpserver import HTTPServer

from clanactors.core.clock import RealClock, utc_iso
from clanactors.render.wire import ClanState, sort_members
from clanactors.server.app import make_app
from clanactors.server.base import WebContext
from clanactors.server.hub import Hub, Published
from clanactors.store.db import Database, migrate
from clanactors.store.eventlog import last_event_id
from clanactors.store.models import (
    ActivityDefinition,
    ActivityInstance,
    EventMember,
    EventRow,
    Member,
    MemberActivity,
    MemberStats,
    Pgcr,
    Season,
)

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
MEMBERS = 1000
INSTANCES = 25_000
EVENTS = 100_000
WEEKS = 12
# --year: a 100-member clan's year of history read from before the install (about
# 500,000 history rows), for the leaderboards' week, season and all-time counts.
YEAR = {"MEMBERS": 100, "INSTANCES": 200_000, "EVENTS": 100_000, "WEEKS": 52}
RANKS = ("Beginner", "Member", "Member", "Member", "Admin", "Founder")
ACTIVITIES = (  # hash, name, mode, share
    (2122313384, "Last Wish", 4, 15),
    (2823159265, "Duality", 82, 10),
    (1813752023, "Control", 10, 30),
    (1437935813, "The Inverted Spire", 3, 25),
    (2000000001, "Story mission", 2, 20),
)
FIRETEAM_SIZES = (1, 1, 1, 1, 2, 2, 3, 3, 4, 6)
BATCH = 5000


def member_id(i: int) -> str:
    return str(4611686018400000000 + i)


# ---------------------------------------------------------------------------- filling


def fill(db: Database, now: datetime, rng: random.Random) -> dict[str, Any]:
    """A clan's 12 weeks: members, instances, their history rows and 100,000 events."""
    start = now - timedelta(weeks=WEEKS)
    members = []
    for i in range(MEMBERS):
        name = f"Guardian{i // 2 if i % 50 == 0 else i}"  # some share a display name
        online = rng.random() < 0.1
        members.append(
            {
                "membership_id": member_id(i),
                "membership_type": 3,
                "display_name": name,
                "bungie_name": f"{name}#{i % 10000:04d}",
                "rank": rng.choice(RANKS),
                "joined_at": now - timedelta(days=rng.uniform(1, 1100)),
                "is_online": online,
                "last_online_at": now - timedelta(days=0 if online else rng.uniform(0, 120)),
                "in_clan": True,
                "character_ids": [],
                "updated_at": now,
            }
        )
    stats = [
        {
            "membership_id": m["membership_id"],
            "kills": rng.randint(0, 200_000),
            "deaths": rng.randint(1, 100_000),
            "activities_cleared": rng.randint(0, 5000),
            "raid_clears": rng.randint(0, 400),
            "time_played_seconds": rng.randint(0, 5000) * 3600,
            "fetched_at": now,
        }
        for m in members
        if rng.random() < 0.95
    ]
    weights = [a[3] for a in ACTIVITIES]
    instances, plays, events, event_members = [], [], [], []
    for n in range(INSTANCES):
        activity_hash, name, mode, _ = rng.choices(ACTIVITIES, weights)[0]
        period = start + timedelta(seconds=rng.uniform(0, (now - start).total_seconds() - 7200))
        duration = rng.randint(300, 5400)
        cleared = rng.random() < 0.75
        instance_id = str(15_000_000_000 + n)
        who = rng.sample(range(MEMBERS), rng.choice(FIRETEAM_SIZES))
        instances.append(
            {
                "instance_id": instance_id,
                "activity_hash": activity_hash,
                "mode": mode,
                "period": period,
                "duration_seconds": duration,
                "completed": cleared,
            }
        )
        for i in who:
            plays.append(
                {
                    "membership_id": member_id(i),
                    "instance_id": instance_id,
                    "character_id": "",
                    "period": period,
                    "completed": cleared,
                    "completion_reason": 0 if cleared else 2,
                    "kills": rng.randint(0, 300),
                    "deaths": rng.randint(0, 50),
                    "assists": rng.randint(0, 100),
                    "time_played_seconds": rng.randint(duration // 2, duration),
                    "ended_at": period + timedelta(seconds=duration),
                    "mode": mode,
                }
            )
        ids = sorted(member_id(i) for i in who)
        names = ", ".join(members[i]["display_name"] for i in who)
        for kind, when, words in (
            ("activity_started", period, f"{names} started {name}"),
            (
                "activity_cleared" if cleared else "activity_ended",
                period + timedelta(seconds=duration),
                f"{names} {'cleared' if cleared else 'played'} {name}"
                + ("" if cleared else " (not cleared)"),
            ),
        ):
            events.append(_event(kind, when, ids, words, (activity_hash, name, mode), instance_id))
    while len(events) < EVENTS:  # the rest: members coming online and going offline
        i = rng.randrange(MEMBERS)
        on = start + timedelta(seconds=rng.uniform(0, (now - start).total_seconds() - 14400))
        off = on + timedelta(minutes=rng.randint(10, 240))
        name = members[i]["display_name"]
        events.append(_event("member_online", on, [member_id(i)], f"{name} came online"))
        events.append(_event("member_offline", off, [member_id(i)], f"{name} went offline"))
    events = events[:EVENTS]
    events.sort(key=lambda e: e["occurred_at"])
    for number, event in enumerate(events, start=1):
        event["id"] = number
        event["dedupe_key"] = f"bench:{number}"
        event_members.extend(
            {"event_id": number, "membership_id": m} for m in event["membership_ids"]
        )
    pvp = _pvp_pgcr("16000000001", now - timedelta(hours=2), [member_id(i) for i in range(6)])
    with db.session() as session:
        session.add_all(
            ActivityDefinition(hash=h, name=n, mode=m, mode_types=[m], fetched_at=now)
            for h, n, m, _ in ACTIVITIES
        )
        for model, rows in (
            (Member, members),
            (MemberStats, stats),
            (ActivityInstance, instances),
            (MemberActivity, plays),
            (EventRow, events),
            (EventMember, event_members),
        ):
            for at in range(0, len(rows), BATCH):
                session.execute(insert(model), rows[at : at + BATCH])
        session.add(Pgcr(instance_id="16000000001", payload=pvp, fetched_at=now))
        session.add(
            Season(
                hash=2758726583,
                name="Season of Glass",
                start_at=now - timedelta(days=60),
                end_at=now + timedelta(days=31),
            )
        )
    busiest = Counter(p["membership_id"] for p in plays).most_common(1)[0][0]
    return {
        "members": members,
        "stats": {s["membership_id"]: s for s in stats},
        "busy": busiest,
        "middle_event": EVENTS // 2,
        "plays": len(plays),
    }


def _event(
    kind: str,
    when: datetime,
    ids: list[str],
    words: str,
    activity: tuple[int, str, int] | None = None,
    instance_id: str | None = None,
) -> dict[str, Any]:
    return {
        "kind": kind,
        "occurred_at": when,
        "recorded_at": when,
        "membership_ids": ids,
        "activity_hash": activity[0] if activity else None,
        "activity_mode": activity[2] if activity else None,
        "instance_id": instance_id,
        "text": words,
        "payload": {
            "activity": {"hash": activity[0], "name": activity[1], "mode": activity[2]}
            if activity
            else None
        },
    }


def _stat(value: float) -> dict[str, Any]:
    return {"basic": {"value": value, "displayValue": str(value)}}


def _pvp_pgcr(instance_id: str, period: datetime, clan: list[str]) -> dict[str, Any]:
    players = [(m, 16 if n % 2 == 0 else 17) for n, m in enumerate(clan)]
    players += [(str(4611686018500000000 + n), 17) for n in range(6)]
    return {
        "period": utc_iso(period),
        "activityDetails": {
            "referenceId": 1813752023,
            "directorActivityHash": 1813752023,
            "instanceId": instance_id,
            "mode": 10,
            "modes": [5, 10],
        },
        "entries": [
            {
                "player": {
                    "destinyUserInfo": {
                        "membershipId": m,
                        "membershipType": 3,
                        "bungieGlobalDisplayName": f"Player{n}",
                        "bungieGlobalDisplayNameCode": n,
                    },
                    "characterClass": "Titan",
                },
                "characterId": str(2305843009300000000 + n),
                "values": {
                    "kills": _stat(10 + n),
                    "deaths": _stat(5),
                    "assists": _stat(3),
                    "completed": _stat(1),
                    "completionReason": _stat(0),
                    "timePlayedSeconds": _stat(600),
                    "activityDurationSeconds": _stat(610),
                    "team": _stat(team),
                    "score": _stat(100 + n),
                },
            }
            for n, (m, team) in enumerate(players)
        ],
        "teams": [
            {"teamId": 16, "standing": _stat(0), "score": _stat(150), "teamName": "Alpha"},
            {"teamId": 17, "standing": _stat(1), "score": _stat(90), "teamName": "Bravo"},
        ],
    }


def clan_state(filled: dict[str, Any], now: datetime) -> ClanState:
    def stats(mid: str) -> dict[str, int] | None:
        s = filled["stats"].get(mid)
        if s is None:
            return None
        return {
            "kills": s["kills"],
            "deaths": s["deaths"],
            "activitiesCleared": s["activities_cleared"],
            "raidClears": s["raid_clears"],
            "timePlayedSeconds": s["time_played_seconds"],
        }

    members = [
        {
            "membershipId": m["membership_id"],
            "membershipType": 3,
            "displayName": m["display_name"],
            "bungieName": m["bungie_name"],
            "rank": m["rank"],
            "joinedAt": utc_iso(m["joined_at"]),
            "isOnline": m["is_online"],
            "lastOnlineAt": utc_iso(m["last_online_at"]),
            "currentActivity": None,
            "checking": False,
            "isPrivate": False,
            "stats": stats(m["membership_id"]),
        }
        for m in filled["members"]
    ]
    return ClanState(
        version=1,
        clan={"id": "4000001", "name": "Bench Clan", "motto": "", "memberCount": len(members)},
        members=sort_members(members, utc_iso(now)),
        fireteams=[],
        stats={"members": len(members), "membersCounted": len(members), "kills": 0,
               "deaths": 0, "activitiesCleared": 0, "raidClears": 0, "timePlayedSeconds": 0,
               "updatedAt": utc_iso(now)},
        recent=[],
    )  # fmt: skip


# ---------------------------------------------------------------------------- serving


class Same(tornado.web.RequestHandler):
    """The bare handler: `n` bytes, built once."""

    bodies: dict[int, bytes] = {}

    def get(self, size: str) -> None:
        n = int(size)
        body = self.bodies.get(n)
        if body is None:
            body = self.bodies[n] = b"x" * n
        self.write(body)


class Server:
    def __init__(self, db: Database, state: ClanState) -> None:
        self.db, self.state = db, state
        self.ready = threading.Event()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.stop_event: asyncio.Event | None = None
        self.hub: Hub | None = None
        self.url = ""
        self.thread = threading.Thread(target=lambda: asyncio.run(self.serve()), daemon=True)

    async def serve(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.stop_event = asyncio.Event()
        self.hub = Hub()
        self.hub.current = Published.of(self.state)
        with self.db.session() as session:
            self.hub.last_event_id = last_event_id(session)
        app = make_app(WebContext(self.db, self.hub, clock=RealClock()))
        app.add_handlers(r".*", [(r"/bench/same/([0-9]+)", Same)])
        sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
        server = HTTPServer(app)
        server.add_sockets(sockets)
        self.url = f"http://127.0.0.1:{sockets[0].getsockname()[1]}"
        self.ready.set()
        await self.stop_event.wait()
        server.stop()

    def start(self) -> Server:
        self.thread.start()
        assert self.ready.wait(10)
        return self

    def clear_cache(self) -> None:
        done = threading.Event()

        def clear() -> None:
            assert self.hub is not None
            self.hub.pages.builds.clear()
            self.hub.counts.builds.clear()  # the leaderboards' counts too: a cold start
            done.set()

        assert self.loop is not None
        self.loop.call_soon_threadsafe(clear)
        assert done.wait(10)

    def stop(self) -> None:
        assert self.loop is not None and self.stop_event is not None
        self.loop.call_soon_threadsafe(self.stop_event.set)
        self.thread.join(10)


def cold_ms(server: Server, url: str, times: int = 7) -> float:
    took = []
    for _ in range(times):
        server.clear_cache()
        begin = time.perf_counter()
        answer = requests.get(url, timeout=60)
        took.append(time.perf_counter() - begin)
        assert answer.status_code == 200, (url, answer.status_code)
    return 1000 * statistics.median(took)


# ---------------------------------------------------------------------------- databases


@contextmanager
def sqlite_database() -> Iterator[str]:
    folder = Path(tempfile.mkdtemp(prefix="clanactors-pages-"))
    try:
        yield f"sqlite:///{folder / 'pages.db'}"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def postgres_database() -> Iterator[str]:
    """A database of its own on the test server, dropped afterwards (nobody else's)."""
    admin_url = make_url(os.environ.get("TEST_DATABASE_URL", DEFAULT_PG))
    name = f"clanactors_bench_pages_{os.getpid()}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run(kind: str, database: Callable[[], Any], args: argparse.Namespace) -> None:
    rng = random.Random(10)
    now = datetime.now(UTC).replace(microsecond=0)
    with database() as url:
        migrate(url)
        db = Database(url)
        began = time.monotonic()
        filled = fill(db, now, rng)
        if kind == "postgres":
            with db.session() as session:
                session.execute(text("ANALYZE"))
        print(
            f"\n{kind}: {MEMBERS} members, {INSTANCES} instances, {filled['plays']} history "
            f"rows, {EVENTS} events (filled in {time.monotonic() - began:.0f} s)"
        )
        server = Server(db, clan_state(filled, now)).start()
        busy = filled["busy"]
        pages = {
            "/roster": "/roster",
            "/roster inactive 30 d": "/roster?inactive=1&days=30&sort=lastOnline",
            "/roster.csv": "/roster.csv",
            "/leaderboards": "/leaderboards",
            "/leaderboards season": "/leaderboards?period=season",
            "/leaderboards all": "/leaderboards?period=all",
            "/api/leaderboards all": "/api/leaderboards?period=all",
            "/feed": "/feed",
            "/feed kind+member": f"/feed?kind=activity_cleared&member={busy}",
            "/feed older page": f"/feed?before={filled['middle_event']}",
            "/feed.atom": "/feed.atom",
            "/members/{id}": f"/members/{busy}",
            "/activities/{id}": "/activities/16000000001",
        }
        print(
            f"wrk -t1 -c{args.connections} -d{args.seconds}s, page then bare handler of the "
            f"same size, {args.rounds} rounds, best of each\n"
        )
        print(f"{'page':<22} {'KB':>6} {'cold ms':>8} {'req/s':>8} {'bare':>8} {'ratio':>6}")
        wanted = {n.strip() for n in args.only.split(",") if n.strip()}
        for name, path in pages.items():
            if wanted and name not in wanted:
                continue
            size = len(requests.get(server.url + path, timeout=60).content)
            cold = cold_ms(server, server.url + path)
            page_rates, bare_rates = [], []
            for _ in range(args.rounds):
                page_rates.append(wrk(server.url + path, args.seconds, args.connections))
                bare_rates.append(
                    wrk(f"{server.url}/bench/same/{size}", args.seconds, args.connections)
                )
            page, bare = max(page_rates), max(bare_rates)
            print(
                f"{name:<22} {size / 1024:>6.1f} {cold:>8.1f} {page:>8.0f} {bare:>8.0f} "
                f"{page / bare:>6.0%}"
            )
        server.stop()
        db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--year", action="store_true", help="a 100-member clan with a year of history"
    )
    parser.add_argument("--only", default="", help="comma-separated page names to load")
    args = parser.parse_args()
    if args.year:
        globals().update(YEAR)
    if shutil.which("wrk") is None:
        raise SystemExit("needs wrk: apt-get install wrk")
    if args.database in ("sqlite", "both"):
        run("sqlite", sqlite_database, args)
    if args.database in ("postgres", "both"):
        run("postgres", postgres_database, args)
    print("\ntarget: each page at least 50% of the bare handler's rate")


if __name__ == "__main__":
    main()
